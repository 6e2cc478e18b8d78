package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// --- helpers -------------------------------------------------------------

// body is a response body that counts bytes read and Close calls, to prove
// that retried responses are drained (bounded) and closed.
type body struct {
	r      *bytes.Reader
	read   int
	closes int
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *body) Close() error { b.closes++; return nil }

// outcome is what one scripted attempt returns.
type outcome struct {
	resp *http.Response
	err  error
}

func status(code int, header ...string) outcome {
	return statusBody(code, "body of "+http.StatusText(code), header...)
}

func statusBody(code int, content string, header ...string) outcome {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return outcome{resp: &http.Response{
		StatusCode: code,
		Header:     h,
		Body:       &body{r: bytes.NewReader([]byte(content))},
	}}
}

func failure(err error) outcome { return outcome{err: err} }

func bodyOf(o outcome) *body { return o.resp.Body.(*body) }

// script plays outcomes in order (repeating the last one) and records the
// (virtual) time of each call relative to its creation.
type script struct {
	outcomes []outcome
	start    time.Time
	at       []time.Duration
}

func newScript(outcomes ...outcome) *script {
	return &script{outcomes: outcomes, start: time.Now()}
}

func (s *script) send(ctx context.Context) (*http.Response, error) {
	i := min(len(s.at), len(s.outcomes)-1)
	s.at = append(s.at, time.Since(s.start))
	o := s.outcomes[i]
	return o.resp, o.err
}

func (s *script) calls() int { return len(s.at) }

// gaps returns the waits between consecutive calls.
func (s *script) gaps() []time.Duration {
	var g []time.Duration
	for i := 1; i < len(s.at); i++ {
		g = append(g, s.at[i]-s.at[i-1])
	}
	return g
}

func fixed(j float64) func() float64 { return func() float64 { return j } }

func always(*http.Response, error) bool { return true }

// cyberflex is the classifier the CyberSource client is meant to use.
var cyberflex = Any(ConnectionErrors, Statuses(429, 502, 503, 504))

func ms(n ...int) []time.Duration {
	var d []time.Duration
	for _, v := range n {
		d = append(d, time.Duration(v)*time.Millisecond)
	}
	return d
}

func wantGaps(t *testing.T, s *script, want []time.Duration) {
	t.Helper()
	if got := s.gaps(); !slices.Equal(got, want) {
		t.Fatalf("waits between attempts = %v, want %v", got, want)
	}
}

// --- backoff -------------------------------------------------------------

func TestBackoffSequence(t *testing.T) {
	for _, tc := range []struct {
		name   string
		jitter float64
		want   []time.Duration
	}{
		// Equal jitter: wait = b/2 + jitter*b/2 with b = 100ms, 200ms, ...
		{"jitter 0", 0, ms(50, 100, 200, 400)},
		{"jitter 0.5", 0.5, ms(75, 150, 300, 600)},
		{"jitter 0.25", 0.25, []time.Duration{62500 * time.Microsecond, 125 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newScript(status(503))
				p := Policy{MaxRetries: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Minute, Jitter: fixed(tc.jitter)}
				resp, err := Do(context.Background(), p, Idempotent, s.send)
				if err != nil || resp.StatusCode != 503 {
					t.Fatalf("Do = %v, %v; want the last 503", resp, err)
				}
				wantGaps(t, s, tc.want)
			})
		})
	}
}

func TestBackoffMaxDelayCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(status(503))
		// b = 1s, 2s, 3s (capped), 3s, 3s; wait = 0.75*b.
		p := Policy{MaxRetries: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second, Jitter: fixed(0.5)}
		if _, err := Do(context.Background(), p, Idempotent, s.send); err != nil {
			t.Fatal(err)
		}
		wantGaps(t, s, ms(750, 1500, 2250, 2250, 2250))
	})
}

