// Package retry runs an HTTP call again when a failure is worth retrying,
// shared by the Dintero and CyberSource clients so both follow the same rules:
// exponential backoff with jitter, Retry-After honoured, no retry once the
// context has ended, and no retry of a call that is unsafe to repeat.
//
// The package never builds or replays requests itself. The caller passes a
// send function that Do invokes anew for every attempt, so each attempt gets a
// fresh request body and, for CyberSource, a fresh HTTP signature (a replayed
// signature would be rejected because its date and digest are per request).
//
// Whether an outcome may be retried is the caller's decision, expressed as a
// [Classifier]: [Idempotent] for calls that are safe to repeat, [NotSent] for
// calls that must never reach the server twice, or a combination built with
// [Any], [ConnectionErrors] and [Statuses].
package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"
)

// Defaults used when the corresponding Policy field is zero (or negative), so
// that a zero Policy with only MaxRetries set behaves sensibly.
const (
	// DefaultBaseDelay is the first backoff: long enough for a restarting
	// upstream to come back, short enough not to be felt in a checkout flow.
	DefaultBaseDelay = 500 * time.Millisecond
	// DefaultMaxDelay caps one backoff wait so that a long retry chain does
	// not leave a shopper waiting for minutes between attempts.
	DefaultMaxDelay = 8 * time.Second
	// DefaultMaxRetryAfter is the longest server-requested wait honoured. A
	// server that asks for more is better reported to the caller at once
	// than waited for inside a single SDK call.
	DefaultMaxRetryAfter = 60 * time.Second
)

// maxDrain bounds how much of a discarded response body is read so the
// connection can be reused. A larger body is not worth reading just to save
// a connection; closing it early simply drops that connection.
const maxDrain = 64 << 10

// ErrNoResponse is the error Do reports when send returns neither a response
// nor an error. That is a bug in send, but it is surfaced as an ordinary,
// non-retryable error rather than a nil-pointer panic inside the SDK.
var ErrNoResponse = errors.New("retry: send returned neither a response nor an error")

// Policy says how often and how patiently Do retries. It is a plain value so
// each client can keep one per kind of call and users can override it; the
// zero value never retries (MaxRetries is 0).
type Policy struct {
	// MaxRetries is the number of retries after the first attempt, so send
	// is called at most MaxRetries+1 times. Zero (or negative) disables
	// retrying, which lets users switch retries off without another option.
	MaxRetries int

	// BaseDelay is the backoff before the first retry; it doubles for each
	// further retry. Zero means DefaultBaseDelay.
	BaseDelay time.Duration

	// MaxDelay caps one backoff wait (before jitter is applied, so jitter
	// never pushes a wait above it). Zero means DefaultMaxDelay. It does not
	// cap a server's Retry-After, which MaxRetryAfter governs.
	MaxDelay time.Duration

	// MaxRetryAfter is the longest Retry-After that is honoured. When a
	// retryable response asks for a longer wait, Do stops retrying and
	// returns that response, since the caller is better placed to decide
	// whether to wait that long. Zero means DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration

	// Jitter returns a number in [0,1) that randomises each backoff, so that
	// many clients failing together do not retry in lockstep. Nil means
	// math/rand/v2; tests inject a fixed function to get exact delays.
	// Values outside [0,1) are clamped.
	Jitter func() float64

	// OnRetry, when set, is called before each wait with the outcome that
	// is being retried, so clients can log retries without this package
	// depending on a logger.
	OnRetry func(Attempt)
}

// Attempt describes a failed attempt that is about to be retried. It is what
// OnRetry receives; it carries the status code rather than the response
// because the response body is drained and closed before the wait.
type Attempt struct {
	// Number is the 1-based number of the attempt that failed (1 is the
	// first call of send).
	Number int
	// Delay is how long Do will wait before the next attempt.
	Delay time.Duration
	// StatusCode is the HTTP status of the failed attempt, or 0 when send
	// returned an error.
	StatusCode int
	// Err is the error send returned, or nil when it returned a response.
	Err error
	// RetryAfter reports whether Delay was set by the server's Retry-After
	// header rather than by the backoff alone.
	RetryAfter bool
}

