package cyberflex

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/retry"
)

// goldenBody is the exact compact JSON of goldenRequest: the generated
// structs marshal their members in alphabetical order.
const goldenBody = `{"fields":{"paymentInformation":{"card":{"expirationMonth":{"required":true},"expirationYear":{"required":true},"number":{"required":true},"securityCode":{"required":false},"type":{"required":false}}}}}`

const testBearer = "oauth-access-token-Xy9Qw2"

func goldenRequest() CaptureContextRequest {
	return CardRequest(CardFields{
		Number:          Required(),
		SecurityCode:    Optional(),
		ExpirationMonth: Required(),
		ExpirationYear:  Required(),
		Type:            Optional(),
	})
}

// tinyRetries keeps retry waits at a millisecond for tests against real
// httptest servers; the tests that check wait lengths use synctest.
var tinyRetries = withRetryPolicy(retry.Policy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, Jitter: func() float64 { return 0 }})

// seenRequest is what a fake server received.
type seenRequest struct {
	Method, URI, Host string
	Header            http.Header
	Body              []byte
}

// reply is one canned answer of a fake server.
type reply struct {
	status int
	header map[string]string
	body   string
}

// fakeAPI answers POST requests with replies in order (the last one
// repeats) and records what it received.
type fakeAPI struct {
	mu      sync.Mutex
	seen    []seenRequest
	replies []reply
	echo    bool // append the received Authorization header to error bodies
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.seen = append(f.seen, seenRequest{r.Method, r.RequestURI, r.Host, r.Header.Clone(), b})
	rep := f.replies[min(len(f.seen), len(f.replies))-1]
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rep.status)
	body := rep.body
	if f.echo && rep.status >= 300 {
		body += r.Header.Get("Authorization")
	}
	_, _ = io.WriteString(w, body)
}

