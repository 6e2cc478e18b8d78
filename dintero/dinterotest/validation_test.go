package dinterotest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// validBody is a create body (JSON) that the fake accepts; the cases below change one thing in it
// and send it raw, past the client's own checks.
func validBody(t *testing.T, change func(map[string]any)) string {
	t.Helper()
	req := newSession("order-1")
	req.URL.CallbackURL = dintero.Ptr("https://shop.example/callback")
	req.Customer = &dintero.SessionCustomer{Email: dintero.Ptr("kari@example.no"), PhoneNumber: dintero.Ptr("+4799999999")}
	req.Order.ShippingAddress = &dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("0155")}
	raw, err := json.Marshal(req)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	if change != nil {
		change(m)
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return string(out)
}

func order(m map[string]any) map[string]any { return m["order"].(map[string]any) }
func item(m map[string]any, i int) map[string]any {
	return order(m)["items"].([]any)[i].(map[string]any)
}

// requireNoSessions asserts that the server holds no session at all.
func requireNoSessions(t *testing.T, srv *dinterotest.Server) {
	t.Helper()
	a := do(t, srv, http.MethodGet, "/sessions?limit=100", "", apiKey)
	require.Equal(t, http.StatusOK, a.Status)
	assert.JSONEq(t, `[]`, string(a.Body), "nothing was created")
}

// The fake refuses, with Dintero's 400 and error shape, what Dintero refuses, also the formats
// kin-openapi lets pass by default, and creates nothing.
func TestFakeRefusesEachRuleBreach(t *testing.T) {
	cases := []struct {
		name    string
		change  func(map[string]any)
		pointer string // the JSON pointer the message names
	}{
		{"currency not ISO 4217", func(m map[string]any) { order(m)["currency"] = "KRONER" }, "/order/currency"},
		{"negative amount", func(m map[string]any) { order(m)["amount"] = -100 }, "/order/amount"},
		{"negative line amount", func(m map[string]any) { item(m, 0)["amount"] = -1 }, "/order/items/0/amount"},
		{"VAT above 100", func(m map[string]any) { item(m, 0)["vat"] = 125 }, "/order/items/0/vat"},
		{"quantity 0", func(m map[string]any) { item(m, 0)["quantity"] = 0 }, "/order/items/0/quantity"},
		{"empty line id", func(m map[string]any) { item(m, 0)["line_id"] = "" }, "/order/items/0/line_id"},
		{"return URL not a URL", func(m map[string]any) { m["url"].(map[string]any)["return_url"] = "not a url" }, "/url/return_url"},
		{"relative return URL", func(m map[string]any) { m["url"].(map[string]any)["return_url"] = "/return" }, "/url/return_url"},
		{"app return URL outside in_app", func(m map[string]any) { m["url"].(map[string]any)["return_url"] = "shopapp://return" }, "/url/return_url"},
		{"callback URL not http(s)", func(m map[string]any) { m["url"].(map[string]any)["callback_url"] = "ftp://shop.example/cb" }, "/url/callback_url"},
		{"customer e-mail", func(m map[string]any) { m["customer"].(map[string]any)["email"] = "kari" }, "/customer/email"},
		{"customer phone", func(m map[string]any) { m["customer"].(map[string]any)["phone_number"] = "call me" }, "/customer/phone_number"},
		{"address country", func(m map[string]any) { order(m)["shipping_address"].(map[string]any)["country"] = "Norway" }, "/order/shipping_address/country"},
		{"expiry in the past", func(m map[string]any) { m["expires_at"] = "2001-01-01T00:00:00Z" }, "/expires_at"},
		{"metadata value neither string nor number", func(m map[string]any) { m["metadata"] = map[string]any{"ext_flag": true} }, "/metadata/ext_flag"},
		{"closed enum", func(m map[string]any) {
			m["express"] = map[string]any{"shipping_options": []any{}, "customer_types": []any{"b2x"}}
		}, "/express/customer_types/0"},
	}
	srv := dinterotest.NewServer()
	defer srv.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, srv, http.MethodPost, "/sessions", validBody(t, tc.change), apiKey)
			require.Equal(t, http.StatusBadRequest, a.Status, "body %s", a.Body)
			code, msg := a.errorBody(t)
			assert.Equal(t, dinterotest.CodeInvalidRequest, code)
			assert.Contains(t, msg, tc.pointer)
		})
	}
	requireNoSessions(t, srv)

	// The unchanged body is created: the cases fail for their one change.
	a := do(t, srv, http.MethodPost, "/sessions", validBody(t, nil), apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
}

