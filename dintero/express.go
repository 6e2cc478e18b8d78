package dintero

// Express checkout: Dintero POSTs the whole session to the merchant when the customer enters a
// shipping address (express.shipping_address_callback_url) or a discount code
// (express.discount_codes.callback_url), and shows the shipping options and the order the
// merchant answers. The call is not retried; after 60 s, or on any status but 200, it has failed.
//
// Sources: https://docs.dintero.com/docs/checkout/shipping-address-callback (the answer, the
// correction line, addresses with only country and postal code) and
// https://docs.dintero.com/api-reference/example-session-callbacks/address-update (the wire
// shape: {"shipping_options": [...], "order": {...}}).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/paysession/paysession-go/internal/untrusted"
)

// ExpressCallbackTimeout is how long Dintero waits for the answer to an express callback.
const ExpressCallbackTimeout = 60 * time.Second

// DefaultExpressTimeout bounds the context ExpressHandler gives its Answer function when
// ExpressHandler.Timeout is zero: 50 s, which leaves the handler time to check and write the
// answer before Dintero gives up at 60 s.
const DefaultExpressTimeout = 50 * time.Second

// ErrInvalidAnswer is wrapped by the errors of ExpressAnswer.Check, for an answer Dintero would
// refuse or change: a shipping option without id, line_id, title or operator, a repeated line_id,
// a negative amount, or an order that does not add up, for which Dintero would add a "correction"
// line to the customer's order.
var ErrInvalidAnswer = errors.New("dintero: invalid express answer")

// ExpressAnswer is the answer to an express callback, in the wire shape Dintero expects:
// {"shipping_options": [...], "order": {...}}.
type ExpressAnswer struct {
	// ShippingOptions are the options the customer can choose from for the posted address. An
	// empty list (nil is sent as []) means the order cannot be shipped there; a free option is
	// still one option, with amount 0.
	ShippingOptions []ShippingOption `json:"shipping_options"`
	// Order, when set, replaces the amounts, items and discount codes of the session's order,
	// e.g. with the discounts of the entered codes (NewExpressOrder builds one that adds up).
	Order *ExpressOrder `json:"order,omitempty"`
}

// MarshalJSON encodes a nil ShippingOptions as [] (cannot ship), never as null.
func (a ExpressAnswer) MarshalJSON() ([]byte, error) {
	type plain ExpressAnswer // without this method
	p := plain(a)
	if p.ShippingOptions == nil {
		p.ShippingOptions = []ShippingOption{}
	}
	return json.Marshal(p)
}

// ExpressOrder is the order of an ExpressAnswer: what the merchant changes of the session's order
// (ShippingAddressCallbackSessionOrderUpdate and DiscountCodesOrderUpdate in Dintero's spec).
// Amount must be the sum of the items plus the shipping option the customer has chosen (the
// posted session's order.shipping_option): otherwise Dintero adds a "correction" line.
type ExpressOrder struct {
	// Amount is the order total in minor units, VAT and discounts included.
	Amount int64 `json:"amount"`
	// Currency is the ISO 4217 code; empty keeps the session's.
	Currency string `json:"currency,omitempty"`
	// VATAmount is the VAT included in Amount (display only); nil leaves it out.
	VATAmount *int64 `json:"vat_amount,omitempty"`
	// Items are all the order lines, with their discount_lines. Empty keeps the session's
	// items: an empty list is not sent.
	Items []OrderItem `json:"items,omitempty"`
	// DiscountCodes are the discount codes the order carries.
	DiscountCodes []string `json:"discount_codes,omitempty"`
}

// NewExpressOrder returns the answer's order for the posted session with these items: amount and
// vat_amount are the totals of the items and the posted order's chosen shipping option
// (OrderTotals), currency and discount codes the posted order's. Give all the order's items, with
// their amount and vat_amount set (NewOrderItem does); such an order passes ExpressAnswer.Check.
// A nil session or an item without amount is an error wrapping ErrInvalidInput.
func NewExpressOrder(posted *Session, items []OrderItem) (*ExpressOrder, error) {
	if posted == nil {
		return nil, invalid("NewExpressOrder: nil session")
	}
	amount, vat, err := OrderTotals(items, posted.Order.ShippingOption)
	if err != nil {
		return nil, err
	}
	return &ExpressOrder{
		Amount: amount, Currency: posted.Order.Currency, VATAmount: Ptr(vat),
		Items: items, DiscountCodes: posted.Order.DiscountCodes,
	}, nil
}

