package dintero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// postedSession is what Dintero posts to the shipping-address callback: the session with the
// address the customer entered. Its order has one item of 10000 and a chosen shipping option of
// 4900, both at 25 % VAT. The address holds only country and postal code, as a one-click Apple
// Pay or Google Pay express checkout sends it.
const postedSession = `{
  "id": "T12345678.4XMDqv9GhFdvYfVeGvbEJH",
  "url": {"return_url": "https://shop.example/return"},
  "configuration": {},
  "customer": {"email": "kari@example.com"},
  "order": {
    "amount": 14900, "vat_amount": 2980, "currency": "NOK", "merchant_reference": "order-42",
    "items": [{"line_id": "1", "id": "sku-1", "amount": 10000, "vat": 25, "vat_amount": 2000, "quantity": 1}],
    "shipping_option": {"id": "home", "line_id": "home", "title": "Home", "operator": "Bring", "amount": 4900, "vat": 25, "vat_amount": 980},
    "shipping_address": {"country": "NO", "postal_code": "0150"}
  },
  "express": {"shipping_address_callback_url": "https://shop.example/dintero/shipping", "shipping_options": []}
}`

func homeAndPickUp() []ShippingOption {
	return []ShippingOption{
		{ID: "home", LineID: "home", Title: "Home", Operator: "Bring", Amount: 4900, VAT: Ptr(25.0), VATAmount: Ptr(int64(980))},
		{ID: "pick-up", LineID: "pick-up", Title: "Pick-up point", Operator: "Bring", Amount: 0},
	}
}

// logTo returns a logger writing JSON lines to buf.
func logTo(buf *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(buf, nil)) }

func postExpress(h http.Handler, method, target, body string, sign bool) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sign {
		r.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, r, time.Now()))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestExpressHandlerAnswers(t *testing.T) {
	var got *Session
	var logs bytes.Buffer
	h := &ExpressHandler{Logger: logTo(&logs), Answer: func(ctx context.Context, s *Session) (*ExpressAnswer, error) {
		got = s
		return &ExpressAnswer{ShippingOptions: homeAndPickUp()}, nil
	}}
	w := postExpress(h, http.MethodPost, "https://shop.example/dintero/shipping", postedSession, false)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.JSONEq(t, `{"shipping_options": [
		{"id": "home", "line_id": "home", "title": "Home", "operator": "Bring", "amount": 4900, "vat": 25, "vat_amount": 980},
		{"id": "pick-up", "line_id": "pick-up", "title": "Pick-up point", "operator": "Bring", "amount": 0}
	]}`, w.Body.String())
	assert.Empty(t, logs.String())

	// The address is passed on as it was posted: only country and postal code.
	require.NotNil(t, got)
	assert.Equal(t, &OrderAddress{Country: Ptr("NO"), PostalCode: Ptr("0150")}, got.Order.ShippingAddress)
	assert.Equal(t, "T12345678.4XMDqv9GhFdvYfVeGvbEJH", *got.ID)
}

func TestExpressHandlerCannotShip(t *testing.T) {
	for name, answer := range map[string]*ExpressAnswer{
		"nil options":   {},
		"empty options": {ShippingOptions: []ShippingOption{}},
	} {
		h := &ExpressHandler{Answer: func(context.Context, *Session) (*ExpressAnswer, error) { return answer, nil }}
		w := postExpress(h, http.MethodPost, "/shipping", postedSession, false)
		require.Equal(t, http.StatusOK, w.Code, name)
		assert.JSONEq(t, `{"shipping_options": []}`, w.Body.String(), name)
	}
}

func TestExpressHandlerOrder(t *testing.T) {
	// The discount-codes callback: the answer carries the discounted order.
	h := &ExpressHandler{Answer: func(ctx context.Context, s *Session) (*ExpressAnswer, error) {
		item := s.Order.Items[0]
		item.Amount, item.VATAmount = Ptr(int64(8000)), Ptr(int64(1600))
		item.DiscountLines = []DiscountItem{{Amount: Ptr(int64(2000)), Description: Ptr("SUMMER")}}
		order, err := NewExpressOrder(s, []OrderItem{item})
		if err != nil {
			return nil, err
		}
		return &ExpressAnswer{ShippingOptions: homeAndPickUp(), Order: order}, nil
	}}
	body := strings.Replace(postedSession, `"currency": "NOK",`, `"currency": "NOK", "discount_codes": ["SUMMER"],`, 1)
	w := postExpress(h, http.MethodPost, "/discounts", body, false)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var answer map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &answer))
	assert.JSONEq(t, `{"amount": 12900, "vat_amount": 2580, "currency": "NOK", "discount_codes": ["SUMMER"],
		"items": [{"line_id": "1", "id": "sku-1", "amount": 8000, "vat": 25, "vat_amount": 1600, "quantity": 1,
			"discount_lines": [{"amount": 2000, "description": "SUMMER"}]}]}`, string(answer["order"]))
}

