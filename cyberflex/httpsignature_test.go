package cyberflex

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Test vectors: the sandbox sample credentials the official SDK samples
// publish and the request captured from npm cybersource-rest-client 0.0.83
// (run against a local echo server).
const (
	testMerchantID = "testrest"
	testKeyID      = "08c94330-f618-42a3-b09d-e1e43be5efda"
	testSecret     = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="
	testDate       = "Sat, 21 Nov 2026 12:17:15 GMT"
	testHost       = "apitest.cybersource.com"
	testBody       = `{"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false},"expirationMonth":{"required":true},"expirationYear":{"required":true},"type":{"required":false}}}}}`
	testBodyDigest = "SHA-256=3o9SNZhmTF61u4qurCTfwhK4c6ocdiRyA+iGfDgujN4="
)

// testNow is testDate, given in a non-UTC zone to prove the Date header is
// converted to GMT.
func testNow() time.Time {
	return time.Date(2026, 11, 21, 13, 17, 15, 0, time.FixedZone("CET", 3600))
}

func testSigner() HTTPSignatureSigner {
	return HTTPSignatureSigner{MerchantID: testMerchantID, KeyID: testKeyID, SecretKey: testSecret, Now: testNow}
}

// All expected signatures were computed independently of this package with
// OpenSSL 3.0 by testdata/signatures.sh (HEX = the base64-decoded secret,
// c81271cba2e33364e670f1aef86689ac7b6491edb97cfa545fe518ebf2ffd6d1):
//
//	printf '%s' "$S" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$HEX -binary | base64
//
// with S the expected signing string of the case, and digests with
//
//	printf '%s' "$BODY" | openssl dgst -sha256 -binary | base64
func TestSignerSign(t *testing.T) {
	const (
		postSessionsString = "host: apitest.cybersource.com\n" +
			"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
			"request-target: post /flex/v2/sessions\n" +
			"digest: SHA-256=3o9SNZhmTF61u4qurCTfwhK4c6ocdiRyA+iGfDgujN4=\n" +
			"v-c-merchant-id: testrest"
		postSessionsSig = "3YPo0W/spj7TWy5f3URnducpl8qKkBmuVBDSV0xYR7k="
		withDigest      = "host date request-target digest v-c-merchant-id"
		noDigest        = "host date request-target v-c-merchant-id"
	)
	tests := []struct {
		name      string
		method    string
		url       string
		reqHost   string // req.Host before signing
		body      string
		wantHost  string // req.Host after signing
		wantStr   string // signing string
		wantSig   string
		wantList  string
		wantDigst string // "" = no Digest header
	}{
		{
			name:   "POST /flex/v2/sessions (captured from the Node SDK)",
			method: http.MethodPost, url: "https://apitest.cybersource.com/flex/v2/sessions", body: testBody,
			wantHost: testHost, wantStr: postSessionsString, wantSig: postSessionsSig,
			wantList: withDigest, wantDigst: testBodyDigest,
		},
		{
			// A client talking to a proxy or test server sets req.Host to the
			// API host: that host is signed, not the URL's.
			name:   "proxy: req.Host overrides URL host",
			method: http.MethodPost, url: "http://127.0.0.1:18731/flex/v2/sessions", reqHost: testHost, body: testBody,
			wantHost: testHost, wantStr: postSessionsString, wantSig: postSessionsSig,
			wantList: withDigest, wantDigst: testBodyDigest,
		},
		{
			name:   "URL host with port when req.Host is empty",
			method: http.MethodPost, url: "http://127.0.0.1:18731/flex/v2/sessions", body: testBody,
			wantHost: "127.0.0.1:18731",
			wantStr: "host: 127.0.0.1:18731\n" +
				"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
				"request-target: post /flex/v2/sessions\n" +
				"digest: SHA-256=3o9SNZhmTF61u4qurCTfwhK4c6ocdiRyA+iGfDgujN4=\n" +
				"v-c-merchant-id: testrest",
			wantSig:  "ZEkeulDPXGPQh5OZUTLgCOeoYkHmyMq+a+X9ZM5wcBA=",
			wantList: withDigest, wantDigst: testBodyDigest,
		},
		{
			name:   "GET without body: no digest line, no digest in headers=",
			method: http.MethodGet, url: "https://apitest.cybersource.com/tss/v2/transactions/7634856201836547204006",
			wantHost: testHost,
			wantStr: "host: apitest.cybersource.com\n" +
				"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
				"request-target: get /tss/v2/transactions/7634856201836547204006\n" +
				"v-c-merchant-id: testrest",
			wantSig:  "dK99prrgOyTmLH0PAAMbB4kE3m0aG9dm6vHgK/zoV2s=",
			wantList: noDigest,
		},
		{
			name:   "GET with query string (escaped as sent)",
			method: http.MethodGet, url: "https://apitest.cybersource.com/tss/v2/transactions/7634856201836547204006?foo=a%20b&x=1",
			wantHost: testHost,
			wantStr: "host: apitest.cybersource.com\n" +
				"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
				"request-target: get /tss/v2/transactions/7634856201836547204006?foo=a%20b&x=1\n" +
				"v-c-merchant-id: testrest",
			wantSig:  "5eDVCwU3bCFZtIcfaGLgIC4xGvj2XWIlkD3GmB+7qxU=",
			wantList: noDigest,
		},
		{
			name:   "PATCH with escaped path segment and query",
			method: http.MethodPatch, url: "https://apitest.cybersource.com/tms/v2/customers/AB%2FCD?expand=all", body: `{"a":1}`,
			wantHost: testHost,
			wantStr: "host: apitest.cybersource.com\n" +
				"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
				"request-target: patch /tms/v2/customers/AB%2FCD?expand=all\n" +
				"digest: SHA-256=AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX+GI=\n" +
				"v-c-merchant-id: testrest",
			wantSig:  "VAtu78OtoxrwwO5TCkbM8rnaO2KEYsaewbEUuuk/ka4=",
			wantList: withDigest, wantDigst: "SHA-256=AVq9f1zFei3ZS3WQ8ErYCEJzkF7jPsXOvq5iJ2qX+GI=",
		},
		{
			name:   "DELETE: like GET",
			method: http.MethodDelete, url: "https://apitest.cybersource.com/tms/v2/customers/AB",
			wantHost: testHost,
			wantStr: "host: apitest.cybersource.com\n" +
				"date: Sat, 21 Nov 2026 12:17:15 GMT\n" +
				"request-target: delete /tms/v2/customers/AB\n" +
				"v-c-merchant-id: testrest",
			wantSig:  "dnI2B0wvBq5Lxa7jikTxML88hQ/x9172/VBsqXfGQNQ=",
			wantList: noDigest,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Host = tt.reqHost
			if err := testSigner().Sign(req, []byte(tt.body)); err != nil {
				t.Fatalf("Sign: %v", err)
			}

			u := req.URL
			gotStr := signingString(tt.wantHost, testDate, strings.ToLower(tt.method)+" "+u.RequestURI(), tt.wantDigst, testMerchantID)
			if gotStr != tt.wantStr {
				t.Errorf("signing string\n got %q\nwant %q", gotStr, tt.wantStr)
			}

			wantSignature := `keyid="08c94330-f618-42a3-b09d-e1e43be5efda", algorithm="HmacSHA256", headers="` + tt.wantList + `", signature="` + tt.wantSig + `"`
			wantHeader := http.Header{
				"V-C-Merchant-Id": {"testrest"},
				"Date":            {testDate},
				"Signature":       {wantSignature},
			}
			if tt.wantDigst != "" {
				wantHeader["Digest"] = []string{tt.wantDigst}
			}
			if fmt.Sprint(req.Header) != fmt.Sprint(wantHeader) {
				t.Errorf("headers\n got %v\nwant %v", req.Header, wantHeader)
			}
			if req.Host != tt.wantHost {
				t.Errorf("req.Host = %q, want %q", req.Host, tt.wantHost)
			}
		})
	}
}

