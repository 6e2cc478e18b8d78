package cyberflex

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"software.sslmate.com/src/go-pkcs12"
)

const (
	testJTI = "3f0d5e8a-1c2b-4d6e-9f80-a1b2c3d4e5f6"
	testIAT = 1795263435 // Sat, 21 Nov 2026 12:17:15 GMT (date -u -d '2026-11-21 12:17:15' +%s)
)

func testJWTSigner() JWTSigner {
	return JWTSigner{
		MerchantID: testMerchantID, KeyID: testKeyID, SecretKey: testSecret,
		Now: testNow, NewID: func() string { return testJTI },
	}
}

// splitJWT decodes a compact JWS into header and claims maps without using
// the package under test.
func splitJWT(t *testing.T, token string) (header, claims map[string]any, signingInput string, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(dst); err != nil {
			t.Fatalf("segment %d: %v", i, err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	return header, claims, parts[0] + "." + parts[1], sig
}

func bearer(t *testing.T, req *http.Request) string {
	t.Helper()
	auth := req.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		t.Fatalf("Authorization = %q, want Bearer", auth)
	}
	return token
}

func TestJWTSignerSharedSecret(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		url        string
		reqHost    string
		body       string
		wantClaims map[string]any
	}{
		{
			name:   "POST /flex/v2/sessions with body",
			method: http.MethodPost, url: "https://apitest.cybersource.com/flex/v2/sessions", body: testBody,
			wantClaims: map[string]any{
				// printf '%s' "$BODY" | openssl dgst -sha256 -binary | base64
				"digest":                "3o9SNZhmTF61u4qurCTfwhK4c6ocdiRyA+iGfDgujN4=",
				"digest-algorithm":      "SHA-256",
				"iat":                   json.Number("1795263435"),
				"exp":                   json.Number("1795263555"),
				"request-host":          "apitest.cybersource.com",
				"request-resource-path": "/flex/v2/sessions",
				"request-method":        "post",
				"iss":                   "testrest",
				"jti":                   testJTI,
				"v-c-jwt-version":       "2",
				"v-c-merchant-id":       "testrest",
			},
		},
		{
			name:   "GET with query behind a proxy: no digest claims, req.Host is the request-host",
			method: http.MethodGet, url: "http://127.0.0.1:18731/tss/v2/transactions/1?a=b%20c", reqHost: testHost,
			wantClaims: map[string]any{
				"iat":                   json.Number("1795263435"),
				"exp":                   json.Number("1795263555"),
				"request-host":          "apitest.cybersource.com",
				"request-resource-path": "/tss/v2/transactions/1?a=b%20c",
				"request-method":        "get",
				"iss":                   "testrest",
				"jti":                   testJTI,
				"v-c-jwt-version":       "2",
				"v-c-merchant-id":       "testrest",
			},
		},
	}
	secret, _ := base64.StdEncoding.DecodeString(testSecret)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reqHost != "" {
				req.Host = tt.reqHost
			}
			hostBefore := req.Host
			if err := testJWTSigner().Sign(req, []byte(tt.body)); err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got := req.Header.Get("v-c-merchant-id"); got != "testrest" {
				t.Errorf("v-c-merchant-id = %q", got)
			}
			if len(req.Header) != 2 {
				t.Errorf("unexpected headers: %v", req.Header)
			}
			if req.Host != hostBefore {
				t.Errorf("req.Host changed to %q", req.Host)
			}

			header, claims, input, sig := splitJWT(t, bearer(t, req))
			wantHeader := map[string]any{"typ": "JWT", "alg": "HS256", "kid": testKeyID}
			if !reflect.DeepEqual(header, wantHeader) {
				t.Errorf("header = %v, want %v", header, wantHeader)
			}
			if !reflect.DeepEqual(claims, tt.wantClaims) {
				t.Errorf("claims\n got %v\nwant %v", claims, tt.wantClaims)
			}
			// Independent HS256 check: HMAC-SHA256(base64decode(secret), header.payload).
			if want := hmacB64(secret, input); base64.StdEncoding.EncodeToString(sig) != want {
				t.Errorf("signature does not verify with the shared secret")
			}
		})
	}
}

