package cyberflextest

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// certKey is a merchant's certificate key for RS256 JWTs; keyID is the certificate's subject
// serialNumber, the kid CyberSource expects.
type certKey struct {
	merchantID, keyID string
	key               *rsa.PublicKey
}

// verifyJWT checks a CyberSource JWT of the current ("v2") claim set: go-jose parses it allowing
// only the configured algorithms (HS256 for shared secrets, RS256 for certificates), so "none"
// and algorithm confusion are refused before any key is chosen; the kid selects the key; the
// signature verifies; the claims bind the token to this request; and its jti was not accepted
// before. The claim set:
// https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-jwt-shared-secret-intro/restgs-jwt-con-shared-secret-intro.html
func (a *authenticator) verifyJWT(r *http.Request, body []byte, token string) error {
	var algs []jose.SignatureAlgorithm
	if len(a.jwtSecrets) > 0 {
		algs = append(algs, jose.HS256)
	}
	if len(a.jwtCerts) > 0 {
		algs = append(algs, jose.RS256)
	}
	jws, err := jose.ParseSignedCompact(token, algs)
	if err != nil {
		return reject("JWT: %v", err)
	}
	header := jws.Signatures[0].Header // ParseSignedCompact yields exactly one signature
	var key any
	var merchant string
	switch jose.SignatureAlgorithm(header.Algorithm) {
	case jose.HS256:
		for _, c := range a.jwtSecrets {
			if c.keyID == header.KeyID {
				key, merchant = c.key, c.merchantID
				break
			}
		}
	case jose.RS256:
		for _, c := range a.jwtCerts {
			if c.keyID == header.KeyID {
				key, merchant = c.key, c.merchantID
				break
			}
		}
	}
	if key == nil {
		return reject("JWT kid %s is not a %s key of this server", quote(header.KeyID), header.Algorithm)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return reject("JWT signature does not verify with the key of kid %s", quote(header.KeyID))
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return err
	}
	if err := a.checkClaims(r, body, c, merchant); err != nil {
		return err
	}
	return a.checkJWTReplay(c, merchant, jws.Signatures[0].Signature)
}

// checkJWTReplay refuses a token accepted before whose window is still open: until its exp or
// iat + the allowed skew, whichever comes first, after which checkClaims refuses it anyway. The
// token is known by its jti (RFC 7519 §4.1.7: "The "jti" claim can be used to prevent the JWT
// from being replayed"), which the official SDKs and cyberflex set to a new UUID per request. A
// token without jti is known by its signature, which two identical requests in the same second
// share, so it is checked only with WithSignatureReplayCheck.
func (a *authenticator) checkJWTReplay(c jwtClaims, merchant string, signature []byte) error {
	jti, present, err := c.str("jti")
	if err != nil {
		return err
	}
	if !present && !a.replaySignatures {
		return nil
	}
	key := "jwt signature\x00" + string(signature)
	if present {
		key = "jti\x00" + merchant + "\x00" + jti
	}
	iat, err := c.date("iat")
	if err != nil {
		return err
	}
	exp, err := c.date("exp")
	if err != nil {
		return err
	}
	until := exp
	if end := iat.Add(a.skew); end.Before(until) {
		until = end
	}
	if a.replays.seen(key, a.now(), until) {
		if present {
			return reject("replayed: a JWT with jti %s was accepted before and is still valid; sign every request afresh with a new jti", quote(jti))
		}
		return reject("replayed: this JWT was accepted before and is still valid; sign every request afresh")
	}
	return nil
}

// jwtClaims are a JWT's claims by exact name (encoding/json would match struct fields
// case-insensitively, which a verifier must not).
type jwtClaims map[string]json.RawMessage

func decodeClaims(payload []byte) (jwtClaims, error) {
	var c jwtClaims
	if err := json.Unmarshal(payload, &c); err != nil || c == nil {
		return nil, reject("JWT claims are not a JSON object")
	}
	return c, nil
}

// str returns claim name as a string; present reports whether the claim exists at all.
func (c jwtClaims) str(name string) (value string, present bool, err error) {
	raw, ok := c[name]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &value); err != nil {
		return "", true, reject("JWT claim %s is not a string", name)
	}
	return value, true, nil
}

