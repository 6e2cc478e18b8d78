package dintero

import (
	"context"
	"errors"
	"fmt"
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

func mustToken(t *testing.T, s *tokenSource) string {
	t.Helper()
	tok, err := s.Token(context.Background())
	require.NoError(t, err)
	return tok
}

// TestTokenRefreshPoint pins the refresh rule min(expires_in/2, 5m) to the nanosecond with
// an injected clock.
func TestTokenRefreshPoint(t *testing.T) {
	tests := []struct {
		expiresIn time.Duration
		refreshAt time.Duration // after the fetch started
	}{
		{24 * time.Hour, 24*time.Hour - 5*time.Minute},
		{time.Hour, 55 * time.Minute},
		{10 * time.Minute, 5 * time.Minute}, // both rules agree
		{2 * time.Minute, time.Minute},
		{time.Second, 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.expiresIn.String(), func(t *testing.T) {
			t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var offset atomic.Int64
			f := &fakeFetch{expiresIn: tt.expiresIn}
			s := &tokenSource{fetch: f.fetch, now: func() time.Time { return t0.Add(time.Duration(offset.Load())) }}

			assert.Equal(t, "tok-1", mustToken(t, s))
			offset.Store(int64(tt.refreshAt - time.Nanosecond))
			assert.Equal(t, "tok-1", mustToken(t, s), "cached until the refresh point")
			assert.EqualValues(t, 1, f.calls.Load())
			offset.Store(int64(tt.refreshAt))
			assert.Equal(t, "tok-2", mustToken(t, s), "refetched at the refresh point")
			assert.EqualValues(t, 2, f.calls.Load())
		})
	}
}

func TestTokenRefetchAfterExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: 10 * time.Minute}
		s := &tokenSource{fetch: f.fetch}
		assert.Equal(t, "tok-1", mustToken(t, s))
		assert.Equal(t, "tok-1", mustToken(t, s))
		time.Sleep(11 * time.Minute)
		assert.Equal(t, "tok-2", mustToken(t, s))
		assert.Equal(t, "tok-2", mustToken(t, s))
		assert.EqualValues(t, 2, f.calls.Load())
	})
}

// TestTokenLifetimeCountsFromFetchStart: a slow fetch does not extend the token's life.
func TestTokenLifetimeCountsFromFetchStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFetch{expiresIn: time.Hour, hook: func(context.Context, int) error {
			time.Sleep(10 * time.Second) // request latency
			return nil
		}}
		s := &tokenSource{fetch: f.fetch}
		start := time.Now()
		assert.Equal(t, "tok-1", mustToken(t, s))
		time.Sleep(start.Add(55*time.Minute - time.Nanosecond).Sub(time.Now()))
		assert.Equal(t, "tok-1", mustToken(t, s))
		time.Sleep(time.Nanosecond)
		assert.Equal(t, "tok-2", mustToken(t, s))
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

func TestTokenUnknownLifetimeNotCached(t *testing.T) {
	for _, expiresIn := range []time.Duration{0, -time.Second} {
		t.Run(expiresIn.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				f := &fakeFetch{expiresIn: expiresIn, hook: func(_ context.Context, n int) error {
					if n == 1 {
						<-release
					}
					return nil
				}}
				s := &tokenSource{fetch: f.fetch}

				// Callers waiting for the same fetch all get its token…
				var wg sync.WaitGroup
				for range 3 {
					wg.Go(func() { assert.Equal(t, "tok-1", mustToken(t, s)) })
				}
				synctest.Wait()
				close(release)
				wg.Wait()
				assert.EqualValues(t, 1, f.calls.Load())
				// …but the next call fetches again.
				assert.Equal(t, "tok-2", mustToken(t, s))
				assert.Equal(t, "tok-3", mustToken(t, s))
			})
		})
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
