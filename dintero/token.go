package dintero

// Access-token cache for the OAuth2 client-credentials flow.
//
// Dintero issues a JWT from POST /v1/accounts/{aid}/auth/token with
// {"access_token", "token_type": "Bearer", "expires_in": <seconds>}; there is no refresh token,
// so a new one is fetched with the client credentials again
// (https://docs.dintero.com/docs/checkout/authentication). The documented lifetime has been
// both 86400 s (that page) and 4 h (the online-checkout guide), so nothing here assumes one:
// the cache trusts expires_in, within the bounds of tokenLifetime.
//
// The client plugs the HTTP call in as tokenSource.fetch; this file only decides when to call
// it and who waits for it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/paysession/paysession-go/internal/untrusted"
	"strconv"
	"sync"
	"time"

	"github.com/paysession/paysession-go/internal/redact"
)

// Bounds of the lifetime the cache gives a token; see tokenLifetime.
const (
	// minTokenLifetime keeps a tiny expires_in from making every call fetch a token: with the
	// refresh margin of half the lifetime, a token is still used for 30 s.
	minTokenLifetime = time.Minute
	// maxTokenLifetime is the longest lifetime Dintero documents (expires_in 86400). A larger
	// value is not believed: it only costs one more fetch a day if it was true.
	maxTokenLifetime = 24 * time.Hour
	// defaultTokenLifetime is used when expires_in is missing or not a positive number. It is
	// far shorter than any lifetime Dintero documents (4 h and 24 h), so a guessed lifetime
	// never outlives the token; the price is one token request every 2.5 minutes.
	defaultTokenLifetime = 5 * time.Minute
)

// maxTokenRefreshMargin caps how long before expiry a token is replaced; see refreshMargin.
const maxTokenRefreshMargin = 5 * time.Minute

// tokenRefreshRetryInterval is how long after a failed background refresh the next one may
// start. The cached token is still valid then, so there is no hurry: this keeps a failing
// token endpoint from being asked again on every call (each attempt already has the client's
// retries), while leaving several more attempts before the token expires (the refresh window
// is at least 30 s and at most 5 minutes, see refreshMargin).
const tokenRefreshRetryInterval = 15 * time.Second

// defaultTokenFetchTimeout bounds a fetch when tokenSource.fetchTimeout is zero. The fetch is
// detached from the callers' contexts (see Token), so something must bound it, otherwise one
// hung token request would block every later caller until their own deadlines.
const defaultTokenFetchTimeout = 30 * time.Second

// errEmptyAccessToken is returned when fetch reports success but returns no token.
var errEmptyAccessToken = errors.New("empty access token")

// errTokenFetchPanicked is wrapped by the error the callers get when fetch panicked (for
// example in the user's http.RoundTripper), or ended its goroutine with runtime.Goexit.
var errTokenFetchPanicked = errors.New("access token fetch panicked")

// accessToken is a cached token. value is a bearer credential, held as a redact.Secret so that
// no printer shows it; never log it or put it in an error message.
type accessToken struct {
	value redact.Secret
	// expiresAt is when the server says the token expires: the time the fetch STARTED plus
	// its lifetime. Using the start time errs on the safe side by the request's latency, since
	// the server starts counting somewhere between our send and its response.
	expiresAt time.Time
	// refreshAt is when a background refresh starts: expiresAt - refreshMargin.
	refreshAt time.Time
}

// tokenSource caches an access token and fetches a new one when needed, with at most one
// fetch in flight at any time (except briefly after Invalidate, see there). The zero value is
// not usable: fetch must be set. It is safe for concurrent use.
type tokenSource struct {
	// fetch obtains a new token and its lifetime (expires_in, see tokenLifetime). ctx is
	// detached from the callers' cancellation but keeps their values, and carries the fetch
	// timeout. The lifetime is clamped with clampTokenLifetime.
	fetch func(ctx context.Context) (token string, expiresIn time.Duration, err error)
	// now returns the current time; nil means time.Now. Expiry arithmetic uses the
	// monotonic clock reading that time.Now carries, so wall-clock jumps do not matter.
	now func() time.Time
	// fetchTimeout bounds one fetch; zero means defaultTokenFetchTimeout.
	fetchTimeout time.Duration
	// scrub removes credentials from text; the message of a panic in fetch is quoted in the
	// error only when it is set (a RoundTripper may panic with the request, Basic auth and all).
	scrub func([]byte) []byte

	mu     sync.Mutex
	cached *accessToken // nil when no unexpired token is cached
	flight *tokenFlight // non-nil while a fetch runs
	// refreshPause is when a background refresh may start again after one failed.
	refreshPause time.Time
}

