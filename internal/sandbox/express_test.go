package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/sandbox"
)

// expressShop answers express callbacks with the SDK's ExpressHandler: two options for Norway,
// none elsewhere, and half the T-shirt's price for the code HALF.
func expressShop(t *testing.T) *httptest.Server {
	t.Helper()
	h := &dintero.ExpressHandler{Answer: func(ctx context.Context, s *dintero.Session) (*dintero.ExpressAnswer, error) {
		answer := &dintero.ExpressAnswer{ShippingOptions: []dintero.ShippingOption{}}
		if a := s.Order.ShippingAddress; a != nil && a.Country != nil && *a.Country == "NO" {
			answer.ShippingOptions = []dintero.ShippingOption{
				{ID: "bring", LineID: "bring-home", Title: "Home delivery", Operator: "Bring", Amount: 9900},
				{ID: "pickup", LineID: "pickup-point", Title: "Pick-up point", Operator: "Posten", Amount: 0},
			}
		}
		for _, code := range s.Order.DiscountCodes {
			if code != "HALF" {
				return nil, errors.New("unknown discount code")
			}
		}
		if slices.Contains(s.Order.DiscountCodes, "HALF") {
			items := slices.Clone(s.Order.Items)
			for i := range items {
				if items[i].GetID() == "tshirt" {
					items[i].Amount, items[i].VATAmount = dintero.Ptr(int64(14950)), dintero.Ptr(int64(2990))
				}
			}
			order, err := dintero.NewExpressOrder(s, items)
			if err != nil {
				return nil, err
			}
			answer.Order = order
		}
		return answer, nil
	}}
	shop := httptest.NewServer(h)
	t.Cleanup(shop.Close)
	return shop
}

// form posts a form as the page's own (same-origin) form does.
func form(t *testing.T, u string, values url.Values) answer {
	t.Helper()
	return send(t, http.MethodPost, u, values.Encode(), "Content-Type: application/x-www-form-urlencoded", "Sec-Fetch-Site: same-origin")
}

// The checkout page sends the shipping address and discount codes to the shop's express
// callbacks, shows the options it answers, and keeps the choice.
func TestExpressCheckout(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	shop := expressShop(t)
	c := client(t, sb)
	req := order(m, "order-express", "")
	req.Express = &dintero.SessionExpress{
		ShippingAddressCallbackURL: dintero.Ptr(shop.URL + "/shipping"),
		DiscountCodes:              &dintero.ExpressDiscountCodes{CallbackURL: dintero.Ptr(shop.URL + "/discounts")},
		ShippingOptions:            []dintero.ShippingOption{},
	}
	id, checkoutURL := createSession(t, c, req)

	page := send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, `id="send-address"`)
	assert.Contains(t, page.body, `id="apply-code"`)
	assert.NotContains(t, page.body, `id="shipping-options"`)

	a := form(t, checkoutURL+"/express/shipping-address", url.Values{
		"first_name": {"Kari"}, "last_name": {"Nordmann"}, "address_line": {"Karl Johans gate 1"},
		"postal_code": {"0154"}, "postal_place": {"Oslo"}, "country": {"NO"},
	})
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	assert.Equal(t, "/v1/view/"+id, a.header.Get("Location"))
	page = send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, `id="shipping-options"`)
	assert.Contains(t, page.body, "Home delivery (Bring): 99.00")
	assert.Contains(t, page.body, "Pick-up point (Posten): 0.00")
	assert.Contains(t, page.body, `value="Karl Johans gate 1"`)
	sess := must(c.GetSession(context.Background(), id))
	assert.Equal(t, "Kari", sess.Order.ShippingAddress.GetFirstName())

	a = form(t, checkoutURL+"/express/shipping-option", url.Values{"line_id": {"bring-home"}})
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	sess = must(c.GetSession(context.Background(), id))
	assert.Equal(t, "bring", sess.Order.ShippingOption.ID)
	assert.Equal(t, int64(39700+9900), sess.Order.Amount)
	page = send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, "496.00 NOK")
	assert.Contains(t, page.body, `value="bring-home" checked`)

	a = form(t, checkoutURL+"/express/discount-code", url.Values{"code": {"HALF"}})
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	sess = must(c.GetSession(context.Background(), id))
	assert.Equal(t, []string{"HALF"}, sess.Order.DiscountCodes)
	assert.Equal(t, int64(14950+9800+9900), sess.Order.Amount)
	page = send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, "346.50 NOK")
	assert.Contains(t, page.body, `<code>HALF</code>`)

	// The shop's refusal is shown, and nothing changes.
	a = form(t, checkoutURL+"/express/discount-code", url.Values{"code": {"BOGUS"}})
	assert.Equal(t, http.StatusBadGateway, a.status)
	assert.Contains(t, a.body, `id="notice"`)
	assert.Contains(t, a.body, "That did not work")
	assert.Equal(t, []string{"HALF"}, must(c.GetSession(context.Background(), id)).Order.DiscountCodes)

	// No shipping to Sweden.
	a = form(t, checkoutURL+"/express/shipping-address", url.Values{"country": {"SE"}, "postal_code": {"11122"}})
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	assert.Contains(t, send(t, http.MethodGet, checkoutURL, "").body, `id="no-shipping"`)

	// The express callbacks are in the delivery log, named.
	var kinds []string
	for _, d := range sb.State().Deliveries {
		kinds = append(kinds, d.Kind)
		assert.Equal(t, id, d.SessionID)
	}
	assert.Equal(t, []string{"express shipping_address", "express discount_codes", "express discount_codes", "express shipping_address"}, kinds)

	// Paying still works, at the discounted amount and the chosen shipping.
	a = send(t, http.MethodPost, checkoutURL+"/pay", "")
	require.Equal(t, http.StatusSeeOther, a.status, a.body)
	require.NoError(t, m.next(t).verified)
}

func TestExpressFormErrors(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	id, checkoutURL := createSession(t, client(t, sb), order(m, "order-no-express", ""))
	page := send(t, http.MethodGet, checkoutURL, "")
	assert.NotContains(t, page.body, `id="express"`, "no express callbacks, no express section")

	for step, want := range map[string]int{
		"shipping-address": http.StatusBadGateway, // the session has no express callback URL
		"shipping-option":  http.StatusBadGateway, // and no options
		"discount-code":    http.StatusBadRequest, // no code entered
		"gift-card":        http.StatusNotFound,
	} {
		a := form(t, checkoutURL+"/express/"+step, url.Values{})
		assert.Equal(t, want, a.status, step)
	}
	a := form(t, sb.DinteroURL()+"/view/T12345678.unknown/express/discount-code", url.Values{"code": {"X"}})
	assert.Equal(t, http.StatusNotFound, a.status)
	a = send(t, http.MethodPost, checkoutURL+"/express/discount-code", "code="+strings.Repeat("x", 20<<10),
		"Content-Type: application/x-www-form-urlencoded")
	assert.Equal(t, http.StatusBadRequest, a.status, "a form over 16 KiB")
	a = send(t, http.MethodPost, checkoutURL+"/express/discount-code", "code=X",
		"Content-Type: application/x-www-form-urlencoded", "Sec-Fetch-Site: cross-site")
	assert.Equal(t, http.StatusForbidden, a.status)
	assert.Nil(t, must(client(t, sb).GetSession(context.Background(), id)).Order.DiscountCodes)
}
