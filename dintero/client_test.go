package dintero

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// basePath mounts the fake API under a non-empty path, so a client that builds an absolute path
// (dropping the base URL's /v1) fails the tests.
const basePath = "/base/v1"

const testSessionID = "T12345678.4VfSpqnprujVvsa8sHhXjf"

// recorded is one request as the fake server saw it.
type recorded struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// fakeAPI is an httptest server that records every request and answers with handler.
type fakeAPI struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
}

func newFakeAPI(t *testing.T, handler http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	mux := http.NewServeMux()
	mux.HandleFunc(basePath+"/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.Server.URL + basePath }

func (f *fakeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// fastRetries keeps retry waits to microseconds: these tests count attempts; the timing of the
// waits is tested in internal/retry with a fake clock.
func fastRetries(c *Client) {
	c.api.Policy.BaseDelay = time.Microsecond
	c.api.Policy.MaxDelay = time.Microsecond
}

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(append([]Option{WithBaseURL(url), WithAccessToken("tok_static")}, opts...)...)
	require.NoError(t, err)
	fastRetries(c)
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func sessionJSON(id string) string {
	return `{"id":"` + id + `","created_at":"2026-11-21T12:00:00Z","url":{"return_url":"https://shop.example/return"},` +
		`"order":{"amount":0,"currency":"NOK","merchant_reference":"order-1"},"configuration":{},` +
		`"events":[{"name":"SOME_FUTURE_EVENT","created_at":"2026-11-21T12:00:01Z"}]}`
}

func createRequest() SessionCreateRequest {
	return SessionCreateRequest{
		URL: SessionURLs{ReturnURL: "https://shop.example/return", CallbackURL: Ptr("https://shop.example/callback?method=POST")},
		Order: Order{
			Amount: 0, Currency: "NOK", MerchantReference: "order-1",
			VATAmount:      Ptr(int64(0)),
			PartialPayment: Ptr(false),
			Items: []OrderItem{{
				ID: Ptr("sku-1"), LineID: Ptr("1"), Description: Ptr("Gift wrap"),
				Quantity: Ptr(1.5), Amount: Ptr(int64(0)), VAT: Ptr(25.0), VATAmount: Ptr(int64(0)),
			}},
		},
		Configuration: SessionConfiguration{},
		Metadata:      Metadata{"ext_order": "A-1", "ext_weight": 12.5},
	}
}

// TestWireFormat pins method, path, query, headers and the exact JSON body of each of the seven
// calls.
func TestWireFormat(t *testing.T) {
	created := `{"id":"` + testSessionID + `","url":"https://checkout.dintero.com/v1/view/x"}`
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == basePath+"/sessions":
			writeJSON(w, 200, "["+sessionJSON(testSessionID)+"]")
		case r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "/cancel"):
			writeJSON(w, 200, created)
		default:
			writeJSON(w, 200, sessionJSON(testSessionID))
		}
	})
	c := newTestClient(t, api.URL(), WithSystem(SystemInfo{Name: "shop", Version: "1.2"}))
	ctx := context.Background()
	since := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

	tests := []struct {
		name        string
		call        func() error
		method      string
		path, query string
		body        string
		headers     map[string]string
	}{
		{
			name: "CreateSession",
			call: func() error {
				_, err := c.CreateSession(ctx, createRequest(), IncludeSession(), FeatureToggles(FeatureToggleStrictSessionAmounts))
				return err
			},
			method: "POST", path: basePath + "/sessions", query: "include_session=true",
			body: `{"configuration":{},"metadata":{"ext_order":"A-1","ext_weight":12.5},` +
				`"order":{"amount":0,"currency":"NOK","items":[{"amount":0,"description":"Gift wrap","id":"sku-1","line_id":"1","quantity":1.5,"vat":25,"vat_amount":0}],` +
				`"merchant_reference":"order-1","partial_payment":false,"vat_amount":0},` +
				`"url":{"callback_url":"https://shop.example/callback?method=POST","return_url":"https://shop.example/return"}}`,
			headers: map[string]string{"Dintero-Feature-Toggles": "strict-session-amounts", "Dintero-System-Name": "shop",
				"Dintero-System-Version": "1.2", "Dintero-System-Plugin-Name": "", "Content-Type": "application/json"},
		},
		{
			name: "CreateSessionFromProfile",
			call: func() error {
				_, err := c.CreateSessionFromProfile(ctx, SessionProfileCreateRequest{
					ProfileID: "default",
					URL:       SessionURLs{ReturnURL: "https://shop.example/return"},
					Order:     Order{Amount: 1000, Currency: "NOK", MerchantReference: "order-2"},
				})
				return err
			},
			method: "POST", path: basePath + "/sessions-profile",
			body:    `{"order":{"amount":1000,"currency":"NOK","merchant_reference":"order-2"},"profile_id":"default","url":{"return_url":"https://shop.example/return"}}`,
			headers: map[string]string{"Dintero-System-Name": "shop", "Dintero-Feature-Toggles": ""},
		},
		{
			name: "CreatePaymentTokenSession",
			call: func() error {
				_, err := c.CreatePaymentTokenSession(ctx, PaymentTokenSessionRequest{
					Session: PaymentTokenSession{
						Order: PaymentTokenOrder{Currency: "NOK", MerchantReference: "token-1"},
						URL:   SessionURLs{ReturnURL: "https://shop.example/return"},
					},
					TokenProvider: TokenProvider{PaymentProductType: PayExCreditcard, TokenTypes: []TokenType{TokenTypePaymentToken}},
				}, IncludeSession())
				return err
			},
			method: "POST", path: basePath + "/sessions/payment-token", query: "include_session=true",
			body: `{"session":{"order":{"currency":"NOK","merchant_reference":"token-1"},"url":{"return_url":"https://shop.example/return"}},` +
				`"token_provider":{"payment_product_type":"payex.creditcard","token_types":["payment_token"]}}`,
		},
		{
			name: "GetSession",
			call: func() error {
				_, err := c.GetSession(ctx, testSessionID, Include(SessionIncludeEventsRequestHeaders, SessionIncludeInitiatingSystemRequestHeaders))
				return err
			},
			method: "GET", path: basePath + "/sessions/" + testSessionID,
			query:   "includes=events.request_headers&includes=initiating_system_request_headers",
			headers: map[string]string{"Content-Type": "", "Dintero-System-Name": "shop"},
		},
		{
			name: "UpdateSession",
			call: func() error {
				_, err := c.UpdateSession(ctx, testSessionID, SessionUpdateRequest{
					Order:      OrderUpdate{Amount: Ptr(int64(0)), Currency: Ptr("NOK")},
					RemoveLock: Ptr(false),
				}, UpdateWithoutLock(), ForceShippingAddressCallback())
				return err
			},
			method: "PUT", path: basePath + "/sessions/" + testSessionID,
			query:   "force_shipping_address_callback=true&update_without_lock=true",
			body:    `{"order":{"amount":0,"currency":"NOK"},"remove_lock":false}`,
			headers: map[string]string{"Dintero-System-Name": "shop"},
		},
		{
			name: "CancelSession",
			call: func() error {
				_, err := c.CancelSession(ctx, testSessionID)
				return err
			},
			method: "POST", path: basePath + "/sessions/" + testSessionID + "/cancel",
			headers: map[string]string{"Dintero-System-Name": "shop"},
		},
		{
			name: "ListSessions",
			call: func() error {
				_, err := c.ListSessions(ctx, Limit(2), StartingAfter("T12345678.a"), SessionIDs("A", "B"), Search("Ola Nordmann"), TransactionIDs("T1", "T2"), CreatedFrom(since), StoreIDs("s&1"))
				return err
			},
			method: "GET", path: basePath + "/sessions",
			query: "created_at.gte=2026-11-01T00%3A00%3A00Z&id=A&id=B&limit=2&search=Ola+Nordmann" +
				"&starting_after=T12345678.a&store_id=s%261&transaction_id=T1&transaction_id=T2",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.call())
			reqs := api.recorded()
			require.Len(t, reqs, i+1, "exactly one request per call")
			got := reqs[i]
			assert.Equal(t, tt.method, got.Method)
			assert.Equal(t, tt.path, got.Path)
			assert.Equal(t, tt.query, sortedQuery(t, got.Query))
			if tt.body == "" {
				assert.Empty(t, got.Body)
			} else {
				assert.JSONEq(t, tt.body, got.Body)
				assert.Equal(t, compact(t, tt.body), got.Body, "exact bytes: zero amounts and false flags are sent")
			}
			assert.Equal(t, "Bearer tok_static", got.Header.Get("Authorization"))
			assert.Empty(t, got.Header.Get("x-api-key"))
			assert.Equal(t, "application/json", got.Header.Get("Accept"))
			assert.True(t, strings.HasPrefix(got.Header.Get("User-Agent"), "paysession-go/"), got.Header.Get("User-Agent"))
			for k, v := range tt.headers {
				assert.Equal(t, v, got.Header.Get(k), "header %s", k)
			}
		})
	}
}

