package cyberflex

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// testClock is the key cache's clock in these tests; only advance moves it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Unix(ccIat, 0)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// keyEndpoint is a fake GET /flex/v2/public-keys/{kid}: it publishes keys by kid, answers 404
// for other kids, or answers every request with status when that is set. It records the path of
// every request.
type keyEndpoint struct {
	mu     sync.Mutex
	keys   map[string]any // kid → public key
	status int
	paths  []string
}

func newKeyEndpoint(t *testing.T, keys map[string]any) (*keyEndpoint, *httptest.Server) {
	ep := &keyEndpoint{keys: keys}
	srv := httptest.NewServer(ep)
	t.Cleanup(srv.Close)
	return ep, srv
}

func (ep *keyEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep.mu.Lock()
	ep.paths = append(ep.paths, r.URL.RequestURI())
	status := ep.status
	key, ok := ep.keys[strings.TrimPrefix(r.URL.Path, "/flex/v2/public-keys/")]
	ep.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status != 0:
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"message":"status %d"}`, status)
	case !ok:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Key not found","reason":"NOT_FOUND"}`))
	default:
		b, _ := jose.JSONWebKey{Key: key, Use: "enc"}.MarshalJSON()
		_, _ = w.Write(b)
	}
}

func (ep *keyEndpoint) set(status int, keys map[string]any) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	ep.status = status
	if keys != nil {
		ep.keys = keys
	}
}

func (ep *keyEndpoint) requests() []string {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return append([]string(nil), ep.paths...)
}

// httpFetcher is a keyFetcher for these tests that follows the fetcher contract: a 404 wraps
// ErrUnknownKeyID, every other failure is transient. It puts the kid into the URL unescaped, so
// a kid that reached it unchecked would show in the recorded paths as it came.
func httpFetcher(baseURL string, calls *atomic.Int32) keyFetcher {
	return func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
		calls.Add(1)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/flex/v2/public-keys/"+kid, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return nil, fmt.Errorf("%w: HTTP 404", ErrUnknownKeyID)
		case resp.StatusCode != http.StatusOK:
			return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, err
		}
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(body); err != nil {
			return nil, err
		}
		return &jwk, nil
	}
}

// forgedToken is a capture context for kid signed by a key that is not the one published.
func forgedToken(t testing.TB, kid string) string {
	return signCC(t, jose.RS256, testRSAKeyOld(), kid, validPayload())
}

func genuineToken(t testing.TB, kid string) string {
	return signCC(t, jose.RS256, testRSAKey2048(), kid, validPayload())
}

