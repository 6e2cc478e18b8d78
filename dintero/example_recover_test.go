package dintero_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// A create call failed after its request may have reached Dintero: look for the session before
// creating another. Here the fake creates the session and the answer is lost on the way back
// (answerLosingTransport, in recover_test.go), as when a connection breaks.
func ExampleClient_FindCreatedSession() {
	dsrv := dinterotest.NewServer()
	defer dsrv.Close()
	c, err := dintero.New(
		dintero.WithAPIKey(dinterotest.DefaultAPIKey),
		dintero.WithBaseURL(dsrv.URL),
		dintero.WithHTTPClient(&http.Client{Transport: answerLosingTransport{dsrv.HTTPServer().Client().Transport}}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	req := dintero.SessionCreateRequest{
		URL:           dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order:         dintero.Order{Amount: 29900, Currency: "NOK", MerchantReference: "order-1001"},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	}

	start := time.Now().Add(-time.Minute) // before the create, with a margin for clock skew
	_, err = c.CreateSession(ctx, req)
	switch {
	case err == nil:
		fmt.Println("created")
		return
	case !errors.Is(err, dintero.ErrOutcomeUnknown):
		// ErrInvalidInput, or an *APIError refusing the request: no session was made.
		fmt.Println("not created:", err)
		return
	}
	fmt.Println("outcome unknown; looking for the session")
	s, err := c.FindCreatedSession(ctx, "order-1001", start)
	var multi *dintero.MultipleSessionsError
	switch {
	case errors.Is(err, dintero.ErrSessionNotFound):
		fmt.Println("none: create it again")
	case errors.As(err, &multi):
		fmt.Println(len(multi.Sessions), "sessions: keep one, cancel the others")
	case err != nil:
		fmt.Println("still unknown:", err)
	default:
		fmt.Println("found:", s.Order.MerchantReference, s.Order.Amount, dintero.StatusOf(s, time.Now()))
	}
	// Output:
	// outcome unknown; looking for the session
	// found: order-1001 29900 created
}
