package dintero_test

// The fault suite: the client against servers that fail in every way a network and a vendor can,
// each row asserting the exact outcome (the value or the error type), how many requests the
// server received, and that a create call is never sent twice once it may have reached Dintero.
//
// Three tables, by what the fault needs:
//   - TestFaultsInjected: faults the fake injects (statuses, bodies, delays, dropped connections);
//   - TestFaultsOnTheWire: faults only a raw server can produce (nothing listening, a body cut
//     off mid-way, a redirect to another host);
//   - TestFaultsRetryAfter: Retry-After waits, on a fake clock (testing/synctest), so a 7 s
//     wait is asserted to the nanosecond without taking 7 s.
//
// Waits between retries are shortened to microseconds by FaultSuiteFastRetries
// (faults_internal_test.go); the number of retries is the client's default (2) unless a row
// says otherwise.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/wiretest"
)

// fltHTML is what a proxy in front of an API answers with.
const fltHTML = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n" +
	"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// fltFuture is a session as a later Dintero might answer it: unknown fields at several depths
// and enum values the SDK has never heard of.
const fltFuture = `{"id":"T12345678.future1","created_at":"2026-11-21T10:00:00Z",` +
	`"url":{"return_url":"https://shop.example/return","future_url":"https://x"},` +
	`"order":{"amount":100,"currency":"NOK","merchant_reference":"r-1","future_order_field":[1,2]},` +
	`"configuration":{"channel":"in_orbit","future_provider":{"enabled":true}},` +
	`"payment_operation":"teleport_purchase",` +
	`"events":[{"name":"TELEPORTED","created_at":"2026-11-21T10:00:01Z","future_event_field":"x"}],` +
	`"future_top_level":{"nested":true}}`

func fltOrder(ref string) dintero.SessionCreateRequest {
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 5000, Currency: "NOK", MerchantReference: ref, Items: []dintero.OrderItem{{
			LineID: dintero.Ptr("1"), Description: dintero.Ptr("Item"), Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(int64(5000)), VAT: dintero.Ptr(25.0),
		}}},
		Configuration: dintero.SessionConfiguration{},
	}
}

// fltNewClient returns a client of baseURL with auth, waits between retries shortened.
func fltNewClient(t *testing.T, baseURL string, auth dintero.Option, opts ...dintero.Option) *dintero.Client {
	t.Helper()
	c, err := dintero.New(append([]dintero.Option{auth, dintero.WithBaseURL(baseURL)}, opts...)...)
	require.NoError(t, err)
	dintero.FaultSuiteFastRetries(c)
	return c
}

// fltCall is one client call of a row; id is a session the server knows.
type fltCall struct {
	name string
	do   func(ctx context.Context, c *dintero.Client, id string) (any, error)
}

var (
	fltGet = fltCall{"GetSession", func(ctx context.Context, c *dintero.Client, id string) (any, error) {
		return c.GetSession(ctx, id)
	}}
	fltCreate = fltCall{"CreateSession", func(ctx context.Context, c *dintero.Client, _ string) (any, error) {
		return c.CreateSession(ctx, fltOrder("flt-create"))
	}}
	fltList = fltCall{"ListSessions", func(ctx context.Context, c *dintero.Client, _ string) (any, error) {
		return c.ListSessions(ctx, dintero.Limit(10))
	}}
	fltCancel = fltCall{"CancelSession", func(ctx context.Context, c *dintero.Client, id string) (any, error) {
		return c.CancelSession(ctx, id)
	}}
)

// Outcome checks.

// fltWantSession wants a session with id.
func fltWantSession(t *testing.T, got any, err error, id string) {
	t.Helper()
	require.NoError(t, err)
	s, ok := got.(*dintero.Session)
	require.True(t, ok, "got %T", got)
	require.NotNil(t, s.ID)
	assert.Equal(t, id, *s.ID)
}

// fltWantAPIError wants an *APIError of op with status, and a one-line, bounded message.
func fltWantAPIError(t *testing.T, err error, op string, status int) *dintero.APIError {
	t.Helper()
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, op, apiErr.Operation)
	assert.LessOrEqual(t, len(apiErr.Body), httpx.MaxBodySize, "the body is read through the limit")
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.Less(t, len(msg), 400, "an error message stays short whatever the body: %.500s", msg)
	assert.Contains(t, msg, fmt.Sprintf("%d %s", status, http.StatusText(status)))
	return apiErr
}