func mustVerify(t *testing.T, c *keyCache, token, what string) {
	t.Helper()
	if _, err := c.verify(context.Background(), token, ccNow, DefaultLeeway); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantVerifyError(t *testing.T, c *keyCache, token string, want error, what string) {
	t.Helper()
	cc, err := c.verify(context.Background(), token, ccNow, DefaultLeeway)
	if !errors.Is(err, want) || cc != nil {
		t.Fatalf("%s: got %v, want an error wrapping %q", what, err, want)
	}
}

// TestKeyCacheBadSignatureKeepsKey: a token with a known kid and a bad signature makes the cache
// ask for the key again at most once per KeyRefetchInterval, and whatever the key endpoint
// answers that is not a different key (the same key, 429, 5xx, 404, a weak key, no connection)
// the cached key stays and genuine tokens keep verifying without a request.
func TestKeyCacheBadSignatureKeepsKey(t *testing.T) {
	genuine, forged := genuineToken(t, ccKid), forgedToken(t, ccKid)
	tests := []struct {
		name      string
		status    int            // the key endpoint's answer once the key is cached (0: keys)
		keys      map[string]any // the keys it then publishes (nil: unchanged)
		down      bool           // the key endpoint is gone
		wantFirst error          // the forged token's error when it causes a refetch
	}{
		{name: "refetch returns the same key", wantFirst: ErrCaptureContextSignature},
		{name: "refetch answered 429", status: http.StatusTooManyRequests, wantFirst: ErrKeyFetch},
		{name: "refetch answered 500", status: http.StatusInternalServerError, wantFirst: ErrKeyFetch},
		{name: "refetch answered 503", status: http.StatusServiceUnavailable, wantFirst: ErrKeyFetch},
		{name: "refetch answered 404", keys: map[string]any{}, wantFirst: ErrUnknownKeyID},
		{name: "refetch returns a weak key", keys: map[string]any{ccKid: &testRSAKey1024().PublicKey}, wantFirst: ErrWeakKey},
		{name: "key endpoint down", down: true, wantFirst: ErrKeyFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, srv := newKeyEndpoint(t, map[string]any{ccKid: &testRSAKey2048().PublicKey})
			var calls atomic.Int32
			clock := newTestClock()
			c := newKeyCacheWithClock(httpFetcher(srv.URL, &calls), clock.now)
			mustVerify(t, c, genuine, "genuine token, cold cache")

			ep.set(tt.status, tt.keys)
			if tt.down {
				srv.Close()
			}
			for round := range 3 {
				wantVerifyError(t, c, forged, tt.wantFirst, fmt.Sprintf("round %d: forged token, refetch", round))
				if got := calls.Load(); got != int32(2+round) {
					t.Fatalf("round %d: %d fetches, want %d", round, got, 2+round)
				}
				if !fetchedKeyIs(c, ccKid, &testRSAKey2048().PublicKey) {
					t.Fatalf("round %d: the cached key was replaced or dropped", round)
				}
				mustVerify(t, c, genuine, fmt.Sprintf("round %d: genuine token after the refetch", round))
				clock.advance(KeyRefetchInterval - time.Nanosecond)
				wantVerifyError(t, c, forged, ErrCaptureContextSignature, fmt.Sprintf("round %d: forged token within the interval", round))
				mustVerify(t, c, genuine, fmt.Sprintf("round %d: genuine token within the interval", round))
				if got := calls.Load(); got != int32(2+round) {
					t.Fatalf("round %d: %d fetches within the interval, want %d", round, got, 2+round)
				}
				clock.advance(time.Nanosecond)
			}
		})
	}
}

// TestKeyCacheRotation: a refetch that returns a different key replaces the cached one; the old
// key is not consulted again.
func TestKeyCacheRotation(t *testing.T) {
	oldKey, newKey := testRSAKeyOld(), testRSAKey2048()
	oldTok := signCC(t, jose.RS256, oldKey, ccKid, validPayload())
	newTok := signCC(t, jose.RS256, newKey, ccKid, validPayload())
	ep, srv := newKeyEndpoint(t, map[string]any{ccKid: &oldKey.PublicKey})
	var calls atomic.Int32
	clock := newTestClock()
	c := newKeyCacheWithClock(httpFetcher(srv.URL, &calls), clock.now)

	mustVerify(t, c, oldTok, "old token, cold cache")
	ep.set(0, map[string]any{ccKid: &newKey.PublicKey})
	clock.advance(time.Hour)
	mustVerify(t, c, newTok, "new token: refetch finds the new key")
	mustVerify(t, c, newTok, "new token, cached")
	wantVerifyError(t, c, oldTok, ErrCaptureContextSignature, "old token after the rotation")
	if got := calls.Load(); got != 2 {
		t.Errorf("%d fetches, want 2", got)
	}

	// A rotation within KeyRefetchInterval of the last refetch is found once the interval is
	// over: until then the new key's tokens are rejected without a request.
	ep.set(0, map[string]any{ccKid: &oldKey.PublicKey})
	clock.advance(KeyRefetchInterval / 2)
	wantVerifyError(t, c, oldTok, ErrCaptureContextSignature, "rotated back within the interval")
	if got := calls.Load(); got != 2 {
		t.Errorf("%d fetches within the interval, want 2", got)
	}
	clock.advance(KeyRefetchInterval / 2)
	mustVerify(t, c, oldTok, "rotated back, interval over")
	if got := calls.Load(); got != 3 {
		t.Errorf("%d fetches, want 3", got)
	}
}

