// Package callbacksig computes the signature Dintero Checkout puts in the Dintero-Signature header
// of its callbacks, for the verifier in package dintero and the signing fake in dinterotest.
//
// The scheme (https://docs.dintero.com/checkout-api/secrets/admin_signature_post) is
// HMAC-SHA256 over
//
//	<t>\n<account_id>\n<METHOD>\n<hostname>\n<pathname>\n<query>
//
// What the docs leave open is read as the Node.js sample of
// https://docs.dintero.com/docs/checkout/validating-callbacks implements it, since that is what
// Dintero tells integrators to run:
//
//   - Secret: the sample calls crypto.createHmac("sha256", secret) with the secret string, so
//     the key is the secret's UTF-8 bytes, not hex- or base64-decoded. The docs example (secret
//     "123") only verifies that way.
//   - Hostname: WHATWG URL.hostname, which never includes the port and is lower-cased. The
//     scheme is not signed.
//   - Path: URL.pathname, the percent-encoded path as it appears in the URL ("/" when empty).
//   - Query: URL.searchParams sorted with URLSearchParams.sort() and serialized with
//     URLSearchParams.toString() (package wwwform), with no leading "?"; an empty query is "".
//   - t: Unix time in seconds (the sample compares it with Date.now()/1000).
//
// The request body is not signed.
package callbacksig

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // Dintero's webhook signature is HMAC-SHA1; HMAC does not rely on SHA-1's collision resistance.
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/paysession/paysession-go/internal/wwwform"
)

// Scheme is the name of the only signature scheme Dintero documents, the key of the signature
// in the header "t=<unix seconds>,v0-hmac-sha256=<hex>".
const Scheme = "v0-hmac-sha256"

// Sum returns the signature of r at Unix time ts (seconds): HMAC-SHA256 keyed with secret over
// Payload(ts, accountID, r, host).
func Sum(secret string, ts int64, accountID string, r *http.Request, host string) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	_, _ = io.WriteString(mac, Payload(ts, accountID, r, host)) // a hash.Hash never fails to write
	return mac.Sum(nil)
}

// Header formats the header value "t=<ts>,v0-hmac-sha256=<hex of sig>".
func Header(ts int64, sig []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + "," + Scheme + "=" + hex.EncodeToString(sig)
}

// Payload builds "<t>\n<account_id>\n<METHOD>\n<hostname>\n<pathname>\n<query>" for r, with
// the host name taken from host (a ":port" is dropped) and the path and query from Target. An
// empty method means GET, as in net/http.
func Payload(ts int64, accountID string, r *http.Request, host string) string {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	path, rawQuery := Target(r)
	var b strings.Builder
	b.WriteString(strconv.FormatInt(ts, 10))
	b.WriteByte('\n')
	b.WriteString(accountID)
	b.WriteByte('\n')
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(hostname(host))
	b.WriteByte('\n')
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(wwwform.SortedQuery(rawQuery))
	return b.String()
}

// Target returns the path and the raw query (without "?") that r was sent to, as they were on
// the wire.
//
// A request a server received has RequestURI, the target of its request line, which neither
// http.StripPrefix nor a mux that rewrites r.URL.Path changes: it is used when set. Its
// absolute form ("https://host/p?q", as a proxy may send it) counts from the path on. A request
// built by a client (http.NewRequest) has no RequestURI: its URL's escaped path and raw query are
// used. An empty path is "/", as WHATWG URL.pathname is for a URL without one.
func Target(r *http.Request) (path, rawQuery string) {
	if uri := r.RequestURI; uri != "" {
		if !strings.HasPrefix(uri, "/") {
			if _, rest, ok := strings.Cut(uri, "://"); ok {
				uri = "" // scheme and authority only: "https://host" is the path "/"
				if i := strings.IndexAny(rest, "/?"); i >= 0 {
					uri = rest[i:]
				}
			}
		}
		path, rawQuery, _ = strings.Cut(uri, "?")
	} else if r.URL != nil {
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	if path == "" {
		path = "/"
	}
	return path, rawQuery
}

// RequestHost returns the host r was sent to: r.Host, or r.URL.Host when r.Host is empty.
func RequestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// hostname mimics WHATWG URL.hostname for the hosts a callback URL can have: the port is
// dropped, IPv6 literals keep their brackets, ASCII letters are lower-cased. (IDNA and IPv4/IPv6
// re-serialization are not reproduced: the Host header Dintero sends is already the serialized
// form.)
func hostname(host string) string {
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i >= 0 {
			host = host[:i+1]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.ToLower(host)
}

// WebhookSumSize is the size of a WebhookSum in bytes.
const WebhookSumSize = sha1.Size

// WebhookSum is the MAC of an account webhook: the HMAC-SHA1 of the raw body bytes keyed with
// the subscription's secret, sent lower-case hex in the event-signature header
// (https://docs.dintero.com/docs/checkout/webhooks). It is separate from the session callback's
// signature (Sum).
func WebhookSum(secret string, body []byte) []byte {
	mac := hmac.New(sha1.New, []byte(secret))
	_, _ = mac.Write(body) // a hash.Hash never fails to write
	return mac.Sum(nil)
}