func TestJWTSignerDefaultJTI(t *testing.T) {
	s := testJWTSigner()
	s.NewID = nil
	seen := map[string]bool{}
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, "https://apitest.cybersource.com/x", nil)
		if err := s.Sign(req, nil); err != nil {
			t.Fatal(err)
		}
		_, claims, _, _ := splitJWT(t, bearer(t, req))
		jti, _ := claims["jti"].(string)
		if len(jti) != 36 || jti[14] != '4' || seen[jti] {
			t.Errorf("jti %q is not a fresh v4 UUID", jti)
		}
		seen[jti] = true
	}
}

func TestJWTSignerErrors(t *testing.T) {
	okReq := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "https://apitest.cybersource.com/flex/v2/sessions", nil)
		return r
	}
	p12 := testP12Key(t)
	tests := []struct {
		name    string
		mod     func(*JWTSigner)
		req     func() *http.Request
		wantMsg string
	}{
		{"nil request", nil, func() *http.Request { return nil }, "cyberflex: invalid input: JWTSigner.Sign: nil *http.Request"},
		{"missing merchant", func(s *JWTSigner) { s.MerchantID = "" }, okReq, "cyberflex: invalid input: JWTSigner.MerchantID is empty"},
		{"missing key id", func(s *JWTSigner) { s.KeyID = "" }, okReq, "cyberflex: invalid input: JWTSigner.KeyID is empty"},
		{"secret not base64", func(s *JWTSigner) { s.SecretKey = "%%" + testSecret }, okReq,
			"cyberflex: invalid input: JWTSigner.SecretKey is not valid standard base64 (it must be the shared secret exactly as shown in the Business Center)"},
		{"secret too short", func(s *JWTSigner) { s.SecretKey = "c2hvcnQ=" }, okReq,
			"cyberflex: invalid input: JWTSigner.SecretKey decodes to 5 bytes; HS256 needs at least 32"},
		{"both secret and P12", func(s *JWTSigner) { s.P12 = p12 }, okReq,
			"cyberflex: invalid input: JWTSigner: set either SecretKey or P12, not both"},
		{"zero P12Key", func(s *JWTSigner) { s.SecretKey = ""; s.P12 = &P12Key{} }, okReq,
			"cyberflex: invalid input: JWTSigner.P12 was not created by LoadP12"},
		{"empty jti", func(s *JWTSigner) { s.NewID = func() string { return "" } }, okReq,
			"cyberflex: invalid input: JWTSigner.NewID returned an empty jti"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testJWTSigner()
			if tt.mod != nil {
				tt.mod(&s)
			}
			err := s.Sign(tt.req(), []byte(testBody))
			if err == nil {
				t.Fatal("Sign succeeded")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%v does not wrap ErrInvalidInput", err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			assertNoSecret(t, err.Error(), testSecret, "yBJxy6LjM2TmcPGu")
		})
	}
}

