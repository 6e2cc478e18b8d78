package dintero

// Callback signature verification for Dintero Checkout callbacks.
//
// Sources (checked while writing this file):
//
//   - https://docs.dintero.com/checkout-api/secrets/admin_signature_post
//     (POST /v1/admin/signature creates the secret; scheme "v0-hmac-sha256"; payload
//     "<timestamp>\n<account_id>\n<method>\n<hostname>\n<pathname>\n<query>"; "The query
//     parameters must be sorted"; recommended tolerance "five minutes"). Its worked example
//     (secret "123", t=1582236537, account P00000000, GET https://example.com/callback?B=123&A=992
//     → 6bed2ab1…df64a) is reproduced in TestVerifyDocsExample and was checked with openssl.
//   - https://docs.dintero.com/docs/checkout/validating-callbacks
//     ("spaces in query parameters must be encoded with + (not %20)", "The query parameters
//     must be sorted", and the Node.js sample createSignature/verifySignature).
//   - https://docs.dintero.com/checkout-api/example-session-callbacks/example_session_get_callback_url
//     (the Dintero-Signature header is only sent when a signature secret exists).
//
// What the docs leave open, and the reading chosen (always the one the documented JS sample
// implements, since that is what Dintero tells integrators to run):
//
//   - Secret encoding: the sample calls crypto.createHmac("sha256", secret) with the secret
//     string, so the key is the secret's raw UTF-8 bytes, NOT hex- or base64-decoded. The docs
//     example (secret "123") only verifies that way.
//   - Hostname: the sample uses WHATWG URL.hostname, which never includes the port and is
//     lower-cased. The scheme is not signed either.
//   - Path: URL.pathname, i.e. the percent-encoded path as it appears in the URL ("/" when empty).
//   - Query: URL.searchParams, sorted with URLSearchParams.sort() and serialized with
//     URLSearchParams.toString(). Per the WHATWG URL Standard
//     (https://url.spec.whatwg.org/#dom-urlsearchparams-sort,
//     https://url.spec.whatwg.org/#concept-urlencoded-serializer) that means: sort by KEY ONLY,
//     comparing UTF-16 code units, with a STABLE sort (values of a repeated key keep their
//     order); serialize as application/x-www-form-urlencoded (space → "+", bytes other than
//     ASCII alphanumerics and "*-._" → %XX upper-case); no leading "?"; an empty query is "".
//     Go's url.Values.Encode is NOT equivalent (it keeps "~", escapes "*", and sorts values of
//     a repeated key), so this file implements the WHATWG algorithm.
//   - Timestamp: t is Unix time in SECONDS (the sample compares it with Date.now()/1000).
//   - Several signatures: the docs show exactly one v0-hmac-sha256 entry and say nothing about
//     secret rotation. We accept a header with several v0-hmac-sha256 entries and succeed if
//     any matches (the Stripe-style convention; it cannot weaken verification because every
//     entry is checked against our secret). Unknown keys are ignored so that a future scheme
//     (e.g. "v1-…") added next to v0 does not break verification. Exactly one t is required.
//   - Tolerance: the docs recommend five minutes. The sample's check
//     `timestamp < now/1000 + 5 * 60 * 60` is wrong twice: 5*60*60 is five HOURS, and it only
//     rejects timestamps in the future, never old ones. We reject both directions with a
//     default of 5 minutes.
//
// The request body is not part of the signed payload. For callbacks configured with
// method=POST the body is therefore unauthenticated: trust only the signed URL parameters
// (transaction_id, session_id, …) and fetch the transaction or session from the API.

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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

// signatureScheme is the only signing scheme Dintero documents.
const signatureScheme = "v0-hmac-sha256"

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
// (canonicalized as described in this file's header). The body is not read.
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
		host = requestHost(r)
	}
	want := computeSignature(v.Secret, signaturePayload(ts, v.AccountID, r, host))
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

// SignCallback returns the Dintero-Signature header value that Dintero would send with r
// when signing at time t with the given secret and account id:
// "t=<unix seconds>,v0-hmac-sha256=<64 hex digits>". It exists for tests and fakes that
// play Dintero's part; production code only verifies.
//
// The host name is taken from r.Host, or r.URL.Host if r.Host is empty (as http.NewRequest
// and httptest.NewRequest set them); set r.Host to the public host when the verifier under
// test uses CallbackVerifier.Host. t is truncated to whole seconds. r must not be nil.
func SignCallback(secret, accountID string, r *http.Request, t time.Time) string {
	ts := t.Unix()
	sig := computeSignature(secret, signaturePayload(ts, accountID, r, requestHost(r)))
	return "t=" + strconv.FormatInt(ts, 10) + "," + signatureScheme + "=" + hex.EncodeToString(sig)
}

func computeSignature(secret, payload string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, payload)
	return mac.Sum(nil)
}

