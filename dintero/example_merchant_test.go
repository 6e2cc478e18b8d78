package dintero_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// Shop is a merchant's server: Dintero calls it back when a session is paid (the session
// callback), when the customer of an express checkout enters a shipping address (the express
// callback), and for every transaction event of the account (a webhook).
type Shop struct {
	Callbacks dintero.CallbackVerifier // AccountID and the secret of POST /v1/admin/signature
	Webhooks  dintero.WebhookVerifier  // the secret of the webhook subscription

	mu   sync.Mutex
	done map[string]bool // idempotency keys of the work done: a table in a real shop
	Log  []string        // what the shop did
}

// Handler routes Dintero's requests. Mount it where the URLs given to Dintero point, under any
// prefix: verification uses the request line as it arrived.
func (s *Shop) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/dintero/callback", s.callback)
	mux.Handle("/dintero/shipping", &dintero.ExpressHandler{Verifier: &s.Callbacks, Answer: s.shippingOptions})
	mux.HandleFunc("/dintero/webhook", s.webhook)
	return mux
}

// callback handles the session callback. Dintero delivers it at least once: a repeat is
// answered 200 and otherwise ignored.
func (s *Shop) callback(w http.ResponseWriter, r *http.Request) {
	cb, err := s.Callbacks.Parse(r)
	if err != nil {
		log.Printf("dintero callback refused: %v", err)
		http.Error(w, http.StatusText(dintero.HTTPStatus(err)), dintero.HTTPStatus(err))
		return
	}
	if s.firstTime(cb.IdempotencyKey()) {
		s.record("order %s paid (callback)", cb.MerchantReference)
	}
	w.WriteHeader(http.StatusOK)
}

// shippingOptions answers the express shipping-address callback. An Apple Pay or Google Pay
// express checkout may send only the country and the postal code: that is enough here.
func (s *Shop) shippingOptions(ctx context.Context, session *dintero.Session) (*dintero.ExpressAnswer, error) {
	addr := session.Order.ShippingAddress
	if addr == nil || addr.Country == nil || *addr.Country != "NO" {
		return &dintero.ExpressAnswer{}, nil // no options: cannot ship there
	}
	home := int64(4900)
	if addr.PostalCode != nil && *addr.PostalCode >= "8000" {
		home = 9900 // Northern Norway
	}
	homeVAT, err := dintero.IncludedVAT(home, 25)
	if err != nil {
		return nil, err
	}
	return &dintero.ExpressAnswer{ShippingOptions: []dintero.ShippingOption{
		{ID: "home", LineID: "home", Title: "Home delivery", Operator: "Bring", Amount: home, VAT: dintero.Ptr(25.0), VATAmount: &homeVAT},
		{ID: "pick-up", LineID: "pick-up", Title: "Pick-up point", Operator: "Bring", Amount: 0},
	}}, nil
}

// webhook handles the account's webhooks, also delivered at least once.
func (s *Shop) webhook(w http.ResponseWriter, r *http.Request) {
	ev, err := s.Webhooks.Parse(r)
	if err != nil {
		log.Printf("dintero webhook refused: %v", err)
		http.Error(w, http.StatusText(dintero.HTTPStatus(err)), dintero.HTTPStatus(err))
		return
	}
	if ev.Event == dintero.WebhookEventCheckoutTransaction && ev.Transaction != nil && s.firstTime(ev.IdempotencyKey()) {
		s.record("order %s: transaction %s (webhook)", ev.Transaction.MerchantReference, ev.Transaction.Status)
	}
	w.WriteHeader(http.StatusOK)
}

// firstTime records key and reports whether it is new. A real shop does this in the same
// database transaction as the work, with a unique index on the key.
func (s *Shop) firstTime(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done[key] {
		return false
	}
	if s.done == nil {
		s.done = map[string]bool{}
	}
	s.done[key] = true
	return true
}

func (s *Shop) record(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Log = append(s.Log, fmt.Sprintf(format, args...))
}

