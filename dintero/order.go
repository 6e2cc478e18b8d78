package dintero

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
)

// Dintero's order amounts include VAT and are in minor units; an order line carries its VAT rate
// (vat, a percentage) and the VAT it includes (vat_amount, "only used for display purposes"),
// and amount = amount without VAT + vat_amount
// (https://docs.dintero.com/docs/checkout/integration-checklist). order.amount must equal the sum
// of items[].amount plus shipping_option.amount, and order.vat_amount the sum of their
// vat_amount (https://docs.dintero.com/api-reference/session/update-checkout-session-details).
// The functions below
// compute these exactly, with rational arithmetic: a 12.5 % or 25 % rate never meets a float
// rounding error.

// OrderLine is an order line as a shop knows it: what, how many, at what unit price and VAT rate.
// NewOrderItem turns it into the OrderItem Dintero wants, with amount and vat_amount computed.
type OrderLine struct {
	// LineID identifies the line, unique within the order (required). Dintero needs it to
	// capture and refund single lines, and Instabank and Collector require it.
	LineID string
	// ID is the product's id or SKU (optional).
	ID string
	// Description is the line's text in the checkout, e.g. "T-shirt, blue, M" (optional).
	Description string
	// UnitPrice is the price of one unit, VAT included, in minor units (29900 for NOK 299.00).
	// It must not be negative: give discounts as discount lines, or lower the price.
	UnitPrice int64
	// Quantity is how many units; more than 0. It may be decimal for goods sold by weight or
	// volume (0.5 kg); it is taken as the shortest decimal that prints as the float64 (0.1 is
	// 1/10, not the binary fraction nearest to it).
	Quantity float64
	// VATPercent is the VAT rate in percent, 0 to 100, with at most two decimals as Dintero
	// accepts: 25 for 25 %, 12.5 for 12.5 % (0.25 would be a quarter of a percent).
	VATPercent float64
}

// NewOrderItem returns the OrderItem for line l:
//
//	amount     = UnitPrice × Quantity, rounded half away from zero to a minor unit
//	vat_amount = IncludedVAT(amount, VATPercent)
//
// with line_id, id and description from l (id and description left out when empty), quantity
// and vat as given. An invalid line (no LineID, a negative UnitPrice, a Quantity that is not
// more than 0, a VATPercent outside 0..100 or with more than two decimals, an amount outside the
// int64 range) is an error wrapping ErrInvalidInput.
func NewOrderItem(l OrderLine) (OrderItem, error) {
	const op = "NewOrderItem"
	switch {
	case l.LineID == "":
		return OrderItem{}, invalid("%s: LineID is required (unique within the order)", op)
	case l.UnitPrice < 0:
		return OrderItem{}, invalid("%s: line %.40q: UnitPrice %d is negative", op, l.LineID, l.UnitPrice)
	case !(l.Quantity > 0) || math.IsInf(l.Quantity, 1): // NaN fails the first test
		return OrderItem{}, invalid("%s: line %.40q: Quantity %v is not a finite number more than 0", op, l.LineID, l.Quantity)
	}
	rate, err := vatRate(l.VATPercent)
	if err != nil {
		return OrderItem{}, invalid("%s: line %.40q: %v", op, l.LineID, err)
	}
	amount, ok := roundHalfAwayFromZero(new(big.Rat).Mul(big.NewRat(l.UnitPrice, 1), decimalOf(l.Quantity)))
	if !ok {
		return OrderItem{}, invalid("%s: line %.40q: UnitPrice %d × Quantity %v is out of range", op, l.LineID, l.UnitPrice, l.Quantity)
	}
	item := OrderItem{
		LineID:    Ptr(l.LineID),
		Quantity:  Ptr(l.Quantity),
		Amount:    Ptr(amount),
		VAT:       Ptr(l.VATPercent),
		VATAmount: Ptr(includedVAT(amount, rate)),
	}
	if l.ID != "" {
		item.ID = Ptr(l.ID)
	}
	if l.Description != "" {
		item.Description = Ptr(l.Description)
	}
	return item, nil
}

// IncludedVAT returns the VAT included in a VAT-inclusive amount at a rate of vatPercent:
//
//	amount × vatPercent / (100 + vatPercent), rounded half away from zero to a minor unit
//
// e.g. 29970 at 25 % is 5994, 9980 at 15 % is 1302 (1301.74), 3 at 20 % is 1 (0.5). Dintero
// documents vat_amount as display only and states no rounding rule; half away from zero is the
// rule of commercial rounding, and the VAT of each line is rounded on its own, so the sum of the
// lines may differ from the VAT of the sum by up to half a minor unit per line. Use it for
// shipping options, whose vat_amount NewOrderItem does not set. A vatPercent outside 0..100 or
// with more than two decimals is an error wrapping ErrInvalidInput.
func IncludedVAT(amount int64, vatPercent float64) (int64, error) {
	rate, err := vatRate(vatPercent)
	if err != nil {
		return 0, invalid("IncludedVAT: %v", err)
	}
	return includedVAT(amount, rate), nil
}