// tokenFlight is one fetch that any number of callers wait for.
type tokenFlight struct {
	done  chan struct{} // closed when value/err are set
	value redact.Secret
	err   error
}

// tokenLifetime reads the expires_in value of a token response (raw JSON, nil if the field is
// missing) and returns the lifetime to cache the token for. It never fails:
//   - a number of seconds, fractions included, is clamped to [minTokenLifetime,
//     maxTokenLifetime] (so huge values such as 1e300 cannot overflow a time.Duration);
//   - a string holding a number ("3600") is read the same way: RFC 6749 says number, but
//     servers that quote it exist and the meaning is clear;
//   - anything else (missing, null, 0, negative, not a number) means the lifetime is unknown:
//     defaultTokenLifetime.
func tokenLifetime(raw json.RawMessage) time.Duration {
	var n json.Number // accepts a number, or a string holding a valid JSON number
	if err := json.Unmarshal(raw, &n); err != nil || n == "" {
		return defaultTokenLifetime
	}
	// n is valid JSON number syntax, so the only possible error is ErrRange, which comes with
	// ±Inf: compared below like any other value. The comparisons come before the conversion to
	// a Duration, which is only defined for values in range.
	secs, _ := strconv.ParseFloat(string(n), 64)
	switch {
	case secs <= 0:
		return defaultTokenLifetime
	case secs <= minTokenLifetime.Seconds():
		return minTokenLifetime
	case secs >= maxTokenLifetime.Seconds():
		return maxTokenLifetime
	}
	return time.Duration(secs * float64(time.Second))
}

// clampTokenLifetime bounds a lifetime to [minTokenLifetime, maxTokenLifetime]; a lifetime <= 0
// is unknown and becomes defaultTokenLifetime.
func clampTokenLifetime(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultTokenLifetime
	}
	return min(max(d, minTokenLifetime), maxTokenLifetime)
}

// refreshMargin is how long before expiry a token is refreshed in the background:
// min(expires_in/2, 5 minutes).
//
// Why: the refresh should be done, with retries, before the token runs out, so we want a
// margin of minutes, not seconds. For Dintero's documented lifetimes (hours) the cap of
// 5 minutes keeps ~99% of the lifetime usable and costs one fetch per lifetime. For short
// lifetimes the expires_in/2 term still caches the token for half its life instead of never
// (a fixed margin such as the Python SDK's 10 minutes refetches on every call once
// expires_in < 10 min); it is also the Node SDK's rule
// (Dintero.Node.SDK src/middleware.ts refreshes after expires_in/2).
func refreshMargin(expiresIn time.Duration) time.Duration {
	return min(expiresIn/2, maxTokenRefreshMargin)
}

