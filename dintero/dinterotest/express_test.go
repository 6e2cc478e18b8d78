package dinterotest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// expressSession creates a session of 29900 (one item) whose express callbacks go to base +
// "/shipping" and base + "/discounts".
func expressSession(t *testing.T, srv *dinterotest.Server, base string) string {
	t.Helper()
	req := newSession("order-7")
	req.Express = &dintero.SessionExpress{
		ShippingAddressCallbackURL: dintero.Ptr(base + "/shipping"),
		DiscountCodes:              &dintero.ExpressDiscountCodes{CallbackURL: dintero.Ptr(base + "/discounts")},
		ShippingOptions:            []dintero.ShippingOption{},
	}
	return create(t, newClient(t, srv, creds), req)
}

var (
	homeDelivery = dintero.ShippingOption{ID: "home", LineID: "home", Title: "Home", Operator: "Bring", Amount: 4900, VATAmount: dintero.Ptr(int64(980))}
	pickUp       = dintero.ShippingOption{ID: "pick-up", LineID: "pick-up", Title: "Pick-up point", Operator: "Bring", Amount: 0}
)

// jsonAnswer serves body as the 200 answer of every express callback and records the posted
// sessions.
func jsonAnswer(t *testing.T, status int, body string) (*httptest.Server, *[]dintero.Session) {
	var posted []dintero.Session
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s dintero.Session
		if err := json.NewDecoder(r.Body).Decode(&s); err != nil {
			t.Errorf("posted body is not a session: %v", err)
		}
		posted = append(posted, s)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &posted
}

func TestEnterShippingAddress(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	var posted *dintero.Session
	handler := &dintero.ExpressHandler{
		Verifier:         &dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret, Now: clk.Now},
		RequireSignature: true, // the fake signs express callbacks when it has a secret
		Answer: func(_ context.Context, s *dintero.Session) (*dintero.ExpressAnswer, error) {
			posted = s
			return &dintero.ExpressAnswer{ShippingOptions: []dintero.ShippingOption{homeDelivery, pickUp}}, nil
		},
	}
	shop := httptest.NewServer(handler)
	defer shop.Close()
	id := expressSession(t, srv, shop.URL)

	applePay := dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("0150")}
	x, err := srv.EnterShippingAddress(id, applePay)
	require.NoError(t, err)
	assert.Equal(t, dinterotest.ExpressShippingAddress, x.Kind)
	assert.Equal(t, shop.URL+"/shipping", x.URL)
	assert.Equal(t, http.StatusOK, x.Status)
	assert.Nil(t, x.Correction)
	require.NotNil(t, posted)
	assert.Equal(t, &applePay, posted.Order.ShippingAddress, "the handler got the address as entered")
	assert.Equal(t, id, *posted.ID)
	assert.JSONEq(t, `{"shipping_options":[
		{"id":"home","line_id":"home","title":"Home","operator":"Bring","amount":4900,"vat_amount":980},
		{"id":"pick-up","line_id":"pick-up","title":"Pick-up point","operator":"Bring","amount":0}]}`, string(x.Received))
	var sent dintero.Session
	require.NoError(t, json.Unmarshal(x.Sent, &sent))
	assert.Equal(t, &applePay, sent.Order.ShippingAddress)

	s, ok := srv.Session(id)
	require.True(t, ok)
	assert.Equal(t, &applePay, s.Order.ShippingAddress)
	assert.Equal(t, []dintero.ShippingOption{homeDelivery, pickUp}, s.Express.ShippingOptions)
	assert.Equal(t, dintero.SessionEventNameSETSHIPPINGADDRESS, *s.Events[len(s.Events)-1].Name)
	assert.Equal(t, int64(29900), s.Order.Amount, "options alone do not change the order")
	assert.Len(t, srv.ExpressExchanges(), 1)

	// The customer picks home delivery, then the pick-up point.
	require.NoError(t, srv.ChooseShippingOption(id, "home"))
	s, _ = srv.Session(id)
	assert.Equal(t, int64(29900+4900), s.Order.Amount)
	assert.Equal(t, "home", s.Order.ShippingOption.LineID)
	assert.Equal(t, dintero.SessionEventNameSETSHIPPINGOPTION, *s.Events[len(s.Events)-1].Name)
	require.NoError(t, srv.ChooseShippingOption(id, "pick-up"))
	s, _ = srv.Session(id)
	assert.Equal(t, int64(29900), s.Order.Amount)
	assert.ErrorContains(t, srv.ChooseShippingOption(id, "drone"), "no shipping option")

	// The next address is posted with the chosen option, whose amount the answer must include.
	require.NoError(t, srv.ChooseShippingOption(id, "home"))
	_, err = srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("9008")})
	require.NoError(t, err)
	assert.Equal(t, "home", posted.Order.ShippingOption.LineID)
}

