// Package apicall is the request pipeline that the dintero and cyberflex clients run every API
// call through, written once:
//
//	wrapper method (checks input, builds the generated request)
//	  → Do: retry loop (only what the call's classifier allows; Retry-After up to a cap)
//	    → one attempt: a fresh request, bounded by the HTTP client's Timeout
//	      → client headers, then per-attempt authentication (signed afresh every time)
//	      → http.Client; the body is read, through a size limit, inside the attempt
//	  → a non-2xx answer becomes the wrapper's API error, with every credential scrubbed
//
// Reading the body inside the attempt means the per-attempt timeout (the http.Client's Timeout,
// which httpx.ClientFor always sets) covers it, and a read that fails half-way is an attempt
// failure that an idempotent call can retry.
package apicall

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
	"github.com/paysession/paysession-go/internal/untrusted"
)

// maxErrorText bounds the text an error or a log line quotes from a peer (a transport error, a
// header): one short line.
const maxErrorText = 200

// Client runs calls for one API client. Its fields are set once, by the wrapper's New, and never
// changed, so one Client serves any number of goroutines.
type Client struct {
	// Service names the API client ("dintero", "cyberflex"): the prefix of every error and log
	// message.
	Service string
	// HTTP sends the requests: made by httpx.ClientFor, so that redirects are not followed and
	// its Timeout bounds each attempt, the whole answer included.
	HTTP *http.Client
	// Policy is the retry policy: MaxRetries, backoff and the Retry-After cap.
	Policy retry.Policy
	// Logger receives the one log schema of both clients (see Do). Never nil.
	Logger *slog.Logger
	// Prepare sets what every request of the client carries (User-Agent, Accept, Host, the
	// client's own identification headers), before Call.Authorize.
	Prepare func(req *http.Request)
	// Secrets returns the configured credentials, and values derived from them, that an answer
	// must never echo into an error or a log line. A function, not a slice, so that no printer
	// that dumps the client's fields (go-spew in a test diff) can show them.
	Secrets func() []string
	// NewAPIError turns a non-2xx answer, already scrubbed, into the wrapper's error type.
	NewAPIError func(op string, r *Response) error
	// Now is the clock for Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// Call is one API operation.
type Call struct {
	// Op is the operation name, in errors and log lines (for example "GetSession").
	Op string
	// Retry says which failed attempts are repeated: retry.Idempotent for reads and other calls
	// that are safe to repeat, retry.NotSent for calls that must not run twice. A timeout of an
	// attempt while the caller's context is still live counts as a connection error, so calls
	// whose classifier retries connection errors retry it.
	Retry retry.Classifier
	// Request builds a fresh request for each attempt. Its context is replaced by Do.
	Request func() (*http.Request, error)
	// Authorize authenticates one attempt's request and returns the credential it put on the
	// wire (a token, a signed JWT), which is then scrubbed from the answer too. Its errors end
	// the call at once: whatever it depends on (a token endpoint) has its own retries.
	Authorize func(ctx context.Context, req *http.Request) (sent string, err error)
	// Reauthorize is called once per call when an answer is 401 to a request authenticated with
	// credential sent; if it returns true, the request is sent once more (a cached token was
	// revoked or expired early). The server refused the request before doing anything, so this
	// is safe for every operation.
	Reauthorize func(sent string) bool
	// Secrets returns values of this call, beyond the client's credentials, that an answer must
	// never echo into an error or a log line: the card number and security code of a card
	// tokenization, which a hostile or broken peer could send back.
	Secrets func() []string
}

// Response is an answer, with its body read whole (up to httpx.MaxBodySize).
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// RetryAfter is the wait the server asked for with Retry-After, 0 when it asked for none.
	RetryAfter time.Duration

	truncated    bool     // Body is the first httpx.MaxBodySize bytes of a longer body
	readErr      error    // why Body is incomplete, if it is
	method, path string   // of the request, for the log
	client       *Client  // whose credentials Describe scrubs
	sent         []string // and the ones the call sent
}

// Describe is what an error says of an answer it could not use: its status, size and
// Content-Type, the latter cut to one short line and scrubbed of credentials.
func (r *Response) Describe() string {
	return fmt.Sprintf("HTTP %d answer (%d bytes, Content-Type %q)", r.StatusCode, len(r.Body),
		untrusted.Line(r.client.scrubber(r.sent).String(r.Header.Get("Content-Type")), 80))
}

