package apicall

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/internal/retry"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type testError struct{ status int }

func (e *testError) Error() string { return "api error " + http.StatusText(e.status) }

func answer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
}

func newClient(rt rtFunc, logs *bytes.Buffer) *Client {
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	return &Client{
		Service: "svc",
		HTTP:    &http.Client{Transport: rt},
		Policy:  retry.Policy{MaxRetries: 2, BaseDelay: time.Microsecond, MaxDelay: time.Microsecond},
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Secrets: func() []string { return []string{"configured-secret-123"} },
		NewAPIError: func(op string, r *Response) error {
			return &testError{r.StatusCode}
		},
	}
}

func get() (*http.Request, error) { return http.NewRequest(http.MethodGet, "http://127.0.0.1/x", nil) }

func TestAuthorizeErrorsEndTheCall(t *testing.T) {
	var sent, authorized atomic.Int32
	c := newClient(func(*http.Request) (*http.Response, error) { sent.Add(1); return answer(200, "{}"), nil }, nil)
	_, err := c.Do(context.Background(), Call{Op: "Op", Retry: retry.Idempotent, Request: get,
		Authorize: func(context.Context, *http.Request) (string, error) {
			authorized.Add(1)
			return "", &netTimeout{}
		}})
	require.Error(t, err)
	assert.EqualValues(t, 1, authorized.Load(), "an authentication failure is not retried, even one that looks transient")
	assert.Zero(t, sent.Load())
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "svc: Op: "+(&netTimeout{}).Error(), err.Error())
}

type netTimeout struct{}

func (*netTimeout) Error() string   { return "i/o timeout" }
func (*netTimeout) Timeout() bool   { return true }
func (*netTimeout) Temporary() bool { return true }

func TestReauthorizeOnceOn401(t *testing.T) {
	var sent atomic.Int32
	c := newClient(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		return answer(http.StatusUnauthorized, "{}"), nil
	}, nil)
	var reauth int
	tokens := []string{"token-one-123456", "token-two-123456"}
	_, err := c.Do(context.Background(), Call{Op: "Op", Retry: retry.Idempotent, Request: get,
		Authorize: func(_ context.Context, r *http.Request) (string, error) {
			tok := tokens[min(int(sent.Load()), 1)]
			r.Header.Set("Authorization", "Bearer "+tok)
			return tok, nil
		},
		Reauthorize: func(sent string) bool { reauth++; return true },
	})
	var apiErr *testError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.status)
	assert.Equal(t, 1, reauth, "a 401 is answered with a new credential once per call")
	assert.EqualValues(t, 2, sent.Load())
}

func TestErrorsAndLogsAreScrubbedAndBounded(t *testing.T) {
	var logs bytes.Buffer
	sentToken := "sent-token-abcdef123"
	c := newClient(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("proxy says: " + r.Header.Get("Authorization") + " and configured-secret-123\n" + strings.Repeat("x", 10000))
	}, &logs)
	_, err := c.Do(context.Background(), Call{Op: "Op", Retry: retry.NotSent, Request: get,
		Authorize: func(_ context.Context, r *http.Request) (string, error) {
			r.Header.Set("Authorization", "Bearer "+sentToken)
			return sentToken, nil
		}})
	require.Error(t, err)
	for _, out := range []string{err.Error(), logs.String()} {
		assert.NotContains(t, out, sentToken)
		assert.NotContains(t, out, "configured-secret-123")
	}
	assert.NotContains(t, err.Error(), "\n")
	assert.Less(t, len(err.Error()), 300)
	assert.Contains(t, logs.String(), `msg="svc: request"`)
	assert.Contains(t, logs.String(), `msg="svc: call failed"`)
}

func TestNonSuccessBodiesAreScrubbedBeforeTheErrorSeesThem(t *testing.T) {
	c := newClient(func(r *http.Request) (*http.Response, error) {
		resp := answer(http.StatusBadRequest, `{"echo":"configured-secret-123","escaped":"configured\u002dsecret\u002d123"}`)
		resp.Header.Set("X-Echo", "configured-secret-123")
		resp.Header.Set("Retry-After", "7")
		return resp, nil
	}, nil)
	var seen *Response
	c.NewAPIError = func(op string, r *Response) error { seen = r; return &testError{r.StatusCode} }
	_, err := c.Do(context.Background(), Call{Op: "Op", Retry: retry.Idempotent, Request: get})
	require.Error(t, err)
	require.NotNil(t, seen)
	assert.NotContains(t, string(seen.Body), "configured-secret-123")
	assert.NotContains(t, string(seen.Body), `configured\u002dsecret`)
	assert.NotContains(t, seen.Header.Get("X-Echo"), "configured-secret-123")
	assert.Equal(t, 7*time.Second, seen.RetryAfter)
}

func TestAPIErrorTextIsOneBoundedLine(t *testing.T) {
	huge := bytes.Repeat([]byte("\n\t <b>é</b>\x1b[31m"), 1<<20)
	for _, tc := range []struct {
		code, message string
		body          []byte
		want          string
	}{
		{"NOT_FOUND", "no such session", nil, "svc: Op: HTTP 404 Not Found: NOT_FOUND: no such session (request id r-1)"},
		{"", "", []byte("<html>\n<h1>Bad gateway</h1>"), `svc: Op: HTTP 404 Not Found: unexpected body "<html> <h1>Bad gateway</h1>" (request id r-1)`},
		{"", "", nil, "svc: Op: HTTP 404 Not Found: empty body (request id r-1)"},
	} {
		assert.Equal(t, tc.want, APIErrorText("svc", "Op", 404, tc.code, tc.message, tc.body, "request id", "r-1"))
	}
	msg := APIErrorText("svc", "Op", 599, string(huge), string(huge), huge, "request id", string(huge))
	assert.Less(t, len(msg), 500)
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, "\x1b")
	allocs := testing.AllocsPerRun(10, func() { _ = APIErrorText("svc", "Op", 500, "", "", huge, "", "") })
	assert.LessOrEqual(t, allocs, 8.0)
}

// TestADialThatTimedOutIsRetriedEvenForACallThatMustNotRunTwice: a connection that could not be
// made in time sent nothing, so retry.NotSent retries it, timeout or not; a timeout after the
// request was written is not retried for such a call.
func TestADialThatTimedOutIsRetriedEvenForACallThatMustNotRunTwice(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		sends int32
	}{
		{"dial timed out", &net.OpError{Op: "dial", Net: "tcp", Err: &netTimeout{}}, 3},
		{"read timed out", &net.OpError{Op: "read", Net: "tcp", Err: &netTimeout{}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sends atomic.Int32
			c := newClient(func(*http.Request) (*http.Response, error) { sends.Add(1); return nil, tc.err }, nil)
			_, err := c.Do(context.Background(), Call{Op: "Create", Retry: retry.NotSent, Request: get})
			require.Error(t, err)
			assert.Equal(t, tc.sends, sends.Load())
		})
	}
}