func TestJWTSignerRedaction(t *testing.T) {
	s := testJWTSigner()
	wantPlain := "{MerchantID:testrest KeyID:08c94330-f618-42a3-b09d-e1e43be5efda SecretKey:[redacted] P12:<nil>}"
	wantGo := `cyberflex.JWTSigner{MerchantID:"testrest", KeyID:"08c94330-f618-42a3-b09d-e1e43be5efda", SecretKey:[redacted], P12:(*cyberflex.P12Key)(nil)}`
	for _, tc := range []struct{ format, want string }{
		{"%v", wantPlain}, {"%+v", wantPlain}, {"%s", wantPlain}, {"%#v", wantGo}, {"%x", wantPlain},
	} {
		for _, v := range []any{s, &s} {
			got := fmt.Sprintf(tc.format, v)
			if got != tc.want {
				t.Errorf("Sprintf(%q, %T) = %q, want %q", tc.format, v, got, tc.want)
			}
			assertNoSecret(t, got, testSecret, "yBJxy6LjM2TmcPGu")
		}
	}

	// With a P12 key: neither the key's modulus nor its private exponent may
	// appear in any representation.
	k := testP12Key(t)
	s = JWTSigner{MerchantID: testMerchantID, P12: k}
	n := k.key().N.String()
	d := k.key().D.String()
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		for _, v := range []any{s, &s, k, *k} {
			got := fmt.Sprintf(format, v)
			assertNoSecret(t, got, d, n[:20], fmt.Sprintf("%x", k.key().D)[:20])
			if !strings.Contains(got, "[redacted]") {
				t.Errorf("Sprintf(%q, %T) = %q, want [redacted]", format, v, got)
			}
		}
	}
	if got, want := fmt.Sprintf("%v", k), "{KeyID:5112228966230177031579 PrivateKey:[redacted]}"; got != want {
		t.Errorf("P12Key %%v = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", s), `cyberflex.JWTSigner{MerchantID:"testrest", KeyID:"", SecretKey:[redacted], P12:&cyberflex.P12Key{KeyID:"5112228966230177031579", PrivateKey:[redacted]}}`; got != want {
		t.Errorf("JWTSigner %%#v = %q, want %q", got, want)
	}
}

// testRSAKey2048 is generated once: RSA key generation is slow under -race.
var testRSAKey2048 = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// makeP12 builds a PKCS#12 file with go-pkcs12's encoder: key, a self-signed
// certificate whose subject serialNumber is the CyberSource kid, and an
// unrelated CA certificate as CyberSource .p12 files carry.
func makeP12(t *testing.T, key *rsa.PrivateKey, subjectSerial, password string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "testrest", SerialNumber: subjectSerial},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	ca := testCACert(t)
	pfx, err := pkcs12.Modern.Encode(key, leaf, []*x509.Certificate{ca}, password)
	if err != nil {
		t.Fatal(err)
	}
	return pfx
}

var testCA = sync.OnceValues(func() (*x509.Certificate, error) {
	k, err := rsa.GenerateKey(rand.Reader, 1024) // only its certificate is used
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "CyberSourceCertAuth"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
})

