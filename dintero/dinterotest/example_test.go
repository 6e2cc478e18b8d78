package dinterotest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// The fake with the real client: create a session, read it back, and list it.
func Example() {
	dsrv := dinterotest.NewServer(dinterotest.WithClientCredentials("T12345678", "shop-client", "shop-secret"))
	defer dsrv.Close()
	c, err := dintero.New(
		dintero.WithClientCredentials("T12345678", "shop-client", "shop-secret"),
		dintero.WithBaseURL(dsrv.URL),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:           dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order:         dintero.Order{Amount: 29900, Currency: "NOK", MerchantReference: "order-1"},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("session id has the account prefix:", strings.HasPrefix(*created.ID, "T12345678."))
	fmt.Println("checkout URL:", strings.TrimPrefix(*created.URL, dsrv.URL) == "/view/"+*created.ID)

	s, err := c.GetSession(ctx, *created.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("order:", s.Order.MerchantReference, s.Order.Amount, s.Order.Currency)
	fmt.Println("events:", *s.Events[0].Name)

	page, err := c.ListSessions(ctx, dintero.Search("order-1"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("listed:", len(page))
	// Output:
	// session id has the account prefix: true
	// checkout URL: true
	// order: order-1 29900 NOK
	// events: INITIATED
	// listed: 1
}

// Inject makes the next call of an operation fail, here with a 503 and a Retry-After. The
// client retries reads, so the call succeeds on its second attempt; with retries off the
// error reaches the caller as a *dintero.APIError.
func ExampleServer_Inject() {
	dsrv := dinterotest.NewServer()
	defer dsrv.Close()
	c, _ := dintero.New(
		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
		dintero.WithBaseURL(dsrv.URL),
		dintero.WithMaxRetries(0),
	)
	ctx := context.Background()

	dsrv.Inject(dinterotest.OpGetSession, dinterotest.Fault{
		Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {"1"}},
	})
	_, err := c.GetSession(ctx, "T12345678.4XoYzPBrqv4nBBk7n8C5Un")
	var apiErr *dintero.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Operation, apiErr.StatusCode, apiErr.Code)
	}

	// The fault is used up: the real answer follows (no such session).
	_, err = c.GetSession(ctx, "T12345678.4XoYzPBrqv4nBBk7n8C5Un")
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Operation, apiErr.StatusCode, apiErr.Code)
	}
	fmt.Println("calls:", dsrv.Calls(dinterotest.OpGetSession))
	// Output:
	// GetSession 503 SERVICE_UNAVAILABLE
	// GetSession 404 NOT_FOUND
	// calls: 2
}

// After CompletePayment, CallbackRequest builds the signed callback Dintero would send to the
// session's callback_url; the shop's handler verifies it with dintero.CallbackVerifier.
func ExampleServer_CallbackRequest() {
	const secret = "signature-secret"
	dsrv := dinterotest.NewServer(dinterotest.WithCallbackSecret(secret))
	defer dsrv.Close()
	c, _ := dintero.New(
		dintero.WithAPIKey(dinterotest.DefaultAPIKey),
		dintero.WithBaseURL(dsrv.URL),
	)
	created, err := c.CreateSession(context.Background(), dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{
			ReturnURL:   "https://shop.example/return",
			CallbackURL: dintero.Ptr("https://shop.example/dintero/callback"),
		},
		Order: dintero.Order{Amount: 5000, Currency: "NOK", MerchantReference: "order-2"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The customer pays.
	transactionID, _ := dsrv.CompletePayment(*created.ID)

	// The shop's callback handler.
	verifier := dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: secret}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verifier.Verify(r); err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("verified callback for", r.URL.Query().Get("merchant_reference"),
			"with the paid transaction:", r.URL.Query().Get("transaction_id") == transactionID)
	})

	req, err := dsrv.CallbackRequest(*created.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println("status:", rec.Code)
	// Output:
	// verified callback for order-2 with the paid transaction: true
	// status: 200
}

// Dintero only updates a session that the customer's checkout has locked, unless the update
// says update_without_lock. Lock plays the checkout's part.
func ExampleServer_Lock() {
	dsrv := dinterotest.NewServer()
	defer dsrv.Close()
	c, _ := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(dsrv.URL))
	ctx := context.Background()
	created, _ := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "order-3"},
	})
	id := *created.ID
	update := dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: dintero.Ptr(int64(200))}}

	_, err := c.UpdateSession(ctx, id, update)
	var apiErr *dintero.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("not locked:", apiErr.StatusCode, apiErr.Code)
	}

	_ = dsrv.Lock(id)
	s, err := c.UpdateSession(ctx, id, update)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("locked: amount", s.Order.Amount)

	s, err = c.UpdateSession(ctx, id, dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: dintero.Ptr(int64(300))}}, dintero.UpdateWithoutLock())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("without lock: amount", s.Order.Amount)
	// Output:
	// not locked: 400 SESSION_NOT_LOCKED
	// locked: amount 200
	// without lock: amount 300
}

// AddSession seeds the store directly, with chosen creation times; lists come newest first.
func ExampleServer_AddSession() {
	dsrv := dinterotest.NewServer()
	defer dsrv.Close()
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := range 250 {
		at := start.Add(time.Duration(i) * time.Minute)
		dsrv.AddSession(dintero.Session{
			CreatedAt: &at,
			URL:       dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			Order:     dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: fmt.Sprintf("order-%03d", i)},
		})
	}
	c, _ := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(dsrv.URL))

	n, first := 0, ""
	for s, err := range c.Sessions(context.Background()) {
		if err != nil {
			fmt.Println(err)
			return
		}
		if n == 0 {
			first = s.Order.MerchantReference
		}
		n++
	}
	fmt.Println(n, "sessions, newest", first, "in", dsrv.Calls(dinterotest.OpListSessions), "pages")
	// Output:
	// 250 sessions, newest order-249 in 3 pages
}
