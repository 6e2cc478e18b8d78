package cyberflextest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// signedRequest is a POST /flex/v2/sessions of body signed for the default credentials.
func signedRequest(t *testing.T, csrv *cyberflextest.Server, body string) *http.Request {
	t.Helper()
	req := newRequest(t, csrv, http.MethodPost, sessions, []byte(body))
	req.Header.Set("v-c-merchant-id", cyberflextest.DefaultMerchantID)
	s := goodSig()
	s.keyID, s.secret = cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret
	s.sign(req, []byte(body))
	return req
}

// TestSpecValidation: an authenticated request whose body breaks api/cyberflex.yaml is answered
// 400 in CyberSource's error shape, saying what is wrong and where.
func TestSpecValidation(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		contentType  string
		wantMessage  string
		wantLocation string
	}{
		{
			name:         "required is not a boolean",
			body:         `{"fields":{"paymentInformation":{"card":{"number":{"required":"yes"}}}}}`,
			wantMessage:  "Invalid request: request body: value must be a boolean at /fields/paymentInformation/card/number/required",
			wantLocation: "fields.paymentInformation.card.number.required",
		},
		{
			name:         "a field is not an object",
			body:         `{"fields":{"paymentInformation":{"card":{"number":true}}}}`,
			wantMessage:  "Invalid request: request body: value must be an object at /fields/paymentInformation/card/number",
			wantLocation: "fields.paymentInformation.card.number",
		},
		{
			name:         "no fields wrapper (the developer guide's examples)",
			body:         `{"paymentInformation":{"card":{"number":{}}}}`,
			wantMessage:  `Invalid request: request body: property "fields" is missing`,
			wantLocation: "fields",
		},
		{
			name:         "fields lists nothing",
			body:         `{"fields":{"paymentInformation":{"card":{}}}}`,
			wantMessage:  "Invalid request: fields lists no field",
			wantLocation: "fields",
		},
		{
			name:         "not JSON",
			body:         `{"fields":`,
			wantMessage:  "Invalid request: request body:",
			wantLocation: "body",
		},
		{
			name:         "wrong content type",
			body:         `{"fields":{"paymentInformation":{"card":{"number":{}}}}}`,
			contentType:  "text/plain",
			wantMessage:  `Invalid request: request body: header Content-Type has unexpected value "text/plain"`,
			wantLocation: "body",
		},
	}
	v := specValidator(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csrv := newServer(t)
			req := signedRequest(t, csrv, tt.body)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			a := send(t, req)
			if a.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", a.status, a.body)
			}
			e := decodeError(t, a)
			if e.Reason != "UNIFIEDPAYMENTS_VALIDATION_FIELDS" || !strings.HasPrefix(e.Message, tt.wantMessage) {
				t.Errorf("reason %q message %q, want UNIFIEDPAYMENTS_VALIDATION_FIELDS and %q…", e.Reason, e.Message, tt.wantMessage)
			}
			if len(e.Details) == 0 {
				t.Fatal("no details")
			}
			if loc := e.Details[0].(map[string]any)["location"]; loc != tt.wantLocation {
				t.Errorf("details[0].location %q, want %q", loc, tt.wantLocation)
			}
			checkAnswer(t, v, http.MethodPost, sessions, a)
		})
	}
}

// TestOrderOfChecks: route, then faults, then authentication, then validation.
func TestOrderOfChecks(t *testing.T) {
	csrv := newServer(t)
	badBody := []byte(`{"fields":{"paymentInformation":{"card":{"number":{"required":"yes"}}}}}`)

	// Authentication before validation: an unsigned invalid body is a 401.
	if msg := rmsg(t, send(t, newRequest(t, csrv, http.MethodPost, sessions, badBody))); !strings.Contains(msg, "neither a Signature header") {
		t.Errorf("rmsg %q", msg)
	}
	// Faults before authentication: an unsigned request gets the fault.
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusTooManyRequests})
	if a := send(t, newRequest(t, csrv, http.MethodPost, sessions, badBody)); a.status != http.StatusTooManyRequests {
		t.Errorf("faulted unsigned request: status %d, want 429", a.status)
	}
	// Routing before faults: unknown paths and methods are not calls of an operation.
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
	a := send(t, newRequest(t, csrv, http.MethodPost, "/flex/v2/nowhere", badBody))
	if e := decodeError(t, a); a.status != http.StatusNotFound || e.Reason != "NOT_FOUND" {
		t.Errorf("unknown path: status %d %+v, want 404 NOT_FOUND", a.status, e)
	}
	a = send(t, newRequest(t, csrv, http.MethodGet, sessions, nil))
	if e := decodeError(t, a); a.status != http.StatusMethodNotAllowed || e.Reason != "METHOD_NOT_ALLOWED" {
		t.Errorf("GET sessions: status %d %+v, want 405 METHOD_NOT_ALLOWED", a.status, e)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
		t.Errorf("Calls = %d, want 2 (unrouted requests are not counted)", n)
	}
	if a := send(t, signedRequest(t, csrv, goldenBody)); a.status != http.StatusServiceUnavailable {
		t.Errorf("the queued fault was consumed by an unrouted request: status %d", a.status)
	}
}

