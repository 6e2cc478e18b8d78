package sandbox

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// The customer's choices on the checkout page, and the admin API's extra ones.
const (
	// ActionPay pays with the test card: the transaction is authorized.
	ActionPay = "pay"
	// ActionHold pays, but the transaction is left ON_HOLD (pending approval) until the admin
	// API authorizes or fails it.
	ActionHold = "hold"
	// ActionDecline ends the checkout as a card the issuer declined: error=authorization.
	ActionDecline = "decline"
	// ActionCancel ends the checkout as the customer cancelling it: error=cancelled.
	ActionCancel = "cancel"
	// ActionAuthorize and ActionFail end the hold of a session left on hold (admin API only).
	ActionAuthorize = "authorize"
	ActionFail      = "fail"
	// ActionCallback sends the session callback of a paid session again (admin API only), as
	// Dintero's at-least-once delivery may.
	ActionCallback = "callback"
)

// The error codes Dintero appends to return_url (url.return_url in
// https://docs.dintero.com/checkout-api).
const (
	errorAuthorization = "authorization"
	errorCancelled     = "cancelled"
)

// Outcome is what an action did, as the admin API answers it.
type Outcome struct {
	SessionID string `json:"session_id"`
	Action    string `json:"action"`
	// TransactionID is the transaction the action created or changed, if any.
	TransactionID string `json:"transaction_id,omitempty"`
	// Error is the error code of the return URL: "authorization" or "cancelled".
	Error string `json:"error,omitempty"`
	// RedirectURL is where the customer's browser is sent: return_url with Dintero's query.
	// Empty for the actions that happen after the checkout (authorize, fail, callback).
	RedirectURL string `json:"redirect_url,omitempty"`
	// Status is the session's status afterwards (dintero.StatusOf).
	Status dintero.Status `json:"status"`
	// Callback is the delivery of the session callback, when one was sent and the action
	// waited for it (the admin API does; the checkout page delivers in the background).
	Callback *Delivery `json:"callback,omitempty"`

	// sendCallback delivers the callback with ctx; nil when there is none.
	sendCallback func(ctx context.Context) error
}

// actionError is an action refused, with the HTTP status to answer.
type actionError struct {
	status int
	msg    string
}

func (e *actionError) Error() string { return e.msg }

func refuse(status int, format string, args ...any) error {
	return &actionError{status: status, msg: fmt.Sprintf(format, args...)}
}

// act does what the customer (or, for the admin actions, Dintero) does to session id. It
// changes the session and prepares the callback; the caller delivers it.
func (s *Sandbox) act(id, action string) (Outcome, error) {
	d := s.Dintero()
	sess, ok := d.Session(id)
	if !ok {
		return Outcome{}, refuse(http.StatusNotFound, "no session with id %q", id)
	}
	out := Outcome{SessionID: id, Action: action}
	now := time.Now()
	status := dintero.StatusOf(&sess, now)
	open := status == dintero.StatusCreated || status == dintero.StatusLocked
	var err error
	switch action {
	case ActionPay, ActionHold, ActionDecline, ActionCancel:
		if !open {
			return Outcome{}, refuse(http.StatusConflict, "session %q is %s: it can no longer be paid", id, status)
		}
	case ActionAuthorize, ActionFail:
		if status != dintero.StatusOnHold {
			return Outcome{}, refuse(http.StatusConflict, "session %q is %s, not on hold", id, status)
		}
	case ActionCallback:
		if sess.TransactionID == nil {
			return Outcome{}, refuse(http.StatusConflict, "session %q is %s: it has no transaction to call back about", id, status)
		}
	default:
		return Outcome{}, refuse(http.StatusNotFound, "no action %q; the actions are pay, hold, decline, cancel, authorize, fail and callback", action)
	}

	switch action {
	case ActionPay:
		out.TransactionID, err = d.CompletePayment(id)
	case ActionHold:
		out.TransactionID, err = d.HoldPayment(id)
	case ActionDecline:
		out.Error = errorAuthorization
	case ActionCancel:
		out.Error = errorCancelled
	case ActionAuthorize, ActionFail:
		err = d.ResolveHold(id, action == ActionAuthorize)
		out.TransactionID = deref(sess.TransactionID)
	case ActionCallback:
		out.TransactionID = deref(sess.TransactionID)
	}
	if err != nil { // the session changed since it was read
		return Outcome{}, refuse(http.StatusConflict, "%v", err)
	}
	if action == ActionPay || action == ActionHold || action == ActionDecline || action == ActionCancel {
		if out.RedirectURL, err = returnURL(sess, id, out.TransactionID, out.Error); err != nil {
			return Outcome{}, refuse(http.StatusUnprocessableEntity, "%v", err)
		}
	}
	out.sendCallback, err = s.callbackFor(d, sess, out.Error)
	if err != nil {
		return Outcome{}, refuse(http.StatusUnprocessableEntity, "%v", err)
	}
	after, _ := d.Session(id)
	out.Status = dintero.StatusOf(&after, now)
	return out, nil
}