func (f *fakeAPI) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func newFake(t *testing.T, replies ...reply) (*fakeAPI, *httptest.Server) {
	t.Helper()
	f := &fakeAPI{replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func created(body string) reply {
	return reply{status: http.StatusCreated, header: map[string]string{"Content-Type": "application/jwt"}, body: body}
}

func testToken(t testing.TB) string {
	return signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
}

func newTestClient(t *testing.T, baseURL string, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{WithBaseURL(baseURL), WithClock(testNow), tinyRetries}, opts...)
	hasAuth := false
	for _, o := range opts {
		var cfg config
		_ = o(&cfg)
		hasAuth = hasAuth || len(cfg.authKinds) > 0
	}
	if !hasAuth {
		all = append(all, WithHTTPSignature(testMerchantID, testKeyID, testSecret))
	}
	c, err := New(all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// checkHTTPSignature verifies a received request as a server would,
// independently of the package: it rebuilds the documented signing string
// (the official SDKs' algorithm) from what arrived and compares the whole Signature header.
func checkHTTPSignature(t *testing.T, s seenRequest) {
	t.Helper()
	sum := sha256.Sum256(s.Body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	if got := s.Header.Get("Digest"); got != digest {
		t.Errorf("Digest = %q, want %q", got, digest)
	}
	signing := "host: " + s.Host +
		"\ndate: " + s.Header.Get("Date") +
		"\nrequest-target: " + strings.ToLower(s.Method) + " " + s.URI +
		"\ndigest: " + digest +
		"\nv-c-merchant-id: " + testMerchantID
	key, _ := base64.StdEncoding.DecodeString(testSecret)
	want := `keyid="` + testKeyID + `", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="` + hmacB64(key, signing) + `"`
	if got := s.Header.Get("Signature"); got != want {
		t.Errorf("Signature\n got %s\nwant %s", got, want)
	}
}

func TestGenerateCaptureContextGoldenWire(t *testing.T) {
	tok := testToken(t)
	f, srv := newFake(t, created(tok))
	c := newTestClient(t, srv.URL)

	cc, err := c.GenerateCaptureContext(context.Background(), goldenRequest())
	if err != nil {
		t.Fatal(err)
	}
	if cc.Token != tok {
		t.Errorf("Token = %q, want the body", cc.Token)
	}
	if !reflect.DeepEqual(cc.Claims, wantClaims()) {
		t.Errorf("Claims = %+v", cc.Claims)
	}

	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	s := reqs[0]
	if s.Method != http.MethodPost || s.URI != "/flex/v2/sessions" {
		t.Errorf("request line = %s %s", s.Method, s.URI)
	}
	if s.Host != "apitest.cybersource.com" {
		t.Errorf("Host = %q, want apitest.cybersource.com (the environment, not the base URL)", s.Host)
	}
	if string(s.Body) != goldenBody {
		t.Errorf("body\n got %s\nwant %s", s.Body, goldenBody)
	}
	sum := sha256.Sum256([]byte(goldenBody))
	wantHeaders := map[string]string{
		"V-C-Merchant-Id": testMerchantID,
		"Date":            testDate,
		"Digest":          "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:]),
		"Content-Type":    "application/json",
		"Accept":          "application/jwt",
		"User-Agent":      httpx.UserAgent,
	}
	for k, v := range wantHeaders {
		if got := s.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if s.Header.Get("Authorization") != "" {
		t.Errorf("HTTP Signature mode sent Authorization %q", s.Header.Get("Authorization"))
	}
	// The expected signature, computed here from the literal signing string.
	key, _ := base64.StdEncoding.DecodeString(testSecret)
	signing := "host: apitest.cybersource.com\ndate: " + testDate + "\nrequest-target: post /flex/v2/sessions\ndigest: " +
		wantHeaders["Digest"] + "\nv-c-merchant-id: testrest"
	wantSig := `keyid="` + testKeyID + `", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="` + hmacB64(key, signing) + `"`
	if got := s.Header.Get("Signature"); got != wantSig {
		t.Errorf("Signature\n got %s\nwant %s", got, wantSig)
	}
}

func TestGenerateCaptureContextProductionHost(t *testing.T) {
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL, WithEnvironment(Production))
	if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	s := f.requests()[0]
	if s.Host != "api.cybersource.com" {
		t.Errorf("Host = %q", s.Host)
	}
	checkHTTPSignature(t, s)
}

// With a base URL that has a path prefix the request goes to
// <prefix>/flex/v2/sessions; the signed request-target is that path (what is
// on the request line) and the signed host is still the API host.
func TestGenerateCaptureContextBaseURLPathPrefix(t *testing.T) {
	for _, base := range []string{"/proxy", "/proxy/"} {
		t.Run(base, func(t *testing.T) {
			f := &fakeAPI{replies: []reply{created(testToken(t))}}
			mux := http.NewServeMux()
			mux.Handle("/proxy/flex/v2/sessions", f)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			c := newTestClient(t, srv.URL+base)
			if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
				t.Fatal(err)
			}
			s := f.requests()[0]
			if s.URI != "/proxy/flex/v2/sessions" || s.Host != "apitest.cybersource.com" {
				t.Errorf("got %s host %s", s.URI, s.Host)
			}
			checkHTTPSignature(t, s)
		})
	}
}

func TestGenerateCaptureContextJWT(t *testing.T) {
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL, WithJWT(testMerchantID, testKeyID, testSecret))
	if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	s := f.requests()[0]
	req := &http.Request{Header: s.Header}
	header, claims, input, sig := splitJWT(t, bearer(t, req))
	if header["alg"] != "HS256" || header["kid"] != testKeyID {
		t.Errorf("header = %v", header)
	}
	sum := sha256.Sum256([]byte(goldenBody))
	want := map[string]any{
		"digest":                base64.StdEncoding.EncodeToString(sum[:]),
		"digest-algorithm":      "SHA-256",
		"iat":                   json.Number("1795263435"),
		"exp":                   json.Number("1795263555"),
		"request-host":          "apitest.cybersource.com",
		"request-resource-path": "/flex/v2/sessions",
		"request-method":        "post",
		"iss":                   testMerchantID,
		"v-c-jwt-version":       "2",
		"v-c-merchant-id":       testMerchantID,
	}
	jti, _ := claims["jti"].(string)
	delete(claims, "jti")
	if !reflect.DeepEqual(claims, want) || len(jti) != 36 {
		t.Errorf("claims\n got %v (jti %q)\nwant %v", claims, jti, want)
	}
	key, _ := base64.StdEncoding.DecodeString(testSecret)
	if hmacB64(key, input) != base64.StdEncoding.EncodeToString(sig) {
		t.Error("JWT does not verify with the shared secret")
	}
	if s.Host != "apitest.cybersource.com" || s.Header.Get("V-C-Merchant-Id") != testMerchantID {
		t.Errorf("Host %q, v-c-merchant-id %q", s.Host, s.Header.Get("V-C-Merchant-Id"))
	}
	if s.Header.Get("Signature") != "" || s.Header.Get("Digest") != "" {
		t.Errorf("JWT mode also sent HTTP Signature headers: %v", s.Header)
	}
}

func TestGenerateCaptureContextJWTP12(t *testing.T) {
	key := testRSAKey2048()
	p12 := makeP12(t, key, "5112228966230177031579", testP12Password)
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL, WithJWTP12(testMerchantID, p12, testP12Password))
	if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	header, claims, input, sig := splitJWT(t, bearer(t, &http.Request{Header: f.requests()[0].Header}))
	if header["alg"] != "RS256" || header["kid"] != "5112228966230177031579" {
		t.Errorf("header = %v", header)
	}
	if claims["request-host"] != "apitest.cybersource.com" || claims["request-resource-path"] != "/flex/v2/sessions" {
		t.Errorf("claims = %v", claims)
	}
	h := sha256.Sum256([]byte(input))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("RS256 signature: %v", err)
	}
}

