package cyberflex

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// CaptureContextIssuer is the "iss" claim of every capture context issued by
// POST /flex/v2/sessions and POST /microform/v2/sessions (both are issued by
// the Flex API and live 15 minutes). Verification enforces it (see
// ErrCaptureContextIssuer).
const CaptureContextIssuer = "Flex API"

// CaptureContext is a capture context as POST /flex/v2/sessions (for a
// server: Tokenize) or POST /microform/v2/sessions (for Microform on a web
// page) returns it: a compact JWT, together with its decoded claims.
//
// Tokenize and VerifyTransientToken trust a CaptureContext that a Client
// returned (GenerateCaptureContext, GenerateMicroformContext,
// VerifyCaptureContext) as it was returned; any other, such as
// &CaptureContext{Token: saved}, they verify first, from its Token alone.
type CaptureContext struct {
	// Token is the compact JWT, with surrounding whitespace and JSON quotes
	// removed. Pass this string on unchanged.
	Token string
	// Claims are the decoded header kid and payload claims. They can be
	// trusted only if the CaptureContext came from a verifying function.
	Claims CaptureContextClaims

	// trusted is what this package itself decoded from Token when it issued or verified it,
	// out of reach of the caller: changing Claims (flx.origin, flx.jwk) or Token afterwards
	// cannot send card data elsewhere.
	trusted *trustedContext
}

// trustedContext is what Tokenize and VerifyTransientToken use of a capture context this
// package issued (from the configured API) or verified: its own copy, which no change to the
// CaptureContext's exported fields reaches.
type trustedContext struct {
	token               string
	flx                 Tokenization // strings only: a copy
	issuedAt, expiresAt time.Time
	ctxType             string   // ctx[0].type
	required, optional  []string // ctx[0].data requiredFields and optionalFields

	// flx.jwk decoded, and the JWE encrypter to it, made once: every Tokenize and
	// VerifyTransientToken with this capture context uses them. (A go-jose Encrypter keeps no
	// state between calls; each Encrypt makes a new content key.)
	keyOnce   sync.Once
	key       *rsa.PublicKey
	encrypter jose.Encrypter
	keyErr    error
	// flx.origin + flx.path, checked (see tokensURL), made once.
	urlOnce   sync.Once
	tokensURL string
	urlErr    error
}

// target is where Tokenize sends the JWE: flx.origin + flx.path, checked.
func (t *trustedContext) target() (string, error) {
	t.urlOnce.Do(func() { t.tokensURL, t.urlErr = tokensURL(t.flx) })
	return t.tokensURL, t.urlErr
}

// encryptionKey is flx.jwk decoded (see encryptionKey) and the encrypter of the JWE of POST
// /flex/v2/tokens to it: alg RSA-OAEP-256, enc A256GCM, header kid = flx.jwk.kid.
func (t *trustedContext) encryptionKey() (*rsa.PublicKey, jose.Encrypter, error) {
	t.keyOnce.Do(func() {
		if t.key, t.keyErr = encryptionKey(t.flx.JWK); t.keyErr == nil {
			t.encrypter, t.keyErr = jose.NewEncrypter(jose.A256GCM,
				jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: t.key, KeyID: t.flx.JWK.KeyID}, nil)
		}
	})
	return t.key, t.encrypter, t.keyErr
}

// markTrusted records cc's current token and claims as trusted and returns cc.
func markTrusted(cc *CaptureContext) *CaptureContext {
	c := cc.Claims
	t := &trustedContext{token: cc.Token, flx: c.Tokenization, issuedAt: c.IssuedAt, expiresAt: c.ExpiresAt}
	if len(c.Settings) > 0 {
		t.ctxType = c.Settings[0].Type
		t.required = slices.Clone(c.Settings[0].Data.RequiredFields)
		t.optional = slices.Clone(c.Settings[0].Data.OptionalFields)
	}
	cc.trusted = t
	return cc
}

// trust returns what was trusted of cc, or nil when cc was not issued or verified by this
// package or its Token has changed since.
func (cc *CaptureContext) trust() *trustedContext {
	if cc == nil || cc.trusted == nil || cc.trusted.token != cc.Token {
		return nil
	}
	return cc.trusted
}

// CaptureContextClaims is the decoded content of a capture context JWT.
// Absent time claims are the zero time.
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
	// Tokenization is "flx": where and with which key the card data is to be sent.
	Tokenization Tokenization
	// Settings is "ctx": the session settings (for the Flex API one element of
	// type "api-0.1.0" with the required and optional fields).
	Settings []Settings
}

// Tokenization is the "flx" claim of a capture context.
type Tokenization struct {
	// Path is the tokenization path, "/flex/v2/tokens".
	Path string `json:"path"`
	// Data is opaque session data (base64); pass it on unchanged.
	Data string `json:"data"`
	// Origin is the origin to send the tokenization request to, e.g.
	// "https://testflex.cybersource.com".
	Origin string `json:"origin"`
	// JWK is the one-time RSA key to encrypt the card data with (JWE
	// RSA-OAEP + A256GCM, header kid = JWK.KeyID).
	JWK EncryptionKey `json:"jwk"`
}

// EncryptionKey is the one-time encryption key in flx.jwk, a public RSA JWK.
type EncryptionKey struct {
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

// Settings is one element of the "ctx" claim.
type Settings struct {
	// Type names the integration and its version: "api-0.1.0" for the Flex
	// API, "mf-…" for Microform, "gda-…" for Unified Checkout.
	Type string `json:"type"`
	// Data holds the settings of the session.
	Data SettingsData `json:"data"`
}

// SettingsData is the "data" object of a ctx element. RequiredFields and
// OptionalFields are the dotted field paths from the session request (e.g.
// "paymentInformation.card.number"); every other member (Microform's
// clientLibrary, targetOrigins, Unified Checkout's allowedCardNetworks, ...)
// is kept undecoded in Extra, so nothing is lost and new members need no SDK
// change.
type SettingsData struct {
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
func (d *SettingsData) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var out SettingsData
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
func (d SettingsData) MarshalJSON() ([]byte, error) {
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

// rawClaims is the wire form of the capture context claims.
type rawClaims struct {
	Iss          string       `json:"iss"`
	Iat          *numericDate `json:"iat"`
	Exp          *numericDate `json:"exp"`
	Nbf          *numericDate `json:"nbf"`
	Jti          string       `json:"jti"`
	Tokenization Tokenization `json:"flx"`
	Settings     []Settings   `json:"ctx"`
}

// claimsFrom combines the header kid and the wire claims into the claims users see.
func claimsFrom(kid string, c rawClaims) CaptureContextClaims {
	return CaptureContextClaims{
		KeyID:        kid,
		Issuer:       c.Iss,
		IssuedAt:     c.Iat.time(),
		ExpiresAt:    c.Exp.time(),
		ID:           c.Jti,
		Tokenization: c.Tokenization,
		Settings:     c.Settings,
	}
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

// time is the date, or the zero time for an absent claim (a nil *numericDate).
func (n *numericDate) time() time.Time {
	if n == nil {
		return time.Time{}
	}
	return n.t
}
