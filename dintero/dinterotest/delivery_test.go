package dinterotest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// received is one request the merchant's server got.
type received struct {
	req  *http.Request // a clone, with Body replaced by body
	body string
}

// merchantServer records the requests it gets and answers them with the given statuses in turn,
// then 200. A status of 3xx redirects to /elsewhere, which fails the test when followed.
type merchantServer struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	requests []received
	statuses []int
}

func newMerchant(t *testing.T, statuses ...int) *merchantServer {
	m := &merchantServer{t: t, statuses: statuses}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			t.Error("a redirect was followed")
			return
		}
		body, _ := io.ReadAll(r.Body)
		m.mu.Lock()
		r2 := r.Clone(context.Background())
		r2.Body = io.NopCloser(strings.NewReader(string(body)))
		m.requests = append(m.requests, received{req: r2, body: string(body)})
		status := http.StatusOK
		if len(m.statuses) > 0 {
			status, m.statuses = m.statuses[0], m.statuses[1:]
		}
		m.mu.Unlock()
		if status >= 300 && status < 400 {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchantServer) got() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.requests...)
}

func callbackVerifier(clk *clock) dintero.CallbackVerifier {
	return dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret, Now: clk.Now}
}

func TestDeliverCallback(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	m := newMerchant(t)
	id, tx := paidSession(t, srv, m.srv.URL+"/dintero/callback?shop=7")

	d, err := srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	assert.True(t, d.Delivered)
	assert.Equal(t, dinterotest.KindCallback, d.Kind)
	assert.Equal(t, http.MethodGet, d.Method)
	assert.Len(t, d.Attempts, 1)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, d.ID)

	got := m.got()
	require.Len(t, got, 1)
	cb, err := callbackVerifier(clk).Parse(got[0].req)
	require.NoError(t, err)
	assert.Equal(t, tx, cb.TransactionID)
	assert.Equal(t, id, cb.SessionID)
	assert.Equal(t, "order-42", cb.MerchantReference)
	assert.Equal(t, d.ID, cb.DeliveryID)
	assert.Equal(t, "7", cb.Query.Get("shop"))
	assert.True(t, cb.Time.Equal(clk.Now()), "time is when the transaction was created")
	assert.Equal(t, []dinterotest.Delivery{d}, srv.Deliveries())
}

func TestDeliverCallbackPOST(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	m := newMerchant(t)
	id, tx := paidSession(t, srv, m.srv.URL+"/cb?method=POST&includes=session")
	d, err := srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, d.Method)
	got := m.got()
	require.Len(t, got, 1)
	assert.Equal(t, "application/json", got[0].req.Header.Get("Content-Type"))
	cb, err := callbackVerifier(clk).Parse(got[0].req)
	require.NoError(t, err)
	require.NotNil(t, cb.Transaction)
	assert.Equal(t, tx, cb.Transaction.ID)
	assert.Equal(t, id, cb.Transaction.SessionID)
	assert.Equal(t, dintero.MinorUnits(29900), cb.Transaction.Amount)
	assert.Equal(t, "NOK", cb.Transaction.Currency)
	assert.Equal(t, "AUTHORIZED", cb.Transaction.Status)

	// CallbackRequest builds the same POST.
	req, err := srv.CallbackRequest(id)
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, req.Method)
}

func TestDeliverCallbackRetries(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	m := newMerchant(t, 500, 503, 101, 200)
	id, _ := paidSession(t, srv, m.srv.URL+"/cb")
	d, err := srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	assert.True(t, d.Delivered)
	require.Len(t, d.Attempts, 4, "500, 503 and 101 are retried")
	assert.Equal(t, []int{500, 503, 101, 200}, []int{d.Attempts[0].Status, d.Attempts[1].Status, d.Attempts[2].Status, d.Attempts[3].Status})
	for i, r := range m.got() {
		assert.Equal(t, d.ID, r.req.Header.Get("Event-Delivery"), "attempt %d keeps the delivery id", i)
		_, err := callbackVerifier(clk).Parse(r.req)
		assert.NoError(t, err, "attempt %d is signed", i)
	}
}

