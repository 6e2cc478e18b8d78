package dintero

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/internal/jsonnum"
)

// TestSessionAmountsWrittenAsFloats: Dintero's API description types gross_amount and the gift
// card's card_amount as `number`, so 100.0 or 1e2 must decode like 100 instead of failing the
// whole session.
func TestSessionAmountsWrittenAsFloats(t *testing.T) {
	const session = `{
		"id": "` + testSessionID + `",
		"created_at": "2026-11-21T12:00:00Z",
		"url": {"return_url": "https://shop.example/return"},
		"configuration": {},
		"order": {
			"amount": 6600, "currency": "NOK", "merchant_reference": "order-1", "vat_amount": 1100,
			"gross_amount": 100.0,
			"is_changed": true,
			"items": [{
				"id": "6", "line_id": "2", "description": "Vissvossafår", "quantity": 2,
				"amount": 6600, "vat": 20, "vat_amount": 1100,
				"eligible_for_discount": true, "is_changed": true,
				"gross_amount": 1e2,
				"discount_lines": [{"amount": 4400, "discount_type": "customer",
					"discount_id": "ed960ace-eb16-4e2e-ae52-b27647ccae8d", "description": "Vossafestpris", "line_id": 1}]
			}]
		},
		"events": [
			{"name": "INITIATED", "created_at": "2026-11-21T12:00:01Z"},
			{"name": "UPDATED", "created_at": "2026-11-21T12:00:02Z",
			 "details": {"updated_order": {"amount": 6600, "currency": "NOK", "merchant_reference": "order-1",
				"gross_amount": 1.00e+2}}},
			{"name": "AUTHORIZED", "created_at": "2026-11-21T12:00:03Z",
			 "details": {"gift_card": {"card_id": "gc-1", "card_amount": 5000.0,
				"masked_card_token": "****1234", "currency": "NOK"}}}
		]
	}`
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, session) })
	c := newTestClient(t, api.URL())

	s, err := c.GetSession(context.Background(), testSessionID)
	require.NoError(t, err)
	require.NotNil(t, s.Order.GrossAmount)
	assert.Equal(t, jsonnum.Int64(100), *s.Order.GrossAmount)
	require.Len(t, s.Order.Items, 1)
	require.NotNil(t, s.Order.Items[0].GrossAmount)
	assert.Equal(t, jsonnum.Int64(100), *s.Order.Items[0].GrossAmount)

	require.Len(t, s.Events, 3)
	require.NotNil(t, s.Events[1].Details)
	require.NotNil(t, s.Events[1].Details.UpdatedOrder)
	assert.Equal(t, jsonnum.Int64(100), *s.Events[1].Details.UpdatedOrder.GrossAmount)
	require.NotNil(t, s.Events[2].Details)
	require.NotNil(t, s.Events[2].Details.GiftCard)
	require.NotNil(t, s.Events[2].Details.GiftCard.CardAmount)
	assert.Equal(t, jsonnum.Int64(5000), *s.Events[2].Details.GiftCard.CardAmount)
	assert.Equal(t, int64(5000), int64(*s.Events[2].Details.GiftCard.CardAmount), "an int64 underneath")
}

// TestOrderGrossAmountIsSentAsInteger: the amount goes out as a plain JSON integer.
func TestOrderGrossAmountIsSentAsInteger(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, sessionJSON(testSessionID)) })
	c := newTestClient(t, api.URL())
	gross := jsonnum.Int64(10000)
	_, err := c.UpdateSession(context.Background(), testSessionID, SessionUpdateRequest{
		Order: OrderUpdate{Amount: Ptr(int64(6600)), Currency: Ptr("NOK"), GrossAmount: &gross},
	})
	require.NoError(t, err)
	reqs := api.recorded()
	require.NotEmpty(t, reqs)
	assert.JSONEq(t, `{"order":{"amount":6600,"currency":"NOK","gross_amount":10000}}`, reqs[len(reqs)-1].Body)
	assert.Contains(t, reqs[len(reqs)-1].Body, `"gross_amount":10000}`, "a plain integer")
}
