package cyberflex

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/redact"
)

// Header names set by the signers. Go canonicalises them on the wire
// ("V-C-Merchant-Id"); CyberSource matches header names case-insensitively.
const (
	headerMerchantID = "v-c-merchant-id"
	headerDate       = "Date"
	headerDigest     = "Digest"
	headerSignature  = "Signature"

	// digestPrefix is the algorithm label CyberSource expects in the Digest
	// header (GlobalLabelParameters.py DIGEST_PREFIX = "SHA-256=").
	digestPrefix = "SHA-256="

	// redacted replaces secrets whenever a signer is formatted.
	redacted = "[redacted]"
)

// HTTPSignatureSigner authenticates requests to the CyberSource REST API with the
// "HTTP Signature" scheme (shared secret, HmacSHA256), exactly as the official
// SDKs do (node cybersource-rest-client 0.0.83, python
// authenticationsdk/http). It can sign any CyberSource REST call, not only the
// Flex API.
//
// An HTTPSignatureSigner holds no mutable state and may be used by many goroutines at once.
// Formatting an HTTPSignatureSigner with fmt (%v, %+v, %#v, %s, ...) never prints SecretKey.
type HTTPSignatureSigner struct {
	// MerchantID is the CyberSource organisation / merchant id, sent and
	// signed as the v-c-merchant-id header.
	MerchantID string
	// KeyID is the id of the shared-secret key ("keyid" in the Signature
	// header), a UUID in the Business Center.
	KeyID string
	// SecretKey is the shared secret exactly as the Business Center shows it:
	// standard base64 (surrounding whitespace is ignored). The HMAC key is
	// its base64-decoded bytes, as in every official SDK.
	SecretKey string
	// Now returns the time used for the Date header. nil means time.Now.
	// Tests inject a fixed clock.
	Now func() time.Time
}

// Sign adds CyberSource HTTP Signature authentication to req:
//
//	v-c-merchant-id: <MerchantID>
//	Date:            <IMF-fixdate in GMT, e.g. "Sat, 21 Nov 2026 12:17:15 GMT">
//	Digest:          SHA-256=<base64(sha256(body))>      (only when len(body) > 0)
//	Signature:       keyid="<KeyID>", algorithm="HmacSHA256",
//	                 headers="host date request-target [digest ]v-c-merchant-id",
//	                 signature="<base64(HMAC-SHA256(base64decode(SecretKey), signing string))>"
//
// body must be exactly the bytes that will be sent as the request body (Sign
// does not read req.Body); sign after serialising.
//
// The signed host is req.Host when set, else req.URL.Host. A client that
// sends the request to a proxy or a local test server but talks to
// apitest.cybersource.com sets req.Host to the API host; Go's client then
// also sends that value as the Host header, so what is signed is what is
// sent. When req.Host is empty Sign sets it to req.URL.Host, which does not
// change what Go sends but pins it against later URL rewrites.
//
// Digest rule: the official SDKs add the Digest (and list "digest" in
// headers=) for POST, PUT and PATCH, and never for GET or DELETE. Sign keys
// this on the body instead: a digest is added exactly when len(body) > 0.
// For every real CyberSource call the two rules agree (POST/PUT/PATCH always
// carry a JSON body; GET/DELETE never do). The only difference is a POST with
// an empty body, which the SDKs sign with the digest of the empty string and
// Sign signs without a digest. A stale Digest header from an earlier signing
// (e.g. on retry) is removed when there is no body.
//
// The signing string uses "request-target", not the parenthesised
// "(request-target)" of draft-cavage: CyberSource release note rn-2024-01-05
// removed support for the parenthesised form in production on 2024-03-22.
//
// Errors wrap ErrInvalidInput and never contain SecretKey.
func (s HTTPSignatureSigner) Sign(req *http.Request, body []byte) error {
	if req == nil {
		return fmt.Errorf("%w: HTTPSignatureSigner.Sign: nil *http.Request", ErrInvalidInput)
	}
	key, err := s.validate()
	if err != nil {
		return err
	}
	host, method, uri, err := requestParts(req, "HTTPSignatureSigner.Sign")
	if err != nil {
		return err
	}
	target := method + " " + uri

	date := now(s.Now).UTC().Format(http.TimeFormat)
	digest := ""
	if len(body) > 0 {
		digest = digestPrefix + bodyDigest(body)
	}

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signingString(host, date, target, digest, s.MerchantID)))
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	headers := "host date request-target v-c-merchant-id"
	if digest != "" {
		headers = "host date request-target digest v-c-merchant-id"
	}

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Host == "" {
		req.Host = host
	}
	setHeader(req.Header, headerMerchantID, s.MerchantID)
	setHeader(req.Header, headerDate, date)
	if digest != "" {
		setHeader(req.Header, headerDigest, digest)
	} else {
		setHeader(req.Header, headerDigest, "")
	}
	setHeader(req.Header, headerSignature, `keyid="`+s.KeyID+`", algorithm="HmacSHA256", headers="`+headers+`", signature="`+signature+`"`)
	return nil
}

