package dintero

// Callback signature verification for Dintero Checkout callbacks.
//
// Sources:
//
//   - https://docs.dintero.com/checkout-api/secrets/admin_signature_post
//     (POST /v1/admin/signature creates the secret; scheme "v0-hmac-sha256"; payload
//     "<timestamp>\n<account_id>\n<method>\n<hostname>\n<pathname>\n<query>"; "The query
//     parameters must be sorted"; recommended tolerance "five minutes"). Its worked example
//     (secret "123", t=1582236537, account P00000000, GET https://example.com/callback?B=123&A=992
//     → 6bed2ab1…df64a) is reproduced in TestVerifyDocsExample.
//   - https://docs.dintero.com/docs/checkout/validating-callbacks
//     ("spaces in query parameters must be encoded with + (not %20)", "The query parameters
//     must be sorted", and the Node.js sample createSignature/verifySignature).
//   - https://docs.dintero.com/checkout-api/example-session-callbacks/example_session_get_callback_url
//     (the Dintero-Signature header is only sent when a signature secret exists).
//
// Where the docs leave room, the verifier does what the documented JS sample does, since that
// is what Dintero tells integrators to run. How the payload is built (secret bytes, host name,
// path, query order and encoding) is in package callbacksig. Beyond it:
//
//   - Timestamp: t is Unix time in SECONDS (the sample compares it with Date.now()/1000).
//   - Several signatures: the docs show exactly one v0-hmac-sha256 entry and say nothing about
//     secret rotation. A header with several v0-hmac-sha256 entries verifies if any matches
//     (the Stripe-style convention; it cannot weaken verification because every entry is
//     checked against our secret). Unknown keys are ignored so that a future scheme (e.g.
//     "v1-…") added next to v0 does not break verification. Exactly one t is required.
//   - Tolerance: the docs recommend five minutes. The sample's check
//     `timestamp < now/1000 + 5 * 60 * 60` is wrong twice: 5*60*60 is five HOURS, and it only
//     rejects timestamps in the future, never old ones. Verify rejects both directions with a
//     default of 5 minutes.
//
// The request body is not part of the signed payload. For callbacks configured with
// method=POST the body is therefore unauthenticated: trust only the signed URL parameters
// (transaction_id, session_id, …) and fetch the transaction or session from the API.
//
// The path and query are taken from r.RequestURI, the request line as it arrived, so that
// verification still works when http.StripPrefix or a router has rewritten r.URL.Path.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/wwwform"
)

// SignatureHeader is the name of the HTTP header in which Dintero sends the callback
// signature, in the form "t=<unix seconds>,v0-hmac-sha256=<hex>".
// See https://docs.dintero.com/docs/checkout/validating-callbacks.
const SignatureHeader = "Dintero-Signature"

// DefaultCallbackTolerance is the maximum accepted distance between a callback's signature
// timestamp and the current time when CallbackVerifier.Tolerance is zero. Dintero recommends
// "a tolerance of five minutes" (https://docs.dintero.com/checkout-api/secrets/admin_signature_post).
const DefaultCallbackTolerance = 5 * time.Minute

// ErrInvalidSignature is wrapped by every error that CallbackVerifier.Verify returns because
// the request itself failed verification. Test for it with errors.Is and answer such requests
// with a 4xx status. Errors that do not wrap it mean the verifier is misconfigured.
var ErrInvalidSignature = errors.New("dintero: invalid callback signature")

// The reasons a callback can fail verification. Each wraps ErrInvalidSignature, and the error
// returned by Verify wraps exactly one of them, so errors.Is works with either level.
// The messages never contain the secret or the expected signature.
var (
	// ErrSignatureMissing means the request has no Dintero-Signature header. Dintero only
	// sends it once a secret was created with POST /v1/admin/signature.
	ErrSignatureMissing = fmt.Errorf("%w: missing %s header", ErrInvalidSignature, SignatureHeader)

	// ErrSignatureMalformed means the Dintero-Signature header could not be parsed: it is
	// empty or repeated, lacks t or a v0-hmac-sha256 entry, or has a non-numeric t or a
	// signature that is not 64 hex digits.
	ErrSignatureMalformed = fmt.Errorf("%w: malformed %s header", ErrInvalidSignature, SignatureHeader)

	// ErrSignatureMismatch means no signature in the header matches the request: the secret,
	// account, method, host, path or query differ from what Dintero signed.
	ErrSignatureMismatch = fmt.Errorf("%w: signature does not match", ErrInvalidSignature)

	// ErrSignatureStale means the signature is authentic but its timestamp is older than the
	// tolerance (a possible replay).
	ErrSignatureStale = fmt.Errorf("%w: signature timestamp too old", ErrInvalidSignature)

	// ErrSignatureFuture means the signature is authentic but its timestamp lies further in
	// the future than the tolerance (a clock problem, or a signature minted for later replay).
	ErrSignatureFuture = fmt.Errorf("%w: signature timestamp in the future", ErrInvalidSignature)
)