func TestExpressHandlerRefusesACorrection(t *testing.T) {
	// The answered amount forgets the chosen shipping option (4900): Dintero would add a
	// correction line of 4900.
	forgetful := func(context.Context, *Session) (*ExpressAnswer, error) {
		return &ExpressAnswer{ShippingOptions: homeAndPickUp(), Order: &ExpressOrder{Amount: 10000}}, nil
	}
	var logs bytes.Buffer
	h := &ExpressHandler{Answer: forgetful, Logger: logTo(&logs)}
	w := postExpress(h, http.MethodPost, "/shipping", postedSession, false)
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.NotContains(t, w.Body.String(), "correction", "Dintero is not told the server's reasons")
	assert.Contains(t, logs.String(), "correction line of 4900")
	assert.Contains(t, logs.String(), `"level":"ERROR"`)
	assert.Contains(t, logs.String(), `"session_id":"T12345678.4XMDqv9GhFdvYfVeGvbEJH"`)
	assert.NotContains(t, logs.String(), "kari@example.com", "no customer data in the log")

	// AllowCorrection sends it as it is.
	h.AllowCorrection = true
	w = postExpress(h, http.MethodPost, "/shipping", postedSession, false)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), `"amount":10000`)
}

func TestExpressAnswerCheck(t *testing.T) {
	var posted Session
	require.NoError(t, json.Unmarshal([]byte(postedSession), &posted))
	partial := posted
	partial.Order.PartialPayment = Ptr(true)
	noShipping := posted
	noShipping.Order.ShippingOption = nil
	item := func(amount, vat int64) OrderItem {
		return OrderItem{LineID: Ptr("1"), Amount: Ptr(amount), VATAmount: Ptr(vat), Quantity: Ptr(1.0), VAT: Ptr(25.0)}
	}
	opts := homeAndPickUp
	tests := []struct {
		name    string
		posted  *Session
		answer  *ExpressAnswer
		wantErr string // "" means valid
	}{
		{name: "options only", answer: &ExpressAnswer{ShippingOptions: opts()}},
		{name: "cannot ship", answer: &ExpressAnswer{}},
		{name: "order adds up", answer: &ExpressAnswer{ShippingOptions: opts(), Order: &ExpressOrder{Amount: 14900, VATAmount: Ptr(int64(2980)), Items: []OrderItem{item(10000, 2000)}}}},
		{name: "order without items counts the posted ones", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 14900}}},
		{name: "order without a chosen shipping option", posted: &noShipping, answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 10000}}},
		{name: "amount misses the shipping option", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 10000}}, wantErr: "correction line of 4900"},
		{name: "amount too high", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 15000}}, wantErr: "correction line of -100"},
		{name: "VAT does not add up", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 14900, VATAmount: Ptr(int64(2000))}}, wantErr: "vat_amount 2000"},
		{name: "item without amount", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 4900, Items: []OrderItem{{LineID: Ptr("1")}}}}, wantErr: "no amount"},
		{name: "other currency", answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 14900, Currency: "SEK"}}, wantErr: "currency"},
		{name: "partial payment may be less", posted: &partial, answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 5000}}},
		{name: "partial payment is not more", posted: &partial, answer: &ExpressAnswer{Order: &ExpressOrder{Amount: 20000}}, wantErr: "partial payment"},
		{name: "option without title", answer: &ExpressAnswer{ShippingOptions: []ShippingOption{{ID: "a", LineID: "a", Operator: "o"}}}, wantErr: "required"},
		{name: "option with negative amount", answer: &ExpressAnswer{ShippingOptions: []ShippingOption{{ID: "a", LineID: "a", Operator: "o", Title: "t", Amount: -1}}}, wantErr: "negative"},
		{name: "two options, one line_id", answer: &ExpressAnswer{ShippingOptions: append(opts(), opts()[0])}, wantErr: "used by another option"},
		{name: "no answer", answer: nil, wantErr: "no answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.posted
			if p == nil {
				p = &posted
			}
			err := tt.answer.Check(p)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidAnswer)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
	assert.ErrorIs(t, (&ExpressAnswer{}).Check(nil), ErrInvalidAnswer)
}