// signaturePayload builds "<t>\n<account_id>\n<METHOD>\n<hostname>\n<pathname>\n<query>"
// (https://docs.dintero.com/checkout-api/secrets/admin_signature_post).
func signaturePayload(ts int64, accountID string, r *http.Request, host string) string {
	method := r.Method
	if method == "" {
		method = http.MethodGet // net/http's meaning of an empty client method
	}
	path, rawQuery := "/", ""
	if r.URL != nil {
		if p := r.URL.EscapedPath(); p != "" {
			path = p // the wire form; WHATWG pathname is "/" for an empty path
		}
		rawQuery = r.URL.RawQuery
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte('\n')
	b.WriteString(accountID)
	b.WriteByte('\n')
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalHostname(host))
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(rawQuery))
	return b.String()
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// canonicalHostname mimics WHATWG URL.hostname for the hosts a callback URL can have: the
// port is dropped, IPv6 literals keep their brackets, ASCII letters are lower-cased.
// (IDNA and IPv4/IPv6 re-serialization are not reproduced: the Host header Dintero sends is
// already the serialized form.)
func canonicalHostname(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			host = host[:i+1]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.ToLower(host)
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
		case signatureScheme:
			if len(val) != 2*sha256.Size {
				return malformed(signatureScheme + " is not 64 hex digits")
			}
			sig, err := hex.DecodeString(val)
			if err != nil {
				return malformed(signatureScheme + " is not 64 hex digits")
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
		return malformed("no " + signatureScheme + " entry")
	}
	return ts, sigs, nil
}

// queryPair is one name/value pair of a parsed query, in the order it appeared.
type queryPair struct{ name, value string }

// canonicalQuery returns what the documented JS sample computes for a URL with this raw
// query: new URL(u).searchParams, .sort(), .toString(). See
// https://url.spec.whatwg.org/#concept-urlencoded-parser,
// https://url.spec.whatwg.org/#dom-urlsearchparams-sort and
// https://url.spec.whatwg.org/#concept-urlencoded-serializer.
func canonicalQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var pairs []queryPair
	for seq := range strings.SplitSeq(rawQuery, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		pairs = append(pairs, queryPair{formDecode(name), formDecode(value)})
	}
	// Stable: pairs with the same name keep their relative order, as the spec requires.
	slices.SortStableFunc(pairs, func(a, b queryPair) int { return compareUTF16(a.name, b.name) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		formEncode(&b, p.name)
		b.WriteByte('=')
		formEncode(&b, p.value)
	}
	return b.String()
}

// formDecode is the WHATWG urlencoded parser's per-component step: '+' becomes a space,
// valid %XX sequences are decoded, invalid ones are kept literally (no error), and the
// bytes are then UTF-8 decoded with replacement.
func formDecode(s string) string {
	if !strings.ContainsAny(s, "+%") && utf8.ValidString(s) {
		return s
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			buf = append(buf, ' ')
		case c == '%' && i+2 < len(s) && formIsHex(s[i+1]) && formIsHex(s[i+2]):
			buf = append(buf, formUnhex(s[i+1])<<4|formUnhex(s[i+2]))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	return utf8DecodeWHATWG(buf)
}

func formIsHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func formUnhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// utf8DecodeWHATWG implements https://encoding.spec.whatwg.org/#utf-8-decoder, which
// replaces each maximal invalid subpart with one U+FFFD. (Go's own decoding replaces each
// invalid byte separately, which differs for truncated sequences such as "\xE2\x82".)
func utf8DecodeWHATWG(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(b); {
		c := b[i]
		if needed == 0 {
			i++
			switch {
			case c <= 0x7F:
				out.WriteByte(c)
			case 0xC2 <= c && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case 0xE0 <= c && c <= 0xEF:
				if c == 0xE0 {
					lower = 0xA0
				} else if c == 0xED {
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case 0xF0 <= c && c <= 0xF4:
				if c == 0xF0 {
					lower = 0x90
				} else if c == 0xF4 {
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				out.WriteRune(utf8.RuneError)
			}
			continue
		}
		if c < lower || c > upper {
			// Error; the byte is not consumed and is reprocessed as a potential lead byte.
			cp, needed, seen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out.WriteRune(utf8.RuneError)
			continue
		}
		i++
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		if seen == needed {
			out.WriteRune(cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out.WriteRune(utf8.RuneError)
	}
	return out.String()
}

// formEncode is the WHATWG application/x-www-form-urlencoded byte serializer: space → '+',
// ASCII alphanumerics and "*-._" unchanged, every other byte → %XX (upper-case hex).
func formEncode(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0F])
		}
	}
}

// compareUTF16 orders valid UTF-8 strings by their UTF-16 code units, as URLSearchParams.sort
// does. It differs from Go's byte order only when a supplementary character (encoded as a
// surrogate pair, 0xD800–0xDBFF first) meets a BMP character in U+E000–U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUTF16Unit(ra), firstUTF16Unit(rb)
			if ua != ub {
				return cmp.Compare(ua, ub)
			}
			// Same high surrogate: the low surrogates, and so the code points, decide.
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUTF16Unit returns the first UTF-16 code unit of r.
func firstUTF16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
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