// validate checks the configuration and returns the decoded HMAC key.
func (s HTTPSignatureSigner) validate() ([]byte, error) {
	if err := checkHeaderValue("HTTPSignatureSigner.MerchantID", s.MerchantID); err != nil {
		return nil, err
	}
	if err := checkHeaderValue("HTTPSignatureSigner.KeyID", s.KeyID); err != nil {
		return nil, err
	}
	return decodeSecret("HTTPSignatureSigner.SecretKey", s.SecretKey)
}

// signingString builds the exact string CyberSource HMACs (the official SDKs:
// https://github.com/CyberSource/cybersource-rest-client-node/tree/master/src/authentication/http,
// SignatureParameterGenerator.js; python GetSignatureParameter.py):
//
//	host: <host>\ndate: <date>\nrequest-target: <lowercase method> <path[?query]>\n[digest: SHA-256=<b64>\n]v-c-merchant-id: <merchant>
//
// target is "<lowercase method> <request URI>"; digest is the full header
// value ("SHA-256=...") or "" for no digest line. The line order matters:
// CyberSource rebuilds the string in this order and answers 401
// "Authentication Failed" on any difference. The result contains no secret,
// so it may be logged to debug a 401.
func signingString(host, date, target, digest, merchantID string) string {
	var b strings.Builder
	b.WriteString("host: ")
	b.WriteString(host)
	b.WriteString("\ndate: ")
	b.WriteString(date)
	b.WriteString("\nrequest-target: ")
	b.WriteString(target)
	b.WriteString("\n")
	if digest != "" {
		b.WriteString("digest: ")
		b.WriteString(digest)
		b.WriteString("\n")
	}
	b.WriteString("v-c-merchant-id: ")
	b.WriteString(merchantID)
	return b.String()
}

// requestParts returns the host to sign (req.Host, else req.URL.Host), the
// lowercase method and the request URI. The URI is req.URL.RequestURI(): the
// escaped path and raw query exactly as Go writes them on the request line,
// so the server recomputes the same string.
func requestParts(req *http.Request, op string) (host, method, uri string, err error) {
	if req.URL == nil {
		return "", "", "", fmt.Errorf("%w: %s: request has no URL", ErrInvalidInput, op)
	}
	host = req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return "", "", "", fmt.Errorf("%w: %s: request has no host (set req.URL.Host or req.Host)", ErrInvalidInput, op)
	}
	if hasCtl(host) {
		return "", "", "", fmt.Errorf("%w: %s: request host contains control characters", ErrInvalidInput, op)
	}
	method = req.Method
	if method == "" {
		method = http.MethodGet // as net/http treats an empty method
	}
	return host, strings.ToLower(method), req.URL.RequestURI(), nil
}

// bodyDigest is base64(SHA-256(body)). CyberSource calls it a digest; it is a
// plain hash, not an HMAC (the SDK comments that say HMAC are wrong).
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// decodeSecret decodes a base64 shared secret. The error names the field but
// never echoes its value.
func decodeSecret(field, secret string) ([]byte, error) {
	if secret == "" {
		return nil, fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(secret))
	if err != nil {
		// err from encoding/base64 only carries an offset, never input bytes;
		// still, do not wrap it, so no future change can leak the secret.
		return nil, fmt.Errorf("%w: %s is not valid standard base64 (it must be the shared secret exactly as shown in the Business Center)", ErrInvalidInput, field)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: %s decodes to an empty key", ErrInvalidInput, field)
	}
	return key, nil
}

// checkHeaderValue rejects empty values and values that would break the
// header they are placed in (control characters allow header injection; a
// double quote would end the quoted keyid="..." parameter early).
func checkHeaderValue(field, v string) error {
	if v == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidInput, field)
	}
	if hasCtl(v) || strings.ContainsRune(v, '"') {
		return fmt.Errorf("%w: %s contains a control character or a double quote", ErrInvalidInput, field)
	}
	return nil
}

func hasCtl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

func now(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

// String returns a description of s with SecretKey redacted.
func (s HTTPSignatureSigner) String() string {
	return "{MerchantID:" + s.MerchantID + " KeyID:" + s.KeyID + " SecretKey:" + redacted + "}"
}

// GoString returns a Go-syntax-like description of s with SecretKey redacted
// (used by %#v).
func (s HTTPSignatureSigner) GoString() string {
	return fmt.Sprintf("cyberflex.HTTPSignatureSigner{MerchantID:%q, KeyID:%q, SecretKey:%s}", s.MerchantID, s.KeyID, redacted)
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %q,
// %x, ...) can print SecretKey: %#v prints GoString, every other verb String.
func (s HTTPSignatureSigner) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, s.String(), s.GoString())
}

// setHeader replaces every spelling of name in h (a caller may have set "digest" straight into
// the map, bypassing canonicalisation) with the one value, or removes it when value is "".
// CyberSource reads header names case-insensitively, so two spellings would be two values.
func setHeader(h http.Header, name, value string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
	if value != "" {
		h.Set(name, value)
	}
}