// TestKeyCacheUnknownKid: "no usable key" answers are remembered for UnknownKeyIDTTL; transient
// failures are not remembered.
func TestKeyCacheUnknownKid(t *testing.T) {
	tests := []struct {
		name       string
		answer     any // what the fetcher returns: nil (nil, nil), an error or a key
		want       error
		remembered bool
	}{
		{name: "404", answer: fmt.Errorf("%w: HTTP 404", ErrUnknownKeyID), want: ErrUnknownKeyID, remembered: true},
		{name: "no key, no error", answer: nil, want: ErrUnknownKeyID, remembered: true},
		{name: "weak key", answer: &testRSAKey1024().PublicKey, want: ErrWeakKey, remembered: true},
		{name: "transient failure", answer: errors.New("HTTP 503"), want: ErrKeyFetch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFetcher{keys: []any{tt.answer}}
			clock := newTestClock()
			c := newKeyCacheWithClock(f.fetch, clock.now)
			tok := genuineToken(t, "zz")
			wantVerifyError(t, c, tok, tt.want, "first")
			clock.advance(UnknownKeyIDTTL - time.Nanosecond)
			wantVerifyError(t, c, tok, tt.want, "second, within the TTL")
			want := int32(2)
			if tt.remembered {
				want = 1
			}
			if got := f.calls.Load(); got != want {
				t.Errorf("%d fetches within the TTL, want %d", got, want)
			}
			clock.advance(time.Nanosecond)
			wantVerifyError(t, c, tok, tt.want, "third, TTL over")
			if got := f.calls.Load(); got != want+1 {
				t.Errorf("%d fetches after the TTL, want %d", got, want+1)
			}
		})
	}

	t.Run("the remembered answer keeps its text and sentinel, not the response", func(t *testing.T) {
		f := &fakeFetcher{keys: []any{fmt.Errorf("%w: %w", ErrUnknownKeyID, &bodyError{body: make([]byte, 1<<20)})}}
		c := newKeyCacheWithClock(f.fetch, newTestClock().now)
		tok := genuineToken(t, "zz")
		_, first := c.verify(context.Background(), tok, ccNow, DefaultLeeway)
		_, again := c.verify(context.Background(), tok, ccNow, DefaultLeeway)
		var be *bodyError
		if !errors.As(first, &be) {
			t.Errorf("first answer %v does not carry the response", first)
		}
		if again == nil || again.Error() != first.Error() || !errors.Is(again, ErrUnknownKeyID) || !errors.Is(again, ErrInvalidCaptureContext) {
			t.Errorf("remembered answer %q, want %q wrapping ErrUnknownKeyID", again, first)
		}
		if errors.As(again, &be) {
			t.Error("the remembered answer holds the response body")
		}
		if f.calls.Load() != 1 {
			t.Errorf("%d fetches, want 1", f.calls.Load())
		}
	})

	t.Run("a key published later is found after the TTL", func(t *testing.T) {
		f := &fakeFetcher{keys: []any{nil, pub(testRSAKey2048())}}
		clock := newTestClock()
		c := newKeyCacheWithClock(f.fetch, clock.now)
		wantVerifyError(t, c, genuineToken(t, "zz"), ErrUnknownKeyID, "before")
		clock.advance(UnknownKeyIDTTL)
		mustVerify(t, c, genuineToken(t, "zz"), "after")
	})
}

// bodyError stands for an *APIError holding a response body.
type bodyError struct{ body []byte }

func (e *bodyError) Error() string { return fmt.Sprintf("HTTP 404 (%d bytes)", len(e.body)) }