// TestSignerOnTheWire sends a signed request through net/http to a loopback
// server and rebuilds the signing string from what arrived: the Host header
// and request line Go sends are the ones that were signed.
func TestSignerOnTheWire(t *testing.T) {
	type seen struct {
		host, uri, method string
		header            http.Header
		body              []byte
	}
	got := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Host, r.RequestURI, r.Method, r.Header.Clone(), b}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/flex/v2/sessions?a=b%20c", bytes.NewReader([]byte(testBody)))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = testHost
	if err := testSigner().Sign(req, []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s := <-got

	if s.host != testHost {
		t.Errorf("server saw Host %q, want %q", s.host, testHost)
	}
	if s.uri != "/flex/v2/sessions?a=b%20c" {
		t.Errorf("server saw request URI %q", s.uri)
	}
	if d := s.header.Get("Digest"); d != "SHA-256="+bodyDigest(s.body) || d != testBodyDigest {
		t.Errorf("Digest %q does not match the received body", d)
	}
	key, _ := decodeSecret("k", testSecret)
	want := signingString(s.host, s.header.Get("Date"), strings.ToLower(s.method)+" "+s.uri, s.header.Get("Digest"), s.header.Get("v-c-merchant-id"))
	wantSig := hmacB64(key, want)
	if sig := s.header.Get("Signature"); !strings.HasSuffix(sig, `signature="`+wantSig+`"`) {
		t.Errorf("Signature %q does not match the server-side recomputation %q", sig, wantSig)
	}
}

