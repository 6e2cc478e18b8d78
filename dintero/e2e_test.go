package dintero_test

// End-to-end tests: the client against dinterotest, the fake a user would test with. The unit
// tests in client_test.go pin the wire format on plain httptest servers; these show that the
// pieces work together (token, retries, paging, lock, callback) as a user strings them.

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

const (
	e2eAccount = "T87654321"
	e2eClient  = "shop-backend"
	e2eSecret  = "e2e-client-secret-value"
)

func e2eSetup(t *testing.T, opts ...dinterotest.Option) (*dinterotest.Server, *dintero.Client) {
	t.Helper()
	srv := dinterotest.NewServer(append([]dinterotest.Option{dinterotest.WithClientCredentials(e2eAccount, e2eClient, e2eSecret)}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := dintero.New(dintero.WithClientCredentials(e2eAccount, e2eClient, e2eSecret), dintero.WithBaseURL(srv.URL))
	require.NoError(t, err)
	return srv, c
}

func e2eOrder(ref string, amount int64) dintero.SessionCreateRequest {
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return", CallbackURL: dintero.Ptr("https://shop.example/callback?shop=1")},
		Order: dintero.Order{Amount: amount, Currency: "NOK", MerchantReference: ref, Items: []dintero.OrderItem{{
			LineID: dintero.Ptr("1"), Description: dintero.Ptr("Item"), Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(amount), VAT: dintero.Ptr(25.0),
		}}},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	}
}

func TestE2ESessionLifecycle(t *testing.T) {
	const callbackSecret = "callback-signature-secret"
	srv, c := e2eSetup(t, dinterotest.WithCallbackSecret(callbackSecret))
	ctx := context.Background()

	created, err := c.CreateSession(ctx, e2eOrder("order-1", 10000), dintero.IncludeSession())
	require.NoError(t, err)
	require.NotNil(t, created.Session, "IncludeSession returns the session")
	id := *created.ID
	assert.Regexp(t, `^T87654321\.\w+$`, id)

	got, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "order-1", got.Order.MerchantReference)
	assert.Equal(t, int64(10000), got.Order.Amount)

	// Without the customer's checkout holding the lock, an update must say it goes without.
	update := dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: dintero.Ptr(int64(12000)), Items: []dintero.OrderItem{{
		LineID: dintero.Ptr("1"), Description: dintero.Ptr("Item"), Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(int64(12000)), VAT: dintero.Ptr(25.0),
	}}}}
	_, err = c.UpdateSession(ctx, id, update)
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Equal(t, "UpdateSession", apiErr.Operation)
	assert.NotEmpty(t, apiErr.RequestID, "the fake's Request-Id reaches the error")

	require.NoError(t, srv.Lock(id))
	updated, err := c.UpdateSession(ctx, id, update)
	require.NoError(t, err)
	assert.Equal(t, int64(12000), updated.Order.Amount)
	assert.Equal(t, "order-1", updated.Order.MerchantReference, "what the update does not send is kept")

	// The customer pays; Dintero calls back, signed; the shop's verifier accepts it.
	txID, err := srv.CompletePayment(id)
	require.NoError(t, err)
	cb, err := srv.CallbackRequest(id)
	require.NoError(t, err)
	assert.Equal(t, txID, cb.URL.Query().Get("transaction_id"))
	v := dintero.CallbackVerifier{AccountID: e2eAccount, Secret: callbackSecret}
	require.NoError(t, v.Verify(cb))
	v.Secret = "another-secret"
	require.ErrorIs(t, v.Verify(cb), dintero.ErrSignatureMismatch)

	cancelled, err := c.CancelSession(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, cancelled.CancelledAt)

	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateAccessToken), "one token serves every call")
}

