package dintero_test

import (
	"context"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/jsonnum"
)

func TestNewOrderItem(t *testing.T) {
	tests := []struct {
		name      string
		line      dintero.OrderLine
		amount    int64
		vatAmount int64
		withID    bool
		withDescr bool
	}{
		{name: "3 × NOK 99.90 at 25 %", line: dintero.OrderLine{LineID: "1", ID: "sku-1", Description: "T-shirt",
			UnitPrice: 9990, Quantity: 3, VATPercent: 25}, amount: 29970, vatAmount: 5994, withID: true, withDescr: true},
		{name: "2 × NOK 49.90 at the 15 % food rate", line: dintero.OrderLine{LineID: "2", UnitPrice: 4990, Quantity: 2,
			VATPercent: 15}, amount: 9980, vatAmount: 1302}, // 1301.739…
		{name: "NOK 129.00 at 12 %", line: dintero.OrderLine{LineID: "3", UnitPrice: 12900, Quantity: 1, VATPercent: 12},
			amount: 12900, vatAmount: 1382}, // 1382.142…
		{name: "0 %", line: dintero.OrderLine{LineID: "4", UnitPrice: 10000, Quantity: 1, VATPercent: 0},
			amount: 10000, vatAmount: 0},
		{name: "12.5 %", line: dintero.OrderLine{LineID: "5", UnitPrice: 1000, Quantity: 1, VATPercent: 12.5},
			amount: 1000, vatAmount: 111}, // 111.11…
		{name: "two decimals of VAT", line: dintero.OrderLine{LineID: "6", UnitPrice: 10000, Quantity: 1, VATPercent: 14.1},
			amount: 10000, vatAmount: 1236}, // 1235.758…
		{name: "by weight: 0.333 kg × NOK 129.90/kg at 15 %", line: dintero.OrderLine{LineID: "7", UnitPrice: 12990,
			Quantity: 0.333, VATPercent: 15}, amount: 4326, vatAmount: 564}, // 4325.67, 564.26…
		{name: "an amount of exactly half rounds up", line: dintero.OrderLine{LineID: "8", UnitPrice: 5, Quantity: 0.5,
			VATPercent: 0}, amount: 3, vatAmount: 0},
		{name: "VAT of exactly half rounds up (banker's rounding would give 0)", line: dintero.OrderLine{LineID: "9",
			UnitPrice: 3, Quantity: 1, VATPercent: 20}, amount: 3, vatAmount: 1},
		{name: "VAT of 2.5 rounds to 3 (banker's rounding would give 2)", line: dintero.OrderLine{LineID: "10",
			UnitPrice: 15, Quantity: 1, VATPercent: 20}, amount: 15, vatAmount: 3},
		{name: "1.15 × 10 is 11.5 and rounds to 12 (in float64 it is 11.4999…)", line: dintero.OrderLine{LineID: "11",
			UnitPrice: 10, Quantity: 1.15, VATPercent: 25}, amount: 12, vatAmount: 2}, // 2.4
		{name: "free", line: dintero.OrderLine{LineID: "12", UnitPrice: 0, Quantity: 2, VATPercent: 25},
			amount: 0, vatAmount: 0},
		{name: "100 %", line: dintero.OrderLine{LineID: "13", UnitPrice: 1, Quantity: 1, VATPercent: 100},
			amount: 1, vatAmount: 1}, // 0.5
		{name: "a large line", line: dintero.OrderLine{LineID: "14", UnitPrice: math.MaxInt64 / 4, Quantity: 4, VATPercent: 25},
			amount: math.MaxInt64 - 3, vatAmount: 1844674407370955161}, // 1844674407370955160.8
		{name: "the largest amount", line: dintero.OrderLine{LineID: "15", UnitPrice: math.MaxInt64, Quantity: 1, VATPercent: 0},
			amount: math.MaxInt64, vatAmount: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item, err := dintero.NewOrderItem(tt.line)
			require.NoError(t, err)
			require.NotNil(t, item.Amount)
			require.NotNil(t, item.VATAmount)
			assert.Equal(t, tt.amount, *item.Amount, "amount")
			assert.Equal(t, tt.vatAmount, *item.VATAmount, "vat_amount")
			assert.Equal(t, tt.line.LineID, *item.LineID)
			assert.Equal(t, tt.line.Quantity, *item.Quantity)
			assert.Equal(t, tt.line.VATPercent, *item.VAT)
			if tt.withID {
				assert.Equal(t, tt.line.ID, *item.ID)
			} else {
				assert.Nil(t, item.ID, "an empty ID is left out")
			}
			if tt.withDescr {
				assert.Equal(t, tt.line.Description, *item.Description)
			} else {
				assert.Nil(t, item.Description, "an empty Description is left out")
			}
		})
	}
}