// sortedQuery re-encodes a raw query with sorted keys, keeping the order of repeated keys; the
// generated client writes keys in map order.
func sortedQuery(t *testing.T, raw string) string {
	t.Helper()
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	byKey := map[string][]string{}
	var keys []string
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if _, seen := byKey[k]; !seen {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], p)
	}
	sortStrings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, byKey[k]...)
	}
	return strings.Join(out, "&")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, []byte(s)))
	return b.String()
}

func TestResponsesDecode(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			writeJSON(w, 200, `{"id":"`+testSessionID+`","url":"https://checkout.example/x","session":`+sessionJSON(testSessionID)+`}`)
		default:
			writeJSON(w, 200, sessionJSON(testSessionID))
		}
	})
	c := newTestClient(t, api.URL())
	created, err := c.CreateSession(context.Background(), createRequest(), IncludeSession())
	require.NoError(t, err)
	require.NotNil(t, created.Session)
	assert.Equal(t, testSessionID, *created.ID)
	assert.Equal(t, "order-1", created.Session.Order.MerchantReference)

	s, err := c.GetSession(context.Background(), testSessionID)
	require.NoError(t, err)
	require.Len(t, s.Events, 1)
	assert.EqualValues(t, "SOME_FUTURE_EVENT", *s.Events[0].Name, "an unknown enum value decodes")
	assert.Equal(t, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), *s.CreatedAt)
}

