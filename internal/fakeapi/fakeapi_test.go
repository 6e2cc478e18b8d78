package fakeapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateRoutesAndExplains(t *testing.T) {
	v, err := NewValidator("dintero-checkout.yaml", "/v1")
	require.NoError(t, err)
	const okBody = `{"url":{"return_url":"https://shop.example/r"},"order":{"amount":100,"currency":"NOK","merchant_reference":"a"},"configuration":{}}`
	tests := []struct {
		name, method, target, body string
		wantOp                     string
		wantErr                    []string // substrings of the error, all required
		wantSentinel               error
	}{
		{name: "valid create", method: "POST", target: "/v1/sessions", body: okBody, wantOp: "createSession"},
		{name: "any host", method: "GET", target: "http://checkout.dintero.com/v1/sessions/T12345678.abc", wantOp: "getSession"},
		{name: "path with servers of its own", method: "POST", target: "/v1/accounts/T12345678/auth/token",
			body: `{"grant_type":"client_credentials","audience":"https://api.dintero.com/v1/accounts/T12345678"}`, wantOp: "createAccessToken"},
		{name: "repeated query keys", method: "GET", target: "/v1/sessions?limit=5&id=a&id=b", wantOp: "listSessions"},
		{name: "wrong type and missing field named by pointer", method: "POST", target: "/v1/sessions",
			body:   `{"url":{"return_url":"https://shop.example/r"},"order":{"amount":"100","currency":"NOK"},"configuration":{}}`,
			wantOp: "createSession", wantErr: []string{"value must be an integer at /order/amount", `property "merchant_reference" is missing at /order/merchant_reference`}},
		{name: "truncated JSON", method: "POST", target: "/v1/sessions", body: `{"url":`, wantOp: "createSession",
			wantErr: []string{"request body: failed to decode request body: unexpected EOF"}},
		{name: "query parameter out of range", method: "GET", target: "/v1/sessions?limit=500", wantOp: "listSessions",
			wantErr: []string{`query parameter "limit": number must be at most 100`}},
		{name: "unknown path", method: "GET", target: "/v1/nope", wantSentinel: ErrNoRoute},
		{name: "path outside the base", method: "GET", target: "/sessions", wantSentinel: ErrNoRoute},
		{name: "method not allowed", method: "DELETE", target: "/v1/sessions/T12345678.abc", wantSentinel: ErrMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			route, err := v.Validate(r)
			if tt.wantSentinel != nil {
				require.ErrorIs(t, err, tt.wantSentinel)
				assert.Nil(t, route)
				return
			}
			require.NotNil(t, route)
			assert.Equal(t, tt.wantOp, route.OperationID)
			assert.Equal(t, tt.body, string(route.Body))
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				rest, _ := io.ReadAll(r.Body)
				assert.Equal(t, tt.body, string(rest), "the body stays readable for the handler")
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
			assert.NotContains(t, err.Error(), "\n", "one line, no schema dump")
		})
	}
}

func TestValidateRefusesHugeBody(t *testing.T) {
	v, err := NewValidator("dintero-checkout.yaml", "/v1")
	require.NoError(t, err)
	r := httptest.NewRequest("POST", "/v1/sessions", strings.NewReader(strings.Repeat(" ", MaxRequestBody+1)))
	_, err = v.Validate(r)
	require.ErrorContains(t, err, "larger than")
}

