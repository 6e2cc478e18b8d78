package dintero

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeFetch counts calls and returns "tok-<n>" for the n-th call. Optional hooks let a test
// block a fetch, fail it or inspect its context. It is safe for concurrent use.
type fakeFetch struct {
	expiresIn time.Duration
	calls     atomic.Int32
	// hook, if set, runs inside the fetch; a non-nil error fails that fetch.
	hook func(ctx context.Context, n int) error
}

func (f *fakeFetch) fetch(ctx context.Context) (string, time.Duration, error) {
	n := int(f.calls.Add(1))
	if f.hook != nil {
		if err := f.hook(ctx, n); err != nil {
			return "", 0, err
		}
	}
	return fmt.Sprintf("tok-%d", n), f.expiresIn, nil
}

// testClock is an injected clock that only moves when told to.
type testClock struct{ offset atomic.Int64 }

var clockStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func (c *testClock) now() time.Time          { return clockStart.Add(time.Duration(c.offset.Load())) }
func (c *testClock) set(d time.Duration)     { c.offset.Store(int64(d)) }
func (c *testClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func mustToken(t *testing.T, s *tokenSource) string {
	t.Helper()
	tok, err := s.Token(context.Background())
	require.NoError(t, err)
	return tok
}

// TestTokenRefreshPoint pins the refresh rule min(lifetime/2, 5m) to the nanosecond: before the
// refresh point the cached token is returned and nothing is fetched; at it, the cached token is
// still returned at once and one background fetch replaces it.
func TestTokenRefreshPoint(t *testing.T) {
	tests := []struct {
		expiresIn time.Duration
		refreshAt time.Duration // after the fetch started
	}{
		{24 * time.Hour, 24*time.Hour - 5*time.Minute},
		{time.Hour, 55 * time.Minute},
		{10 * time.Minute, 5 * time.Minute}, // both rules agree
		{2 * time.Minute, time.Minute},
		{time.Second, 30 * time.Second}, // lifetime raised to minTokenLifetime
	}
	for _, tt := range tests {
		t.Run(tt.expiresIn.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var clk testClock
				f := &fakeFetch{expiresIn: tt.expiresIn}
				s := &tokenSource{fetch: f.fetch, now: clk.now}

				assert.Equal(t, "tok-1", mustToken(t, s))
				clk.set(tt.refreshAt - time.Nanosecond)
				assert.Equal(t, "tok-1", mustToken(t, s), "cached until the refresh point")
				synctest.Wait()
				assert.EqualValues(t, 1, f.calls.Load(), "no refresh before the refresh point")

				clk.set(tt.refreshAt)
				assert.Equal(t, "tok-1", mustToken(t, s), "the cached token while the refresh runs")
				synctest.Wait()
				assert.EqualValues(t, 2, f.calls.Load(), "refreshed at the refresh point")
				assert.Equal(t, "tok-2", mustToken(t, s))
			})
		})
	}
}

// TestTokenBackgroundRefreshDoesNotBlock: after the refresh point nobody waits for the refresh,
// and many callers start only one.
func TestTokenBackgroundRefreshDoesNotBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		release := make(chan struct{})
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 2 {
				<-release
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))

		clk.set(56 * time.Minute) // past the refresh point (55 min), before expiry (60 min)
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() { assert.Equal(t, "tok-1", mustToken(t, s)) })
		}
		wg.Wait() // returns while fetch 2 is still blocked: nobody waited for it
		synctest.Wait()
		assert.EqualValues(t, 2, f.calls.Load(), "one refresh for 50 callers")

		close(release)
		synctest.Wait()
		assert.Equal(t, "tok-2", mustToken(t, s), "the refreshed token is cached")
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