// Do runs call under the client's retry policy and returns the 2xx answer. A non-2xx answer is
// returned as the error NewAPIError makes of it, with every credential scrubbed from its body
// and headers. Transport errors are wrapped with the service and operation, cut to one line.
//
// Log schema (slog): debug "<service>: request" per attempt (op, method, path, attempt, status
// or error, duration); debug "<service>: retrying" (op, attempt, status, error, delay,
// retry_after); warn "<service>: call failed" (op, error) when a call ends without an answer.
func (c *Client) Do(ctx context.Context, call Call) (*Response, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%s: %s: nil context", c.Service, call.Op)
	}
	var sent []string // every credential the attempts put on the wire, and the call's secrets
	if call.Secrets != nil {
		sent = append(sent, call.Secrets()...)
	}
	reauthorized := false
	attempt := 0
	debug := c.Logger.Enabled(ctx, slog.LevelDebug)

	policy := c.Policy
	if debug { // building the closure allocates: only when its log line is wanted
		policy.OnRetry = func(a retry.Attempt) {
			c.Logger.LogAttrs(ctx, slog.LevelDebug, c.Service+": retrying",
				slog.String("op", call.Op), slog.Int("attempt", a.Number), slog.Int("status", a.StatusCode),
				slog.String("error", c.errorText(a.Err, sent)), slog.Duration("delay", a.Delay),
				slog.Bool("retry_after", a.RetryAfter))
		}
	}
	classify := func(resp *http.Response, err error) bool {
		var fatal *authError
		if errors.As(err, &fatal) {
			return false
		}
		if call.Retry(resp, err) {
			return true
		}
		// The attempt's own time ran out (or net/http's header timeout, or a Client.Timeout of the
		// caller's http.Client), not the caller's: as good as a lost connection. The call's own
		// classifier is asked first, so that a timeout it can place (a dial that timed out, which
		// sent nothing) keeps its answer.
		return err != nil && ctx.Err() == nil && errors.Is(err, errAttemptTimeout) &&
			call.Retry(nil, timeoutAsNetError{})
	}

	var last *Response // the answer of the attempt retry.Do returns
	//nolint:bodyclose // each attempt's body is read and closed in attempt; the result is unused
	_, err := retry.Do(ctx, policy, classify, func(ctx context.Context) (*http.Response, error) {
		for {
			attempt++
			start := time.Now()
			resp, r, used, err := c.attempt(ctx, call)
			if used != "" {
				sent = append(sent, used)
			}
			if debug {
				c.logAttempt(ctx, call.Op, r, err, attempt, start, sent)
			}
			if err == nil && resp.StatusCode == http.StatusUnauthorized && call.Reauthorize != nil && !reauthorized {
				reauthorized = true
				if call.Reauthorize(used) {
					continue
				}
			}
			last = r
			return resp, err
		}
	})
	if err != nil {
		c.Logger.LogAttrs(ctx, slog.LevelWarn, c.Service+": call failed",
			slog.String("op", call.Op), slog.String("error", c.errorText(err, sent)))
		var fatal *authError
		if errors.As(err, &fatal) {
			err = fatal.err
		}
		return nil, &Error{Service: c.Service, Op: call.Op, Text: c.errorText(err, sent), Err: err}
	}
	r := last
	r.client, r.sent = c, sent
	if r.StatusCode < 200 || r.StatusCode > 299 {
		scrub := c.scrubber(sent)
		r.Header = scrub.Header(r.Header)
		if r.truncated {
			r.Body = scrub.Truncated(r.Body)
		} else {
			r.Body = scrub.Bytes(r.Body)
		}
		if d, ok := retry.ParseRetryAfter(r.Header, c.now()); ok {
			r.RetryAfter = d
		}
		return nil, c.NewAPIError(call.Op, r)
	}
	if r.readErr != nil {
		return nil, &Error{Service: c.Service, Op: call.Op,
			Text: fmt.Sprintf("HTTP %d answer: %s", r.StatusCode, c.errorText(r.readErr, sent)), Err: r.readErr}
	}
	return r, nil
}

// attempt sends one request and reads its answer: the *http.Response (for retry.Do: status and
// headers, its body already read and closed) and the Response with the body.
func (c *Client) attempt(ctx context.Context, call Call) (*http.Response, *Response, string, error) {
	req, err := call.Request()
	if err != nil {
		return nil, nil, "", &authError{fmt.Errorf("building the request: %w", err)}
	}
	req = req.WithContext(ctx)
	if c.Prepare != nil {
		c.Prepare(req)
	}
	var used string
	if call.Authorize != nil {
		if used, err = call.Authorize(ctx, req); err != nil {
			return nil, nil, used, &authError{err}
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, nil, used, c.attemptError(ctx, err)
	}
	body, readErr := httpx.ReadResponse(resp)
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, method: req.Method, path: req.URL.Path}
	r.truncated = errors.Is(readErr, httpx.ErrBodyTooLarge)
	if readErr != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 && !r.truncated {
		// A 2xx body cut off half-way: the answer is lost, like the connection. An idempotent
		// call may ask again; the others report it.
		return nil, nil, used, c.attemptError(ctx, readErr)
	}
	r.readErr = readErr
	resp.Body = http.NoBody
	return resp, r, used, nil
}

