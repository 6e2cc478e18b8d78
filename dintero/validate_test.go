package dintero_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// validCart is a create request that breaks no rule: every rule test below changes one thing.
func validCart() dintero.SessionCreateRequest {
	addr := &dintero.OrderAddress{
		FirstName: dintero.Ptr("Kari"), AddressLine: dintero.Ptr("Storgata 1"), PostalCode: dintero.Ptr("0155"),
		PostalPlace: dintero.Ptr("Oslo"), Country: dintero.Ptr("NO"), Email: dintero.Ptr("kari@example.no"),
		PhoneNumber: dintero.Ptr("+4799999999"),
	}
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{
			ReturnURL:   "https://shop.example/return",
			CallbackURL: dintero.Ptr("https://shop.example/callback?method=POST"),
		},
		Customer: &dintero.SessionCustomer{Email: dintero.Ptr("kari@example.no"), PhoneNumber: dintero.Ptr("+4799999999")},
		Order: dintero.Order{
			Amount: 12900, Currency: "NOK", MerchantReference: "order-1", VATAmount: dintero.Ptr(int64(2580)),
			ShippingAddress: addr, BillingAddress: addr,
			Items: []dintero.OrderItem{
				{LineID: dintero.Ptr("1"), Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(int64(9900)), VAT: dintero.Ptr(25.0)},
				{LineID: dintero.Ptr("2"), Quantity: dintero.Ptr(1.5), Amount: dintero.Ptr(int64(3000)), VAT: dintero.Ptr(12.5)},
			},
		},
		ExpiresAt: dintero.Ptr(time.Now().Add(24 * time.Hour)),
		Configuration: dintero.SessionConfiguration{
			DinteroPSP: &dintero.DinteroPSPConfiguration{Creditcard: &dintero.DinteroPSPCreditcardConfiguration{Enabled: true}},
		},
		Metadata: map[string]any{"ext_shop": "web", "ext_items": 2},
	}
}

func ruleClient(t *testing.T) (*dinterotest.Server, *dintero.Client) {
	t.Helper()
	srv := dinterotest.NewServer()
	t.Cleanup(srv.Close)
	c, err := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(srv.URL))
	require.NoError(t, err)
	return srv, c
}

// requireRefused asserts that err refuses the request before sending it, with exactly the
// problems want (path → rule), and returns the error.
func requireRefused(t *testing.T, err error, want map[string]string) *dintero.InvalidRequestError {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, dintero.ErrInvalidInput)
	var invalid *dintero.InvalidRequestError
	require.ErrorAs(t, err, &invalid)
	got := map[string]string{}
	for _, p := range invalid.Problems {
		assert.NotContains(t, got, p.Path, "one problem per path here")
		got[p.Path] = p.Rule
		assert.Contains(t, err.Error(), p.Path+" "+p.Message, "the error names every problem")
	}
	assert.Equal(t, want, got)
	return invalid
}