func TestNewOrderItemRefuses(t *testing.T) {
	ok := dintero.OrderLine{LineID: "1", UnitPrice: 100, Quantity: 1, VATPercent: 25}
	tests := []struct {
		name   string
		change func(*dintero.OrderLine)
		why    string
	}{
		{"no line id", func(l *dintero.OrderLine) { l.LineID = "" }, "LineID is required"},
		{"negative unit price", func(l *dintero.OrderLine) { l.UnitPrice = -1 }, "negative"},
		{"zero quantity", func(l *dintero.OrderLine) { l.Quantity = 0 }, "not a finite number more than 0"},
		{"negative quantity", func(l *dintero.OrderLine) { l.Quantity = -1 }, "not a finite number more than 0"},
		{"NaN quantity", func(l *dintero.OrderLine) { l.Quantity = math.NaN() }, "not a finite number more than 0"},
		{"infinite quantity", func(l *dintero.OrderLine) { l.Quantity = math.Inf(1) }, "not a finite number more than 0"},
		{"negative VAT", func(l *dintero.OrderLine) { l.VATPercent = -0.01 }, "outside 0..100"},
		{"VAT over 100", func(l *dintero.OrderLine) { l.VATPercent = 100.01 }, "outside 0..100"},
		{"NaN VAT", func(l *dintero.OrderLine) { l.VATPercent = math.NaN() }, "outside 0..100"},
		{"infinite VAT", func(l *dintero.OrderLine) { l.VATPercent = math.Inf(1) }, "outside 0..100"},
		{"VAT as a fraction with too many decimals", func(l *dintero.OrderLine) { l.VATPercent = 0.125 }, "two decimals"},
		{"VAT with three decimals", func(l *dintero.OrderLine) { l.VATPercent = 12.345 }, "two decimals"},
		{"amount out of range", func(l *dintero.OrderLine) { l.UnitPrice, l.Quantity = math.MaxInt64, 2 }, "out of range"},
		{"amount just out of range", func(l *dintero.OrderLine) { l.UnitPrice, l.Quantity = math.MaxInt64, 1.0000000000000002 }, "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ok
			tt.change(&l)
			item, err := dintero.NewOrderItem(l)
			require.ErrorIs(t, err, dintero.ErrInvalidInput)
			assert.Contains(t, err.Error(), tt.why)
			assert.Equal(t, dintero.OrderItem{}, item)
		})
	}
}

func TestIncludedVAT(t *testing.T) {
	tests := []struct {
		amount int64
		vat    float64
		want   int64
	}{
		{29970, 25, 5994},
		{12500, 25, 2500},
		{9980, 15, 1302},
		{3, 20, 1},
		{-3, 20, -1}, // half away from zero for a credit too
		{-29970, 25, -5994},
		{2, 20, 0},
		{0, 25, 0},
		{10000, 0, 0},
		{math.MaxInt64, 100, math.MaxInt64/2 + 1},
		{math.MinInt64, 100, math.MinInt64 / 2},
	}
	for _, tt := range tests {
		got, err := dintero.IncludedVAT(tt.amount, tt.vat)
		require.NoError(t, err)
		assert.Equal(t, tt.want, got, "%d at %v %%", tt.amount, tt.vat)
	}
	for _, vat := range []float64{-1, 101, math.NaN(), 25.001} {
		got, err := dintero.IncludedVAT(100, vat)
		assert.ErrorIs(t, err, dintero.ErrInvalidInput, "%v", vat)
		assert.Zero(t, got)
	}
}

