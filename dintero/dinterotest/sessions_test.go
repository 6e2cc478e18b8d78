package dinterotest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

var sessionIDPattern = regexp.MustCompile(`^T12345678\.[1-9A-HJ-NP-Za-km-z]{22}$`)

func eventNames(s *dintero.Session) []string {
	var names []string
	for _, e := range s.Events {
		names = append(names, string(*e.Name))
	}
	return names
}

func requireAPIError(t testing.TB, err error, status int, code string) *dintero.APIError {
	t.Helper()
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, status, apiErr.StatusCode, "error %v", err)
	if code != "" {
		require.Equal(t, code, apiErr.Code, "error %v", err)
	}
	return apiErr
}

func TestCreateSession(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()

	req := newSession("order-1")
	req.Customer = &dintero.SessionCustomer{Email: dintero.Ptr("kari@example.com")}
	req.Metadata = dintero.Metadata{"ext_cart": "c-9"}
	created, err := c.CreateSession(ctx, req, dintero.IncludeSession())
	require.NoError(t, err)
	require.Regexp(t, sessionIDPattern, *created.ID)
	id := *created.ID
	assert.Equal(t, srv.URL+"/view/"+id, *created.URL)
	require.NotNil(t, created.Session)

	s := created.Session
	assert.Equal(t, id, *s.ID)
	assert.Equal(t, req.Order, s.Order)
	assert.Equal(t, req.URL, s.URL)
	assert.Equal(t, req.Configuration, s.Configuration)
	assert.Equal(t, "kari@example.com", *s.Customer.Email)
	assert.Equal(t, "c-9", s.Metadata["ext_cart"])
	assert.Equal(t, clk.Now(), *s.CreatedAt)
	assert.Equal(t, clk.Now(), *s.UpdatedAt)
	assert.Equal(t, []string{"INITIATED"}, eventNames(s))
	assert.Nil(t, s.TransactionID)
	assert.Nil(t, s.CancelledAt)
	assert.Nil(t, s.PaymentOperation)

	got, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, s, got, "GET answers what the create answered")

	// The checkout URL leads somewhere.
	resp, err := srv.HTTPServer().Client().Get(*created.URL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(page), id)
}

func TestCreateSessionWithoutIncludeSession(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	created, err := c.CreateSession(context.Background(), newSession("order-1"))
	require.NoError(t, err)
	assert.Nil(t, created.Session)
	assert.NotNil(t, created.URL)

	a := do(t, srv, http.MethodPost, "/sessions", `{"url":{"return_url":"https://shop.example/r"},"order":{"amount":1,"currency":"NOK","merchant_reference":"r"},"configuration":{}}`, apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	assert.NotContains(t, string(a.Body), `"session"`)
}

func TestCreateSessionFromProfile(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	created, err := c.CreateSessionFromProfile(context.Background(), dintero.SessionProfileCreateRequest{
		ProfileID: "default",
		URL:       dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order:     dintero.Order{Amount: 500, Currency: "SEK", MerchantReference: "p-1"},
		Merchant:  &dintero.Merchant{Name: "Shop AS", LogoURL: "https://shop.example/logo.png"},
		Metadata:  dintero.Metadata{"ext_n": 7},
	}, dintero.IncludeSession())
	require.NoError(t, err)
	s := created.Session
	require.NotNil(t, s)
	assert.Equal(t, "default", s.Metadata["session:profile_id"])
	assert.Equal(t, float64(7), s.Metadata["ext_n"])
	assert.Equal(t, "Shop AS", *s.Configuration.Merchant.Name)
	assert.Equal(t, "p-1", s.Order.MerchantReference)
	assert.Nil(t, s.PaymentOperation)
}

func TestCreatePaymentTokenSession(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	req := dintero.PaymentTokenSessionRequest{
		Session: dintero.PaymentTokenSession{
			URL:       dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			Order:     dintero.PaymentTokenOrder{Currency: "NOK", MerchantReference: "tok-1", Store: &dintero.Store{ID: "oslo"}},
			ProfileID: dintero.Ptr("branding"),
		},
		TokenProvider: dintero.TokenProvider{
			PaymentProductType: dintero.PayExCreditcard,
			TokenTypes:         []dintero.TokenType{dintero.TokenTypePaymentToken, dintero.TokenTypeRecurrenceToken},
		},
	}
	created, err := c.CreatePaymentTokenSession(ctx, req, dintero.IncludeSession())
	require.NoError(t, err)
	s := created.Session
	require.NotNil(t, s)
	assert.Equal(t, dintero.PaymentOperationIntentGeneratePaymentToken, *s.PaymentOperation)
	assert.Equal(t, int64(0), s.Order.Amount, "a payment-token session reserves nothing")
	assert.Equal(t, "tok-1", s.Order.MerchantReference)
	assert.Equal(t, "oslo", s.Order.Store.ID)
	assert.Equal(t, "branding", s.Metadata["session:profile_id"])
	card := s.Configuration.Payex.Creditcard
	assert.True(t, card.Enabled)
	assert.True(t, *card.GeneratePaymentToken)
	assert.True(t, *card.GenerateRecurrenceToken)

	// Bambora creates payment tokens only.
	req.TokenProvider.PaymentProductType = dintero.BamboraCreditcard
	_, err = c.CreatePaymentTokenSession(ctx, req)
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeInvalidRequest)
	assert.Contains(t, apiErr.Message, "recurrence_token")

	req.TokenProvider.TokenTypes = []dintero.TokenType{dintero.TokenTypePaymentToken}
	created, err = c.CreatePaymentTokenSession(ctx, req, dintero.IncludeSession())
	require.NoError(t, err)
	assert.True(t, *created.Session.Configuration.Bambora.Creditcard.GeneratePaymentToken)
}