// fltWantTransportError wants an error that is not an *APIError, names op, and wraps target
// (unless target is nil).
func fltWantTransportError(t *testing.T, err error, op string, target error) {
	t.Helper()
	require.Error(t, err)
	var apiErr *dintero.APIError
	assert.NotErrorAs(t, err, &apiErr, "not an API answer")
	if target != nil {
		assert.ErrorIs(t, err, target)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "dintero: "+op+": "), "error names the call: %v", err)
	assert.NotErrorIs(t, err, dintero.ErrInvalidInput, "a fault is not invalid input")
}

// TestFaultsInjected runs each fault the fake can inject against the calls it matters for. Every
// row gets a fresh fake and a fresh client, so no connection is reused from an earlier row (a
// reused connection lets net/http replay a GET on its own, which would blur the counts).
func TestFaultsInjected(t *testing.T) {
	type injection struct {
		op    dinterotest.Operation
		fault dinterotest.Fault
	}
	const (
		get    = dinterotest.OpGetSession
		create = dinterotest.OpCreateSession
		token  = dinterotest.OpCreateAccessToken
	)
	status := func(code int, times int, header ...string) dinterotest.Fault {
		f := dinterotest.Fault{Status: code, Times: times}
		if len(header) == 2 {
			f.Header = http.Header{header[0]: {header[1]}}
		}
		return f
	}
	body := func(code int, contentType, b string) dinterotest.Fault {
		return dinterotest.Fault{Status: code, Body: b, Header: http.Header{"Content-Type": {contentType}}}
	}
	oversizedJSON := "[" + strings.Repeat(" ", httpx.MaxBodySize) + "]" // valid JSON, one byte over the limit
	oversizedError := `{"error":{"message":"` + strings.Repeat("x", httpx.MaxBodySize+1) + `"}}`
	pastDate := "Sun, 06 Nov 1994 08:49:37 GMT"

	tests := []struct {
		name        string
		call        fltCall
		inject      []injection
		credentials bool          // client credentials instead of an API key
		timeout     time.Duration // context deadline of the call; 0 means none
		noRetries   bool          // WithMaxRetries(0)
		want        map[dinterotest.Operation]int
		check       func(t *testing.T, id string, got any, err error)
	}{
		// Dropped connections: the request may have been processed, so only a call that is safe
		// to repeat is sent again.
		{
			name: "get: connection dropped once, then answered", call: fltGet,
			inject: []injection{{get, dinterotest.Fault{Drop: true}}},
			want:   map[dinterotest.Operation]int{get: 2},
			check:  func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: connection dropped on every attempt", call: fltGet,
			inject: []injection{{get, dinterotest.Fault{Drop: true, Times: 3}}},
			want:   map[dinterotest.Operation]int{get: 3},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "GetSession", io.EOF)
			},
		},
		{
			name: "create: connection dropped after sending is never repeated", call: fltCreate,
			inject: []injection{{create, dinterotest.Fault{Drop: true}}},
			want:   map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "CreateSession", io.EOF)
			},
		},
		// The server hangs: the caller's deadline ends the call, and nothing is retried after it.
		{
			name: "get: server hangs, the deadline ends the call", call: fltGet, timeout: 50 * time.Millisecond,
			inject: []injection{{get, dinterotest.Fault{Delay: time.Hour, Times: 3}}},
			want:   map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "GetSession", context.DeadlineExceeded)
			},
		},
		{
			name: "create: server hangs, the deadline ends the call", call: fltCreate, timeout: 50 * time.Millisecond,
			inject: []injection{{create, dinterotest.Fault{Delay: time.Hour, Times: 3}}},
			want:   map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "CreateSession", context.DeadlineExceeded)
			},
		},
		{
			name: "token endpoint hangs, the deadline ends the call", call: fltGet, credentials: true, timeout: 50 * time.Millisecond,
			// One hung answer only: the fetch goes on without the caller (others may wait for
			// it), and when the cleanup cuts its connection it retries, which must not hang too.
			inject: []injection{{token, dinterotest.Fault{Delay: time.Hour}}},
			want:   map[dinterotest.Operation]int{token: 1, get: 0},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "GetSession", context.DeadlineExceeded)
			},
		},
		// Bursts of "try again later", then success.
		{
			name: "get: two 502s, then answered", call: fltGet, inject: []injection{{get, status(502, 2)}},
			want:  map[dinterotest.Operation]int{get: 3},
			check: func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: two 503s, then answered", call: fltGet, inject: []injection{{get, status(503, 2)}},
			want:  map[dinterotest.Operation]int{get: 3},
			check: func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: two 504s, then answered", call: fltGet, inject: []injection{{get, status(504, 2)}},
			want:  map[dinterotest.Operation]int{get: 3},
			check: func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "list: a 502, a 504, then answered", call: fltList,
			inject: []injection{{dinterotest.OpListSessions, status(502, 1)}, {dinterotest.OpListSessions, status(504, 1)}},
			want:   map[dinterotest.Operation]int{dinterotest.OpListSessions: 3},
			check: func(t *testing.T, id string, got any, err error) {
				require.NoError(t, err)
				page := got.([]dintero.Session)
				require.Len(t, page, 1)
				assert.Equal(t, id, *page[0].ID)
			},
		},
		{
			name: "cancel: a 503, then answered", call: fltCancel, inject: []injection{{dinterotest.OpCancelSession, status(503, 1)}},
			want: map[dinterotest.Operation]int{dinterotest.OpCancelSession: 2},
			check: func(t *testing.T, id string, got any, err error) {
				require.NoError(t, err)
				assert.NotNil(t, got.(*dintero.Session).CancelledAt)
			},
		},
		{
			name: "get: 503 outlasts the retries", call: fltGet, inject: []injection{{get, status(503, 5)}},
			want: map[dinterotest.Operation]int{get: 3},
			check: func(t *testing.T, _ string, got any, err error) {
				apiErr := fltWantAPIError(t, err, "GetSession", 503)
				assert.Equal(t, "SERVICE_UNAVAILABLE", apiErr.Code, "the last answer's body is decoded")
			},
		},
		{
			name: "get: retries switched off", call: fltGet, inject: []injection{{get, status(502, 1)}}, noRetries: true,
			want:  map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "GetSession", 502) },
		},
		{
			name: "create: 502 is not retried", call: fltCreate, inject: []injection{{create, status(502, 3)}},
			want:  map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateSession", 502) },
		},
		{
			name: "create: 503 is not retried", call: fltCreate, inject: []injection{{create, status(503, 3)}},
			want:  map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateSession", 503) },
		},
		{
			name: "create: 504 is not retried", call: fltCreate, inject: []injection{{create, status(504, 3)}},
			want:  map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateSession", 504) },
		},
		{
			name: "token endpoint: two 503s, then a token", call: fltGet, credentials: true, inject: []injection{{token, status(503, 2)}},
			want:  map[dinterotest.Operation]int{token: 3, get: 1},
			check: func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "token endpoint: 503 outlasts the retries, no session call is made", call: fltCreate, credentials: true,
			inject: []injection{{token, status(503, 5)}},
			want:   map[dinterotest.Operation]int{token: 3, create: 0},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantAPIError(t, err, "CreateAccessToken", 503)
				assert.True(t, strings.HasPrefix(err.Error(), "dintero: CreateSession: "), "names the call: %v", err)
			},
		},
		// 429 with Retry-After values that do not make the test wait (the waits themselves are
		// in TestFaultsRetryAfter).
		{
			name: "get: 429 with Retry-After: 0 is retried", call: fltGet, inject: []injection{{get, status(429, 1, "Retry-After", "0")}},
			want:  map[dinterotest.Operation]int{get: 2},
			check: func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: 429 with a Retry-After date already past is retried", call: fltGet,
			inject: []injection{{get, status(429, 1, "Retry-After", pastDate)}},
			want:   map[dinterotest.Operation]int{get: 2},
			check:  func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: 429 with a malformed Retry-After falls back to the backoff", call: fltGet,
			inject: []injection{{get, status(429, 1, "Retry-After", "soon")}},
			want:   map[dinterotest.Operation]int{get: 2},
			check:  func(t *testing.T, id string, got any, err error) { fltWantSession(t, got, err, id) },
		},
		{
			name: "get: 429 asking for an hour is returned at once", call: fltGet,
			inject: []injection{{get, status(429, 3, "Retry-After", "3600")}},
			want:   map[dinterotest.Operation]int{get: 1},
			check:  func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "GetSession", 429) },
		},
		{
			name: "create: 429 is not retried, whatever Retry-After says", call: fltCreate,
			inject: []injection{{create, status(429, 3, "Retry-After", "0")}},
			want:   map[dinterotest.Operation]int{create: 1},
			check:  func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateSession", 429) },
		},
		{
			name: "token endpoint: 429 with Retry-After: 0, then a token", call: fltCreate, credentials: true,
			inject: []injection{{token, status(429, 1, "Retry-After", "0")}},
			want:   map[dinterotest.Operation]int{token: 2, create: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				require.NoError(t, err)
				assert.NotEmpty(t, *got.(*dintero.SessionCreated).ID)
			},
		},
		// Error answers that are final.
		{
			name: "get: 500 with an HTML body", call: fltGet, inject: []injection{{get, body(500, "text/html", fltHTML)}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				apiErr := fltWantAPIError(t, err, "GetSession", 500)
				assert.Equal(t, fltHTML, string(apiErr.Body), "the raw body is kept")
				assert.Empty(t, apiErr.Code)
				assert.Empty(t, apiErr.Message)
				assert.Contains(t, err.Error(), `unexpected body "<html> <head><title>500 Internal Server Error</title></head>`)
			},
		},
		{
			name: "create: 500 with an HTML body", call: fltCreate, inject: []injection{{create, body(500, "text/html", fltHTML)}},
			want:  map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateSession", 500) },
		},
		{
			name: "get: 500 with a body larger than the limit", call: fltGet, inject: []injection{{get, body(500, "application/json", oversizedError)}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				apiErr := fltWantAPIError(t, err, "GetSession", 500)
				assert.Len(t, apiErr.Body, httpx.MaxBodySize, "the body is cut at the limit")
				assert.Equal(t, oversizedError[:100], string(apiErr.Body[:100]))
				assert.Empty(t, apiErr.Message, "a cut body is not decoded")
			},
		},
		{
			name: "get: 404 in Dintero's shape", call: fltGet, inject: []injection{{get, body(404, "application/json", `{"error":{"code":"NOT FOUND","message":"Session not found"}}`)}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				apiErr := fltWantAPIError(t, err, "GetSession", 404)
				assert.Equal(t, "NOT FOUND", apiErr.Code)
				assert.Equal(t, "Session not found", apiErr.Message)
			},
		},
		{
			name: "token endpoint: 401 is final, no session call is made", call: fltGet, credentials: true, inject: []injection{{token, status(401, 3)}},
			want:  map[dinterotest.Operation]int{token: 1, get: 0},
			check: func(t *testing.T, _ string, got any, err error) { fltWantAPIError(t, err, "CreateAccessToken", 401) },
		},
		// 2xx answers the client cannot use.
		{
			name: "get: 200 with truncated JSON", call: fltGet,
			inject: []injection{{get, body(200, "application/json", `{"id":"T12345678.abc","order":{"amount":1`)}},
			want:   map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				var syntaxErr *json.SyntaxError
				require.ErrorAs(t, err, &syntaxErr)
				fltWantTransportError(t, err, "GetSession", nil)
				assert.Contains(t, err.Error(), `decoding the HTTP 200 answer (41 bytes, Content-Type "application/json"): unexpected end of JSON input`)
				assert.Nil(t, got.(*dintero.Session))
			},
		},
		{
			name: "create: 200 with truncated JSON is not sent again", call: fltCreate,
			inject: []injection{{create, body(200, "application/json", `{"id":"T12345678.abc","url":"https://chec`)}},
			want:   map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				var syntaxErr *json.SyntaxError
				require.ErrorAs(t, err, &syntaxErr)
				assert.Contains(t, err.Error(), "dintero: CreateSession: decoding the HTTP 200 answer")
			},
		},
		{
			name: "token endpoint: 200 with truncated JSON", call: fltGet, credentials: true,
			inject: []injection{{token, body(200, "application/json", `{"access_token":"eyJ`)}},
			want:   map[dinterotest.Operation]int{token: 1, get: 0},
			check: func(t *testing.T, _ string, got any, err error) {
				var syntaxErr *json.SyntaxError
				require.ErrorAs(t, err, &syntaxErr)
				assert.Contains(t, err.Error(), "dintero: GetSession: fetching access token: dintero: CreateAccessToken: decoding the HTTP 200 answer")
			},
		},
		{
			name: "token endpoint: 200 without a token", call: fltGet, credentials: true,
			inject: []injection{{token, body(200, "application/json", `{"token_type":"Bearer","expires_in":3600}`)}},
			want:   map[dinterotest.Operation]int{token: 1, get: 0},
			check: func(t *testing.T, _ string, got any, err error) {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "has an empty access token")
			},
		},
		{
			name: "get: 200 with a body larger than the limit", call: fltGet, inject: []injection{{get, body(200, "application/json", oversizedJSON)}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "GetSession", httpx.ErrBodyTooLarge)
				assert.Equal(t, fmt.Sprintf("dintero: GetSession: HTTP 200 answer: response body too large: more than %d bytes", httpx.MaxBodySize), err.Error())
			},
		},
		{
			name: "list: 200 with a body larger than the limit", call: fltList,
			inject: []injection{{dinterotest.OpListSessions, body(200, "application/json", oversizedJSON)}},
			want:   map[dinterotest.Operation]int{dinterotest.OpListSessions: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				fltWantTransportError(t, err, "ListSessions", httpx.ErrBodyTooLarge)
			},
		},
		{
			name: "get: 200 with an HTML page (wrong content type)", call: fltGet, inject: []injection{{get, body(200, "text/html; charset=utf-8", "<html>maintenance</html>")}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				var syntaxErr *json.SyntaxError
				require.ErrorAs(t, err, &syntaxErr)
				assert.Equal(t, `dintero: GetSession: decoding the HTTP 200 answer (24 bytes, Content-Type "text/html; charset=utf-8"): invalid character '<' looking for beginning of value`, err.Error())
			},
		},
		{
			name: "get: 200 JSON labelled text/plain is still read", call: fltGet,
			inject: []injection{{get, body(200, "text/plain", `{"id":"T12345678.plain","order":{"amount":1,"currency":"NOK","merchant_reference":"p"}}`)}},
			want:   map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				require.NoError(t, err)
				assert.Equal(t, "T12345678.plain", *got.(*dintero.Session).ID)
			},
		},
		{
			name: "get: 200 with a JSON value of the wrong type", call: fltGet, inject: []injection{{get, body(200, "application/json", `{"id":42}`)}},
			want: map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				var typeErr *json.UnmarshalTypeError
				require.ErrorAs(t, err, &typeErr)
				assert.Equal(t, "id", typeErr.Field)
			},
		},
		// Unknown enum values and unknown fields: kept, not failed.
		{
			name: "get: unknown fields and enum values", call: fltCall{"GetSession", func(ctx context.Context, c *dintero.Client, _ string) (any, error) {
				var raw []byte
				s, err := c.GetSession(ctx, "T12345678.future1", dintero.RawResponse(&raw))
				return [2]any{s, raw}, err
			}},
			inject: []injection{{get, body(200, "application/json", fltFuture)}},
			want:   map[dinterotest.Operation]int{get: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				require.NoError(t, err)
				s, raw := got.([2]any)[0].(*dintero.Session), got.([2]any)[1].([]byte)
				fltCheckFuture(t, s)
				assert.Equal(t, fltFuture, string(raw), "RawResponse keeps every field, byte for byte")
			},
		},
		{
			name: "create: unknown fields and enum values in the created session", call: fltCall{"CreateSession", func(ctx context.Context, c *dintero.Client, _ string) (any, error) {
				var raw []byte
				s, err := c.CreateSession(ctx, fltOrder("flt-future"), dintero.IncludeSession(), dintero.RawResponse(&raw))
				return [2]any{s, raw}, err
			}},
			inject: []injection{{create, body(200, "application/json",
				`{"id":"T12345678.future1","url":"https://checkout.example/view","future_created_field":{"a":1},"session":`+fltFuture+`}`)}},
			want: map[dinterotest.Operation]int{create: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				require.NoError(t, err)
				created, raw := got.([2]any)[0].(*dintero.SessionCreated), got.([2]any)[1].([]byte)
				assert.Equal(t, "https://checkout.example/view", *created.URL)
				require.NotNil(t, created.Session)
				fltCheckFuture(t, created.Session)
				assert.Contains(t, string(raw), `"future_created_field":{"a":1}`)
				assert.Contains(t, string(raw), `"future_top_level":{"nested":true}`)
			},
		},
		{
			name: "list: unknown fields and enum values in a page", call: fltCall{"ListSessions", func(ctx context.Context, c *dintero.Client, _ string) (any, error) {
				var raw []byte
				page, err := c.ListSessions(ctx, dintero.RawResponse(&raw))
				return [2]any{page, raw}, err
			}},
			inject: []injection{{dinterotest.OpListSessions, body(200, "application/json", "["+fltFuture+","+fltFuture+"]")}},
			want:   map[dinterotest.Operation]int{dinterotest.OpListSessions: 1},
			check: func(t *testing.T, _ string, got any, err error) {
				require.NoError(t, err)
				page, raw := got.([2]any)[0].([]dintero.Session), got.([2]any)[1].([]byte)
				require.Len(t, page, 2)
				fltCheckFuture(t, &page[1])
				assert.Equal(t, "["+fltFuture+","+fltFuture+"]", string(raw))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := dinterotest.NewServer()
			t.Cleanup(srv.Close)
			// Cleanups run last first: drop the connections of calls that gave up (a detached
			// token fetch still waiting on a hung server) so that Close need not wait for them.
			t.Cleanup(srv.HTTPServer().CloseClientConnections)
			seeded := srv.AddSession(dintero.Session{
				Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "seeded"},
				URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			})
			auth := dintero.WithAPIKey(dinterotest.DefaultAPIKey)
			if tt.credentials {
				auth = dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret)
			}
			var opts []dintero.Option
			if tt.noRetries {
				opts = append(opts, dintero.WithMaxRetries(0))
			}
			c := fltNewClient(t, srv.URL, auth, opts...)
			for _, in := range tt.inject {
				srv.Inject(in.op, in.fault)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			got, err := tt.call.do(ctx, c, *seeded.ID)
			elapsed := time.Since(start)

			tt.check(t, *seeded.ID, got, err)
			for op, n := range tt.want {
				assert.Equal(t, n, srv.Calls(op), "requests of %s the server received", op)
			}
			if tt.timeout > 0 {
				assert.Less(t, elapsed, 10*time.Second, "the call ends with its deadline, not with the server")
			}
		})
	}
}