// TestLineVATRoundingBound: each line's VAT is the exact VAT rounded to the nearest minor unit,
// so the VAT of n lines at one rate differs from the exact VAT of their sum by at most n/2.
func TestLineVATRoundingBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rates := []float64{0, 6, 10, 12, 12.5, 14.1, 15, 20, 21, 25, 25.5}
	for range 2000 {
		rate := rates[rng.IntN(len(rates))]
		r := big.NewRat(int64(math.Round(rate*100)), 100) // the rate as the decimal it is written as
		share := new(big.Rat).Quo(r, new(big.Rat).Add(big.NewRat(100, 1), r))
		n := 1 + rng.IntN(20)
		var sumVAT int64
		exactSum := new(big.Rat)
		for i := range n {
			item, err := dintero.NewOrderItem(dintero.OrderLine{
				LineID:     string(rune('a' + i)),
				UnitPrice:  rng.Int64N(10_000_000),
				Quantity:   float64(1 + rng.IntN(10)),
				VATPercent: rate,
			})
			require.NoError(t, err)
			exact := new(big.Rat).Mul(big.NewRat(*item.Amount, 1), share)
			diff := new(big.Rat).Sub(big.NewRat(*item.VATAmount, 1), exact)
			require.LessOrEqual(t, new(big.Rat).Abs(diff).Cmp(big.NewRat(1, 2)), 0,
				"line VAT %d is not the nearest integer to %s", *item.VATAmount, exact.FloatString(4))
			require.LessOrEqual(t, *item.VATAmount, *item.Amount, "VAT never exceeds the amount")
			sumVAT += *item.VATAmount
			exactSum.Add(exactSum, exact)
		}
		diff := new(big.Rat).Sub(big.NewRat(sumVAT, 1), exactSum)
		require.LessOrEqual(t, new(big.Rat).Abs(diff).Cmp(big.NewRat(int64(n), 2)), 0,
			"%d lines at %v %%: the sum of line VAT %d is more than %d/2 away from %s", n, rate, sumVAT, n, exactSum.FloatString(4))
	}
}

func lineWith(amount int64, vat *int64) dintero.OrderItem {
	return dintero.OrderItem{LineID: dintero.Ptr("1"), Amount: dintero.Ptr(amount), VATAmount: vat}
}

func TestOrderTotals(t *testing.T) {
	items := []dintero.OrderItem{lineWith(29970, dintero.Ptr(int64(5994))), lineWith(9980, dintero.Ptr(int64(1302))), lineWith(500, nil)}
	shipping := &dintero.ShippingOption{ID: "bring", LineID: "ship-1", Operator: "Bring", Title: "Standard",
		Amount: 4900, VATAmount: dintero.Ptr(int64(980))}

	amount, vat, err := dintero.OrderTotals(items, shipping)
	require.NoError(t, err)
	assert.Equal(t, int64(29970+9980+500+4900), amount)
	assert.Equal(t, int64(5994+1302+980), vat, "a missing vat_amount counts as 0")

	amount, vat, err = dintero.OrderTotals(items, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(29970+9980+500), amount)
	assert.Equal(t, int64(5994+1302), vat)

	amount, vat, err = dintero.OrderTotals(nil, nil)
	require.NoError(t, err)
	assert.Zero(t, amount)
	assert.Zero(t, vat)

	amount, vat, err = dintero.OrderTotals([]dintero.OrderItem{lineWith(10000, dintero.Ptr(int64(2000))), lineWith(-2500, dintero.Ptr(int64(-500)))}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(7500), amount, "a negative line (a credit) counts")
	assert.Equal(t, int64(1500), vat)
}