func TestGenerateCaptureContextBearer(t *testing.T) {
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL, WithAccessToken(testBearer))
	if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	s := f.requests()[0]
	if got := s.Header.Get("Authorization"); got != "Bearer "+testBearer {
		t.Errorf("Authorization = %q", got)
	}
	for _, h := range []string{"Signature", "Digest", "V-C-Merchant-Id"} {
		if s.Header.Get(h) != "" {
			t.Errorf("bearer mode sent %s", h)
		}
	}
	if string(s.Body) != goldenBody || s.Header.Get("Accept") != "application/jwt" {
		t.Errorf("body %s, Accept %q", s.Body, s.Header.Get("Accept"))
	}
}

func TestGenerateCaptureContext201Variants(t *testing.T) {
	tok := testToken(t)
	for name, body := range map[string]string{
		"plain":              tok,
		"JSON string":        `"` + tok + `"`,
		"trailing newline":   tok + "\n",
		"whitespace":         " \r\n\t" + tok + " \n",
		"quoted and newline": "\n\"" + tok + "\"\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, srv := newFake(t, created(body))
			cc, err := newTestClient(t, srv.URL).GenerateCaptureContext(context.Background(), goldenRequest())
			if err != nil {
				t.Fatal(err)
			}
			if cc.Token != tok {
				t.Errorf("Token = %q, want %q", cc.Token, tok)
			}
			if cc.Claims.KeyID != ccKid || cc.Claims.Issuer != CaptureContextIssuer {
				t.Errorf("Claims = %+v", cc.Claims)
			}
		})
	}
}