func TestSignerRemovesStaleDigest(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://apitest.cybersource.com/x", nil)
	req.Header.Set("Digest", "SHA-256=stale")
	if err := testSigner().Sign(req, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := req.Header["Digest"]; ok {
		t.Errorf("stale Digest header kept: %v", req.Header)
	}
}

func TestSignerErrors(t *testing.T) {
	okReq := func() *http.Request {
		r, _ := http.NewRequest(http.MethodGet, "https://apitest.cybersource.com/x", nil)
		return r
	}
	tests := []struct {
		name    string
		signer  func(HTTPSignatureSigner) HTTPSignatureSigner
		req     func() *http.Request
		wantMsg string
	}{
		{"nil request", nil, func() *http.Request { return nil }, "cyberflex: invalid input: HTTPSignatureSigner.Sign: nil *http.Request"},
		{"no URL", nil, func() *http.Request { return &http.Request{Method: "GET"} }, "cyberflex: invalid input: HTTPSignatureSigner.Sign: request has no URL"},
		{"no host", nil, func() *http.Request { r := okReq(); r.URL.Host, r.Host = "", ""; return r }, "cyberflex: invalid input: HTTPSignatureSigner.Sign: request has no host (set req.URL.Host or req.Host)"},
		{"missing merchant", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.MerchantID = ""; return s }, okReq, "cyberflex: invalid input: HTTPSignatureSigner.MerchantID is empty"},
		{"missing key id", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.KeyID = ""; return s }, okReq, "cyberflex: invalid input: HTTPSignatureSigner.KeyID is empty"},
		{"quote in key id", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.KeyID = `a"b`; return s }, okReq, "cyberflex: invalid input: HTTPSignatureSigner.KeyID contains a control character or a double quote"},
		{"newline in merchant", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.MerchantID = "a\r\nX-Evil: 1"; return s }, okReq, "cyberflex: invalid input: HTTPSignatureSigner.MerchantID contains a control character or a double quote"},
		{"missing secret", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.SecretKey = ""; return s }, okReq, "cyberflex: invalid input: HTTPSignatureSigner.SecretKey is empty"},
		{"secret not base64", func(s HTTPSignatureSigner) HTTPSignatureSigner { s.SecretKey = "not-base64!" + testSecret; return s }, okReq,
			"cyberflex: invalid input: HTTPSignatureSigner.SecretKey is not valid standard base64 (it must be the shared secret exactly as shown in the Business Center)"},
		{"secret url-safe base64", func(s HTTPSignatureSigner) HTTPSignatureSigner {
			s.SecretKey = "yBJxy6LjM2TmcPGu-GaJrHtkke25fPpUX-UY6_L_1tE="
			return s
		}, okReq,
			"cyberflex: invalid input: HTTPSignatureSigner.SecretKey is not valid standard base64 (it must be the shared secret exactly as shown in the Business Center)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSigner()
			if tt.signer != nil {
				s = tt.signer(s)
			}
			req := tt.req()
			err := s.Sign(req, []byte(testBody))
			if err == nil {
				t.Fatal("Sign succeeded, want error")
			}
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("error %v does not wrap ErrInvalidInput", err)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			assertNoSecret(t, err.Error(), testSecret, "yBJxy6LjM2TmcPGu")
			if req != nil && req.Header.Get("Signature") != "" {
				t.Errorf("failed Sign left a Signature header")
			}
		})
	}
}