// The shop's server tested end to end against the fake: the customer enters an address, picks a
// shipping option and pays; Dintero's callback and webhook arrive, the callback twice (its first
// answer lost), and the shop acts on each once.
func Example_merchantServer() {
	const callbackSecret, webhookSecret = "callback-signature-secret", "webhook-subscription-secret"
	dsrv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer dsrv.Close()
	shop := &Shop{
		Callbacks: dintero.CallbackVerifier{AccountID: dsrv.AccountID(), Secret: callbackSecret},
		Webhooks:  dintero.WebhookVerifier{Secret: webhookSecret},
	}
	// The shop's server, mounted under /shop as a larger application would.
	shopSrv := httptest.NewServer(http.StripPrefix("/shop", shop.Handler()))
	defer shopSrv.Close()

	c, err := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(dsrv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	item, _ := dintero.NewOrderItem(dintero.OrderLine{LineID: "1", Description: "Wool socks", UnitPrice: 14950, Quantity: 2, VATPercent: 25})
	order := dintero.Order{Currency: "NOK", MerchantReference: "order-1001", Items: []dintero.OrderItem{item}}
	_ = dintero.SetOrderTotals(&order)
	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{
			ReturnURL:   "https://shop.example/return",
			CallbackURL: dintero.Ptr(shopSrv.URL + "/shop/dintero/callback"),
		},
		Order:         order,
		Express:       &dintero.SessionExpress{ShippingAddressCallbackURL: dintero.Ptr(shopSrv.URL + "/shop/dintero/shipping"), ShippingOptions: []dintero.ShippingOption{}},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	id := *created.ID

	// The customer pays with Apple Pay: only country and postal code are known yet.
	x, err := dsrv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("9008")})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range x.Answer.ShippingOptions {
		fmt.Printf("option %s: %d\n", o.Title, o.Amount)
	}
	if err := dsrv.ChooseShippingOption(id, "home"); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := dsrv.CompletePayment(id); err != nil {
		fmt.Println(err)
		return
	}
	paid, _ := dsrv.Session(id)
	fmt.Println("paid:", paid.Order.Amount)

	dsrv.DropDeliveryAnswers(1) // the first answer is lost: Dintero delivers again
	d, err := dsrv.DeliverCallback(ctx, id)
	fmt.Println("callback attempts:", len(d.Attempts), "delivered:", d.Delivered, err)

	if _, err := dsrv.Subscribe(shopSrv.URL+"/shop/dintero/webhook", webhookSecret, dintero.WebhookEventCheckoutTransaction); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := dsrv.DeliverWebhook(ctx, id, dintero.WebhookEventCheckoutTransaction); err != nil {
		fmt.Println(err)
		return
	}
	for _, line := range shop.Log {
		fmt.Println("shop:", line)
	}
	// Output:
	// option Home delivery: 9900
	// option Pick-up point: 0
	// paid: 39800
	// callback attempts: 2 delivered: true <nil>
	// shop: order order-1001 paid (callback)
	// shop: order order-1001: transaction AUTHORIZED (webhook)
}

// TestShop is the README's test of the shop: the same story as Example_merchantServer, as a
// test of the shop's own module would tell it.
func TestShop(t *testing.T) {
	dsrv := dinterotest.NewServer(dinterotest.WithCallbackSecret("callback-secret"))
	defer dsrv.Close()
	shop := &Shop{
		Callbacks: dintero.CallbackVerifier{AccountID: dsrv.AccountID(), Secret: "callback-secret"},
		Webhooks:  dintero.WebhookVerifier{Secret: "webhook-secret"},
	}
	shopSrv := httptest.NewServer(shop.Handler())
	defer shopSrv.Close()
	c, err := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(dsrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return", CallbackURL: dintero.Ptr(shopSrv.URL + "/dintero/callback")},
		Order: dintero.Order{Amount: 29900, Currency: "NOK", MerchantReference: "order-1001"},
		Express: &dintero.SessionExpress{
			ShippingAddressCallbackURL: dintero.Ptr(shopSrv.URL + "/dintero/shipping"),
			ShippingOptions:            []dintero.ShippingOption{},
		},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := *created.ID

	// The customer enters an address and picks an option; the shop answered the options.
	if _, err := dsrv.EnterShippingAddress(id, dintero.OrderAddress{Country: dintero.Ptr("NO"), PostalCode: dintero.Ptr("0150")}); err != nil {
		t.Fatal(err)
	}
	if err := dsrv.ChooseShippingOption(id, "home"); err != nil {
		t.Fatal(err)
	}
	// The customer pays; Dintero's callback arrives twice (the first answer is lost) and the
	// webhook once.
	if _, err := dsrv.CompletePayment(id); err != nil {
		t.Fatal(err)
	}
	dsrv.DropDeliveryAnswers(1)
	if _, err := dsrv.DeliverCallback(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := dsrv.Subscribe(shopSrv.URL+"/dintero/webhook", "webhook-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := dsrv.DeliverWebhook(ctx, id, dintero.WebhookEventCheckoutTransaction); err != nil {
		t.Fatal(err)
	}

	want := []string{"order order-1001 paid (callback)", "order order-1001: transaction AUTHORIZED (webhook)"}
	if fmt.Sprint(shop.Log) != fmt.Sprint(want) {
		t.Errorf("the shop did %q, want %q", shop.Log, want)
	}
	if s, _ := dsrv.Session(id); s.Order.Amount != 29900+4900 {
		t.Errorf("order amount %d, want 34800", s.Order.Amount)
	}
}