// attemptError marks an error that ended one attempt because the attempt's own time ran out
// (while the caller's context is live), so that the classifier can tell it from the caller's
// deadline.
func (c *Client) attemptError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &timeoutError{err}
	}
	return err
}

// errAttemptTimeout marks an attempt that ran out of its own time (the http.Client's Timeout,
// net/http's header timeout, a dial timeout) while the caller's context was live.
var errAttemptTimeout = errors.New("attempt timed out")

// timeoutError is an attempt that ran out of time while the caller's context was still live.
type timeoutError struct{ err error }

func (e *timeoutError) Error() string { return e.err.Error() }
func (e *timeoutError) Unwrap() []error {
	return []error{e.err, errAttemptTimeout}
}

// timeoutAsNetError stands for an attempt timeout when the call's classifier is asked.
type timeoutAsNetError struct{}

func (timeoutAsNetError) Error() string   { return "attempt timed out" }
func (timeoutAsNetError) Timeout() bool   { return true }
func (timeoutAsNetError) Temporary() bool { return true }

var _ net.Error = timeoutAsNetError{}

// authError is an error of Call.Request or Call.Authorize: it ends the call without a retry.
type authError struct{ err error }

func (e *authError) Error() string { return e.err.Error() }
func (e *authError) Unwrap() error { return e.err }

// Error is a call that ended without an answer: a transport error, a timeout, an answer that
// could not be read, an authentication step that failed. Its message is one bounded line with
// every credential scrubbed; Unwrap gives the cause for errors.Is and errors.As.
type Error struct {
	Service, Op string
	Text        string // the cause's message, one bounded, scrubbed line
	Err         error
}

func (e *Error) Error() string { return e.Service + ": " + e.Op + ": " + e.Text }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// errorText is err's message as one bounded line with every credential scrubbed.
func (c *Client) errorText(err error, sent []string) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if len(msg) > 8*maxErrorText {
		msg = msg[:8*maxErrorText]
	}
	return untrusted.Line(c.scrubber(sent).String(msg), maxErrorText)
}

// scrubber scrubs the client's credentials and those the call sent.
func (c *Client) scrubber(sent []string) redact.Scrubber {
	var secrets []string
	if c.Secrets != nil {
		secrets = c.Secrets()
	}
	return redact.NewScrubber(append(secrets, sent...)...)
}

func (c *Client) logAttempt(ctx context.Context, op string, r *Response, err error, attempt int, start time.Time, sent []string) {
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("op", op))
	if r != nil {
		attrs = append(attrs, slog.String("method", r.method), slog.String("path", r.path))
	}
	attrs = append(attrs, slog.Int("attempt", attempt), slog.Duration("duration", time.Since(start)))
	if err != nil {
		attrs = append(attrs, slog.String("error", c.errorText(err, sent)))
	} else {
		attrs = append(attrs, slog.Int("status", r.StatusCode))
	}
	c.Logger.LogAttrs(ctx, slog.LevelDebug, c.Service+": request", attrs...)
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// APIErrorText is the one-line message of both clients' APIError: the service, the operation,
// the status, then the vendor's code and message when the body had them, else an excerpt of the
// body, and the vendor's id for the request. Every value from the answer is cut to one short line
// (untrusted.Line), so the message is bounded and cheap whatever the server sent.
func APIErrorText(service, op string, status int, code, message string, body []byte, idLabel, id string) string {
	var b strings.Builder
	b.Grow(160)
	b.WriteString(service + ": " + op + ": HTTP " + strconv.Itoa(status))
	if t := http.StatusText(status); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case code != "" || message != "":
		if code != "" {
			b.WriteString(": " + untrusted.Line(code, 80))
		}
		if message != "" {
			b.WriteString(": " + untrusted.Line(message, 200))
		}
	case len(bytes.TrimSpace(body)) > 0:
		b.WriteString(": unexpected body " + strconv.Quote(untrusted.LineBytes(body, 120)))
	default:
		b.WriteString(": empty body")
	}
	if id != "" {
		b.WriteString(" (" + idLabel + " " + untrusted.Line(id, 80) + ")")
	}
	return b.String()
}
