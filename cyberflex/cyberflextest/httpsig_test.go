package cyberflextest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// TestHTTPSignatureWire sends hand-built requests, signed by the test's own implementation of
// CyberSource's HTTP Signature, to pin down exactly what the server accepts and refuses, and why.
// The scheme:
// https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-http-message-intro.html
func TestHTTPSignatureWire(t *testing.T) {
	body := []byte(goldenBody)
	tests := []struct {
		name    string
		opts    []cyberflextest.Option
		prepare func(req *http.Request) // before signing
		sig     func(s *httpSig)
		after   func(req *http.Request) // after signing
		want    string                  // "" = accepted (201), else a substring of rmsg
	}{
		{name: "as the official SDKs sign"},
		{
			name: "header names in the list in any case, parameter names in any case, no space after commas",
			sig: func(s *httpSig) {
				s.headers = "Host DATE Request-Target Digest V-C-Merchant-Id"
				s.format = func(k, a, h, sig string) string {
					return `KeyId="` + k + `",Algorithm="` + a + `",HEADERS="` + h + `",Signature="` + sig + `"`
				}
			},
		},
		{
			name: "list in another order, signing string follows it",
			sig:  func(s *httpSig) { s.headers = "v-c-merchant-id digest request-target date host" },
		},
		{
			name:    "extra signed header",
			prepare: func(req *http.Request) { req.Header.Set("v-c-client-id", "cybs-rest-sdk-node-0.0.83") },
			sig:     func(s *httpSig) { s.headers = "host date request-target digest v-c-merchant-id v-c-client-id" },
		},
		{
			name: "spaces and tabs around commas",
			sig: func(s *httpSig) {
				s.format = func(k, a, h, sig string) string {
					return `keyid="` + k + `" ,	algorithm="` + a + `",   headers="` + h + `" , signature="` + sig + `"  `
				}
			},
		},
		{
			name: "legacy (request-target) with WithLegacyRequestTarget",
			opts: []cyberflextest.Option{cyberflextest.WithLegacyRequestTarget()},
			sig:  func(s *httpSig) { s.headers = "host date (request-target) digest v-c-merchant-id" },
		},
		{
			name: "legacy (request-target) refused by default",
			sig:  func(s *httpSig) { s.headers = "host date (request-target) digest v-c-merchant-id" },
			want: `the Signature headers list names "(request-target)", the parenthesised spelling CyberSource stopped accepting on 2024-03-22`,
		},
		{
			name: "Date within the skew",
			prepare: func(req *http.Request) {
				req.Header.Set("Date", testNow.Add(-cyberflextest.DefaultMaxClockSkew).Format(http.TimeFormat))
			},
		},
		{
			name: "wrong secret",
			sig:  func(s *httpSig) { s.secret = otherSecret },
			want: `the signature does not match: wrong shared secret, or the client signed another string than the server's "host: apitest.cybersource.com\ndate: Sat, 21 Nov 2026 12:17:15 GMT\nrequest-target: post /flex/v2/sessions\ndigest: SHA-256=`,
		},
		{
			name: "wrong key id",
			sig:  func(s *httpSig) { s.keyID = "4d9f2c1a-0000-4000-8000-000000000000" },
			want: `Signature keyid "4d9f2c1a-0000-4000-8000-000000000000" is not a shared-secret key of this server`,
		},
		{
			name:    "wrong merchant",
			prepare: func(req *http.Request) { req.Header.Set("v-c-merchant-id", "merchant_b") },
			want:    `v-c-merchant-id "merchant_b" is not the merchant of key "` + keyID + `"`,
		},
		{
			name: "digest missing from the list",
			sig:  func(s *httpSig) { s.headers = "host date request-target v-c-merchant-id" },
			want: `the Signature headers list "host date request-target v-c-merchant-id" lacks "digest"`,
		},
		{
			name: "date missing from the list",
			sig:  func(s *httpSig) { s.headers = "host request-target digest v-c-merchant-id" },
			want: `lacks "date"`,
		},
		{
			name: "host missing from the list",
			sig:  func(s *httpSig) { s.headers = "date request-target digest v-c-merchant-id" },
			want: `lacks "host"`,
		},
		{
			name: "request-target missing from the list",
			sig:  func(s *httpSig) { s.headers = "host date digest v-c-merchant-id" },
			want: `lacks "request-target"`,
		},
		{
			name: "v-c-merchant-id missing from the list",
			sig:  func(s *httpSig) { s.headers = "host date request-target digest" },
			want: `lacks "v-c-merchant-id"`,
		},
		{
			name: "a header named twice",
			sig:  func(s *httpSig) { s.headers = "host date request-target digest v-c-merchant-id date" },
			want: `the Signature headers list names "date" twice`,
		},
		{
			name: "a listed header the request lacks",
			sig:  func(s *httpSig) { s.headers = "host date request-target digest v-c-merchant-id x-missing" },
			want: `the Signature headers list names "x-missing", but the request has no such header`,
		},
		{
			name: "draft-cavage pseudo-header",
			sig:  func(s *httpSig) { s.headers = "(created) host date request-target digest v-c-merchant-id" },
			want: `the pseudo-header "(created)", which CyberSource does not use`,
		},
		{
			name: "body changed after signing",
			after: func(req *http.Request) {
				setBody(req, strings.Replace(goldenBody, `"securityCode":{"required":false}`, `"securityCode":{"required":true} `, 1))
			},
			want: `the Digest header does not match the body: it must be "SHA-256=" + base64(SHA-256) of the exact 176 bytes sent (was the body changed after signing?)`,
		},
		{
			name:  "Digest header removed",
			after: func(req *http.Request) { req.Header.Del("Digest") },
			want:  `the request has no Digest header`,
		},
		{
			name:  "signed for the production host",
			after: func(req *http.Request) { req.Host = "api.cybersource.com" },
			want:  `the request's Host header "api.cybersource.com" is not the API host "apitest.cybersource.com" that requests must be signed for: is the client configured for another environment?`,
		},
		{
			name: "stale Date",
			prepare: func(req *http.Request) {
				req.Header.Set("Date", testNow.Add(-cyberflextest.DefaultMaxClockSkew-time.Second).Format(http.TimeFormat))
			},
			want: `Date "Sat, 21 Nov 2026 12:12:14 GMT" is 5m1s away from the server's clock (Sat, 21 Nov 2026 12:17:15 GMT), more than the 5m0s allowed`,
		},
		{
			name:    "future Date",
			prepare: func(req *http.Request) { req.Header.Set("Date", testNow.Add(time.Hour).Format(http.TimeFormat)) },
			want:    `is 1h0m0s away from the server's clock`,
		},
		{
			name:    "Date not an IMF-fixdate",
			prepare: func(req *http.Request) { req.Header.Set("Date", testNow.Format(time.RFC3339)) },
			want:    `Date "2026-11-21T12:17:15Z" is not an IMF-fixdate in GMT`,
		},
		{
			name:  "Date header removed",
			after: func(req *http.Request) { req.Header.Del("Date") },
			want:  `the request has no Date header`,
		},
		{
			name: "other algorithm",
			sig:  func(s *httpSig) { s.algorithm = "hmac-sha256" },
			want: `Signature algorithm "hmac-sha256" is not supported; CyberSource's shared-secret signatures use "HmacSHA256"`,
		},
		{
			name: "unquoted parameter",
			sig: func(s *httpSig) {
				s.format = func(k, a, h, sig string) string {
					return `keyid=` + k + `, algorithm="` + a + `", headers="` + h + `", signature="` + sig + `"`
				}
			},
			want: `Signature header: parameter "keyid" is not a quoted string`,
		},
		{
			name: "parameter given twice",
			sig: func(s *httpSig) {
				s.format = func(k, a, h, sig string) string { return sdkFormat(k, a, h, sig) + `, signature="` + sig + `"` }
			},
			want: `Signature header: parameter "signature" appears twice`,
		},
		{
			name: "no signature parameter",
			sig: func(s *httpSig) {
				s.format = func(k, a, h, _ string) string { return `keyid="` + k + `", algorithm="` + a + `", headers="` + h + `"` }
			},
			want: `Signature header: has no signature parameter`,
		},
		{
			name: "signature not base64",
			sig: func(s *httpSig) {
				s.format = func(k, a, h, _ string) string { return sdkFormat(k, a, h, "not base64!") }
			},
			want: `the Signature signature parameter is not standard base64`,
		},
		{
			name: "signed for another path",
			after: func(req *http.Request) {
				req.URL.Path = "/flex/v2/sessions"
				req.URL.RawQuery = "x=1"
			},
			want: `the signature does not match`,
		},
		{
			name:  "Signature header removed",
			after: func(req *http.Request) { req.Header.Del("Signature") },
			want:  `the request has neither a Signature header (HTTP Signature) nor an Authorization header (JWT or OAuth)`,
		},
		{
			name:  "two Signature headers",
			after: func(req *http.Request) { req.Header.Add("Signature", req.Header.Get("Signature")) },
			want:  `the request has 2 Signature headers, want one`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]cyberflextest.Option{cyberflextest.WithHTTPSignature(merchant, keyID, secret)}, tt.opts...)
			csrv := newServer(t, opts...)
			req := newRequest(t, csrv, http.MethodPost, sessions, body)
			if tt.prepare != nil {
				tt.prepare(req)
			}
			s := goodSig()
			if tt.sig != nil {
				tt.sig(&s)
			}
			s.sign(req, body)
			if tt.after != nil {
				tt.after(req)
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

// TestHTTPSignatureRejectionNamesNoSecret: whatever goes wrong, the 401 never carries the
// shared secret, the HMAC key or the signature the server expected.
func TestHTTPSignatureRejectionNamesNoSecret(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret))
	body := []byte(goldenBody)
	req := newRequest(t, csrv, http.MethodPost, sessions, body)
	s := goodSig()
	s.secret = otherSecret
	s.sign(req, body)
	a := send(t, req)
	msg := rmsg(t, a)
	expected := hmacBase64(secret, signingString(req, goodSig().headers))
	for _, leak := range []string{secret, "shared-secret-of-the-tests-32byt", expected} {
		if strings.Contains(string(a.body), leak) {
			t.Errorf("401 body leaks a secret or the expected signature: %s", msg)
		}
	}
}

// TestHTTPSignatureGET: a request without a body needs no digest; the public key GET needs no
// signature at all.
func TestHTTPSignatureGET(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret))
	kid, _ := csrv.PublicKey()

	unsigned := newRequest(t, csrv, http.MethodGet, "/flex/v2/public-keys/"+kid, nil)
	if a := send(t, unsigned); a.status != http.StatusOK {
		t.Fatalf("unsigned public key GET: status %d, want 200; body %s", a.status, a.body)
	}

	signed := newRequest(t, csrv, http.MethodGet, "/flex/v2/public-keys/"+kid, nil)
	s := goodSig()
	s.headers = "host date request-target v-c-merchant-id"
	s.sign(signed, nil)
	if a := send(t, signed); a.status != http.StatusOK {
		t.Fatalf("signed public key GET: status %d, want 200; body %s", a.status, a.body)
	}
}

func setBody(req *http.Request, body string) {
	req.Body = http.NoBody
	if body != "" {
		req.Body = readCloser{strings.NewReader(body)}
	}
	req.ContentLength = int64(len(body))
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }
