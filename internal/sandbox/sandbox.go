// Package sandbox runs the fakes dinterotest and cyberflextest as one local sandbox that any
// program can talk to over HTTP, whatever its language: each fake on an address of its own, a
// checkout page a person can click through at the session URLs the Dintero fake returns, callbacks
// delivered to the merchant's callback_url, and an admin API under AdminPrefix to see the state,
// reset it, inject faults and read what was delivered. cmd/paysandbox is its command line.
//
// The fakes are built with NewHandler and served by the sandbox's own http.Servers, so that the
// checkout page and the admin API share their addresses. A reset replaces both fakes with new ones
// holding the same credentials.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// AdminPrefix is the path prefix of the admin API on both addresses. Neither API uses it.
const AdminPrefix = "/_sandbox/"

// Config is what Start needs. Every credential must be set (cmd/paysandbox generates the ones a
// user does not give).
type Config struct {
	// DinteroAddr and CyberSourceAddr are the TCP addresses to listen on, e.g. "127.0.0.1:0"
	// for a free port on the loopback interface.
	DinteroAddr, CyberSourceAddr string
	// DinteroURL and CyberSourceURL are the base URLs ("http://host:port", no path) under
	// which clients and browsers reach the two listeners, e.g. the host side of a container's
	// published port. Empty means "http://" + the listener's address, with an unspecified
	// host (0.0.0.0, ::) replaced by localhost.
	DinteroURL, CyberSourceURL string

	Dintero     DinteroCredentials
	CyberSource CyberSourceCredentials

	// Log receives one line per checkout action and per delivery to the merchant; nil
	// discards them. Lines never hold a secret.
	Log io.Writer
}

// DinteroCredentials are what the Dintero fake accepts and signs with.
type DinteroCredentials struct {
	// AccountID is "T" or "P" and eight digits.
	AccountID string
	// ClientID and ClientSecret are the API client's, for the client-credentials token.
	ClientID, ClientSecret string
	// CallbackSecret signs the callbacks (dintero.CallbackVerifier.Secret).
	CallbackSecret string
}

// CyberSourceCredentials are what the CyberSource fake accepts: one shared-secret key, for HTTP
// Signature and JWT (HS256) authentication alike.
type CyberSourceCredentials struct {
	MerchantID, KeyID string
	// SharedSecret is standard base64 decoding to at least 32 bytes (HS256 needs them).
	SharedSecret string
	// Host is the API host requests are signed for; empty means cyberflextest.DefaultHost,
	// the host of the CyberSource sandbox that every SDK signs for by default.
	Host string
}

// Sandbox is a running sandbox. Its methods are safe for concurrent use.
type Sandbox struct {
	cfg            Config
	dinteroBase    string // public base URL, without /v1
	cyberSourceURL string
	servers        []*http.Server
	served         sync.WaitGroup

	deliveries *deliveryLog
	callbacks  *http.Client // delivers to the merchant and records every delivery
	express    expressLabels

	// background ends the callbacks still being delivered when the sandbox shuts down.
	background context.Context
	stop       context.CancelFunc
	inFlight   sync.WaitGroup

	mu          sync.RWMutex
	dintero     *dinterotest.Server
	cyberSource *cyberflextest.Server

	// unused are the connections that have not sent a request yet, such as the ones browsers
	// open ahead of time; Shutdown closes them, where http.Server would wait five seconds.
	connMu sync.Mutex
	unused map[net.Conn]bool
}

// Start listens on both addresses and serves the sandbox until Shutdown.
func Start(cfg Config) (*Sandbox, error) {
	if cfg.CyberSource.Host == "" {
		cfg.CyberSource.Host = cyberflextest.DefaultHost
	}
	s := &Sandbox{cfg: cfg, deliveries: newDeliveryLog(maxDeliveries), unused: map[net.Conn]bool{}}
	s.callbacks = newCallbackClient(s.deliveries, cfg.Log, s.labelExpress)
	s.background, s.stop = context.WithCancel(context.Background())

	var lc net.ListenConfig
	dl, err := lc.Listen(context.Background(), "tcp", cfg.DinteroAddr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: Dintero address: %w", err)
	}
	cl, err := lc.Listen(context.Background(), "tcp", cfg.CyberSourceAddr)
	if err != nil {
		dl.Close()
		return nil, fmt.Errorf("sandbox: CyberSource address: %w", err)
	}
	if s.dinteroBase, err = publicURL(cfg.DinteroURL, dl.Addr()); err == nil {
		s.cyberSourceURL, err = publicURL(cfg.CyberSourceURL, cl.Addr())
	}
	if err == nil {
		err = s.Reset()
	}
	if err != nil {
		dl.Close()
		cl.Close()
		return nil, err
	}
	s.serve(dl, s.dinteroHandler())
	s.serve(cl, s.cyberSourceHandler())
	return s, nil
}