// CallbackVerifier checks the Dintero-Signature header of callbacks that Dintero Checkout
// sends to a session's url.callback_url
// (https://docs.dintero.com/docs/checkout/validating-callbacks).
//
// The zero Tolerance and a nil Now are usable defaults; AccountID and Secret are required.
// A CallbackVerifier is a plain value and safe for concurrent use.
//
// Printing a CallbackVerifier with fmt (any verb, including %+v and %#v) or logging it with
// log/slog never shows the Secret. Note that fmt cannot call these methods when the verifier
// sits in an unexported struct field, and encoding/json marshals Secret like any other
// exported field: do not dump configuration structs that contain it.
type CallbackVerifier struct {
	// AccountID is the Dintero account id the callbacks belong to, e.g. "P00000000" or
	// "T12345678". It is part of the signed payload.
	AccountID string

	// Secret is the signature secret returned by POST /v1/admin/signature
	// (https://docs.dintero.com/checkout-api/secrets/admin_signature_post), used verbatim
	// as the HMAC key (its bytes, not hex-decoded).
	Secret string

	// Tolerance is the maximum accepted age of the signature timestamp, and equally the
	// maximum accepted distance into the future. Zero means DefaultCallbackTolerance
	// (5 minutes); negative values are a configuration error.
	Tolerance time.Duration

	// Host is the public host name of the callback URL as registered with Dintero, e.g.
	// "shop.example.com" (a ":port" suffix is ignored, because Dintero signs the host name
	// without the port). Set it when the service runs behind a proxy or load balancer that
	// rewrites the Host header; empty means use r.Host (or r.URL.Host if r.Host is empty).
	// It is deliberately a fixed setting rather than read from X-Forwarded-Host, which the
	// sender controls.
	//
	// Behind a reverse proxy or load balancer, Dintero's signature covers the method, the host
	// name, the path and the query of the URL it called, so the proxy must keep the method, the
	// path and the query byte for byte (no re-encoding, reordering, added or removed
	// parameters) and pass the Dintero-Signature header on; the host either stays in the Host
	// header or is set here. A proxy that moves the service to another path (public
	// /shop/dintero/callback, backend /dintero/callback) breaks verification unless the
	// handler restores the public request line in r.RequestURI (on a shallow copy of the
	// request) before calling Verify or Parse.
	Host string

	// Now returns the current time; nil means time.Now. Tests can fix it.
	Now func() time.Time
}

// Verify checks that r carries a valid Dintero-Signature for the verifier's secret and
// account, and that the signature's timestamp is within Tolerance of the current time.
//
// The signed payload is built from r.Method, the host name (Host, else r.Host, else
// r.URL.Host; port removed, lower-cased), and the path and query of r.RequestURI
// (canonicalized as package callbacksig describes). r.RequestURI is the request line as the
// server received it, which http.StripPrefix and routers leave alone when they rewrite
// r.URL.Path; a request without one (built with http.NewRequest rather than received) is
// verified with r.URL.EscapedPath() and r.URL.RawQuery. The body is not read.
//
// It returns nil on success. An error wrapping ErrInvalidSignature (and exactly one of
// ErrSignatureMissing, ErrSignatureMalformed, ErrSignatureMismatch, ErrSignatureStale or
// ErrSignatureFuture) means the request must be rejected. An error wrapping ErrMisconfigured
// means the verifier itself is misconfigured (an AccountID that is not "T" or "P" and eight
// digits, an empty Secret, a negative Tolerance); a nil request is an error of its own.
//
// The signature is checked before the timestamp, so a stale or future error is only reported
// for requests that Dintero really signed. Signatures are compared in constant time.
// A valid signature can be replayed within the tolerance window: handle callbacks
// idempotently (Dintero also retries them).
func (v CallbackVerifier) Verify(r *http.Request) error {
	_, err := v.verify(r)
	return err
}

