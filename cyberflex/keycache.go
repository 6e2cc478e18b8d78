package cyberflex

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The verification-key cache behind VerifyCaptureContext follows the limits below, so that
// tokens sent by an attacker can neither make it forget a good key nor make it send CyberSource
// more than a trickle of requests, and a key endpoint that fails never stops tokens whose key is
// cached from verifying.
//
//   - A key, once fetched, is kept for the life of the Client (CyberSource's kids are stable)
//     and is replaced only by a different key fetched for the same kid. A bad signature, a
//     refetch that fails or that returns the same key, and a 404 for a cached kid all leave it
//     in place.
//   - A token whose signature does not verify with the cached key makes the cache fetch that
//     kid's key again, in case CyberSource rotated it, at most once per KeyRefetchInterval.
//   - A kid CyberSource has no usable key for (404, or a key that is not RSA of at least 2048
//     bits) is answered from memory for UnknownKeyIDTTL, without a request.
//   - At most MaxKeyFetches fetches start in any KeyFetchWindow, across all kids. Beyond that
//     a fetch fails at once with an error wrapping ErrKeyFetch.
//   - At most MaxCachedKeys keys are kept; when a new one arrives the least recently used is
//     dropped (fetched again when next needed). As many unknown kids are remembered.
//   - A kid is only ever put into a URL if it is 1 to MaxKeyIDLength ASCII letters, digits, '-'
//     or '_'; any other kid is rejected with an error wrapping ErrCaptureContextMalformed, with no request.
//   - Concurrent verifications that need the same kid's key share one fetch.
const (
	// KeyRefetchInterval is how often, at most, a token with a known kid and a signature that does
	// not verify makes the cache fetch that kid's key again, to pick up a rotated key. Within the
	// interval such a token is rejected with ErrCaptureContextSignature without a request.
	KeyRefetchInterval = 5 * time.Minute

	// UnknownKeyIDTTL is how long the answer "no usable key for this kid" (404, or a weak
	// key) is remembered. It is short so that a key CyberSource publishes later is found.
	UnknownKeyIDTTL = time.Minute

	// MaxKeyFetches is how many key fetches may start within any KeyFetchWindow, for all kids of a
	// Client together. CyberSource uses a handful of kids, so 10 a minute is far above need, and a
	// flood of tokens with made-up kids costs CyberSource at most that. Each fetch is one GET
	// /flex/v2/public-keys/{kid}, plus the retries WithMaxRetries allows for 429 and 5xx.
	MaxKeyFetches = 10

	// KeyFetchWindow is the period MaxKeyFetches applies to.
	KeyFetchWindow = time.Minute

	// MaxCachedKeys is how many verification keys, and separately how many unknown kids, the
	// cache holds at most.
	MaxCachedKeys = 100

	// MaxKeyIDLength is the longest kid accepted. CyberSource's are two characters ("sn", "3g",
	// "zu"); 128 leaves room for any id scheme, including JWK thumbprints (43 characters).
	MaxKeyIDLength = 128
)

// keyFetcher returns the verification key published for kid; the Client's fetcher does an
// unauthenticated GET /flex/v2/public-keys/{kid} with Accept: application/json, as the
// official SDK utilities do (node PublicKeyApiController.js). The cache calls it only with a
// kid that passed checkKeyID, once at a time per kid, and within the fetch limit.
//
// Its answer means:
//   - a key and a nil error: the key published for kid;
//   - an error wrapping ErrUnknownKeyID (for HTTP, a 404), or a nil key and a nil error: no
//     key exists for kid; remembered for UnknownKeyIDTTL;
//   - any other error: a transient failure (network, 429, 5xx, a cancelled context); nothing
//     is remembered and a cached key stays.
type keyFetcher func(ctx context.Context, kid string) (*jose.JSONWebKey, error)

// keyCache fetches and keeps verification keys by kid, under the limits documented above
// (KeyRefetchInterval and the constants after it). It is safe for concurrent use.
type keyCache struct {
	fetch keyFetcher
	now   func() time.Time

	mu       sync.Mutex
	keys     map[string]*cachedKey   // at most MaxCachedKeys
	unknown  map[string]unknownKeyID // at most MaxCachedKeys
	inflight map[string]*fetchCall   // the fetch under way for a kid
	fetches  []time.Time             // start times of the latest fetches, oldest first, at most MaxKeyFetches
}

// cachedKey is a key fetched for a kid.
type cachedKey struct {
	key       *rsa.PublicKey
	lastUsed  time.Time
	refetched time.Time // when a bad signature last made the cache fetch the kid again; zero: never
}

// unknownKeyID remembers that no usable key exists for a kid.
type unknownKeyID struct {
	err error // the answer (a *rememberedError), returned again without a request
	at  time.Time
}

// fetchCall is one fetch under way, which concurrent callers for the same kid wait for.
type fetchCall struct {
	done    chan struct{} // closed when key and err are final
	refetch bool          // started because a signature did not verify with the cached key
	started time.Time
	key     *rsa.PublicKey
	err     error
}