// TestAPIErrors covers every error status of the spec and bodies that are not the documented shape.
func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		body        string
		header      map[string]string
		wantCode    string
		wantMessage string
		wantErrText string
	}{
		{"400", 400, `{"error":{"code":"INVALID_REQUEST","message":"order.amount is wrong","errors":[{"path":"order.amount"}]}}`, nil,
			"INVALID_REQUEST", "order.amount is wrong", "dintero: GetSession: HTTP 400 Bad Request: INVALID_REQUEST: order.amount is wrong"},
		{"401", 401, `{"error":{"message":"Access forbidden, invalid JWT token was used"}}`, nil,
			"", "Access forbidden, invalid JWT token was used", "401 Unauthorized: Access forbidden"},
		{"403", 403, `{"error":{"code":"FORBIDDEN","message":"missing scope"}}`, nil, "FORBIDDEN", "missing scope", "403 Forbidden: FORBIDDEN: missing scope"},
		{"404", 404, `{"error":{"code":"NOT FOUND","message":"Session not found"}}`, map[string]string{"Request-Id": "req-42"},
			"NOT FOUND", "Session not found", "404 Not Found: NOT FOUND: Session not found (request id req-42)"},
		{"500", 500, `{"error":{"message":"Unexpected Error"}}`, nil, "", "Unexpected Error", "500 Internal Server Error: Unexpected Error"},
		{"HTML from a proxy", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", map[string]string{"X-Request-Id": "edge-1"},
			"", "", `502 Bad Gateway: unexpected body "<html><body><h1>502 Bad Gateway</h1></body></html>" (request id edge-1)`},
		{"empty body", 503, "", nil, "", "", "503 Service Unavailable: empty body"},
		{"truncated JSON", 500, `{"error":{"code":"X","mess`, nil, "", "", `unexpected body "{\"error\":{\"code\":\"X\",\"mess"`},
		{"JSON of another shape", 400, `{"message":"nope"}`, nil, "", "", `unexpected body`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(t, api.URL(), WithMaxRetries(0))
			s, err := c.GetSession(context.Background(), testSessionID)
			require.Error(t, err)
			assert.Nil(t, s)
			var apiErr *APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.wantCode, apiErr.Code)
			assert.Equal(t, tt.wantMessage, apiErr.Message)
			assert.Equal(t, tt.body, string(apiErr.Body))
			assert.Equal(t, "GetSession", apiErr.Operation)
			assert.Contains(t, err.Error(), tt.wantErrText)
			assert.NotContains(t, err.Error(), "\n")
			if tt.name == "400" {
				require.Len(t, apiErr.Errors, 1)
				assert.JSONEq(t, `{"path":"order.amount"}`, string(apiErr.Errors[0]))
			}
		})
	}
}

