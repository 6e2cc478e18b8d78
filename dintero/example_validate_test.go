package dintero_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/paysession/paysession-go/dintero"
)

// A request that breaks rules of the API is refused before anything is sent, with every problem
// named by its JSON path and rule.
func ExampleInvalidRequestError() {
	c, err := dintero.New(dintero.WithAPIKey("an-api-key"))
	if err != nil {
		panic(err)
	}
	_, err = c.CreateSession(context.Background(), dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "not a url"},
		Order: dintero.Order{
			Amount: -100, Currency: "KRONER", MerchantReference: "order-1",
			Items: []dintero.OrderItem{{LineID: dintero.Ptr("1"), Amount: dintero.Ptr(int64(-100)), VAT: dintero.Ptr(125.0)}},
		},
	})
	var invalid *dintero.InvalidRequestError
	if errors.As(err, &invalid) {
		for _, p := range invalid.Problems {
			fmt.Printf("%s: %s\n", p.Path, p.Rule)
		}
	}
	fmt.Println(errors.Is(err, dintero.ErrInvalidInput))
	// Output:
	// order.amount: minimum 0
	// order.currency: format iso4217-code
	// order.items[0].amount: minimum 0
	// order.items[0].vat: maximum 100
	// url.return_url: format uri
	// true
}