func TestNewExpressOrder(t *testing.T) {
	var posted Session
	require.NoError(t, json.Unmarshal([]byte(postedSession), &posted))
	a, err := NewOrderItem(OrderLine{LineID: "1", UnitPrice: 4990, Quantity: 3, VATPercent: 25})
	require.NoError(t, err)
	b, err := NewOrderItem(OrderLine{LineID: "2", UnitPrice: 1000, Quantity: 1, VATPercent: 15})
	require.NoError(t, err)
	o, err := NewExpressOrder(&posted, []OrderItem{a, b})
	require.NoError(t, err)
	assert.Equal(t, int64(14970+1000+4900), o.Amount)
	assert.Equal(t, int64(2994+130+980), *o.VATAmount)
	assert.Equal(t, "NOK", o.Currency)
	require.NoError(t, (&ExpressAnswer{ShippingOptions: homeAndPickUp(), Order: o}).Check(&posted))

	_, err = NewExpressOrder(nil, nil)
	require.ErrorIs(t, err, ErrInvalidInput)
	_, err = NewExpressOrder(&posted, []OrderItem{{LineID: Ptr("x")}})
	require.ErrorIs(t, err, ErrInvalidInput)
}

// TestExpressHandlerRejections: every request the handler refuses, with its status, and that
// Answer is never called for them.
func TestExpressHandlerRejections(t *testing.T) {
	never := func(context.Context, *Session) (*ExpressAnswer, error) {
		t.Error("Answer called for a refused request")
		return nil, errors.New("unreachable")
	}
	verifier := &CallbackVerifier{AccountID: testAccount, Secret: testSecret}
	huge := `{"id":"` + strings.Repeat("x", MaxIncomingBody) + `"}`
	tests := []struct {
		name     string
		h        *ExpressHandler
		method   string
		body     string
		sign     bool
		header   string // a Dintero-Signature value instead of a good one
		status   int
		wantBody string
	}{
		{name: "GET", h: &ExpressHandler{Answer: never}, method: http.MethodGet, body: "", status: 405, wantBody: "method not allowed"},
		{name: "bad JSON", h: &ExpressHandler{Answer: never}, body: `{"order": {"amount": 1`, status: 400, wantBody: "not a session: the JSON ends early"},
		{name: "not a session", h: &ExpressHandler{Answer: never}, body: `{"order": {"amount": "a lot"}}`, status: 400, wantBody: "not a session"},
		{name: "JSON syntax error", h: &ExpressHandler{Answer: never}, body: `{"order": }`, status: 400, wantBody: "invalid JSON at byte"},
		{name: "empty body", h: &ExpressHandler{Answer: never}, body: "", status: 400, wantBody: "without a body"},
		{name: "oversized body", h: &ExpressHandler{Answer: never}, body: huge, status: 413},
		{name: "forged signature", h: &ExpressHandler{Answer: never, Verifier: verifier}, body: postedSession,
			header: "t=1714979289,v0-hmac-sha256=" + strings.Repeat("ab", 32), status: 401},
		{name: "unsigned when required", h: &ExpressHandler{Answer: never, Verifier: verifier, RequireSignature: true}, body: postedSession, status: 401},
		{name: "no Answer", h: &ExpressHandler{}, body: postedSession, status: 500},
		{name: "timeout of 60 s", h: &ExpressHandler{Answer: never, Timeout: time.Minute}, body: postedSession, status: 500},
		{name: "negative timeout", h: &ExpressHandler{Answer: never, Timeout: -time.Second}, body: postedSession, status: 500},
		{name: "RequireSignature without Verifier", h: &ExpressHandler{Answer: never, RequireSignature: true}, body: postedSession, sign: true, status: 500},
		{name: "misconfigured Verifier", h: &ExpressHandler{Answer: never, Verifier: &CallbackVerifier{AccountID: "T1", Secret: testSecret}}, body: postedSession, sign: true, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			tt.h.Logger = logTo(&logs)
			method := cmpOr(tt.method, http.MethodPost)
			r := httptest.NewRequest(method, "https://shop.example/dintero/shipping", strings.NewReader(tt.body))
			if tt.sign {
				r.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, r, time.Now()))
			}
			if tt.header != "" {
				r.Header.Set(SignatureHeader, tt.header)
			}
			w := httptest.NewRecorder()
			tt.h.ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.wantBody)
			assert.NotEmpty(t, logs.String(), "every refusal is logged")
			if tt.status == 405 {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			}
		})
	}
}

