package cyberflextest_test

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// v2Claims are the claims the official SDKs put in a JWT for a POST of body at testNow, in the
// Node SDK's spelling. The claim set:
// https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-jwt-shared-secret-intro/restgs-jwt-con-shared-secret-intro.html
func v2Claims(body []byte) map[string]any {
	iat := testNow.Unix()
	return map[string]any{
		"digest":                digestOf(body),
		"digest-algorithm":      "SHA-256",
		"iat":                   iat,
		"exp":                   iat + 120,
		"request-host":          cyberflextest.DefaultHost,
		"request-resource-path": sessions,
		"request-method":        "post",
		"iss":                   merchant,
		"jti":                   "5b0f8b8e-52d4-4b8e-9a43-8f0c1d2e3f40",
		"v-c-jwt-version":       "2",
		"v-c-merchant-id":       merchant,
	}
}

// signJWT signs claims as a compact JWS with header {"alg", "kid", "typ":"JWT"}.
func signJWT(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func decodedSecret(t *testing.T, b64 string) []byte {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// unsecuredJWT is an "alg":"none" token: header and claims, empty signature.
func unsecuredJWT(claims map[string]any) string {
	payload, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+keyID+`","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(payload) + "."
}

// TestJWTWire sends hand-made JWTs (HS256 with the shared secret) and checks what is accepted
// and why the rest is refused.
func TestJWTWire(t *testing.T) {
	body := []byte(goldenBody)
	hs := func(t *testing.T, c map[string]any) string {
		return signJWT(t, jose.HS256, decodedSecret(t, secret), keyID, c)
	}
	tests := []struct {
		name   string
		claims func(c map[string]any)
		token  func(t *testing.T, c map[string]any) string // nil: hs
		header func(h http.Header, token string)           // nil: Authorization: Bearer token
		want   string                                      // "" = accepted
	}{
		{name: "as node signs it"},
		{
			name: "as python signs it: digestAlgorithm, upper-case method",
			claims: func(c map[string]any) {
				delete(c, "digest-algorithm")
				c["digestAlgorithm"] = "SHA-256"
				c["request-method"] = "POST"
			},
		},
		{
			name:   "bearer scheme in lower case",
			header: func(h http.Header, token string) { h.Set("Authorization", "bearer "+token) },
		},
		{
			name:  "alg none",
			token: func(_ *testing.T, c map[string]any) string { return unsecuredJWT(c) },
			want:  `JWT: unexpected signature algorithm "none"; expected ["HS256"]`,
		},
		{
			name:  "RS256 when only HS256 is configured",
			token: func(t *testing.T, c map[string]any) string { return signJWT(t, jose.RS256, rsaKey(t), keyID, c) },
			want:  `unexpected signature algorithm "RS256"; expected ["HS256"]`,
		},
		{
			name:  "HS512",
			token: func(t *testing.T, c map[string]any) string { return signJWT(t, jose.HS512, make([]byte, 64), keyID, c) },
			want:  `unexpected signature algorithm "HS512"`,
		},
		{
			name: "wrong kid",
			token: func(t *testing.T, c map[string]any) string {
				return signJWT(t, jose.HS256, decodedSecret(t, secret), "other-key", c)
			},
			want: `JWT kid "other-key" is not a HS256 key of this server`,
		},
		{
			name: "wrong secret",
			token: func(t *testing.T, c map[string]any) string {
				return signJWT(t, jose.HS256, decodedSecret(t, otherSecret), keyID, c)
			},
			want: `JWT signature does not verify with the key of kid "` + keyID + `"`,
		},
		{
			name: "tampered claims",
			token: func(t *testing.T, c map[string]any) string {
				return tamperClaims(t, hs(t, c), `"request-method":"get"`)
			},
			want: `JWT signature does not verify`,
		},
		{
			name: "expired",
			claims: func(c map[string]any) {
				c["iat"] = testNow.Add(-121 * time.Second).Unix()
				c["exp"] = testNow.Add(-time.Second).Unix()
			},
			want: `JWT expired at 2026-11-21T12:17:14Z (server clock 2026-11-21T12:17:15Z)`,
		},
		{
			name:   "expires now",
			claims: func(c map[string]any) { c["iat"], c["exp"] = testNow.Add(-120*time.Second).Unix(), testNow.Unix() },
			want:   `JWT expired at 2026-11-21T12:17:15Z`,
		},
		{
			name:   "lifetime over 120 s",
			claims: func(c map[string]any) { c["exp"] = testNow.Add(121 * time.Second).Unix() },
			want:   `JWT lifetime exp - iat is 2m1s; CyberSource accepts at most 2m0s`,
		},
		{
			name: "exp before iat",
			claims: func(c map[string]any) {
				c["iat"], c["exp"] = testNow.Add(time.Minute).Unix(), testNow.Add(time.Second).Unix()
			},
			want: `JWT lifetime exp - iat is -59s`,
		},
		{
			name: "iat in the future beyond the skew",
			claims: func(c map[string]any) {
				c["iat"] = testNow.Add(6 * time.Minute).Unix()
				c["exp"] = testNow.Add(8 * time.Minute).Unix()
			},
			want: `JWT iat 2026-11-21T12:23:15Z is 6m0s away from the server's clock (2026-11-21T12:17:15Z), more than the 5m0s allowed`,
		},
		{
			name:   "iat as a date string (legacy v1 tokens)",
			claims: func(c map[string]any) { c["iat"] = "1594249865" },
			want:   `JWT claim iat is not a NumericDate`,
		},
		{
			name:   "no exp",
			claims: func(c map[string]any) { delete(c, "exp") },
			want:   `JWT has no exp claim`,
		},
		{
			name:   "wrong path",
			claims: func(c map[string]any) { c["request-resource-path"] = "/flex/v2/tokens" },
			want:   `JWT claim request-resource-path is "/flex/v2/tokens", not the path of this request, "/flex/v2/sessions"`,
		},
		{
			name:   "wrong method",
			claims: func(c map[string]any) { c["request-method"] = "get" },
			want:   `JWT claim request-method is "get", not the method of this request, POST`,
		},
		{
			name:   "wrong host",
			claims: func(c map[string]any) { c["request-host"] = "api.cybersource.com" },
			want:   `JWT claim request-host is "api.cybersource.com", not the API host "apitest.cybersource.com": is the client configured for another environment?`,
		},
		{
			name:   "wrong digest",
			claims: func(c map[string]any) { c["digest"] = digestOf([]byte(`{"fields":{}}`)) },
			want:   `JWT claim digest is "`,
		},
		{
			name:   "digest with the HTTP Signature prefix",
			claims: func(c map[string]any) { c["digest"] = "SHA-256=" + digestOf(body) },
			want:   `not base64(SHA-256) of the 176 bytes of the body`,
		},
		{
			name:   "no digest",
			claims: func(c map[string]any) { delete(c, "digest") },
			want:   `JWT has no digest claim`,
		},
		{
			name:   "no digest algorithm",
			claims: func(c map[string]any) { delete(c, "digest-algorithm") },
			want:   `JWT has a digest but no digest-algorithm (or digestAlgorithm) claim`,
		},
		{
			name:   "other digest algorithm",
			claims: func(c map[string]any) { c["digestAlgorithm"] = "SHA-512" },
			want:   `JWT claim digestAlgorithm is "SHA-512", want "SHA-256"`,
		},
		{
			name:   "version 1",
			claims: func(c map[string]any) { c["v-c-jwt-version"] = "1" },
			want:   `JWT claim v-c-jwt-version is "1", want "2"`,
		},
		{
			name:   "no version",
			claims: func(c map[string]any) { delete(c, "v-c-jwt-version") },
			want:   `JWT has no v-c-jwt-version claim`,
		},
		{
			name:   "other issuer",
			claims: func(c map[string]any) { c["iss"] = "merchant_b" },
			want:   `JWT claim iss is "merchant_b", not the merchant of this key`,
		},
		{
			name:   "other merchant claim",
			claims: func(c map[string]any) { c["v-c-merchant-id"] = "merchant_b" },
			want:   `JWT claim v-c-merchant-id is "merchant_b", not the merchant of this key`,
		},
		{
			name:   "merchant claim of the wrong type",
			claims: func(c map[string]any) { c["v-c-merchant-id"] = 42 },
			want:   `JWT claim v-c-merchant-id is not a string`,
		},
		{
			name: "v-c-merchant-id header of another merchant",
			header: func(h http.Header, token string) {
				h.Set("Authorization", "Bearer "+token)
				h.Set("v-c-merchant-id", "merchant_b")
			},
			want: `the v-c-merchant-id header is not the token's merchant`,
		},
		{
			name:   "not a JWT",
			header: func(h http.Header, _ string) { h.Set("Authorization", "Bearer not-a-jwt") },
			want:   `JWT: go-jose/go-jose: compact JWS format must have three parts`,
		},
		{
			name:   "Basic instead of Bearer",
			header: func(h http.Header, _ string) { h.Set("Authorization", "Basic bWU6cGFzcw==") },
			want:   `the Authorization header is not "Bearer <token>"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csrv := newServer(t, cyberflextest.WithJWT(merchant, keyID, secret))
			c := v2Claims(body)
			if tt.claims != nil {
				tt.claims(c)
			}
			mint := tt.token
			if mint == nil {
				mint = hs
			}
			token := mint(t, c)
			req := newRequest(t, csrv, http.MethodPost, sessions, body)
			if tt.header != nil {
				tt.header(req.Header, token)
			} else {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			a := send(t, req)
			if tt.want == "" {
				if a.status != http.StatusCreated {
					t.Fatalf("status %d, want 201; body %s", a.status, a.body)
				}
				return
			}
			if got := rmsg(t, a); !strings.Contains(got, tt.want) {
				t.Errorf("rmsg\n%q\ndoes not contain\n%q", got, tt.want)
			}
		})
	}
}

// TestJWTCertificateWire: with a certificate configured, only RS256 tokens whose kid is the
// certificate's subject serialNumber and whose signature verifies with its key are accepted.
func TestJWTCertificateWire(t *testing.T) {
	body := []byte(goldenBody)
	key, cert := certificate(t, "1234567890123456789012")
	otherKey := rsaKey(t)
	for otherKey.Equal(key) {
		otherKey = rsaKey(t)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  string
	}{
		{
			name: "RS256 with the certificate's key",
			token: func(t *testing.T) string {
				return signJWT(t, jose.RS256, key, cert.Subject.SerialNumber, v2Claims(body))
			},
		},
		{
			// The classic algorithm confusion: HMAC keyed with the public key, which an
			// attacker knows.
			name: "HS256 keyed with the public key",
			token: func(t *testing.T) string {
				return signJWT(t, jose.HS256, pubDER, cert.Subject.SerialNumber, v2Claims(body))
			},
			want: `unexpected signature algorithm "HS256"; expected ["RS256"]`,
		},
		{
			name:  "alg none",
			token: func(*testing.T) string { return unsecuredJWT(v2Claims(body)) },
			want:  `unexpected signature algorithm "none"; expected ["RS256"]`,
		},
		{
			name: "kid is the certificate's serial number, not its subject serialNumber",
			token: func(t *testing.T) string {
				return signJWT(t, jose.RS256, key, cert.SerialNumber.String(), v2Claims(body))
			},
			want: `JWT kid "7" is not a RS256 key of this server`,
		},
		{
			name: "another key under the right kid",
			token: func(t *testing.T) string {
				return signJWT(t, jose.RS256, otherKey, cert.Subject.SerialNumber, v2Claims(body))
			},
			want: `JWT signature does not verify with the key of kid "1234567890123456789012"`,
		},
	}
	csrv := newServer(t, cyberflextest.WithJWTCertificate(merchant, cert))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, csrv, http.MethodPost, sessions, body)
			req.Header.Set("Authorization", "Bearer "+tt.token(t))
			a := send(t, req)
			if tt.want == "" {
				if a.status != http.StatusCreated {
					t.Fatalf("status %d, want 201; body %s", a.status, a.body)
				}
				return
			}
			if got := rmsg(t, a); !strings.Contains(got, tt.want) {
				t.Errorf("rmsg\n%q\ndoes not contain\n%q", got, tt.want)
			}
		})
	}
}

// tamperClaims replaces the claims of a compact JWS with claims edited by a string replacement
// of `"request-method":"post"`, keeping header and signature.
func tamperClaims(t *testing.T, token, replacement string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(claims), `"request-method":"post"`, replacement, 1)
	if edited == string(claims) {
		t.Fatal("tamperClaims: nothing replaced")
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(edited))
	return strings.Join(parts, ".")
}