// serve serves h on l until Shutdown.
func (s *Sandbox) serve(l net.Listener, h http.Handler) {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ConnState:         s.trackUnused,
	}
	srv.RegisterOnShutdown(s.closeUnused) // called once the listeners are closed
	s.servers = append(s.servers, srv)
	s.served.Add(1)
	go func() {
		defer s.served.Done()
		_ = srv.Serve(l) // ends with http.ErrServerClosed at Shutdown
	}()
}

func (s *Sandbox) trackUnused(c net.Conn, state http.ConnState) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if state == http.StateNew {
		s.unused[c] = true
	} else {
		delete(s.unused, c)
	}
}

func (s *Sandbox) closeUnused() {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	for c := range s.unused {
		_ = c.Close()
	}
}

// publicURL checks a configured base URL, or derives one from the listener's address.
func publicURL(configured string, addr net.Addr) (string, error) {
	if configured == "" {
		host, port, err := net.SplitHostPort(addr.String())
		if err != nil {
			return "", fmt.Errorf("sandbox: listener address %q: %w", addr, err)
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port), nil
	}
	base := strings.TrimSuffix(configured, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("sandbox: base URL %q is not http(s)://host[:port]", configured)
	}
	return base, nil
}

// DinteroURL is the base URL of the Dintero API, ending in /v1 (dintero.WithBaseURL).
func (s *Sandbox) DinteroURL() string { return s.dinteroBase + "/v1" }

// CyberSourceURL is the base URL of the CyberSource API (cyberflex.WithBaseURL).
func (s *Sandbox) CyberSourceURL() string { return s.cyberSourceURL }

// AdminURL is the base URL of the admin API on the Dintero address (it is on both).
func (s *Sandbox) AdminURL() string { return s.dinteroBase + AdminPrefix }

// Dintero returns the Dintero fake serving now; Reset replaces it.
func (s *Sandbox) Dintero() *dinterotest.Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dintero
}

// CyberSource returns the CyberSource fake serving now; Reset replaces it.
func (s *Sandbox) CyberSource() *cyberflextest.Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cyberSource
}

// Reset replaces both fakes with new ones holding the same credentials (no sessions, tokens,
// faults or call counts; a new CyberSource signing key) and forgets the deliveries. Requests
// being served finish on the old fakes.
func (s *Sandbox) Reset() error {
	d, c, err := s.newFakes()
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.dintero, s.cyberSource = d, c
	s.mu.Unlock()
	s.deliveries.reset()
	return nil
}

// newFakes builds both fakes from the configuration. The fakes panic on a bad option value
// (their documented way of refusing one, naming the option and never a secret); here that is
// the user's input, so it becomes an error.
func (s *Sandbox) newFakes() (d *dinterotest.Server, c *cyberflextest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sandbox: %v", r)
		}
	}()
	dc, cc := s.cfg.Dintero, s.cfg.CyberSource
	d = dinterotest.NewHandler(s.dinteroBase,
		dinterotest.WithClientCredentials(dc.AccountID, dc.ClientID, dc.ClientSecret),
		dinterotest.WithCallbackSecret(dc.CallbackSecret),
		dinterotest.WithCallbackClient(s.callbacks),
	)
	c = cyberflextest.NewHandler(s.cyberSourceURL,
		cyberflextest.WithHTTPSignature(cc.MerchantID, cc.KeyID, cc.SharedSecret),
		cyberflextest.WithJWT(cc.MerchantID, cc.KeyID, cc.SharedSecret),
		cyberflextest.WithHost(cc.Host),
	)
	return d, c, nil
}

// Shutdown stops both servers, waiting until ctx ends for the requests being served and the
// callbacks being delivered, then closes what is left.
func (s *Sandbox) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = srv.Close()
		}
	}
	s.served.Wait()
	done := make(chan struct{})
	go func() {
		s.inFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		s.stop()
		<-done
	}
	s.stop()
	return errors.Join(errs...)
}

// logf writes one line to the configured log.
func (s *Sandbox) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		fmt.Fprintf(s.cfg.Log, "paysandbox: "+format+"\n", args...)
	}
}

// dinteroHandler serves the Dintero address: the checkout page at the session URLs, the admin
// API, and the fake for everything else.
func (s *Sandbox) dinteroHandler() http.Handler {
	mux := http.NewServeMux()
	protect := http.NewCrossOriginProtection()
	mux.HandleFunc("GET /v1/view/{id}", s.checkoutPage)
	mux.Handle("POST /v1/view/{id}/{action}", protect.Handler(http.HandlerFunc(s.checkoutAction)))
	mux.Handle("POST /v1/view/{id}/express/{step}", protect.Handler(http.HandlerFunc(s.checkoutExpress)))
	mux.Handle(AdminPrefix, protect.Handler(s.adminHandler()))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Dintero().Handler().ServeHTTP(w, r)
	}))
	return mux
}

// cyberSourceHandler serves the CyberSource address: the admin API and the fake.
func (s *Sandbox) cyberSourceHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(AdminPrefix, http.NewCrossOriginProtection().Handler(s.adminHandler()))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.CyberSource().Handler().ServeHTTP(w, r)
	}))
	return mux
}