// TestOversizedBody: a body over fakeapi.MaxRequestBody is refused with 413 before anything else.
func TestOversizedBody(t *testing.T) {
	csrv := newServer(t)
	big := `{"fields":{},"pad":"` + strings.Repeat("x", 1<<20) + `"}`
	a := send(t, signedRequest(t, csrv, big))
	if e := decodeError(t, a); a.status != http.StatusRequestEntityTooLarge || !strings.Contains(e.Message, "larger than") {
		t.Errorf("status %d %+v, want 413", a.status, e)
	}
}

// TestFaultStatusWithRetryAfter: an injected 503 carries Retry-After and the error body; a
// client that will not wait an hour gives up after one call.
func TestFaultStatusWithRetryAfter(t *testing.T) {
	csrv := newServer(t)
	fault := cyberflextest.Fault{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": {"3600"}}}

	csrv.Inject(cyberflextest.OpGenerateCaptureContext, fault)
	a := send(t, signedRequest(t, csrv, goldenBody))
	if a.status != http.StatusServiceUnavailable || a.header.Get("Retry-After") != "3600" {
		t.Fatalf("status %d Retry-After %q, want 503 and 3600", a.status, a.header.Get("Retry-After"))
	}
	if e := decodeError(t, a); e.Reason != "SERVICE_UNAVAILABLE" || e.Message != "Service Unavailable" {
		t.Errorf("error body %+v", e)
	}

	csrv.Inject(cyberflextest.OpGenerateCaptureContext, fault)
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithMaxRetries(2))
	_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
	var apiErr *cyberflex.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || apiErr.Reason != "SERVICE_UNAVAILABLE" {
		t.Fatalf("error %v, want APIError 503 SERVICE_UNAVAILABLE", err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
		t.Errorf("Calls = %d, want 2 (the client must not retry into a 1-hour Retry-After)", n)
	}
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

// TestFaultTimes: Times=N fails the next N calls, then the server answers normally; Calls counts
// them all.
func TestFaultTimes(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusInternalServerError, Times: 2})
	c := newClient(t, csrv, cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	for i := range 2 {
		_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
		var apiErr *cyberflex.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Message != "Internal error." || apiErr.Reason != "INTERNAL_SERVER_ERROR" {
			t.Fatalf("call %d: %v, want APIError 500", i+1, err)
		}
	}
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
		t.Fatalf("call 3: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 3 {
		t.Errorf("Calls = %d, want 3", n)
	}
}

// TestResetFaults: ResetFaults drops the queued faults; the call counts stay.
func TestResetFaults(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusInternalServerError, Times: 3})
	c := newClient(t, csrv, cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err == nil {
		t.Fatal("call 1 succeeded, want the injected 500")
	}
	csrv.ResetFaults()
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
		t.Fatalf("after ResetFaults: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
		t.Errorf("Calls = %d, want 2", n)
	}
}

// TestFaultRetriedAndResigned: a 503 the client retries; the retry is signed afresh and
// accepted.
func TestFaultRetriedAndResigned(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithMaxRetries(1))
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
		t.Fatalf("GenerateCaptureContext: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
		t.Errorf("Calls = %d, want 2", n)
	}
}

// TestFaultDelayEndsAtClientDeadline: a long Delay is cut short when the client's context
// expires; the client reports the deadline and the server closes promptly.
func TestFaultDelayEndsAtClientDeadline(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Delay: time.Hour})
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GenerateCaptureContext(ctx, cardRequest())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the call took %s", d)
	}
	csrv.Close() // returns once the delayed handler has noticed the client left
}