func TestGetSessionIncludes(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds, dintero.WithSystem(dintero.SystemInfo{Name: "shop", Version: "1.2"}))
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))

	plain, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Nil(t, plain.InitiatingSystemRequestHeaders)
	assert.Nil(t, plain.Events[0].RequestHeaders)

	full, err := c.GetSession(ctx, id, dintero.Include(dintero.SessionIncludeInitiatingSystemRequestHeaders, dintero.SessionIncludeEventsRequestHeaders))
	require.NoError(t, err)
	require.NotNil(t, full.InitiatingSystemRequestHeaders)
	assert.Equal(t, "shop", *full.InitiatingSystemRequestHeaders.DinteroSystemName)
	assert.Equal(t, "1.2", *full.InitiatingSystemRequestHeaders.DinteroSystemVersion)
	require.NotNil(t, full.Events[0].RequestHeaders)
	assert.Equal(t, "shop", *full.Events[0].RequestHeaders.DinteroSystemName)

	only, err := c.GetSession(ctx, id, dintero.Include(dintero.SessionIncludeEventsRequestHeaders))
	require.NoError(t, err)
	assert.Nil(t, only.InitiatingSystemRequestHeaders)
	assert.NotNil(t, only.Events[0].RequestHeaders)

	stored, ok := srv.Session(id)
	require.True(t, ok)
	assert.NotNil(t, stored.InitiatingSystemRequestHeaders, "the hook shows everything")
}

func TestGetSessionNotFound(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	_, err := c.GetSession(context.Background(), dinterotest.DefaultAccountID+".doesnotexist")
	apiErr := requireAPIError(t, err, http.StatusNotFound, dinterotest.CodeNotFound)
	assert.Contains(t, apiErr.Message, "T12345678.doesnotexist")
	assert.Equal(t, "GetSession", apiErr.Operation)
	assert.NotEmpty(t, apiErr.RequestID, "the fake sends a Request-Id")
}

func update(amount int64) dintero.SessionUpdateRequest {
	return dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: &amount, Items: []dintero.OrderItem{{
		LineID: dintero.Ptr("1"), Amount: &amount, Quantity: dintero.Ptr(1.0),
	}}}}
}

