package cyberflextest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// testNow is the fixed clock of most tests, shared by client and server so that Date headers,
// JWT times and capture context claims are exact.
var testNow = time.Date(2026, 11, 21, 12, 17, 15, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// Credentials of the tests. otherSecret is a valid secret that the servers do not know.
const (
	merchant    = "merchant_a"
	keyID       = "3c1e6a52-8a4f-4d55-9f0e-2b7d9c4e1a01"
	secret      = "c2hhcmVkLXNlY3JldC1vZi10aGUtdGVzdHMtMzJieXQ=" // 32 bytes
	otherSecret = "YW5vdGhlci1zZWNyZXQtbm9ib2R5LWtub3dzLTMyYnk=" // 32 bytes
	oauthToken  = "oauth-access-token-7Qv2Xw"
	sessions    = "/flex/v2/sessions"
)

// goldenBody is what the cyberflex client sends for cardRequest().
const goldenBody = `{"fields":{"paymentInformation":{"card":{"expirationMonth":{"required":true},"expirationYear":{"required":true},"number":{"required":true},"securityCode":{"required":false}}}}}`

func cardRequest() cyberflex.CaptureContextRequest {
	return cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
	})
}

// newClient returns a cyberflex client for csrv with the given authentication (and any other
// options), a fixed clock and no retries unless opts say otherwise.
func newClient(t *testing.T, csrv *cyberflextest.Server, auth cyberflex.Option, opts ...cyberflex.Option) *cyberflex.Client {
	t.Helper()
	all := append([]cyberflex.Option{auth, cyberflex.WithBaseURL(csrv.URL), cyberflex.WithClock(fixedClock(testNow)), cyberflex.WithMaxRetries(0)}, opts...)
	c, err := cyberflex.New(all...)
	if err != nil {
		t.Fatalf("cyberflex.New: %v", err)
	}
	return c
}

// newServer starts a server with the test clock and the given options, closed at the end of
// the test.
func newServer(t *testing.T, opts ...cyberflextest.Option) *cyberflextest.Server {
	t.Helper()
	csrv := cyberflextest.NewServer(append([]cyberflextest.Option{cyberflextest.WithClock(fixedClock(testNow))}, opts...)...)
	t.Cleanup(csrv.Close)
	return csrv
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends req and reads the answer.
func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}
}

// newRequest builds a request to csrv as the cyberflex client sends it, unsigned: Host is the
// sandbox host, the body JSON.
func newRequest(t *testing.T, csrv *cyberflextest.Server, method, path string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, csrv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = cyberflextest.DefaultHost
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// rmsg returns the rmsg of a 401 body, failing the test if the body is not the gateway's shape.
func rmsg(t *testing.T, a answer) string {
	t.Helper()
	if a.status != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401; body %s", a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("401 Content-Type %q, want application/json", ct)
	}
	var b struct {
		Response struct {
			Rmsg string `json:"rmsg"`
		} `json:"response"`
	}
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		t.Fatalf("401 body %s is not {\"response\":{\"rmsg\":…}}: %v", a.body, err)
	}
	if !strings.HasPrefix(b.Response.Rmsg, "Authentication Failed: ") {
		t.Fatalf("rmsg %q does not start with \"Authentication Failed: \"", b.Response.Rmsg)
	}
	return b.Response.Rmsg
}

// errorBody decodes CyberSource's 400/500 error shape.
type errorBody struct {
	CorrelationID   string  `json:"correlationId"`
	Details         []any   `json:"details"`
	InformationLink *string `json:"informationLink"`
	Message         string  `json:"message"`
	Reason          string  `json:"reason"`
}

func decodeError(t *testing.T, a answer) errorBody {
	t.Helper()
	var e errorBody
	dec := json.NewDecoder(bytes.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("body %s is not CyberSource's error shape: %v", a.body, err)
	}
	if e.CorrelationID == "" || e.CorrelationID != a.header.Get("v-c-correlation-id") {
		t.Errorf("correlationId %q, header v-c-correlation-id %q: want the same non-empty id", e.CorrelationID, a.header.Get("v-c-correlation-id"))
	}
	return e
}

// httpSig describes an HTTP Signature to put on a raw request. The test computes it on its own
// (not with cyberflex.HTTPSignatureSigner) so that the wire details are spelled out here.
type httpSig struct {
	keyID     string
	algorithm string
	headers   string // the headers= list, as sent
	secret    string
	// format builds the header from keyid, algorithm, headers and signature; nil means the
	// official SDKs' format.
	format func(keyID, algorithm, headers, signature string) string
}