// TestFaultDrop: a dropped connection is a transport error, not an APIError; the next call
// succeeds.
func TestFaultDrop(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Drop: true})
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
	var apiErr *cyberflex.APIError
	if err == nil || errors.As(err, &apiErr) {
		t.Fatalf("error %v, want a transport error", err)
	}
	if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
		t.Fatalf("after the drop: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
		t.Errorf("Calls = %d, want 2", n)
	}
}

// TestFaultBodies: a Fault's Body is sent as is; without one, each status gets the API's body.
func TestFaultBodies(t *testing.T) {
	csrv := newServer(t)
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusBadGateway, Body: "<html>bad gateway</html>",
		Header: http.Header{"Content-Type": {"text/html"}}})
	a := send(t, signedRequest(t, csrv, goldenBody))
	if a.status != http.StatusBadGateway || string(a.body) != "<html>bad gateway</html>" || a.header.Get("Content-Type") != "text/html" {
		t.Errorf("custom body: %d %q %q", a.status, a.header.Get("Content-Type"), a.body)
	}

	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusUnauthorized})
	a = send(t, signedRequest(t, csrv, goldenBody))
	if got := string(bytes.TrimSpace(a.body)); a.status != 401 || got != `{"response":{"rmsg":"Authentication Failed"}}` {
		t.Errorf("401: %d %s", a.status, got)
	}

	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusBadRequest})
	a = send(t, signedRequest(t, csrv, goldenBody))
	if e := decodeError(t, a); a.status != 400 || e.Reason != "INVALID_APIKEY" || e.Message != "Merchant APIKEY is invalid" {
		t.Errorf("400: %d %+v", a.status, e)
	}
}

// TestFaultPublicKey: faults apply to the key fetch too; the client reports ErrKeyFetch and
// succeeds once the fault is over.
func TestFaultPublicKey(t *testing.T) {
	csrv := newServer(t)
	token, err := csrv.IssueCaptureContext([]string{"paymentInformation.card.number"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	csrv.Inject(cyberflextest.OpGetPublicKey, cyberflextest.Fault{Status: http.StatusInternalServerError})
	c := newClient(t, csrv, cyberflex.WithAccessToken("unused"))
	if _, err := c.VerifyCaptureContext(context.Background(), token); !errors.Is(err, cyberflex.ErrKeyFetch) {
		t.Fatalf("error %v, want ErrKeyFetch", err)
	}
	if _, err := c.VerifyCaptureContext(context.Background(), token); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGetPublicKey); n != 2 {
		t.Errorf("Calls(OpGetPublicKey) = %d, want 2", n)
	}
}

// TestInjectUnknownOperation: a misspelt operation is a mistake in the test, reported at once.
func TestInjectUnknownOperation(t *testing.T) {
	csrv := newServer(t)
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `unknown operation "generateCaptureContext"`) {
			t.Errorf("recovered %v, want a panic naming the operation", r)
		}
	}()
	csrv.Inject("generateCaptureContext", cyberflextest.Fault{Status: 500})
}

// TestAnswersMatchSpec: every kind of answer the fake gives to the client is one
// api/cyberflex.yaml declares (status, content type, body schema).
func TestAnswersMatchSpec(t *testing.T) {
	csrv := newServer(t)
	rec := &recorder{}
	hc := &http.Client{Transport: rec}
	good := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret), cyberflex.WithHTTPClient(hc))
	bad := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, otherSecret), cyberflex.WithHTTPClient(hc))
	ctx := context.Background()

	cc, err := good.GenerateCaptureContext(ctx, cardRequest()) // 201
	if err != nil {
		t.Fatal(err)
	}
	if _, err := good.VerifyCaptureContext(ctx, cc.Token); err != nil { // 200
		t.Fatal(err)
	}
	_, _ = bad.GenerateCaptureContext(ctx, cardRequest()) // 401
	for _, status := range []int{http.StatusBadRequest, http.StatusInternalServerError} {
		csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: status})
		_, _ = good.GenerateCaptureContext(ctx, cardRequest())
	}
	csrv.Inject(cyberflextest.OpGetPublicKey, cyberflextest.Fault{Status: http.StatusInternalServerError})
	_, _ = newClient(t, csrv, cyberflex.WithAccessToken("unused"), cyberflex.WithHTTPClient(hc)).VerifyCaptureContext(ctx, cc.Token)

	v := specValidator(t)
	statuses := map[int]bool{}
	for _, e := range rec.exchanges {
		statuses[e.status] = true
		checkAnswer(t, v, e.method, e.path, e.answer)
	}
	for _, s := range []int{200, 201, 400, 401, 500} {
		if !statuses[s] {
			t.Errorf("no %d answer was checked", s)
		}
	}

	// Answers to raw requests: an invalid body and an unknown kid.
	checkAnswer(t, v, http.MethodPost, sessions, send(t, signedRequest(t, csrv, `{"fields":{"paymentInformation":{"card":{"number":1}}}}`)))
	checkAnswer(t, v, http.MethodGet, "/flex/v2/public-keys/nope", send(t, newRequest(t, csrv, http.MethodGet, "/flex/v2/public-keys/nope", nil)))
}