// fltCheckFuture checks the known fields and the unknown enum values of fltFuture.
func fltCheckFuture(t *testing.T, s *dintero.Session) {
	t.Helper()
	require.NotNil(t, s.ID)
	assert.Equal(t, "T12345678.future1", *s.ID)
	assert.Equal(t, "r-1", s.Order.MerchantReference)
	assert.Equal(t, int64(100), s.Order.Amount)
	require.NotNil(t, s.PaymentOperation)
	assert.EqualValues(t, "teleport_purchase", *s.PaymentOperation, "an unknown enum value is kept")
	require.NotNil(t, s.Configuration.Channel)
	assert.EqualValues(t, "in_orbit", *s.Configuration.Channel)
	require.Len(t, s.Events, 1)
	assert.EqualValues(t, "TELEPORTED", *s.Events[0].Name)
}

// TestFaultsOnTheWire covers the faults only a raw server (or no server) can produce.
func TestFaultsOnTheWire(t *testing.T) {
	const id = "T12345678.wire1"
	sessionBody := `{"id":"` + id + `","order":{"amount":1,"currency":"NOK","merchant_reference":"w"}}`

	t.Run("connection refused", func(t *testing.T) {
		for _, tc := range []struct {
			call  fltCall
			dials int32
		}{
			// Nothing was sent, so even a create is tried again: 1 + 2 retries.
			{fltGet, 3},
			{fltCreate, 3},
		} {
			t.Run(tc.call.name, func(t *testing.T) {
				var dials wiretest.Dials
				c := fltNewClient(t, wiretest.RefusedURL(t)+"/v1", dintero.WithAPIKey("api-key-refused"), dintero.WithHTTPClient(dials.Client()))
				got, err := tc.call.do(context.Background(), c, id)
				fltWantTransportError(t, err, tc.call.name, syscall.ECONNREFUSED)
				var opErr *net.OpError
				require.ErrorAs(t, err, &opErr)
				assert.Equal(t, "dial", opErr.Op)
				assert.Equal(t, tc.dials, dials.N.Load(), "connections attempted")
				assert.True(t, got == nil || fmt.Sprint(got) == "<nil>", "no value with the error")
			})
		}
	})

	t.Run("connection refused, retries switched off", func(t *testing.T) {
		var dials wiretest.Dials
		c := fltNewClient(t, wiretest.RefusedURL(t)+"/v1", dintero.WithAPIKey("api-key-refused"), dintero.WithHTTPClient(dials.Client()), dintero.WithMaxRetries(0))
		_, err := c.CreateSession(context.Background(), fltOrder("refused"))
		fltWantTransportError(t, err, "CreateSession", syscall.ECONNREFUSED)
		assert.EqualValues(t, 1, dials.N.Load())
	})

	t.Run("connection lost mid-body", func(t *testing.T) {
		for _, tc := range []struct {
			call     fltCall
			path     string
			attempts int
		}{
			// The answer has begun, so the request was processed: a create must not be repeated.
			// A read is asked for again: the answer was lost like a connection.
			{fltCreate, "/v1/sessions", 1},
			{fltGet, "/v1/sessions/" + id, 3},
			{fltList, "/v1/sessions", 3},
		} {
			t.Run(tc.call.name, func(t *testing.T) {
				srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					assert.NoError(t, wiretest.CutBody(w, http.StatusOK, "application/json", sessionBody[:20]))
				})
				c := fltNewClient(t, srv.URL+"/v1", dintero.WithAPIKey("api-key-reset"))
				_, err := tc.call.do(context.Background(), c, id)
				fltWantTransportError(t, err, tc.call.name, io.ErrUnexpectedEOF)
				assert.Contains(t, err.Error(), "dintero: "+tc.call.name+": reading response body: unexpected EOF")
				assert.Equal(t, tc.attempts, srv.Count(tc.path), "requests received")
			})
		}
	})

	t.Run("token answer with unknown fields", func(t *testing.T) {
		// A scope and a member the spec does not declare must not break the grant: the token
		// decodes and is the one the call sends.
		srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/json")
			if strings.HasSuffix(r.URL.Path, "/auth/token") {
				_, _ = io.WriteString(w, `{"access_token":"issued-xyz","token_type":"Bearer","expires_in":3600,"scope":"write:checkout","future_grant":{"x":[1]}}`)
				return
			}
			if r.Header.Get("Authorization") != "Bearer issued-xyz" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, sessionBody)
		})
		c := fltNewClient(t, srv.URL+"/v1", dintero.WithClientCredentials("T12345678", "client-id", "client-secret"))
		got, err := c.GetSession(context.Background(), id)
		fltWantSession(t, got, err, id)
		assert.Equal(t, 1, srv.Count("/v1/accounts/T12345678/auth/token"))
		assert.Equal(t, 1, srv.Count("/v1/sessions/"+id))
	})

	t.Run("error answer lost mid-body", func(t *testing.T) {
		srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			assert.NoError(t, wiretest.CutBody(w, http.StatusBadRequest, "application/json", `{"error":{"code":"INVALID`))
		})
		c := fltNewClient(t, srv.URL+"/v1", dintero.WithAPIKey("api-key-reset"))
		_, err := c.CreateSession(context.Background(), fltOrder("cut"))
		apiErr := fltWantAPIError(t, err, "CreateSession", 400)
		assert.Equal(t, `{"error":{"code":"INVALID`, string(apiErr.Body), "what arrived is kept; the status is not lost")
		assert.Equal(t, 1, srv.Count("/v1/sessions"))
	})

	// A redirect to another host is answered as an error and never followed, so no credential
	// reaches the other host. The other host is named "localhost" rather than 127.0.0.1, so it
	// differs by name as well as by port.
	t.Run("redirect to another host", func(t *testing.T) {
		credentialHeaders := []string{"Authorization", "X-Api-Key"}
		for _, tc := range []struct {
			name    string
			auth    dintero.Option
			hc      *http.Client // the caller's client, which would follow redirects
			call    fltCall
			op      string // the call answered with the redirect
			status  int
			tokenOK bool // the token endpoint answers; only the sessions call is redirected
		}{
			{name: "API key", auth: dintero.WithAPIKey("api-key-must-stay"), call: fltGet, op: "GetSession", status: 307},
			{name: "access token", auth: dintero.WithAccessToken("access-token-must-stay"), call: fltCreate, op: "CreateSession", status: 308},
			{name: "access token, caller's client follows redirects", auth: dintero.WithAccessToken("access-token-must-stay"), hc: &http.Client{}, call: fltGet, op: "GetSession", status: 302},
			{name: "client credentials: the token request", auth: dintero.WithClientCredentials("T12345678", "client-id", "client-secret-must-stay"), call: fltGet, op: "CreateAccessToken", status: 307},
			{name: "client credentials: the call with the issued token", auth: dintero.WithClientCredentials("T12345678", "client-id", "client-secret-must-stay"), hc: &http.Client{}, call: fltCancel, op: "CancelSession", status: 301, tokenOK: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				other := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					w.Header().Set("Content-Type", "application/json")
					_, _ = io.WriteString(w, sessionBody)
				})
				_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
				otherURL := "http://localhost:" + port
				srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
					if tc.tokenOK && strings.HasSuffix(r.URL.Path, "/auth/token") {
						w.Header().Set("Content-Type", "application/json")
						_, _ = io.WriteString(w, `{"access_token":"issued-token-must-stay","token_type":"Bearer","expires_in":3600}`)
						return
					}
					http.Redirect(w, r, otherURL+r.URL.Path, tc.status)
				})
				var opts []dintero.Option
				if tc.hc != nil {
					opts = append(opts, dintero.WithHTTPClient(tc.hc))
				}
				c := fltNewClient(t, srv.URL+"/v1", tc.auth, opts...)
				_, err := tc.call.do(context.Background(), c, id)
				fltWantAPIError(t, err, tc.op, tc.status)
				assert.Equal(t, 0, other.Total(), "the other host received nothing")
				for _, h := range other.Headers() {
					for _, name := range credentialHeaders {
						assert.Empty(t, h.Get(name), "%s reached the other host", name)
					}
				}
				want := 1
				if tc.tokenOK {
					want = 2 // the token, then the redirected call
				}
				assert.Equal(t, want, srv.Total(), "a redirect is not retried")
			})
		}
	})
}