func TestGenerateCaptureContext201Garbage(t *testing.T) {
	for name, body := range map[string]string{
		"empty":      "",
		"html":       "<html><body>Welcome</body></html>",
		"json":       `{"token":"abc"}`,
		"three dots": "a.b.c",
		"quotes":     `""`,
	} {
		t.Run(name, func(t *testing.T) {
			_, srv := newFake(t, created(body))
			cc, err := newTestClient(t, srv.URL).GenerateCaptureContext(context.Background(), goldenRequest())
			if err == nil || cc != nil {
				t.Fatalf("got %v, %v; want an error", cc, err)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				t.Errorf("a 201 became an APIError: %v", err)
			}
			if !errors.Is(err, ErrCaptureContextMalformed) || !strings.Contains(err.Error(), "cyberflex: GenerateCaptureContext: HTTP 201 answer (") ||
				!strings.Contains(err.Error(), "is not a capture context JWT") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func strp(s string) *string { return &s }

func TestGenerateCaptureContextAPIErrors(t *testing.T) {
	const html = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n"
	tests := []struct {
		name     string
		reply    reply
		want     APIError
		attempts int
		inError  string
	}{
		{
			name: "400 documented, details array, correlation id header wins",
			reply: reply{status: 400, header: map[string]string{"Content-Type": "application/json", "v-c-correlation-id": "hdr-corr-1"},
				body: `{"correlationId":"body-corr","details":[{"location":"fields.paymentInformation","message":"invalid"},{"location":"x","message":"y"}],"informationLink":"https://vdp.visa.com/docs/errors/x","message":"Invalid fields","reason":"UNIFIEDPAYMENTS_VALIDATION_FIELDS"}`},
			want: APIError{StatusCode: 400, Reason: "UNIFIEDPAYMENTS_VALIDATION_FIELDS", Message: "Invalid fields", CorrelationID: "hdr-corr-1",
				Details:         []ErrorDetail{{Location: strp("fields.paymentInformation"), Message: strp("invalid")}, {Location: strp("x"), Message: strp("y")}},
				InformationLink: "https://vdp.visa.com/docs/errors/x"},
			attempts: 1,
			inError:  "cyberflex: GenerateCaptureContext: HTTP 400 Bad Request: UNIFIEDPAYMENTS_VALIDATION_FIELDS: Invalid fields (fields.paymentInformation: invalid; x: y) (correlation id hdr-corr-1)",
		},
		{
			name: "400 upstream example, details object, informationLink null",
			reply: reply{status: 400, header: map[string]string{"Content-Type": "application/json"},
				body: `{"correlationId":"08b69ffe-1","details":{"location":"","message":""},"informationLink":null,"message":"Merchant APIKEY is invalid","reason":"INVALID_APIKEY"}`},
			want: APIError{StatusCode: 400, Reason: "INVALID_APIKEY", Message: "Merchant APIKEY is invalid", CorrelationID: "08b69ffe-1",
				Details: []ErrorDetail{{Location: strp(""), Message: strp("")}}},
			attempts: 1,
			inError:  "HTTP 400 Bad Request: INVALID_APIKEY: Merchant APIKEY is invalid (correlation id 08b69ffe-1)",
		},
		{
			name:     "500 not retried",
			reply:    reply{status: 500, body: `{"message":"Internal error.","reason":"SDK_XHR_ERROR"}`},
			want:     APIError{StatusCode: 500, Reason: "SDK_XHR_ERROR", Message: "Internal error."},
			attempts: 1,
			inError:  "HTTP 500 Internal Server Error: SDK_XHR_ERROR: Internal error.",
		},
		{
			name:     "401 rmsg",
			reply:    reply{status: 401, header: map[string]string{"v-c-correlation-id": "c401"}, body: `{"response":{"rmsg":"Authentication Failed"}}`},
			want:     APIError{StatusCode: 401, Message: "Authentication Failed", CorrelationID: "c401"},
			attempts: 1,
			inError:  "HTTP 401 Unauthorized: Authentication Failed (correlation id c401)",
		},
		{
			name:  "older responseStatus shape",
			reply: reply{status: 400, body: `{"responseStatus":{"status":400,"reason":"VALIDATION_ERROR","message":"Error retrieving key.","correlationId":"rs-1","details":[{"location":"kid","message":"bad"}]},"_links":{}}`},
			want: APIError{StatusCode: 400, Reason: "VALIDATION_ERROR", Message: "Error retrieving key.", CorrelationID: "rs-1",
				Details: []ErrorDetail{{Location: strp("kid"), Message: strp("bad")}}},
			attempts: 1,
		},
		{
			name:     "HTML 502 after retries exhausted",
			reply:    reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: html},
			want:     APIError{StatusCode: 502},
			attempts: 1 + DefaultMaxRetries,
			inError:  `HTTP 502 Bad Gateway: unexpected body "<html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>"`,
		},
		{
			name:     "empty body",
			reply:    reply{status: 403},
			want:     APIError{StatusCode: 403},
			attempts: 1,
			inError:  "HTTP 403 Forbidden: empty body",
		},
		{
			name:     "truncated JSON",
			reply:    reply{status: 400, body: `{"reason":"INVALID_AP`},
			want:     APIError{StatusCode: 400},
			attempts: 1,
			inError:  `unexpected body "{\"reason\":\"INVALID_AP"`,
		},
		{
			name:     "wrongly typed members do not lose the others",
			reply:    reply{status: 400, body: `{"reason":42,"message":"still here","details":"text"}`},
			want:     APIError{StatusCode: 400, Message: "still here"},
			attempts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, tt.reply)
			_, err := newTestClient(t, srv.URL).GenerateCaptureContext(context.Background(), goldenRequest())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			want := tt.want
			want.Operation = "GenerateCaptureContext"
			want.Body = []byte(tt.reply.body)
			want.Header = apiErr.Header // the answer's headers, checked in TestAPIErrorCarriesHeaderAndRetryAfter
			if !reflect.DeepEqual(*apiErr, want) {
				t.Errorf("APIError\n got %#v\nwant %#v", *apiErr, want)
			}
			if n := len(f.requests()); n != tt.attempts {
				t.Errorf("%d attempts, want %d", n, tt.attempts)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "cyberflex: GenerateCaptureContext: HTTP ") {
				t.Errorf("Error() = %q: want one line starting with the operation", msg)
			}
			if !strings.Contains(msg, tt.inError) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tt.inError)
			}
		})
	}
}

func TestGenerateCaptureContextRetryResigns(t *testing.T) {
	tok := testToken(t)
	f, srv := newFake(t, reply{status: 503, body: "busy"}, created(tok))
	var tick atomic.Int64
	clock := func() time.Time { return testNow().Add(time.Duration(tick.Add(1)) * time.Second) }
	c := newTestClient(t, srv.URL, WithClock(clock))
	cc, err := c.GenerateCaptureContext(context.Background(), goldenRequest())
	if err != nil || cc.Token != tok {
		t.Fatalf("got %v, %v", cc, err)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d attempts, want 2", len(reqs))
	}
	if reqs[0].Header.Get("Date") == reqs[1].Header.Get("Date") || reqs[0].Header.Get("Signature") == reqs[1].Header.Get("Signature") {
		t.Errorf("retry was not re-signed: %v / %v", reqs[0].Header, reqs[1].Header)
	}
	for _, s := range reqs {
		checkHTTPSignature(t, s)
		if string(s.Body) != goldenBody {
			t.Errorf("attempt body %s", s.Body)
		}
	}

	// JWT mode: every attempt carries a new token (new jti).
	f, srv = newFake(t, reply{status: 429}, reply{status: 504}, created(tok))
	c = newTestClient(t, srv.URL, WithJWT(testMerchantID, testKeyID, testSecret))
	if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range f.requests() {
		seen[s.Header.Get("Authorization")] = true
	}
	if len(seen) != 3 {
		t.Errorf("%d distinct JWTs over 3 attempts", len(seen))
	}
}