func TestBackoffBaseAboveMax(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(status(503))
		p := Policy{MaxRetries: 2, BaseDelay: 5 * time.Second, MaxDelay: time.Second, Jitter: fixed(0)}
		if _, err := Do(context.Background(), p, Idempotent, s.send); err != nil {
			t.Fatal(err)
		}
		wantGaps(t, s, ms(500, 500))
	})
}

func TestBackoffDefaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(status(503))
		// BaseDelay 500ms doubling, capped at MaxDelay 8s; jitter 0 halves it.
		p := Policy{MaxRetries: 7, Jitter: fixed(0)}
		if _, err := Do(context.Background(), p, Idempotent, s.send); err != nil {
			t.Fatal(err)
		}
		wantGaps(t, s, ms(250, 500, 1000, 2000, 4000, 4000, 4000))
	})
}

func TestBackoffJitterStaysInRange(t *testing.T) {
	for _, j := range []float64{-1, 0.999999999, 1, 7} {
		p := Policy{BaseDelay: time.Second, MaxDelay: time.Second, Jitter: fixed(j)}.withDefaults()
		if d := p.backoff(1); d < 500*time.Millisecond || d >= time.Second {
			t.Errorf("jitter %v: backoff = %v, want in [500ms, 1s)", j, d)
		}
	}
	// The default jitter is random but must stay in [b/2, b).
	p := Policy{BaseDelay: time.Second, MaxDelay: time.Second}.withDefaults()
	for range 1000 {
		if d := p.backoff(1); d < 500*time.Millisecond || d >= time.Second {
			t.Fatalf("default jitter: backoff = %v, want in [500ms, 1s)", d)
		}
	}
}

func TestBackoffNoOverflow(t *testing.T) {
	p := Policy{BaseDelay: time.Hour, MaxDelay: time.Duration(1<<63 - 1), Jitter: fixed(0)}.withDefaults()
	prev := time.Duration(0)
	for attempt := 1; attempt < 200; attempt++ {
		d := p.backoff(attempt)
		if d < prev {
			t.Fatalf("backoff(%d) = %v < backoff(%d) = %v: overflow", attempt, d, attempt-1, prev)
		}
		prev = d
	}
}

// --- Retry-After ---------------------------------------------------------

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"120", 120 * time.Second, true},
		{"0", 0, true},
		{" 5 ", 5 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(90 * time.Second).Format(time.RFC850), 90 * time.Second, true},
		{now.Add(90 * time.Second).Format(time.ANSIC), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true}, // past date
		{"99999999999999999999999", 1<<63 - 1, true},           // overflow saturates
		{"", 0, false},
		{"-5", 0, false},
		{"+5", 0, false},
		{"1.5", 0, false},
		{"5 s", 0, false},
		{"soon", 0, false},
		{"Fri, 31 Feb 2024 25:00:00 GMT", 0, false},
	} {
		h := http.Header{}
		if tc.value != "" {
			h.Set("Retry-After", tc.value)
		}
		got, ok := ParseRetryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDoRetryAfter(t *testing.T) {
	// synctest's clock starts at 2000-01-01 00:00:00 UTC, on a whole second,
	// so HTTP-dates (second precision) give exact waits.
	for _, tc := range []struct {
		name       string
		base       time.Duration // BaseDelay and MaxDelay; with jitter 0 the backoff is base/2
		header     func(now time.Time) string
		wantGap    time.Duration
		fromServer bool
	}{
		{"seconds above MaxDelay", time.Second, func(time.Time) string { return "7" }, 7 * time.Second, true},
		{"http-date", time.Second, func(now time.Time) string { return now.Add(30 * time.Second).Format(http.TimeFormat) }, 30 * time.Second, true},
		{"zero falls back to backoff", time.Second, func(time.Time) string { return "0" }, 500 * time.Millisecond, false},
		{"past date falls back to backoff", time.Second, func(now time.Time) string { return now.Add(-time.Hour).Format(http.TimeFormat) }, 500 * time.Millisecond, false},
		{"shorter than backoff", 4 * time.Second, func(time.Time) string { return "1" }, 2 * time.Second, false},
		{"garbage ignored", time.Second, func(time.Time) string { return "in a while" }, 500 * time.Millisecond, false},
		{"exactly MaxRetryAfter", time.Second, func(time.Time) string { return "60" }, 60 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newScript(status(429, "Retry-After", tc.header(time.Now())), status(200))
				var attempts []Attempt
				p := Policy{MaxRetries: 3, BaseDelay: tc.base, MaxDelay: tc.base, Jitter: fixed(0),
					OnRetry: func(a Attempt) { attempts = append(attempts, a) }}
				resp, err := Do(context.Background(), p, Idempotent, s.send)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("Do = %v, %v; want 200", resp, err)
				}
				wantGaps(t, s, []time.Duration{tc.wantGap})
				want := []Attempt{{Number: 1, Delay: tc.wantGap, StatusCode: 429, RetryAfter: tc.fromServer}}
				if !slices.Equal(attempts, want) {
					t.Fatalf("OnRetry got %+v, want %+v", attempts, want)
				}
			})
		})
	}
}

