package cyberflextest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// settableClock is a clock a test moves by hand, for WithClock.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *settableClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// signed is a request signed once, which a test can send as often as it likes.
type signed struct {
	header http.Header
	body   []byte
}

// signWith signs a POST of body to /flex/v2/sessions with s (cyberflex.HTTPSignatureSigner or
// JWTSigner).
func signWith(t *testing.T, s interface {
	Sign(*http.Request, []byte) error
}, body []byte) signed {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://"+cyberflextest.DefaultHost+sessions, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := s.Sign(req, body); err != nil {
		t.Fatal(err)
	}
	return signed{header: req.Header, body: body}
}

// sendSigned sends the signed request to csrv, exactly as signed.
func sendSigned(t *testing.T, csrv *cyberflextest.Server, s signed) answer {
	t.Helper()
	req := newRequest(t, csrv, http.MethodPost, sessions, s.body)
	req.Header = s.header.Clone()
	return send(t, req)
}

// wantCreated fails the test unless a is the 201 of a capture context.
func wantCreated(t *testing.T, what string, a answer) {
	t.Helper()
	if a.status != http.StatusCreated {
		t.Fatalf("%s: status %d, want 201; body %s", what, a.status, a.body)
	}
}

// wantReplayed fails the test unless a is the gateway's 401 with a reason saying "replayed".
func wantReplayed(t *testing.T, what string, a answer) {
	t.Helper()
	if msg := rmsg(t, a); !strings.Contains(msg, "Authentication Failed: replayed: ") {
		t.Errorf("%s: rmsg %q, want one saying the request was replayed", what, msg)
	}
}

func jwtSigner(now func() time.Time) cyberflex.JWTSigner {
	return cyberflex.JWTSigner{MerchantID: merchant, KeyID: keyID, SecretKey: secret, Now: now}
}

func httpSigner(now func() time.Time) cyberflex.HTTPSignatureSigner {
	return cyberflex.HTTPSignatureSigner{MerchantID: merchant, KeyID: keyID, SecretKey: secret, Now: now}
}

// TestJWTReplayRefused: a JWT request sent again while its token is valid is refused for its jti;
// another token signed in the same second (another jti) is accepted.
func TestJWTReplayRefused(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithJWT(merchant, keyID, secret))
	first := signWith(t, jwtSigner(fixedClock(testNow)), []byte(goldenBody))
	wantCreated(t, "first sending", sendSigned(t, csrv, first))
	again := sendSigned(t, csrv, first)
	wantReplayed(t, "same token again", again)
	if msg := rmsg(t, again); !strings.Contains(msg, "jti") {
		t.Errorf("rmsg %q does not name the jti", msg)
	}
	wantCreated(t, "new token, same second", sendSigned(t, csrv, signWith(t, jwtSigner(fixedClock(testNow)), []byte(goldenBody))))
}

// TestJWTReplayWindow: once the token's window has passed, the old token is refused for its
// time, not as a replay, and a token signed at the new time is accepted.
func TestJWTReplayWindow(t *testing.T) {
	clk := &settableClock{now: testNow}
	csrv := cyberflextest.NewServer(cyberflextest.WithJWT(merchant, keyID, secret), cyberflextest.WithClock(clk.Now),
		cyberflextest.WithMaxClockSkew(time.Minute))
	defer csrv.Close()
	old := signWith(t, jwtSigner(clk.Now), []byte(goldenBody))
	wantCreated(t, "first sending", sendSigned(t, csrv, old))
	clk.Advance(59 * time.Second)
	wantReplayed(t, "within the window", sendSigned(t, csrv, old))

	clk.Advance(2 * time.Second) // past iat + skew (the token's exp is later: iat + 120 s)
	if msg := rmsg(t, sendSigned(t, csrv, old)); strings.Contains(msg, "replayed") || !strings.Contains(msg, "away from the server's clock") {
		t.Errorf("old token after the window: rmsg %q, want a refusal for its iat", msg)
	}
	wantCreated(t, "new token after the window", sendSigned(t, csrv, signWith(t, jwtSigner(clk.Now), []byte(goldenBody))))
}