func TestGenerateCaptureContextMaxRetries(t *testing.T) {
	f, srv := newFake(t, reply{status: 503})
	_, err := newTestClient(t, srv.URL, WithMaxRetries(0)).GenerateCaptureContext(context.Background(), goldenRequest())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || len(f.requests()) != 1 {
		t.Errorf("err %v after %d attempts", err, len(f.requests()))
	}
	f, srv = newFake(t, reply{status: 503})
	_, _ = newTestClient(t, srv.URL, WithMaxRetries(4)).GenerateCaptureContext(context.Background(), goldenRequest())
	if n := len(f.requests()); n != 5 {
		t.Errorf("%d attempts, want 5", n)
	}
}

// roundTripFunc is an in-memory transport: no network, so synctest's fake
// clock can run the retry waits.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func response(status int, header map[string]string, body string) *http.Response {
	h := make(http.Header)
	for k, v := range header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}
}

func TestGenerateCaptureContextRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tok := testToken(t)
		var dates []string
		var times []time.Time
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			dates = append(dates, r.Header.Get("Date"))
			times = append(times, time.Now())
			if len(dates) == 1 {
				return response(429, map[string]string{"Retry-After": "7"}, ""), nil
			}
			return response(201, nil, tok), nil
		})
		c, err := New(WithHTTPSignature(testMerchantID, testKeyID, testSecret), WithHTTPClient(&http.Client{Transport: rt}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
			t.Fatal(err)
		}
		if len(times) != 2 {
			t.Fatalf("%d attempts", len(times))
		}
		if d := times[1].Sub(times[0]); d != 7*time.Second {
			t.Errorf("waited %v, want the 7s of Retry-After", d)
		}
		if dates[0] == dates[1] {
			t.Errorf("second attempt reused Date %q", dates[0])
		}
	})
}

func TestGenerateCaptureContextConnectionErrorRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tok := testToken(t)
		n := 0
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n++
			if n == 1 {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
			}
			return response(201, nil, tok), nil
		})
		c, _ := New(WithAccessToken(testBearer), WithHTTPClient(&http.Client{Transport: rt}))
		if _, err := c.GenerateCaptureContext(context.Background(), goldenRequest()); err != nil || n != 2 {
			t.Errorf("err %v after %d attempts", err, n)
		}
	})
}

func TestGenerateCaptureContextCancelStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := 0
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n++
			return response(503, map[string]string{"Retry-After": "30"}, ""), nil
		})
		c, _ := New(WithAccessToken(testBearer), WithHTTPClient(&http.Client{Transport: rt}), WithMaxRetries(5))
		ctx, cancel := context.WithCancel(context.Background())
		start := time.Now()
		time.AfterFunc(5*time.Second, cancel)
		_, err := c.GenerateCaptureContext(ctx, goldenRequest())
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "cyberflex: GenerateCaptureContext: ") {
			t.Errorf("err = %v, want context.Canceled wrapped with the operation", err)
		}
		if n != 1 || time.Since(start) != 5*time.Second {
			t.Errorf("%d attempts, stopped after %v", n, time.Since(start))
		}
	})
}

func TestGenerateCaptureContextTransportError(t *testing.T) {
	_, srv := newFake(t, created("x"))
	c := newTestClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.GenerateCaptureContext(ctx, goldenRequest())
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "cyberflex: GenerateCaptureContext: ") {
		t.Errorf("err = %v", err)
	}

	srv.Close() // connection refused on every attempt
	_, err = c.GenerateCaptureContext(context.Background(), goldenRequest())
	if err == nil || !strings.HasPrefix(err.Error(), "cyberflex: GenerateCaptureContext: ") {
		t.Errorf("err = %v", err)
	}
}

