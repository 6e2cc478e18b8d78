package cyberflextest

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
)

// The fuzz tests drive the verifiers directly with a fixed clock, so that seeds signed at
// fuzzNow stay valid forever. Their corpus is in testdata/fuzz/<FuzzName>/ besides the f.Add
// seeds.

var fuzzNow = time.Date(2026, 11, 21, 12, 17, 15, 0, time.UTC)

const fuzzBody = `{"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}`

// fuzzOtherSecret is a second valid secret: a request the verifier accepts must be refused
// under it, which shows the acceptance hinged on the secret.
const fuzzOtherSecret = "YW5vdGhlci1zZWNyZXQtbm9ib2R5LWtub3dzLTMyYnk="

// fuzzAuthenticator is the authenticator NewServer builds from the default credentials, with
// secret in place of DefaultSharedSecret.
func fuzzAuthenticator(t testing.TB, secretB64 string, legacy bool) *authenticator {
	var cfg config
	for _, o := range []Option{
		WithHTTPSignature(DefaultMerchantID, DefaultKeyID, secretB64),
		WithJWT(DefaultMerchantID, DefaultKeyID, secretB64),
	} {
		if err := o(&cfg); err != nil {
			t.Fatal(err)
		}
	}
	a := cfg.creds
	a.host, a.skew, a.legacy, a.now = DefaultHost, DefaultMaxClockSkew, legacy, func() time.Time { return fuzzNow }
	return &a
}

// fuzzRequest builds the request the verifiers see: method POST to target, Host the API host,
// the given header values (empty ones left out) and body.
func fuzzRequest(target string, header map[string]string) (*http.Request, bool) {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	r := &http.Request{Method: http.MethodPost, URL: u, Host: DefaultHost, Header: http.Header{}}
	for k, v := range header {
		if v != "" {
			r.Header.Set(k, v)
		}
	}
	return r, true
}

// sdkSignature signs a POST of body to target at fuzzNow with cyberflex.HTTPSignatureSigner, the
// client the server exists to test, and returns its Signature, Date and Digest headers.
func sdkSignature(t testing.TB, secretB64, target string, body []byte) (signature, date, digest string) {
	req, err := http.NewRequest(http.MethodPost, "https://"+DefaultHost+target, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := cyberflex.HTTPSignatureSigner{MerchantID: DefaultMerchantID, KeyID: DefaultKeyID, SecretKey: secretB64, Now: func() time.Time { return fuzzNow }}
	if err := s.Sign(req, body); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("Signature"), req.Header.Get("Date"), req.Header.Get("Digest")
}

// httpSignatureSeeds are the f.Add seeds of FuzzVerifyHTTPSignature: (Signature, Date, Digest,
// request target, body).
func httpSignatureSeeds(t testing.TB) [][5]string {
	sig, date, digest := sdkSignature(t, DefaultSharedSecret, "/flex/v2/sessions", []byte(fuzzBody))
	wrongSig, _, _ := sdkSignature(t, fuzzOtherSecret, "/flex/v2/sessions", []byte(fuzzBody))
	querySig, _, _ := sdkSignature(t, DefaultSharedSecret, "/flex/v2/sessions?a=1&b=%20", []byte(fuzzBody))
	return [][5]string{
		{sig, date, digest, "/flex/v2/sessions", fuzzBody},
		{wrongSig, date, digest, "/flex/v2/sessions", fuzzBody},
		{sig, date, digest, "/flex/v2/sessions", strings.Replace(fuzzBody, "false", "true", 1)},
		{querySig, date, digest, "/flex/v2/sessions?a=1&b=%20", fuzzBody},
		{strings.ToUpper(sig[:5]) + sig[5:], date, digest, "/flex/v2/sessions", fuzzBody},
		{strings.ReplaceAll(sig, ", ", ","), date, digest, "/flex/v2/sessions", fuzzBody},
		{strings.Replace(sig, "request-target", "(request-target)", 1), date, digest, "/flex/v2/sessions", fuzzBody},
		{`keyid="", algorithm="", headers="", signature=""`, "", "", "/", ""},
		{`keyid="a",keyid="b"`, date, "SHA-256=", "/flex/v2/sessions", "{}"},
	}
}

// FuzzVerifyHTTPSignature feeds arbitrary Signature, Date and Digest headers, request targets and
// bodies to the HTTP Signature verifier. It must never panic, must refuse with an authError,
// and must accept only requests whose signature was made with the secret: whatever it accepts,
// the same verifier with another secret refuses because the signature does not match, and the
// Digest is that of the body.
func FuzzVerifyHTTPSignature(f *testing.F) {
	for _, s := range httpSignatureSeeds(f) {
		f.Add(s[0], s[1], s[2], s[3], []byte(s[4]))
	}
	a := fuzzAuthenticator(f, DefaultSharedSecret, false)
	legacy := fuzzAuthenticator(f, DefaultSharedSecret, true)
	other := fuzzAuthenticator(f, fuzzOtherSecret, true)
	f.Fuzz(func(t *testing.T, signature, date, digest, target string, body []byte) {
		r, ok := fuzzRequest(target, map[string]string{
			"Signature": signature, "Date": date, "Digest": digest, "v-c-merchant-id": DefaultMerchantID,
		})
		if !ok {
			return
		}
		for _, v := range []*authenticator{a, legacy} {
			err := v.verifyHTTPSignature(r, body)
			if err != nil {
				var ae *authError
				if !errors.As(err, &ae) {
					t.Fatalf("refusal is not an authError: %v", err)
				}
				continue
			}
			if err := other.verifyHTTPSignature(r, body); err == nil || !strings.Contains(err.Error(), "the signature does not match") {
				t.Fatalf("accepted a request that does not depend on the secret (other secret: %v)", err)
			}
			if sum := sha256.Sum256(body); len(body) > 0 && digest != "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("accepted a body whose digest does not match")
			}
		}
	})
}

