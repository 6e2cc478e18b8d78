package paysession_test

// The reliability promises of the request pipeline (internal/apicall), checked through both
// clients as a user holds them: calls end, waits are capped, a failing answer costs little, and
// configuration that cannot work is refused. Timing runs on testing/synctest's fake clock.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
)

// rtFunc is an http.RoundTripper made of a function.
type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// apiClient is one of the two clients, reduced to what these tests need: a call that is safe to
// retry, and how its errors look.
type apiClient struct {
	name string
	// newClient makes a client that sends through hc to a base URL on a loopback host.
	newClient func(t *testing.T, hc *http.Client, opts ...any) func(ctx context.Context) error
	// retryAfterOf returns the RetryAfter and Header of err's APIError.
	apiError func(err error) (status int, retryAfter time.Duration, h http.Header, ok bool)
}

var apiClients = []apiClient{
	{
		name: "dintero",
		newClient: func(t *testing.T, hc *http.Client, opts ...any) func(ctx context.Context) error {
			all := []dintero.Option{dintero.WithBaseURL("http://127.0.0.1:1/v1"), dintero.WithAPIKey("reliability-api-key"), dintero.WithHTTPClient(hc)}
			for _, o := range opts {
				all = append(all, o.(dintero.Option))
			}
			c, err := dintero.New(all...)
			require.NoError(t, err)
			return func(ctx context.Context) error { _, err := c.GetSession(ctx, "T12345678.abc"); return err }
		},
		apiError: func(err error) (int, time.Duration, http.Header, bool) {
			var e *dintero.APIError
			if !errors.As(err, &e) {
				return 0, 0, nil, false
			}
			return e.StatusCode, e.RetryAfter, e.Header, true
		},
	},
	{
		name: "cyberflex",
		newClient: func(t *testing.T, hc *http.Client, opts ...any) func(ctx context.Context) error {
			all := []cyberflex.Option{cyberflex.WithBaseURL("http://127.0.0.1:1"), cyberflex.WithAccessToken("reliability-bearer-token"), cyberflex.WithHTTPClient(hc)}
			for _, o := range opts {
				all = append(all, o.(cyberflex.Option))
			}
			c, err := cyberflex.New(all...)
			require.NoError(t, err)
			req := cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()})
			return func(ctx context.Context) error { _, err := c.GenerateCaptureContext(ctx, req); return err }
		},
		apiError: func(err error) (int, time.Duration, http.Header, bool) {
			var e *cyberflex.APIError
			if !errors.As(err, &e) {
				return 0, 0, nil, false
			}
			return e.StatusCode, e.RetryAfter, e.Header, true
		},
	},
}

// withRequestTimeout and withMaxRetryAfter give each client its own option.
func withRequestTimeout(name string, d time.Duration) any {
	if name == "dintero" {
		return dintero.WithRequestTimeout(d)
	}
	return cyberflex.WithRequestTimeout(d)
}

func withMaxRetryAfter(name string, d time.Duration) any {
	if name == "dintero" {
		return dintero.WithMaxRetryAfter(d)
	}
	return cyberflex.WithMaxRetryAfter(d)
}

func answer(status int, header http.Header, body string) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

// TestEveryAttemptIsBoundedEvenWithTheCallersClient: a caller's http.Client without any timeout
// and a server that never answers: each attempt ends after WithRequestTimeout, is retried like a
// lost connection (the caller's context has no deadline), and the call ends.
func TestEveryAttemptIsBoundedEvenWithTheCallersClient(t *testing.T) {
	for _, api := range apiClients {
		t.Run(api.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int32
				hang := rtFunc(func(r *http.Request) (*http.Response, error) {
					attempts.Add(1)
					<-r.Context().Done()
					return nil, r.Context().Err()
				})
				call := api.newClient(t, &http.Client{Transport: hang}, withRequestTimeout(api.name, 2*time.Second))
				start := time.Now()
				err := call(context.Background())
				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded, "the attempt's timeout is a deadline")
				assert.EqualValues(t, 3, attempts.Load(), "a timed-out attempt is retried (MaxRetries 2)")
				assert.Less(t, time.Since(start), 30*time.Second, "3 attempts of 2 s plus backoff")
				assert.NotContains(t, err.Error(), "\n")
			})
		})
	}
}