func TestOrderTotalsRefuses(t *testing.T) {
	tests := []struct {
		name     string
		items    []dintero.OrderItem
		shipping *dintero.ShippingOption
		why      string
	}{
		{"an item without an amount", []dintero.OrderItem{lineWith(100, nil), {LineID: dintero.Ptr("2")}}, nil, "items[1] has no amount"},
		{"amounts that overflow", []dintero.OrderItem{lineWith(math.MaxInt64, nil), lineWith(1, nil)}, nil, "overflows at items[1]"},
		{"amounts that underflow", []dintero.OrderItem{lineWith(math.MinInt64, nil), lineWith(-1, nil)}, nil, "overflows at items[1]"},
		{"VAT that overflows", []dintero.OrderItem{lineWith(1, dintero.Ptr(int64(math.MaxInt64))), lineWith(1, dintero.Ptr(int64(1)))}, nil,
			"overflows at items[1]"},
		{"shipping that overflows", []dintero.OrderItem{lineWith(math.MaxInt64, nil)}, &dintero.ShippingOption{Amount: 1},
			"overflows at the shipping option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			amount, vat, err := dintero.OrderTotals(tt.items, tt.shipping)
			require.ErrorIs(t, err, dintero.ErrInvalidInput)
			assert.Contains(t, err.Error(), tt.why)
			assert.Zero(t, amount)
			assert.Zero(t, vat)
		})
	}
}

func TestSetOrderTotals(t *testing.T) {
	o := dintero.Order{Currency: "NOK", MerchantReference: "order-1", Amount: 1,
		Items:          []dintero.OrderItem{lineWith(29970, dintero.Ptr(int64(5994)))},
		ShippingOption: &dintero.ShippingOption{Amount: 4900, VATAmount: dintero.Ptr(int64(980))},
	}
	require.NoError(t, dintero.SetOrderTotals(&o))
	assert.Equal(t, int64(34870), o.Amount)
	require.NotNil(t, o.VATAmount)
	assert.Equal(t, int64(6974), *o.VATAmount)

	bad := dintero.Order{Amount: 1, VATAmount: dintero.Ptr(int64(2)), Items: []dintero.OrderItem{{LineID: dintero.Ptr("1")}}}
	require.ErrorIs(t, dintero.SetOrderTotals(&bad), dintero.ErrInvalidInput)
	assert.Equal(t, int64(1), bad.Amount, "unchanged on an error")
	assert.Equal(t, int64(2), *bad.VATAmount, "unchanged on an error")

	assert.ErrorIs(t, dintero.SetOrderTotals(nil), dintero.ErrInvalidInput)
}

// orderWithEveryField returns an order in which every field is set, so that a field the
// conversion forgets shows up as zero.
func orderWithEveryField(t *testing.T) dintero.Order {
	t.Helper()
	var o dintero.Order
	v := reflect.ValueOf(&o).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			fillNonZero(f.Elem())
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
			fillNonZero(f.Index(0))
		default:
			fillNonZero(f)
		}
		require.False(t, f.IsZero(), "Order.%s is still zero: teach fillNonZero its type", v.Type().Field(i).Name)
	}
	return o
}

// fillNonZero gives v a non-zero value of its kind (structs: their first settable field).
func fillNonZero(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64:
		v.SetInt(7)
	case reflect.Float64:
		v.SetFloat(7)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() && v.Field(i).Kind() == reflect.String {
				v.Field(i).SetString("x")
				return
			}
		}
		for i := range v.NumField() {
			if v.Field(i).CanSet() && v.Field(i).Kind() == reflect.Pointer {
				v.Field(i).Set(reflect.New(v.Field(i).Type().Elem()))
				return
			}
		}
	}
}

// TestOrderUpdateFromCopiesEveryField: every field of OrderUpdate is filled from an Order that
// has all its fields, except the ones Dintero computes; so a field added to both in the API
// description is not silently dropped.
func TestOrderUpdateFromCopiesEveryField(t *testing.T) {
	readOnly := map[string]bool{"GrossAmount": true, "IsChanged": true}
	u := dintero.OrderUpdateFrom(orderWithEveryField(t))
	v := reflect.ValueOf(u)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if readOnly[name] {
			assert.True(t, v.Field(i).IsZero(), "OrderUpdate.%s is computed by Dintero and must not be sent", name)
			continue
		}
		assert.False(t, v.Field(i).IsZero(), "OrderUpdateFrom does not copy OrderUpdate.%s", name)
	}
}

