// Package wiretest holds the raw-HTTP test servers and clients that the fault tests of both
// clients (dintero, cyberflex) use for what the fakes cannot produce: a connection refused, a
// body cut off mid-way, a redirect to another host. It is for tests only.
package wiretest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is an httptest.Server that records every request it receives (the count per escaped
// path and the headers) before serve answers it.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	calls map[string]int
	seen  []http.Header
}

// NewServer starts a Server, closed when the test ends. serve gets the number of the request
// to the same path, starting at 1.
func NewServer(t testing.TB, serve func(w http.ResponseWriter, r *http.Request, attempt int)) *Server {
	s := &Server{calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.URL.EscapedPath()]++
		n := s.calls[r.URL.EscapedPath()]
		s.seen = append(s.seen, r.Header.Clone())
		s.mu.Unlock()
		serve(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

// Count returns how many requests to path (escaped) arrived.
func (s *Server) Count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// Total returns how many requests arrived.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// Headers returns the headers of every request that arrived, in order.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.seen...)
}

// CutBody answers with status and a Content-Length 1000 bytes longer than body, sends body and
// closes the connection: a body cut off mid-way, as a reset or a crashed server leaves it.
func CutBody(w http.ResponseWriter, status int, contentType, body string) error {
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		status, http.StatusText(status), contentType, len(body)+1000, body)
	return buf.Flush()
}

// Dials counts the connections a client opens, whether or not anything listens.
type Dials struct{ N atomic.Int32 }

// Client returns an *http.Client whose every dial is counted in d.N.
func (d *Dials) Client() *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.N.Add(1)
		return dialer.DialContext(ctx, network, addr)
	}}}
}

// RefusedURL returns "http://<address>" of a loopback port nothing listens on.
func RefusedURL(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}