// TestTokenBackgroundRefreshFailure: a failed refresh is not reported while the cached token
// is unexpired; it is retried at most once per tokenRefreshRetryInterval until the token
// expires; then callers wait for a fetch and get its error.
func TestTokenBackgroundRefreshFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		errBoom := errors.New("token endpoint: 503")
		var failing atomic.Bool
		f := &fakeFetch{expiresIn: time.Hour, hook: func(context.Context, int) error {
			if failing.Load() {
				return errBoom
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))

		failing.Store(true)
		clk.set(55 * time.Minute)
		assert.Equal(t, "tok-1", mustToken(t, s))
		synctest.Wait()
		assert.EqualValues(t, 2, f.calls.Load(), "a refresh was tried")

		clk.advance(tokenRefreshRetryInterval - time.Nanosecond)
		for range 10 {
			assert.Equal(t, "tok-1", mustToken(t, s), "the failure is not returned")
		}
		synctest.Wait()
		assert.EqualValues(t, 2, f.calls.Load(), "no retry before the interval")

		clk.advance(time.Nanosecond)
		assert.Equal(t, "tok-1", mustToken(t, s))
		synctest.Wait()
		assert.EqualValues(t, 3, f.calls.Load(), "retried after the interval")

		// The token expires with the refresh still failing: now callers wait, and get the error.
		clk.set(time.Hour)
		_, err := s.Token(context.Background())
		assert.ErrorIs(t, err, errBoom)
		assert.EqualValues(t, 4, f.calls.Load())
		// Without a cached token there is no pause: the next call fetches again.
		failing.Store(false)
		assert.Equal(t, "tok-5", mustToken(t, s))
	})
}

// TestTokenBackgroundRefreshRecovers: after failed refreshes, a successful one replaces the
// token.
func TestTokenBackgroundRefreshRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 2 || n == 3 {
				return errors.New("temporarily down")
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))
		clk.set(55 * time.Minute)
		for range 3 {
			assert.Equal(t, "tok-1", mustToken(t, s))
			synctest.Wait()
			clk.advance(tokenRefreshRetryInterval)
		}
		assert.Equal(t, "tok-4", mustToken(t, s))
		assert.EqualValues(t, 4, f.calls.Load())
	})
}

// TestTokenExpiryJoinsBackgroundRefresh: when the token expires while a refresh runs, callers
// wait for that refresh instead of starting another.
func TestTokenExpiryJoinsBackgroundRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		release := make(chan struct{})
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 2 {
				<-release
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))
		clk.set(59 * time.Minute)
		require.Equal(t, "tok-1", mustToken(t, s)) // starts the refresh
		clk.set(time.Hour)

		got := make(chan string, 3)
		for range 3 {
			go func() {
				tok, _ := s.Token(context.Background()) // checked below: every caller gets tok-2
				got <- tok
			}()
		}
		synctest.Wait()
		assert.Empty(t, got, "an expired token is not handed out")
		close(release)
		for range 3 {
			assert.Equal(t, "tok-2", <-got)
		}
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

func TestTokenRefetchAfterExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: 10 * time.Minute}
		var clk testClock
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		assert.Equal(t, "tok-1", mustToken(t, s))
		clk.set(11 * time.Minute) // expired without a call in the refresh window
		assert.Equal(t, "tok-2", mustToken(t, s))
		assert.Equal(t, "tok-2", mustToken(t, s))
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

// TestTokenLifetimeCountsFromFetchStart: a slow fetch does not extend the token's life.
func TestTokenLifetimeCountsFromFetchStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errDown := errors.New("down")
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n > 1 {
				return errDown // keep the refreshes from replacing tok-1
			}
			time.Sleep(10 * time.Second) // request latency, on synctest's clock
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}
		start := time.Now()
		assert.Equal(t, "tok-1", mustToken(t, s))
		time.Sleep(time.Until(start.Add(time.Hour - time.Nanosecond)))
		assert.Equal(t, "tok-1", mustToken(t, s))
		time.Sleep(time.Nanosecond)
		_, err := s.Token(context.Background())
		assert.ErrorIs(t, err, errDown, "expired an hour after the fetch started")
	})
}

func TestTokenSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		f := &fakeFetch{expiresIn: time.Hour, hook: func(context.Context, int) error {
			<-release
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}

		const callers = 50
		results := make(chan string, callers)
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				tok, err := s.Token(context.Background())
				assert.NoError(t, err)
				results <- tok
			})
		}
		synctest.Wait() // all 50 are now waiting
		assert.EqualValues(t, 1, f.calls.Load(), "one fetch while 50 callers wait")
		close(release)
		wg.Wait()
		close(results)
		for tok := range results {
			assert.Equal(t, "tok-1", tok)
		}
		assert.Equal(t, "tok-1", mustToken(t, s))
		assert.EqualValues(t, 1, f.calls.Load())
	})
}