func TestE2ERetriesOnlyWhatIsSafeToRepeat(t *testing.T) {
	srv, c := e2eSetup(t)
	ctx := context.Background()
	created, err := c.CreateSession(ctx, e2eOrder("order-2", 5000))
	require.NoError(t, err)

	// A read meets two 503s and then succeeds: retried, honouring Retry-After: 0.
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: 503, Header: http.Header{"Retry-After": {"0"}}, Times: 2})
	before := srv.Calls(dinterotest.OpGetSession)
	_, err = c.GetSession(ctx, *created.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Calls(dinterotest.OpGetSession)-before)

	// A create whose connection drops may have created a session: it is not sent again.
	srv.Inject(dinterotest.OpCreateSession, dinterotest.Fault{Drop: true})
	before = srv.Calls(dinterotest.OpCreateSession)
	_, err = c.CreateSession(ctx, e2eOrder("order-3", 5000))
	require.Error(t, err)
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateSession)-before)

	// A 503 on a create is not retried either (no idempotency key).
	srv.Inject(dinterotest.OpCreateSession, dinterotest.Fault{Status: 503})
	before = srv.Calls(dinterotest.OpCreateSession)
	_, err = c.CreateSession(ctx, e2eOrder("order-4", 5000))
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 503, apiErr.StatusCode)
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateSession)-before)
}

func TestE2EDeadlineEndsAHangingCall(t *testing.T) {
	srv, c := e2eSetup(t)
	created, err := c.CreateSession(context.Background(), e2eOrder("order-5", 5000))
	require.NoError(t, err)
	srv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Delay: time.Hour, Times: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.GetSession(ctx, *created.ID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 30*time.Second, "the call ends with its context, not with the server")
}

func TestE2EPagingWalksEverySessionOnce(t *testing.T) {
	srv, c := e2eSetup(t)
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	want := make([]string, 0, 250)
	for i := range 250 {
		s := srv.AddSession(dintero.Session{
			CreatedAt: dintero.Ptr(base.Add(time.Duration(i) * time.Minute)),
			Order:     dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: fmt.Sprintf("bulk-%03d", i)},
			URL:       dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		})
		want = append([]string{*s.ID}, want...) // newest first
	}
	before := srv.Calls(dinterotest.OpListSessions)
	var got []string
	for s, err := range c.Sessions(context.Background(), dintero.Limit(100)) {
		require.NoError(t, err)
		got = append(got, *s.ID)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, 3, srv.Calls(dinterotest.OpListSessions)-before, "pages of 100, 100 and 50")

	page, err := c.ListSessions(context.Background(), dintero.Search("bulk-007"), dintero.Limit(10))
	require.NoError(t, err)
	require.Len(t, page, 1)
	assert.Equal(t, "bulk-007", page[0].Order.MerchantReference)
}

func TestE2ESpecViolationIsExplained(t *testing.T) {
	srv, c := e2eSetup(t)
	// The client refuses what the spec rules out, before sending it.
	req := e2eOrder("order-6", 5000)
	req.Order.ShippingAddress = &dintero.OrderAddress{PhoneNumber: dintero.Ptr("call me")}
	_, err := c.CreateSession(context.Background(), req)
	var invalid *dintero.InvalidRequestError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "order.shipping_address.phone_number", invalid.Problems[0].Path)
	assert.Zero(t, srv.Calls(dinterotest.OpCreateSession), "nothing was sent")

	// An enum value the client lets through (enums stay open for values Dintero adds later) is
	// the fake's to refuse, with Dintero's 400.
	req = e2eOrder("order-6", 5000)
	req.Order.Items[0].Type = dintero.Ptr(dintero.OrderItemType("gadget"))
	_, err = c.CreateSession(context.Background(), req)
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "/order/items/0/type")
}

func TestE2EWrongCredentials(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithClientCredentials(e2eAccount, e2eClient, e2eSecret))
	defer srv.Close()
	c, err := dintero.New(dintero.WithClientCredentials(e2eAccount, e2eClient, "not-the-secret"), dintero.WithBaseURL(srv.URL))
	require.NoError(t, err)
	_, err = c.GetSession(context.Background(), e2eAccount+".abc")
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
	assert.Equal(t, "CreateAccessToken", apiErr.Operation)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), "not-the-secret")
	assert.NotErrorIs(t, err, dintero.ErrInvalidInput)
}