// TestTheDefaultRequestTimeoutApplies: with no WithRequestTimeout, the documented default
// bounds each attempt.
func TestTheDefaultRequestTimeoutApplies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := rtFunc(func(r *http.Request) (*http.Response, error) { <-r.Context().Done(); return nil, r.Context().Err() })
		call := apiClients[0].newClient(t, &http.Client{Transport: hang}, dintero.WithMaxRetries(0))
		start := time.Now()
		require.Error(t, call(context.Background()))
		assert.Equal(t, dintero.DefaultRequestTimeout, time.Since(start))
		assert.Equal(t, dintero.DefaultRequestTimeout, cyberflex.DefaultRequestTimeout)
	})
}

// TestTransportTimeoutsAreNotTheCallersDeadline: net/http's own timeouts (Client.Timeout, the
// transport's header timeout) end an attempt, not the call: a safe call is retried while the
// caller's context is live, and gets the answer of the next attempt.
func TestTransportTimeoutsAreNotTheCallersDeadline(t *testing.T) {
	for _, api := range apiClients {
		t.Run(api.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var attempts atomic.Int32
				rt := rtFunc(func(r *http.Request) (*http.Response, error) {
					if attempts.Add(1) == 1 {
						<-r.Context().Done() // until the http.Client's own Timeout
						return nil, r.Context().Err()
					}
					return answer(http.StatusBadRequest, nil, `{}`), nil
				})
				call := api.newClient(t, &http.Client{Transport: rt, Timeout: time.Second})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				err := call(ctx)
				status, _, _, ok := api.apiError(err)
				require.True(t, ok, "the second attempt's answer, got %v", err)
				assert.Equal(t, http.StatusBadRequest, status)
				assert.EqualValues(t, 2, attempts.Load())
			})
		})
	}
}

// TestRetryAfterIsCapped: a Retry-After within the cap is waited; one beyond it is not: the call
// returns at once with the APIError carrying RetryAfter and the headers, for the caller to decide.
func TestRetryAfterIsCapped(t *testing.T) {
	for _, api := range apiClients {
		t.Run(api.name, func(t *testing.T) {
			for _, tc := range []struct {
				name      string
				after     string
				attempts  int32
				waited    time.Duration
				wantAfter time.Duration
			}{
				{"within the cap: waited", "5", 3, 10 * time.Second, 5 * time.Second},
				{"beyond the cap: returned at once", "120", 1, 0, 120 * time.Second},
			} {
				t.Run(tc.name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						var attempts atomic.Int32
						rt := rtFunc(func(r *http.Request) (*http.Response, error) {
							attempts.Add(1)
							return answer(http.StatusTooManyRequests, http.Header{"Retry-After": {tc.after}, "X-Rate-Limit": {"0"}}, `{}`), nil
						})
						call := api.newClient(t, &http.Client{Transport: rt}, withMaxRetryAfter(api.name, 10*time.Second))
						start := time.Now()
						err := call(context.Background())
						status, after, h, ok := api.apiError(err)
						require.True(t, ok, "%v", err)
						assert.Equal(t, http.StatusTooManyRequests, status)
						assert.Equal(t, tc.wantAfter, after)
						assert.Equal(t, "0", h.Get("X-Rate-Limit"), "the answer's headers are kept")
						assert.Equal(t, tc.attempts, attempts.Load())
						assert.Equal(t, tc.waited, time.Since(start))
					})
				})
			}
		})
	}
}