// TestKeyCacheFetchLimit: a flood of tokens with made-up kids makes at most MaxKeyFetches
// requests per KeyFetchWindow; beyond that verification fails at once with ErrKeyFetch, and
// tokens whose key is cached keep verifying.
func TestKeyCacheFetchLimit(t *testing.T) {
	ep, srv := newKeyEndpoint(t, map[string]any{ccKid: &testRSAKey2048().PublicKey})
	var calls atomic.Int32
	clock := newTestClock()
	c := newKeyCacheWithClock(httpFetcher(srv.URL, &calls), clock.now)
	mustVerify(t, c, genuineToken(t, ccKid), "genuine token, cold cache") // fetch 1 of the window

	for i := range 3 * MaxKeyFetches {
		kid := fmt.Sprintf("r%d", i)
		_, err := c.verify(context.Background(), genuineToken(t, kid), ccNow, DefaultLeeway)
		switch {
		case i < MaxKeyFetches-1 && !errors.Is(err, ErrUnknownKeyID):
			t.Fatalf("kid %s (fetch %d): %v, want ErrUnknownKeyID", kid, i+2, err)
		case i >= MaxKeyFetches-1 && (!errors.Is(err, ErrKeyFetch) || !errors.Is(err, errFetchLimit) || errors.Is(err, ErrInvalidCaptureContext)):
			t.Fatalf("kid %s beyond the limit: %v, want ErrKeyFetch (limit)", kid, err)
		}
		mustVerify(t, c, genuineToken(t, ccKid), "genuine token during the flood")
	}
	if got := int(calls.Load()); got != MaxKeyFetches || len(ep.requests()) != MaxKeyFetches {
		t.Fatalf("%d fetches, %d requests; want %d", got, len(ep.requests()), MaxKeyFetches)
	}
	want := fmt.Sprintf(`cyberflex: fetching capture context verification key failed (kid "late"): key fetch limit reached (at most %d fetches per 1m0s, for all kids); try again later`, MaxKeyFetches)
	if _, err := c.verify(context.Background(), genuineToken(t, "late"), ccNow, DefaultLeeway); err == nil || err.Error() != want {
		t.Errorf("error\n got %v\nwant %s", err, want)
	}

	clock.advance(KeyFetchWindow - time.Nanosecond)
	wantVerifyError(t, c, genuineToken(t, "late"), ErrKeyFetch, "just before the window ends")
	clock.advance(time.Nanosecond)
	wantVerifyError(t, c, genuineToken(t, "late"), ErrUnknownKeyID, "window over: fetched")
	if got := int(calls.Load()); got != MaxKeyFetches+1 {
		t.Errorf("%d fetches, want %d", got, MaxKeyFetches+1)
	}
}