func TestMalformedSuccessBodies(t *testing.T) {
	for name, body := range map[string]string{
		"truncated":  `{"id":"T12345678.a","order":{`,
		"HTML":       "<html>maintenance</html>",
		"empty":      "",
		"wrong type": `{"id":42}`,
	} {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, body) })
			c := newTestClient(t, api.URL())
			s, err := c.GetSession(context.Background(), testSessionID)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), "dintero: GetSession: decoding the HTTP 200 answer")
		})
	}
}

// TestInputChecks: bad input is refused with ErrInvalidInput before anything is sent.
func TestInputChecks(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, "{}") })
	c := newTestClient(t, api.URL())
	ctx := context.Background()
	noCurrency := createRequest()
	noCurrency.Order.Currency = ""
	noReturnURL := createRequest()
	noReturnURL.URL.ReturnURL = ""
	badItemShipping := createRequest()
	badItemShipping.Express = &SessionExpress{ShippingOptions: []ShippingOption{{ID: "s1", LineID: "l1", Operator: "", Title: "Post"}}}

	tests := map[string]struct {
		call func() error
		want string
	}{
		"empty session id":      {func() error { _, err := c.GetSession(ctx, ""); return err }, "session id is empty"},
		"path traversal":        {func() error { _, err := c.GetSession(ctx, "../../admin/api-keys"); return err }, "not a Dintero checkout id"},
		"slash in id":           {func() error { _, err := c.CancelSession(ctx, "T12345678.a/b"); return err }, "not a Dintero checkout id"},
		"query in id":           {func() error { _, err := c.UpdateSession(ctx, "T12345678.a?x=1", SessionUpdateRequest{}); return err }, "not a Dintero checkout id"},
		"limit 0":               {func() error { _, err := c.ListSessions(ctx, Limit(0)); return err }, "limit 0 is outside 1..100"},
		"limit 101":             {func() error { _, err := c.ListSessions(ctx, Limit(101)); return err }, "limit 101 is outside 1..100"},
		"missing currency":      {func() error { _, err := c.CreateSession(ctx, noCurrency); return err }, "CreateSession: order.currency is required"},
		"missing return url":    {func() error { _, err := c.CreateSession(ctx, noReturnURL); return err }, "url.return_url is required"},
		"nested required field": {func() error { _, err := c.CreateSession(ctx, badItemShipping); return err }, "express.shipping_options[0].operator is required"},
		"missing profile id":    {func() error { _, err := c.CreateSessionFromProfile(ctx, SessionProfileCreateRequest{}); return err }, "is required"},
		"nil token types":       {func() error { _, err := c.CreatePaymentTokenSession(ctx, PaymentTokenSessionRequest{}); return err }, "is required"},
		"update needs order list": {func() error {
			_, err := c.UpdateSession(ctx, testSessionID, SessionUpdateRequest{Express: &SessionExpressUpdate{}})
			return err
		}, "express.shipping_options is required"},
		"nil option": {func() error { _, err := c.GetSession(ctx, testSessionID, nil); return err }, "GetSession: nil option"},
		"zero option": {func() error {
			_, err := c.UpdateSession(ctx, testSessionID, SessionUpdateRequest{}, UpdateFlagOption{})
			return err
		}, "zero UpdateFlagOption"},
		"zero list filter": {func() error { _, err := c.ListSessions(ctx, ListFilter{}); return err }, "zero ListFilter"},
		"bad cursor":       {func() error { _, err := c.ListSessions(ctx, StartingAfter("../x")); return err }, "not a Dintero checkout id"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			err := tt.call()
			require.ErrorIs(t, err, ErrInvalidInput)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Empty(t, api.recorded(), "nothing was sent")
}

func TestOptions(t *testing.T) {
	tests := map[string][]Option{
		"no auth":            {},
		"two auths":          {WithAPIKey("k"), WithAccessToken("t")},
		"bad account id":     {WithClientCredentials("T-12345678", "id", "secret")},
		"short account id":   {WithClientCredentials("T1234567", "id", "secret")},
		"empty secret":       {WithClientCredentials("T12345678", "id", "")},
		"nil http client":    {WithAPIKey("k"), WithHTTPClient(nil)},
		"relative base URL":  {WithAPIKey("k"), WithBaseURL("/v1")},
		"base URL with user": {WithAPIKey("k"), WithBaseURL("https://user:hunter2@checkout.dintero.com/v1")},
		"negative retries":   {WithAPIKey("k"), WithMaxRetries(-1)},
		"nil logger":         {WithAPIKey("k"), WithLogger(nil)},
		"nil option":         {WithAPIKey("k"), nil},
		"empty API key":      {WithAPIKey(" ")},
		"empty token":        {WithAccessToken("Bearer ")},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := New(opts...)
			require.ErrorIs(t, err, ErrInvalidInput)
			assert.Nil(t, c)
			assert.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestAPIKeyAuth(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, sessionJSON(testSessionID)) })
	c, err := New(WithBaseURL(api.URL()), WithAPIKey("key_123"))
	require.NoError(t, err)
	_, err = c.GetSession(context.Background(), testSessionID)
	require.NoError(t, err)
	got := api.recorded()[0]
	assert.Equal(t, "key_123", got.Header.Get("x-api-key"))
	assert.Empty(t, got.Header.Get("Authorization"))
}

