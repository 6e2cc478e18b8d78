// Package httpx is the HTTP plumbing shared by the dintero and cyberflex clients: the default
// *http.Client, the redirect policy, and reading response bodies through a size limit.
package httpx

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	paysession "github.com/paysession/paysession-go"
)

// UserAgent identifies the SDK in every request, so vendors' logs can tell its traffic apart.
const UserAgent = "paysession-go/" + paysession.Version

// MaxBodySize caps how much of a response body is read. Every answer of these APIs is far smaller
// (a list page of 100 sessions is a few hundred KiB); a larger body is an error page gone wrong or
// an attack, and reading it whole would let one response exhaust memory.
const MaxBodySize = 8 << 20

// ErrBodyTooLarge is returned by ReadBody when a body exceeds its limit.
var ErrBodyTooLarge = errors.New("response body too large")

// NewHTTPClient returns the client used when the caller supplies none: bounded dial, TLS and
// header waits, and no redirects (see NoRedirects). Each attempt as a whole is bounded by the
// clients' request timeout, through its context.
//
// The transport is built here, not cloned from http.DefaultTransport: a program may have
// replaced or wrapped that (otelhttp, httpmock), and it need not be an *http.Transport.
func NewHTTPClient() *http.Client {
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return NoRedirects(&http.Client{Transport: t})
}

// NoRedirects returns a shallow copy of c that does not follow redirects: the 3xx response is
// returned as it is, and the clients report it as an API error.
//
// Neither API redirects. A redirect is a misconfigured base URL or a hostile proxy, and following
// it would send the request's credentials (x-api-key, CyberSource's Signature, a bearer token on
// the same host) to wherever it points; net/http only strips Authorization and cookies, and only
// across hosts.
func NoRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cp
}

// ReadBody reads r to its end, but at most limit bytes. A longer body yields the first limit
// bytes and an error wrapping ErrBodyTooLarge; a body cut short by the connection yields what
// arrived and the read error.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return data, fmt.Errorf("reading response body: %w", err)
	}
	if int64(len(data)) > limit {
		return data[:limit], fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, limit)
	}
	return data, nil
}

// MaxDrain bounds how much of a body is read and thrown away after MaxBodySize, so that the
// connection can be reused. A body longer than MaxBodySize+MaxDrain is not worth reading to save
// a connection: closing it early drops that connection, which is the safe outcome.
const MaxDrain = 64 << 10

// ReadResponse reads and closes resp's body through MaxBodySize. The body is closed in every
// case, so the caller never leaks a connection. A body over the limit is drained (at most
// MaxDrain more bytes) before it is closed: net/http reuses a connection only when its body was
// read to the end, so closing it part-read would cost a new TCP (and TLS) connection.
func ReadResponse(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	data, err := ReadBody(resp.Body, MaxBodySize)
	if errors.Is(err, ErrBodyTooLarge) {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxDrain))
	}
	return data, err
}

// CheckBaseURL accepts the absolute URLs a client may be pointed at: https, or http to a loopback
// host (a local test server or proxy; credentials would travel in clear text anywhere else); no
// user info, query or fragment. Its errors never repeat a URL that holds a password.
func CheckBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL") // url.Error would repeat the URL, and with it any password
	}
	if u.User != nil {
		return errors.New("must not carry user info")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("%q must not carry a query or fragment", raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return fmt.Errorf("%q is plain http to a host that is not loopback: credentials would travel in clear text; use https", raw)
	}
	return nil
}

// IsLoopback reports whether host (a name or an IP address, without port) is this machine:
// "localhost", a name under ".localhost", or a loopback address (127.0.0.0/8, ::1).
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultRequestTimeout bounds one attempt (sending the request and reading the whole answer)
// when the client is not given another bound. Both APIs answer in well under a second; an
// attempt that hangs for a minute is worse than a retry or an error.
const DefaultRequestTimeout = 30 * time.Second

// ClientFor returns the *http.Client a client sends through: a copy of the caller's hc that does
// not follow redirects, or, when hc is nil, NewHTTPClient (built only then). Its Timeout bounds
// every attempt: requestTimeout (DefaultRequestTimeout when 0), or the caller's own Timeout when
// that is shorter. net/http applies it to the whole exchange, reading the body included, with
// one timer per request; the caller's context still ends an attempt sooner.
func ClientFor(hc *http.Client, requestTimeout time.Duration) *http.Client {
	if requestTimeout <= 0 {
		requestTimeout = DefaultRequestTimeout
	}
	if hc != nil {
		hc = NoRedirects(hc)
	} else {
		hc = NewHTTPClient()
	}
	if hc.Timeout <= 0 || hc.Timeout > requestTimeout {
		hc.Timeout = requestTimeout
	}
	return hc
}
