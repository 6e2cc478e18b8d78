package dinterotest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

const hookSecret = "webhook-secret-value"

// TestSignWebhook checks SignWebhook against a signature computed independently:
// printf '%s' '{"event":"ping"}' | openssl dgst -sha1 -hmac 'webhook-secret-value'
func TestSignWebhook(t *testing.T) {
	assert.Equal(t, "d7c8d937f73a7e55a2213b3745c5151b57a6458b", dinterotest.SignWebhook(hookSecret, []byte(`{"event":"ping"}`)))
}

func TestDeliverWebhook(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	m := newMerchant(t)
	id, tx := paidSession(t, srv, "https://shop.example/cb")
	_, err := srv.Subscribe(m.srv.URL+"/hooks", hookSecret, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)

	ds, err := srv.DeliverWebhook(context.Background(), id, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)
	require.Len(t, ds, 1)
	d := ds[0]
	assert.True(t, d.Delivered)
	assert.Equal(t, dinterotest.KindWebhook, d.Kind)
	assert.Equal(t, dintero.WebhookEventCheckoutTransaction, d.Event)
	assert.Equal(t, http.MethodPost, d.Method)

	got := m.got()
	require.Len(t, got, 1)
	r := got[0].req
	assert.Equal(t, dintero.WebhookEventCheckoutTransaction, r.Header.Get("event"))
	assert.Equal(t, d.ID, r.Header.Get("event-delivery"))
	assert.Equal(t, dinterotest.SignWebhook(hookSecret, []byte(got[0].body)), r.Header.Get("event-signature"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(got[0].body), &body))
	assert.Equal(t, map[string]any{
		"account_id": dinterotest.DefaultAccountID, "event": "checkout_transaction", "event_delivery": d.ID,
		"transaction": map[string]any{
			"id": tx, "session_id": id, "merchant_reference": "order-42", "status": "AUTHORIZED",
			"created_at": "2025-03-14T09:26:53Z", "updated_at": "2025-03-14T09:26:53Z",
		},
	}, body)

	ev, err := dintero.WebhookVerifier{Secret: hookSecret}.Parse(r)
	require.NoError(t, err)
	assert.Equal(t, tx, ev.Transaction.ID)
	assert.Equal(t, d.ID, ev.DeliveryID)
}

func TestDeliverWebhookRetries(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	m := newMerchant(t, 500, 301, 404, 204)
	id, _ := paidSession(t, srv, "https://shop.example/cb")
	_, err := srv.Subscribe(m.srv.URL+"/hooks", hookSecret)
	require.NoError(t, err)
	ds, err := srv.DeliverWebhook(context.Background(), id, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)
	require.Len(t, ds[0].Attempts, 4, "every failure is retried, a redirect (not followed) and a 4xx too")
	assert.True(t, ds[0].Delivered)
	bodies := map[string]bool{}
	for _, r := range m.got() {
		bodies[r.body] = true
		assert.Equal(t, ds[0].ID, r.req.Header.Get("event-delivery"))
	}
	assert.Len(t, bodies, 1, "every attempt sends the same body")

	// Always failing: Dintero gives up after its retries.
	m2 := newMerchant(t, repeat(503, dinterotest.MaxWebhookAttempts)...)
	srv2 := dinterotest.NewServer()
	defer srv2.Close()
	id2, _ := paidSession(t, srv2, "https://shop.example/cb")
	_, err = srv2.Subscribe(m2.srv.URL+"/hooks", hookSecret)
	require.NoError(t, err)
	ds, err = srv2.DeliverWebhook(context.Background(), id2, dintero.WebhookEventCheckoutTransaction)
	require.Error(t, err)
	assert.Len(t, ds[0].Attempts, dinterotest.MaxWebhookAttempts)
	assert.False(t, ds[0].Delivered)
}

func TestDeliverWebhookSubscriptions(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	id, _ := paidSession(t, srv, "https://shop.example/cb")
	_, err := srv.DeliverWebhook(context.Background(), id, dintero.WebhookEventCheckoutTransaction)
	assert.ErrorContains(t, err, "no webhook subscription")

	authorizations := newMerchant(t)
	everything := newMerchant(t)
	unsigned := newMerchant(t)
	for _, sub := range []struct {
		url, secret string
		events      []string
	}{
		{authorizations.srv.URL, hookSecret, []string{dintero.WebhookEventCheckoutAuthorization}},
		{everything.srv.URL, hookSecret, nil},
		{unsigned.srv.URL, "", []string{dintero.WebhookEventCheckoutTransaction}},
	} {
		_, err := srv.Subscribe(sub.url, sub.secret, sub.events...)
		require.NoError(t, err)
	}
	ds, err := srv.DeliverWebhook(context.Background(), id, dintero.WebhookEventCheckoutTransaction)
	require.NoError(t, err)
	assert.Len(t, ds, 2)
	assert.Empty(t, authorizations.got())
	assert.Len(t, everything.got(), 1)
	require.Len(t, unsigned.got(), 1)
	assert.Empty(t, unsigned.got()[0].req.Header.Get("event-signature"), "a subscription without secret is not signed")

	_, err = srv.Subscribe("/relative", hookSecret)
	assert.Error(t, err)
	_, err = srv.Subscribe("ftp://shop.example/x", hookSecret)
	assert.Error(t, err)
	_, err = srv.DeliverWebhook(context.Background(), "T12345678.unknown", dintero.WebhookEventCheckoutTransaction)
	assert.ErrorContains(t, err, "no session")
}