// Every problem of a body is named in the one 400.
func TestFakeNamesEveryProblem(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	body := validBody(t, func(m map[string]any) {
		order(m)["currency"] = "KRONER"
		order(m)["amount"] = -100
		m["url"].(map[string]any)["return_url"] = "not a url"
		m["expires_at"] = "2001-01-01T00:00:00Z"
	})
	a := do(t, srv, http.MethodPost, "/sessions", body, apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg := a.errorBody(t)
	for _, pointer := range []string{"/order/currency", "/order/amount", "/url/return_url", "/expires_at"} {
		assert.Contains(t, msg, pointer)
	}
	requireNoSessions(t, srv)
}

// An expiry is compared with the server's clock (WithClock), and an app URL is what the in_app
// channel is for.
func TestFakeExpiryAndAppURL(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	ahead := clk.Now().Add(time.Hour).Format(time.RFC3339)
	a := do(t, srv, http.MethodPost, "/sessions", validBody(t, func(m map[string]any) { m["expires_at"] = ahead }), apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	clk.Advance(2 * time.Hour)
	a = do(t, srv, http.MethodPost, "/sessions", validBody(t, func(m map[string]any) { m["expires_at"] = ahead }), apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg := a.errorBody(t)
	assert.Contains(t, msg, "is not in the future at /expires_at")

	a = do(t, srv, http.MethodPost, "/sessions", validBody(t, func(m map[string]any) {
		m["url"].(map[string]any)["return_url"] = "shopapp://return"
		m["configuration"].(map[string]any)["channel"] = "in_app"
	}), apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)

	token := `{"session":{"order":{"currency":"NOK","merchant_reference":"card"},"url":{"return_url":"shopapp://cards"}},` +
		`"token_provider":{"payment_product_type":"payex.creditcard","token_types":["payment_token"]}}`
	a = do(t, srv, http.MethodPost, "/sessions/payment-token", token, apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg = a.errorBody(t)
	assert.Contains(t, msg, "/session/url/return_url")
}

// strict-session-amounts: with the feature toggle (or WithStrictAmounts on every request) the
// order amount must be the sum of the items and the shipping option.
func TestFakeStrictAmounts(t *testing.T) {
	mismatch := func(m map[string]any) { order(m)["amount"] = 29899 }
	const toggle = "Dintero-Feature-Toggles: strict-session-amounts"

	srv := dinterotest.NewServer()
	defer srv.Close()
	a := do(t, srv, http.MethodPost, "/sessions", validBody(t, mismatch), apiKey)
	require.Equal(t, http.StatusOK, a.Status, "without the toggle Dintero takes the amount as given")
	a = do(t, srv, http.MethodPost, "/sessions", validBody(t, mismatch), apiKey, toggle)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg := a.errorBody(t)
	assert.Contains(t, msg, "order amount 29899 is not the sum of the items and the shipping option, 29900 (strict-session-amounts) at /order/amount")
	a = do(t, srv, http.MethodPost, "/sessions", validBody(t, func(m map[string]any) {
		mismatch(m)
		order(m)["partial_payment"] = true
	}), apiKey, toggle)
	require.Equal(t, http.StatusOK, a.Status, "a partial payment may be less than its items")

	strict := dinterotest.NewServer(dinterotest.WithStrictAmounts())
	defer strict.Close()
	a = do(t, strict, http.MethodPost, "/sessions", validBody(t, mismatch), apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status, "WithStrictAmounts applies the rule without the toggle")
	requireNoSessions(t, strict)

	// Updates too, through the client (which sends the toggle when asked to, and then checks the
	// sum itself; without it the server is the one to refuse).
	c := newClient(t, strict, creds)
	id := create(t, c, newSession("order-2"))
	update := dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: dintero.Ptr(int64(100)), Items: []dintero.OrderItem{{
		LineID: dintero.Ptr("1"), Amount: dintero.Ptr(int64(90)), Quantity: dintero.Ptr(1.0),
	}}}}
	_, err := c.UpdateSession(context.Background(), id, update, dintero.UpdateWithoutLock())
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeInvalidRequest)
	assert.Contains(t, apiErr.Message, "strict-session-amounts")
	got, err := c.GetSession(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, int64(29900), got.Order.Amount, "the refused update changed nothing")
}