// TestKeyCacheBounded: at most MaxCachedKeys keys are kept, the least recently used dropped
// first; and at most MaxCachedKeys unknown kids are remembered.
func TestKeyCacheBounded(t *testing.T) {
	f := &fakeFetcher{keys: []any{pub(testRSAKey2048())}} // every kid has the key
	clock := newTestClock()
	c := newKeyCacheWithClock(f.fetch, clock.now)
	kid := func(i int) string { return fmt.Sprintf("k%d", i) }
	for i := range MaxCachedKeys + 1 {
		clock.advance(KeyFetchWindow / MaxKeyFetches) // stay within the fetch limit
		mustVerify(t, c, genuineToken(t, kid(i)), kid(i))
		if i == MaxCachedKeys/2 {
			mustVerify(t, c, genuineToken(t, kid(0)), "k0 used again") // so k1 is the least recently used
		}
	}
	c.mu.Lock()
	n, has0, has1 := len(c.keys), c.keys[kid(0)] != nil, c.keys[kid(1)] != nil
	c.mu.Unlock()
	if n != MaxCachedKeys || !has0 || has1 {
		t.Fatalf("%d keys cached (want %d), k0 cached %v (want true), k1 cached %v (want false)", n, MaxCachedKeys, has0, has1)
	}
	calls := f.calls.Load()
	mustVerify(t, c, genuineToken(t, kid(0)), "k0 again")
	if f.calls.Load() != calls {
		t.Error("k0 was fetched again")
	}
	clock.advance(KeyFetchWindow)
	mustVerify(t, c, genuineToken(t, kid(1)), "k1 again")
	if f.calls.Load() != calls+1 {
		t.Error("k1 was not fetched again")
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	now := clock.now()
	for i := range 3 * MaxCachedKeys {
		c.remember(fmt.Sprintf("u%d", i), ErrUnknownKeyID, ErrUnknownKeyID, now)
	}
	if len(c.unknown) != MaxCachedKeys {
		t.Errorf("%d unknown kids remembered, want %d", len(c.unknown), MaxCachedKeys)
	}
	if _, ok := c.unknown[fmt.Sprintf("u%d", 3*MaxCachedKeys-1)]; !ok {
		t.Error("the newest unknown kid is not remembered")
	}
	c.remember("late", ErrUnknownKeyID, ErrUnknownKeyID, now.Add(UnknownKeyIDTTL))
	if len(c.unknown) != 1 {
		t.Errorf("%d unknown kids remembered after the others expired, want 1", len(c.unknown))
	}
}

// TestKeyCacheSingleFlight: concurrent verifications that need the same kid share one fetch,
// for a cold kid, an unknown kid and a refetch after a bad signature; and a refetch that hangs
// does not hold up tokens whose key is cached. The fetcher blocks until every goroutine waits
// (synctest.Wait), so a second fetch could not hide behind a first one that already finished.
func TestKeyCacheSingleFlight(t *testing.T) {
	const n = 32
	tests := []struct {
		name    string
		answer  any  // the fetcher's answer, as for fakeFetcher
		warm    bool // the genuine key is cached first; the goroutines then present a forged token
		token   string
		want    error
		fetches int32
	}{
		{name: "cold kid", answer: pub(testRSAKey2048()), token: genuineToken(t, ccKid), fetches: 1},
		{name: "unknown kid", answer: nil, token: genuineToken(t, "zz"), want: ErrUnknownKeyID, fetches: 1},
		{name: "transient failure", answer: errors.New("HTTP 503"), token: genuineToken(t, ccKid), want: ErrKeyFetch, fetches: 1},
		{name: "bad signatures", answer: pub(testRSAKey2048()), warm: true, token: forgedToken(t, ccKid), want: ErrCaptureContextSignature, fetches: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				f := &fakeFetcher{keys: []any{tt.answer}}
				c := newKeyCacheWithClock(func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
					if f.calls.Load() > 0 || !tt.warm {
						<-release
					}
					return f.fetch(ctx, kid)
				}, newTestClock().now)
				if tt.warm {
					mustVerify(t, c, genuineToken(t, ccKid), "genuine, cold cache")
				}
				errs := make(chan error, n)
				var wg sync.WaitGroup
				for range n {
					wg.Go(func() {
						_, err := c.verify(context.Background(), tt.token, ccNow, DefaultLeeway)
						if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
							errs <- fmt.Errorf("got %v, want %v", err, tt.want)
						}
					})
				}
				synctest.Wait() // all goroutines wait: for the fetch, or for the fetcher's answer
				if got := f.calls.Load(); got != tt.fetches-1 {
					t.Errorf("%d fetches answered before the release, want %d", got, tt.fetches-1)
				}
				close(release)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				if got := f.calls.Load(); got != tt.fetches {
					t.Errorf("%d fetches, want %d", got, tt.fetches)
				}
			})
		})
	}

	t.Run("a hanging refetch does not hold up cached keys", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			var calls atomic.Int32
			c := newKeyCacheWithClock(func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
				if calls.Add(1) == 2 {
					<-release
					return nil, errors.New("HTTP 504")
				}
				return &jose.JSONWebKey{Key: pub(testRSAKey2048())}, nil
			}, newTestClock().now)
			mustVerify(t, c, genuineToken(t, ccKid), "genuine, cold cache")
			refetch := make(chan error, 1)
			go func() {
				_, err := c.verify(context.Background(), forgedToken(t, ccKid), ccNow, DefaultLeeway)
				refetch <- err
			}()
			synctest.Wait() // the refetch hangs
			// Were a genuine token to wait for the refetch, synctest would report the deadlock.
			for range n {
				mustVerify(t, c, genuineToken(t, ccKid), "genuine token during the refetch")
			}
			close(release)
			if err := <-refetch; !errors.Is(err, ErrKeyFetch) {
				t.Errorf("forged token: %v, want ErrKeyFetch", err)
			}
			mustVerify(t, c, genuineToken(t, ccKid), "genuine, after the failed refetch")
		})
	})
}

