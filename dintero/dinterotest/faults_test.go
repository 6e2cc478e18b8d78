package dinterotest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

func TestFaultStatusWithRetryAfter(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	id := create(t, newClient(t, srv, creds), newSession("order-1"))

	// On the wire: the status, the header, Dintero's error shape.
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}})
	a := doRaw(t, srv, http.MethodGet, "/sessions/"+id, "", apiKey)
	assert.Equal(t, http.StatusTooManyRequests, a.Status)
	assert.Equal(t, "7", a.Header.Get("Retry-After"))
	code, msg := a.errorBody(t)
	assert.Equal(t, "TOO_MANY_REQUESTS", code)
	assert.Equal(t, "injected fault: Too Many Requests", msg)

	// The client sees an APIError when it may not retry...
	once := newRawClient(t, srv, creds, dintero.WithMaxRetries(0))
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"0"}}})
	_, err := once.GetSession(ctx, id)
	requireAPIError(t, err, http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE")

	// ...and retries (honouring Retry-After) when it may.
	retrying := newRawClient(t, srv, creds)
	before := srv.Calls(dinterotest.OpGetSession)
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"0"}}})
	_, err = retrying.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls(dinterotest.OpGetSession)-before)
}

func TestFaultBody(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	srv.Inject(dinterotest.OpListSessions, dinterotest.Fault{
		Status: http.StatusBadGateway, Body: "<html>bad gateway</html>", Header: http.Header{"Content-Type": {"text/html"}},
	})
	a := doRaw(t, srv, http.MethodGet, "/sessions", "", apiKey)
	assert.Equal(t, http.StatusBadGateway, a.Status)
	assert.Equal(t, "<html>bad gateway</html>", string(a.Body))
	assert.Equal(t, "text/html", a.Header.Get("Content-Type"))

	// A 500 with the default body is what the document declares.
	srv.Inject(dinterotest.OpListSessions, dinterotest.Fault{Status: http.StatusInternalServerError})
	a = do(t, srv, http.MethodGet, "/sessions", "", apiKey)
	assert.Equal(t, http.StatusInternalServerError, a.Status)
}

func TestFaultsComeBeforeAuthentication(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	srv.Inject(dinterotest.OpCreateSession, dinterotest.Fault{Status: http.StatusServiceUnavailable})
	a := doRaw(t, srv, http.MethodPost, "/sessions", `{}`) // no credentials, invalid body
	assert.Equal(t, http.StatusServiceUnavailable, a.Status)
	a = do(t, srv, http.MethodPost, "/sessions", `{}`)
	assert.Equal(t, http.StatusUnauthorized, a.Status, "the fault was used up")
}

func TestFaultTimes(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newRawClient(t, srv, creds, dintero.WithMaxRetries(0))
	ctx := context.Background()

	srv.Inject(dinterotest.OpListSessions, dinterotest.Fault{Status: http.StatusInternalServerError, Times: 2})
	for range 2 {
		_, err := c.ListSessions(ctx)
		requireAPIError(t, err, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
	}
	_, err := c.ListSessions(ctx)
	require.NoError(t, err, "exactly two calls fail")
	assert.Equal(t, 3, srv.Calls(dinterotest.OpListSessions))

	// Faults of one operation leave the others alone, and queue in order.
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusNotFound})
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusForbidden})
	_, err = c.ListSessions(ctx)
	require.NoError(t, err)
	_, err = c.GetSession(ctx, "T12345678.a")
	requireAPIError(t, err, http.StatusNotFound, "NOT_FOUND")
	_, err = c.GetSession(ctx, "T12345678.a")
	requireAPIError(t, err, http.StatusForbidden, "FORBIDDEN")

	// ResetFaults drops what is queued; the counts stay.
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: http.StatusInternalServerError, Times: 5})
	srv.ResetFaults()
	_, err = c.GetSession(ctx, "T12345678.a")
	requireAPIError(t, err, http.StatusNotFound, dinterotest.CodeNotFound) // the real answer
	assert.Equal(t, 3, srv.Calls(dinterotest.OpGetSession))
	assert.Equal(t, 0, srv.Calls(dinterotest.OpCancelSession))
}

func TestFaultDelayEndsWithClientDeadline(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newRawClient(t, srv, creds, dintero.WithMaxRetries(0))
	id := create(t, c, newSession("order-1"))

	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetSession(ctx, id)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Second, "the delay ended with the client's deadline")

	// A delay without a status answers normally afterwards.
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Delay: time.Millisecond})
	s, err := c.GetSession(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, id, *s.ID)
}

