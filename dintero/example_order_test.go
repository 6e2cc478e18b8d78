package dintero_test

import (
	"fmt"

	"github.com/paysession/paysession-go/dintero"
)

func ExampleNewOrderItem() {
	item, err := dintero.NewOrderItem(dintero.OrderLine{
		LineID:      "1",
		ID:          "sku-1",
		Description: "T-shirt",
		UnitPrice:   9990, // NOK 99.90, VAT included
		Quantity:    3,
		VATPercent:  25,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("amount:", *item.Amount, "vat_amount:", *item.VATAmount)

	_, err = dintero.NewOrderItem(dintero.OrderLine{LineID: "2", UnitPrice: 9990, Quantity: 1, VATPercent: 12.125})
	fmt.Println(err)
	// Output:
	// amount: 29970 vat_amount: 5994
	// dintero: invalid input: NewOrderItem: line "2": VAT 12.125 % has more than the two decimals Dintero accepts
}

func ExampleIncludedVAT() {
	// The VAT of a shipping option: NOK 49.00 at 25 %.
	vat, err := dintero.IncludedVAT(4900, 25)
	fmt.Println(vat, err)
	// Output:
	// 980 <nil>
}

// Build an order from lines and a shipping option, and make its totals add up.
func ExampleSetOrderTotals() {
	shirt, _ := dintero.NewOrderItem(dintero.OrderLine{LineID: "1", Description: "T-shirt", UnitPrice: 9990, Quantity: 3, VATPercent: 25})
	coffee, _ := dintero.NewOrderItem(dintero.OrderLine{LineID: "2", Description: "Coffee, 500 g", UnitPrice: 8990, Quantity: 2, VATPercent: 15})
	shippingVAT, _ := dintero.IncludedVAT(4900, 25)
	order := dintero.Order{
		Currency:          "NOK",
		MerchantReference: "order-1001",
		Items:             []dintero.OrderItem{shirt, coffee},
		ShippingOption: &dintero.ShippingOption{ID: "bring-standard", LineID: "shipping", Operator: "Bring",
			Title: "Standard", Amount: 4900, VAT: dintero.Ptr(25.0), VATAmount: &shippingVAT},
	}
	if err := dintero.SetOrderTotals(&order); err != nil {
		fmt.Println(err)
		return
	}
	total, _ := dintero.FormatAmount(order.Amount, order.Currency)
	vat, _ := dintero.FormatAmount(*order.VATAmount, order.Currency)
	fmt.Println("total:", total, "of which VAT:", vat)
	// Output:
	// total: 528.50 of which VAT: 93.19
}

// Change the order of a session and send it back: OrderUpdateFrom leaves out what an update
// cannot change and what Dintero computes.
func ExampleOrderUpdateFrom() {
	var s dintero.Session // from GetSession
	s.Order = dintero.Order{Amount: 29970, Currency: "NOK", MerchantReference: "order-1001"}

	socks, _ := dintero.NewOrderItem(dintero.OrderLine{LineID: "2", Description: "Socks", UnitPrice: 4990, Quantity: 2, VATPercent: 25})
	s.Order.Items = append(s.Order.Items, socks)
	if err := dintero.SetOrderTotals(&s.Order); err != nil {
		fmt.Println(err)
		return
	}
	req := dintero.SessionUpdateRequest{Order: dintero.OrderUpdateFrom(s.Order)}
	// c.UpdateSession(ctx, *s.ID, req)
	fmt.Println(*req.Order.Amount, *req.Order.VATAmount, len(req.Order.Items))
	// Output:
	// 9980 1996 1
}