func TestCheckResponse(t *testing.T) {
	v, err := NewValidator("cyberflex.yaml", "")
	require.NoError(t, err)
	r := httptest.NewRequest("GET", "/flex/v2/public-keys/ab", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	require.NoError(t, v.CheckResponse(r, 200, h, []byte(`{"kty":"RSA","kid":"ab","use":"enc","n":"AQAB","e":"AQAB"}`)))
	err = v.CheckResponse(r, 200, h, []byte(`{"kty":5}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/kty")
	post := httptest.NewRequest("POST", "/flex/v2/sessions", nil)
	assert.Error(t, v.CheckResponse(post, 418, h, []byte(`{}`)), "a status the operation does not declare")
}

func TestNewValidatorUnknownFile(t *testing.T) {
	_, err := NewValidator("nope.yaml", "")
	assert.Error(t, err)
}

func TestFaultsQueuePerOperation(t *testing.T) {
	q := NewFaults(map[string]string{"getThing": "Get", "createThing": "Create"})
	require.NoError(t, q.Inject("Get", Fault{Status: 503, Times: 2}))
	require.NoError(t, q.Inject("Get", Fault{Status: 429}))
	require.NoError(t, q.Inject("Create", Fault{Drop: true}))

	var got []int
	for range 5 {
		f, ok := q.Next("Get")
		if !ok {
			got = append(got, 0)
			continue
		}
		got = append(got, f.Status)
	}
	assert.Equal(t, []int{503, 503, 429, 0, 0}, got)
	assert.Equal(t, 5, q.Calls("Get"))
	assert.Equal(t, 0, q.Calls("Create"))

	q.Reset()
	_, ok := q.Next("Create")
	assert.False(t, ok, "Reset drops queued faults")
	assert.Equal(t, 1, q.Calls("Create"), "calls still counted")
	require.NoError(t, q.Inject("Create", Fault{Status: 500}))
	f, ok := q.Next("Create")
	assert.True(t, ok && f.Status == 500, "faults can be injected again after Reset")
}

func TestFaultsRefuseUnknownOperations(t *testing.T) {
	q := NewFaults(map[string]string{"getThing": "Get"})
	err := q.Inject("get", Fault{Status: 503})
	require.EqualError(t, err, `unknown operation "get"`)
	_, ok := q.Next("get")
	assert.False(t, ok, "nothing was queued")
	assert.Equal(t, 0, q.Calls("Get"))
}

func TestConfigure(t *testing.T) {
	type config struct{ n int }
	type option func(*config) error
	add := func(n int) option { return func(c *config) error { c.n += n; return nil } }
	bad := option(func(*config) error { return errors.New("WithX: -1 is negative") })

	var c config
	Configure("faketest", &c, []option{add(1), add(2)})
	assert.Equal(t, 3, c.n, "options apply in order")

	assert.PanicsWithValue(t, "faketest: NewServer: WithX: -1 is negative", func() {
		Configure("faketest", &c, []option{add(1), bad})
	})
	assert.PanicsWithValue(t, "faketest: NewServer: nil Option", func() {
		Configure("faketest", &c, []option{nil})
	})
}

func jsonError(status int) (string, []byte) {
	return "application/json", []byte(`{"error":"` + http.StatusText(status) + `"}`)
}

func TestApply(t *testing.T) {
	t.Run("zero fault answers normally", func(t *testing.T) {
		w := httptest.NewRecorder()
		assert.False(t, Apply(w, httptest.NewRequest("GET", "/", nil), Fault{}, jsonError))
	})
	t.Run("status with default body and extra header", func(t *testing.T) {
		w := httptest.NewRecorder()
		done := Apply(w, httptest.NewRequest("GET", "/", nil), Fault{Status: 429, Header: http.Header{"Retry-After": {"3"}}}, jsonError)
		assert.True(t, done)
		assert.Equal(t, 429, w.Code)
		assert.Equal(t, "3", w.Header().Get("Retry-After"))
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		assert.JSONEq(t, `{"error":"Too Many Requests"}`, w.Body.String())
	})
	t.Run("status with own body", func(t *testing.T) {
		w := httptest.NewRecorder()
		Apply(w, httptest.NewRequest("GET", "/", nil), Fault{Status: 500, Body: "<html>oops</html>", Header: http.Header{"Content-Type": {"text/html"}}}, jsonError)
		assert.Equal(t, "<html>oops</html>", w.Body.String())
		assert.Equal(t, "text/html", w.Header().Get("Content-Type"))
	})
	t.Run("delay ends when the client gives up", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w := httptest.NewRecorder()
		start := time.Now()
		done := Apply(w, httptest.NewRequest("GET", "/", nil).WithContext(ctx), Fault{Delay: time.Hour, Status: 200}, jsonError)
		assert.True(t, done)
		assert.Less(t, time.Since(start), time.Minute)
		assert.Empty(t, w.Body.String(), "nothing is written for a client that left")
	})
	t.Run("drop closes the connection without an answer", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			Apply(w, r, Fault{Drop: true}, jsonError)
		}))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err)
		assert.True(t, errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"), err.Error())
	})
}

// kin-openapi lets unknown formats pass; WithStringFormats makes a Validator check them, and only
// that Validator.
func TestWithStringFormats(t *testing.T) {
	currency := func(s string) error {
		if len(s) != 3 || strings.ToUpper(s) != s {
			return errors.New("not three upper-case letters")
		}
		return nil
	}
	strict, err := NewValidator("dintero-checkout.yaml", "/v1", WithStringFormats(map[string]func(string) error{"iso4217-code": currency}))
	require.NoError(t, err)
	lax, err := NewValidator("dintero-checkout.yaml", "/v1")
	require.NoError(t, err)
	const body = `{"url":{"return_url":"https://shop.example/r"},"order":{"amount":100,"currency":"KRONER","merchant_reference":"a"},"configuration":{}}`
	request := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/v1/sessions", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	_, err = strict.Validate(request())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `string doesn't match the format "iso4217-code" (not three upper-case letters) at /order/currency`)
	_, err = lax.Validate(request())
	assert.NoError(t, err, "the other Validator does not check the format")
}
