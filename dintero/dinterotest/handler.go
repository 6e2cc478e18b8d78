package dinterotest

import (
	"net/http"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// NewHandler returns a fake configured by opts, like NewServer, that listens on no address of
// its own: serve its Handler on an http.Server of yours whose base URL is baseURL
// ("http://host:port", as clients and browsers reach it). URL is baseURL + "/v1", and the
// session URLs of the create calls point there, so that pages of your own can be served beside
// the API (cmd/paysandbox serves its checkout page at URL + "/view/{id}"). HTTPServer returns a
// closed server.
//
// NewHandler panics as NewServer does, and if baseURL is not an http or https URL with a host
// and no path, query or fragment.
func NewHandler(baseURL string, opts ...Option) *Server {
	base := fakeapi.HandlerBaseURL("dinterotest", baseURL)
	s := NewServer(opts...)
	s.ts.Close() // requests come through Handler instead
	s.URL = base + "/v1"
	return s
}

// Handler returns the handler that serves the fake: the API under /v1 and the placeholder
// checkout page, on any host.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Operations returns every operation the fake serves, sorted by name: the values Inject and
// Calls take.
func Operations() []Operation { return fakeapi.SortedOperations(operations) }

// Sessions returns a copy of every stored session, newest first (the list order), request
// headers included.
func (s *Server) Sessions() []dintero.Session {
	s.store.mu.RLock()
	stored := make([]*dintero.Session, len(s.store.sorted))
	for i, rec := range s.store.sorted {
		stored[len(stored)-1-i] = rec.session
	}
	s.store.mu.RUnlock()
	out := make([]dintero.Session, len(stored))
	for i, sess := range stored {
		out[i] = *clone(sess)
	}
	return out
}