func TestFaultDrop(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newRawClient(t, srv, creds)
	ctx := context.Background()

	// A create is not repeated once it may have reached the server.
	srv.Inject(dinterotest.OpCreateSession, dinterotest.Fault{Drop: true})
	_, err := c.CreateSession(ctx, newSession("order-1"))
	require.Error(t, err)
	var apiErr *dintero.APIError
	assert.NotErrorAs(t, err, &apiErr, "no answer, so no APIError")
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateSession))

	// A read is.
	id := create(t, c, newSession("order-1"))
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Drop: true})
	_, err = c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 2, srv.Calls(dinterotest.OpGetSession))
}

func TestFaultOnTokenEndpoint(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	srv.Inject(dinterotest.OpCreateAccessToken, dinterotest.Fault{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}})
	c := newRawClient(t, srv, creds)
	create(t, c, newSession("order-1"))
	assert.Equal(t, 2, srv.Calls(dinterotest.OpCreateAccessToken), "the token fetch was retried")

	srv2 := dinterotest.NewServer()
	defer srv2.Close()
	srv2.Inject(dinterotest.OpCreateAccessToken, dinterotest.Fault{Status: http.StatusInternalServerError})
	_, err := newRawClient(t, srv2, creds).GetSession(context.Background(), "T12345678.a")
	apiErr := requireAPIError(t, err, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR")
	assert.Equal(t, "CreateAccessToken", apiErr.Operation)
}

func TestCallsCountEveryRequest(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	do(t, srv, http.MethodGet, "/sessions", "")                        // 401
	do(t, srv, http.MethodGet, "/sessions?limit=0", "", apiKey)        // 400
	do(t, srv, http.MethodGet, "/sessions", "", apiKey)                // 200
	doRaw(t, srv, http.MethodPatch, "/sessions", "", apiKey)           // 405: no operation
	do(t, srv, http.MethodGet, "/sessions/T12345678.none", "", apiKey) // 404 of GetSession
	assert.Equal(t, 3, srv.Calls(dinterotest.OpListSessions))
	assert.Equal(t, 1, srv.Calls(dinterotest.OpGetSession))
	assert.Equal(t, 0, srv.Calls(dinterotest.OpCreateSession))
}

func TestInjectUnknownOperation(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	assert.PanicsWithValue(t, `dinterotest: Inject: unknown operation "getSession"`, func() {
		srv.Inject("getSession", dinterotest.Fault{Status: 500})
	})
}

// TestOperationNamesMatchTheClient checks that each Operation is the name the client puts in
// APIError.Operation, by making every operation fail.
func TestOperationNamesMatchTheClient(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newRawClient(t, srv, creds, dintero.WithMaxRetries(0))
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))
	toCancel := create(t, c, newSession("order-2"))
	calls := map[dinterotest.Operation]func() error{
		dinterotest.OpCreateSession: func() error { _, err := c.CreateSession(ctx, newSession("x")); return err },
		dinterotest.OpCreateSessionFromProfile: func() error {
			_, err := c.CreateSessionFromProfile(ctx, dintero.SessionProfileCreateRequest{ProfileID: "p", URL: dintero.SessionURLs{ReturnURL: "https://s.example"}, Order: dintero.Order{Currency: "NOK", MerchantReference: "x"}})
			return err
		},
		dinterotest.OpCreatePaymentTokenSession: func() error {
			_, err := c.CreatePaymentTokenSession(ctx, dintero.PaymentTokenSessionRequest{
				Session:       dintero.PaymentTokenSession{URL: dintero.SessionURLs{ReturnURL: "https://s.example"}, Order: dintero.PaymentTokenOrder{Currency: "NOK", MerchantReference: "x"}},
				TokenProvider: dintero.TokenProvider{PaymentProductType: dintero.PayExCreditcard, TokenTypes: []dintero.TokenType{dintero.TokenTypePaymentToken}},
			})
			return err
		},
		dinterotest.OpGetSession:    func() error { _, err := c.GetSession(ctx, id); return err },
		dinterotest.OpUpdateSession: func() error { _, err := c.UpdateSession(ctx, id, update(1), dintero.UpdateWithoutLock()); return err },
		dinterotest.OpCancelSession: func() error { _, err := c.CancelSession(ctx, toCancel); return err },
		dinterotest.OpListSessions:  func() error { _, err := c.ListSessions(ctx); return err },
		dinterotest.OpCreateAccessToken: func() error {
			_, err := newRawClient(t, srv, creds, dintero.WithMaxRetries(0)).ListSessions(ctx)
			return err
		},
	}
	require.Len(t, calls, 8)
	for op, call := range calls {
		t.Run(string(op), func(t *testing.T) {
			srv.Inject(op, dinterotest.Fault{Status: http.StatusConflict})
			apiErr := requireAPIError(t, call(), http.StatusConflict, "CONFLICT")
			assert.Equal(t, string(op), apiErr.Operation)
			require.NoError(t, call(), "the fault is used up")
		})
	}
}