func TestCreateSessionRefusesEachRuleBreach(t *testing.T) {
	past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		change func(*dintero.SessionCreateRequest)
		path   string
		rule   string
	}{
		{"currency not ISO 4217", func(r *dintero.SessionCreateRequest) { r.Order.Currency = "KRONER" },
			"order.currency", "format iso4217-code"},
		{"currency in lower case", func(r *dintero.SessionCreateRequest) { r.Order.Currency = "nok" },
			"order.currency", "format iso4217-code"},
		{"negative amount", func(r *dintero.SessionCreateRequest) { r.Order.Amount = -100 },
			"order.amount", "minimum 0"},
		{"negative VAT amount", func(r *dintero.SessionCreateRequest) { r.Order.VATAmount = dintero.Ptr(int64(-1)) },
			"order.vat_amount", "minimum 0"},
		{"negative line amount", func(r *dintero.SessionCreateRequest) { r.Order.Items[1].Amount = dintero.Ptr(int64(-3000)) },
			"order.items[1].amount", "minimum 0"},
		{"VAT above 100", func(r *dintero.SessionCreateRequest) { r.Order.Items[0].VAT = dintero.Ptr(125.0) },
			"order.items[0].vat", "maximum 100"},
		{"VAT below 0", func(r *dintero.SessionCreateRequest) { r.Order.Items[0].VAT = dintero.Ptr(-25.0) },
			"order.items[0].vat", "minimum 0"},
		{"quantity 0", func(r *dintero.SessionCreateRequest) { r.Order.Items[0].Quantity = dintero.Ptr(0.0) },
			"order.items[0].quantity", "exclusiveMinimum 0"},
		{"negative quantity", func(r *dintero.SessionCreateRequest) { r.Order.Items[1].Quantity = dintero.Ptr(-1.0) },
			"order.items[1].quantity", "exclusiveMinimum 0"},
		{"quantity not a number", func(r *dintero.SessionCreateRequest) { r.Order.Items[1].Quantity = dintero.Ptr(math.NaN()) },
			"order.items[1].quantity", "number"},
		{"empty line id", func(r *dintero.SessionCreateRequest) { r.Order.Items[1].LineID = dintero.Ptr("") },
			"order.items[1].line_id", "minLength 1"},
		{"return URL not a URL", func(r *dintero.SessionCreateRequest) { r.URL.ReturnURL = "not a url" },
			"url.return_url", "format uri"},
		{"relative return URL", func(r *dintero.SessionCreateRequest) { r.URL.ReturnURL = "/checkout/return" },
			"url.return_url", "format uri"},
		{"app return URL outside in_app", func(r *dintero.SessionCreateRequest) { r.URL.ReturnURL = "shopapp://return" },
			"url.return_url", "http(s) URL"},
		{"callback URL not http(s)", func(r *dintero.SessionCreateRequest) { r.URL.CallbackURL = dintero.Ptr("ftp://shop.example/cb") },
			"url.callback_url", "format http-url"},
		{"callback URL without host", func(r *dintero.SessionCreateRequest) { r.URL.CallbackURL = dintero.Ptr("https:///cb") },
			"url.callback_url", "format http-url"},
		{"expiry in the past", func(r *dintero.SessionCreateRequest) { r.ExpiresAt = &past },
			"expires_at", "future"},
		{"customer e-mail", func(r *dintero.SessionCreateRequest) { r.Customer.Email = dintero.Ptr("kari(at)example.no") },
			"customer.email", "format email"},
		{"customer phone", func(r *dintero.SessionCreateRequest) { r.Customer.PhoneNumber = dintero.Ptr("call me") },
			"customer.phone_number", "format phone"},
		{"address country", func(r *dintero.SessionCreateRequest) {
			r.Order.ShippingAddress = &dintero.OrderAddress{Country: dintero.Ptr("Norway")}
		}, "order.shipping_address.country", "format iso3166-alpha2"},
		{"required field empty", func(r *dintero.SessionCreateRequest) { r.Order.MerchantReference = "" },
			"order.merchant_reference", "required"},
		{"too many checkboxes", func(r *dintero.SessionCreateRequest) {
			box := dintero.Checkbox{ID: "c", Label: "Newsletter"}
			r.Checkboxes = []dintero.Checkbox{box, box, box}
		}, "checkboxes", "maxItems 2"},
		{"checkbox label too short", func(r *dintero.SessionCreateRequest) {
			r.Checkboxes = []dintero.Checkbox{{ID: "c", Label: "x"}}
		}, "checkboxes[0].label", "minLength 2"},
		{"too many metadata keys", func(r *dintero.SessionCreateRequest) {
			for i := range 11 {
				r.Metadata["ext_"+string(rune('a'+i))] = "v"
			}
		}, "metadata", "maxProperties 10"},
		{"metadata value neither string nor number", func(r *dintero.SessionCreateRequest) { r.Metadata["ext_flag"] = true },
			"metadata.ext_flag", "value types"},
		{"closed enum", func(r *dintero.SessionCreateRequest) {
			r.Express = &dintero.SessionExpress{ShippingOptions: []dintero.ShippingOption{}, ShippingMode: dintero.Ptr(dintero.SessionExpressShippingMode("sometimes"))}
		}, "express.shipping_mode", "enum"},
		{"closed enum in a list", func(r *dintero.SessionCreateRequest) {
			r.Express = &dintero.SessionExpress{ShippingOptions: []dintero.ShippingOption{}, CustomerTypes: []dintero.CustomerType{"b2c", "b2x"}}
		}, "express.customer_types[1]", "enum"},
		{"express callback URL", func(r *dintero.SessionCreateRequest) {
			r.Express = &dintero.SessionExpress{ShippingOptions: []dintero.ShippingOption{}, ShippingAddressCallbackURL: dintero.Ptr("localhost/cb")}
		}, "express.shipping_address_callback_url", "format http-url"},
		{"shipping thumbnail URL", func(r *dintero.SessionCreateRequest) {
			r.Order.ShippingOption = &dintero.ShippingOption{ID: "p", LineID: "p-1", Operator: "Posten", Title: "Pick-up", ThumbnailURL: dintero.Ptr("thumb.png")}
		}, "order.shipping_option.thumbnail_url", "format uri"},
		{"store MCC", func(r *dintero.SessionCreateRequest) {
			r.Order.Store = &dintero.Store{ID: "s1", MCC: dintero.Ptr("54a1")}
		},
			"order.store.mcc", "format iso-18245"},
		{"multi-shipment quantity", func(r *dintero.SessionCreateRequest) {
			r.Order.ShippingOption = &dintero.ShippingOption{ID: "m", LineID: "m-1", Operator: "Several", Title: "Two shipments",
				Shipments: []dintero.ShippingOption{
					{ID: "a", LineID: "a-1", Operator: "Posten", Title: "A", ShipmentItems: []dintero.ShipmentItem{{LineID: "1", Quantity: dintero.Ptr(1.0)}}},
					{ID: "b", LineID: "b-1", Operator: "Bring", Title: "B", ShipmentItems: []dintero.ShipmentItem{{LineID: "2", Quantity: dintero.Ptr(0.0)}}},
				}}
		}, "order.shipping_option.shipments[1].shipment_items[0].quantity", "exclusiveMinimum 0"},
		{"SCA limit currency", func(r *dintero.SessionCreateRequest) {
			r.Configuration.DinteroPSP.Creditcard.SCAPolicy = &dintero.SCAPolicy{LiabilityRules: []dintero.SCALiabilityRule{{
				Type: dintero.SCALiabilityRuleTypeAmountLte, Enabled: true, IssuerCountries: []string{"NO"},
				Limit: []dintero.SCAAmountLimit{{Amount: 50000, Currency: "kr"}},
			}}}
		}, "configuration.dintero_psp.creditcard.sca_policy.liability_rules[0].limit[0].currency", "format iso4217-code"},
	}
	srv, c := ruleClient(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := validCart()
			tc.change(&req)
			_, err := c.CreateSession(context.Background(), req)
			invalid := requireRefused(t, err, map[string]string{tc.path: tc.rule})
			assert.Equal(t, "CreateSession", invalid.Operation)
		})
	}
	assert.Zero(t, srv.Calls(dinterotest.OpCreateSession), "nothing was sent")

	// The fake refuses the same requests sent past the client, with Dintero's 400 naming the same
	// place (as a JSON pointer), and creates nothing.
	// Why the fake does not refuse a request the client refuses.
	clientOnly := map[string]string{
		"quantity not a number": "JSON cannot carry NaN: encoding/json refuses to encode it",
		"required field empty":  "the document's required asks for the key only; the client also refuses an empty string",
	}
	for _, tc := range cases {
		if clientOnly[tc.name] != "" {
			continue
		}
		t.Run("fake/"+tc.name, func(t *testing.T) {
			req := validCart()
			tc.change(&req)
			status, msg := postRaw(t, srv, req)
			assert.Equal(t, http.StatusBadRequest, status)
			pointer := "/" + strings.NewReplacer(".", "/", "[", "/", "]", "").Replace(tc.path)
			assert.Contains(t, msg, pointer)
		})
	}
	list, err := c.ListSessions(context.Background())
	require.NoError(t, err)
	assert.Empty(t, list, "the fake created nothing")

	// The valid cart itself passes, and is created.
	_, err = c.CreateSession(context.Background(), validCart())
	require.NoError(t, err)
}

