package cyberflex

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// CaptureContextIssuer is the "iss" claim of every capture context issued by
// POST /flex/v2/sessions. Verification enforces it (see ErrIssuer).
const CaptureContextIssuer = "Flex API"

// DefaultLeeway is the clock skew tolerated when checking a capture context's
// "exp" and "iat": one minute, small against the 15-minute lifetime of a
// capture context (exp = iat + 900) but enough for ordinary clock drift.
const DefaultLeeway = 60 * time.Second

// captureContextAlgorithm is the only accepted JWS algorithm. CyberSource
// signs capture contexts with RS256 (header {"kid":"..","alg":"RS256"}); the
// official SDK utilities also allow RS384/RS512 (node JWTUtility.js), but no
// such token has been seen and pinning one algorithm leaves no room for
// algorithm confusion.
const captureContextAlgorithm = "RS256"

// minRSAKeyBits is the smallest verification key accepted, as in the
// official SDK utilities (node JWTUtility.js: RSA >= 2048 bits).
const minRSAKeyBits = 2048

// CaptureContext is the capture context returned by POST /flex/v2/sessions:
// a compact JWT that the merchant hands to the browser (Microform / Flex) or
// sends to POST /flex/v2/tokens, together with its decoded claims.
type CaptureContext struct {
	// Token is the compact JWT, with surrounding whitespace and JSON quotes
	// removed. Pass this string on unchanged.
	Token string
	// Claims are the decoded header kid and payload claims. They can be
	// trusted only if the CaptureContext came from a verifying function.
	Claims CaptureContextClaims
}

// CaptureContextClaims is the decoded content of a capture context JWT
// (NOTES §3). Absent time claims are the zero time.
type CaptureContextClaims struct {
	// KeyID is the JWS header "kid" (two characters, e.g. "3g"): the id of
	// the CyberSource key that signed the token, published unauthenticated
	// at GET /flex/v2/public-keys/{kid}.
	KeyID string
	// Issuer is "iss"; always "Flex API" for Flex capture contexts.
	Issuer string
	// IssuedAt is "iat".
	IssuedAt time.Time
	// ExpiresAt is "exp"; CyberSource issues exp = iat + 15 minutes.
	ExpiresAt time.Time
	// ID is "jti".
	ID string
	// Flx is "flx": where and with which key the card data is to be sent.
	Flx Flx
	// Ctx is "ctx": the session settings (for the Flex API one element of
	// type "api-0.1.0" with the required and optional fields).
	Ctx []Ctx
}

// Flx is the "flx" claim of a capture context.
type Flx struct {
	// Path is the tokenization path, "/flex/v2/tokens".
	Path string `json:"path"`
	// Data is opaque session data (base64); pass it on unchanged.
	Data string `json:"data"`
	// Origin is the origin to send the tokenization request to, e.g.
	// "https://testflex.cybersource.com".
	Origin string `json:"origin"`
	// JWK is the one-time RSA key to encrypt the card data with (JWE
	// RSA-OAEP + A256GCM, header kid = JWK.KeyID).
	JWK FlxJWK `json:"jwk"`
}

// FlxJWK is the one-time encryption key in flx.jwk, a public RSA JWK.
type FlxJWK struct {
	// Kty is the key type, "RSA".
	Kty string `json:"kty"`
	// E is the base64url public exponent, usually "AQAB".
	E string `json:"e"`
	// Use is the intended use, "enc".
	Use string `json:"use"`
	// N is the base64url modulus (2048 bits).
	N string `json:"n"`
	// KeyID is "kid", to be copied into the JWE header.
	KeyID string `json:"kid"`
}

// Ctx is one element of the "ctx" claim.
type Ctx struct {
	// Type names the integration and its version: "api-0.1.0" for the Flex
	// API, "mf-…" for Microform, "gda-…" for Unified Checkout.
	Type string `json:"type"`
	// Data holds the settings of the session.
	Data CtxData `json:"data"`
}

// CtxData is the "data" object of a ctx element. RequiredFields and
// OptionalFields are the dotted field paths from the session request (e.g.
// "paymentInformation.card.number"); every other member (Microform's
// clientLibrary, targetOrigins, Unified Checkout's allowedCardNetworks, ...)
// is kept undecoded in Extra, so nothing is lost and new members need no SDK
// change.
type CtxData struct {
	// RequiredFields is "requiredFields".
	RequiredFields []string
	// OptionalFields is "optionalFields".
	OptionalFields []string
	// Extra holds all other members as raw JSON, keyed by member name.
	// nil when there are none.
	Extra map[string]json.RawMessage
}