// errFetchLimit is wrapped (with ErrKeyFetch) when a fetch is refused by the fetch limit.
var errFetchLimit = fmt.Errorf("key fetch limit reached (at most %d fetches per %s, for all kids); try again later",
	MaxKeyFetches, KeyFetchWindow)

// newKeyCache returns a cache that fetches keys with fetch and reads time.Now.
func newKeyCache(fetch keyFetcher) *keyCache {
	return newKeyCacheWithClock(fetch, time.Now)
}

// newKeyCacheWithClock returns a cache that fetches keys with fetch and measures its intervals
// with now.
func newKeyCacheWithClock(fetch keyFetcher, now func() time.Time) *keyCache {
	return &keyCache{
		fetch:    fetch,
		now:      now,
		keys:     make(map[string]*cachedKey),
		unknown:  make(map[string]unknownKeyID),
		inflight: make(map[string]*fetchCall),
	}
}

// checkKeyID rejects a kid that is not a plain id before it can reach a URL path: no '.', '/',
// '%', '?', '#', whitespace or other character that a URL or a server could read as more than
// one path segment, and nothing longer than MaxKeyIDLength.
func checkKeyID(kid string) error {
	ok := len(kid) >= 1 && len(kid) <= MaxKeyIDLength
	for i := 0; ok && i < len(kid); i++ {
		ok = isBase64URLByte(kid[i])
	}
	if !ok {
		return fmt.Errorf("%w: kid %s (%d bytes) is not a key id: want 1 to %d ASCII letters, digits, '-' or '_'",
			ErrCaptureContextMalformed, quoteShort(kid), len(kid), MaxKeyIDLength)
	}
	return nil
}

// get returns the key for kid: the cached one, or the remembered "unknown" answer, or else the
// result of a fetch (shared with concurrent callers).
func (c *keyCache) get(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	if err := checkKeyID(kid); err != nil {
		return nil, err
	}
	for {
		c.mu.Lock()
		now := c.now()
		if e, ok := c.keys[kid]; ok {
			e.lastUsed = now
			key := e.key
			c.mu.Unlock()
			return key, nil
		}
		if u, ok := c.unknown[kid]; ok {
			if within(now, u.at, UnknownKeyIDTTL) {
				c.mu.Unlock()
				return nil, u.err
			}
			delete(c.unknown, kid)
		}
		call, busy := c.inflight[kid]
		if !busy {
			call, err := c.start(kid, now, false)
			c.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return c.lead(ctx, kid, call)
		}
		c.mu.Unlock()
		if again, key, err := c.wait(ctx, kid, call); !again {
			return key, err
		}
	}
}

// refresh is called when a token with kid did not verify with stale, the key get returned. It
// returns the key to try again: a different one cached since, or the one fetched now (possibly
// stale again) if the kid was not refetched within KeyRefetchInterval. It returns nil and no
// error when no fetch is due. Errors leave the cached key in place.
func (c *keyCache) refresh(ctx context.Context, kid string, stale *rsa.PublicKey) (*rsa.PublicKey, error) {
	for {
		c.mu.Lock()
		now := c.now()
		e, cached := c.keys[kid]
		call, busy := c.inflight[kid]
		switch {
		case cached && !e.key.Equal(stale):
			e.lastUsed = now
			key := e.key
			c.mu.Unlock()
			return key, nil
		case busy:
			c.mu.Unlock()
			if again, key, err := c.wait(ctx, kid, call); !again {
				return key, err
			}
			continue
		case !cached:
			// Dropped since get to make room (MaxCachedKeys): no reason to fetch.
			c.mu.Unlock()
			return nil, nil
		case within(now, e.refetched, KeyRefetchInterval):
			c.mu.Unlock()
			return nil, nil
		}
		call, err := c.start(kid, now, true)
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return c.lead(ctx, kid, call)
	}
}

// start registers a fetch of kid that the caller then leads, or refuses it when MaxKeyFetches
// fetches started within the last KeyFetchWindow. c.mu must be held.
func (c *keyCache) start(kid string, now time.Time, refetch bool) (*fetchCall, error) {
	if len(c.fetches) == MaxKeyFetches {
		if within(now, c.fetches[0], KeyFetchWindow) {
			return nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), errFetchLimit)
		}
		c.fetches = append(c.fetches[:0], c.fetches[1:]...)
	}
	c.fetches = append(c.fetches, now)
	call := &fetchCall{done: make(chan struct{}), refetch: refetch, started: now}
	c.inflight[kid] = call
	return call, nil
}

// lead performs the fetch for call and publishes the result. The deferred
// publication also runs if the fetcher panics, so waiters are released
// (with an error) instead of blocking forever; the panic itself propagates.
func (c *keyCache) lead(ctx context.Context, kid string, call *fetchCall) (*rsa.PublicKey, error) {
	call.err = fmt.Errorf("%w (kid %s): key fetcher panicked", ErrKeyFetch, quoteShort(kid))
	defer c.publish(kid, call)
	call.key, call.err = c.fetchKey(ctx, kid)
	return call.key, call.err
}

