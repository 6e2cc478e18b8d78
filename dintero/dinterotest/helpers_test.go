package dinterotest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// spec validates the fake's answers against the document the fake claims to follow.
var spec = func() *fakeapi.Validator {
	v, err := fakeapi.NewValidator("dintero-checkout.yaml", "/v1")
	if err != nil {
		panic(err)
	}
	return v
}()

// TestSpecCheckCatchesBrokenAnswers proves that the document check the other tests rely on
// refuses answers the document does not allow.
func TestSpecCheckCatchesBrokenAnswers(t *testing.T) {
	get, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1/v1/sessions/T12345678.abc", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	require.NoError(t, spec.CheckResponse(get, 404, h, []byte(`{"error":{"code":"NOT_FOUND","message":"x"}}`)))
	assert.Error(t, spec.CheckResponse(get, 200, h, []byte(`{"id":"T12345678.abc"}`)), "order, url and configuration are required")
	assert.Error(t, spec.CheckResponse(get, 404, h, []byte(`{"message":"x"}`)), "not Dintero's error shape")
	assert.Error(t, spec.CheckResponse(get, 429, h, []byte(`{"error":{"message":"x"}}`)), "429 is not declared for getSession")
	token, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/v1/accounts/T12345678/auth/token", nil)
	require.NoError(t, spec.CheckResponse(token, 200, h, []byte(`{"access_token":"a","token_type":"Bearer","expires_in":1}`)))
	assert.Error(t, spec.CheckResponse(token, 200, h, []byte(`{"access_token":"a"}`)))
}

// clock is a settable clock for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// specChecker is a transport that checks every answer against the document (status declared for
// the operation, content type, body schema) and fails the test when one does not match.
type specChecker struct {
	t    testing.TB
	next http.RoundTripper
}

func (c specChecker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := spec.CheckResponse(req, resp.StatusCode, resp.Header, body); err != nil {
		c.t.Errorf("the fake's answer breaks the document: %v\nbody: %s", err, body)
	}
	return resp, nil
}

// creds are the default client credentials of a server without credential options.
var creds = dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret)

// newClient returns a dintero client for srv, authenticated by auth, whose every answer is checked
// against the document.
func newClient(t testing.TB, srv *dinterotest.Server, auth dintero.Option, opts ...dintero.Option) *dintero.Client {
	t.Helper()
	hc := &http.Client{Transport: specChecker{t: t, next: srv.HTTPServer().Client().Transport}}
	return newRawClient(t, srv, auth, append([]dintero.Option{dintero.WithHTTPClient(hc)}, opts...)...)
}

// newRawClient returns a dintero client for srv without the document check, for answers the
// document does not declare (injected faults).
func newRawClient(t testing.TB, srv *dinterotest.Server, auth dintero.Option, opts ...dintero.Option) *dintero.Client {
	t.Helper()
	c, err := dintero.New(append([]dintero.Option{auth, dintero.WithBaseURL(srv.URL)}, opts...)...)
	require.NoError(t, err)
	return c
}

// answer is a raw HTTP answer.
type answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// errorBody decodes Dintero's error shape.
func (a answer) errorBody(t testing.TB) (code, message string) {
	t.Helper()
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &e), "body %s", a.Body)
	require.NotNil(t, e.Error, "body %s", a.Body)
	return e.Error.Code, e.Error.Message
}

// do sends a raw request to srv (path relative to srv.URL), with "key: value" headers, and checks
// the answer against the document.
func do(t testing.TB, srv *dinterotest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	a := doRaw(t, srv, method, path, body, headers...)
	check, err := http.NewRequest(method, srv.URL+path, nil)
	require.NoError(t, err)
	require.NoError(t, spec.CheckResponse(check, a.Status, a.Header, a.Body), "body %s", a.Body)
	return a
}

// doRaw is do without the document check, for unknown paths, wrong methods and faults.
func doRaw(t testing.TB, srv *dinterotest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ": ")
		require.True(t, ok, "header %q", h)
		req.Header.Set(k, v)
	}
	resp, err := srv.HTTPServer().Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// token fetches an access token with the default credentials over raw HTTP.
func token(t testing.TB, srv *dinterotest.Server) string {
	t.Helper()
	a := do(t, srv, http.MethodPost, "/accounts/"+dinterotest.DefaultAccountID+"/auth/token",
		`{"grant_type":"client_credentials","audience":"https://api.dintero.com/v1/accounts/`+dinterotest.DefaultAccountID+`"}`,
		basic(dinterotest.DefaultClientID, dinterotest.DefaultClientSecret))
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &tok))
	return tok.AccessToken
}

func basic(user, password string) string {
	r, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	r.SetBasicAuth(user, password)
	return "Authorization: " + r.Header.Get("Authorization")
}

// apiKey is the header of the default API key.
const apiKey = "x-api-key: " + dinterotest.DefaultAPIKey

// newSession is a valid create request.
func newSession(reference string) dintero.SessionCreateRequest {
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{
			Amount: 29900, Currency: "NOK", MerchantReference: reference,
			Items: []dintero.OrderItem{{
				LineID: dintero.Ptr("1"), ID: dintero.Ptr("tshirt"), Quantity: dintero.Ptr(1.0),
				Amount: dintero.Ptr(int64(29900)), VATAmount: dintero.Ptr(int64(5980)), VAT: dintero.Ptr(25.0),
			}},
		},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	}
}

// create creates a session through the client and returns its id.
func create(t testing.TB, c *dintero.Client, req dintero.SessionCreateRequest) string {
	t.Helper()
	created, err := c.CreateSession(context.Background(), req)
	require.NoError(t, err)
	require.NotNil(t, created.ID)
	return *created.ID
}
