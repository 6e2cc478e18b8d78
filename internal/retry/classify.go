package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
)

// Classifier decides whether the outcome of one attempt may be retried. It
// receives exactly what send returned (err is ErrNoResponse when send returned
// nothing at all). Each API call picks the classifier that matches how safe it
// is to repeat, which is why this is a function and not a fixed list.
type Classifier func(resp *http.Response, err error) bool

// Idempotent is the classifier for calls that are safe to repeat, such as
// Dintero's GET, PUT and cancel: it retries connection errors (see
// ConnectionErrors) and the statuses that mean "try again later" — 408, 429,
// 502, 503 and 504. A 500 is not retried: it usually means the request
// itself made the server fail, and repeating it would fail the same way.
func Idempotent(resp *http.Response, err error) bool {
	return ConnectionErrors(resp, err) || idempotentStatuses(resp, err)
}

var idempotentStatuses = Statuses(
	http.StatusRequestTimeout,
	http.StatusTooManyRequests,
	http.StatusBadGateway,
	http.StatusServiceUnavailable,
	http.StatusGatewayTimeout,
)

// NotSent is the classifier for calls that must never reach the server twice,
// such as Dintero's session creation, which has no idempotency key: a second
// request could create a second session. It retries only errors that prove
// the request never left the client: dial errors (connection refused, no
// route, dial timeout) and DNS failures, including those when dialling a
// proxy. Every response, and every error after the connection was made, is
// returned as is.
//
// A connection reset, EOF or read timeout after the connection was made does
// not count as "not sent": the request may have been written completely and
// processed by the server (the session created) before the connection died
// or the response was lost, and the client cannot tell that apart from a
// server that never saw the request. net/http's Transport already retries,
// on its own, a request on a reused connection that it knows it did not
// write, so nothing is lost by being strict here. TLS handshake failures are
// not retried either: they are almost always permanent (certificates,
// protocol versions), and only a dial that never completed is provably safe.
func NotSent(resp *http.Response, err error) bool {
	if err == nil || isContextError(err) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	// http.Transport wraps a failed dial to a proxy as Op "proxyconnect"
	// around the Op "dial" error, so look through every *net.OpError in
	// the chain rather than only the first.
	for e := err; e != nil; {
		var opErr *net.OpError
		if !errors.As(e, &opErr) {
			return false
		}
		if opErr.Op == "dial" {
			return true
		}
		e = opErr.Err
	}
	return false
}

// ConnectionErrors retries transport failures: errors from the network (a
// net.Error below http.Client's *url.Error, such as a refused dial, a DNS
// failure, a reset, a TLS handshake timeout) and
// a connection closed before a complete response arrived (io.EOF,
// io.ErrUnexpectedEOF), typically wrapped by http.Client in a *url.Error.
//
// It never retries a cancelled or expired context (the caller gave up), an
// error that did not come from the network (for example a failure to sign or
// encode the request, which would fail again), or a TLS certificate or alert
// error (a bad certificate does not fix itself between attempts). It never
// retries a response; combine it with Statuses for that.
func ConnectionErrors(resp *http.Response, err error) bool {
	if err == nil || isContextError(err) || isPermanentTLSError(err) {
		return false
	}
	return hasNetError(err) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// hasNetError reports whether err's chain holds a net.Error other than
// *url.Error. errors.As cannot be used for this: *url.Error itself implements
// net.Error, and http.Client wraps every failure in one, including failures
// that have nothing to do with the network (an unsupported scheme, an error
// from a request-signing RoundTripper), which must not be retried.
func hasNetError(err error) bool {
	for err != nil {
		if _, isURL := err.(*url.Error); !isURL { //nolint:errorlint // one level at a time, see above
			if _, ok := err.(net.Error); ok { //nolint:errorlint // one level at a time, see above
				return true
			}
		}
		switch e := err.(type) { //nolint:errorlint // the walk itself, see above
		case interface{ Unwrap() error }:
			err = e.Unwrap()
		case interface{ Unwrap() []error }:
			return slices.ContainsFunc(e.Unwrap(), hasNetError)
		default:
			return false
		}
	}
	return false
}

// Statuses returns a classifier that retries a response whose status code is
// one of codes, and nothing else (no errors), so that each client can state
// its own list, e.g. Any(ConnectionErrors, Statuses(429, 502, 503, 504)) for
// CyberSource, whose retry rules leave out 408.
func Statuses(codes ...int) Classifier {
	codes = slices.Clone(codes)
	return func(resp *http.Response, err error) bool {
		return err == nil && resp != nil && slices.Contains(codes, resp.StatusCode)
	}
}

// Any returns a classifier that retries when at least one of cs does, so
// classifiers can be composed instead of written out for each API call.
// Nil classifiers are ignored.
func Any(cs ...Classifier) Classifier {
	cs = slices.Clone(cs)
	return func(resp *http.Response, err error) bool {
		for _, c := range cs {
			if c != nil && c(resp, err) {
				return true
			}
		}
		return false
	}
}

// isContextError reports whether err comes from a cancelled or expired
// context. The net package's own cancellation and timeout errors match these
// through errors.Is, so a dial aborted by the context is caught too.
func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// isPermanentTLSError reports whether err is a TLS failure that another
// attempt would hit again: a certificate that does not verify, an alert from
// the peer, or a peer that does not speak TLS at all.
func isPermanentTLSError(err error) bool {
	var (
		verifyErr    *tls.CertificateVerificationError
		alertErr     tls.AlertError
		recordErr    tls.RecordHeaderError
		authorityErr x509.UnknownAuthorityError
		hostErr      x509.HostnameError
		invalidErr   x509.CertificateInvalidError
	)
	return errors.As(err, &verifyErr) || errors.As(err, &alertErr) || errors.As(err, &recordErr) ||
		errors.As(err, &authorityErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr)
}