// Do calls send, and calls it again while retryable says the outcome may be
// retried, up to p.MaxRetries retries, waiting between attempts as p says.
//
// send is called anew for every attempt and receives ctx; it must build,
// sign and send a fresh request each time. Do never retries once ctx has
// ended, whatever retryable says.
//
// Do returns the last response or error as send returned them: a non-2xx
// response is not an error here, the caller decodes it into its own error
// type. The body of every response that is retried is drained (at most
// 64 KiB) and closed so that its connection can be reused; the body of the
// response returned is left for the caller to read and close.
//
// Between attempts Do waits for the jittered exponential backoff (see
// Policy), or for the response's Retry-After when that is longer: the
// server's wait is honoured in full, even above MaxDelay, but a Retry-After
// of 0 or a date already past does not make Do retry without any pause.
//
// Do stops early and returns the last outcome unchanged when the server asks,
// via Retry-After, for a wait longer than p.MaxRetryAfter, or when the next
// wait would not end before ctx's deadline (sleeping until the deadline only
// to fail would waste the caller's time). If ctx ends during a wait, Do
// returns a nil response and an error that wraps ctx.Err() (so errors.Is
// works for context.Canceled and context.DeadlineExceeded), names the last
// outcome and, when that outcome was an error, wraps it as well.
func Do(ctx context.Context, p Policy, retryable Classifier, send func(ctx context.Context) (*http.Response, error)) (*http.Response, error) {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		resp, err := send(ctx)
		if resp == nil && err == nil {
			err = ErrNoResponse
		}
		if attempt > p.MaxRetries || ctx.Err() != nil || retryable == nil || !retryable(resp, err) {
			return resp, err
		}

		delay, fromServer, ok := p.delay(attempt, resp, err)
		if !ok {
			return resp, err // Retry-After longer than we are willing to wait
		}
		if deadline, has := ctx.Deadline(); has && !time.Now().Add(delay).Before(deadline) {
			return resp, err // the next attempt could not start in time
		}

		status := 0
		if resp != nil && err == nil {
			status = resp.StatusCode
		}
		if p.OnRetry != nil {
			p.OnRetry(Attempt{Number: attempt, Delay: delay, StatusCode: status, Err: err, RetryAfter: fromServer})
		}
		discard(resp)

		if werr := wait(ctx, delay); werr != nil {
			if err != nil {
				return nil, fmt.Errorf("retry: %w while waiting to retry attempt %d, which failed: %w", werr, attempt, err)
			}
			return nil, fmt.Errorf("retry: %w while waiting to retry attempt %d, which returned HTTP %d", werr, attempt, status)
		}
	}
}

// withDefaults fills in the zero (or invalid) fields of p.
func (p Policy) withDefaults() Policy {
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64
	}
	return p
}

// delay returns the wait before the retry of the given (1-based) attempt,
// whether a Retry-After header set it, and false when the server asked for a
// wait longer than MaxRetryAfter.
//
// A valid Retry-After is a floor, not a replacement: Do waits at least as long
// as the server asked (never capped by MaxDelay, never shortened by jitter),
// but also no less than the backoff. That way "Retry-After: 0", or an
// HTTP-date already in the past because the two clocks disagree, does not
// turn into a burst of immediate retries against a struggling server.
func (p Policy) delay(attempt int, resp *http.Response, err error) (time.Duration, bool, bool) {
	d := p.backoff(attempt)
	if err != nil || resp == nil {
		return d, false, true
	}
	ra, ok := ParseRetryAfter(resp.Header, time.Now())
	if !ok {
		return d, false, true
	}
	if ra > p.MaxRetryAfter {
		return 0, true, false
	}
	if ra >= d {
		return ra, true, true
	}
	return d, false, true
}

// backoff returns the jittered exponential backoff before the retry of the
// given (1-based) attempt.
//
// It uses "equal jitter": the capped exponential value b is split into a fixed
// half and a random half, giving a wait in [b/2, b). Compared with "full
// jitter" (a wait anywhere in [0, b)) it guarantees that each retry waits at
// least half the nominal backoff, so a struggling server always gets real
// breathing room, while still spreading out clients that failed together.
func (p Policy) backoff(attempt int) time.Duration {
	b := p.BaseDelay
	for i := 1; i < attempt && b < p.MaxDelay; i++ {
		if b > p.MaxDelay/2 {
			b = p.MaxDelay
			break
		}
		b *= 2
	}
	b = min(b, p.MaxDelay)

	j := p.Jitter()
	if !(j >= 0) { // also catches NaN
		j = 0
	}
	if j >= 1 {
		j = 0.999999
	}
	half := b / 2
	return half + time.Duration(j*float64(b-half))
}

// wait sleeps for d or until ctx ends, whichever comes first, and returns
// ctx.Err() in the latter case.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// discard drains (bounded) and closes the body of a response that is being
// retried, so that its connection goes back to the pool instead of being
// torn down.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	_ = resp.Body.Close()
}