func TestGenerateCaptureContextNeedsAField(t *testing.T) {
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL)
	for name, req := range map[string]CaptureContextRequest{
		"zero":        {},
		"empty card":  CardRequest(CardFields{}),
		"empty group": {Fields: CaptureContextFields{OrderInformation: &OrderInformationFields{BillTo: &BillToFields{}}}},
	} {
		if _, err := c.GenerateCaptureContext(context.Background(), req); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
	// One field anywhere is enough, and {} (required) counts.
	req := CaptureContextRequest{Fields: CaptureContextFields{OrderInformation: &OrderInformationFields{
		AmountDetails: &AmountDetailsFields{TotalAmount: &FieldRequirement{}}}}}
	if _, err := c.GenerateCaptureContext(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := string(f.requests()[0].Body); got != `{"fields":{"orderInformation":{"amountDetails":{"totalAmount":{}}}}}` {
		t.Errorf("body %s", got)
	}
}

// keyServer serves CyberSource's public key endpoint for testRSAKey2048
// under kid "3g" and records every request.
type keyServer struct {
	mu     sync.Mutex
	seen   []seenRequest
	status int // when non-zero, answer every request with it
}

func (k *keyServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.seen = append(k.seen, seenRequest{r.Method, r.RequestURI, r.Host, r.Header.Clone(), nil})
	status := k.status
	k.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	if r.Method != http.MethodGet || r.URL.Path != "/flex/v2/public-keys/"+ccKid {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"Key not found","reason":"NOT_FOUND"}`)
		return
	}
	b, _ := jose.JSONWebKey{Key: &testRSAKey2048().PublicKey, KeyID: ccKid, Use: "enc"}.MarshalJSON()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (k *keyServer) requests() []seenRequest {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]seenRequest(nil), k.seen...)
}

func TestVerifyCaptureContextEndToEnd(t *testing.T) {
	ks := &keyServer{}
	srv := httptest.NewServer(ks)
	defer srv.Close()
	clock := func() time.Time { return ccNow }
	c := newTestClient(t, srv.URL, WithClock(clock))
	tok := testToken(t)

	for i := 0; i < 2; i++ {
		cc, err := c.VerifyCaptureContext(context.Background(), tok)
		if err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
		if cc.Token != tok || !reflect.DeepEqual(cc.Claims, wantClaims()) {
			t.Errorf("verify %d: %+v", i, cc)
		}
	}
	reqs := ks.requests()
	if len(reqs) != 1 {
		t.Fatalf("key fetched %d times, want once", len(reqs))
	}
	s := reqs[0]
	if s.Method != http.MethodGet || s.URI != "/flex/v2/public-keys/3g" || s.Header.Get("Accept") != "application/json" {
		t.Errorf("key request %s %s Accept %q", s.Method, s.URI, s.Header.Get("Accept"))
	}
	for _, h := range []string{"Authorization", "Signature", "Digest", "V-C-Merchant-Id", "Date"} {
		if v := s.Header.Get(h); v != "" {
			t.Errorf("key request carries %s: %q (the key endpoint is unauthenticated)", h, v)
		}
	}

	// Unknown kid: 404 → ErrUnknownKeyID, with the APIError inside.
	other := signCC(t, jose.RS256, testRSAKey2048(), "zz", validPayload())
	_, err := c.VerifyCaptureContext(context.Background(), other)
	var apiErr *APIError
	if !errors.Is(err, ErrUnknownKeyID) || !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Operation != "GetPublicKey" {
		t.Errorf("unknown kid: err = %v", err)
	}
	assertNoSecret(t, err.Error(), other)

	// Expired, by the injected clock.
	late := newTestClient(t, srv.URL, WithClock(func() time.Time { return time.Unix(ccExp, 0).Add(DefaultLeeway + time.Second) }))
	if _, err := late.VerifyCaptureContext(context.Background(), tok); !errors.Is(err, ErrCaptureContextExpired) {
		t.Errorf("expired: err = %v", err)
	}
	// A tampered token fails the signature check.
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + b64(strings.Replace(validPayload(), "card.number", "card.type", 1)) + "." + parts[2]
	if _, err := c.VerifyCaptureContext(context.Background(), tampered); !errors.Is(err, ErrCaptureContextSignature) {
		t.Errorf("tampered: err = %v", err)
	}
}

func TestVerifyCaptureContextKeyFetchFailure(t *testing.T) {
	ks := &keyServer{status: http.StatusInternalServerError}
	srv := httptest.NewServer(ks)
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithClock(func() time.Time { return ccNow }))
	_, err := c.VerifyCaptureContext(context.Background(), testToken(t))
	var apiErr *APIError
	if !errors.Is(err, ErrKeyFetch) || errors.Is(err, ErrInvalidCaptureContext) || !errors.As(err, &apiErr) || apiErr.StatusCode != 500 {
		t.Errorf("err = %v", err)
	}
	// 503 is retried for the key too.
	ks2 := &fakeAPI{replies: []reply{{status: 503}, {status: 200, body: func() string {
		b, _ := jose.JSONWebKey{Key: &testRSAKey2048().PublicKey, KeyID: ccKid}.MarshalJSON()
		return string(b)
	}()}}}
	srv2 := httptest.NewServer(ks2)
	defer srv2.Close()
	c2 := newTestClient(t, srv2.URL, WithClock(func() time.Time { return ccNow }))
	if _, err := c2.VerifyCaptureContext(context.Background(), testToken(t)); err != nil || len(ks2.requests()) != 2 {
		t.Errorf("err %v after %d key requests", err, len(ks2.requests()))
	}
	// A body that is not a JWK.
	srv3 := httptest.NewServer(&fakeAPI{replies: []reply{{status: 200, body: "<html>"}}})
	defer srv3.Close()
	c3 := newTestClient(t, srv3.URL, WithClock(func() time.Time { return ccNow }))
	if _, err := c3.VerifyCaptureContext(context.Background(), testToken(t)); !errors.Is(err, ErrKeyFetch) {
		t.Errorf("err = %v", err)
	}
}

func TestNewOptionErrors(t *testing.T) {
	sig := WithHTTPSignature(testMerchantID, testKeyID, testSecret)
	p12 := makeP12(t, testRSAKey2048(), "5112228966230177031579", testP12Password)
	tests := map[string][]Option{
		"no auth":               {},
		"two auth options":      {sig, WithAccessToken(testBearer)},
		"same auth twice":       {sig, sig},
		"nil http client":       {sig, WithHTTPClient(nil)},
		"bad base64 secret":     {WithHTTPSignature(testMerchantID, testKeyID, "not base64!!")},
		"bad base64 JWT secret": {WithJWT(testMerchantID, testKeyID, "%%%%")},
		"short JWT secret":      {WithJWT(testMerchantID, testKeyID, base64.StdEncoding.EncodeToString([]byte("short")))},
		"empty merchant":        {WithHTTPSignature("", testKeyID, testSecret)},
		"empty bearer":          {WithAccessToken("  ")},
		"wrong p12 password":    {WithJWTP12(testMerchantID, p12, "wrong-password-123")},
		"bad URL":               {sig, WithBaseURL("://nope")},
		"relative URL":          {sig, WithBaseURL("/flex")},
		"ftp URL":               {sig, WithBaseURL("ftp://example.com")},
		"URL with query":        {sig, WithBaseURL("https://example.com/?a=b")},
		"URL with user info":    {sig, WithBaseURL("https://user:urlpassword@example.com")},
		"bad environment":       {sig, WithEnvironment("https://api.cybersource.com")},
		"empty environment":     {sig, WithEnvironment("")},
		"negative retries":      {sig, WithMaxRetries(-1)},
		"nil clock":             {sig, WithClock(nil)},
		"nil logger":            {sig, WithLogger(nil)},
		"nil option":            {sig, nil},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(opts...)
			if c != nil || !errors.Is(err, ErrInvalidInput) {
				t.Fatalf("New = %v, %v; want ErrInvalidInput", c, err)
			}
			for _, out := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err)} {
				assertNoSecret(t, out, testSecret, testBearer, testP12Password, "urlpassword")
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(WithAccessToken("Bearer " + testBearer))
	if err != nil {
		t.Fatal(err)
	}
	if c.host != "apitest.cybersource.com" || c.baseURL != "https://apitest.cybersource.com/" || c.api.Policy.MaxRetries != DefaultMaxRetries {
		t.Errorf("defaults: %s, retries %d", c, c.api.Policy.MaxRetries)
	}
	if c.auth.token.Reveal() != testBearer {
		t.Error(`leading "Bearer " not removed`)
	}
	c, _ = New(WithAccessToken(testBearer), WithEnvironment(Production))
	if c.host != "api.cybersource.com" || c.baseURL != "https://api.cybersource.com/" {
		t.Errorf("production: %s", c)
	}
}

func TestRedaction(t *testing.T) {
	p12 := makeP12(t, testRSAKey2048(), "5112228966230177031579", testP12Password)
	secrets := []string{testSecret, testBearer, testP12Password}
	for name, auth := range map[string]Option{
		"http signature": WithHTTPSignature(testMerchantID, testKeyID, testSecret),
		"jwt":            WithJWT(testMerchantID, testKeyID, testSecret),
		"jwt p12":        WithJWTP12(testMerchantID, p12, testP12Password),
		"bearer":         WithAccessToken(testBearer),
	} {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			tok := testToken(t)
			// The server echoes the Authorization header it received into
			// every error body, as a careless proxy might.
			f, srv := newFake(t, reply{status: 400, body: "<html>you sent: "}, created(tok))
			f.echo = true
			c := newTestClient(t, srv.URL, auth, WithLogger(logger), WithMaxRetries(0))

			var outs []string
			outs = append(outs, fmt.Sprintf("%v|%+v|%#v|%s|%q|%x", c, c, c, c, c, c), fmt.Sprintf("%v|%+v|%#v", *c, *c, *c))
			_, err := c.GenerateCaptureContext(context.Background(), goldenRequest())
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			sent := strings.TrimPrefix(f.requests()[0].Header.Get("Authorization"), "Bearer ")
			if sent != "" && bytes.Contains(apiErr.Body, []byte(sent)) {
				t.Errorf("APIError.Body keeps the echoed Authorization: %s", apiErr.Body)
			}
			outs = append(outs, fmt.Sprintf("%v|%+v|%#v|%s", err, err, err, apiErr.Body), fmt.Sprintf("%#v", *apiErr))
			if sent != "" {
				secrets := append(secrets, sent)
				for _, o := range outs {
					assertNoSecret(t, o, secrets...)
				}
			}

			cc, err := c.GenerateCaptureContext(context.Background(), goldenRequest())
			if err != nil {
				t.Fatal(err)
			}
			// Other failing paths: malformed tokens, a transport error.
			_, err1 := c.VerifyCaptureContext(context.Background(), cc.Token+"x")
			_, err2 := c.VerifyCaptureContext(context.Background(), "garbage."+cc.Token)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err3 := c.GenerateCaptureContext(ctx, goldenRequest())
			for _, e := range []error{err1, err2, err3} {
				if e == nil {
					t.Fatal("want an error")
				}
				outs = append(outs, fmt.Sprintf("%v|%+v|%#v", e, e, e))
			}
			for _, o := range outs {
				assertNoSecret(t, o, secrets...)
				assertNoSecret(t, o, cc.Token)
			}

			l := logs.String()
			assertNoSecret(t, l, append(secrets, tok, sent)...)
			for _, want := range []string{"method=POST", "path=/flex/v2/sessions", "status=400", "status=201", "attempt=1", "duration="} {
				if !strings.Contains(l, want) {
					t.Errorf("log lacks %q:\n%s", want, l)
				}
			}
		})
	}
}

func TestRetryLogging(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, srv := newFake(t, reply{status: 503}, created(testToken(t)))
	if _, err := newTestClient(t, srv.URL, WithLogger(logger)).GenerateCaptureContext(context.Background(), goldenRequest()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"status=503", "cyberflex: retrying", "attempt=2", "status=201"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	tok := testToken(t)
	ks := &keyServer{}
	mux := http.NewServeMux()
	mux.Handle("/flex/v2/public-keys/", ks)
	mux.Handle("/flex/v2/sessions", &fakeAPI{replies: []reply{created(tok)}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithClock(func() time.Time { return ccNow }))

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := c.GenerateCaptureContext(context.Background(), goldenRequest())
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := c.VerifyCaptureContext(context.Background(), tok)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(ks.requests()); n != 1 {
		t.Errorf("key fetched %d times", n)
	}
}

func TestCardRequestHelpers(t *testing.T) {
	b, err := json.Marshal(CardRequest(CardFields{Number: Required(), SecurityCode: Optional()}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}`; string(b) != want {
		t.Errorf("got %s", b)
	}
	// Each call returns a fresh value: changing one leaves the others alone.
	a, b2 := Required(), Required()
	*a.Required = false
	if !*b2.Required {
		t.Error("Required() values share state")
	}
}

func TestAPIErrorOneLine(t *testing.T) {
	e := &APIError{Operation: "X", StatusCode: 400, Reason: "R\nS", Message: strings.Repeat("é", 300), CorrelationID: "c\r\nid"}
	msg := e.Error()
	if strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "R S") || !strings.Contains(msg, "…") {
		t.Errorf("Error() = %q", msg)
	}
	if !strings.Contains(msg, "(correlation id c id)") {
		t.Errorf("Error() = %q", msg)
	}
}

// A kid is a path segment: a hostile one is refused before any request.
func TestVerifyCaptureContextKidEscaped(t *testing.T) {
	ks := &keyServer{}
	srv := httptest.NewServer(ks)
	defer srv.Close()
	c := newTestClient(t, srv.URL, WithClock(func() time.Time { return ccNow }))
	tok := signCC(t, jose.RS256, testRSAKey2048(), "../../sessions?x=1", validPayload())
	if _, err := c.VerifyCaptureContext(context.Background(), tok); !errors.Is(err, ErrCaptureContextMalformed) {
		t.Errorf("err = %v", err)
	}
	if reqs := ks.requests(); len(reqs) != 0 {
		t.Errorf("key requests: %+v", reqs)
	}
}