// UnmarshalJSON decodes requiredFields and optionalFields and keeps every
// other member raw in Extra.
func (d *CtxData) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out CtxData
	for name, dst := range map[string]*[]string{"requiredFields": &out.RequiredFields, "optionalFields": &out.OptionalFields} {
		if raw, ok := m[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return fmt.Errorf("ctx data %s: %w", name, err)
			}
			delete(m, name)
		}
	}
	if len(m) > 0 {
		out.Extra = m
	}
	*d = out
	return nil
}

// MarshalJSON writes Extra's members together with requiredFields and
// optionalFields (when non-nil), the inverse of UnmarshalJSON.
func (d CtxData) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(d.Extra)+2)
	for k, v := range d.Extra {
		m[k] = v
	}
	if d.RequiredFields != nil {
		m["requiredFields"] = d.RequiredFields
	}
	if d.OptionalFields != nil {
		m["optionalFields"] = d.OptionalFields
	}
	return json.Marshal(m)
}

// jwsHeader is the part of the JWS header this package reads.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// rawClaims is the wire form of the capture context claims.
type rawClaims struct {
	Iss string       `json:"iss"`
	Iat *numericDate `json:"iat"`
	Exp *numericDate `json:"exp"`
	Nbf *numericDate `json:"nbf"`
	Jti string       `json:"jti"`
	Flx Flx          `json:"flx"`
	Ctx []Ctx        `json:"ctx"`
}

// numericDate is a JWT NumericDate (RFC 7519 §2): a JSON number of seconds
// since the epoch, possibly fractional.
type numericDate struct{ t time.Time }

// maxNumericDate is 9999-12-31T23:59:59Z; larger values are rejected rather
// than overflowing time arithmetic.
const maxNumericDate = 253402300799

func (n *numericDate) UnmarshalJSON(b []byte) error {
	// b is one JSON value, already validated by encoding/json, so ParseFloat accepts exactly
	// the JSON numbers (no NaN, Inf or hex can reach it) and rejects strings, objects and
	// the rest, like json.Unmarshal into a float64 but without its allocations.
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errors.New("not a number")
	}
	if f < 0 || f > maxNumericDate {
		return errors.New("out of range")
	}
	sec, frac := math.Modf(f)
	n.t = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

func (n *numericDate) time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return n.t
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
// Errors wrap ErrMalformed and never contain the token. It never panics.
func parseCaptureContext(token string) (*CaptureContext, error) {
	p, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	return p.cc, nil
}

func parseToken(token string) (*parsedToken, error) {
	token = normalizeToken(token)
	if token == "" {
		return nil, fmt.Errorf("%w: empty token", ErrMalformed)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: compact JWS must have 3 dot-separated segments, got %d", ErrMalformed, len(parts))
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("%w: header segment is not base64url", ErrMalformed)
	}
	payloadJSON, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("%w: payload segment is not base64url", ErrMalformed)
	}
	// An empty signature is allowed here (unsecured "alg":"none" JWTs have
	// one) so that verify can report the algorithm, which is the real problem.
	if _, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, fmt.Errorf("%w: signature segment is not base64url", ErrMalformed)
	}
	var h jwsHeader
	if err := strictUnmarshal(headerJSON, &h); err != nil {
		return nil, fmt.Errorf("%w: header is not a JSON object: %v", ErrMalformed, err)
	}
	raw, err := decodeClaims(payloadJSON)
	if err != nil {
		return nil, err
	}
	return &parsedToken{
		cc: &CaptureContext{
			Token:  token,
			Claims: claimsFrom(h.Kid, raw),
		},
		header:  h,
		raw:     raw,
		payload: payloadJSON,
	}, nil
}

func decodeClaims(payload []byte) (rawClaims, error) {
	var c rawClaims
	if err := strictUnmarshal(payload, &c); err != nil {
		return rawClaims{}, fmt.Errorf("%w: claims are not a valid JSON object: %v", ErrMalformed, err)
	}
	return c, nil
}

