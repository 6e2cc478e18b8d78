package cyberflextest

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// authenticator checks a request's credentials against those the Server was configured with.
// Everything in it is set before the Server starts and never changed, so it needs no lock.
type authenticator struct {
	host   string           // the API host requests must be signed for
	skew   time.Duration    // bound on |now − Date| and |now − iat|
	legacy bool             // accept "(request-target)"
	now    func() time.Time // the server's clock

	signatureKeys []sharedSecret // HTTP Signature
	jwtSecrets    []sharedSecret // JWT HS256
	jwtCerts      []certKey      // JWT RS256 (P12)
	bearerTokens  [][]byte       // OAuth access tokens
}

// sharedSecret is one shared-secret key of the Business Center: its id, its merchant and the
// decoded HMAC key.
type sharedSecret struct {
	merchantID, keyID string
	key               []byte
}

// certKey is a merchant's certificate key for RS256 JWTs; keyID is the certificate's subject
// serialNumber, the kid CyberSource expects.
type certKey struct {
	merchantID, keyID string
	key               *rsa.PublicKey
}

// authError is why a request failed authentication. Its text is appended to the rmsg of the 401
// ("Authentication Failed: <reason>"); it never contains a secret or an expected signature.
type authError struct{ reason string }

func (e *authError) Error() string { return e.reason }

func reject(format string, args ...any) error {
	return &authError{reason: fmt.Sprintf(format, args...)}
}

// authenticate accepts r when it passes any configured scheme: an HTTP Signature when it
// carries a Signature header, a JWT or OAuth token when it carries Authorization. A request
// carrying both is accepted if either verifies; the reasons of both failures are reported.
func (a *authenticator) authenticate(r *http.Request, body []byte) error {
	var reasons []string
	if len(r.Header.Values("Signature")) > 0 {
		err := a.verifyHTTPSignature(r, body)
		if err == nil {
			return nil
		}
		reasons = append(reasons, err.Error())
	}
	if len(r.Header.Values("Authorization")) > 0 {
		err := a.verifyBearer(r, body)
		if err == nil {
			return nil
		}
		reasons = append(reasons, err.Error())
	}
	if len(reasons) == 0 {
		return reject("the request has neither a Signature header (HTTP Signature) nor an Authorization header (JWT or OAuth)")
	}
	return reject("%s", strings.Join(reasons, "; "))
}

// Pseudo-header names of the Signature headers list.
const (
	requestTarget       = "request-target"
	legacyRequestTarget = "(request-target)"
)