func TestTokenInvalidate(t *testing.T) {
	t.Run("current token", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeFetch{expiresIn: time.Hour}
			s := &tokenSource{fetch: f.fetch}
			require.Equal(t, "tok-1", mustToken(t, s))
			s.Invalidate("tok-1")
			assert.Equal(t, "tok-2", mustToken(t, s))
			assert.EqualValues(t, 2, f.calls.Load())
		})
	})
	t.Run("old token after a newer one was fetched", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := &fakeFetch{expiresIn: time.Hour}
			s := &tokenSource{fetch: f.fetch}
			require.Equal(t, "tok-1", mustToken(t, s))
			s.Invalidate("tok-1")
			require.Equal(t, "tok-2", mustToken(t, s))
			s.Invalidate("tok-1") // a late 401 for a request that carried tok-1
			assert.Equal(t, "tok-2", mustToken(t, s))
			assert.EqualValues(t, 2, f.calls.Load())
		})
	})
	t.Run("empty cache", func(t *testing.T) {
		s := &tokenSource{fetch: (&fakeFetch{}).fetch}
		s.Invalidate("") // must not panic
		s.Invalidate("tok-1")
	})
}

// TestTokenInvalidateDuringBackgroundRefresh: a refresh that started before the token was
// rejected does not bring it back, even when the token endpoint answers with the same token;
// the callers after Invalidate get a token from a fetch that started after it.
func TestTokenInvalidateDuringBackgroundRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		release := make(chan struct{})
		var calls atomic.Int32
		s := &tokenSource{now: clk.now, fetch: func(context.Context) (string, time.Duration, error) {
			switch calls.Add(1) {
			case 1:
				return "tok-1", time.Hour, nil
			case 2:
				<-release
				return "tok-1", time.Hour, nil // the endpoint hands out the same token again
			default:
				return "tok-3", time.Hour, nil
			}
		}}
		require.Equal(t, "tok-1", mustToken(t, s))
		clk.set(56 * time.Minute)
		require.Equal(t, "tok-1", mustToken(t, s)) // starts the refresh, which blocks
		synctest.Wait()

		s.Invalidate("tok-1") // a request carrying tok-1 got 401
		assert.Equal(t, "tok-3", mustToken(t, s), "a new fetch, not the refresh that started before")
		assert.EqualValues(t, 3, calls.Load())

		close(release)
		synctest.Wait()
		assert.Equal(t, "tok-3", mustToken(t, s), "the older refresh's result was not cached")
		assert.EqualValues(t, 3, calls.Load())
	})
}

// TestTokenInvalidateOtherTokenKeepsRefresh: a late 401 for an older token neither drops the
// cached token nor the refresh running for it.
func TestTokenInvalidateOtherTokenKeepsRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		release := make(chan struct{})
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 2 {
				<-release
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))
		clk.set(56 * time.Minute)
		require.Equal(t, "tok-1", mustToken(t, s))
		s.Invalidate("tok-0")
		assert.Equal(t, "tok-1", mustToken(t, s))
		close(release)
		synctest.Wait()
		assert.Equal(t, "tok-2", mustToken(t, s))
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

func TestTokenFetchErrorNotCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errBoom := errors.New("token endpoint: 503")
		release := make(chan struct{})
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 1 {
				<-release
				return errBoom
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}

		const callers = 5
		errs := make(chan error, callers)
		for range callers {
			go func() {
				_, err := s.Token(context.Background())
				errs <- err
			}()
		}
		synctest.Wait()
		close(release)
		for range callers {
			err := <-errs
			assert.ErrorIs(t, err, errBoom, "every waiter gets the fetch error")
		}
		assert.EqualValues(t, 1, f.calls.Load())

		assert.Equal(t, "tok-2", mustToken(t, s), "the error was not cached")
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