// TestKeyCacheKeyIDChecked: a kid that is not a plain id never reaches the fetcher, and so
// never a URL; the ids CyberSource uses do, as one path segment.
func TestKeyCacheKeyIDChecked(t *testing.T) {
	key := &testRSAKey2048().PublicKey
	bad := []string{
		".", "..", "../../sessions", "a/b", "/", "a%2Fb", "%2e%2e", "a?b=1", "?", "a#b", "#",
		" a", "a ", "a b", "a\tb", "a\n", "\r", "a\x00", "é", "a.b", "a;b", "a\\b", "a:b", "a@b",
		strings.Repeat("a", MaxKeyIDLength+1),
	}
	ep, srv := newKeyEndpoint(t, map[string]any{})
	var calls atomic.Int32
	c := newKeyCacheWithClock(httpFetcher(srv.URL, &calls), newTestClock().now)
	for _, kid := range bad {
		tok := genuineToken(t, kid)
		_, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway)
		if !errors.Is(err, ErrCaptureContextMalformed) || !errors.Is(err, ErrInvalidCaptureContext) || !strings.Contains(err.Error(), "is not a key id") {
			t.Errorf("kid %q: %v, want ErrCaptureContextMalformed (not a key id)", kid, err)
		}
		if msg := err.Error(); strings.ContainsAny(msg, "\r\n\x00") || len(msg) > 200 {
			t.Errorf("kid %q: error is not one short line: %q", kid, msg)
		}
		if _, err := c.get(context.Background(), kid); !errors.Is(err, ErrCaptureContextMalformed) {
			t.Errorf("get(%q): %v, want ErrCaptureContextMalformed", kid, err)
		}
	}
	if calls.Load() != 0 || len(ep.requests()) != 0 {
		t.Fatalf("%d fetches, requests %q; want none", calls.Load(), ep.requests())
	}

	good := []string{ccKid, "sn", "zu", "00SvIaGIfyaw897rDeG9eFdODKaCKc1q", "a-b_C9", strings.Repeat("a", MaxKeyIDLength)}
	keys := map[string]any{}
	for _, kid := range good {
		keys[kid] = key
	}
	ep.set(0, keys)
	for _, kid := range good {
		mustVerify(t, c, genuineToken(t, kid), "kid "+kid)
	}
	reqs := ep.requests()
	for i, kid := range good {
		if i >= len(reqs) || reqs[i] != "/flex/v2/public-keys/"+kid {
			t.Errorf("request %d: %q, want /flex/v2/public-keys/%s", i, reqs, kid)
		}
	}

	// The same through the Client, whose fetcher escapes the kid: nothing is sent.
	cl, err := New(WithAccessToken("kid-check-bearer"), WithBaseURL(srv.URL), WithMaxRetries(0),
		WithClock(func() time.Time { return ccNow }))
	if err != nil {
		t.Fatal(err)
	}
	before := len(ep.requests())
	for _, kid := range bad {
		if _, err := cl.VerifyCaptureContext(context.Background(), genuineToken(t, kid)); !errors.Is(err, ErrCaptureContextMalformed) {
			t.Errorf("Client, kid %q: %v, want ErrCaptureContextMalformed", kid, err)
		}
	}
	if after := ep.requests(); len(after) != before {
		t.Errorf("Client sent %q", after[before:])
	}
}