// TestFaultsRetryAfter checks that Retry-After, as seconds and as an HTTP date, is waited for
// exactly, and not at all when the wait would outlast the caller's deadline or the SDK's
// limit. It runs on synctest's fake clock with the client's real backoff settings (a first
// backoff of 250 to 500 ms, below every Retry-After here, so the wait is the server's).
func TestFaultsRetryAfter(t *testing.T) {
	const (
		id          = "T12345678.ra1"
		sessionPath = "/v1/sessions/" + id
		tokenPath   = "/v1/accounts/T12345678/auth/token"
	)
	sessionBody := `{"id":"` + id + `","order":{"amount":1,"currency":"NOK","merchant_reference":"ra"}}`
	createdBody := `{"id":"` + id + `","url":"https://checkout.example/view"}`
	inSeconds := func(s string) func() string { return func() string { return s } }
	asDate := func(d time.Duration) func() string {
		return func() string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	}

	tests := []struct {
		name        string
		call        fltCall
		credentials bool
		path        string        // where the 429 is answered
		status      int           // 429 or 503
		retryAfter  func() string // evaluated when the 429 is answered (the fake clock's now)
		limited     int           // how many answers are limited before the real one
		deadline    time.Duration // of the caller's context; 0 means none
		wantGaps    []time.Duration
		wantOK      bool
		wantElapsed time.Duration
	}{
		{
			name: "get: Retry-After in seconds", call: fltGet, path: sessionPath, status: 429, retryAfter: inSeconds("7"), limited: 1,
			wantGaps: []time.Duration{7 * time.Second}, wantOK: true, wantElapsed: 7 * time.Second,
		},
		{
			name: "get: Retry-After as an HTTP date", call: fltGet, path: sessionPath, status: 429, retryAfter: asDate(10 * time.Second), limited: 1,
			wantGaps: []time.Duration{10 * time.Second}, wantOK: true, wantElapsed: 10 * time.Second,
		},
		{
			name: "get: 503 with Retry-After twice, then answered", call: fltGet, path: sessionPath, status: 503, retryAfter: inSeconds("3"), limited: 2,
			wantGaps: []time.Duration{3 * time.Second, 3 * time.Second}, wantOK: true, wantElapsed: 6 * time.Second,
		},
		{
			name: "get: Retry-After beyond the caller's deadline is not waited for", call: fltGet, path: sessionPath, status: 429,
			retryAfter: inSeconds("7"), limited: 1, deadline: 5 * time.Second, wantGaps: nil, wantElapsed: 0,
		},
		{
			name: "get: Retry-After date beyond the SDK's limit (60 s) is not waited for", call: fltGet, path: sessionPath, status: 429,
			retryAfter: asDate(2 * time.Minute), limited: 1, wantGaps: nil, wantElapsed: 0,
		},
		{
			name: "create: Retry-After is never a reason to send a create twice", call: fltCreate, path: "/v1/sessions", status: 429,
			retryAfter: inSeconds("1"), limited: 1, wantGaps: nil, wantElapsed: 0,
		},
		{
			name: "token endpoint: Retry-After as an HTTP date", call: fltGet, credentials: true, path: tokenPath, status: 429,
			retryAfter: asDate(4 * time.Second), limited: 1, wantGaps: []time.Duration{4 * time.Second}, wantOK: true, wantElapsed: 4 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := &wiretest.MemServer{Serve: func(w http.ResponseWriter, r *http.Request, attempt int) {
					w.Header().Set("Content-Type", "application/json")
					switch {
					case r.URL.Path == tt.path && attempt <= tt.limited:
						w.Header().Set("Retry-After", tt.retryAfter())
						w.WriteHeader(tt.status)
						_, _ = io.WriteString(w, `{"error":{"message":"slow down"}}`)
					case r.URL.Path == tokenPath:
						_, _ = io.WriteString(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
					case r.Method == http.MethodPost:
						_, _ = io.WriteString(w, createdBody)
					default:
						_, _ = io.WriteString(w, sessionBody)
					}
				}}
				auth := dintero.WithAPIKey("api-key-ra")
				if tt.credentials {
					auth = dintero.WithClientCredentials("T12345678", "client-id", "client-secret")
				}
				c, err := dintero.New(auth, dintero.WithBaseURL("https://checkout.dintero.test/v1"), dintero.WithHTTPClient(&http.Client{Transport: srv}))
				require.NoError(t, err)
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				start := time.Now()
				_, err = tt.call.do(ctx, c, id)
				elapsed := time.Since(start)

				if tt.wantOK {
					require.NoError(t, err)
				} else {
					var apiErr *dintero.APIError
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, tt.status, apiErr.StatusCode)
					assert.Equal(t, "slow down", apiErr.Message)
				}
				n, gaps := srv.Gaps(tt.path)
				assert.Equal(t, tt.wantGaps, gaps, "waits between the attempts, on the fake clock")
				assert.Equal(t, len(tt.wantGaps)+1, n, "attempts")
				assert.Equal(t, tt.wantElapsed, elapsed)
			})
		})
	}
}