// verifyHTTPSignature checks CyberSource's HTTP Signature (NOTES §4a), in this order: the
// Signature header parses; algorithm is HmacSHA256; keyid is a configured key; the headers list
// names host, date, request-target, v-c-merchant-id and, with a body, digest; the Host header
// names the API host; Date is an IMF-fixdate within the allowed skew; v-c-merchant-id is the
// key's merchant; Digest is the SHA-256 of the body received; and the signature is the
// HMAC-SHA256, keyed with the decoded secret, of the signing string built from the headers list
// in its order. The last comparison is constant-time.
func (a *authenticator) verifyHTTPSignature(r *http.Request, body []byte) error {
	if len(a.signatureKeys) == 0 {
		return reject("HTTP Signature authentication is not enabled on this server (see cyberflextest.WithHTTPSignature)")
	}
	values := r.Header.Values("Signature")
	if len(values) != 1 {
		return reject("the request has %d Signature headers, want one", len(values))
	}
	p, err := parseSignature(values[0])
	if err != nil {
		return reject("Signature header: %v", err)
	}
	if p.algorithm != "HmacSHA256" {
		return reject("Signature algorithm %s is not supported; CyberSource's shared-secret signatures use \"HmacSHA256\"", quote(p.algorithm))
	}
	var cred *sharedSecret
	for i := range a.signatureKeys {
		if a.signatureKeys[i].keyID == p.keyID {
			cred = &a.signatureKeys[i]
			break
		}
	}
	if cred == nil {
		return reject("Signature keyid %s is not a shared-secret key of this server", quote(p.keyID))
	}
	names, err := a.signedHeaders(p.headers, len(body) > 0)
	if err != nil {
		return err
	}

	if !strings.EqualFold(r.Host, a.host) {
		return reject("the request's Host header %s is not the API host %s that requests must be signed for: is the client configured for another environment? (cyberflex.WithEnvironment; the server's host is set with cyberflextest.WithHost)",
			quote(r.Host), quote(a.host))
	}
	date, err := singleHeader(r, "Date")
	if err != nil {
		return err
	}
	t, err := time.Parse(http.TimeFormat, date)
	if err != nil {
		return reject("Date %s is not an IMF-fixdate in GMT such as %q", quote(date), "Sat, 21 Nov 2026 12:17:15 GMT")
	}
	if off := a.now().Sub(t); off > a.skew || off < -a.skew {
		return reject("Date %s is %s away from the server's clock (%s), more than the %s allowed",
			quote(date), off.Abs().Round(time.Second), a.now().UTC().Format(http.TimeFormat), a.skew)
	}
	merchant, err := singleHeader(r, "v-c-merchant-id")
	if err != nil {
		return err
	}
	if merchant != cred.merchantID {
		return reject("v-c-merchant-id %s is not the merchant of key %s", quote(merchant), quote(cred.keyID))
	}
	if len(body) > 0 || slices.Contains(names, "digest") {
		digest, err := singleHeader(r, "Digest")
		if err != nil {
			return err
		}
		if digest != "SHA-256="+bodyDigest(body) {
			return reject("the Digest header does not match the body: it must be \"SHA-256=\" + base64(SHA-256) of the exact %d bytes sent (was the body changed after signing?)", len(body))
		}
	}

	signingString, err := a.signingString(r, names)
	if err != nil {
		return err
	}
	got, err := base64.StdEncoding.DecodeString(p.signature)
	if err != nil {
		return reject("the Signature signature parameter is not standard base64")
	}
	mac := hmac.New(sha256.New, cred.key)
	mac.Write([]byte(signingString))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return reject("the signature does not match: wrong shared secret, or the client signed another string than the server's %q", signingString)
	}
	return nil
}

// signatureParams are the parameters of a Signature header.
type signatureParams struct {
	keyID, algorithm, headers, signature string
}

// parseSignature parses `keyid="…", algorithm="…", headers="…", signature="…"`: parameter names
// are case-insensitive, values must be quoted (CyberSource's values never contain a quote, so no
// escapes), spaces and tabs around the commas are allowed, each parameter appears at most once
// and unknown parameters are ignored. It never panics, whatever s is.
func parseSignature(s string) (signatureParams, error) {
	params := map[string]string{}
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipSpace()
		if i == len(s) {
			if len(params) > 0 {
				return signatureParams{}, fmt.Errorf("ends with a comma")
			}
			return signatureParams{}, fmt.Errorf("is empty")
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" {
			return signatureParams{}, fmt.Errorf("has a parameter without a name")
		}
		if i == len(s) || s[i] != '=' {
			return signatureParams{}, fmt.Errorf("parameter %s has no =\"value\"", quote(name))
		}
		i++
		if i == len(s) || s[i] != '"' {
			return signatureParams{}, fmt.Errorf("parameter %s is not a quoted string", quote(name))
		}
		i++
		end := strings.IndexByte(s[i:], '"')
		if end < 0 {
			return signatureParams{}, fmt.Errorf("parameter %s has no closing quote", quote(name))
		}
		if _, dup := params[name]; dup {
			return signatureParams{}, fmt.Errorf("parameter %s appears twice", quote(name))
		}
		params[name] = s[i : i+end]
		i += end + 1
		skipSpace()
		if i == len(s) {
			break
		}
		if s[i] != ',' {
			return signatureParams{}, fmt.Errorf("expected a comma after parameter %s", quote(name))
		}
		i++
	}
	for _, name := range []string{"keyid", "algorithm", "headers", "signature"} {
		if _, ok := params[name]; !ok {
			return signatureParams{}, fmt.Errorf("has no %s parameter", name)
		}
	}
	return signatureParams{keyID: params["keyid"], algorithm: params["algorithm"], headers: params["headers"], signature: params["signature"]}, nil
}

