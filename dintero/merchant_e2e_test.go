package dintero_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// TestE2EMerchantServer plays a whole express checkout against the shop of the README
// (example_merchant_test.go), with a POSTed callback, lost answers for both the callback and the
// webhook, and checks what reached the shop's handlers: each event verified, typed, and acted on
// once.
func TestE2EMerchantServer(t *testing.T) {
	const callbackSecret, webhookSecret = "e2e-callback-secret", "e2e-webhook-secret"
	srv, c := e2eSetup(t, dinterotest.WithCallbackSecret(callbackSecret))
	shop := &Shop{
		Callbacks: dintero.CallbackVerifier{AccountID: e2eAccount, Secret: callbackSecret},
		Webhooks:  dintero.WebhookVerifier{Secret: webhookSecret},
	}
	// Around the shop's handler, a recorder of what Parse returned on each request.
	var mu sync.Mutex
	var callbacks []*dintero.Callback
	var webhooks []*dintero.WebhookEvent
	inner := shop.Handler()
	mux := http.NewServeMux()
	mux.Handle("/", inner)
	mux.HandleFunc("/dintero/callback", func(w http.ResponseWriter, r *http.Request) {
		cb, err := shop.Callbacks.Parse(r)
		if !assert.NoError(t, err) { // not require: this is the server's goroutine
			return
		}
		mu.Lock()
		callbacks = append(callbacks, cb)
		mu.Unlock()
		inner.ServeHTTP(w, r) // the body is still readable for the shop's own Parse
	})
	mux.HandleFunc("/dintero/webhook", func(w http.ResponseWriter, r *http.Request) {
		ev, err := shop.Webhooks.Parse(r)
		if !assert.NoError(t, err) {
			return
		}
		mu.Lock()
		webhooks = append(webhooks, ev)
		mu.Unlock()
		inner.ServeHTTP(w, r)
	})
	shopSrv := httptest.NewServer(http.StripPrefix("/shop", mux))
	defer shopSrv.Close()

	ctx := context.Background()
	item, err := dintero.NewOrderItem(dintero.OrderLine{LineID: "1", UnitPrice: 19900, Quantity: 1, VATPercent: 25})
	require.NoError(t, err)
	order := dintero.Order{Currency: "NOK", MerchantReference: "order-e2e", Items: []dintero.OrderItem{item}}
	require.NoError(t, dintero.SetOrderTotals(&order))
	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return", CallbackURL: dintero.Ptr(shopSrv.URL + "/shop/dintero/callback?method=POST")},
		Order: order,
		Express: &dintero.SessionExpress{
			ShippingAddressCallbackURL: dintero.Ptr(shopSrv.URL + "/shop/dintero/shipping"),
			ShippingOptions:            []dintero.ShippingOption{},
		},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	require.NoError(t, err)
	id := *created.ID

	// Abroad: the shop cannot ship there.
	x, err := srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("SE"), PostalCode: dintero.Ptr("11122")})
	require.NoError(t, err)
	assert.Empty(t, x.Answer.ShippingOptions)
	assert.JSONEq(t, `{"shipping_options":[]}`, string(x.Received))

	x, err = srv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("0150")})
	require.NoError(t, err)
	require.Len(t, x.Answer.ShippingOptions, 2)
	require.NoError(t, srv.ChooseShippingOption(id, "home"))
	tx, err := srv.CompletePayment(id)
	require.NoError(t, err)

	srv.DropDeliveryAnswers(2)
	d, err := srv.DeliverCallback(ctx, id)
	require.NoError(t, err)
	assert.Len(t, d.Attempts, 3)
	_, err = srv.Subscribe(shopSrv.URL+"/shop/dintero/webhook", webhookSecret, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)
	srv.DropDeliveryAnswers(1)
	ds, err := srv.DeliverWebhook(ctx, id, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)
	assert.Len(t, ds[0].Attempts, 2)

	// Three callbacks and two webhooks arrived, all the same event...
	require.Len(t, callbacks, 3)
	for _, cb := range callbacks {
		assert.Equal(t, tx, cb.TransactionID)
		assert.Equal(t, id, cb.SessionID)
		assert.Equal(t, "order-e2e", cb.MerchantReference)
		assert.Equal(t, http.MethodPost, cb.Method)
		assert.Equal(t, d.ID, cb.DeliveryID)
		require.NotNil(t, cb.Transaction)
		assert.Equal(t, dintero.MinorUnits(19900+4900), cb.Transaction.Amount)
		assert.Equal(t, callbacks[0].IdempotencyKey(), cb.IdempotencyKey())
	}
	require.Len(t, webhooks, 2)
	for _, ev := range webhooks {
		assert.Equal(t, dintero.WebhookEventCheckoutTransaction, ev.Event)
		assert.Equal(t, e2eAccount, ev.AccountID)
		assert.Equal(t, tx, ev.Transaction.ID)
		assert.Equal(t, "AUTHORIZED", ev.Transaction.Status)
		assert.Equal(t, webhooks[0].IdempotencyKey(), ev.IdempotencyKey())
	}
	// ...and the shop acted on each once.
	assert.Equal(t, []string{
		"order order-e2e paid (callback)",
		"order order-e2e: transaction AUTHORIZED (webhook)",
	}, shop.Log)

	paid, ok := srv.Session(id)
	require.True(t, ok)
	assert.Equal(t, int64(19900+4900), paid.Order.Amount)
	assert.Len(t, paid.Order.Items, 1, "the shop's answers never needed a correction line")
}