// tokenServer fakes the token endpoint next to the sessions API.
type tokenServer struct {
	fetches   atomic.Int32
	expiresIn int
	rejected  sync.Map // token -> true: session calls with it get 401
}

func (ts *tokenServer) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == basePath+"/accounts/T12345678/auth/token" {
			n := ts.fetches.Add(1)
			assert.Equal(t, http.MethodPost, r.Method)
			assert.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("client-id:client-secret")), r.Header.Get("Authorization"))
			body, _ := io.ReadAll(r.Body)
			assert.JSONEq(t, `{"grant_type":"client_credentials","audience":"https://api.dintero.com/v1/accounts/T12345678"}`, string(body))
			writeJSON(w, 200, fmt.Sprintf(`{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ts.expiresIn))
			return
		}
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if _, bad := ts.rejected.Load(tok); bad || !strings.HasPrefix(tok, "tok-") {
			writeJSON(w, 401, `{"error":{"message":"Access forbidden, invalid JWT token was used"}}`)
			return
		}
		if r.Method == http.MethodPost {
			writeJSON(w, 200, `{"id":"`+testSessionID+`","url":"https://checkout.example/x"}`)
			return
		}
		writeJSON(w, 200, sessionJSON(testSessionID))
	}
}

func newCredentialsClient(t *testing.T, ts *tokenServer) (*Client, *fakeAPI) {
	t.Helper()
	api := newFakeAPI(t, ts.handler(t))
	c, err := New(WithBaseURL(api.URL()), WithClientCredentials("T12345678", "client-id", "client-secret"))
	require.NoError(t, err)
	fastRetries(c)
	return c, api
}

func TestClientCredentialsTokenIsFetchedOnceForConcurrentCalls(t *testing.T) {
	ts := &tokenServer{expiresIn: 3600}
	c, api := newCredentialsClient(t, ts)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := c.GetSession(context.Background(), testSessionID)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, ts.fetches.Load(), "one token fetch for 50 concurrent callers")
	for _, r := range api.recorded() {
		if strings.HasSuffix(r.Path, "/sessions/"+testSessionID) {
			assert.Equal(t, "Bearer tok-1", r.Header.Get("Authorization"))
		}
	}
}

func TestClientCredentialsTokenExpiry(t *testing.T) {
	ts := &tokenServer{expiresIn: 3600}
	c, api := newCredentialsClient(t, ts)
	var clk testClock
	c.tokens.now = clk.now
	ctx := context.Background()
	lastToken := func() string { // sent with the last session call
		var auth string
		for _, r := range api.recorded() {
			if strings.HasSuffix(r.Path, "/sessions/"+testSessionID) {
				auth = r.Header.Get("Authorization")
			}
		}
		return auth
	}

	_, err := c.GetSession(ctx, testSessionID)
	require.NoError(t, err)
	clk.set(55*time.Minute - time.Second) // within the token's life, outside the refresh margin
	_, err = c.GetSession(ctx, testSessionID)
	require.NoError(t, err)
	assert.EqualValues(t, 1, ts.fetches.Load(), "cached")

	clk.set(55 * time.Minute) // 5 minutes before expiry: refreshed early, in the background
	_, err = c.GetSession(ctx, testSessionID)
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-1", lastToken(), "the call did not wait for the refresh")
	waitForTokenFetch(c.tokens)
	assert.EqualValues(t, 2, ts.fetches.Load(), "refreshed before expires_in ran out")
	_, err = c.GetSession(ctx, testSessionID)
	require.NoError(t, err)
	assert.Equal(t, "Bearer tok-2", lastToken())
}

// waitForTokenFetch waits for the fetch s is running, if any.
func waitForTokenFetch(s *tokenSource) {
	s.mu.Lock()
	f := s.flight
	s.mu.Unlock()
	if f != nil {
		<-f.done
	}
}

func TestClientCredentialsRefetchOnceAfter401(t *testing.T) {
	ts := &tokenServer{expiresIn: 3600}
	c, api := newCredentialsClient(t, ts)
	ctx := context.Background()
	_, err := c.GetSession(ctx, testSessionID)
	require.NoError(t, err)

	ts.rejected.Store("tok-1", true) // revoked on Dintero's side
	_, err = c.GetSession(ctx, testSessionID)
	require.NoError(t, err, "a 401 fetches a new token and sends once more")
	assert.EqualValues(t, 2, ts.fetches.Load())
	reqs := api.recorded()
	assert.Equal(t, "Bearer tok-2", reqs[len(reqs)-1].Header.Get("Authorization"))

	// A create is re-sent after a 401 too: the server rejected it before doing anything.
	ts.rejected.Store("tok-2", true)
	_, err = c.CreateSession(ctx, createRequest())
	require.NoError(t, err)

	// A token that is rejected again ends in the 401, without looping.
	for i := 3; i < 10; i++ {
		ts.rejected.Store(fmt.Sprintf("tok-%d", i), true)
	}
	before := ts.fetches.Load()
	_, err = c.GetSession(ctx, testSessionID)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, before+1, ts.fetches.Load(), "exactly one refetch per call")
}

func TestTokenEndpointErrors(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error":{"code":"INVALID_CLIENT","message":"bad client credentials"}}`)
	})
	c, err := New(WithBaseURL(api.URL()), WithClientCredentials("T12345678", "client-id", "client-secret"))
	require.NoError(t, err)
	_, err = c.GetSession(context.Background(), testSessionID)
	var apiErr *APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "CreateAccessToken", apiErr.Operation)
	assert.Equal(t, "INVALID_CLIENT", apiErr.Code)
	assert.Len(t, api.recorded(), 1, "no session call without a token")
}