func TestExpressHandlerSignature(t *testing.T) {
	answer := func(context.Context, *Session) (*ExpressAnswer, error) {
		return &ExpressAnswer{ShippingOptions: homeAndPickUp()}, nil
	}
	verifier := &CallbackVerifier{AccountID: testAccount, Secret: testSecret}
	h := &ExpressHandler{Answer: answer, Verifier: verifier}
	assert.Equal(t, http.StatusOK, postExpress(h, http.MethodPost, "https://shop.example/shipping", postedSession, true).Code, "signed")
	assert.Equal(t, http.StatusOK, postExpress(h, http.MethodPost, "https://shop.example/shipping", postedSession, false).Code,
		"unsigned, not required: Dintero does not document signing express callbacks")
	h.RequireSignature = true
	assert.Equal(t, http.StatusOK, postExpress(h, http.MethodPost, "https://shop.example/shipping", postedSession, true).Code, "signed, required")

	// Mounted under a prefix over real HTTP, the signature of the public URL verifies.
	mux := http.NewServeMux()
	mux.Handle("/dintero/shipping", h)
	srv := httptest.NewServer(http.StripPrefix("/shop", mux))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/shop/dintero/shipping", strings.NewReader(postedSession))
	require.NoError(t, err)
	req.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, req, time.Now()))
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestExpressHandlerAnswerFails(t *testing.T) {
	for name, answer := range map[string]func(context.Context, *Session) (*ExpressAnswer, error){
		"error": func(context.Context, *Session) (*ExpressAnswer, error) {
			return nil, errors.New("carrier API down: token=abc")
		},
		"nil, nil": func(context.Context, *Session) (*ExpressAnswer, error) { return nil, nil },
		"invalid JSON": func(context.Context, *Session) (*ExpressAnswer, error) {
			return &ExpressAnswer{ShippingOptions: []ShippingOption{{ID: "a", LineID: "a", Title: "t", Operator: "o", Metadata: map[string]any{"f": func() {}}}}}, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &ExpressHandler{Answer: answer, Logger: logTo(&logs)}
			w := postExpress(h, http.MethodPost, "/shipping", postedSession, false)
			assert.Equal(t, http.StatusInternalServerError, w.Code)
			assert.Equal(t, "Internal Server Error\n", w.Body.String(), "nothing of the server's reasons")
			assert.Contains(t, logs.String(), `"level":"ERROR"`)
		})
	}
}

func TestExpressHandlerContextDeadline(t *testing.T) {
	for _, tt := range []struct {
		timeout, want time.Duration
	}{{0, DefaultExpressTimeout}, {5 * time.Second, 5 * time.Second}} {
		var remaining time.Duration
		var hadDeadline bool
		h := &ExpressHandler{Timeout: tt.timeout, Answer: func(ctx context.Context, _ *Session) (*ExpressAnswer, error) {
			var deadline time.Time
			deadline, hadDeadline = ctx.Deadline()
			remaining = time.Until(deadline)
			return &ExpressAnswer{}, nil
		}}
		require.Equal(t, http.StatusOK, postExpress(h, http.MethodPost, "/shipping", postedSession, false).Code)
		require.True(t, hadDeadline, "Answer's context has a deadline")
		assert.LessOrEqual(t, remaining, tt.want)
		assert.Greater(t, remaining, tt.want-10*time.Second, "the deadline is Timeout from the request, not earlier")
		assert.Less(t, remaining, ExpressCallbackTimeout)
	}
}

func TestExpressAnswerJSON(t *testing.T) {
	b, err := json.Marshal(ExpressAnswer{})
	require.NoError(t, err)
	assert.JSONEq(t, `{"shipping_options": []}`, string(b))
	b, err = json.Marshal(&ExpressAnswer{Order: &ExpressOrder{Amount: 0}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"shipping_options": [], "order": {"amount": 0}}`, string(b), "amount 0 is sent")
}
