package dintero_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
)

// Every 2026 session field round-trips through the typed models: testdata/session-2026.json is a
// session as Dintero returns it in 2026 (Vipps and wallet express, multi-shipment, marketplace
// stores, the in-app channel, Dintero PSP with its token settings, Kravia, Two, Seitatech), and
// decoding and re-encoding it gives back the same JSON. encoding/json drops what no field holds,
// so a field the models lack fails the comparison.
func TestSession2026RoundTrips(t *testing.T) {
	raw, err := os.ReadFile("testdata/session-2026.json")
	require.NoError(t, err)
	var s dintero.Session
	require.NoError(t, json.Unmarshal(raw, &s))
	out, err := json.Marshal(s)
	require.NoError(t, err)
	assert.JSONEq(t, string(raw), string(out))

	// Event details keep unknown keys in a map: every key of the fixture must have its own field.
	for _, e := range s.Events {
		if e.Details != nil {
			assert.Empty(t, e.Details.AdditionalProperties, "event %s: keys without a typed field", e.GetID())
		}
	}

	// The new fields are typed fields, not leftovers.
	so := s.Order.ShippingOption
	require.Len(t, so.Shipments, 2)
	assert.Equal(t, "shipment-1", so.Shipments[0].GetShipmentID())
	assert.Equal(t, "1", so.Shipments[0].ShipmentItems[0].LineID)
	assert.Equal(t, []int{1, 3}, so.Shipments[0].ETA.WorkingDays)
	assert.Equal(t, "Europe/Oslo", so.Shipments[0].PickUpAddress.OpeningHours.GetTimezone())
	assert.Equal(t, "settlement-ref-0001", s.Order.GetEventReference())
	assert.Equal(t, "PD_seller-1", s.Order.Items[0].Store.GetPayoutDestinationID())
	assert.InDelta(t, 12.5, s.Order.Items[1].GetVAT(), 0)
	assert.InDelta(t, 1.5, s.Order.Items[1].GetQuantity(), 0)
	assert.Equal(t, dintero.ShippingPayInStoreTypeFull, s.Express.ShippingOptions[1].PayInStore.Type)
	assert.Equal(t, []dintero.CustomerType{dintero.CustomerTypeB2B}, s.Express.DefaultDifferentBillingShippingAddress)

	c := s.Configuration
	assert.Equal(t, dintero.SessionConfigurationChannelInApp, c.GetChannel())
	assert.True(t, c.GetAllowExpressWalletPayment())
	assert.Equal(t, []dintero.TokenAuthMethod{dintero.TokenAuthMethodPasskey, dintero.TokenAuthMethodThreeDS},
		c.DinteroPSP.GetCreditcard().TokenSupportedAuthMethods)
	assert.Equal(t, int64(50000), c.DinteroPSP.Creditcard.SCAPolicy.LiabilityRules[0].Limit[0].Amount)
	assert.Equal(t, "Get invoice", c.Dintero.External.Display.ButtonLabel)
	assert.Equal(t, dintero.InvoiceDeliveryMethodMerchant, c.Kravia.InvoiceB2C.GetInvoiceDeliveryMethod())
	assert.Equal(t, dintero.TwoInvoiceConfigurationDurationDaysThirtyDays, c.Two.InvoiceB2B.GetDurationDays())
	assert.True(t, c.Seitatech.InPerson.Enabled)
	assert.True(t, c.Swish.Swish.GetPayoutEnabled())
	assert.Equal(t, "8px", c.Theme.GetCardRadius())
	assert.Equal(t, "NO", c.Merchant.GetCountry())
	assert.Equal(t, dintero.PublishMessageTypeTerminal, c.Publish[0].Type)
	assert.Equal(t, "2134a260d196b1d65e59b259dc43f619d7f0f3c6", s.Customer.Tokens.DinteroPSPCreditcard.GetPaymentTokenID())

	assert.Equal(t, "vipps-pay-123", s.Events[3].Details.GetVippsPaymentID())
	assert.Equal(t, "te-42", s.Events[4].Details.GetTransactionEventID())
	assert.Equal(t, dintero.SessionEventUpdateResultStatusNOTMODIFIED, s.Events[1].Details.UpdatedOrderResult.GetStatus())
	assert.InDelta(t, 2, s.Metadata["ext_cart_items"], 0)
}

// The 2026 additions to the payment-token request round-trip too: the Dintero PSP token
// provider's authentication methods and the session's channel.
func TestPaymentTokenRequest2026RoundTrips(t *testing.T) {
	const raw = `{
		"session": {
			"order": {"currency": "NOK", "merchant_reference": "save-card-1", "store": {"id": "web", "payout_destination_id": "PD_web"}},
			"url": {"return_url": "shopapp://cards/saved"},
			"configuration": {"channel": "in_app", "theme": {"buttonRadius": "4px"}},
			"metadata": {"ext_customer": "cust-4711"}
		},
		"token_provider": {"payment_product_type": "payex.creditcard", "token_types": ["payment_token"], "token_supported_auth_methods": ["3DS"]}
	}`
	var req dintero.PaymentTokenSessionRequest
	require.NoError(t, json.Unmarshal([]byte(raw), &req))
	out, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, raw, string(out))
	assert.Equal(t, dintero.PaymentTokenSessionConfigurationChannelInApp, req.Session.Configuration.GetChannel())
	assert.Equal(t, []dintero.TokenAuthMethod{dintero.TokenAuthMethodThreeDS}, req.TokenProvider.TokenSupportedAuthMethods)
}