// TestSignatureReplayCheck: an HTTP Signature, or a JWT without jti, is the same for two
// identical requests signed in the same second, so the server accepts it again unless
// WithSignatureReplayCheck; with it, a repeat is refused until the Date leaves the window, and a
// request that differs in anything signed is accepted.
func TestSignatureReplayCheck(t *testing.T) {
	noJTI := func(t *testing.T) signed {
		claims := v2Claims([]byte(goldenBody))
		delete(claims, "jti")
		tok := signJWT(t, "HS256", decodedSecret(t, secret), keyID, claims)
		return signed{header: http.Header{"Authorization": {"Bearer " + tok}, "Content-Type": {"application/json"}}, body: []byte(goldenBody)}
	}
	httpSig := func(t *testing.T) signed { return signWith(t, httpSigner(fixedClock(testNow)), []byte(goldenBody)) }
	for _, tt := range []struct {
		name string
		sign func(*testing.T) signed
	}{
		{"HTTP Signature", httpSig},
		{"JWT without jti", noJTI},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Run("by default", func(t *testing.T) {
				csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret))
				req := tt.sign(t)
				wantCreated(t, "first sending", sendSigned(t, csrv, req))
				wantCreated(t, "identical request", sendSigned(t, csrv, req))
			})
			t.Run("WithSignatureReplayCheck", func(t *testing.T) {
				csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret),
					cyberflextest.WithSignatureReplayCheck())
				req := tt.sign(t)
				wantCreated(t, "first sending", sendSigned(t, csrv, req))
				wantReplayed(t, "identical request", sendSigned(t, csrv, req))
			})
		})
	}

	t.Run("HTTP Signature, another body in the same second", func(t *testing.T) {
		csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithSignatureReplayCheck())
		wantCreated(t, "first body", sendSigned(t, csrv, httpSig(t)))
		other := []byte(strings.Replace(goldenBody, `"securityCode":{"required":false}`, `"securityCode":{"required":true}`, 1))
		wantCreated(t, "second body", sendSigned(t, csrv, signWith(t, httpSigner(fixedClock(testNow)), other)))
	})

	t.Run("HTTP Signature, after the window", func(t *testing.T) {
		clk := &settableClock{now: testNow}
		csrv := cyberflextest.NewServer(cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithClock(clk.Now),
			cyberflextest.WithMaxClockSkew(time.Minute), cyberflextest.WithSignatureReplayCheck())
		defer csrv.Close()
		old := signWith(t, httpSigner(clk.Now), []byte(goldenBody))
		wantCreated(t, "first sending", sendSigned(t, csrv, old))
		clk.Advance(time.Minute)
		wantReplayed(t, "at the end of the window", sendSigned(t, csrv, old))
		clk.Advance(time.Second)
		if msg := rmsg(t, sendSigned(t, csrv, old)); !strings.Contains(msg, "away from the server's clock") {
			t.Errorf("old request after the window: rmsg %q, want a refusal for its Date", msg)
		}
		wantCreated(t, "signed anew", sendSigned(t, csrv, signWith(t, httpSigner(clk.Now), []byte(goldenBody))))
	})
}

// inMemory is an HTTP client that hands each request to csrv's handler in memory, so that in a
// testing/synctest bubble the client's retry waits run on the bubble's clock. answer may replace
// the answer to a request (attempt counts from 1), after the server has handled it.
func inMemory(csrv *cyberflextest.Server, answer func(attempt int, got *http.Response) *http.Response) *http.Client {
	var mu sync.Mutex
	attempts := 0
	return &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		attempts++
		n := attempts
		mu.Unlock()
		rec := httptest.NewRecorder()
		csrv.HTTPServer().Config.Handler.ServeHTTP(rec, r)
		got := rec.Result()
		if answer != nil {
			got = answer(n, got)
		}
		return got, nil
	})}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// unavailable is a 503 as a gateway in front of CyberSource might answer.
func unavailable() *http.Response {
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"text/plain"}},
		Body: http.NoBody}
}

// TestClientRetriesAfterFault: the cyberflex client retries a 503 injected on the first attempt
// and the retry is accepted, for either signature scheme, with every replay check on.
func TestClientRetriesAfterFault(t *testing.T) {
	for _, auth := range []struct {
		name string
		opt  cyberflex.Option
	}{
		{"JWT", cyberflex.WithJWT(merchant, keyID, secret)},
		{"HTTP Signature", cyberflex.WithHTTPSignature(merchant, keyID, secret)},
	} {
		t.Run(auth.name, func(t *testing.T) {
			csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret),
				cyberflextest.WithSignatureReplayCheck())
			csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
			synctest.Test(t, func(t *testing.T) {
				c := newClient(t, csrv, auth.opt, cyberflex.WithMaxRetries(1), cyberflex.WithHTTPClient(inMemory(csrv, nil)))
				if _, err := c.GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
					t.Fatalf("GenerateCaptureContext: %v", err)
				}
			})
			if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
				t.Errorf("Calls = %d, want 2 (the faulted attempt and the retry)", n)
			}
		})
	}
}

// TestClientRetriesAfterAcceptedAttempt: when the server accepted the first attempt's
// credentials and the answer is lost to a 503 on the way back, the client's retry must not be
// a replay. A JWT retry carries a new jti and is accepted. An HTTP Signature retry signed in the
// same second is byte for byte the first attempt, so WithSignatureReplayCheck refuses it; signed
// in a later second it is accepted.
func TestClientRetriesAfterAcceptedAttempt(t *testing.T) {
	lost := func(attempt int, got *http.Response) *http.Response {
		if attempt == 1 {
			return unavailable()
		}
		return got
	}
	// ticking advances one second per reading: each signing sees a new Date.
	ticking := func() func() time.Time {
		var mu sync.Mutex
		now := testNow
		return func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		}
	}
	for _, tt := range []struct {
		name       string
		auth       cyberflex.Option
		clock      func() time.Time
		wantReplay bool
	}{
		{"JWT, same second", cyberflex.WithJWT(merchant, keyID, secret), fixedClock(testNow), false},
		{"HTTP Signature, next second", cyberflex.WithHTTPSignature(merchant, keyID, secret), ticking(), false},
		{"HTTP Signature, same second", cyberflex.WithHTTPSignature(merchant, keyID, secret), fixedClock(testNow), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret),
				cyberflextest.WithSignatureReplayCheck())
			synctest.Test(t, func(t *testing.T) {
				c := newClient(t, csrv, tt.auth, cyberflex.WithMaxRetries(1), cyberflex.WithClock(tt.clock),
					cyberflex.WithHTTPClient(inMemory(csrv, lost)))
				_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
				switch {
				case tt.wantReplay && (err == nil || !strings.Contains(err.Error(), "replayed")):
					t.Errorf("GenerateCaptureContext: %v, want the retry refused as replayed", err)
				case !tt.wantReplay && err != nil:
					t.Errorf("GenerateCaptureContext: %v", err)
				}
			})
			if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 2 {
				t.Errorf("Calls = %d, want 2", n)
			}
		})
	}
}
