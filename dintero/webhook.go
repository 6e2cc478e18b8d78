package dintero

// Account webhooks: Dintero POSTs an event to every subscribed URL and signs the raw body.
//
// Sources: https://docs.dintero.com/docs/checkout/webhooks,
// https://docs.dintero.com/docs/checkout/checkout-webhooks and
// https://docs.dintero.com/docs/webhooks. The event-signature header is the lower-case hex
// HMAC-SHA1 of the request body with the subscription's config.secret, "separate from the
// Checkout callback_url signature, which uses HMAC-SHA256". Dintero's older sample HMACs
// JSON.stringify(req.body), a re-serialization; the exact bytes received are what the current
// page describes and the only form that verifies reliably, so those are what is checked.
//
// The webhook carries no timestamp, so a captured delivery can be replayed at any time: handle
// webhooks idempotently (WebhookEvent.IdempotencyKey), as Dintero retries them anyway.

import (
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
	"github.com/paysession/paysession-go/internal/redact"
)

// WebhookSignatureHeader is the header in which Dintero sends a webhook's signature: the hex
// HMAC-SHA1 of the raw body, keyed with the subscription's secret.
const WebhookSignatureHeader = "Event-Signature"

// WebhookEventHeader is the header in which Dintero sends a webhook's event type ("event"), also
// found in the body.
const WebhookEventHeader = "Event"

// Webhook event types (WebhookEvent.Event) of checkout transactions
// (https://docs.dintero.com/docs/checkout/checkout-webhooks). A subscription may carry others.
const (
	// WebhookEventCheckoutTransaction: a checkout transaction was created or changed (captured,
	// refunded, voided).
	WebhookEventCheckoutTransaction = "checkout_transaction"
	// WebhookEventCheckoutAuthorization: a payment was authorized; what the session callback
	// reports.
	WebhookEventCheckoutAuthorization = "checkout_authorization"
	// WebhookEventPing: sent when a subscription is created.
	WebhookEventPing = "ping"
)

// WebhookVerifier checks and decodes the webhooks Dintero sends to a subscription's URL
// (https://docs.dintero.com/docs/checkout/webhooks). Secret is required. A WebhookVerifier is a
// plain value and safe for concurrent use. Printing it with fmt (any verb) or logging it with
// log/slog never shows the Secret.
type WebhookVerifier struct {
	// Secret is the subscription's config.secret, as given when the subscription was created;
	// its bytes are the HMAC key.
	Secret string
}

// WebhookEvent is a webhook that WebhookVerifier.Parse verified. The whole body is signed, so
// every field is authentic, those from the headers excepted as noted.
type WebhookEvent struct {
	// Event is the event type, e.g. "checkout_transaction", "checkout_authorization" or "ping":
	// the body's event, else the event header.
	Event string
	// DeliveryID is Dintero's id of this delivery: the body's event_delivery, else the
	// event-delivery header (which is not signed).
	DeliveryID string
	// AccountID is the account the event belongs to (account_id), e.g. "P12345678".
	AccountID string
	// Transaction is the transaction the event is about; nil when the event has none (ping).
	Transaction *Transaction
	// Body is the request body as received, for the fields this type does not decode.
	Body []byte
}

// IdempotencyKey returns a key that is equal for every delivery of the same event and differs
// between events: the event type with the transaction's id, status and updated_at
// ("event=checkout_transaction&status=CAPTURED&transaction_id=…&updated_at=…"), or with the
// delivery id for an event without a transaction. Dintero retries a webhook that failed, so a
// handler should store the key with the work it does and skip an event whose key it has seen.
func (e *WebhookEvent) IdempotencyKey() string {
	key := url.Values{"event": {e.Event}}
	if t := e.Transaction; t != nil {
		key.Set("transaction_id", t.ID)
		key.Set("status", t.Status)
		if t.UpdatedAt != nil {
			key.Set("updated_at", t.UpdatedAt.UTC().Format("2006-01-02T15:04:05.999999999Z"))
		}
	} else {
		key.Set("delivery", e.DeliveryID)
	}
	return key.Encode()
}