// callbackFor returns how to deliver the signed callback Dintero sends after an action, or nil
// when it sends none. For a transaction it is the fake's DeliverCallback, with Dintero's retries.
// For an error it is the same request without transaction_id and with error, sent once and only
// when callback_url asks for it with report_error=true (url.callback_url in
// https://docs.dintero.com/checkout-api), which the fake does not model.
func (s *Sandbox) callbackFor(d *dinterotest.Server, sess dintero.Session, errorCode string) (func(context.Context) error, error) {
	callbackURL := deref(sess.URL.CallbackURL)
	if callbackURL == "" {
		return nil, nil
	}
	id := deref(sess.ID)
	if errorCode == "" {
		return func(ctx context.Context) error {
			_, err := d.DeliverCallback(ctx, id)
			return err
		}, nil
	}
	u, err := url.Parse(callbackURL)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("session %q: callback_url %q is not an absolute URL", id, callbackURL)
	}
	q := u.Query()
	if q.Get("report_error") != "true" {
		return nil, nil
	}
	now := time.Now()
	sid := "session_id"
	if q.Get("sid_parameter_name") == "sid" {
		sid = "sid"
	}
	q.Set(sid, id)
	q.Set("merchant_reference", sess.Order.MerchantReference)
	q.Set("time", now.UTC().Format(time.RFC3339))
	q.Set("error", errorCode)
	u.RawQuery = q.Encode()
	target := u.String()
	deliveryID := randomID()
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", "Dintero (paysandbox)")
		req.Header.Set(dintero.DeliveryHeader, deliveryID)
		req.Header.Set(dintero.SignatureHeader, dinterotest.SignCallback(s.cfg.Dintero.CallbackSecret, d.AccountID(), req, now))
		resp, err := s.callbacks.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return resp.Body.Close()
	}, nil
}

// randomID returns a random UUID (version 4), the shape of Dintero's event-delivery ids.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// returnURL is the session's return_url with the query Dintero appends: transaction_id when
// there is a transaction, error when the checkout failed, merchant_reference always, and
// session_id (url.return_url in https://docs.dintero.com/checkout-api). Parameters already in
// the URL stay.
func returnURL(sess dintero.Session, id, transactionID, errorCode string) (string, error) {
	u, err := url.Parse(sess.URL.ReturnURL)
	if err != nil || !u.IsAbs() {
		return "", fmt.Errorf("session %q: return_url %q is not an absolute URL", id, sess.URL.ReturnURL)
	}
	switch strings.ToLower(u.Scheme) {
	case "javascript", "data", "vbscript":
		return "", fmt.Errorf("session %q: return_url has the scheme %q, which no browser may be sent to", id, u.Scheme)
	}
	q := u.Query()
	if transactionID != "" {
		q.Set("transaction_id", transactionID)
	}
	if errorCode != "" {
		q.Set("error", errorCode)
	}
	q.Set("merchant_reference", sess.Order.MerchantReference)
	q.Set("session_id", id)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// checkoutAction serves the buttons of the checkout page: POST /v1/view/{id}/{action}. The
// browser is sent on to return_url and the callback is delivered in the background.
func (s *Sandbox) checkoutAction(w http.ResponseWriter, r *http.Request) {
	id, action := r.PathValue("id"), r.PathValue("action")
	switch action {
	case ActionPay, ActionHold, ActionDecline, ActionCancel:
	default:
		s.errorPage(w, http.StatusNotFound, fmt.Sprintf("The checkout has no button %q.", action))
		return
	}
	out, err := s.act(id, action)
	if err != nil {
		s.errorPage(w, statusOf(err), err.Error())
		return
	}
	s.logOutcome(out)
	if out.sendCallback != nil {
		s.deliverLater(out.sendCallback, "callback", id)
	}
	http.Redirect(w, r, out.RedirectURL, http.StatusSeeOther)
}

func (s *Sandbox) logOutcome(out Outcome) {
	what := out.Action
	if out.TransactionID != "" {
		what += ", transaction " + out.TransactionID
	}
	if out.Error != "" {
		what += ", error=" + out.Error
	}
	if out.RedirectURL != "" {
		what += ", customer sent to " + out.RedirectURL
	}
	s.logf("session %s: %s (now %s)", out.SessionID, what, out.Status)
}

func statusOf(err error) int {
	var ae *actionError
	if errors.As(err, &ae) {
		return ae.status
	}
	return http.StatusInternalServerError
}

//go:embed checkout.html
var checkoutHTML string

var checkoutTemplate = template.Must(template.New("checkout").Parse(checkoutHTML))

// page is what checkout.html shows.
type page struct {
	Title        string
	Error        string // an error page when set
	ID           string
	MerchantName string
	Reference    string
	Lines        []pageLine
	Shipping     *pageLine
	Amount       string
	Currency     string
	Status       dintero.Status
	Payable      bool
	ReturnURL    string // where the page's "back to the shop" link goes once the checkout is over
	CallbackURL  string
	ReportErrors bool
	Express      *pageExpress
	// Notice says what went wrong with the last form, e.g. the shop's express callback.
	Notice string
}

type pageLine struct {
	Description string
	Quantity    string
	VAT         string
	Amount      string
}

// checkoutPage serves the session URL: GET /v1/view/{id}.
func (s *Sandbox) checkoutPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sess, ok := s.Dintero().Session(id)
	if !ok {
		s.errorPage(w, http.StatusNotFound, fmt.Sprintf("There is no session %q in this sandbox (a reset forgets them all).", id))
		return
	}
	s.checkoutPageWith(w, sess, http.StatusOK, "")
}