func TestUpdateSession(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	req := newSession("order-1")
	req.Express = &dintero.SessionExpress{
		ShippingOptions:            []dintero.ShippingOption{{ID: "std", LineID: "s1", Amount: 4900, Operator: "Posten", Title: "Standard"}},
		ShippingAddressCallbackURL: dintero.Ptr("https://shop.example/address"),
	}
	id := create(t, c, req)
	clk.Advance(time.Minute)

	u := update(39700)
	u.Express = &dintero.SessionExpressUpdate{ShippingOptions: []dintero.ShippingOption{{ID: "fast", LineID: "s2", Amount: 9900, Operator: "Bring", Title: "Express"}}}
	got, err := c.UpdateSession(ctx, id, u, dintero.UpdateWithoutLock())
	require.NoError(t, err)
	assert.Equal(t, int64(39700), got.Order.Amount)
	assert.Equal(t, "order-1", got.Order.MerchantReference, "what an update cannot carry stays")
	assert.Equal(t, "NOK", got.Order.Currency, "what the update leaves out stays")
	require.Len(t, got.Order.Items, 1)
	assert.Equal(t, int64(39700), *got.Order.Items[0].Amount, "items are replaced")
	assert.Equal(t, "fast", got.Express.ShippingOptions[0].ID, "shipping options are replaced")
	assert.Equal(t, "https://shop.example/address", *got.Express.ShippingAddressCallbackURL, "other express keys stay")
	assert.Equal(t, clk.Now(), *got.UpdatedAt)
	assert.NotEqual(t, *got.CreatedAt, *got.UpdatedAt)
	assert.Equal(t, []string{"INITIATED", "UPDATE_SESSION"}, eventNames(got))
	details := got.Events[1].Details
	assert.Equal(t, int64(29900), details.PreviousOrder.Amount)
	assert.Equal(t, int64(39700), details.UpdatedOrder.Amount)
	assert.Equal(t, "std", details.PreviousExpress.Express.ShippingOptions[0].ID)

	again, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, got, again)

	_, err = c.UpdateSession(ctx, dinterotest.DefaultAccountID+".nope", u, dintero.UpdateWithoutLock())
	requireAPIError(t, err, http.StatusNotFound, dinterotest.CodeNotFound)
}

func TestUpdateSessionLock(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))

	// Not locked, no update_without_lock: refused, with the way out in the message.
	_, err := c.UpdateSession(ctx, id, update(100))
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeSessionNotLocked)
	assert.Contains(t, apiErr.Message, "update_without_lock=true")
	s, _ := srv.Session(id)
	assert.Equal(t, int64(29900), s.Order.Amount, "a refused update changes nothing")

	// Locked by the checkout: allowed, and the update releases the lock (remove_lock defaults to true).
	require.NoError(t, srv.Lock(id))
	require.NoError(t, srv.Lock(id), "locking twice is harmless")
	_, err = c.UpdateSession(ctx, id, update(200))
	require.NoError(t, err)
	_, err = c.UpdateSession(ctx, id, update(300))
	requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeSessionNotLocked)

	// remove_lock=false keeps the lock for the next update.
	require.NoError(t, srv.Lock(id))
	keep := update(400)
	keep.RemoveLock = dintero.Ptr(false)
	_, err = c.UpdateSession(ctx, id, keep)
	require.NoError(t, err)
	got, err := c.UpdateSession(ctx, id, update(500))
	require.NoError(t, err)
	assert.Equal(t, int64(500), got.Order.Amount)
	_, err = c.UpdateSession(ctx, id, update(600))
	requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeSessionNotLocked)

	// Cancelling releases the lock, and a cancelled session is closed to updates and locks.
	require.NoError(t, srv.Lock(id))
	_, err = c.CancelSession(ctx, id)
	require.NoError(t, err)
	_, err = c.UpdateSession(ctx, id, update(700), dintero.UpdateWithoutLock())
	apiErr = requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeSessionClosed)
	assert.Contains(t, apiErr.Message, "cancelled")
	assert.ErrorContains(t, srv.Lock(id), "cancelled")
	assert.ErrorContains(t, srv.Lock(dinterotest.DefaultAccountID+".nope"), "no session")
}

func TestUpdatePaidSession(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	id := create(t, c, newSession("order-1"))
	tx, err := srv.CompletePayment(id)
	require.NoError(t, err)
	_, err = c.UpdateSession(context.Background(), id, update(1), dintero.UpdateWithoutLock())
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeSessionClosed)
	assert.Contains(t, apiErr.Message, tx)
}