// webhookBody is the JSON Dintero posts.
type webhookBody struct {
	AccountID     string       `json:"account_id"`
	Event         string       `json:"event"`
	EventDelivery string       `json:"event_delivery"`
	Transaction   *Transaction `json:"transaction"`
}

// webhookSignatureError is a webhook that failed verification. It unwraps to one of the
// ErrSignature… kinds (and so to ErrInvalidSignature) while naming the webhook's own header.
type webhookSignatureError struct {
	kind error
	why  string
}

func (e *webhookSignatureError) Error() string {
	return "dintero: invalid webhook signature: " + e.why
}

func (e *webhookSignatureError) Unwrap() error { return e.kind }

// Parse verifies the webhook r and returns it decoded. It reads the body, at most
// MaxIncomingBody bytes, computes the HMAC-SHA1 of exactly those bytes with Secret and compares
// it in constant time with the event-signature header; the body stays readable in r.Body
// afterwards.
//
// Errors: ErrMisconfigured for an empty Secret (checked first, whatever the request);
// ErrMethodNotAllowed for a method other than POST; ErrRequestTooLarge for a body over the limit;
// ErrInvalidSignature with ErrSignatureMissing (no header), ErrSignatureMalformed (not 40 hex
// digits, or the header repeated) or ErrSignatureMismatch; and ErrInvalidRequest for a
// verified body that is not a JSON object. HTTPStatus maps them to the status to answer.
func (v WebhookVerifier) Parse(r *http.Request) (*WebhookEvent, error) {
	if v.Secret == "" {
		return nil, misconfigured("WebhookVerifier.Secret is empty") // an empty key is known to all
	}
	if r == nil {
		return nil, errors.New("dintero: WebhookVerifier: nil request")
	}
	if r.Method != http.MethodPost {
		return nil, invalidRequest(ErrMethodNotAllowed, "a webhook is POST, not %.20q", r.Method)
	}
	values := r.Header.Values(WebhookSignatureHeader)
	switch len(values) {
	case 0:
		return nil, &webhookSignatureError{ErrSignatureMissing, "missing " + WebhookSignatureHeader + " header"}
	case 1:
	default:
		return nil, &webhookSignatureError{ErrSignatureMalformed, fmt.Sprintf("%s header sent %d times", WebhookSignatureHeader, len(values))}
	}
	got, err := hex.DecodeString(values[0])
	if err != nil || len(got) != callbacksig.WebhookSumSize {
		return nil, &webhookSignatureError{ErrSignatureMalformed, WebhookSignatureHeader + " is not 40 hex digits"}
	}
	body, err := readIncomingBody(r)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(got, callbacksig.WebhookSum(v.Secret, body)) {
		return nil, &webhookSignatureError{ErrSignatureMismatch, WebhookSignatureHeader + " does not match the body"}
	}
	var b webhookBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, invalidRequest(ErrInvalidRequest, "webhook body: %s", jsonProblem(err))
	}
	e := &WebhookEvent{Event: b.Event, DeliveryID: b.EventDelivery, AccountID: b.AccountID, Transaction: b.Transaction, Body: body}
	if e.Event == "" {
		e.Event = r.Header.Get(WebhookEventHeader)
	}
	if e.DeliveryID == "" {
		e.DeliveryID = r.Header.Get(DeliveryHeader)
	}
	return e, nil
}

// String returns a description of v with the secret redacted.
func (v WebhookVerifier) String() string {
	return "dintero.WebhookVerifier{Secret:" + v.redactedSecret() + "}"
}

// GoString returns a Go-syntax-like description of v with the secret redacted; fmt uses it
// for %#v.
func (v WebhookVerifier) GoString() string {
	return fmt.Sprintf("dintero.WebhookVerifier{Secret:%q}", v.redactedSecret())
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %s, %q, %x, …) can print the
// secret: %#v prints GoString, %q a quoted String, every other verb String.
func (v WebhookVerifier) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, v.String(), v.GoString())
}

// LogValue implements slog.LogValuer so that structured logging never shows the secret.
func (v WebhookVerifier) LogValue() slog.Value {
	return slog.GroupValue(slog.String("secret", v.redactedSecret()))
}

// redactedSecret says whether a secret is set, never what it is.
func (v WebhookVerifier) redactedSecret() string { return redactedSecret(v.Secret) }