func claimsFrom(kid string, c rawClaims) CaptureContextClaims {
	return CaptureContextClaims{
		KeyID:     kid,
		Issuer:    c.Iss,
		IssuedAt:  c.Iat.time(),
		ExpiresAt: c.Exp.time(),
		ID:        c.Jti,
		Flx:       c.Flx,
		Ctx:       c.Ctx,
	}
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

// keyFetcher returns the verification key for kid. The production fetcher
// does an unauthenticated GET /flex/v2/public-keys/{kid} with
// Accept: application/json (node PublicKeyApiController.js). It reports "no
// such key" (HTTP 404) with an error wrapping ErrUnknownKeyID, or with
// (nil, nil); any other error is treated as a transient fetch failure.
type keyFetcher func(ctx context.Context, kid string) (*jose.JSONWebKey, error)

// keyCache verifies capture contexts with keys from fetch, caching each
// accepted key per kid. It is safe for concurrent use; concurrent misses for
// the same kid share a single fetch. Keys are cached for the life of the
// cache (CyberSource kids are stable; a rotated key under the same kid is
// picked up by the re-fetch on signature failure), and failed fetches are not
// cached.
type keyCache struct {
	fetch keyFetcher

	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	inflight map[string]*fetchCall
}

// fetchCall is one in-flight fetch that concurrent callers wait on.
type fetchCall struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

func newKeyCache(fetch keyFetcher) *keyCache {
	return &keyCache{
		fetch:    fetch,
		keys:     make(map[string]*rsa.PublicKey),
		inflight: make(map[string]*fetchCall),
	}
}

// get returns the cached key for kid, fetching it on a miss.
func (c *keyCache) get(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	for {
		c.mu.Lock()
		if k, ok := c.keys[kid]; ok {
			c.mu.Unlock()
			return k, nil
		}
		if call, ok := c.inflight[kid]; ok {
			c.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), ctx.Err())
			}
			// The leader's context may have been cancelled while ours is
			// still live: then fetch again rather than fail with its error.
			if call.err != nil && ctx.Err() == nil &&
				(errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
				continue
			}
			return call.key, call.err
		}
		call := &fetchCall{done: make(chan struct{})}
		c.inflight[kid] = call
		c.mu.Unlock()
		return c.lead(ctx, kid, call)
	}
}

// lead performs the fetch for call and publishes the result. The deferred
// publication also runs if the fetcher panics, so waiters are released
// (with an error) instead of blocking forever; the panic itself propagates.
func (c *keyCache) lead(ctx context.Context, kid string, call *fetchCall) (*rsa.PublicKey, error) {
	call.err = fmt.Errorf("%w (kid %s): key fetcher panicked", ErrKeyFetch, quoteShort(kid))
	defer func() {
		c.mu.Lock()
		delete(c.inflight, kid)
		if call.err == nil {
			c.keys[kid] = call.key
		}
		c.mu.Unlock()
		close(call.done)
	}()
	call.key, call.err = c.fetchKey(ctx, kid)
	return call.key, call.err
}

// refresh drops stale (the key that just failed to verify) from the cache
// and fetches kid again. If another goroutine has already replaced stale, its
// key is used without a new fetch.
func (c *keyCache) refresh(ctx context.Context, kid string, stale *rsa.PublicKey) (*rsa.PublicKey, error) {
	c.mu.Lock()
	if k, ok := c.keys[kid]; ok {
		if !k.Equal(stale) {
			c.mu.Unlock()
			return k, nil
		}
		delete(c.keys, kid)
	}
	c.mu.Unlock()
	return c.get(ctx, kid)
}

// fetchKey calls the fetcher and checks that the key is RSA >= 2048 bits.
func (c *keyCache) fetchKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	jwk, err := c.fetch(ctx, kid)
	switch {
	case errors.Is(err, ErrUnknownKeyID):
		return nil, fmt.Errorf("%w (kid %s)", err, quoteShort(kid))
	case err != nil:
		return nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), err)
	case jwk == nil || jwk.Key == nil:
		return nil, fmt.Errorf("%w: no key published for kid %s", ErrUnknownKeyID, quoteShort(kid))
	}
	var pub *rsa.PublicKey
	switch k := jwk.Key.(type) {
	case *rsa.PublicKey:
		pub = k
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	default:
		return nil, fmt.Errorf("%w: kid %s is a %T", ErrWeakKey, quoteShort(kid), jwk.Key)
	}
	if pub.N == nil || pub.N.BitLen() < minRSAKeyBits {
		bits := 0
		if pub.N != nil {
			bits = pub.N.BitLen()
		}
		return nil, fmt.Errorf("%w: kid %s is %d bits", ErrWeakKey, quoteShort(kid), bits)
	}
	return pub, nil
}