func TestCancelSession(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))
	clk.Advance(time.Hour)

	cancelled, err := c.CancelSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, clk.Now(), *cancelled.CancelledAt)
	assert.Equal(t, dinterotest.DefaultClientID, *cancelled.CancelledBy)
	assert.Equal(t, []string{"INITIATED", "CANCELLED"}, eventNames(cancelled))

	clk.Advance(time.Hour)
	again, err := c.CancelSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, cancelled, again, "cancelling again answers the session unchanged")

	got, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, cancelled, got)

	_, err = c.CancelSession(ctx, dinterotest.DefaultAccountID+".nope")
	requireAPIError(t, err, http.StatusNotFound, dinterotest.CodeNotFound)

	// With an API key, cancelled_by names the key, not a client.
	key := newClient(t, srv, dintero.WithAPIKey(dinterotest.DefaultAPIKey))
	byKey, err := key.CancelSession(ctx, create(t, c, newSession("order-2")))
	require.NoError(t, err)
	assert.Equal(t, "api_key", *byKey.CancelledBy)
}

func TestCompletePayment(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))

	tx, err := srv.CompletePayment(id)
	require.NoError(t, err)
	assert.Regexp(t, sessionIDPattern, tx, "transaction ids look like session ids")
	s, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, tx, *s.TransactionID)
	assert.Equal(t, []string{"INITIATED", "AUTHORIZED", "COMPLETED"}, eventNames(s))
	assert.Equal(t, int64(29900), *s.Events[1].Details.Amount)

	_, err = srv.CompletePayment(id)
	assert.ErrorContains(t, err, "paid")
	_, err = srv.CompletePayment(dinterotest.DefaultAccountID + ".nope")
	assert.ErrorContains(t, err, "no session")
	assert.ErrorContains(t, srv.Lock(id), "paid")

	// A paid session can still be cancelled (Dintero voids the authorization).
	cancelled, err := c.CancelSession(ctx, id)
	require.NoError(t, err)
	assert.NotNil(t, cancelled.CancelledAt)
	other := create(t, c, newSession("order-2"))
	_, err = c.CancelSession(ctx, other)
	require.NoError(t, err)
	_, err = srv.CompletePayment(other)
	assert.ErrorContains(t, err, "cancelled")
}

func TestAddSessionAndSession(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	c := newClient(t, srv, creds)

	in := dintero.Session{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "seeded"},
	}
	added := srv.AddSession(in)
	require.Regexp(t, sessionIDPattern, *added.ID)
	assert.Equal(t, clk.Now(), *added.CreatedAt)
	assert.Nil(t, in.ID, "the argument is not changed")

	got, err := c.GetSession(context.Background(), *added.ID)
	require.NoError(t, err)
	assert.Equal(t, added, *got)

	// The copies handed out are independent of the store.
	added.Order.MerchantReference = "changed"
	s, ok := srv.Session(*added.ID)
	require.True(t, ok)
	assert.Equal(t, "seeded", s.Order.MerchantReference)
	s.Order.Amount = 1
	s2, _ := srv.Session(*added.ID)
	assert.Equal(t, int64(100), s2.Order.Amount)

	// Chosen ids and times are kept.
	at := clk.Now().Add(-48 * time.Hour)
	chosen := srv.AddSession(dintero.Session{ID: dintero.Ptr("T12345678.chosen1"), CreatedAt: &at, Order: in.Order, URL: in.URL})
	assert.Equal(t, "T12345678.chosen1", *chosen.ID)
	assert.Equal(t, at, *chosen.CreatedAt)

	_, ok = srv.Session("T12345678.missing")
	assert.False(t, ok)
	assert.PanicsWithValue(t, `dinterotest: AddSession: a session with this id exists already: "T12345678.chosen1"`, func() {
		srv.AddSession(dintero.Session{ID: dintero.Ptr("T12345678.chosen1")})
	})
	assert.Panics(t, func() { srv.AddSession(dintero.Session{ID: dintero.Ptr("not an id")}) })
}

