package dintero

// Access-token cache for the OAuth2 client-credentials flow.
//
// Dintero issues a JWT from POST /v1/accounts/{aid}/auth/token with
// {"access_token", "token_type": "Bearer", "expires_in": <seconds>}; there is no refresh token,
// so a new one is fetched with the client credentials again
// (https://docs.dintero.com/docs/checkout/authentication). The documented lifetime has been
// both 86400 s (that page) and 4 h (the online-checkout guide), so nothing here assumes one:
// the cache only trusts expires_in.
//
// The client plugs the HTTP call in as tokenSource.fetch; this file only decides when to call
// it and who waits for it.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paysession/paysession-go/internal/redact"
)

// maxTokenRefreshMargin caps how long before expiry a token is replaced; see refreshMargin.
const maxTokenRefreshMargin = 5 * time.Minute

// defaultTokenFetchTimeout bounds a fetch when tokenSource.fetchTimeout is zero. The fetch is
// detached from the callers' contexts (see Token), so something must bound it, otherwise one
// hung token request would block every later caller until their own deadlines.
const defaultTokenFetchTimeout = 30 * time.Second

// errEmptyAccessToken is returned when fetch reports success but returns no token.
var errEmptyAccessToken = errors.New("empty access token")

// accessToken is a cached token. value is a bearer credential, held as a redact.Secret so that
// printing the client (fmt on an unexported field, go-spew) never shows it.
type accessToken struct {
	value redact.Secret
	// expiresAt is when the server says the token expires: the time the fetch STARTED plus
	// expires_in. Using the start time errs on the safe side by the request's latency, since
	// the server starts counting somewhere between our send and its response.
	expiresAt time.Time
	// refreshAt is when the cache stops handing the token out: expiresAt - refreshMargin.
	refreshAt time.Time
}

// tokenSource caches an access token and fetches a new one when needed, with at most one
// fetch in flight at any time. The zero value is not usable: fetch must be set. It is safe
// for concurrent use.
type tokenSource struct {
	// fetch obtains a new token and its lifetime (expires_in). ctx is detached from the
	// callers' cancellation but keeps their values, and carries the fetch timeout.
	// An expiresIn <= 0 means the lifetime is unknown: the token is handed to the callers
	// waiting for this fetch and not cached.
	fetch func(ctx context.Context) (token string, expiresIn time.Duration, err error)
	// now returns the current time; nil means time.Now. Expiry arithmetic uses the
	// monotonic clock reading that time.Now carries, so wall-clock jumps do not matter.
	now func() time.Time
	// fetchTimeout bounds one fetch; zero means defaultTokenFetchTimeout.
	fetchTimeout time.Duration

	mu     sync.Mutex
	cached *accessToken // nil when nothing usable is cached
	flight *tokenFlight // non-nil while a fetch runs
}

// tokenFlight is one fetch that any number of callers wait for.
type tokenFlight struct {
	done  chan struct{} // closed when value/err are set
	value redact.Secret
	err   error
}

// refreshMargin is how long before expiry a token stops being used:
// min(expires_in/2, 5 minutes).
//
// Why: a token handed out must outlive the request (and its retries) that carries it, so we
// want a margin of minutes, not seconds. For Dintero's documented lifetimes (hours) the cap of
// 5 minutes keeps ~99% of the lifetime usable and costs one fetch per lifetime. For
// unexpectedly short lifetimes the expires_in/2 term still caches the token for half its life
// instead of never (a fixed margin such as the Python SDK's 10 minutes refetches on every call
// once expires_in < 10 min); it is also the Node SDK's rule
// (Dintero.Node.SDK src/middleware.ts refreshes after expires_in/2).
func refreshMargin(expiresIn time.Duration) time.Duration {
	return min(expiresIn/2, maxTokenRefreshMargin)
}

// Token returns a valid access token, fetching one if none is cached or the cached one has
// reached its refresh point.
//
// Concurrent callers share one fetch (single flight). Each caller waits only as long as its
// own ctx allows and then returns ctx.Err(); the fetch itself is NOT cancelled by that, since
// other callers may be waiting for it and its result is cached for later ones. It runs with
// context.WithoutCancel of the ctx of the caller that started it (keeping values such as trace
// ids) plus fetchTimeout. A caller whose ctx is already done when a fetch would have to start
// gets ctx.Err() and starts nothing.
//
// A fetch error is returned to every caller waiting for that fetch and is not cached: the next
// call fetches again. (There is no backoff here; the client's retry policy applies.)
func (s *tokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if c := s.cached; c != nil && s.clock().Before(c.refreshAt) {
		s.mu.Unlock()
		return c.value.Reveal(), nil
	}
	f := s.flight
	if f == nil {
		if err := ctx.Err(); err != nil {
			s.mu.Unlock()
			return "", err
		}
		f = &tokenFlight{done: make(chan struct{})}
		s.flight = f
		// The fetch runs in its own goroutine, not the first caller's, so that this caller
		// too can stop waiting when its ctx ends.
		go s.run(context.WithoutCancel(ctx), f)
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

// run performs one fetch and publishes its result to the flight's waiters and the cache.
func (s *tokenSource) run(ctx context.Context, f *tokenFlight) {
	timeout := s.fetchTimeout
	if timeout <= 0 {
		timeout = defaultTokenFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := s.clock()
	value, expiresIn, err := s.fetch(ctx)
	if err == nil && value == "" {
		err = errEmptyAccessToken
	}

	s.mu.Lock()
	s.flight = nil
	if err != nil {
		// Not cached. The fetch's own error text is the client's responsibility; this
		// package never adds the token (there is none) or the credentials.
		f.err = fmt.Errorf("fetching access token: %w", err)
	} else {
		f.value = redact.NewSecret(value)
		if expiresIn > 0 {
			expiresAt := start.Add(expiresIn)
			s.cached = &accessToken{
				value:     f.value,
				expiresAt: expiresAt,
				refreshAt: expiresAt.Add(-refreshMargin(expiresIn)),
			}
		} else {
			// Unknown lifetime: use it for the callers of this fetch only.
			s.cached = nil
		}
	}
	s.mu.Unlock()
	close(f.done)
}

// Invalidate drops token from the cache, so the next Token call fetches a new one. Call it
// with the token that was sent when the API answered 401. It compares by value, so a late 401
// for an older token does not drop a newer token that another goroutine has fetched since.
func (s *tokenSource) Invalidate(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cached != nil && s.cached.value.Reveal() == token {
		s.cached = nil
	}
}

func (s *tokenSource) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}