// Check reports, with an error wrapping ErrInvalidAnswer, what in the answer to the posted
// session Dintero would refuse or correct:
//
//   - a shipping option without id, line_id, title or operator, with a negative amount, or with a
//     line_id another option has;
//   - an order whose amount is not the sum of its items (the posted items when it has none) plus
//     the posted order's chosen shipping option (order.shipping_option): Dintero would add a
//     "correction" line for the difference
//     (https://docs.dintero.com/docs/checkout/shipping-address-callback);
//   - an order whose vat_amount, when given, is not the sum of those items' and that shipping
//     option's vat_amount;
//   - an order in another currency than the session's.
//
// For a partial payment (order.partial_payment) the amount may be less than the items, so only
// "not more than" is checked. ExpressHandler calls Check before it answers Dintero; an Answer
// function may call it too, to fail with its own error.
func (a *ExpressAnswer) Check(posted *Session) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidAnswer}, args...)...)
	}
	if a == nil {
		return fail("no answer")
	}
	if posted == nil {
		return fail("no posted session to check against")
	}
	lineIDs := make(map[string]bool, len(a.ShippingOptions))
	for i, o := range a.ShippingOptions {
		switch {
		case o.ID == "" || o.LineID == "" || o.Title == "" || o.Operator == "":
			return fail("shipping_options[%d]: id, line_id, title and operator are required", i)
		case o.Amount < 0:
			return fail("shipping_options[%d] (line_id %.40q): amount %d is negative", i, o.LineID, o.Amount)
		case lineIDs[o.LineID]:
			return fail("shipping_options[%d]: line_id %.40q is used by another option", i, o.LineID)
		}
		lineIDs[o.LineID] = true
	}
	o := a.Order
	if o == nil {
		return nil
	}
	if o.Currency != "" && o.Currency != posted.Order.Currency {
		return fail("order.currency %.10q is not the session's %.10q", o.Currency, posted.Order.Currency)
	}
	items := o.Items
	if len(items) == 0 { // not sent: Dintero keeps the session's items
		items = posted.Order.Items
	}
	shipping := posted.Order.ShippingOption
	amount, vat, err := OrderTotals(items, shipping)
	if err != nil {
		return fail("order: %v", err)
	}
	what := "the items"
	if shipping != nil {
		what = fmt.Sprintf("the items plus the chosen shipping option %.40q (%d)", shipping.LineID, shipping.Amount)
	}
	partial := posted.Order.PartialPayment != nil && *posted.Order.PartialPayment
	switch {
	case partial && o.Amount > amount:
		return fail("order.amount %d of a partial payment is more than %s, %d", o.Amount, what, amount)
	case !partial && o.Amount != amount:
		return fail("order.amount %d is not %s, %d: Dintero would add a correction line of %d",
			o.Amount, what, amount, amount-o.Amount)
	case o.VATAmount != nil && !partial && *o.VATAmount != vat:
		return fail("order.vat_amount %d is not the VAT of %s, %d", *o.VATAmount, what, vat)
	}
	return nil
}

// ExpressHandler is the http.Handler for Dintero's express-checkout callbacks: mount one with the
// Answer for shipping addresses at the session's express.shipping_address_callback_url, and one
// with the Answer for discount codes at its express.discount_codes.callback_url. For each
// callback it:
//
//  1. refuses a method other than POST (405);
//  2. verifies the Dintero-Signature header with Verifier when both are present (401 when it
//     fails), and refuses an unsigned request when RequireSignature is set;
//  3. reads the posted session, at most MaxIncomingBody bytes (413 beyond), and decodes it
//     (400 with the reason when it is not a session). The body is not signed: treat it as the
//     customer's input, not as Dintero's word. A one-click Apple Pay or Google Pay express
//     checkout posts a shipping address with only country and postal_code; it is passed on as
//     it is;
//  4. calls Answer with a context that ends after Timeout (500 when Answer fails);
//  5. checks the answer with ExpressAnswer.Check unless AllowCorrection is set (500 when it
//     fails, rather than letting Dintero put a correction line into the customer's order);
//  6. answers 200 with the answer as JSON.
//
// Every failure is logged with Logger. Fields are read on each request; do not change them
// while the handler serves.
type ExpressHandler struct {
	// Answer computes the answer for the posted session: the shipping options for
	// session.Order.ShippingAddress, or the order with the discounts of
	// session.Order.DiscountCodes. It must return before ctx ends. Required.
	Answer func(ctx context.Context, session *Session) (*ExpressAnswer, error)

	// Verifier, when set, checks the Dintero-Signature header of a request that has one.
	// Dintero documents the signature for session callbacks and says it can sign every request
	// it sends; set RequireSignature once your account's express callbacks carry it.
	Verifier *CallbackVerifier

	// RequireSignature refuses (401) a request without a Dintero-Signature header. It needs
	// Verifier.
	RequireSignature bool

	// Timeout bounds Answer's context; zero means DefaultExpressTimeout. It must be less than
	// ExpressCallbackTimeout, after which Dintero has given up.
	Timeout time.Duration

	// AllowCorrection sends answers that fail ExpressAnswer.Check as they are, leaving Dintero to
	// correct them.
	AllowCorrection bool

	// Logger receives a line for every refused request and failed answer (level warn for the
	// request's fault, error for the server's); nil means slog.Default(). Lines hold the session
	// id, never the session's customer data.
	Logger *slog.Logger
}