// TestRequestsAreValidated shows that a request that breaks the document is refused with the
// validator's reason, after authentication.
func TestRequestsAreValidated(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()

	a := do(t, srv, http.MethodPost, "/sessions", `{"url":{"return_url":"https://shop.example/r"},"order":{"amount":100,"merchant_reference":"a"},"configuration":{}}`, apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	code, msg := a.errorBody(t)
	assert.Equal(t, dinterotest.CodeInvalidRequest, code)
	assert.Contains(t, msg, `property "currency" is missing`)
	assert.Contains(t, msg, "/order/currency")

	a = do(t, srv, http.MethodGet, "/sessions?limit=101", "", apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg = a.errorBody(t)
	assert.Contains(t, msg, `query parameter "limit"`)

	a = do(t, srv, http.MethodPost, "/sessions", `{"url":`, apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)

	// Authentication comes first: an invalid request without credentials is a 401.
	a = do(t, srv, http.MethodPost, "/sessions", `{}`)
	assert.Equal(t, http.StatusUnauthorized, a.Status)

	// Through the client: something the client does not check itself (an enum value: the client
	// leaves enums open for values Dintero adds later).
	c := newClient(t, srv, creds)
	req := newSession("order-1")
	req.Order.Items[0].Type = dintero.Ptr(dintero.OrderItemType("gadget"))
	_, err := c.CreateSession(context.Background(), req)
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeInvalidRequest)
	assert.Contains(t, apiErr.Message, "/order/items/0/type")
	assert.Equal(t, "CreateSession", apiErr.Operation)
}

func TestRoutingErrors(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()

	a := doRaw(t, srv, http.MethodGet, "/nothing/here", "", apiKey)
	assert.Equal(t, http.StatusNotFound, a.Status)
	code, msg := a.errorBody(t)
	assert.Equal(t, dinterotest.CodeNotFound, code)
	assert.Contains(t, msg, "/v1/nothing/here")
	assert.Equal(t, "application/json", a.Header.Get("Content-Type"))

	a = doRaw(t, srv, http.MethodDelete, "/sessions/T12345678.abc", "", apiKey)
	assert.Equal(t, http.StatusMethodNotAllowed, a.Status)
	code, msg = a.errorBody(t)
	assert.Equal(t, dinterotest.CodeMethodNotAllowed, code)
	assert.Contains(t, msg, "DELETE")

	a = doRaw(t, srv, http.MethodGet, "/accounts/T12345678/auth/token", "", apiKey)
	assert.Equal(t, http.StatusMethodNotAllowed, a.Status, "body %s", a.Body)

	// Outside /v1 nothing is served.
	resp, err := srv.HTTPServer().Client().Get(srv.HTTPServer().URL + "/sessions")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	a = doRaw(t, srv, http.MethodGet, "/view/T12345678.unknown", "")
	assert.Equal(t, http.StatusNotFound, a.Status)
}

// TestConcurrentUse runs every operation from many goroutines; run it with -race.
func TestConcurrentUse(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	ctx := context.Background()
	const workers = 8
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			errs <- func() error {
				created, err := c.CreateSession(ctx, newSession("w"+strings.Repeat("x", w)))
				if err != nil {
					return err
				}
				id := *created.ID
				if err := srv.Lock(id); err != nil {
					return err
				}
				if _, err := c.UpdateSession(ctx, id, update(5)); err != nil {
					return err
				}
				if _, err := c.ListSessions(ctx); err != nil {
					return err
				}
				if _, err := srv.CompletePayment(id); err != nil {
					return err
				}
				if _, err := c.GetSession(ctx, id); err != nil {
					return err
				}
				_, err = c.CancelSession(ctx, id)
				return err
			}()
		}()
	}
	for range workers {
		require.NoError(t, <-errs)
	}
	all, err := c.ListSessions(ctx, dintero.Limit(100))
	require.NoError(t, err)
	assert.Len(t, all, workers)
}

func TestSessionJSONShape(t *testing.T) {
	// The list answer is a bare JSON array, [] when empty, never null.
	srv := dinterotest.NewServer()
	defer srv.Close()
	a := do(t, srv, http.MethodGet, "/sessions", "", apiKey)
	require.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `[]`, string(a.Body))
	var v any
	require.NoError(t, json.Unmarshal(a.Body, &v))
}