// TestRetryRules: reads, updates and cancel are retried on retryable statuses; the create calls
// are not, because the API has no idempotency key.
func TestRetryRules(t *testing.T) {
	ctx := context.Background()
	calls := map[string]struct {
		idempotent bool
		call       func(c *Client) error
	}{
		"GetSession": {true, func(c *Client) error { _, err := c.GetSession(ctx, testSessionID); return err }},
		"UpdateSession": {true, func(c *Client) error {
			_, err := c.UpdateSession(ctx, testSessionID, SessionUpdateRequest{})
			return err
		}},
		"CancelSession": {true, func(c *Client) error { _, err := c.CancelSession(ctx, testSessionID); return err }},
		"ListSessions":  {true, func(c *Client) error { _, err := c.ListSessions(ctx); return err }},
		"CreateSession": {false, func(c *Client) error { _, err := c.CreateSession(ctx, createRequest()); return err }},
		"CreateSessionFromProfile": {false, func(c *Client) error {
			_, err := c.CreateSessionFromProfile(ctx, SessionProfileCreateRequest{ProfileID: "p", URL: SessionURLs{ReturnURL: "https://x"}, Order: Order{Currency: "NOK", MerchantReference: "r"}})
			return err
		}},
		"CreatePaymentTokenSession": {false, func(c *Client) error {
			_, err := c.CreatePaymentTokenSession(ctx, PaymentTokenSessionRequest{
				Session:       PaymentTokenSession{Order: PaymentTokenOrder{Currency: "NOK", MerchantReference: "r"}, URL: SessionURLs{ReturnURL: "https://x"}},
				TokenProvider: TokenProvider{PaymentProductType: PayExCreditcard, TokenTypes: []TokenType{TokenTypePaymentToken}},
			})
			return err
		}},
	}
	for _, status := range []int{408, 429, 502, 503, 504} {
		for name, tc := range calls {
			t.Run(fmt.Sprintf("%s/%d", name, status), func(t *testing.T) {
				var n atomic.Int32
				api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) == 1 {
						writeJSON(w, status, `{"error":{"message":"try again"}}`)
						return
					}
					if r.URL.Path == basePath+"/sessions" && r.Method == http.MethodGet {
						writeJSON(w, 200, "[]")
						return
					}
					writeJSON(w, 200, sessionJSON(testSessionID))
				})
				c := newTestClient(t, api.URL())
				err := tc.call(c)
				if tc.idempotent {
					require.NoError(t, err)
					assert.EqualValues(t, 2, n.Load())
				} else {
					var apiErr *APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, status, apiErr.StatusCode)
					assert.EqualValues(t, 1, n.Load(), "a create is never sent twice")
				}
			})
		}
	}
	for _, status := range []int{400, 401, 403, 404, 409, 500} {
		t.Run(fmt.Sprintf("GetSession/%d is final", status), func(t *testing.T) {
			var n atomic.Int32
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				n.Add(1)
				writeJSON(w, status, `{"error":{"message":"no"}}`)
			})
			c := newTestClient(t, api.URL())
			_, err := c.GetSession(ctx, testSessionID)
			require.Error(t, err)
			assert.EqualValues(t, 1, n.Load())
		})
	}
	t.Run("MaxRetries is respected", func(t *testing.T) {
		var n atomic.Int32
		api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { n.Add(1); w.WriteHeader(503) })
		c := newTestClient(t, api.URL(), WithMaxRetries(3))
		_, err := c.GetSession(ctx, testSessionID)
		require.Error(t, err)
		assert.EqualValues(t, 4, n.Load())
	})
}