// verify checks a capture context and returns it with trusted claims:
//
//  1. the token decodes (ErrMalformed);
//  2. alg is RS256 (ErrUnsupportedAlgorithm) — rejects "none" and HS256
//     "key confusion" tokens MACed with the public key;
//  3. a kid is present (ErrMissingKeyID);
//  4. the key for kid is fetched or taken from the cache (ErrUnknownKeyID,
//     ErrKeyFetch) and is RSA >= 2048 bits (ErrWeakKey);
//  5. the signature verifies; if it does not, the key is fetched once more in
//     case CyberSource rotated it, and the check repeated (ErrSignature), as
//     the official utilities do (node CaptureContextParsingUtility.js);
//  6. iss is "Flex API" (ErrIssuer);
//  7. exp is present (ErrMalformed) and not passed (ErrExpired), and iat and
//     nbf, when present, are not in the future (ErrNotYetValid), each with
//     leeway of clock skew allowed. The official SDK utilities check none of
//     iss/exp/iat; this verifier does.
//
// now is the current time (time.Now when zero); leeway < 0 counts as 0.
// Callers normally pass DefaultLeeway. Errors never contain the token.
func (c *keyCache) verify(ctx context.Context, token string, now time.Time, leeway time.Duration) (*CaptureContext, error) {
	p, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if p.header.Alg != captureContextAlgorithm {
		return nil, fmt.Errorf("%w: alg %s (only %s is accepted)", ErrUnsupportedAlgorithm, quoteShort(p.header.Alg), captureContextAlgorithm)
	}
	if p.header.Kid == "" {
		return nil, fmt.Errorf("%w: the JWS header has no kid", ErrMissingKeyID)
	}
	kid := p.header.Kid

	// go-jose re-parses the token with the algorithm pinned to RS256, so an
	// alg that encoding/json and go-jose read differently (e.g. duplicate
	// "alg" members) cannot slip through.
	jws, err := jose.ParseSignedCompact(p.cc.Token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}

	key, err := c.get(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		key, err = c.refresh(ctx, kid, key)
		if err != nil {
			return nil, err
		}
		if payload, err = jws.Verify(key); err != nil {
			return nil, fmt.Errorf("%w: kid %s", ErrSignature, quoteShort(kid))
		}
	}

	// The claims must come from the verified payload bytes. parseToken decoded them from the
	// payload segment, which for a compact JWS are the very bytes go-jose verified; decode
	// again only if they differ (decoding the same bytes twice doubled the cost of a verify).
	raw := p.raw
	if !bytes.Equal(payload, p.payload) {
		if raw, err = decodeClaims(payload); err != nil {
			return nil, err
		}
	}
	cc := &CaptureContext{Token: p.cc.Token, Claims: claimsFrom(kid, raw)}

	if raw.Iss != CaptureContextIssuer {
		return nil, fmt.Errorf("%w: iss %s, want %q", ErrIssuer, quoteShort(raw.Iss), CaptureContextIssuer)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if leeway < 0 {
		leeway = 0
	}
	if raw.Exp == nil {
		return nil, fmt.Errorf("%w: missing exp claim", ErrMalformed)
	}
	if exp := raw.Exp.time(); !now.Before(exp.Add(leeway)) {
		return nil, fmt.Errorf("%w: exp %s is not after now %s (leeway %s)", ErrExpired, exp.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	if raw.Iat != nil {
		if iat := raw.Iat.time(); iat.After(now.Add(leeway)) {
			return nil, fmt.Errorf("%w: iat %s is after now %s (leeway %s)", ErrNotYetValid, iat.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
	}
	if raw.Nbf != nil {
		if nbf := raw.Nbf.time(); nbf.After(now.Add(leeway)) {
			return nil, fmt.Errorf("%w: nbf %s is after now %s (leeway %s)", ErrNotYetValid, nbf.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
	}
	return cc, nil
}

// quoteShort quotes an attacker-controlled header or claim value for an
// error message, cut to 40 bytes so errors stay short.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