// verify is Verify, also returning the signature's timestamp on success.
func (v CallbackVerifier) verify(r *http.Request) (time.Time, error) {
	if err := v.checkConfig(); err != nil {
		return time.Time{}, err
	}
	if r == nil {
		return time.Time{}, errors.New("dintero: CallbackVerifier: nil request")
	}
	if path, query := callbacksig.Target(r); len(path)+len(query) > MaxCallbackURL {
		// Dintero's callback query is a handful of short parameters; a longer one is not worth
		// canonicalising and hashing (net/http accepts request lines of up to 1 MiB).
		return time.Time{}, fmt.Errorf("%w: request URL of %d bytes, more than %d", ErrInvalidRequest, len(path)+len(query), MaxCallbackURL)
	}
	values := r.Header.Values(SignatureHeader)
	switch len(values) {
	case 0:
		return time.Time{}, ErrSignatureMissing
	case 1:
	default:
		return time.Time{}, fmt.Errorf("%w: header sent %d times", ErrSignatureMalformed, len(values))
	}
	ts, sigs, err := parseSignatureHeader(values[0])
	if err != nil {
		return time.Time{}, err
	}

	host := v.Host
	if host == "" {
		host = callbacksig.RequestHost(r)
	}
	want := callbacksig.Sum(v.Secret, ts, v.AccountID, r, host)
	match := false
	for _, sig := range sigs {
		// No early exit; hmac.Equal is constant-time for equal lengths (all are 32 bytes).
		match = hmac.Equal(sig, want) || match
	}
	if !match {
		return time.Time{}, ErrSignatureMismatch
	}

	tolerance := v.Tolerance
	if tolerance == 0 {
		tolerance = DefaultCallbackTolerance
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	current := now()
	// time.Unix wraps around for seconds near MaxInt64 (it adds the offset to year 1), which
	// would turn an absurd future t into a past one. ts is never negative (digits only), and
	// clamping to 2^62 s (~1.5e11 years) cannot change whether it is within tolerance.
	signedAt := time.Unix(min(ts, 1<<62), 0)
	// Two one-sided Subs instead of one Sub and a negation: Sub saturates at the Duration
	// limits, and negating the minimum Duration would overflow for absurd timestamps.
	if signedAt.Before(current) {
		if age := current.Sub(signedAt); age > tolerance {
			return time.Time{}, fmt.Errorf("%w: signed %s ago, tolerance %s", ErrSignatureStale, age, tolerance)
		}
	} else if ahead := signedAt.Sub(current); ahead > tolerance {
		return time.Time{}, fmt.Errorf("%w: signed %s ahead of the local clock, tolerance %s", ErrSignatureFuture, ahead, tolerance)
	}
	return signedAt, nil
}

// checkConfig reports verifier misconfiguration. These errors wrap ErrMisconfigured and
// deliberately not ErrInvalidSignature: they are the server's fault, not the request's. A
// malformed account id would otherwise only show up as a signature mismatch on every callback.
func (v CallbackVerifier) checkConfig() error {
	switch {
	case v.AccountID == "":
		return misconfigured("CallbackVerifier.AccountID is empty")
	case !accountIDPattern.MatchString(v.AccountID):
		// Not echoed: a secret pasted into the wrong field would end up in a log.
		return misconfigured("CallbackVerifier.AccountID (%d bytes) is not T or P and eight digits, e.g. T12345678", len(v.AccountID))
	case v.Secret == "":
		// An empty HMAC key is a key everybody knows: refuse rather than accept forgeries.
		return misconfigured("CallbackVerifier.Secret is empty")
	case v.Tolerance < 0:
		return misconfigured("CallbackVerifier.Tolerance is negative")
	}
	return nil
}

// parseSignatureHeader parses "t=<digits>,v0-hmac-sha256=<hex>[,v0-hmac-sha256=<hex>…]".
// Whitespace around entries is tolerated, entries with unknown keys are ignored. Every error
// wraps ErrSignatureMalformed and never echoes header content.
func parseSignatureHeader(h string) (ts int64, sigs [][]byte, err error) {
	malformed := func(why string) (int64, [][]byte, error) {
		return 0, nil, fmt.Errorf("%w: %s", ErrSignatureMalformed, why)
	}
	if strings.TrimSpace(h) == "" {
		return malformed("empty value")
	}
	haveT := false
	for part := range strings.SplitSeq(h, ",") {
		part = strings.Trim(part, " \t")
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return malformed("entry without '='")
		}
		switch key {
		case "t":
			if haveT {
				return malformed("t given more than once")
			}
			haveT = true
			if val == "" || strings.TrimLeft(val, "0123456789") != "" {
				return malformed("t is not a decimal number of seconds")
			}
			ts, err = strconv.ParseInt(val, 10, 64)
			if err != nil {
				return malformed("t is out of range")
			}
		case callbacksig.Scheme:
			if len(val) != 2*sha256.Size {
				return malformed(callbacksig.Scheme + " is not 64 hex digits")
			}
			sig, err := hex.DecodeString(val)
			if err != nil {
				return malformed(callbacksig.Scheme + " is not 64 hex digits")
			}
			sigs = append(sigs, sig)
		default:
			// Unknown scheme or parameter: ignored for forward compatibility.
		}
	}
	if !haveT {
		return malformed("no t entry")
	}
	if len(sigs) == 0 {
		return malformed("no " + callbacksig.Scheme + " entry")
	}
	return ts, sigs, nil
}