// TestVerifyCaptureContextKeyEndpointFaults: through the Client, a key endpoint that answers
// 429 or 5xx, or is gone, never stops a token whose key is cached from verifying, even after a
// forged token made the Client ask for the key again.
func TestVerifyCaptureContextKeyEndpointFaults(t *testing.T) {
	ep, srv := newKeyEndpoint(t, map[string]any{ccKid: &testRSAKey2048().PublicKey})
	c, err := New(WithAccessToken("faults-bearer"), WithBaseURL(srv.URL), WithMaxRetries(0),
		WithClock(func() time.Time { return ccNow }))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	genuine, forged := genuineToken(t, ccKid), forgedToken(t, ccKid)
	if _, err := c.VerifyCaptureContext(ctx, genuine); err != nil {
		t.Fatal(err)
	}
	ep.set(http.StatusServiceUnavailable, nil)
	if _, err := c.VerifyCaptureContext(ctx, forged); !errors.Is(err, ErrKeyFetch) {
		t.Errorf("forged token, refetch answered 503: %v, want ErrKeyFetch", err)
	}
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, 0} {
		if status == 0 {
			srv.Close()
		} else {
			ep.set(status, nil)
		}
		if _, err := c.VerifyCaptureContext(ctx, genuine); err != nil {
			t.Errorf("genuine token, key endpoint answering %d (0: gone): %v", status, err)
		}
		if _, err := c.VerifyCaptureContext(ctx, forged); !errors.Is(err, ErrCaptureContextSignature) {
			t.Errorf("forged token, key endpoint answering %d (0: gone): %v, want ErrCaptureContextSignature", status, err)
		}
	}
	if got := len(ep.requests()); got != 2 {
		t.Errorf("%d key requests, want 2 (the first fetch and one refetch)", got)
	}
}

// fetchedKeyIs reports whether c caches key for kid.
func fetchedKeyIs(c *keyCache, kid string, key *rsa.PublicKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.keys[kid]
	return ok && e.key.Equal(key)
}

func TestVerifyCache(t *testing.T) {
	key := testRSAKey2048()
	f := &fakeFetcher{keys: []any{pub(key)}}
	c := newKeyCache(f.fetch)
	tok := signCC(t, jose.RS256, key, ccKid, validPayload())
	for i := range 2 {
		if _, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("fetches = %d, want 1", got)
	}
	// A different kid is a different cache entry.
	if _, err := c.verify(context.Background(), signCC(t, jose.RS256, key, "zu", validPayload()), ccNow, DefaultLeeway); err != nil {
		t.Fatal(err)
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("fetches after a second kid = %d, want 2", got)
	}
	// A failed fetch is not cached.
	f2 := &fakeFetcher{keys: []any{errors.New("boom"), pub(key)}}
	c2 := newKeyCache(f2.fetch)
	if _, err := c2.verify(context.Background(), tok, ccNow, DefaultLeeway); !errors.Is(err, ErrKeyFetch) {
		t.Fatalf("first verify: %v", err)
	}
	if _, err := c2.verify(context.Background(), tok, ccNow, DefaultLeeway); err != nil {
		t.Fatalf("second verify: %v", err)
	}
}