// Token returns an unexpired access token.
//
// While the cached token is unexpired it is returned at once. Once it reaches its refresh
// point, the first call starts one background fetch and every call keeps getting the cached
// token without waiting. A failed background fetch is not reported to anyone: the cached token
// is still good, and the next call after tokenRefreshRetryInterval tries again, until the token
// expires.
//
// Only when no unexpired token is cached do callers wait for a fetch. Concurrent callers share
// one fetch (single flight) and all get its error if it fails; the error is not cached, so the
// next call fetches again (the client's retry policy applies inside a fetch). Each caller waits
// only as long as its own ctx allows and then returns ctx.Err(); the fetch itself is NOT
// cancelled by that, since other callers may be waiting for it and its result is cached for
// later ones. A caller whose ctx is already done when it would have to wait gets ctx.Err() and
// starts nothing.
//
// Every fetch runs in its own goroutine with context.WithoutCancel of the ctx of the caller that
// started it (keeping values such as trace ids) plus fetchTimeout. A panic in fetch is recovered
// there and becomes an error wrapping errTokenFetchPanicked for the callers waiting for that
// fetch: it would otherwise crash the process from a goroutine the caller cannot guard. The
// next fetch is tried as after any other error.
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	now := s.clock()
	if c := s.cached; c != nil {
		if now.Before(c.expiresAt) {
			if !now.Before(c.refreshAt) && s.flight == nil && !now.Before(s.refreshPause) {
				s.start(ctx)
			}
			s.mu.Unlock()
			return c.value.Reveal(), nil
		}
		s.cached = nil
	}
	f := s.flight
	if f == nil {
		if err := ctx.Err(); err != nil {
			s.mu.Unlock()
			return "", err
		}
		f = s.start(ctx)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil {
			return "", f.err
		}
		return f.value.Reveal(), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// start begins a fetch in its own goroutine, so that every waiter, the first included, can stop
// waiting when its ctx ends. s.mu must be held.
func (s *tokenSource) start(ctx context.Context) *tokenFlight {
	f := &tokenFlight{done: make(chan struct{})}
	s.flight = f
	go s.run(context.WithoutCancel(ctx), f)
	return f
}

// run performs one fetch and publishes its result to the flight's waiters and the cache.
func (s *tokenSource) run(ctx context.Context, f *tokenFlight) {
	timeout := s.fetchTimeout
	if timeout <= 0 {
		timeout = defaultTokenFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := s.clock()
	var (
		value     string
		expiresIn time.Duration
		err       error
		returned  bool
	)
	// Deferred, so that the waiters are released even when fetch panics or calls
	// runtime.Goexit (recover then returns nil, and the goroutine ends after this).
	defer func() {
		if !returned {
			err = s.panicError(recover())
		}
		s.publish(f, start, value, expiresIn, err)
	}()
	value, expiresIn, err = s.fetch(ctx)
	returned = true
}

// publish hands a fetch's result to its waiters and, if the flight is still the current one,
// caches it (see Invalidate for when it is not).
func (s *tokenSource) publish(f *tokenFlight, start time.Time, value string, expiresIn time.Duration, err error) {
	if err == nil && value == "" {
		err = errEmptyAccessToken
	}
	s.mu.Lock()
	current := s.flight == f
	if current {
		s.flight = nil
	}
	if err != nil {
		// Not cached. The fetch's own error text is the client's responsibility; this
		// package never adds the token (there is none) or the credentials.
		f.err = fmt.Errorf("fetching access token: %w", err)
		if current {
			s.refreshPause = s.clock().Add(tokenRefreshRetryInterval)
		}
	} else {
		f.value = redact.NewSecret(value)
		if current {
			lifetime := clampTokenLifetime(expiresIn)
			expiresAt := start.Add(lifetime)
			s.cached = &accessToken{
				value:     f.value,
				expiresAt: expiresAt,
				refreshAt: expiresAt.Add(-refreshMargin(lifetime)),
			}
		}
	}
	s.mu.Unlock()
	close(f.done)
}

// panicError describes what fetch panicked with, r (nil after runtime.Goexit). The value is
// quoted only scrubbed of the credentials and cut to one short line, and only when s.scrub is
// set; otherwise only its type is named.
func (s *tokenSource) panicError(r any) error {
	switch {
	case r == nil:
		return fmt.Errorf("%w: runtime.Goexit", errTokenFetchPanicked)
	case s.scrub == nil:
		return fmt.Errorf("%w: a value of type %T", errTokenFetchPanicked, r)
	default:
		// Scrub before cutting: a credential cut in half would no longer be found.
		return fmt.Errorf("%w: %s", errTokenFetchPanicked, untrusted.LineBytes(s.scrub([]byte(fmt.Sprint(r))), 80))
	}
}

// Invalidate drops token from the cache, so the next Token call fetches a new one. Call it
// with the token that was sent when the API answered 401. It compares by value, so a late 401
// for an older token does not drop a newer token that another goroutine has fetched since.
//
// A background refresh running when the token is dropped is not waited for nor cached: it
// started before the token was rejected and may return that same token (a token endpoint may
// hand out one token until it expires). The next Token call starts a new fetch, so every
// token handed out after Invalidate comes from a fetch that started after it.
func (s *tokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cached.value.Reveal() == token {
		s.cached = nil
		// A flight can only be running here as a background refresh, which nobody waits for
		// while a token is cached: detaching it leaves no caller stranded.
		s.flight = nil
	}
}

func (s *tokenSource) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}