func TestOrderUpdateFrom(t *testing.T) {
	gross := jsonnum.Int64(12000)
	o := dintero.Order{
		Amount: 29970, Currency: "NOK", MerchantReference: "order-1", VATAmount: dintero.Ptr(int64(5994)),
		GrossAmount: &gross, IsChanged: dintero.Ptr(true),
		Items: []dintero.OrderItem{{LineID: dintero.Ptr("1"), Amount: dintero.Ptr(int64(29970)), GrossAmount: &gross,
			Version: dintero.Ptr(2.0), IsChanged: dintero.Ptr(true)}},
	}
	u := dintero.OrderUpdateFrom(o)
	assert.Equal(t, int64(29970), *u.Amount)
	assert.Equal(t, "NOK", *u.Currency)
	assert.Nil(t, u.GrossAmount)
	assert.Nil(t, u.IsChanged)
	require.Len(t, u.Items, 1)
	assert.Nil(t, u.Items[0].GrossAmount, "computed by Dintero")
	assert.Nil(t, u.Items[0].Version, "computed by Dintero")
	assert.True(t, *u.Items[0].IsChanged, "writable on an item")
	assert.Equal(t, &gross, o.Items[0].GrossAmount, "the order's items are not changed")
	assert.NotNil(t, o.Items[0].Version, "the order's items are not changed")

	assert.Nil(t, dintero.OrderUpdateFrom(dintero.Order{}).Items, "no items stay no items")
}

// TestOrderUpdateFromSessionRoundTrip: an order read from a session, with the fields Dintero
// computes (gross_amount, is_changed, an item's version), changed with the helpers and sent
// back, is accepted by the fake (which refuses read-only fields in requests, as the API
// description says) and stored as sent.
func TestOrderUpdateFromSessionRoundTrip(t *testing.T) {
	srv, c := e2eSetup(t)
	ctx := context.Background()
	gross := jsonnum.Int64(12000)
	seeded := srv.AddSession(dintero.Session{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 10000, Currency: "NOK", MerchantReference: "order-round-trip", VATAmount: dintero.Ptr(int64(2000)),
			GrossAmount: &gross, IsChanged: dintero.Ptr(true),
			Items: []dintero.OrderItem{{LineID: dintero.Ptr("1"), Description: dintero.Ptr("Shirt"), Quantity: dintero.Ptr(1.0),
				Amount: dintero.Ptr(int64(10000)), VAT: dintero.Ptr(25.0), VATAmount: dintero.Ptr(int64(2000)),
				GrossAmount: &gross, IsChanged: dintero.Ptr(true), Version: dintero.Ptr(1.0)}},
		},
	})
	id := *seeded.ID

	s, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, s.Order.Items[0].Version, "the session has the computed fields")
	line, err := dintero.NewOrderItem(dintero.OrderLine{LineID: "2", ID: "sku-2", Description: "Socks",
		UnitPrice: 4990, Quantity: 2, VATPercent: 25})
	require.NoError(t, err)
	s.Order.Items = append(s.Order.Items, line)
	require.NoError(t, dintero.SetOrderTotals(&s.Order))

	updated, err := c.UpdateSession(ctx, id, dintero.SessionUpdateRequest{Order: dintero.OrderUpdateFrom(s.Order)},
		dintero.UpdateWithoutLock())
	require.NoError(t, err)
	assert.Equal(t, int64(10000+9980), updated.Order.Amount)
	assert.Equal(t, int64(2000+1996), *updated.Order.VATAmount)
	require.Len(t, updated.Order.Items, 2)
	assert.Equal(t, int64(1996), *updated.Order.Items[1].VATAmount)
	assert.Equal(t, "order-round-trip", updated.Order.MerchantReference, "kept")
	stored, ok := srv.Session(id)
	require.True(t, ok)
	assert.Equal(t, updated.Order.Amount, stored.Order.Amount)
}
