package dintero_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// exampleServer stands in for Dintero in the examples: it hands out a token and answers the
// session calls with canned sessions.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/auth/token"):
			_, _ = io.WriteString(w, `{"access_token":"eyJ.example","token_type":"Bearer","expires_in":14400}`)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/sessions":
			_, _ = io.WriteString(w, `{"id":"T12345678.4VfSpqnprujVvsa8sHhXjf","url":"https://checkout.dintero.com/v1/view/T12345678.4VfSpqnprujVvsa8sHhXjf"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/v1/sessions":
			if r.URL.Query().Get("starting_after") != "" {
				_, _ = io.WriteString(w, `[{"id":"T12345678.3c"}]`)
				return
			}
			_, _ = io.WriteString(w, `[{"id":"T12345678.1a"},{"id":"T12345678.2b"}]`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"NOT_FOUND","message":"Session not found"}}`)
		}
	}))
}

func ExampleClient_CreateSession() {
	srv := exampleServer()
	defer srv.Close()

	c, err := dintero.New(
		dintero.WithClientCredentials("T12345678", "client-id", "client-secret"),
		dintero.WithBaseURL(srv.URL+"/v1"), // leave out to talk to https://checkout.dintero.com/v1
	)
	if err != nil {
		panic(err)
	}
	created, err := c.CreateSession(context.Background(), dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{
			Amount:            29900, // minor units: NOK 299.00
			Currency:          "NOK",
			MerchantReference: "order-1",
			Items: []dintero.OrderItem{{
				LineID: dintero.Ptr("1"), Description: dintero.Ptr("T-shirt"),
				Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(int64(29900)), VAT: dintero.Ptr(25.0),
			}},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("session:", created.GetID())
	fmt.Println("send the customer to:", created.GetURL())
	// Output:
	// session: T12345678.4VfSpqnprujVvsa8sHhXjf
	// send the customer to: https://checkout.dintero.com/v1/view/T12345678.4VfSpqnprujVvsa8sHhXjf
}

func ExampleClient_Sessions() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := dintero.New(dintero.WithAPIKey("key"), dintero.WithBaseURL(srv.URL+"/v1"))

	for s, err := range c.Sessions(context.Background(), dintero.Limit(2)) {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(s.GetID())
	}
	// Output:
	// T12345678.1a
	// T12345678.2b
	// T12345678.3c
}

func ExampleAPIError() {
	srv := exampleServer()
	defer srv.Close()
	c, _ := dintero.New(dintero.WithAPIKey("key"), dintero.WithBaseURL(srv.URL+"/v1"))

	_, err := c.GetSession(context.Background(), "T12345678.doesNotExist")
	var apiErr *dintero.APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		fmt.Println("not found:", apiErr.Code, "-", apiErr.Message)
	}
	_, err = c.GetSession(context.Background(), "../admin")
	fmt.Println(errors.Is(err, dintero.ErrInvalidInput))
	// Output:
	// not found: NOT_FOUND - Session not found
	// true
}

func ExampleCallbackVerifier() {
	const secret = "signature-secret" // from POST /v1/admin/signature
	// Dintero calls your callback URL like this (here signed by the fake, dinterotest).
	r := httptest.NewRequest(http.MethodGet,
		"https://shop.example/callback?transaction_id=T12345678.abc&session_id=T12345678.4VfSpqnprujVvsa8sHhXjf&merchant_reference=order-1", nil)
	now := time.Unix(1_800_000_000, 0)
	r.Header.Set(dintero.SignatureHeader, dinterotest.SignCallback(secret, "T12345678", r, now))

	v := dintero.CallbackVerifier{AccountID: "T12345678", Secret: secret, Tolerance: 5 * time.Minute, Now: func() time.Time { return now }}
	fmt.Println("valid:", v.Verify(r) == nil)

	// The same signature on another URL does not verify.
	tampered := httptest.NewRequest(http.MethodGet, strings.Replace(r.RequestURI, "order-1", "order-2", 1), nil)
	tampered.Header = r.Header
	err := v.Verify(tampered)
	fmt.Println("tampered:", errors.Is(err, dintero.ErrSignatureMismatch))
	// Output:
	// valid: true
	// tampered: true
}