func TestDoRetryAfterTooLong(t *testing.T) {
	for _, tc := range []struct {
		name   string
		max    time.Duration
		header func(now time.Time) string
	}{
		{"seconds over default", 0, func(time.Time) string { return "61" }},
		{"date over default", 0, func(now time.Time) string { return now.Add(2 * time.Minute).Format(http.TimeFormat) }},
		{"seconds over custom", 5 * time.Second, func(time.Time) string { return "6" }},
		{"overflowing seconds", 0, func(time.Time) string { return "99999999999999999999999" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				first := status(503, "Retry-After", tc.header(time.Now()))
				s := newScript(first, status(200))
				p := Policy{MaxRetries: 3, MaxRetryAfter: tc.max,
					OnRetry: func(a Attempt) { t.Errorf("unexpected retry %+v", a) }}
				start := time.Now()
				resp, err := Do(context.Background(), p, Idempotent, s.send)
				if err != nil || resp != first.resp {
					t.Fatalf("Do = %v, %v; want the first 503 response", resp, err)
				}
				if s.calls() != 1 || time.Since(start) != 0 {
					t.Fatalf("calls = %d after %v; want 1 at once", s.calls(), time.Since(start))
				}
				if b := bodyOf(first); b.closes != 0 || b.read != 0 {
					t.Fatalf("returned body was touched: read %d, closed %d", b.read, b.closes)
				}
			})
		})
	}
}

// --- classification via Do ----------------------------------------------

func TestDoStatuses(t *testing.T) {
	for _, tc := range []struct {
		code                  int
		idempotent, cyberFlex bool
	}{
		{408, true, false},
		{429, true, true},
		{502, true, true},
		{503, true, true},
		{504, true, true},
		{200, false, false},
		{201, false, false},
		{400, false, false},
		{401, false, false},
		{404, false, false},
		{409, false, false},
		{500, false, false},
	} {
		for _, c := range []struct {
			name  string
			class Classifier
			retry bool
		}{
			{"Idempotent", Idempotent, tc.idempotent},
			{"cyberflex", cyberflex, tc.cyberFlex},
			{"NotSent", NotSent, false},
		} {
			t.Run(fmt.Sprintf("%d/%s", tc.code, c.name), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					s := newScript(status(tc.code))
					resp, err := Do(context.Background(), Policy{MaxRetries: 1}, c.class, s.send)
					if err != nil || resp.StatusCode != tc.code {
						t.Fatalf("Do = %v, %v", resp, err)
					}
					want := 1
					if c.retry {
						want = 2
					}
					if s.calls() != want {
						t.Fatalf("calls = %d, want %d", s.calls(), want)
					}
				})
			})
		}
	}
}

