package dinterotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/paysession/paysession-go/dintero"
)

// ExpressKind says which express callback an ExpressExchange was.
type ExpressKind string

// The express callbacks.
const (
	// ExpressShippingAddress is the POST to express.shipping_address_callback_url.
	ExpressShippingAddress ExpressKind = "shipping_address"
	// ExpressDiscountCodes is the POST to express.discount_codes.callback_url.
	ExpressDiscountCodes ExpressKind = "discount_codes"
)

// ExpressExchange records one express callback: what the server posted and what came back.
type ExpressExchange struct {
	// Kind is ExpressShippingAddress or ExpressDiscountCodes.
	Kind ExpressKind
	// SessionID is the session the callback was about.
	SessionID string
	// URL is where the session was posted.
	URL string
	// Sent is the posted session, as JSON.
	Sent []byte
	// Status is the merchant's status code; 0 when no answer arrived.
	Status int
	// Received is the answer's body (at most 4 MiB of it).
	Received []byte
	// Answer is Received decoded; nil when the callback failed.
	Answer *dintero.ExpressAnswer
	// Correction is the correction line the server added to the order because the answered
	// amount was not the items plus the chosen shipping option; nil when it added none.
	Correction *dintero.OrderItem
	// Err is why the callback failed; nil when the answer was applied.
	Err error
}

// ExpressExchanges returns a copy of every express callback made so far, oldest first.
func (s *Server) ExpressExchanges() []ExpressExchange {
	s.merchant.mu.Lock()
	defer s.merchant.mu.Unlock()
	return slices.Clone(s.merchant.exchanges)
}

// EnterShippingAddress does what the customer's checkout does when the customer enters a shipping
// address in an express checkout: the session, with address as order.shipping_address, is POSTed
// to express.shipping_address_callback_url, and the answer is applied to the session as Dintero
// applies it (see ApplyDiscountCode). A one-click Apple Pay or Google Pay checkout sends an
// address with only Country and PostalCode: give one to test that case.
//
// On success the session has the address, the answered shipping options and order, and a
// SET_SHIPPING_ADDRESS event. On failure it is unchanged. The exchange is returned (and recorded,
// ExpressExchanges) whenever a request was sent; the error says why the callback failed.
func (s *Server) EnterShippingAddress(id string, address dintero.OrderAddress) (*ExpressExchange, error) {
	return s.expressCallback(ExpressShippingAddress, id, func(sess *dintero.Session) (string, error) {
		if sess.Express == nil || sess.Express.ShippingAddressCallbackURL == nil || *sess.Express.ShippingAddressCallbackURL == "" {
			return "", fmt.Errorf("session %q has no express.shipping_address_callback_url", id)
		}
		sess.Order.ShippingAddress = &address
		return *sess.Express.ShippingAddressCallbackURL, nil
	})
}

// ApplyDiscountCode does what the customer's checkout does when the customer enters a discount
// code in an express checkout: the session, with code added to order.discount_codes, is POSTed to
// express.discount_codes.callback_url, and the answer applied to the session as Dintero applies
// it. The answer must be a 200 with {"shipping_options": [...], "order": {...}?}, each option
// with id, line_id, title and operator and an amount of at least 0. Then:
//
//   - express.shipping_options become the answered options;
//   - the answered order replaces amount, currency, vat_amount, items (when sent) and
//     discount_codes of the session's order;
//   - when the order's amount is not the sum of its items plus the chosen shipping option
//     (order.shipping_option, which the answer does not change), a "correction" line for the
//     difference is added to the items, as Dintero does
//     (https://docs.dintero.com/docs/checkout/shipping-address-callback); not for a partial
//     payment;
//   - a SET_DISCOUNT_CODES event is added.
//
// Like Dintero, the server waits at most 60 seconds (dintero.ExpressCallbackTimeout), does not
// retry, and does not follow redirects. The session is unchanged when the callback fails.
func (s *Server) ApplyDiscountCode(id, code string) (*ExpressExchange, error) {
	return s.expressCallback(ExpressDiscountCodes, id, func(sess *dintero.Session) (string, error) {
		if sess.Express == nil || sess.Express.DiscountCodes == nil || sess.Express.DiscountCodes.CallbackURL == nil || *sess.Express.DiscountCodes.CallbackURL == "" {
			return "", fmt.Errorf("session %q has no express.discount_codes.callback_url", id)
		}
		sess.Order.DiscountCodes = append(slices.Clone(sess.Order.DiscountCodes), code)
		return *sess.Express.DiscountCodes.CallbackURL, nil
	})
}