// ServeHTTP handles one express callback, as the ExpressHandler documentation describes.
func (h *ExpressHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session, err := h.decode(r)
	if err != nil {
		h.refuse(w, r, nil, err)
		return
	}
	answer, err := h.answer(r.Context(), session)
	if err != nil {
		h.refuse(w, r, session, err)
		return
	}
	body, err := json.Marshal(answer)
	if err != nil {
		h.refuse(w, r, session, fmt.Errorf("dintero: ExpressHandler: encoding the answer: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// decode checks the configuration and the request and returns the posted session.
func (h *ExpressHandler) decode(r *http.Request) (*Session, error) {
	switch {
	case h.Answer == nil:
		return nil, misconfigured("ExpressHandler.Answer is nil")
	case h.Timeout < 0 || h.Timeout >= ExpressCallbackTimeout:
		return nil, misconfigured("ExpressHandler.Timeout %s is not between 0 and Dintero's %s", h.Timeout, ExpressCallbackTimeout)
	case h.RequireSignature && h.Verifier == nil:
		return nil, misconfigured("ExpressHandler.RequireSignature needs a Verifier")
	case r.Method != http.MethodPost:
		return nil, invalidRequest(ErrMethodNotAllowed, "an express callback is POST, not %.20q", r.Method)
	}
	if h.Verifier != nil && (h.RequireSignature || r.Header.Get(SignatureHeader) != "") {
		if err := h.Verifier.Verify(r); err != nil {
			return nil, err
		}
	}
	body, err := readIncomingBody(r)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		return nil, invalidRequest(ErrInvalidRequest, "express callback without a body (the session)")
	}
	var s Session
	if err := json.Unmarshal(body, &s); err != nil {
		return nil, invalidRequest(ErrInvalidRequest, "express callback body is not a session: %s", jsonProblem(err))
	}
	return &s, nil
}

// answer calls Answer within the timeout and checks what it returns.
func (h *ExpressHandler) answer(ctx context.Context, s *Session) (*ExpressAnswer, error) {
	timeout := h.Timeout
	if timeout == 0 {
		timeout = DefaultExpressTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	a, err := h.Answer(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("dintero: ExpressHandler: Answer: %w", err)
	}
	if a == nil {
		return nil, errors.New("dintero: ExpressHandler: Answer returned no answer and no error")
	}
	if !h.AllowCorrection {
		if err := a.Check(s); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// refuse answers a failed request with HTTPStatus(err) and logs why. A 4xx tells the sender
// what was wrong with its request; a 500 says nothing of the server's reasons.
func (h *ExpressHandler) refuse(w http.ResponseWriter, r *http.Request, s *Session, err error) {
	status := HTTPStatus(err)
	logger := h.Logger
	if logger == nil {
		logger = slog.Default()
	}
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.Int("status", status), slog.String("error", err.Error())}
	if s != nil && s.ID != nil {
		attrs = append(attrs, slog.String("session_id", untrusted.Line(*s.ID, 100)))
	}
	logger.LogAttrs(r.Context(), level, "dintero: express callback failed", attrs...)
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	msg := err.Error()
	if status >= 500 {
		msg = http.StatusText(status)
	}
	http.Error(w, msg, status)
}