// TestTokenFetchPanic: a panic in fetch (a user's RoundTripper, say) is recovered in the
// goroutine that runs the fetch and reaches every waiter as an error; the process survives,
// the panic value's secrets do not reach the message, and later calls fetch again.
func TestTokenFetchPanic(t *testing.T) {
	const secret = "Basic Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ="
	panicValue := fmt.Sprintf("roundtripper broke on\nPOST /auth/token Authorization: %s %s", secret, strings.Repeat("x", 500))
	scrub := func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(secret), []byte("[redacted]")) }
	tests := []struct {
		name  string
		scrub func([]byte) []byte
		want  string // the whole message
	}{
		{"without scrubber, only the type", nil,
			"fetching access token: access token fetch panicked: a value of type string"},
		{"with scrubber, scrubbed and cut", scrub,
			"fetching access token: access token fetch panicked: roundtripper broke on POST /auth/token Authorization: [redacted] xxxxxxxxxxxxxxx…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
					if n == 1 {
						<-release
						panic(panicValue)
					}
					return nil
				}}
				s := &tokenSource{fetch: f.fetch, scrub: tt.scrub}
				errs := make(chan error, 3)
				for range 3 {
					go func() {
						_, err := s.Token(context.Background())
						errs <- err
					}()
				}
				synctest.Wait()
				close(release)
				for range 3 {
					err := <-errs
					require.ErrorIs(t, err, errTokenFetchPanicked)
					assert.Equal(t, tt.want, err.Error())
					assert.NotContains(t, err.Error(), "Y2xpZW50")
				}
				assert.Equal(t, "tok-2", mustToken(t, s), "the next call fetches again")
			})
		})
	}
}

// TestTokenBackgroundRefreshPanic: a panic in a background refresh does not crash the
// process, is not reported, and counts as a failed refresh.
func TestTokenBackgroundRefreshPanic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var clk testClock
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 2 {
				panic(errors.New("nil map in RoundTrip"))
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch, now: clk.now}
		require.Equal(t, "tok-1", mustToken(t, s))
		clk.set(55 * time.Minute)
		assert.Equal(t, "tok-1", mustToken(t, s))
		synctest.Wait()
		assert.Equal(t, "tok-1", mustToken(t, s), "no refresh right after the failed one")
		clk.advance(tokenRefreshRetryInterval)
		assert.Equal(t, "tok-1", mustToken(t, s))
		synctest.Wait()
		assert.Equal(t, "tok-3", mustToken(t, s))
	})
}

// TestTokenFetchGoexit: a fetch that ends its goroutine (runtime.Goexit, as t.FailNow does)
// still releases its waiters.
func TestTokenFetchGoexit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: time.Hour, hook: func(_ context.Context, n int) error {
			if n == 1 {
				runtime.Goexit()
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}
		_, err := s.Token(context.Background())
		assert.ErrorIs(t, err, errTokenFetchPanicked)
		assert.Equal(t, "tok-2", mustToken(t, s))
	})
}

type ctxKey struct{}

// TestTokenWaiterContextCancelled: the caller that started the fetch gives up; it returns at
// once with its ctx error, while the fetch continues for the other waiter and is cached.
func TestTokenWaiterContextCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var fetchCtx context.Context
		f := &fakeFetch{expiresIn: time.Hour, hook: func(ctx context.Context, _ int) error {
			fetchCtx = ctx
			<-release
			return ctx.Err()
		}}
		s := &tokenSource{fetch: f.fetch}

		ctxA, cancelA := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-1"))
		type result struct {
			tok string
			err error
		}
		resA, resB := make(chan result, 1), make(chan result, 1)
		go func() { tok, err := s.Token(ctxA); resA <- result{tok, err} }()
		synctest.Wait() // A started the fetch
		go func() { tok, err := s.Token(context.Background()); resB <- result{tok, err} }()
		synctest.Wait()

		before := time.Now()
		cancelA()
		synctest.Wait()
		select {
		case r := <-resA:
			assert.ErrorIs(t, r.err, context.Canceled)
			assert.Empty(t, r.tok)
		default:
			close(release)
			t.Fatal("cancelled caller still waiting for the fetch")
		}
		assert.Equal(t, before, time.Now(), "returned without waiting")
		assert.NoError(t, fetchCtx.Err(), "the fetch was not cancelled with its first caller")
		assert.Equal(t, "trace-1", fetchCtx.Value(ctxKey{}), "the fetch keeps the caller's values")

		close(release)
		r := <-resB
		require.NoError(t, r.err)
		assert.Equal(t, "tok-1", r.tok)
		assert.Equal(t, "tok-1", mustToken(t, s), "the result was cached")
		assert.EqualValues(t, 1, f.calls.Load())
	})
}

func TestTokenDoneContextStartsNoFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: time.Hour}
		s := &tokenSource{fetch: f.fetch}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Token(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		synctest.Wait()
		assert.EqualValues(t, 0, f.calls.Load())

		// A cached token is still returned: the ctx only limits waiting.
		require.Equal(t, "tok-1", mustToken(t, s))
		tok, err := s.Token(ctx)
		assert.NoError(t, err)
		assert.Equal(t, "tok-1", tok)
	})
}

func TestTokenFetchTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: time.Hour, hook: func(ctx context.Context, n int) error {
			if n == 1 {
				<-ctx.Done() // a hung token request
				return ctx.Err()
			}
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}
		start := time.Now()
		_, err := s.Token(context.Background())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, defaultTokenFetchTimeout, time.Since(start))

		s.fetchTimeout = time.Second
		f.hook = func(ctx context.Context, _ int) error { <-ctx.Done(); return ctx.Err() }
		start = time.Now()
		_, err = s.Token(context.Background())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(start))
	})
}

// TestTokenLifetimeFromFetchIsClamped: whatever lifetime fetch reports, the token is cached
// for at least minTokenLifetime, so a bad expires_in cannot make every call fetch.
func TestTokenLifetimeFromFetchIsClamped(t *testing.T) {
	tests := []struct {
		expiresIn time.Duration
		expiresAt time.Duration
	}{
		{0, defaultTokenLifetime},
		{-time.Second, defaultTokenLifetime},
		{time.Nanosecond, minTokenLifetime},
		{math.MaxInt64, maxTokenLifetime},
	}
	for _, tt := range tests {
		t.Run(tt.expiresIn.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var clk testClock
				f := &fakeFetch{expiresIn: tt.expiresIn, hook: func(_ context.Context, n int) error {
					if n > 1 {
						return errors.New("down") // keep refreshes from replacing tok-1
					}
					return nil
				}}
				s := &tokenSource{fetch: f.fetch, now: clk.now}
				assert.Equal(t, "tok-1", mustToken(t, s))
				clk.set(tt.expiresAt - time.Nanosecond)
				assert.Equal(t, "tok-1", mustToken(t, s))
				synctest.Wait()
				clk.set(tt.expiresAt)
				_, err := s.Token(context.Background())
				assert.Error(t, err, "expired")
			})
		})
	}
}

func TestTokenLifetime(t *testing.T) {
	tests := []struct {
		raw  string // "" means the field is missing
		want time.Duration
	}{
		{`86400`, 24 * time.Hour},
		{`14400`, 4 * time.Hour},
		{`3600`, time.Hour},
		{`3599.5`, 3599*time.Second + 500*time.Millisecond},
		{`3.6e3`, time.Hour},
		{` 3600 `, time.Hour},
		{`"3600"`, time.Hour}, // quoted: read as the number it holds
		{`"3599.5"`, 3599*time.Second + 500*time.Millisecond},
		{`60`, time.Minute},       // the floor itself
		{`59.999`, time.Minute},   // raised to the floor
		{`1`, time.Minute},        // raised to the floor
		{`1e-300`, time.Minute},   // positive, however small
		{`86401`, 24 * time.Hour}, // lowered to the ceiling
		{`1e300`, 24 * time.Hour},
		{`1e400`, 24 * time.Hour}, // beyond float64: +Inf
		{`9223372036854775807`, 24 * time.Hour},
		{`18446744073709551616`, 24 * time.Hour},
		{"", defaultTokenLifetime},
		{`null`, defaultTokenLifetime},
		{`0`, defaultTokenLifetime},
		{`-0`, defaultTokenLifetime},
		{`-1`, defaultTokenLifetime},
		{`-1e400`, defaultTokenLifetime},
		{`-9223372036854775808`, defaultTokenLifetime},
		{`""`, defaultTokenLifetime},
		{`"soon"`, defaultTokenLifetime},
		{`"Inf"`, defaultTokenLifetime},
		{`"NaN"`, defaultTokenLifetime},
		{`"0x10"`, defaultTokenLifetime},
		{`" 3600"`, defaultTokenLifetime},
		{`true`, defaultTokenLifetime},
		{`[3600]`, defaultTokenLifetime},
		{`{"seconds":3600}`, defaultTokenLifetime},
		{`3600x`, defaultTokenLifetime}, // not JSON
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			var raw json.RawMessage
			if tt.raw != "" {
				raw = json.RawMessage(tt.raw)
			}
			assert.Equal(t, tt.want, tokenLifetime(raw))
		})
	}
}