// postRaw sends req to the fake's POST /sessions as JSON, past the client's checks, and returns
// the status and the error message of the answer.
func postRaw(t *testing.T, srv *dinterotest.Server, req dintero.SessionCreateRequest) (int, string) {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	r, err := http.NewRequest(http.MethodPost, srv.URL+"/sessions", bytes.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("x-api-key", dinterotest.DefaultAPIKey)
	resp, err := srv.HTTPServer().Client().Do(r)
	require.NoError(t, err)
	defer resp.Body.Close()
	var answer struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&answer)
	return resp.StatusCode, answer.Error.Message
}

// An app-switch return URL is what the in_app channel is for.
func TestAppReturnURLNeedsTheInAppChannel(t *testing.T) {
	_, c := ruleClient(t)
	req := validCart()
	req.URL.ReturnURL = "shopapp://checkout/return"
	req.Configuration.Channel = dintero.Ptr(dintero.SessionConfigurationChannelInApp)
	_, err := c.CreateSession(context.Background(), req)
	require.NoError(t, err)

	token := dintero.PaymentTokenSessionRequest{
		Session: dintero.PaymentTokenSession{
			Order: dintero.PaymentTokenOrder{Currency: "NOK", MerchantReference: "save-card"},
			URL:   dintero.SessionURLs{ReturnURL: "shopapp://cards"},
		},
		TokenProvider: dintero.TokenProvider{PaymentProductType: "payex.creditcard", TokenTypes: []dintero.TokenType{dintero.TokenTypePaymentToken}},
	}
	_, err = c.CreatePaymentTokenSession(context.Background(), token)
	requireRefused(t, err, map[string]string{"session.url.return_url": "http(s) URL"})
	assert.Contains(t, err.Error(), "session.configuration.channel in_app")

	token.Session.Configuration = &dintero.PaymentTokenSessionConfiguration{Channel: dintero.Ptr(dintero.PaymentTokenSessionConfigurationChannelInApp)}
	_, err = c.CreatePaymentTokenSession(context.Background(), token)
	require.NoError(t, err)

	token.TokenProvider.TokenTypes = []dintero.TokenType{"card_on_file"}
	token.Session.Order.Currency = "Kr"
	_, err = c.CreatePaymentTokenSession(context.Background(), token)
	requireRefused(t, err, map[string]string{
		"session.order.currency":        "format iso4217-code",
		"token_provider.token_types[0]": "enum",
	})
}