// sdkJWT signs a POST of body at iat with cyberflex.JWTSigner and returns the token.
func sdkJWT(t testing.TB, secretB64 string, body []byte, iat time.Time) string {
	req, err := http.NewRequest(http.MethodPost, "https://"+DefaultHost+"/flex/v2/sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := cyberflex.JWTSigner{MerchantID: DefaultMerchantID, KeyID: DefaultKeyID, SecretKey: secretB64,
		Now: func() time.Time { return iat }, NewID: func() string { return "fuzz-jti" }}
	if err := s.Sign(req, body); err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
}

// jwtSeeds are the f.Add seeds of FuzzVerifyJWT: (token, body).
func jwtSeeds(t testing.TB) [][2]string {
	valid := sdkJWT(t, DefaultSharedSecret, []byte(fuzzBody), fuzzNow)
	parts := strings.SplitN(valid, ".", 3)
	return [][2]string{
		{valid, fuzzBody},
		{sdkJWT(t, fuzzOtherSecret, []byte(fuzzBody), fuzzNow), fuzzBody},
		{sdkJWT(t, DefaultSharedSecret, []byte(fuzzBody), fuzzNow.Add(-10*time.Minute)), fuzzBody},
		{valid, "{}"},
		{base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+DefaultKeyID+`"}`)) + "." + parts[1] + ".", fuzzBody},
		{parts[0] + "." + parts[1] + ".", fuzzBody},
		{"a.b.c", ""},
	}
}

// FuzzVerifyJWT feeds arbitrary tokens and bodies to the JWT verifier: it must never panic,
// must refuse with an authError, and must accept only tokens signed with the secret.
func FuzzVerifyJWT(f *testing.F) {
	for _, s := range jwtSeeds(f) {
		f.Add(s[0], []byte(s[1]))
	}
	a := fuzzAuthenticator(f, DefaultSharedSecret, false)
	other := fuzzAuthenticator(f, fuzzOtherSecret, false)
	f.Fuzz(func(t *testing.T, token string, body []byte) {
		r, _ := fuzzRequest("/flex/v2/sessions", map[string]string{"v-c-merchant-id": DefaultMerchantID})
		err := a.verifyJWT(r, body, token)
		if err != nil {
			var ae *authError
			if !errors.As(err, &ae) {
				t.Fatalf("refusal is not an authError: %v", err)
			}
			return
		}
		if err := other.verifyJWT(r, body, token); err == nil || !strings.Contains(err.Error(), "JWT signature does not verify") {
			t.Fatalf("accepted a token that does not depend on the secret (other secret: %v)", err)
		}
	})
}

// TestFuzzSeedsAccepted: the valid seeds are accepted, so the fuzzers start from requests that
// reach the final comparison, and the tampered ones are refused for the expected reason.
func TestFuzzSeedsAccepted(t *testing.T) {
	a := fuzzAuthenticator(t, DefaultSharedSecret, false)
	want := []string{"", "the signature does not match", "the Digest header does not match", "", "", "", "(request-target)", "Signature algorithm \"\" is not supported", "appears twice"}
	for i, s := range httpSignatureSeeds(t) {
		r, _ := fuzzRequest(s[3], map[string]string{"Signature": s[0], "Date": s[1], "Digest": s[2], "v-c-merchant-id": DefaultMerchantID})
		err := a.verifyHTTPSignature(r, []byte(s[4]))
		if (err == nil) != (want[i] == "") || err != nil && !strings.Contains(err.Error(), want[i]) {
			t.Errorf("HTTP Signature seed %d: %v, want %q", i, err, want[i])
		}
	}
	wantJWT := []string{"", "JWT signature does not verify", "is 10m0s away from the server's clock", "JWT claim digest", `unexpected signature algorithm "none"`, "JWT signature does not verify", "JWT:"}
	for i, s := range jwtSeeds(t) {
		r, _ := fuzzRequest("/flex/v2/sessions", nil)
		err := a.verifyJWT(r, []byte(s[1]), s[0])
		if (err == nil) != (wantJWT[i] == "") || err != nil && !strings.Contains(err.Error(), wantJWT[i]) {
			t.Errorf("JWT seed %d: %v, want %q", i, err, wantJWT[i])
		}
	}
}
