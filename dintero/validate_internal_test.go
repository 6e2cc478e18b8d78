package dintero

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// A request without problems is checked without allocating: the check runs before every create
// and update (BenchmarkCreateSession measures the whole call).
func TestCheckRequestOfAValidRequestDoesNotAllocate(t *testing.T) {
	addr := &OrderAddress{
		FirstName: Ptr("Kari"), AddressLine: Ptr("Storgata 1"), PostalCode: Ptr("0155"), Country: Ptr("NO"),
		Email: Ptr("kari@example.no"), PhoneNumber: Ptr("+4799999999"),
	}
	req := SessionCreateRequest{
		URL: SessionURLs{
			ReturnURL:   "https://shop.example/return",
			CallbackURL: Ptr("https://shop.example/callback?method=POST"),
		},
		Customer: &SessionCustomer{Email: Ptr("kari@example.no"), PhoneNumber: Ptr("+4799999999")},
		Order: Order{
			Amount: 52900, Currency: "NOK", MerchantReference: "order-1", VATAmount: Ptr(int64(10580)),
			ShippingAddress: addr, BillingAddress: addr,
			Items: []OrderItem{
				{LineID: Ptr("1"), Quantity: Ptr(1.0), Amount: Ptr(int64(39900)), VAT: Ptr(25.0), ThumbnailURL: Ptr("https://cdn.example/1.jpg")},
				{LineID: Ptr("2"), Quantity: Ptr(2.0), Amount: Ptr(int64(13000)), VAT: Ptr(25.0)},
			},
			ShippingOption: &ShippingOption{ID: "p", LineID: "p-1", Amount: 0, Operator: "Posten", Title: "Pick-up"},
		},
		ExpiresAt:     Ptr(time.Now().Add(24 * time.Hour)),
		Configuration: SessionConfiguration{ActivePaymentTypes: &ActivePaymentTypes{Enabled: Ptr(true)}},
		Metadata:      map[string]any{"ext_shop": "web", "ext_items": 2},
	}
	var req2 any = &req
	toggles := []FeatureToggle{FeatureToggleStrictSessionAmounts}
	if err := checkRequest("CreateSession", req2, toggles); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		if err := checkRequest("CreateSession", req2, toggles); err != nil {
			t.Fatal(err)
		}
	}); allocs != 0 {
		t.Errorf("checkRequest allocates %v times for a valid request", allocs)
	}
}