// Every problem of a request is named at once, not only the first.
func TestAllProblemsOfARequestAreNamed(t *testing.T) {
	srv, c := ruleClient(t)
	req := validCart()
	req.Order.Currency = "KRONER"
	req.Order.Amount = -100
	req.URL.ReturnURL = "not a url"
	req.Order.Items[1].VAT = dintero.Ptr(200.0)
	req.Order.Items[0].LineID = dintero.Ptr("")
	_, err := c.CreateSession(context.Background(), req)
	invalid := requireRefused(t, err, map[string]string{
		"url.return_url":         "format uri",
		"order.amount":           "minimum 0",
		"order.currency":         "format iso4217-code",
		"order.items[0].line_id": "minLength 1",
		"order.items[1].vat":     "maximum 100",
	})
	assert.Len(t, invalid.Problems, 5)
	assert.Equal(t, "dintero: invalid input: CreateSession: order.amount is -100, below the minimum 0; order.currency is not "+
		"an ISO 4217 currency code (three upper-case letters, e.g. NOK); order.items[0].line_id is empty; order.items[1].vat is "+
		"200, above the maximum 100; url.return_url is not a URI: it contains a space or a control character",
		err.Error(), "in the order of the generated fields")
	assert.NotContains(t, err.Error(), "KRONER", "string values of the request are not repeated")
	assert.Zero(t, srv.Calls(dinterotest.OpCreateSession))
}