func testCACert(t *testing.T) *x509.Certificate {
	t.Helper()
	c, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const testP12Password = "p12-pass-Zq7"

func testP12Key(t *testing.T) *P12Key {
	t.Helper()
	k, err := LoadP12(makeP12(t, testRSAKey2048(), "5112228966230177031579", testP12Password), testP12Password)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestJWTSignerP12(t *testing.T) {
	k := testP12Key(t)
	if k.KeyID() != "5112228966230177031579" {
		t.Errorf("KeyID = %q", k.KeyID())
	}
	if k.Certificate().Subject.CommonName != "testrest" {
		t.Errorf("Certificate() = %v", k.Certificate().Subject)
	}
	s := JWTSigner{MerchantID: testMerchantID, P12: k, Now: testNow, NewID: func() string { return testJTI }}
	req, _ := http.NewRequest(http.MethodPost, "https://apitest.cybersource.com/flex/v2/sessions", nil)
	if err := s.Sign(req, []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	token := bearer(t, req)
	header, claims, input, sig := splitJWT(t, token)
	if want := map[string]any{"typ": "JWT", "alg": "RS256", "kid": "5112228966230177031579"}; !reflect.DeepEqual(header, want) {
		t.Errorf("header = %v, want %v", header, want)
	}
	if claims["iss"] != "testrest" || claims["digest"] != "3o9SNZhmTF61u4qurCTfwhK4c6ocdiRyA+iGfDgujN4=" || claims["iat"] != json.Number("1795263435") {
		t.Errorf("claims = %v", claims)
	}
	// Independent RS256 check with crypto/rsa and the public key.
	sum := sha256.Sum256([]byte(input))
	if err := rsa.VerifyPKCS1v15(&testRSAKey2048().PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("RS256 signature does not verify: %v", err)
	}
	// And with go-jose, as a server would.
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(&testRSAKey2048().PublicKey); err != nil {
		t.Errorf("go-jose verify: %v", err)
	}
}

func TestLoadP12Errors(t *testing.T) {
	good := makeP12(t, testRSAKey2048(), "5112228966230177031579", testP12Password)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		password string
		wantMsg  string
	}{
		{"wrong password", good, "wrong-pass-Zq7", "cyberflex: invalid input: LoadP12: pkcs12: decryption password incorrect"},
		{"not a p12", []byte("garbage"), testP12Password, ""},
		{"weak key", makeP12(t, weak, "1", testP12Password), testP12Password, "cyberflex: invalid input: LoadP12: RSA key is 1024 bits, want at least 2048"},
		{"no subject serialNumber", makeP12(t, testRSAKey2048(), "", testP12Password), testP12Password,
			`cyberflex: invalid input: LoadP12: certificate "testrest" has no subject serialNumber (the JWT kid)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadP12(tt.data, tt.password)
			if err == nil {
				t.Fatal("LoadP12 succeeded")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("%v does not wrap ErrInvalidInput", err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			assertNoSecret(t, err.Error(), testP12Password, "wrong-pass-Zq7")
		})
	}
}

// testrestCertPEM is the public certificate of CyberSource's published
// sandbox sample merchant "testrest" (from testrest.p12 in the official Ruby
// SDK, github.com/CyberSource/cybersource-rest-client-ruby).
const testrestCertPEM = `-----BEGIN CERTIFICATE-----
MIICXzCCAcigAwIBAgIWNTExMjIyODk2NjIzMDE3NzAzMTU3OTANBgkqhkiG9w0B
AQsFADAeMRwwGgYDVQQDDBNDeWJlclNvdXJjZUNlcnRBdXRoMB4XDTE3MTEyMTAw
MDgxNloXDTE5MTEyMTAwMDgxNlowNDERMA8GA1UEAwwIdGVzdHJlc3QxHzAdBgNV
BAUTFjUxMTIyMjg5NjYyMzAxNzcwMzE1NzkwggEiMA0GCSqGSIb3DQEBAQUAA4IB
DwAwggEKAoIBAQC+BtdMcokaKwTes9O+snqjWsehO0/Y4CJrwo4cdGCafRO6ows3
mC1xmpSYttTKIdeGR1qOYpTSeY9uJh2cCfayMKXmhQf4d5v8pNDnmYBMGBwU1wWj
lYsMLFbcPFWjdPtKlou2RIWZ566YWIbWCBf+G4dHkA0D7Csp3FT3lnUN2me4lJkl
ysfqp1X8q3JDqVIQFVAduamhWCYMRS5Kg8sKwMjldGQUby88S+MOwcCA3HOHT64b
arvPId2ExqAqvfyBCPAR49V6/ywDVsH9SyHewg121ckMcA9g55tIqdsyHGRZN9fs
20kMyqEP78L4cxfisuVQC8knlfZtdcqVAY7FAgMBAAEwDQYJKoZIhvcNAQELBQAD
gYEAJXbKNRUbNt2BdYETMOr9Ms93LkZtcai5Il8ndP42q5XHt6/PcbmajBJSbQzD
I2R/bcqYpc4YtXFSII18o2UPROtre2BaLXtYSQCPpmfDSA3o0KUw6dJkoBd/wwuS
X9cW9AaZTmeZJ6WTMpAc5XR0LZKfGmK7ly+udg5JbmaJRFA=
-----END CERTIFICATE-----`

// TestCertKeyIDRealCertificate: the kid is the subject serialNumber
// attribute, not the certificate serial number (which here happens to hold
// the same digits as an ASCII string, so compare against the subject).
func TestCertKeyIDRealCertificate(t *testing.T) {
	block, _ := pem.Decode([]byte(testrestCertPEM))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if got := certKeyID(cert); got != "5112228966230177031579" {
		t.Errorf("certKeyID = %q", got)
	}
}