func BenchmarkCheckRequest(b *testing.B) {
	addr := &OrderAddress{
		FirstName: Ptr("Kari"), LastName: Ptr("Nordmann"), AddressLine: Ptr("Storgata 1"),
		PostalCode: Ptr("0155"), PostalPlace: Ptr("Oslo"), Country: Ptr("NO"),
		Email: Ptr("kari.nordmann@example.no"), PhoneNumber: Ptr("+4799999999"),
	}
	item := func(id, line string, qty float64, amount int64) OrderItem {
		return OrderItem{
			ID: Ptr(id), LineID: Ptr(line), Description: Ptr("Item " + id), Type: Ptr(OrderItemTypePhysical),
			Quantity: Ptr(qty), Amount: Ptr(amount), VAT: Ptr(25.0), VATAmount: Ptr(amount / 5),
			ThumbnailURL: Ptr("https://cdn.shop.example/img/" + id + ".jpg"),
		}
	}
	var req any = &SessionCreateRequest{
		URL: SessionURLs{
			ReturnURL:        "https://shop.example/checkout/return?order=order-000001",
			CallbackURL:      Ptr("https://shop.example/api/dintero/callback?method=POST&order=order-000001"),
			MerchantTermsURL: Ptr("https://shop.example/terms"),
		},
		Customer: &SessionCustomer{Email: Ptr("kari.nordmann@example.no"), PhoneNumber: Ptr("+4799999999")},
		Order: Order{
			Amount: 52900, Currency: "NOK", MerchantReference: "order-000001", VATAmount: Ptr(int64(10580)),
			ShippingAddress: addr, BillingAddress: addr,
			Items:          []OrderItem{item("sku-1001", "1", 1, 39900), item("sku-2002", "2", 2, 9000), item("gift-wrap", "3", 1, 4000)},
			ShippingOption: &ShippingOption{ID: "posten", LineID: "posten-1", Operator: "Posten", Title: "Servicepakke"},
		},
		Configuration: SessionConfiguration{ActivePaymentTypes: &ActivePaymentTypes{Enabled: Ptr(true)}},
		Metadata:      map[string]any{"shop_session": "sess-1", "campaign": "black-friday", "cart_weight": 0.65},
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := checkRequest("CreateSession", req, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPlansReadEveryRuledField: the walk reads each field through an access chosen from its type
// (accessOf). Every field that has a rule, or generated structs below it, must have an access
// that the walk reads, or its rules would be skipped without a word. A new shape of field in the
// generated types fails here until accessOf and the walk learn it.
func TestPlansReadEveryRuledField(t *testing.T) {
	ruled := map[access]bool{
		accString: true, accStringPtr: true, accInt64: true, accInt64Ptr: true, accInt: true, accIntPtr: true,
		accFloat64: true, accFloat64Ptr: true, accTime: true, accTimePtr: true, accStringSlice: true,
		accStructSlice: true, accSlice: true, accMapAny: true,
	}
	holding := map[access]bool{accStructPtr: true, accStruct: true, accStructSlice: true}
	seen := map[*plan]bool{}
	fields := 0
	var visit func(where string, p *plan)
	visit = func(where string, p *plan) {
		if seen[p] {
			return
		}
		seen[p] = true
		for _, f := range p.fields {
			fields++
			if f.rule != nil && !ruled[f.access] {
				t.Errorf("%s.%s (%v) has a rule the walk cannot read", where, f.name, f.typ)
			}
			if f.below != nil {
				if !holding[f.access] {
					t.Errorf("%s.%s (%v) holds generated structs the walk cannot reach", where, f.name, f.typ)
				}
				visit(where+"."+f.name, f.below)
			}
		}
	}
	for _, r := range []any{SessionCreateRequest{}, SessionProfileCreateRequest{}, PaymentTokenSessionRequest{}, SessionUpdateRequest{}, Session{}} {
		typ := reflect.TypeOf(r)
		visit(typ.Name(), planOf(typ))
	}
	if fields < 200 {
		t.Errorf("only %d planned fields: the walk lost its rules", fields)
	}
}

// FuzzCheckRequest: whatever a request holds, the check never panics, and its two passes agree:
// the fast pass finds a problem exactly when the collecting pass names at least one.
func FuzzCheckRequest(f *testing.F) {
	for _, seed := range []string{
		`{"url":{"return_url":"https://shop.example/r"},"order":{"amount":100,"currency":"NOK","merchant_reference":"a"},"configuration":{}}`,
		`{"url":{"return_url":"not a url"},"order":{"amount":-100,"currency":"KRONER","merchant_reference":"","items":[{"line_id":"","quantity":0,"vat":125}]},"configuration":{"channel":"in_app"},"expires_at":"2001-01-01T00:00:00Z","metadata":{"a":true,"b":1,"c":"x"}}`,
		`{"order":{"shipping_option":{"shipments":[{"shipment_items":[{"line_id":"1","quantity":-1}]}]}},"checkboxes":[{},{},{}],"express":{"customer_types":["b2x"]}}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict bool) {
		var req SessionCreateRequest
		if json.Unmarshal(data, &req) != nil {
			return
		}
		var toggles []FeatureToggle
		if strict {
			toggles = []FeatureToggle{FeatureToggleStrictSessionAmounts}
		}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		fast := checker{now: now}
		full := checker{now: now, collect: true}
		fastOK, fullOK := fast.request(&req, toggles), full.request(&req, toggles)
		if fastOK != fullOK || fullOK != (len(full.problems) == 0) {
			t.Fatalf("fast pass %v, collecting pass %v with %d problems: %+v", fastOK, fullOK, len(full.problems), full.problems)
		}
		for _, p := range full.problems {
			if p.Rule == "" || p.Message == "" {
				t.Fatalf("problem without a rule or message: %+v", p)
			}
		}
	})
}