// TestNewServerRefusesBadOptions: a bad option panics with a message that names it and never
// contains the secret.
func TestNewServerRefusesBadOptions(t *testing.T) {
	key, cert := certificate(t, "3333344444555556666677")
	noSerial := *cert
	noSerial.Subject.SerialNumber = ""
	shortSecret := "c2hvcnQtc2VjcmV0LTE2Yg==" // 16 bytes
	tests := []struct {
		name string
		opt  cyberflextest.Option
		want string
	}{
		{"secret not base64", cyberflextest.WithHTTPSignature(merchant, keyID, "not base64!"), "WithHTTPSignature: the shared secret is not non-empty standard base64"},
		{"empty merchant", cyberflextest.WithHTTPSignature("", keyID, secret), "WithHTTPSignature: merchant id is empty"},
		{"key id with a quote", cyberflextest.WithJWT(merchant, `a"b`, secret), "WithJWT: key id contains a control character or a double quote"},
		{"HS256 secret too short", cyberflextest.WithJWT(merchant, keyID, shortSecret), "WithJWT: the shared secret decodes to 16 bytes; HS256 needs at least 32"},
		{"wrong P12 password", cyberflextest.WithJWTP12(merchant, p12File(t, key, cert, p12Password), "wrong"), "WithJWTP12: cyberflex: invalid input: LoadP12: pkcs12: decryption password incorrect"},
		{"nil certificate", cyberflextest.WithJWTCertificate(merchant, nil), "WithJWTCertificate: certificate is nil"},
		{"certificate without subject serialNumber", cyberflextest.WithJWTCertificate(merchant, &noSerial), "certificate subject serialNumber (the JWT kid) is empty"},
		{"empty bearer token", cyberflextest.WithAccessToken(""), "WithAccessToken: token is empty"},
		{"host with a scheme", cyberflextest.WithHost("https://apitest.cybersource.com"), `WithHost: "https://apitest.cybersource.com" is not a host name`},
		{"negative skew", cyberflextest.WithMaxClockSkew(-time.Second), "WithMaxClockSkew: -1s is negative"},
		{"nil clock", cyberflextest.WithClock(nil), "WithClock: clock is nil"},
		{"nil option", nil, "nil Option"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg := fmt.Sprint(r)
				if r == nil || !strings.HasPrefix(msg, "cyberflextest: NewServer: ") || !strings.Contains(msg, tt.want) {
					t.Errorf("panic %q, want one containing %q", msg, tt.want)
				}
				for _, s := range []string{secret, shortSecret, p12Password} {
					if strings.Contains(msg, s) {
						t.Errorf("panic message contains a secret: %s", msg)
					}
				}
			}()
			csrv := cyberflextest.NewServer(tt.opt)
			csrv.Close()
		})
	}
}

// TestServerPrintsNoSecret: no fmt verb shows a secret or token of the server.
func TestServerPrintsNoSecret(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithAccessToken(oauthToken))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, csrv)
		for _, s := range []string{secret, oauthToken, "shared-secret-of-the-tests", fmt.Sprintf("%x", oauthToken)} {
			if strings.Contains(out, s) {
				t.Errorf("%s prints a secret: %s", verb, out)
			}
		}
	}
	if got := csrv.String(); !strings.Contains(got, "HTTP Signature (merchant merchant_a, key "+keyID+")") || !strings.Contains(got, "1 OAuth token(s)") {
		t.Errorf("String() = %s", got)
	}
}

// TestHTTPServer: the httptest.Server inside is exposed, at the same URL.
func TestHTTPServer(t *testing.T) {
	csrv := newServer(t)
	if csrv.HTTPServer() == nil || csrv.HTTPServer().URL != csrv.URL {
		t.Errorf("HTTPServer() URL %q, want %q", csrv.HTTPServer().URL, csrv.URL)
	}
}