func TestDoMaxRetriesExact(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 2, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newScript(status(503))
				retries := 0
				p := Policy{MaxRetries: n, OnRetry: func(Attempt) { retries++ }}
				if _, err := Do(context.Background(), p, Idempotent, s.send); err != nil {
					t.Fatal(err)
				}
				want := max(n, 0) + 1
				if s.calls() != want || retries != want-1 {
					t.Fatalf("calls = %d, OnRetry = %d; want %d, %d", s.calls(), retries, want, want-1)
				}
			})
		})
	}
}

func TestDoStopsOnSuccess(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ok := status(200)
		s := newScript(status(502), status(503), ok, status(503))
		resp, err := Do(context.Background(), Policy{MaxRetries: 5}, Idempotent, s.send)
		if err != nil || resp != ok.resp || s.calls() != 3 {
			t.Fatalf("Do = %v, %v after %d calls; want the 200 after 3", resp, err, s.calls())
		}
	})
}

func TestDoNilResponseNilError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(outcome{})
		resp, err := Do(context.Background(), Policy{MaxRetries: 2}, Idempotent, s.send)
		if resp != nil || !errors.Is(err, ErrNoResponse) || s.calls() != 1 {
			t.Fatalf("Do = %v, %v after %d calls; want ErrNoResponse after 1", resp, err, s.calls())
		}
		// Even a classifier that retries everything must not panic on it.
		s = newScript(outcome{})
		var seen []error
		p := Policy{MaxRetries: 2, OnRetry: func(a Attempt) { seen = append(seen, a.Err) }}
		if _, err := Do(context.Background(), p, always, s.send); !errors.Is(err, ErrNoResponse) || s.calls() != 3 {
			t.Fatalf("always: err %v after %d calls", err, s.calls())
		}
		if len(seen) != 2 || !errors.Is(seen[0], ErrNoResponse) {
			t.Fatalf("OnRetry errors = %v", seen)
		}
	})
}

func TestDoNilClassifierNeverRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newScript(status(503))
		if _, err := Do(context.Background(), Policy{MaxRetries: 3}, nil, s.send); err != nil || s.calls() != 1 {
			t.Fatalf("err %v after %d calls; want 1 call", err, s.calls())
		}
	})
}

func TestDoOnRetryReportsAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		connErr := &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}}
		s := newScript(failure(connErr), status(503), status(200))
		var got []Attempt
		p := Policy{MaxRetries: 3, BaseDelay: 100 * time.Millisecond, Jitter: fixed(0),
			OnRetry: func(a Attempt) { got = append(got, a) }}
		if _, err := Do(context.Background(), p, Idempotent, s.send); err != nil {
			t.Fatal(err)
		}
		want := []Attempt{
			{Number: 1, Delay: 50 * time.Millisecond, Err: connErr},
			{Number: 2, Delay: 100 * time.Millisecond, StatusCode: 503},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("OnRetry got %+v, want %+v", got, want)
		}
	})
}

// --- bodies --------------------------------------------------------------

func TestDoClosesRetriedBodies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b, c := status(503), status(502), status(200)
		s := newScript(a, b, c)
		resp, err := Do(context.Background(), Policy{MaxRetries: 3}, Idempotent, s.send)
		if err != nil || resp != c.resp {
			t.Fatalf("Do = %v, %v", resp, err)
		}
		for i, o := range []outcome{a, b} {
			bd := bodyOf(o)
			if bd.closes != 1 || int64(bd.read) != bd.r.Size() {
				t.Errorf("retried body %d: closed %d times, read %d of %d bytes; want closed once, fully drained", i, bd.closes, bd.read, bd.r.Size())
			}
		}
		if bd := bodyOf(c); bd.closes != 0 || bd.read != 0 {
			t.Errorf("returned body: closed %d, read %d; want untouched", bd.closes, bd.read)
		}
	})
}

func TestDoDrainIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		big := statusBody(503, strings.Repeat("x", 1<<20))
		s := newScript(big, status(200))
		if _, err := Do(context.Background(), Policy{MaxRetries: 1}, Idempotent, s.send); err != nil {
			t.Fatal(err)
		}
		if bd := bodyOf(big); bd.read != 64<<10 || bd.closes != 1 {
			t.Fatalf("big body: read %d bytes, closed %d; want 65536 and 1", bd.read, bd.closes)
		}
	})
}