func sdkFormat(keyID, algorithm, headers, signature string) string {
	return `keyid="` + keyID + `", algorithm="` + algorithm + `", headers="` + headers + `", signature="` + signature + `"`
}

// signingString builds the draft-cavage signing string of req for the headers list: one
// "name: value" line per (lowercased) name, host from req.Host, request-target as
// "<lowercase method> <request URI>".
func signingString(req *http.Request, list string) string {
	var lines []string
	for _, name := range strings.Fields(strings.ToLower(list)) {
		var v string
		switch name {
		case "host":
			v = req.Host
		case "request-target", "(request-target)":
			v = strings.ToLower(req.Method) + " " + req.URL.RequestURI()
		default:
			v = req.Header.Get(name)
		}
		lines = append(lines, name+": "+v)
	}
	return strings.Join(lines, "\n")
}

func hmacBase64(secretB64, msg string) string {
	key, err := base64.StdEncoding.DecodeString(secretB64)
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func digestOf(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// sign sets Date (testNow), v-c-merchant-id, Digest (when there is a body) and the Signature
// described by s on req, whose body is body.
func (s httpSig) sign(req *http.Request, body []byte) {
	if req.Header.Get("Date") == "" {
		req.Header.Set("Date", testNow.Format(http.TimeFormat))
	}
	if req.Header.Get("v-c-merchant-id") == "" {
		req.Header.Set("v-c-merchant-id", merchant)
	}
	if len(body) > 0 && req.Header.Get("Digest") == "" {
		req.Header.Set("Digest", "SHA-256="+digestOf(body))
	}
	format := s.format
	if format == nil {
		format = sdkFormat
	}
	req.Header.Set("Signature", format(s.keyID, s.algorithm, s.headers, hmacBase64(s.secret, signingString(req, s.headers))))
}

// goodSig is the signature the official SDKs make for a POST.
func goodSig() httpSig {
	return httpSig{keyID: keyID, algorithm: "HmacSHA256", headers: "host date request-target digest v-c-merchant-id", secret: secret}
}

// certificate makes a throwaway RSA-2048 key and a self-signed certificate whose subject
// serialNumber (the JWT kid) is subjectSerial.
func certificate(t *testing.T, subjectSerial string) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key := rsaKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: merchant, SerialNumber: subjectSerial},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// p12File encodes key and cert as a PKCS#12 file, as the Business Center hands them out.
func p12File(t *testing.T, key *rsa.PrivateKey, cert *x509.Certificate, password string) []byte {
	t.Helper()
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return pfx
}

// rsaKeys caches a few RSA keys: generating one costs tens of milliseconds, more under -race.
var rsaKeys struct {
	sync.Mutex
	keys []*rsa.PrivateKey
	next int
}

// rsaKey returns an RSA-2048 key different from the previous ones of the test binary (up to four,
// then they repeat).
func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	rsaKeys.Lock()
	defer rsaKeys.Unlock()
	i := rsaKeys.next % 4
	rsaKeys.next++
	if i >= len(rsaKeys.keys) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaKeys.keys = append(rsaKeys.keys, k)
	}
	return rsaKeys.keys[i]
}

// recorder is an http.RoundTripper that keeps every exchange, so that a test can check the
// fake's answers against the spec.
type recorder struct {
	mu        sync.Mutex
	exchanges []exchange
}

type exchange struct {
	method, path string
	answer
}

func (rec *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	rec.mu.Lock()
	rec.exchanges = append(rec.exchanges, exchange{req.Method, req.URL.Path, answer{resp.StatusCode, resp.Header.Clone(), body}})
	rec.mu.Unlock()
	return resp, nil
}

// specValidator is the validator the fake itself uses, to check its answers.
func specValidator(t *testing.T) *fakeapi.Validator {
	t.Helper()
	v, err := fakeapi.NewValidator("cyberflex.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkAnswer fails the test unless a, the answer to method path, is one the spec declares.
func checkAnswer(t *testing.T, v *fakeapi.Validator, method, path string, a answer) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+cyberflextest.DefaultHost+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.CheckResponse(req, a.status, a.header, a.body); err != nil {
		t.Errorf("answer not in the spec: %v\nbody: %s", err, a.body)
	}
}
