package cyberflex

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSAKeyBits is the smallest verification key accepted, as in the
// official SDK utilities (node JWTUtility.js: RSA >= 2048 bits).
const minRSAKeyBits = 2048

// keyFetcher returns the verification key for kid. The production fetcher
// does an unauthenticated GET /flex/v2/public-keys/{kid} with
// Accept: application/json (node PublicKeyApiController.js). It reports "no
// such key" (HTTP 404) with an error wrapping ErrUnknownKeyID, or with
// (nil, nil); any other error is treated as a transient fetch failure.
type keyFetcher func(ctx context.Context, kid string) (*jose.JSONWebKey, error)

// keyCache verifies capture contexts with keys from fetch, caching each
// accepted key per kid. It is safe for concurrent use; concurrent misses for
// the same kid share a single fetch. Keys are cached for the life of the
// cache (CyberSource kids are stable; a rotated key under the same kid is
// picked up by the re-fetch on signature failure), and failed fetches are not
// cached.
type keyCache struct {
	fetch keyFetcher

	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	inflight map[string]*fetchCall
}

// fetchCall is one in-flight fetch that concurrent callers wait on.
type fetchCall struct {
	done chan struct{}
	key  *rsa.PublicKey
	err  error
}

func newKeyCache(fetch keyFetcher) *keyCache {
	return &keyCache{
		fetch:    fetch,
		keys:     make(map[string]*rsa.PublicKey),
		inflight: make(map[string]*fetchCall),
	}
}

// get returns the cached key for kid, fetching it on a miss.
func (c *keyCache) get(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	for {
		c.mu.Lock()
		if k, ok := c.keys[kid]; ok {
			c.mu.Unlock()
			return k, nil
		}
		if call, ok := c.inflight[kid]; ok {
			c.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("%w (kid %s): %w", ErrKeyFetch, quoteShort(kid), ctx.Err())
			}
			// The leader's context may have been cancelled while ours is
			// still live: then fetch again rather than fail with its error.
			if call.err != nil && ctx.Err() == nil &&
				(errors.Is(call.err, context.Canceled) || errors.Is(call.err, context.DeadlineExceeded)) {
				continue
			}
			return call.key, call.err
		}
		call := &fetchCall{done: make(chan struct{})}
		c.inflight[kid] = call
		c.mu.Unlock()
		return c.lead(ctx, kid, call)
	}
}

// lead performs the fetch for call and publishes the result. The deferred
// publication also runs if the fetcher panics, so waiters are released
// (with an error) instead of blocking forever; the panic itself propagates.
func (c *keyCache) lead(ctx context.Context, kid string, call *fetchCall) (*rsa.PublicKey, error) {
	call.err = fmt.Errorf("%w (kid %s): key fetcher panicked", ErrKeyFetch, quoteShort(kid))
	defer func() {
		c.mu.Lock()
		delete(c.inflight, kid)
		if call.err == nil {
			c.keys[kid] = call.key
		}
		c.mu.Unlock()
		close(call.done)
	}()
	call.key, call.err = c.fetchKey(ctx, kid)
	return call.key, call.err
}

// refresh drops stale (the key that just failed to verify) from the cache
// and fetches kid again. If another goroutine has already replaced stale, its
// key is used without a new fetch.
func (c *keyCache) refresh(ctx context.Context, kid string, stale *rsa.PublicKey) (*rsa.PublicKey, error) {
	c.mu.Lock()
	if k, ok := c.keys[kid]; ok {
		if !k.Equal(stale) {
			c.mu.Unlock()
			return k, nil
		}
		delete(c.keys, kid)
	}
	c.mu.Unlock()
	return c.get(ctx, kid)
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
	if pub.N == nil || pub.N.BitLen() < minRSAKeyBits {
		bits := 0
		if pub.N != nil {
			bits = pub.N.BitLen()
		}
		return nil, fmt.Errorf("%w: kid %s is %d bits", ErrWeakKey, quoteShort(kid), bits)
	}
	return pub, nil
}