// --- context -------------------------------------------------------------

func TestDoContextCancelledDuringWait(t *testing.T) {
	t.Run("after status", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := status(503, "Retry-After", "30")
			s := newScript(first, status(200))
			time.AfterFunc(5*time.Second, cancel)
			start := time.Now()
			resp, err := Do(ctx, Policy{MaxRetries: 3}, Idempotent, s.send)
			if elapsed := time.Since(start); elapsed != 5*time.Second {
				t.Fatalf("Do returned after %v, want 5s (when cancelled)", elapsed)
			}
			if resp != nil || !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Do = %v, %v; want nil, context.Canceled", resp, err)
			}
			if !strings.Contains(err.Error(), "HTTP 503") || s.calls() != 1 {
				t.Fatalf("err %q after %d calls; want it to name the 503, 1 call", err, s.calls())
			}
			if bodyOf(first).closes != 1 {
				t.Fatalf("retried body closed %d times, want 1", bodyOf(first).closes)
			}
		})
	})
	t.Run("after error", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dialErr := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
			s := newScript(failure(dialErr))
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			_, err := Do(ctx, Policy{MaxRetries: 3, BaseDelay: time.Second, Jitter: fixed(0)}, NotSent, s.send)
			if time.Since(start) != 100*time.Millisecond {
				t.Fatalf("Do returned after %v, want 100ms", time.Since(start))
			}
			if !errors.Is(err, context.Canceled) || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("err = %v; want it to wrap context.Canceled and ECONNREFUSED", err)
			}
			var op *net.OpError
			if !errors.As(err, &op) || op != dialErr {
				t.Fatalf("errors.As did not find the last error in %v", err)
			}
		})
	})
}

func TestDoContextEndedDuringSendIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		send := func(context.Context) (*http.Response, error) {
			calls++
			cancel()
			return status(503).resp, nil
		}
		resp, err := Do(ctx, Policy{MaxRetries: 3}, always, send)
		if err != nil || resp.StatusCode != 503 || calls != 1 {
			t.Fatalf("Do = %v, %v after %d calls; want the 503 after 1", resp, err, calls)
		}
	})
}

func TestDoDeadlineShorterThanWait(t *testing.T) {
	for _, tc := range []struct {
		name      string
		timeout   time.Duration
		first     func() outcome
		wantCalls int
	}{
		{"retry-after past deadline", 10 * time.Second, func() outcome { return status(503, "Retry-After", "20") }, 1},
		{"retry-after ends at deadline", 10 * time.Second, func() outcome { return status(503, "Retry-After", "10") }, 1},
		{"retry-after before deadline", 10 * time.Second, func() outcome { return status(503, "Retry-After", "9") }, 2},
		{"backoff past deadline", time.Second, func() outcome { return status(503) }, 1}, // backoff 2s
		{"error backoff past deadline", time.Second, func() outcome {
			return failure(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
				defer cancel()
				first := tc.first()
				s := newScript(first, status(200))
				start := time.Now()
				resp, err := Do(ctx, Policy{MaxRetries: 3, BaseDelay: 4 * time.Second, MaxDelay: 4 * time.Second, Jitter: fixed(0)}, Idempotent, s.send)
				if s.calls() != tc.wantCalls {
					t.Fatalf("calls = %d, want %d", s.calls(), tc.wantCalls)
				}
				if tc.wantCalls > 1 {
					if err != nil || resp.StatusCode != 200 {
						t.Fatalf("Do = %v, %v; want 200", resp, err)
					}
					return
				}
				if elapsed := time.Since(start); elapsed != 0 {
					t.Fatalf("Do waited %v before giving up; want 0", elapsed)
				}
				if resp != first.resp || err != first.err { //nolint:errorlint // the very same value, not one that wraps it
					t.Fatalf("Do = %v, %v; want the first outcome unchanged", resp, err)
				}
				if first.resp != nil && bodyOf(first).closes != 0 {
					t.Fatal("returned body was closed")
				}
			})
		})
	}
}

