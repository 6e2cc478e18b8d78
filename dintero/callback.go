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

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
	"github.com/paysession/paysession-go/internal/redact"
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
	// sender controls. If a proxy also rewrites the path or query, restore r.URL (for example
	// on a shallow copy of the request) before calling Verify.
	Host string

	// Now returns the current time; nil means time.Now. Tests can fix it.
	Now func() time.Time
}

// Verify checks that r carries a valid Dintero-Signature for the verifier's secret and
// account, and that the signature's timestamp is within Tolerance of the current time.
//
// The signed payload is built from r.Method, the host name (Host, else r.Host, else
// r.URL.Host; port removed, lower-cased), r.URL.EscapedPath() and r.URL.RawQuery
// (canonicalized as package callbacksig describes). The body is not read.
//
// It returns nil on success. An error wrapping ErrInvalidSignature (and exactly one of
// ErrSignatureMissing, ErrSignatureMalformed, ErrSignatureMismatch, ErrSignatureStale or
// ErrSignatureFuture) means the request must be rejected. Any other error means the verifier
// itself is misconfigured (empty AccountID or Secret, negative Tolerance, nil request).
//
// The signature is checked before the timestamp, so a stale or future error is only reported
// for requests that Dintero really signed. Signatures are compared in constant time.
// A valid signature can be replayed within the tolerance window: handle callbacks
// idempotently (Dintero also retries them).
func (v CallbackVerifier) Verify(r *http.Request) error {
	if err := v.checkConfig(); err != nil {
		return err
	}
	if r == nil {
		return errors.New("dintero: CallbackVerifier.Verify: nil request")
	}
	values := r.Header.Values(SignatureHeader)
	switch len(values) {
	case 0:
		return ErrSignatureMissing
	case 1:
	default:
		return fmt.Errorf("%w: header sent %d times", ErrSignatureMalformed, len(values))
	}
	ts, sigs, err := parseSignatureHeader(values[0])
	if err != nil {
		return err
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
		return ErrSignatureMismatch
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
			return fmt.Errorf("%w: signed %s ago, tolerance %s", ErrSignatureStale, age, tolerance)
		}
	} else if ahead := signedAt.Sub(current); ahead > tolerance {
		return fmt.Errorf("%w: signed %s ahead of the local clock, tolerance %s", ErrSignatureFuture, ahead, tolerance)
	}
	return nil
}

// checkConfig reports verifier misconfiguration. These errors deliberately do not wrap
// ErrInvalidSignature: they are the server's fault, not the request's.
func (v CallbackVerifier) checkConfig() error {
	switch {
	case v.AccountID == "":
		return errors.New("dintero: CallbackVerifier.AccountID is empty")
	case v.Secret == "":
		// An empty HMAC key is a key everybody knows: refuse rather than accept forgeries.
		return errors.New("dintero: CallbackVerifier.Secret is empty")
	case v.Tolerance < 0:
		return errors.New("dintero: CallbackVerifier.Tolerance is negative")
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
func (v CallbackVerifier) redactedSecret() string {
	if v.Secret == "" {
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