// TestAnErrorBodyCostsLittleToFormat: an 8 MiB error body full of whitespace and line breaks
// (the worst case for normalising text) gives a one-line Error() of bounded size, formatted with
// a few allocations and a few KiB, however often it is called.
func TestAnErrorBodyCostsLittleToFormat(t *testing.T) {
	body := strings.Repeat(" \n\t\r a", (8<<20)/6)
	for _, api := range apiClients {
		t.Run(api.name, func(t *testing.T) {
			rt := rtFunc(func(r *http.Request) (*http.Response, error) {
				return answer(http.StatusInternalServerError, http.Header{"Content-Type": {"text/plain"}}, body), nil
			})
			var opts []any
			if api.name == "dintero" {
				opts = append(opts, dintero.WithMaxRetries(0))
			} else {
				opts = append(opts, cyberflex.WithMaxRetries(0))
			}
			err := api.newClient(t, &http.Client{Transport: rt}, opts...)(context.Background())
			_, _, _, ok := api.apiError(err)
			require.True(t, ok, "%v", err)
			msg := err.Error()
			assert.Less(t, len(msg), 400)
			assert.NotContains(t, msg, "\n")

			allocs := testing.AllocsPerRun(20, func() { _ = err.Error() })
			assert.LessOrEqual(t, allocs, 20.0, "allocations per Error()")
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 20 {
				_ = err.Error()
			}
			runtime.ReadMemStats(&after)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(20*16<<10), "bytes allocated by 20 calls of Error()")
		})
	}
}

// TestNewNeverPanicsWhenDefaultTransportIsReplaced: instrumentation libraries replace
// http.DefaultTransport with their own RoundTripper; New must not assume its type.
func TestNewNeverPanicsWhenDefaultTransportIsReplaced(t *testing.T) {
	saved := http.DefaultTransport
	t.Cleanup(func() { http.DefaultTransport = saved })
	http.DefaultTransport = rtFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("wrapped") })

	assert.NotPanics(t, func() {
		_, err := dintero.New(dintero.WithAPIKey("reliability-api-key"))
		assert.NoError(t, err)
		_, err = cyberflex.New(cyberflex.WithAccessToken("reliability-bearer-token"))
		assert.NoError(t, err)
	})
}

// TestPlainHTTPOnlyToLoopback: credentials must not travel in clear text, so an http:// base URL
// is refused unless it points at this machine (a local test server or proxy).
func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://checkout.example.com/v1", true},
		{"http://127.0.0.1:8080/v1", true},
		{"http://localhost:8080", true},
		{"http://[::1]:8080", true},
		{"http://api.localhost", true},
		{"http://checkout.dintero.com/v1", false},
		{"http://10.0.0.7:8080", false},
		{"http://localhost.evil.example", false},
		{"http://127.0.0.1.nip.io", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, derr := dintero.New(dintero.WithAPIKey("reliability-api-key"), dintero.WithBaseURL(tc.url))
			_, cerr := cyberflex.New(cyberflex.WithAccessToken("reliability-bearer-token"), cyberflex.WithBaseURL(tc.url))
			if tc.ok {
				assert.NoError(t, derr)
				assert.NoError(t, cerr)
				return
			}
			assert.ErrorIs(t, derr, dintero.ErrInvalidInput)
			assert.ErrorIs(t, cerr, cyberflex.ErrInvalidInput)
			assert.Contains(t, derr.Error(), "clear text")
			assert.Contains(t, cerr.Error(), "clear text")
		})
	}
}

// TestErrBodyTooLargeIsExported: an oversized answer can be told apart with errors.Is in both
// packages.
func TestErrBodyTooLargeIsExported(t *testing.T) {
	big := strings.Repeat("x", 8<<20+1)
	for _, api := range apiClients {
		t.Run(api.name, func(t *testing.T) {
			rt := rtFunc(func(r *http.Request) (*http.Response, error) { return answer(http.StatusOK, nil, big), nil })
			err := api.newClient(t, &http.Client{Transport: rt})(context.Background())
			require.Error(t, err)
			if api.name == "dintero" {
				assert.ErrorIs(t, err, dintero.ErrBodyTooLarge)
			} else {
				assert.ErrorIs(t, err, cyberflex.ErrBodyTooLarge)
			}
		})
	}
}