// roundTripFunc lets a test fail the connection itself.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCreateIsRetriedOnlyWhenNothingWasSent(t *testing.T) {
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"id":"`+testSessionID+`","url":"https://checkout.dintero.com/v1/view/`+testSessionID+`"}`)
	})
	for name, tc := range map[string]struct {
		failure   error
		wantCalls int32
		wantOK    bool
	}{
		"dial refused: retried":            {&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, 2, true},
		"reset after sending: not retried": {&net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}, 1, false},
	} {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if n.Add(1) == 1 {
					return nil, tc.failure
				}
				return http.DefaultTransport.RoundTrip(r)
			})}
			c := newTestClient(t, api.URL(), WithHTTPClient(hc))
			_, err := c.CreateSession(context.Background(), createRequest())
			assert.Equal(t, tc.wantOK, err == nil, "%v", err)
			assert.Equal(t, tc.wantCalls, n.Load())
		})
	}
}

func TestContextEndsTheCall(t *testing.T) {
	release := make(chan struct{})
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release)
	c := newTestClient(t, api.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.GetSession(ctx, testSessionID)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, api.recorded(), 1, "a hung call is not retried past the deadline")
}

// pagedAPI serves n sessions, newest first, honouring limit and starting_after.
func pagedAPI(t *testing.T, n int, failPage int) (*fakeAPI, *atomic.Int32) {
	var pages atomic.Int32
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("T12345678.s%05d", i)
	}
	api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		page := pages.Add(1)
		if int(page) == failPage {
			writeJSON(w, 500, `{"error":{"message":"boom"}}`)
			return
		}
		q := r.URL.Query()
		limit, _ := strconv.Atoi(q.Get("limit"))
		start := 0
		if after := q.Get("starting_after"); after != "" {
			for i, id := range ids {
				if id == after {
					start = i + 1
				}
			}
		}
		end := min(start+limit, n)
		var parts []string
		for _, id := range ids[start:end] {
			parts = append(parts, `{"id":"`+id+`"}`)
		}
		writeJSON(w, 200, "["+strings.Join(parts, ",")+"]")
	})
	return api, &pages
}

func TestSessionsWalksEveryPage(t *testing.T) {
	api, pages := pagedAPI(t, 250, 0)
	c := newTestClient(t, api.URL())
	params := []ListOption{StoreIDs("store-1")}
	var got []string
	for s, err := range c.Sessions(context.Background(), params...) {
		require.NoError(t, err)
		got = append(got, *s.ID)
	}
	require.Len(t, got, 250)
	assert.Equal(t, "T12345678.s00000", got[0])
	assert.Equal(t, "T12345678.s00249", got[249])
	assert.EqualValues(t, 3, pages.Load(), "100 + 100 + 50: the short page ends the walk")
	reqs := api.recorded()
	assert.Equal(t, "limit=100&store_id=store-1", sortedQuery(t, reqs[0].Query))
	assert.Equal(t, "limit=100&starting_after=T12345678.s00099&store_id=store-1", sortedQuery(t, reqs[1].Query))
	assert.Equal(t, "limit=100&starting_after=T12345678.s00199&store_id=store-1", sortedQuery(t, reqs[2].Query))
	assert.Len(t, params, 1, "the caller's options are not changed")
}

func TestSessionsExactMultipleAndEarlyStop(t *testing.T) {
	api, pages := pagedAPI(t, 20, 0)
	c := newTestClient(t, api.URL())
	count := 0
	for _, err := range c.Sessions(context.Background(), Limit(10)) {
		require.NoError(t, err)
		count++
	}
	assert.Equal(t, 20, count)
	assert.EqualValues(t, 3, pages.Load(), "a full last page needs one more (empty) page to know it was the last")

	pages.Store(0)
	for _, err := range c.Sessions(context.Background(), Limit(10)) {
		require.NoError(t, err)
		break
	}
	assert.EqualValues(t, 1, pages.Load(), "breaking out of the loop stops fetching")
}

func TestSessionsYieldsAnErrorOnceAndStops(t *testing.T) {
	api, pages := pagedAPI(t, 250, 2)
	c := newTestClient(t, api.URL(), WithMaxRetries(0))
	var seen, errs int
	for _, err := range c.Sessions(context.Background()) {
		if err != nil {
			errs++
			var apiErr *APIError
			assert.ErrorAs(t, err, &apiErr)
			continue
		}
		seen++
	}
	assert.Equal(t, 100, seen)
	assert.Equal(t, 1, errs)
	assert.EqualValues(t, 2, pages.Load())
}

// TestNoSecretLeaks drives the failure paths with every secret configured and checks that no
// error text, formatted value or debug log line shows one.
func TestNoSecretLeaks(t *testing.T) {
	const clientSecret, accessToken, apiKey = "cs_SUPERSECRET_1", "at_SUPERSECRET_2", "ak_SUPERSECRET_3"
	secrets := []string{clientSecret, accessToken, apiKey, base64.StdEncoding.EncodeToString([]byte("client-id:" + clientSecret))}
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var outputs []string
	check := func(values ...any) {
		for _, v := range values {
			outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v))
		}
	}
	tokenFails := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 401, `{"error":{"message":"bad credentials"}}`)
	})
	fails := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 500, `{"error":{"message":"boom"}}`) })
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL + basePath
	closed.Close()

	for _, auth := range []Option{
		WithClientCredentials("T12345678", "client-id", clientSecret), WithAccessToken(accessToken), WithAPIKey(apiKey),
	} {
		for _, url := range []string{tokenFails.URL(), fails.URL(), closedURL} {
			c, err := New(auth, WithBaseURL(url), WithLogger(logger), WithMaxRetries(1))
			require.NoError(t, err)
			fastRetries(c)
			_, err = c.GetSession(context.Background(), testSessionID)
			require.Error(t, err)
			_, err2 := c.CreateSession(context.Background(), createRequest())
			check(err, err2, c, *c)
		}
	}
	outputs = append(outputs, logs.String())
	require.Contains(t, logs.String(), "dintero:", "debug logging was on")
	for _, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
	}
}