// signedHeaders splits the headers list (names case-insensitive, separated by spaces), refuses
// duplicates, the legacy "(request-target)" unless enabled and other pseudo-headers, and checks
// that the headers CyberSource requires are all listed.
func (a *authenticator) signedHeaders(list string, hasBody bool) ([]string, error) {
	names := strings.Fields(strings.ToLower(list))
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, reject("the Signature headers list names %s twice", quote(n))
		}
		seen[n] = true
		switch {
		case n == legacyRequestTarget && !a.legacy:
			return nil, reject("the Signature headers list names %q, the parenthesised spelling CyberSource stopped accepting on 2024-03-22 (release note rn-2024-01-05); sign %q instead (cyberflextest.WithLegacyRequestTarget accepts the old form)", legacyRequestTarget, requestTarget)
		case n == legacyRequestTarget:
		case strings.HasPrefix(n, "("):
			return nil, reject("the Signature headers list names the pseudo-header %s, which CyberSource does not use", quote(n))
		}
	}
	required := []string{"host", "date", requestTarget, "v-c-merchant-id"}
	if hasBody {
		required = append(required, "digest")
	}
	for _, n := range required {
		if seen[n] || n == requestTarget && a.legacy && seen[legacyRequestTarget] {
			continue
		}
		return nil, reject("the Signature headers list %s lacks %s: CyberSource requires host, date, request-target, v-c-merchant-id and, for a request with a body, digest", quote(list), quote(n))
	}
	if seen[requestTarget] && seen[legacyRequestTarget] {
		return nil, reject("the Signature headers list names both %q and %q", requestTarget, legacyRequestTarget)
	}
	return names, nil
}

// signingString builds the string the client must have signed: one "name: value" line per name
// of the headers list, in the list's order, joined by "\n". host is the configured API host;
// request-target is the lowercase method, a space and the request URI (path[?query]); every
// other name is the request's header of that name (several values joined by ", ").
func (a *authenticator) signingString(r *http.Request, names []string) (string, error) {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('\n')
		}
		var value string
		switch n {
		case "host":
			value = a.host
		case requestTarget, legacyRequestTarget:
			value = strings.ToLower(r.Method) + " " + r.URL.RequestURI()
		default:
			values := r.Header.Values(n)
			if len(values) == 0 {
				return "", reject("the Signature headers list names %s, but the request has no such header", quote(n))
			}
			value = strings.Join(values, ", ")
		}
		b.WriteString(n)
		b.WriteString(": ")
		b.WriteString(value)
	}
	return b.String(), nil
}

// verifyBearer checks "Authorization: Bearer <token>": an OAuth access token of this server
// (constant-time comparison), else a JWT.
func (a *authenticator) verifyBearer(r *http.Request, body []byte) error {
	value, err := singleHeader(r, "Authorization")
	if err != nil {
		return err
	}
	scheme, token, ok := strings.Cut(value, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return reject("the Authorization header is not \"Bearer <token>\"")
	}
	hasJWT := len(a.jwtSecrets)+len(a.jwtCerts) > 0
	if len(a.bearerTokens) == 0 && !hasJWT {
		return reject("bearer authentication is not enabled on this server (see cyberflextest.WithJWT, WithJWTP12, WithJWTCertificate, WithBearerToken)")
	}
	match := 0
	for _, t := range a.bearerTokens {
		match |= subtle.ConstantTimeCompare([]byte(token), t)
	}
	if match == 1 {
		return nil
	}
	if !hasJWT {
		return reject("the bearer token is not an OAuth access token of this server")
	}
	if err := a.verifyJWT(r, body, token); err != nil {
		if len(a.bearerTokens) > 0 {
			return reject("the bearer token is not an OAuth access token of this server, nor a valid JWT: %v", err)
		}
		return err
	}
	return nil
}

// verifyJWT checks a CyberSource JWT of the current ("v2") claim set (NOTES §4b): go-jose parses
// it allowing only the configured algorithms (HS256 for shared secrets, RS256 for
// certificates), so "none" and algorithm confusion are refused before any key is chosen; the kid
// selects the key; the signature verifies; and the claims bind the token to this request.
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
	return a.checkClaims(r, body, c, merchant)
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

// singleHeader returns the one value of header name, or a rejection when it is missing or
// repeated.
func singleHeader(r *http.Request, name string) (string, error) {
	values := r.Header.Values(name)
	switch len(values) {
	case 0:
		return "", reject("the request has no %s header", name)
	case 1:
		return values[0], nil
	default:
		return "", reject("the request has %d %s headers, want one", len(values), name)
	}
}

// bodyDigest is base64(SHA-256(body)), the digest both schemes bind the body with.
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// quote quotes a value taken from the request for an error message, cut to 60 bytes.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