// --- classifiers with real and constructed errors -------------------------

// refusedError dials a port on 127.0.0.1 that was just closed.
func refusedError(t *testing.T) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client := &http.Client{Transport: &http.Transport{}}
	resp, err := client.Post("http://"+addr+"/v1/sessions-profile", "application/json", strings.NewReader(`{}`))
	if err == nil {
		resp.Body.Close()
		t.Fatal("dial to a closed port succeeded")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("want connection refused, got %v", err)
	}
	return err
}

// brokenServerError sends a POST to a server that reads the request, then
// breaks the connection as mode says, and returns the client's error.
func brokenServerError(t *testing.T, mode string) error {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body) // the request has fully arrived
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		switch mode {
		case "reset":
			_ = conn.(*net.TCPConn).SetLinger(0) // close sends RST
		case "mid-response":
			_, _ = io.WriteString(conn, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n")
		case "mid-header":
			_, _ = io.WriteString(conn, "HTTP/1.1 201 Created\r\nContent-Ty")
		}
		conn.Close()
	}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Post(srv.URL+"/v1/sessions-profile", "application/json", strings.NewReader(`{"order":{}}`))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("%s: request succeeded", mode)
	}
	return err
}

func tlsError(t *testing.T) error {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the failed handshake is expected
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{}} // does not trust the test CA
	resp, err := client.Get(srv.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("TLS with an untrusted certificate succeeded")
	}
	return err
}

func unsupportedSchemeError(t *testing.T) error {
	resp, err := (&http.Client{Transport: &http.Transport{}}).Get("ftp://checkout.example/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("ftp request succeeded")
	}
	return err
}

func cancelledRequestError(t *testing.T) error {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("cancelled request succeeded")
	}
	return err
}

func TestClassifyErrors(t *testing.T) {
	wrap := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://checkout.example/v1/sessions-profile", Err: err}
	}
	reset := brokenServerError(t, "reset")
	if !errors.Is(reset, syscall.ECONNRESET) {
		t.Fatalf("want connection reset, got %v", reset)
	}
	closed := brokenServerError(t, "close")
	if !errors.Is(closed, io.EOF) {
		t.Fatalf("want EOF, got %v", closed)
	}
	for _, tc := range []struct {
		name                string
		err                 error
		connection, notSent bool
	}{
		// Real errors from net/http.
		{"real connection refused", refusedError(t), true, true},
		{"real close after request", closed, true, false},
		{"real reset after request", reset, true, false},
		{"real close mid-response", brokenServerError(t, "mid-response"), true, false},
		// Cut inside a header line, net/http reports a malformed header
		// (a *textproto.ProtocolError), which is indistinguishable from a
		// server sending garbage, so it is not retried even when idempotent.
		{"real close mid-header", brokenServerError(t, "mid-header"), false, false},
		{"real untrusted certificate", tlsError(t), false, false},
		{"real cancelled request", cancelledRequestError(t), false, false},
		// Constructed errors shaped like net/http's.
		{"dns failure", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "checkout.invalid", IsNotFound: true}}), true, true},
		{"bare dns failure", &net.DNSError{Err: "server misbehaving", Name: "checkout.invalid", IsTemporary: true}, true, true},
		{"proxy dial refused", wrap(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}), true, true},
		{"proxy connect EOF", wrap(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: io.EOF}), true, false},
		{"read reset", wrap(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true, false},
		{"write broken pipe", wrap(&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}), true, false},
		{"unexpected EOF", wrap(io.ErrUnexpectedEOF), true, false},
		{"dial cancelled", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: context.Canceled}), false, false},
		{"dial deadline", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: context.DeadlineExceeded}), false, false},
		{"context deadline", wrap(context.DeadlineExceeded), false, false},
		{"real unsupported scheme", unsupportedSchemeError(t), false, false},
		{"signing failure", errors.New("cyberflex: sign request: bad key"), false, false},
		{"signing failure in url.Error", wrap(errors.New("cyberflex: sign request: bad key")), false, false},
		{"joined with a reset", errors.Join(errors.New("attempt"), &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true, false},
		{"no response", ErrNoResponse, false, false},
		{"nil", nil, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConnectionErrors(nil, tc.err); got != tc.connection {
				t.Errorf("ConnectionErrors(%v) = %v, want %v", tc.err, got, tc.connection)
			}
			if got := Idempotent(nil, tc.err); got != tc.connection {
				t.Errorf("Idempotent(%v) = %v, want %v", tc.err, got, tc.connection)
			}
			if got := cyberflex(nil, tc.err); got != tc.connection {
				t.Errorf("cyberflex(%v) = %v, want %v", tc.err, got, tc.connection)
			}
			if got := NotSent(nil, tc.err); got != tc.notSent {
				t.Errorf("NotSent(%v) = %v, want %v", tc.err, got, tc.notSent)
			}
			if got := Statuses(503)(nil, tc.err); got {
				t.Errorf("Statuses(503)(%v) = true, want false for an error", tc.err)
			}
		})
	}
}

