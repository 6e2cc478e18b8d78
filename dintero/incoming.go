package dintero

// What the merchant's server receives from Dintero: the session callback (callback.go), the
// express-checkout callbacks (express.go) and the account webhooks (webhook.go). They share the
// errors below, the bounded body read and the transaction summary.

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/untrusted"
)

// MaxIncomingBody is the most that CallbackVerifier.Parse, WebhookVerifier.Parse and
// ExpressHandler read of a request body: 4 MiB. What Dintero posts (a transaction, a session with
// its events) is far smaller; a larger body is refused with ErrRequestTooLarge before it is
// decoded, so a hostile sender cannot make the server hold more than this.
const MaxIncomingBody = 4 << 20

// MaxCallbackURL is the longest path and query a session callback may have: Dintero's callback
// adds a few short parameters to the callback URL you gave; a longer request is refused before
// anything is parsed or hashed.
const MaxCallbackURL = 8 << 10

// ErrMisconfigured is wrapped by the errors that say the merchant's own configuration cannot
// work: a CallbackVerifier whose AccountID is not "T" or "P" and eight digits or whose Secret is
// empty, a WebhookVerifier without a Secret, an ExpressHandler without an Answer function. Such
// an error is the server's fault, never the request's: answer 500 (Dintero retries callbacks on
// 5xx), log it and fix the configuration. It never wraps ErrInvalidSignature.
var ErrMisconfigured = errors.New("dintero: misconfigured")

// ErrInvalidRequest is wrapped by the errors of an incoming request that is not one Dintero
// sends, apart from its signature (ErrInvalidSignature): a wrong method, a body that is too large
// or is not the JSON expected, a callback without its session id. Answer with a 4xx (HTTPStatus).
var ErrInvalidRequest = errors.New("dintero: invalid request")

// The specific kinds of ErrInvalidRequest that have their own HTTP status.
var (
	// ErrMethodNotAllowed: the method is not one Dintero uses for this request (GET or POST for
	// the session callback, POST for the express callbacks and webhooks). HTTPStatus: 405.
	ErrMethodNotAllowed = fmt.Errorf("%w: method not allowed", ErrInvalidRequest)

	// ErrRequestTooLarge: the body is larger than MaxIncomingBody. HTTPStatus: 413.
	ErrRequestTooLarge = fmt.Errorf("%w: body larger than %d bytes", ErrInvalidRequest, MaxIncomingBody)
)

// HTTPStatus returns the status a handler should answer when Parse (of a CallbackVerifier or a
// WebhookVerifier) failed with err: 401 for ErrInvalidSignature, 405 for ErrMethodNotAllowed, 413
// for ErrRequestTooLarge, 400 for another ErrInvalidRequest, and 500 for ErrMisconfigured and
// anything else (Dintero retries a 5xx, and gives up on a 4xx). nil gives 200.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrInvalidSignature):
		return http.StatusUnauthorized
	case errors.Is(err, ErrMethodNotAllowed):
		return http.StatusMethodNotAllowed
	case errors.Is(err, ErrRequestTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrInvalidRequest):
		return http.StatusBadRequest
	default:
		return http.StatusInternalServerError
	}
}

// invalidRequest returns an error wrapping kind (ErrInvalidRequest or one of its kinds).
func invalidRequest(kind error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)
}

// misconfigured returns an error wrapping ErrMisconfigured.
func misconfigured(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMisconfigured}, args...)...)
}

// readIncomingBody reads r.Body, at most MaxIncomingBody bytes, and puts an equal reader back in
// r.Body so that the caller can read the body again. A missing body reads as empty.
func readIncomingBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > MaxIncomingBody {
		return nil, ErrRequestTooLarge // refused before a byte is read
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxIncomingBody+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, invalidRequest(ErrInvalidRequest, "reading the body: %v", err)
	}
	if len(body) > MaxIncomingBody {
		return nil, ErrRequestTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// jsonProblem describes a decoding error in one short line: where the JSON breaks or which field
// has the wrong type, never more than a character of the body.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &syntax) && strings.HasPrefix(syntax.Error(), "unexpected end"):
		return "the JSON ends early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s at byte %d is a JSON %s, not %s", cmp.Or(typ.Field, "the value"), typ.Offset, typ.Value, typ.Type)
	default:
		return untrusted.Line(err.Error(), 200)
	}
}

// Transaction is the part of a Dintero transaction that the session callback (with method=POST)
// and the checkout webhooks carry and that a merchant acts on. Dintero's transaction has many
// more fields, per payment product (the Transaction schema of
// https://docs.dintero.com/checkout-api/example-session-callbacks/example_session_get_callback_url
// and https://docs.dintero.com/docs/checkout/checkout-webhooks): the raw body (Callback.Body,
// WebhookEvent.Body) holds them all. A field Dintero leaves out stays empty.
//
// Neither the callback signature nor anything else authenticates a callback's body: act on the
// signed query (Callback.TransactionID) and read the transaction from Dintero when it matters.
type Transaction struct {
	// ID is the transaction id, e.g. "T12345678.4XoYzPBrqv4nBBk7n8C5Un".
	ID string `json:"id"`
	// SessionID is the checkout session the transaction was created from.
	SessionID string `json:"session_id,omitempty"`
	// MerchantReference is the session's order.merchant_reference.
	MerchantReference string `json:"merchant_reference,omitempty"`
	// MerchantReference2 is the session's order.merchant_reference_2.
	MerchantReference2 string `json:"merchant_reference_2,omitempty"`
	// Amount is the authorized amount in minor units, VAT included.
	Amount MinorUnits `json:"amount,omitempty"`
	// Currency is the ISO 4217 currency code, e.g. "NOK".
	Currency string `json:"currency,omitempty"`
	// Status is the transaction's status: AUTHORIZED, CAPTURED, PARTIALLY_CAPTURED, REFUNDED,
	// AUTHORIZATION_VOIDED, DECLINED, FAILED, ON_HOLD, … (a value Dintero adds later is kept as
	// it is).
	Status string `json:"status,omitempty"`
	// PaymentProductType is how the customer paid, e.g. "payex.creditcard", "vipps".
	PaymentProductType string `json:"payment_product_type,omitempty"`
	// CreatedAt is when the transaction was created; nil when not sent.
	CreatedAt *time.Time `json:"created_at,omitempty"`
	// UpdatedAt is when the transaction last changed; nil when not sent.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}