func TestDeliverCallbackFailures(t *testing.T) {
	for _, tt := range []struct {
		name     string
		statuses []int
		attempts int
	}{
		{"a 4xx is final", []int{400}, 1},
		{"a 404 is final", []int{404}, 1},
		{"a redirect is final and not followed", []int{302}, 1},
		{"5xx until Dintero gives up", repeat(500, dinterotest.MaxCallbackAttempts), dinterotest.MaxCallbackAttempts},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
			defer srv.Close()
			m := newMerchant(t, tt.statuses...)
			id, _ := paidSession(t, srv, m.srv.URL+"/cb")
			d, err := srv.DeliverCallback(context.Background(), id)
			require.Error(t, err)
			assert.False(t, d.Delivered)
			assert.Len(t, d.Attempts, tt.attempts)
			assert.Len(t, m.got(), tt.attempts)
		})
	}
}

func repeat(status, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = status
	}
	return out
}

func TestDeliverCallbackUnreachable(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	id, _ := paidSession(t, srv, closed.URL+"/cb")
	d, err := srv.DeliverCallback(context.Background(), id)
	require.Error(t, err)
	require.Len(t, d.Attempts, dinterotest.MaxCallbackAttempts, "connection errors are retried")
	assert.Error(t, d.Attempts[0].Err)
	assert.Zero(t, d.Attempts[0].Status)
}

// TestDropDeliveryAnswers: the merchant's server gets every attempt, but the first answers are
// lost, as when they come after Dintero's timeout, so the callback arrives three times.
func TestDropDeliveryAnswers(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	m := newMerchant(t)
	id, _ := paidSession(t, srv, m.srv.URL+"/cb")
	srv.DropDeliveryAnswers(2)
	d, err := srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, d.Attempts, 3)
	assert.True(t, d.Attempts[0].Dropped)
	assert.True(t, d.Attempts[1].Dropped)
	assert.False(t, d.Attempts[2].Dropped)
	assert.Len(t, m.got(), 3, "the merchant saw every attempt")

	// Used up: the next delivery is answered at once.
	d, err = srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	assert.Len(t, d.Attempts, 1)
	// 0 ends it early.
	srv.DropDeliveryAnswers(5)
	srv.DropDeliveryAnswers(0)
	d, err = srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	assert.Len(t, d.Attempts, 1)
}

func TestDeliverCallbackUnsigned(t *testing.T) {
	srv := dinterotest.NewServer() // no secret: Dintero sends callbacks unsigned
	defer srv.Close()
	m := newMerchant(t)
	id, _ := paidSession(t, srv, m.srv.URL+"/cb")
	_, err := srv.DeliverCallback(context.Background(), id)
	require.NoError(t, err)
	require.Len(t, m.got(), 1)
	assert.Empty(t, m.got()[0].req.Header.Get(dintero.SignatureHeader))
	assert.NotEmpty(t, m.got()[0].req.Header.Get("Event-Delivery"))
}

func TestDeliverCallbackErrors(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	m := newMerchant(t)
	_, err := srv.DeliverCallback(context.Background(), "T12345678.unknown")
	assert.ErrorContains(t, err, "no session")

	req := newSession("order-1")
	req.URL.CallbackURL = dintero.Ptr(m.srv.URL + "/cb")
	unpaid := create(t, newClient(t, srv, creds), req)
	_, err = srv.DeliverCallback(context.Background(), unpaid)
	assert.ErrorContains(t, err, "is not paid")

	id, _ := paidSession(t, srv, m.srv.URL+"/cb")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, err := srv.DeliverCallback(ctx, id)
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, d.Attempts)
	assert.Empty(t, m.got())
}
