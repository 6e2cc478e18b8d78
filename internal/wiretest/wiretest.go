// Package wiretest holds the raw-HTTP test servers and clients that the fault tests of both
// clients (dintero, cyberflex) use for what the fakes cannot produce: a connection refused, a
// body cut off mid-way, a redirect to another host. It is for tests only.
package wiretest

import (
	"context"
	"fmt"
	"io"
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
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// ConnServer is an httptest server that counts the TCP connections it accepts and answers each
// request with the reply the test set (Answer) for the current call. Request bodies are read to
// their end before the reply, as a well-behaved server does.
type ConnServer struct {
	*httptest.Server
	conns atomic.Int32

	mu   sync.Mutex
	next func(w http.ResponseWriter, r *http.Request, attempt int)
	seen int // requests of the current call
}

// NewConnServer starts a ConnServer, closed when the test ends. A request that arrives before
// any Answer fails the test.
func NewConnServer(t testing.TB) *ConnServer {
	s := &ConnServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		s.mu.Lock()
		s.seen++
		next, attempt := s.next, s.seen
		s.mu.Unlock()
		if next == nil {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		next(w, r, attempt)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// Answer sets the reply to the current call's requests (attempt counts from 1 within the call).
func (s *ConnServer) Answer(f func(w http.ResponseWriter, r *http.Request, attempt int)) {
	s.mu.Lock()
	s.next, s.seen = f, 0
	s.mu.Unlock()
}

// Requests returns how many requests arrived since the last Answer.
func (s *ConnServer) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// Conns returns how many TCP connections the server has accepted.
func (s *ConnServer) Conns() int { return int(s.conns.Load()) }

// Reply returns a reply that answers status with body (and Content-Type, unless empty).
func Reply(status int, contentType string, body []byte) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}
}

// MemServer is an API in memory, an http.RoundTripper, for testing/synctest bubbles: there are
// no sockets, so the bubble's fake clock runs the client's waits. It records when each request
// of a path arrived and answers with Serve.
type MemServer struct {
	// Serve answers a request; attempt counts the requests to the same path from 1.
	Serve func(w http.ResponseWriter, r *http.Request, attempt int)

	mu      sync.Mutex
	arrived map[string][]time.Time
}

// RoundTrip records r, reads its body and returns what Serve answers.
func (s *MemServer) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	if s.arrived == nil {
		s.arrived = map[string][]time.Time{}
	}
	s.arrived[r.URL.Path] = append(s.arrived[r.URL.Path], time.Now())
	n := len(s.arrived[r.URL.Path])
	s.mu.Unlock()
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	rec := httptest.NewRecorder()
	s.Serve(rec, r, n)
	return rec.Result(), nil
}

// Gaps returns how many requests of path arrived and the waits between consecutive ones.
func (s *MemServer) Gaps(path string) (n int, gaps []time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.arrived[path]
	for i := 1; i < len(ts); i++ {
		gaps = append(gaps, ts[i].Sub(ts[i-1]))
	}
	return len(ts), gaps
}