// TestTokenLifetimeFromResponse: the field as the client decodes it from a token response.
func TestTokenLifetimeFromResponse(t *testing.T) {
	for body, want := range map[string]time.Duration{
		`{"access_token":"a","expires_in":7200}`:    2 * time.Hour,
		`{"access_token":"a","expires_in":null}`:    defaultTokenLifetime,
		`{"access_token":"a"}`:                      defaultTokenLifetime,
		`{"access_token":"a","expires_in":"7200"}`:  2 * time.Hour,
		`{"access_token":"a","expires_in":7200.25}`: 7200*time.Second + 250*time.Millisecond,
	} {
		var tok struct {
			ExpiresIn json.RawMessage `json:"expires_in"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &tok))
		assert.Equal(t, want, tokenLifetime(tok.ExpiresIn), body)
	}
}

func TestTokenEmptyTokenIsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		s := &tokenSource{fetch: func(context.Context) (string, time.Duration, error) {
			calls++
			if calls == 1 {
				return "", time.Hour, nil
			}
			return "tok-2", time.Hour, nil
		}}
		_, err := s.Token(context.Background())
		assert.ErrorIs(t, err, errEmptyAccessToken)
		assert.Equal(t, "tok-2", mustToken(t, s))
	})
}

// panickyTransport panics with the whole request, Basic credentials included, on the first
// token request, and sends everything else to the default transport.
type panickyTransport struct{ panicked atomic.Bool }

func (p *panickyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/auth/token") && p.panicked.CompareAndSwap(false, true) {
		panic(fmt.Sprintf("headers %v of %s %s", r.Header, r.Method, r.URL))
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestClientTokenFetchPanic: a RoundTripper that panics during the token fetch (which runs in a
// goroutine of the SDK) gives the call an error without the credentials, and the process lives.
func TestClientTokenFetchPanic(t *testing.T) {
	ts := &tokenServer{expiresIn: 3600}
	api := newFakeAPI(t, ts.handler(t))
	c, err := New(WithBaseURL(api.URL()), WithClientCredentials("T12345678", "client-id", "client-secret"),
		WithHTTPClient(&http.Client{Transport: &panickyTransport{}}))
	require.NoError(t, err)

	_, err = c.GetSession(context.Background(), testSessionID)
	require.ErrorIs(t, err, errTokenFetchPanicked)
	assert.Contains(t, err.Error(), "headers map[Accept:[application/json] Authorization:[Basic [redacted]]")
	assert.NotContains(t, err.Error(), "client-secret")
	// Not even the start of the Basic credential, which the cut at 80 bytes falls inside.
	assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString([]byte("client-id:client-secret"))[:8])
	assert.Less(t, len(err.Error()), 200)

	_, err = c.GetSession(context.Background(), testSessionID)
	require.NoError(t, err, "the next call fetches a token again")
	assert.EqualValues(t, 1, ts.fetches.Load())
}

// TestClientTokenExpiresInShapes: the call succeeds whatever expires_in holds.
func TestClientTokenExpiresInShapes(t *testing.T) {
	for _, expiresIn := range []string{`3599.5`, `"3600"`, `1e300`, `-1`, `null`, `"soon"`} {
		t.Run(expiresIn, func(t *testing.T) {
			api := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/auth/token") {
					writeJSON(w, 200, `{"access_token":"tok-1","token_type":"Bearer","expires_in":`+expiresIn+`}`)
					return
				}
				writeJSON(w, 200, sessionJSON(testSessionID))
			})
			c, err := New(WithBaseURL(api.URL()), WithClientCredentials("T12345678", "client-id", "client-secret"))
			require.NoError(t, err)
			_, err = c.GetSession(context.Background(), testSessionID)
			require.NoError(t, err)
			_, err = c.GetSession(context.Background(), testSessionID)
			require.NoError(t, err)
			assert.Len(t, api.recorded(), 3, "one token fetch for two calls")
		})
	}
}