// ChooseShippingOption does what the customer's checkout does when the customer picks one of the
// session's express.shipping_options: it becomes order.shipping_option, order.amount (and
// vat_amount, when set) change by the difference to the option chosen before, and a
// SET_SHIPPING_OPTION event is added. It fails for an unknown, cancelled or paid session, and for
// a line id that is not among the options.
func (s *Server) ChooseShippingOption(id, lineID string) error {
	_, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		var chosen *dintero.ShippingOption
		if sess.Express != nil {
			for i := range sess.Express.ShippingOptions {
				if sess.Express.ShippingOptions[i].LineID == lineID {
					chosen = &sess.Express.ShippingOptions[i]
				}
			}
		}
		if chosen == nil {
			return fmt.Errorf("session %q offers no shipping option with line_id %q", id, lineID)
		}
		option := *chosen
		old := deref(sess.Order.ShippingOption)
		sess.Order.Amount += option.Amount - old.Amount
		if sess.Order.VATAmount != nil {
			*sess.Order.VATAmount += deref(option.VATAmount) - deref(old.VATAmount)
		}
		sess.Order.ShippingOption = &option
		now := s.now()
		sess.UpdatedAt = &now
		sess.Events = append(sess.Events, s.event(dintero.SessionEventNameSETSHIPPINGOPTION, nil,
			&dintero.SessionEventDetails{ShippingOption: &option}))
		return nil
	})
	if err != nil {
		return fmt.Errorf("dinterotest: ChooseShippingOption: %w", err)
	}
	return nil
}