// String returns a description of v with the secret redacted.
func (v CallbackVerifier) String() string {
	return fmt.Sprintf("dintero.CallbackVerifier{AccountID:%q Secret:%s Tolerance:%s Host:%q Now:%s}",
		v.AccountID, v.redactedSecret(), v.Tolerance, v.Host, v.nowDescription())
}

// GoString returns a Go-syntax-like description of v with the secret redacted; fmt uses
// it for %#v.
func (v CallbackVerifier) GoString() string {
	return fmt.Sprintf("dintero.CallbackVerifier{AccountID:%q, Secret:%q, Tolerance:%d, Host:%q, Now:%s}",
		v.AccountID, v.redactedSecret(), int64(v.Tolerance), v.Host, v.nowDescription())
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %s, %q, %x, …) can print the
// secret: %#v prints GoString, %q a quoted String, every other verb String.
func (v CallbackVerifier) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, v.String(), v.GoString())
}

// LogValue implements slog.LogValuer so that structured logging shows the configuration
// without the secret.
func (v CallbackVerifier) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("account_id", v.AccountID),
		slog.String("secret", v.redactedSecret()),
		slog.Duration("tolerance", v.Tolerance),
		slog.String("host", v.Host),
	)
}

// redactedSecret says whether a secret is set, never what it is.
func (v CallbackVerifier) redactedSecret() string { return redactedSecret(v.Secret) }

// redactedSecret says whether a verifier's secret is set, never what it is.
func redactedSecret(secret string) string {
	if secret == "" {
		return "[EMPTY]"
	}
	return "[REDACTED]"
}

func (v CallbackVerifier) nowDescription() string {
	if v.Now == nil {
		return "nil"
	}
	return "func"
}

// DeliveryHeader is the header in which Dintero sends a unique id for each delivery of a session
// callback or a webhook ("event-delivery"). It is not signed.
const DeliveryHeader = "Event-Delivery"

// Callback is a session callback that Dintero sent to a session's url.callback_url, as
// CallbackVerifier.Parse returns it after verifying the signature
// (https://docs.dintero.com/checkout-api/example-session-callbacks/example_session_get_callback_url).
//
// The fields taken from the query are covered by the signature. DeliveryID, Transaction and Body
// are not: nothing authenticates them, so act on TransactionID and read the transaction or the
// session from Dintero when it matters.
type Callback struct {
	// TransactionID is transaction_id, the transaction the payment created. It is empty only in
	// an error report (report_error=true in the callback URL).
	TransactionID string
	// SessionID is session_id, or sid when the callback URL asks for that name with
	// sid_parameter_name=sid.
	SessionID string
	// MerchantReference is merchant_reference, the session's order.merchant_reference.
	MerchantReference string
	// Time is time, when the transaction was created; zero when it is missing or not RFC 3339.
	Time time.Time
	// Error is error, the error code of an error report (e.g. "authorization", "cancelled").
	Error string
	// Event is event, the transaction event reported (e.g. "CAPTURE" with report_event=CAPTURE
	// in the callback URL); empty for the callback of the payment itself.
	Event string
	// EventID is event_id, the id of that event.
	EventID string
	// ReportError says the callback URL asks for error reports (report_error=true).
	ReportError bool
	// ReportEvents are the report_event values of the callback URL (CAPTURE, REFUND, VOID).
	ReportEvents []string
	// Method is the HTTP method: GET, or POST when the callback URL has method=POST.
	Method string
	// DeliveryID is the event-delivery header, Dintero's id of this delivery, for tracing. It
	// is not signed; use IdempotencyKey to recognize a repeat.
	DeliveryID string
	// SignedAt is the time in the signature (Dintero-Signature t=…).
	SignedAt time.Time
	// Query holds every query parameter as sent, including the callback URL's own (your order
	// id, method, includes, …).
	Query url.Values
	// Transaction is the POSTed body decoded (method=POST); nil for GET and for an empty body.
	Transaction *Transaction
	// Body is the POSTed body as received; nil for GET.
	Body []byte
}