// Updates are checked the same way; with the feature toggle strict-session-amounts the order
// amount must also equal its items plus the shipping option, as Dintero then requires.
func TestUpdateSessionRules(t *testing.T) {
	srv, c := ruleClient(t)
	const id = dinterotest.DefaultAccountID + ".abc"
	update := dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{
		Amount: dintero.Ptr(int64(15000)), Currency: dintero.Ptr("nok"),
		Items:          []dintero.OrderItem{{LineID: dintero.Ptr("1"), Amount: dintero.Ptr(int64(9900)), Quantity: dintero.Ptr(1.0)}},
		ShippingOption: &dintero.ShippingOption{ID: "p", LineID: "p-1", Amount: 4900, Operator: "Posten", Title: "Pick-up"},
	}}
	_, err := c.UpdateSession(context.Background(), id, update, dintero.FeatureToggles(dintero.FeatureToggleStrictSessionAmounts))
	invalid := requireRefused(t, err, map[string]string{
		"order.currency": "format iso4217-code",
		"order.amount":   "strict-session-amounts",
	})
	assert.Equal(t, "UpdateSession", invalid.Operation)
	assert.Contains(t, err.Error(), "order.amount is 15000, but the items and the shipping option add up to 14800")

	// Without the toggle Dintero takes the amount as given; a partial payment may be less.
	update.Order.Currency = dintero.Ptr("NOK")
	_, err = c.UpdateSession(context.Background(), id, update)
	assert.NotErrorIs(t, err, dintero.ErrInvalidInput)
	update.Order.Amount = dintero.Ptr(int64(14800))
	_, err = c.UpdateSession(context.Background(), id, update, dintero.FeatureToggles(dintero.FeatureToggleStrictSessionAmounts))
	assert.NotErrorIs(t, err, dintero.ErrInvalidInput)
	assert.Equal(t, 2, srv.Calls(dinterotest.OpUpdateSession), "only the two valid updates were sent")
}

func TestStrictAmountsOnCreate(t *testing.T) {
	_, c := ruleClient(t)
	strict := dintero.FeatureToggles(dintero.FeatureToggleStrictSessionAmounts)
	req := validCart()
	req.Order.Amount = 12899
	_, err := c.CreateSession(context.Background(), req, strict)
	requireRefused(t, err, map[string]string{"order.amount": "strict-session-amounts"})

	req.Order.PartialPayment = dintero.Ptr(true)
	_, err = c.CreateSession(context.Background(), req, strict)
	require.NoError(t, err, "a partial payment may be less than its items")

	_, err = c.CreateSession(context.Background(), validCart(), strict)
	require.NoError(t, err)
}

// A problem message never carries a string of the request, which may be personal data or a
// secret; only its path, the rule and numbers.
func TestProblemsDoNotRepeatStrings(t *testing.T) {
	_, c := ruleClient(t)
	req := validCart()
	req.Customer.Email = dintero.Ptr("secret-person@@example.no")
	req.Customer.PhoneNumber = dintero.Ptr("+47 secret 99")
	_, err := c.CreateSession(context.Background(), req)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
	assert.ErrorIs(t, err, dintero.ErrInvalidInput)
	assert.NotContains(t, err.Error(), "@@")
}