// expressCallback posts the session, as prepare changes it, to the URL prepare returns, and
// applies the answer. The request is made without holding the store's lock.
func (s *Server) expressCallback(kind ExpressKind, id string, prepare func(*dintero.Session) (string, error)) (*ExpressExchange, error) {
	op := "dinterotest: EnterShippingAddress"
	if kind == ExpressDiscountCodes {
		op = "dinterotest: ApplyDiscountCode"
	}
	stored, ok := s.store.get(id)
	if !ok {
		return nil, fmt.Errorf("%s: %w", op, errNoSession(id))
	}
	if err := updatable(stored); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	posted := clone(view(stored, nil)) // what an answer shows, and a copy prepare may change
	target, err := prepare(posted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	sent, err := json.Marshal(posted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	x := ExpressExchange{Kind: kind, SessionID: id, URL: target, Sent: sent}
	x.Err = s.exchange(&x, posted)
	s.merchant.mu.Lock()
	s.merchant.exchanges = append(s.merchant.exchanges, x)
	s.merchant.mu.Unlock()
	if x.Err != nil {
		return &x, fmt.Errorf("%s: %w", op, x.Err)
	}
	return &x, nil
}

// exchange sends x.Sent, reads and checks the answer and applies it to the session.
func (s *Server) exchange(x *ExpressExchange, posted *dintero.Session) error {
	ctx, cancel := context.WithTimeout(context.Background(), dintero.ExpressCallbackTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.URL, bytes.NewReader(x.Sent))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Dintero (dinterotest)")
	if s.cfg.callbackSecret != "" { // Dintero "can optionally sign all requests it sends"
		req.Header.Set(dintero.SignatureHeader, SignCallback(s.cfg.callbackSecret, s.cfg.accountID, req, s.now()))
	}
	resp, err := s.deliveryClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	x.Status = resp.StatusCode
	x.Received, err = io.ReadAll(io.LimitReader(resp.Body, dintero.MaxIncomingBody))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s callback answered %d; Dintero wants 200", x.Kind, resp.StatusCode)
	}
	answer, err := decodeAnswer(x.Received)
	if err != nil {
		return fmt.Errorf("%s callback answer: %w", x.Kind, err)
	}
	x.Answer = answer
	_, err = s.store.change(x.SessionID, func(_ *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		x.Correction = s.applyAnswer(sess, posted, answer, x.Kind)
		return nil
	})
	return err
}

// decodeAnswer reads an express answer and checks what Dintero's document requires of it.
func decodeAnswer(body []byte) (*dintero.ExpressAnswer, error) {
	var raw struct {
		ShippingOptions json.RawMessage `json:"shipping_options"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if len(raw.ShippingOptions) == 0 || bytes.Equal(raw.ShippingOptions, []byte("null")) {
		return nil, errors.New(`"shipping_options" is required (an empty list means "cannot ship")`)
	}
	var a dintero.ExpressAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, err
	}
	for i, o := range a.ShippingOptions {
		if o.ID == "" || o.LineID == "" || o.Title == "" || o.Operator == "" || o.Amount < 0 {
			return nil, fmt.Errorf("shipping_options[%d]: id, line_id, title and operator are required and amount must not be negative", i)
		}
	}
	return &a, nil
}

// applyAnswer changes sess (the stored session) as Dintero applies an express answer, with the
// posted address or discount codes, and returns the correction line it added, if any.
func (s *Server) applyAnswer(sess, posted *dintero.Session, a *dintero.ExpressAnswer, kind ExpressKind) *dintero.OrderItem {
	details := &dintero.SessionEventDetails{}
	event := dintero.SessionEventNameSETDISCOUNTCODES
	if kind == ExpressShippingAddress {
		sess.Order.ShippingAddress = posted.Order.ShippingAddress
		details.ShippingAddress = posted.Order.ShippingAddress
		event = dintero.SessionEventNameSETSHIPPINGADDRESS
	} else {
		sess.Order.DiscountCodes = posted.Order.DiscountCodes
	}
	if sess.Express == nil {
		sess.Express = &dintero.SessionExpress{}
	}
	sess.Express.ShippingOptions = slices.Clone(a.ShippingOptions)
	if sess.Express.ShippingOptions == nil {
		sess.Express.ShippingOptions = []dintero.ShippingOption{}
	}
	var correction *dintero.OrderItem
	if o := a.Order; o != nil {
		previous := sess.Order
		details.PreviousOrder = &previous
		sess.Order.Amount = o.Amount
		if o.Currency != "" {
			sess.Order.Currency = o.Currency
		}
		if o.VATAmount != nil {
			sess.Order.VATAmount = dintero.Ptr(*o.VATAmount)
		}
		if len(o.Items) > 0 {
			sess.Order.Items = slices.Clone(o.Items)
		}
		if o.DiscountCodes != nil {
			sess.Order.DiscountCodes = slices.Clone(o.DiscountCodes)
		}
		correction = s.correct(&sess.Order)
		updated := sess.Order
		details.UpdatedOrder = &updated
	}
	now := s.now()
	sess.UpdatedAt = &now
	sess.Events = append(sess.Events, s.event(event, nil, details))
	return correction
}

// correct adds a correction line when o.amount is not the sum of its items and shipping option,
// as Dintero does after an express callback, and returns it.
func (s *Server) correct(o *dintero.Order) *dintero.OrderItem {
	if o.PartialPayment != nil && *o.PartialPayment {
		return nil
	}
	var sum int64
	for _, it := range o.Items {
		sum += deref(it.Amount)
	}
	if o.ShippingOption != nil {
		sum += o.ShippingOption.Amount
	}
	if sum == o.Amount {
		return nil
	}
	id := "correction-" + randomString(22)
	c := dintero.OrderItem{
		ID: &id, LineID: &id, Amount: dintero.Ptr(o.Amount - sum), Quantity: dintero.Ptr(1.0),
		Description: dintero.Ptr("Correction"),
	}
	o.Items = append(o.Items, c)
	return &c
}