// IdempotencyKey returns a key that is equal for every delivery of the same callback and differs
// between callbacks about different things: the signed transaction_id, session id, event,
// event_id and error, as a query string
// ("event=CAPTURE&event_id=3&session_id=…&transaction_id=…").
// Dintero delivers a callback at least once and retries it after a timeout or a 5xx, so a handler
// should store the key with the work it does and skip a callback whose key it has seen. (The
// event-delivery header is no substitute: it is not signed, so a replayed callback could bring a
// new one, and Dintero does not document whether a retry keeps it.)
func (c *Callback) IdempotencyKey() string {
	key := url.Values{}
	for name, value := range map[string]string{
		"transaction_id": c.TransactionID, "session_id": c.SessionID,
		"event": c.Event, "event_id": c.EventID, "error": c.Error,
	} {
		if value != "" {
			key.Set(name, value)
		}
	}
	return key.Encode() // sorted by name, escaped: distinct callbacks give distinct keys
}

// Parse verifies a session callback as Verify does and returns it typed. It accepts GET, and POST
// (a callback URL with method=POST), whose body it reads, at most MaxIncomingBody bytes, and
// decodes as the transaction; the body stays readable in r.Body afterwards. The signature is
// checked before the body is read.
//
// Errors: ErrMisconfigured for a verifier that cannot work (checked first, whatever the request);
// ErrMethodNotAllowed for another method; ErrInvalidSignature (with its kinds) for a signature
// that is missing, malformed, wrong, stale or from the future; ErrRequestTooLarge for a body over
// the limit; and ErrInvalidRequest for a callback without session id (or transaction_id outside
// an error report) or with a body that is not JSON. HTTPStatus maps them to the status to
// answer: Dintero retries on 5xx and gives up on 4xx.
func (v CallbackVerifier) Parse(r *http.Request) (*Callback, error) {
	if err := v.checkConfig(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("dintero: CallbackVerifier: nil request")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, invalidRequest(ErrMethodNotAllowed, "a callback is GET or POST, not %.20q", r.Method)
	}
	signedAt, err := v.verify(r)
	if err != nil {
		return nil, err
	}
	_, rawQuery := callbacksig.Target(r)
	q := wwwform.Parse(rawQuery) // the reading the signature was checked against
	c := &Callback{
		TransactionID:     q.Get("transaction_id"),
		SessionID:         q.Get("session_id"),
		MerchantReference: q.Get("merchant_reference"),
		Error:             q.Get("error"),
		Event:             q.Get("event"),
		EventID:           q.Get("event_id"),
		ReportEvents:      q["report_event"],
		Method:            r.Method,
		DeliveryID:        r.Header.Get(DeliveryHeader),
		SignedAt:          signedAt,
		Query:             q,
	}
	if sid := q.Get("sid"); sid != "" && (q.Get("sid_parameter_name") == "sid" || c.SessionID == "") {
		c.SessionID = sid
	}
	c.ReportError, _ = strconv.ParseBool(q.Get("report_error"))
	if t, err := time.Parse(time.RFC3339Nano, q.Get("time")); err == nil {
		c.Time = t
	}
	switch {
	case c.SessionID == "":
		return nil, invalidRequest(ErrInvalidRequest, "callback without session_id or sid")
	case c.TransactionID == "" && c.Error == "":
		return nil, invalidRequest(ErrInvalidRequest, "callback without transaction_id or error")
	}
	if r.Method == http.MethodPost {
		body, err := readIncomingBody(r)
		if err != nil {
			return nil, err
		}
		c.Body = body
		if len(bytes.TrimSpace(body)) > 0 {
			c.Transaction = &Transaction{}
			if err := json.Unmarshal(body, c.Transaction); err != nil {
				return nil, invalidRequest(ErrInvalidRequest, "callback body is not a transaction: %v", jsonProblem(err))
			}
		}
	}
	return c, nil
}