// want checks that string claim name is present and satisfies ok.
func (c jwtClaims) want(name string, ok func(string) bool, explain string) error {
	v, present, err := c.str(name)
	switch {
	case err != nil:
		return err
	case !present:
		return reject("JWT has no %s claim", name)
	case !ok(v):
		return reject("JWT claim %s is %s, %s", name, quote(v), explain)
	}
	return nil
}

// maxNumericDate is 9999-12-31T23:59:59Z: larger dates are refused rather than overflowing.
const maxNumericDate = 253402300799

// date returns NumericDate claim name (RFC 7519 §2: seconds since the epoch, possibly
// fractional; the fraction is dropped).
func (c jwtClaims) date(name string) (time.Time, error) {
	raw, ok := c[name]
	if !ok {
		return time.Time{}, reject("JWT has no %s claim", name)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, reject("JWT claim %s is not a NumericDate (seconds since 1970; legacy v1 tokens sent a date string)", name)
	}
	return time.Unix(int64(f), 0), nil
}

// checkClaims binds a verified token to the request: version, merchant, host, path, method,
// body digest and times.
func (a *authenticator) checkClaims(r *http.Request, body []byte, c jwtClaims, merchant string) error {
	equals := func(want string) func(string) bool { return func(v string) bool { return v == want } }
	checks := []struct {
		name    string
		ok      func(string) bool
		explain string
	}{
		{"v-c-jwt-version", equals("2"), `want "2" (the claim set CyberSource requires from September 2026)`},
		{"v-c-merchant-id", equals(merchant), "not the merchant of this key"},
		{"iss", equals(merchant), "not the merchant of this key"},
		{"request-host", func(v string) bool { return strings.EqualFold(v, a.host) }, fmt.Sprintf("not the API host %s: is the client configured for another environment? (cyberflex.WithEnvironment; the server's host is set with cyberflextest.WithHost)", quote(a.host))},
		{"request-resource-path", equals(r.URL.RequestURI()), fmt.Sprintf("not the path of this request, %s", quote(r.URL.RequestURI()))},
		{"request-method", func(v string) bool { return strings.EqualFold(v, r.Method) }, fmt.Sprintf("not the method of this request, %s", r.Method)},
	}
	for _, ch := range checks {
		if err := c.want(ch.name, ch.ok, ch.explain); err != nil {
			return err
		}
	}

	if _, hasDigest := c["digest"]; len(body) > 0 || hasDigest {
		if err := c.want("digest", equals(bodyDigest(body)), fmt.Sprintf("not base64(SHA-256) of the %d bytes of the body (was the body changed after signing?)", len(body))); err != nil {
			return err
		}
		// Node sends "digest-algorithm", Python and the docs "digestAlgorithm"; CyberSource
		// takes either, so at least one must be present and each present one must say SHA-256.
		found := false
		for _, name := range []string{"digest-algorithm", "digestAlgorithm"} {
			v, present, err := c.str(name)
			if err != nil {
				return err
			}
			if present && v != "SHA-256" {
				return reject("JWT claim %s is %s, want \"SHA-256\"", name, quote(v))
			}
			found = found || present
		}
		if !found {
			return reject("JWT has a digest but no digest-algorithm (or digestAlgorithm) claim")
		}
	}

	iat, err := c.date("iat")
	if err != nil {
		return err
	}
	exp, err := c.date("exp")
	if err != nil {
		return err
	}
	now := a.now()
	if off := now.Sub(iat); off > a.skew || off < -a.skew {
		return reject("JWT iat %s is %s away from the server's clock (%s), more than the %s allowed",
			iat.UTC().Format(time.RFC3339), off.Abs().Round(time.Second), now.UTC().Format(time.RFC3339), a.skew)
	}
	if !exp.After(now) {
		return reject("JWT expired at %s (server clock %s)", exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if life := exp.Sub(iat); life <= 0 || life > maxJWTLifetime {
		return reject("JWT lifetime exp - iat is %s; CyberSource accepts at most %s", life, maxJWTLifetime)
	}

	if vals := r.Header.Values("v-c-merchant-id"); len(vals) > 0 && (len(vals) > 1 || vals[0] != merchant) {
		return reject("the v-c-merchant-id header is not the token's merchant")
	}
	return nil
}