// includedVAT is IncludedVAT for a checked rate. It cannot overflow: the VAT is at most half the
// amount (at 100 %).
func includedVAT(amount int64, rate *big.Rat) int64 {
	share := new(big.Rat).Quo(rate, new(big.Rat).Add(big.NewRat(100, 1), rate))
	vat, _ := roundHalfAwayFromZero(share.Mul(share, big.NewRat(amount, 1)))
	return vat
}

// vatRate checks a VAT percentage and returns it as an exact decimal.
func vatRate(percent float64) (*big.Rat, error) {
	if !(percent >= 0 && percent <= 100) { // NaN fails both
		return nil, fmt.Errorf("VAT %v %% is outside 0..100", percent)
	}
	r := decimalOf(percent)
	if !new(big.Rat).Mul(r, big.NewRat(100, 1)).IsInt() {
		return nil, fmt.Errorf("VAT %v %% has more than the two decimals Dintero accepts", percent)
	}
	return r, nil
}

// decimalOf returns the finite float64 f as the shortest decimal that formats as f: the number
// its author wrote (0.1 is 1/10).
func decimalOf(f float64) *big.Rat {
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64)) // finite: always parses
	return r
}

// roundHalfAwayFromZero rounds r to an integer, halves away from zero (2.5 → 3, -2.5 → -3); ok
// is false when the result is outside the int64 range.
func roundHalfAwayFromZero(r *big.Rat) (n int64, ok bool) {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom() // positive
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// OrderTotals returns the amount and the VAT amount of an order with these items and shipping
// option (which may be nil), as Dintero wants them: amount = Σ items[].amount +
// shipping.amount, vatAmount = Σ items[].vat_amount + shipping.vat_amount. A missing vat_amount
// counts as 0; a missing item amount, or a sum outside the int64 range, is an error wrapping
// ErrInvalidInput (a sum that wrapped around could make a tampered order look right).
func OrderTotals(items []OrderItem, shipping *ShippingOption) (amount, vatAmount int64, err error) {
	const op = "OrderTotals"
	add := func(what string, a, v int64) error {
		var okA, okV bool
		amount, okA = addInt64(amount, a)
		vatAmount, okV = addInt64(vatAmount, v)
		if !okA || !okV {
			return invalid("%s: the sum overflows at %s", op, what)
		}
		return nil
	}
	for i, it := range items {
		if it.Amount == nil {
			return 0, 0, invalid("%s: items[%d] has no amount", op, i)
		}
		if err := add(fmt.Sprintf("items[%d]", i), *it.Amount, deref(it.VATAmount)); err != nil {
			return 0, 0, err
		}
	}
	if shipping != nil {
		if err := add("the shipping option", shipping.Amount, deref(shipping.VATAmount)); err != nil {
			return 0, 0, err
		}
	}
	return amount, vatAmount, nil
}

// SetOrderTotals sets o.Amount and o.VATAmount to the totals of o.Items and o.ShippingOption
// (OrderTotals), so that the order adds up as Dintero requires. For a partial payment
// (partial_payment, where the amount may be less than the items), set Amount after it. On an
// error o is left unchanged.
func SetOrderTotals(o *Order) error {
	if o == nil {
		return invalid("SetOrderTotals: nil order")
	}
	amount, vat, err := OrderTotals(o.Items, o.ShippingOption)
	if err != nil {
		return err
	}
	o.Amount, o.VATAmount = amount, Ptr(vat)
	return nil
}

// OrderUpdateFrom returns the order part of an UpdateSession request (SessionUpdateRequest.Order)
// with every field of o that an update accepts: amount, currency, vat_amount,
// merchant_reference_2, event_reference, the addresses, partial_payment, items, shipping_option,
// store, discount lines and codes, and gift cards. Left out are what an update cannot change
// (merchant_reference, payout_destination_id) and what Dintero computes (gross_amount,
// is_changed, and each item's gross_amount and version), so an order read from a session can be
// changed and sent back.
//
// The result is a shallow copy: it shares the addresses, shipping option, store, discount lines,
// discount codes and gift cards with o. Only the items slice is new (without the computed
// fields); what the items point to is shared.
func OrderUpdateFrom(o Order) OrderUpdate {
	var items []OrderItem
	if o.Items != nil {
		items = slices.Clone(o.Items)
		for i := range items {
			items[i].GrossAmount, items[i].Version = nil, nil
		}
	}
	return OrderUpdate{
		Amount:             Ptr(o.Amount),
		Currency:           Ptr(o.Currency),
		VATAmount:          o.VATAmount,
		MerchantReference2: o.MerchantReference2,
		EventReference:     o.EventReference,
		ShippingAddress:    o.ShippingAddress,
		BillingAddress:     o.BillingAddress,
		PartialPayment:     o.PartialPayment,
		Items:              items,
		ShippingOption:     o.ShippingOption,
		Store:              o.Store,
		DiscountLines:      o.DiscountLines,
		DiscountCodes:      o.DiscountCodes,
		GiftCards:          o.GiftCards,
	}
}

// addInt64 returns a+b and whether it did not overflow.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