func TestSignerRedaction(t *testing.T) {
	s := testSigner()
	wantPlain := "{MerchantID:testrest KeyID:08c94330-f618-42a3-b09d-e1e43be5efda SecretKey:[redacted]}"
	wantGo := `cyberflex.HTTPSignatureSigner{MerchantID:"testrest", KeyID:"08c94330-f618-42a3-b09d-e1e43be5efda", SecretKey:[redacted]}`
	for _, tc := range []struct{ format, want string }{
		{"%v", wantPlain},
		{"%+v", wantPlain},
		{"%s", wantPlain},
		{"%#v", wantGo},
		{"%q", fmt.Sprintf("%q", wantPlain)},
		{"%x", wantPlain},
		{"%d", wantPlain},
	} {
		for _, v := range []any{s, &s} {
			got := fmt.Sprintf(tc.format, v)
			if got != tc.want {
				t.Errorf("Sprintf(%q, %T) = %q, want %q", tc.format, v, got, tc.want)
			}
			assertNoSecret(t, got, testSecret, "yBJxy6LjM2TmcPGu")
		}
	}
	// Inside an exported field of another struct, fmt still calls Format.
	wrapped := fmt.Sprintf("%+v", struct{ Auth HTTPSignatureSigner }{s})
	assertNoSecret(t, wrapped, testSecret, "yBJxy6LjM2TmcPGu")
	if !strings.Contains(wrapped, "SecretKey:[redacted]") {
		t.Errorf("wrapped = %q", wrapped)
	}
}

// assertNoSecret fails if out contains any of the secrets.
func assertNoSecret(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if sec != "" && strings.Contains(out, sec) {
			t.Errorf("output leaks a secret: %q", out)
		}
	}
}

// hmacB64 is the test's own HMAC-SHA256, independent of HTTPSignatureSigner.
func hmacB64(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestSignedHeadersOnTheWire sends a signed request and finds each signed header on the server
// side by a case-insensitive name, exactly once: CyberSource matches header names without regard
// to case (the Node SDK sends them lower-case), and a header present twice under two spellings
// would be ambiguous.
func TestSignedHeadersOnTheWire(t *testing.T) {
	var got http.Header
	var gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotHost = r.Header.Clone(), r.Host
	}))
	defer srv.Close()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/flex/v2/sessions", strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = testHost
	req.Header["digest"] = []string{"SHA-256=stale"} // a stale lower-case spelling must not survive
	if err := testSigner().Sign(req, []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if gotHost != testHost {
		t.Errorf("Host = %q, want %q", gotHost, testHost)
	}
	want := map[string]string{
		"v-c-merchant-id": testMerchantID,
		"date":            testDate,
		"digest":          testBodyDigest,
		"signature": `keyid="` + testKeyID + `", algorithm="HmacSHA256", ` +
			`headers="host date request-target digest v-c-merchant-id", signature="3YPo0W/spj7TWy5f3URnducpl8qKkBmuVBDSV0xYR7k="`,
	}
	for name, value := range want {
		var found []string
		for k, v := range got {
			if strings.EqualFold(k, name) {
				found = append(found, v...)
			}
		}
		if len(found) != 1 || found[0] != value {
			t.Errorf("header %s on the wire = %q, want exactly [%q]", name, found, value)
		}
	}
}
