package cyberflex

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/paysession/paysession-go/internal/untrusted"
)

// MaxCaptureContextSize is the largest capture context accepted, in bytes, before surrounding
// whitespace and quotes are removed. A Flex API capture context is 2 to 3 KiB (a 2048-bit
// one-time key, a few hundred bytes of session data, the field list and a 256-byte signature,
// base64url-encoded); Microform and Unified Checkout contexts carry a few more settings. 64 KiB
// leaves room for ten times that and more, while a larger token is refused before any of it is
// decoded, so a hostile one costs neither memory nor time.
const MaxCaptureContextSize = 64 << 10

// jwsHeader is the part of the JWS header this package reads.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// parsedToken is a decoded, unverified capture context.
type parsedToken struct {
	cc      *CaptureContext
	header  jwsHeader
	raw     rawClaims
	payload []byte // the decoded payload segment raw was decoded from
}

// parseCaptureContext decodes a capture context WITHOUT verifying its
// signature or times; use it only where the token's origin is already trusted
// (e.g. to show its claims in a log), and the verifier everywhere else.
//
// The 201 body of POST /flex/v2/sessions is the raw JWT (application/jwt),
// but some proxies and clients hand it on as a JSON string, so surrounding
// whitespace and one pair of double quotes are removed. The body is never
// JSON-decoded as a whole (the bug of cybersource-rest-samples-csharp#139).
// Errors wrap ErrCaptureContextMalformed and never contain the token. It never panics.
func parseCaptureContext(token string) (*CaptureContext, error) {
	p, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	return p.cc, nil
}

// parseToken splits and decodes a capture context: header, claims and the signature's encoding.
func parseToken(token string) (*parsedToken, error) {
	if len(token) > MaxCaptureContextSize {
		return nil, fmt.Errorf("%w: token is %d bytes, over the %d-byte limit for a capture context",
			ErrCaptureContextMalformed, len(token), MaxCaptureContextSize)
	}
	jws, err := splitJWS(token, ErrCaptureContextMalformed)
	if err != nil {
		return nil, err
	}
	raw, err := decodeClaims(jws.payload)
	if err != nil {
		return nil, err
	}
	return &parsedToken{
		cc: &CaptureContext{
			Token:  jws.token,
			Claims: claimsFrom(jws.header.Kid, raw),
		},
		header:  jws.header,
		raw:     raw,
		payload: jws.payload,
	}, nil
}

// compactJWS is a compact JWS split and decoded, not verified: capture contexts and transient
// tokens are both.
type compactJWS struct {
	token   string // without surrounding whitespace and JSON quotes
	header  jwsHeader
	payload []byte // the decoded payload segment
}

// splitJWS splits and decodes a compact JWS, whose size the caller has bounded: surrounding
// whitespace and one pair of JSON quotes are removed, the header and payload segments are
// decoded, and the signature segment is checked to be base64url. An empty signature passes (an
// unsecured "alg":"none" token has one), so that the verifier can report the algorithm, which is
// the real problem. Its errors wrap kind, the caller's sentinel, and never contain the token.
func splitJWS(token string, kind error) (*compactJWS, error) {
	token = normalizeToken(token)
	if token == "" {
		return nil, fmt.Errorf("%w: empty token", kind)
	}
	h, rest, ok := strings.Cut(token, ".")
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.Contains(sig, ".") {
		return nil, fmt.Errorf("%w: compact JWS must have 3 dot-separated segments, got %d", kind, strings.Count(token, ".")+1)
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, fmt.Errorf("%w: header segment is not base64url", kind)
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, fmt.Errorf("%w: payload segment is not base64url", kind)
	}
	if !isBase64URL(sig) {
		return nil, fmt.Errorf("%w: signature segment is not base64url", kind)
	}
	var header jwsHeader
	if err := strictUnmarshal(headerJSON, &header); err != nil {
		return nil, fmt.Errorf("%w: header is not a JSON object: %v", kind, err)
	}
	return &compactJWS{token: token, header: header, payload: payload}, nil
}

// isBase64URL reports whether s is unpadded base64url, as base64.RawURLEncoding decodes it,
// without decoding it.
func isBase64URL(s string) bool {
	if len(s)%4 == 1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBase64URLByte(s[i]) {
			return false
		}
	}
	return true
}

// isBase64URLByte reports whether b is in the base64url alphabet (RFC 4648 §5), which is also
// the alphabet of key ids.
func isBase64URLByte(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '_'
}

// decodeClaims decodes the payload segment's JSON.
func decodeClaims(payload []byte) (rawClaims, error) {
	var c rawClaims
	if err := strictUnmarshal(payload, &c); err != nil {
		return rawClaims{}, fmt.Errorf("%w: claims are not a valid JSON object: %v", ErrCaptureContextMalformed, err)
	}
	return c, nil
}

// strictUnmarshal decodes a JSON object and rejects trailing data and
// non-objects ("null", arrays, ...). Unknown members are allowed: CyberSource
// adds claims without notice. encoding/json error texts quote at most a
// type or member name, never the whole input.
func strictUnmarshal(data []byte, v any) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return errors.New("not a JSON object")
	}
	// json.Unmarshal rejects trailing data as well, at a fraction of a Decoder's allocations.
	// Only when it fails is the input decoded again with a Decoder, for a clearer error.
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if derr := dec.Decode(v); derr != nil {
		return derr
	}
	if _, terr := dec.Token(); terr != io.EOF {
		return errors.New("trailing data after JSON object")
	}
	return err
}

// normalizeToken trims whitespace and one pair of surrounding JSON quotes.
func normalizeToken(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// quoteShort quotes an attacker-controlled header or claim value for an
// error message, cut to 40 bytes so errors stay short.
func quoteShort(s string) string { return untrusted.Quote(s, 40) }