// TestExpressCorrectionLine: an answered order that does not add up gets a correction line, as
// Dintero adds one (https://docs.dintero.com/docs/checkout/shipping-address-callback).
func TestExpressCorrectionLine(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	// The docs' example: the answer forgets the chosen shipping option's amount.
	shop, _ := jsonAnswer(t, http.StatusOK, `{"shipping_options":[{"id":"home","line_id":"home","title":"Home","operator":"Bring","amount":4900}],
		"order":{"amount":29900,"items":[{"line_id":"1","amount":29900,"quantity":1}]}}`)
	id := expressSession(t, srv, shop.URL)
	_, err := srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO")})
	require.NoError(t, err)
	require.NoError(t, srv.ChooseShippingOption(id, "home"))
	x, err := srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO")})
	require.NoError(t, err)
	require.NotNil(t, x.Correction)
	assert.Equal(t, int64(-4900), *x.Correction.Amount)
	assert.Equal(t, "Correction", *x.Correction.Description)
	assert.Regexp(t, `^correction-`, *x.Correction.LineID)
	s, _ := srv.Session(id)
	assert.Equal(t, int64(29900), s.Order.Amount, "Dintero keeps the answered amount")
	require.Len(t, s.Order.Items, 2)
	assert.Equal(t, *x.Correction, s.Order.Items[1])

	// The ExpressHandler refuses to send such an answer in the first place.
	handler := &dintero.ExpressHandler{Answer: func(context.Context, *dintero.Session) (*dintero.ExpressAnswer, error) {
		return &dintero.ExpressAnswer{ShippingOptions: []dintero.ShippingOption{homeDelivery}, Order: &dintero.ExpressOrder{Amount: 29900}}, nil
	}, Logger: discardLogger()}
	strict := httptest.NewServer(handler)
	defer strict.Close()
	id = expressSession(t, srv, strict.URL)
	_, err = srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO")})
	require.NoError(t, err, "without a chosen option, 29900 adds up")
	require.NoError(t, srv.ChooseShippingOption(id, "home"))
	x, err = srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO")})
	require.Error(t, err)
	assert.Equal(t, http.StatusInternalServerError, x.Status)
	s, _ = srv.Session(id)
	assert.Len(t, s.Order.Items, 1, "no correction line")
}

func TestApplyDiscountCode(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	var codes []string
	handler := &dintero.ExpressHandler{Answer: func(_ context.Context, s *dintero.Session) (*dintero.ExpressAnswer, error) {
		codes = s.Order.DiscountCodes
		item := s.Order.Items[0]
		item.Amount = dintero.Ptr(*item.Amount - 5000)
		item.DiscountLines = []dintero.DiscountItem{{Amount: dintero.Ptr(int64(5000)), Description: dintero.Ptr("Summer sale")}}
		order, err := dintero.NewExpressOrder(s, []dintero.OrderItem{item})
		if err != nil {
			return nil, err
		}
		return &dintero.ExpressAnswer{ShippingOptions: s.Express.ShippingOptions, Order: order}, nil
	}}
	shop := httptest.NewServer(http.StripPrefix("/discounts", handler))
	defer shop.Close()
	id := expressSession(t, srv, shop.URL)

	x, err := srv.ApplyDiscountCode(id, "SUMMER")
	require.NoError(t, err)
	assert.Equal(t, dinterotest.ExpressDiscountCodes, x.Kind)
	assert.Equal(t, []string{"SUMMER"}, codes)
	assert.Nil(t, x.Correction)
	s, _ := srv.Session(id)
	assert.Equal(t, int64(24900), s.Order.Amount)
	assert.Equal(t, []string{"SUMMER"}, s.Order.DiscountCodes)
	assert.Equal(t, int64(5000), *s.Order.Items[0].DiscountLines[0].Amount)
	assert.Equal(t, dintero.SessionEventNameSETDISCOUNTCODES, *s.Events[len(s.Events)-1].Name)

	_, err = srv.ApplyDiscountCode(id, "EXTRA")
	require.NoError(t, err)
	assert.Equal(t, []string{"SUMMER", "EXTRA"}, codes, "codes accumulate")
}

func TestExpressCallbackFailures(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		status     int
		wantErr    string
	}{
		{"a 500", `{"shipping_options":[]}`, 500, "answered 500"},
		{"a 204", ``, 204, "answered 204"},
		{"a redirect, not followed", ``, 302, "answered 302"},
		{"not JSON", `<html>`, 200, "not JSON"},
		{"no shipping_options", `{"order":{"amount":29900}}`, 200, `"shipping_options" is required`},
		{"null shipping_options", `{"shipping_options":null}`, 200, `"shipping_options" is required`},
		{"an option without title", `{"shipping_options":[{"id":"a","line_id":"a","operator":"o","amount":1}]}`, 200, "are required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := dinterotest.NewServer()
			defer srv.Close()
			shop, _ := jsonAnswer(t, tt.status, tt.body)
			id := expressSession(t, srv, shop.URL)
			before, _ := srv.Session(id)
			x, err := srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO")})
			require.ErrorContains(t, err, tt.wantErr)
			require.NotNil(t, x)
			assert.Equal(t, tt.status, x.Status)
			assert.Nil(t, x.Answer)
			assert.Equal(t, x.Err, srv.ExpressExchanges()[0].Err)
			after, _ := srv.Session(id)
			assert.Equal(t, before, after, "a failed callback changes nothing")
		})
	}
}

func TestExpressCallbackPreconditions(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	plain := create(t, newClient(t, srv, creds), newSession("order-1"))
	_, err := srv.EnterShippingAddress(plain, dintero.OrderAddress{})
	assert.ErrorContains(t, err, "no express.shipping_address_callback_url")
	_, err = srv.ApplyDiscountCode(plain, "X")
	assert.ErrorContains(t, err, "no express.discount_codes.callback_url")
	_, err = srv.EnterShippingAddress("T12345678.unknown", dintero.OrderAddress{})
	assert.ErrorContains(t, err, "no session")
	assert.Empty(t, srv.ExpressExchanges(), "nothing was sent")

	shop, posted := jsonAnswer(t, http.StatusOK, `{"shipping_options":[]}`)
	paid := expressSession(t, srv, shop.URL)
	_, err = srv.CompletePayment(paid)
	require.NoError(t, err)
	_, err = srv.EnterShippingAddress(paid, dintero.OrderAddress{})
	assert.ErrorContains(t, err, "is paid")
	assert.ErrorContains(t, srv.ChooseShippingOption(paid, "x"), "is paid")
	assert.Empty(t, *posted)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