// TestVerifyKeyRotationCached: the cache holds the old key; the first
// failure refetches, later verifications use the new cached key.
func TestVerifyKeyRotationCached(t *testing.T) {
	oldTok := signCC(t, jose.RS256, testRSAKeyOld(), ccKid, validPayload())
	newTok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	f := &fakeFetcher{keys: []any{pub(testRSAKeyOld()), pub(testRSAKey2048())}}
	c := newKeyCache(f.fetch)
	for i, tok := range []string{oldTok, newTok, newTok} {
		if _, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway); err != nil {
			t.Fatalf("verify %d: %v", i, err)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("fetches = %d, want 2", got)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	const n = 32
	tok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	oldTok := signCC(t, jose.RS256, testRSAKeyOld(), ccKid, validPayload())

	run := func(c *keyCache) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				cc, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway)
				if err == nil && cc.Claims.ID != ccJTI {
					err = fmt.Errorf("jti %q", cc.Claims.ID)
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}

	t.Run("cold cache: one shared fetch", func(t *testing.T) {
		f := &fakeFetcher{keys: []any{pub(testRSAKey2048())}}
		run(newKeyCache(f.fetch))
		if got := f.calls.Load(); got != 1 {
			t.Errorf("fetches = %d, want 1", got)
		}
	})
	t.Run("rotation: one shared refetch", func(t *testing.T) {
		f := &fakeFetcher{keys: []any{pub(testRSAKeyOld()), pub(testRSAKey2048())}}
		c := newKeyCache(f.fetch)
		if _, err := c.verify(context.Background(), oldTok, ccNow, DefaultLeeway); err != nil {
			t.Fatal(err)
		}
		run(c)
		if got := f.calls.Load(); got != 2 {
			t.Errorf("fetches = %d, want 2", got)
		}
	})
}

// TestVerifyContextCancelled: a waiter whose own context ends stops waiting;
// the cancellation is a fetch failure, not an invalid token.
func TestVerifyContextCancelled(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	c := newKeyCache(func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
		close(started)
		<-release
		return &jose.JSONWebKey{Key: pub(testRSAKey2048())}, nil
	})
	tok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	leader := make(chan error, 1)
	go func() {
		_, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway)
		leader <- err
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.verify(ctx, tok, ccNow, DefaultLeeway)
	if !errors.Is(err, ErrKeyFetch) || !errors.Is(err, context.Canceled) || errors.Is(err, ErrInvalidCaptureContext) {
		t.Errorf("waiter error = %v", err)
	}
	close(release)
	if err := <-leader; err != nil {
		t.Errorf("leader: %v", err)
	}
}

// TestVerifyFetcherPanic: a panicking fetcher does not leave the kid's
// in-flight entry behind; the next verification fetches again.
func TestVerifyFetcherPanic(t *testing.T) {
	var calls atomic.Int32
	c := newKeyCache(func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
		if calls.Add(1) == 1 {
			panic("fetcher bug")
		}
		return &jose.JSONWebKey{Key: pub(testRSAKey2048())}, nil
	})
	tok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	func() {
		defer func() {
			if r := recover(); r != "fetcher bug" {
				t.Errorf("recovered %v", r)
			}
		}()
		_, _ = c.verify(context.Background(), tok, ccNow, DefaultLeeway)
	}()
	if _, err := c.verify(context.Background(), tok, ccNow, DefaultLeeway); err != nil {
		t.Fatalf("verify after panic: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("fetches = %d, want 2", got)
	}

	// A fetcher that panics on a refetch leaves the cached key in place.
	forged := forgedToken(t, ccKid)
	c2 := newKeyCacheWithClock(func(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
		if calls.Add(1) == 4 {
			panic("fetcher bug")
		}
		return &jose.JSONWebKey{Key: pub(testRSAKey2048())}, nil
	}, newTestClock().now)
	mustVerify(t, c2, tok, "cold cache")
	func() {
		defer func() {
			if r := recover(); r != "fetcher bug" {
				t.Errorf("recovered %v", r)
			}
		}()
		_, _ = c2.verify(context.Background(), forged, ccNow, DefaultLeeway)
	}()
	mustVerify(t, c2, tok, "after the refetch panicked")
	if got := calls.Load(); got != 4 {
		t.Errorf("fetches = %d, want 4", got)
	}
}
