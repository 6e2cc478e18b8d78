package cyberflextest

import (
	"net/http"

	"github.com/paysession/paysession-go/internal/fakeapi"
)

// NewHandler returns a fake configured by opts, like NewServer, that listens on no address of
// its own: serve its Handler on an http.Server of yours whose base URL is baseURL
// ("http://host:port", as clients and browsers reach it). URL is baseURL, the origin the
// capture contexts name, so that pages of your own can be served beside the API (as
// cmd/paysandbox does). HTTPServer returns a closed server.
//
// NewHandler panics as NewServer does, and if baseURL is not an http or https URL with a host
// and no path, query or fragment.
func NewHandler(baseURL string, opts ...Option) *Server {
	base := fakeapi.HandlerBaseURL("cyberflextest", baseURL)
	s := NewServer(opts...)
	s.srv.Close() // requests come through Handler instead
	s.URL = base
	return s
}

// Handler returns the handler that serves the fake's API, on any host.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Operations returns every operation the fake serves, sorted by name: the values Inject and
// Calls take.
func Operations() []Operation { return fakeapi.SortedOperations(operations) }