// publish records the outcome of call and releases its waiters. A fetched key is cached,
// replacing the kid's key; an error never removes a cached key, and "no usable key" is
// remembered only for a kid without one.
func (c *keyCache) publish(kid string, call *fetchCall) {
	c.mu.Lock()
	delete(c.inflight, kid)
	now := c.now()
	e := c.keys[kid]
	switch {
	case call.err == nil && e != nil:
		e.key = call.key
		e.lastUsed = now
	case call.err == nil:
		e = c.store(kid, call.key, now)
		delete(c.unknown, kid)
	case e == nil && errors.Is(call.err, ErrUnknownKeyID):
		c.remember(kid, call.err, ErrUnknownKeyID, now)
	case e == nil && errors.Is(call.err, ErrWeakKey):
		c.remember(kid, call.err, ErrWeakKey, now)
	}
	// A refetch counts once it got an answer; one cut short by the caller's context does not
	// use up the kid's KeyRefetchInterval.
	if call.refetch && e != nil && !errors.Is(call.err, context.Canceled) && !errors.Is(call.err, context.DeadlineExceeded) {
		e.refetched = call.started
	}
	c.mu.Unlock()
	close(call.done)
}

// wait waits for call, which another goroutine leads. again reports that the leader's context
// ended while ctx is live: then the caller should try again rather than fail with its error.
func (c *keyCache) wait(ctx context.Context, kid string, call *fetchCall) (again bool, key *rsa.PublicKey, err error) {
	select {
	case <-call.done:
	case <-ctx.Done():
		return false, nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), ctx.Err())
	}
	if call.err != nil && ctx.Err() == nil &&
		(errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
		return true, nil, nil
	}
	return false, call.key, call.err
}

// store caches key for kid, first dropping the least recently used key if the cache is full.
// c.mu must be held.
func (c *keyCache) store(kid string, key *rsa.PublicKey, now time.Time) *cachedKey {
	if len(c.keys) >= MaxCachedKeys {
		lru := ""
		for k, e := range c.keys {
			if lru == "" || e.lastUsed.Before(c.keys[lru].lastUsed) {
				lru = k
			}
		}
		delete(c.keys, lru)
	}
	e := &cachedKey{key: key, lastUsed: now}
	c.keys[kid] = e
	return e
}

// remember records that kid has no usable key (err wraps sentinel), first dropping expired
// entries, and the oldest if the record is still full. c.mu must be held.
func (c *keyCache) remember(kid string, err, sentinel error, now time.Time) {
	oldest := ""
	for k, u := range c.unknown {
		if !within(now, u.at, UnknownKeyIDTTL) {
			delete(c.unknown, k)
		} else if oldest == "" || u.at.Before(c.unknown[oldest].at) {
			oldest = k
		}
	}
	if len(c.unknown) >= MaxCachedKeys {
		delete(c.unknown, oldest)
	}
	c.unknown[kid] = unknownKeyID{err: &rememberedError{msg: err.Error(), sentinel: sentinel}, at: now}
}

// rememberedError is a remembered "no usable key" answer: its one-line text and its sentinel,
// without what else it wrapped (an *APIError holds up to 8 MiB of response body), so that what
// the cache keeps stays small.
type rememberedError struct {
	msg      string
	sentinel error
}

func (e *rememberedError) Error() string { return e.msg }
func (e *rememberedError) Unwrap() error { return e.sentinel }

// within reports whether now is less than d after since. A clock that went back before since
// counts as outside, so that a clock jump cannot hold a limit for longer than d.
func within(now, since time.Time, d time.Duration) bool {
	elapsed := now.Sub(since)
	return elapsed >= 0 && elapsed < d
}

// fetchKey calls the fetcher and checks that the key is RSA >= 2048 bits.
func (c *keyCache) fetchKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	jwk, err := c.fetch(ctx, kid)
	switch {
	case errors.Is(err, ErrUnknownKeyID):
		return nil, fmt.Errorf("%w (kid %s)", err, quoteShort(kid))
	case err != nil:
		return nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), err)
	case jwk == nil || jwk.Key == nil:
		return nil, fmt.Errorf("%w: no key published for kid %s", ErrUnknownKeyID, quoteShort(kid))
	}
	var pub *rsa.PublicKey
	switch k := jwk.Key.(type) {
	case *rsa.PublicKey:
		pub = k
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	default:
		return nil, fmt.Errorf("%w: kid %s is a %T", ErrWeakKey, quoteShort(kid), jwk.Key)
	}
	if pub.N == nil || pub.N.BitLen() < minRSABits {
		bits := 0
		if pub.N != nil {
			bits = pub.N.BitLen()
		}
		return nil, fmt.Errorf("%w: kid %s is %d bits", ErrWeakKey, quoteShort(kid), bits)
	}
	return pub, nil
}