// checkoutPageWith renders the checkout page of sess, with a notice when a form failed. It
// shows the session as stored now.
func (s *Sandbox) checkoutPageWith(w http.ResponseWriter, sess dintero.Session, status int, notice string) {
	id := deref(sess.ID)
	if now, ok := s.Dintero().Session(id); ok {
		sess = now
	}
	currency := sess.Order.Currency
	p := page{
		Title:       "Checkout " + sess.Order.MerchantReference,
		ID:          id,
		Reference:   sess.Order.MerchantReference,
		Amount:      amount(sess.Order.Amount, currency),
		Currency:    currency,
		Status:      dintero.StatusOf(&sess, time.Now()),
		CallbackURL: deref(sess.URL.CallbackURL),
	}
	if u, err := url.Parse(p.CallbackURL); err == nil {
		p.ReportErrors = u.Query().Get("report_error") == "true"
	}
	if m := sess.Configuration.Merchant; m != nil {
		p.MerchantName = deref(m.Name)
	}
	for _, it := range sess.Order.Items {
		p.Lines = append(p.Lines, pageLine{
			Description: firstNonEmpty(deref(it.Description), deref(it.ID), deref(it.LineID)),
			Quantity:    strconv.FormatFloat(deref(it.Quantity), 'f', -1, 64),
			VAT:         vat(it.VAT),
			Amount:      amount(deref(it.Amount), currency),
		})
	}
	if so := sess.Order.ShippingOption; so != nil {
		p.Shipping = &pageLine{Description: "Shipping: " + so.Title, Quantity: "1", VAT: vat(so.VAT), Amount: amount(so.Amount, currency)}
	}
	p.Payable = p.Status == dintero.StatusCreated || p.Status == dintero.StatusLocked
	if p.Payable {
		p.Express = expressOf(sess)
	} else {
		p.ReturnURL, _ = returnURL(sess, id, deref(sess.TransactionID), "")
	}
	p.Notice = notice
	render(w, status, p)
}

func (s *Sandbox) errorPage(w http.ResponseWriter, status int, msg string) {
	render(w, status, page{Title: http.StatusText(status), Error: msg})
}

func render(w http.ResponseWriter, status int, p page) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The page needs nothing but its own inline styles. Forms are not restricted
	// (form-action), since Chrome applies that to the redirect to return_url too.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = checkoutTemplate.Execute(w, p)
}

// amount shows minor units as a decimal in the currency's exponent, e.g. 29900 NOK as "299.00".
func amount(minor int64, currency string) string {
	s, err := dintero.FormatAmount(minor, currency)
	if err != nil {
		return strconv.FormatInt(minor, 10) + " (minor units)"
	}
	return s
}

func vat(percent *float64) string {
	if percent == nil {
		return ""
	}
	return strconv.FormatFloat(*percent, 'f', -1, 64) + " %"
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