// TestDoCreateCallIsNotRetriedAfterSend runs Do with the real errors: a
// refused dial is retried for a create call, a reset after sending is not,
// though it is for an idempotent call.
func TestDoCreateCallIsNotRetriedAfterSend(t *testing.T) {
	refused := refusedError(t)
	reset := brokenServerError(t, "reset")
	for _, tc := range []struct {
		name      string
		err       error
		class     Classifier
		wantCalls int
	}{
		{"create, refused", refused, NotSent, 3},
		{"create, reset after send", reset, NotSent, 1},
		{"get, reset after send", reset, Idempotent, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newScript(failure(tc.err))
				_, err := Do(context.Background(), Policy{MaxRetries: 2}, tc.class, s.send)
				if err != tc.err || s.calls() != tc.wantCalls { //nolint:errorlint // the very same value, not one that wraps it
					t.Fatalf("Do err %v after %d calls; want the same error after %d", err, s.calls(), tc.wantCalls)
				}
			})
		})
	}
}

func TestStatusesAndAny(t *testing.T) {
	resp := func(code int) *http.Response { return &http.Response{StatusCode: code} }
	codes := []int{429}
	c := Statuses(codes...)
	codes[0] = 500 // Statuses must not alias the caller's slice
	if !c(resp(429), nil) || c(resp(500), nil) || c(nil, nil) {
		t.Fatal("Statuses(429) misclassifies")
	}
	if c(resp(429), errors.New("redirect failed")) {
		t.Fatal("Statuses retried a response that came with an error")
	}
	if Any()(resp(429), nil) || Any(nil)(resp(429), nil) {
		t.Fatal("empty Any retried")
	}
	if !Any(nil, Statuses(500), Statuses(429))(resp(429), nil) {
		t.Fatal("Any did not retry when one classifier does")
	}
}

// --- example -------------------------------------------------------------

func ExampleDo() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"id":"T11223344"}`)
	}))
	defer srv.Close()

	policy := Policy{
		MaxRetries: 2,
		BaseDelay:  2 * time.Millisecond,
		Jitter:     func() float64 { return 0 }, // fixed for a reproducible output
		OnRetry: func(a Attempt) {
			fmt.Printf("attempt %d: HTTP %d, retrying in %v\n", a.Number, a.StatusCode, a.Delay)
		},
	}
	resp, err := Do(context.Background(), policy, Idempotent, func(ctx context.Context) (*http.Response, error) {
		// Build (and, for CyberSource, sign) a fresh request every time.
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/sessions/T11223344", nil)
		if err != nil {
			return nil, err
		}
		return srv.Client().Do(req)
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(b))
	// Output:
	// attempt 1: HTTP 503, retrying in 1ms
	// 200 {"id":"T11223344"}
}
