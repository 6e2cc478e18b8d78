// Package dinterotest is an in-process fake of the Dintero Checkout sessions API, for the tests
// of code that uses package dintero, in the spirit of net/http/httptest.
//
//	dsrv := dinterotest.NewServer() // accepts DefaultClientID/DefaultClientSecret for DefaultAccountID
//	defer dsrv.Close()
//	c, err := dintero.New(
//		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
//		dintero.WithBaseURL(dsrv.URL),
//	)
//
// The fake serves the eight operations of api/dintero-checkout.yaml under Server.URL (which
// ends in /v1, like dintero.DefaultBaseURL): the three create calls, get, update, cancel, list,
// and the client-credentials token endpoint. Every request is handled in this order:
//
//  1. Routing. An unknown path is a 404, a known path with the wrong method a 405.
//  2. Injected faults (Inject): an error status, a delay, a dropped connection.
//  3. Authentication. The token endpoint wants HTTP Basic client credentials; the session
//     endpoints want "Authorization: Bearer <token it issued>" or "x-api-key: <key>". Anything
//     else is a 401 that says why (never echoing a secret).
//  4. Validation against the OpenAPI document: a request that breaks it is a 400 whose message
//     is the validator's, naming the parameter or the JSON pointer (e.g. /order/currency).
//  5. The operation, on an in-memory store that is safe for concurrent use.
//
// Errors have Dintero's documented shape {"error": {"code": "...", "message": "..."}}. Dintero
// documents no error codes for these operations, so the codes (CodeNotFound, ...) are the fake's.
// Every answer carries a Request-Id header.
//
// How the fake behaves where Dintero's documentation leaves room (the fake's own choices):
//
//   - A create answers {id, url} (and session with include_session=true). The id is the
//     account id, a dot and 22 base58 characters; url is Server.URL + "/view/" + id, which
//     serves a placeholder page. The stored session is the request's fields that the read
//     model has, plus id, created_at, updated_at and an INITIATED event; a profile session gets
//     metadata "session:profile_id" (and configuration.merchant from merchant); a payment-token
//     session gets payment_operation generate_payment_token, order.amount 0 and its token
//     provider as configuration.<payex|bambora>.creditcard {enabled, generate_*_token}.
//   - The Dintero-System-* and User-Agent headers of a request are kept with the session and
//     its events, and shown by GET only with includes=initiating_system_request_headers or
//     includes=events.request_headers (Session shows them always).
//   - An update replaces the keys of order and express that it sends and keeps the others
//     (merchant_reference among them), and adds an UPDATE_SESSION event with the previous and
//     updated order. It needs a lock (Lock) or update_without_lock=true, else a 400
//     CodeSessionNotLocked; remove_lock (default true) releases the lock. A cancelled or paid
//     session cannot be updated or locked (400 CodeSessionClosed).
//   - A cancel sets cancelled_at and cancelled_by (the client id of the access token, or
//     "api_key") and adds a CANCELLED event; cancelling again answers the session unchanged.
//   - The list is newest first (sessions with equal created_at: the later created first).
//     search is a case-insensitive substring of the id, order.merchant_reference,
//     order.merchant_reference_2, customer.email, or the "{first_name} {last_name}" of the
//     shipping or billing address; store_id matches order.store.id; created_at.gte and .lte are
//     inclusive and need a zone (the document says date-time, though Dintero reads a time
//     without one as UTC). starting_after must name an existing session (else 400); the page holds the
//     sessions after it in list order that match the filters.
//
// Test hooks play the parts of the customer and of Dintero: Lock (the checkout locks a session
// for paying), CompletePayment (the customer paid), CallbackRequest and SendCallback (Dintero's
// signed callback to url.callback_url), AddSession and Session (seed and inspect the store).
//
// What the fake does not model: payments and transactions beyond a transaction id, business rules
// the document cannot express (order.amount against the sum of the items, shipping options of
// express checkout, amounts of partial payments), session expiry, scopes (403), rate limits,
// configuration.publish, and the callback modifiers method=POST, delay_callback, report_event and
// report_error.
package dinterotest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// The credentials NewServer accepts when no credential option is given. They are obviously not
// real and may appear in test code and logs.
const (
	// DefaultAccountID is the account of a server created without WithClientCredentials or
	// WithAccountID: a test (T) account.
	DefaultAccountID = "T12345678"
	// DefaultClientID is the API client id accepted when no credential option is given.
	DefaultClientID = "dinterotest-client"
	// DefaultClientSecret is the API client secret accepted when no credential option is given.
	DefaultClientSecret = "dinterotest-client-secret-not-real"
	// DefaultAPIKey is the x-api-key accepted when no credential option is given.
	DefaultAPIKey = "dinterotest-api-key-not-real"
)

// DefaultTokenLifetime is the lifetime (expires_in) of the access tokens the fake issues unless
// WithTokenLifetime says otherwise: 24 hours, the value Dintero's documentation shows.
const DefaultTokenLifetime = 24 * time.Hour

// The error codes the fake answers with, in {"error": {"code": ...}}. Dintero documents the
// error shape but not its codes for these operations (its one example says "NOT FOUND"); these
// are the fake's own, so assert on the HTTP status and the message, or on these constants.
const (
	// CodeInvalidRequest: the request breaks the OpenAPI document, or its body cannot be read.
	CodeInvalidRequest = "INVALID_REQUEST"
	// CodeUnauthorized: missing, wrong or expired credentials (401).
	CodeUnauthorized = "UNAUTHORIZED"
	// CodeNotFound: no session with that id, or no such path (404).
	CodeNotFound = "NOT_FOUND"
	// CodeMethodNotAllowed: the path exists, but not for that method (405).
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	// CodeSessionNotLocked: an update of a session the checkout has not locked, without
	// update_without_lock=true (400).
	CodeSessionNotLocked = "SESSION_NOT_LOCKED"
	// CodeSessionClosed: an update of a session that is cancelled or already paid (400).
	CodeSessionClosed = "SESSION_CLOSED"
)

// tokenAudience prefixes the audience Dintero expects in a client-credentials grant, whatever
// host the token is fetched from (https://docs.dintero.com/docs/checkout/authentication).
const tokenAudience = "https://api.dintero.com/v1/accounts/"

var accountIDPattern = regexp.MustCompile(`^[PT]\d{8}$`)

// Server is a fake Dintero Checkout API listening on a loopback address. Create it with
// NewServer and stop it with Close. All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL to give the client (dintero.WithBaseURL): the listener's
	// "http://127.0.0.1:port" followed by "/v1", like dintero.DefaultBaseURL.
	URL string

	ts        *httptest.Server
	cfg       config
	validator *fakeapi.Validator
	faults    fakeapi.Faults
	store     store

	mu     sync.Mutex
	tokens map[[sha256.Size]byte]issuedToken // by the SHA-256 of the token
}

// issuedToken is an access token the server handed out.
type issuedToken struct {
	expiresAt time.Time
	clientID  string
}

// config is what the options set.
type config struct {
	accountID      string
	clientID       string
	clientSecret   string
	apiKey         string
	tokenLifetime  time.Duration
	clock          func() time.Time
	callbackSecret string
	callbackClient *http.Client
}

// Option configures a Server in NewServer. An option given a value that cannot work (an empty
// secret, a malformed account id) panics with a message saying why, as a test helper should.
type Option func(*config)

// WithClientCredentials makes the server's account accountID ("T" or "P" and eight digits) and
// its token endpoint accept exactly this API client id and secret (HTTP Basic). Without any
// credential option the server accepts DefaultClientID and DefaultClientSecret.
func WithClientCredentials(accountID, clientID, clientSecret string) Option {
	return func(c *config) {
		setAccount(c, "WithClientCredentials", accountID)
		if clientID == "" || clientSecret == "" {
			panic("dinterotest: WithClientCredentials: client id and client secret must not be empty")
		}
		if strings.Contains(clientID, ":") {
			panic("dinterotest: WithClientCredentials: a client id cannot contain ':' (it is the HTTP Basic user name)")
		}
		c.clientID, c.clientSecret = clientID, clientSecret
	}
}

// WithAPIKey makes the session endpoints accept "x-api-key: key". Given alone (without
// WithClientCredentials), the server accepts only the API key and its token endpoint refuses
// every client; the account is then DefaultAccountID unless WithAccountID says otherwise.
func WithAPIKey(key string) Option {
	return func(c *config) {
		if strings.TrimSpace(key) == "" {
			panic("dinterotest: WithAPIKey: the API key must not be empty")
		}
		c.apiKey = key
	}
}

// WithAccountID sets the server's account id ("T" or "P" and eight digits), the prefix of the
// session ids it creates. It is only needed with WithAPIKey alone; WithClientCredentials sets
// the account too, and the two must agree.
func WithAccountID(accountID string) Option {
	return func(c *config) { setAccount(c, "WithAccountID", accountID) }
}

func setAccount(c *config, option, accountID string) {
	if !accountIDPattern.MatchString(accountID) {
		panic(fmt.Sprintf("dinterotest: %s: account id %q is not T or P and eight digits, e.g. T12345678", option, accountID))
	}
	if c.accountID != "" && c.accountID != accountID {
		panic(fmt.Sprintf("dinterotest: %s: account id %q conflicts with account id %q given before", option, accountID, c.accountID))
	}
	c.accountID = accountID
}

// WithTokenLifetime sets the lifetime of the access tokens the server issues: their expires_in
// and when the server stops accepting them, by the server's clock (WithClock). It must be at
// least one second. Default: DefaultTokenLifetime.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) {
		if d < time.Second {
			panic(fmt.Sprintf("dinterotest: WithTokenLifetime: %v is shorter than one second (expires_in counts whole seconds)", d))
		}
		c.tokenLifetime = d
	}
}

// WithClock sets the server's clock, used for created_at, updated_at, event times, cancelled_at,
// token expiry and callback timestamps. Advance it to expire tokens without waiting. Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) {
		if now == nil {
			panic("dinterotest: WithClock: the clock must not be nil")
		}
		c.clock = now
	}
}

// WithCallbackSecret sets the signature secret (as POST /v1/admin/signature would return it) with
// which CallbackRequest and SendCallback sign callbacks; verify them with a
// dintero.CallbackVerifier holding the same secret and the server's account id.
func WithCallbackSecret(secret string) Option {
	return func(c *config) {
		if secret == "" {
			panic("dinterotest: WithCallbackSecret: the secret must not be empty")
		}
		c.callbackSecret = secret
	}
}

// WithCallbackClient sets the HTTP client SendCallback delivers callbacks with, e.g. the Client
// of an httptest.NewTLSServer that receives them. Default: a client that does not follow
// redirects and gives up after 10 seconds, as Dintero does.
func WithCallbackClient(hc *http.Client) Option {
	return func(c *config) {
		if hc == nil {
			panic("dinterotest: WithCallbackClient: the client must not be nil")
		}
		c.callbackClient = hc
	}
}

// loadValidator loads the embedded document once; a Validator is read-only and shared.
var loadValidator = sync.OnceValues(func() (*fakeapi.Validator, error) {
	return fakeapi.NewValidator("dintero-checkout.yaml", "/v1")
})

// NewServer starts a fake Dintero Checkout API configured by opts. Without a credential option
// (WithClientCredentials, WithAPIKey) it accepts the Default* credentials for DefaultAccountID,
// both as client credentials and as an API key. It panics only if the embedded OpenAPI document
// cannot be loaded (which package api's tests rule out) or an option is given a bad value.
// Call Close when done.
func NewServer(opts ...Option) *Server {
	cfg := config{tokenLifetime: DefaultTokenLifetime, clock: time.Now}
	for _, opt := range opts {
		if opt == nil {
			panic("dinterotest: NewServer: nil Option")
		}
		opt(&cfg)
	}
	if cfg.clientID == "" && cfg.apiKey == "" {
		cfg.clientID, cfg.clientSecret, cfg.apiKey = DefaultClientID, DefaultClientSecret, DefaultAPIKey
	}
	if cfg.accountID == "" {
		cfg.accountID = DefaultAccountID
	}
	if cfg.callbackClient == nil {
		cfg.callbackClient = &http.Client{
			Timeout:       10 * time.Second, // Dintero's callback timeout
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	v, err := loadValidator()
	if err != nil {
		panic("dinterotest: " + err.Error())
	}
	s := &Server{
		cfg:       cfg,
		validator: v,
		tokens:    map[[sha256.Size]byte]issuedToken{},
	}
	s.store.init()
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL + "/v1"
	return s
}

// Close shuts the server down, as httptest.Server.Close does.
func (s *Server) Close() { s.ts.Close() }

// HTTPServer returns the underlying httptest.Server, e.g. for its Client or to close client
// connections. Do not change its Config.
func (s *Server) HTTPServer() *httptest.Server { return s.ts }

// AccountID returns the server's account id, the prefix of its session ids.
func (s *Server) AccountID() string { return s.cfg.accountID }

// now is the server's clock in UTC.
func (s *Server) now() time.Time { return s.cfg.clock().UTC() }

// apiError is an answer other than 2xx.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, e *apiError) {
	code := e.code
	fakeapi.WriteJSON(w, e.status, dinteroapi.Error{Error: dinteroapi.ErrorDetails{Code: &code, Message: e.message}})
}

// faultBody is the body of an injected fault's status when the Fault has none: Dintero's error
// shape, with the upper-cased status text as the code (e.g. "TOO_MANY_REQUESTS").
func faultBody(status int) (string, []byte) {
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + fmt.Sprint(status)
	}
	code := strings.ReplaceAll(strings.ToUpper(text), " ", "_")
	body, _ := json.Marshal(dinteroapi.Error{Error: dinteroapi.ErrorDetails{
		Code: &code, Message: "injected fault: " + text,
	}})
	return "application/json", body
}

// request is one call being served.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	route     *fakeapi.Route
	requestID string
	principal string // who is calling: the client id, or "api_key"
}

// serveHTTP handles every request in the order given in the package documentation.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := randomString(22)
	w.Header().Set("Request-Id", requestID)
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/view/"); ok && r.Method == http.MethodGet {
		s.serveCheckoutPage(w, id)
		return
	}
	route, invalid := s.validator.Validate(r)
	if route == nil {
		switch {
		case errors.Is(invalid, fakeapi.ErrNoRoute):
			writeError(w, newError(http.StatusNotFound, CodeNotFound, "%s", invalid))
		case errors.Is(invalid, fakeapi.ErrMethodNotAllowed):
			writeError(w, newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "%s", invalid))
		default:
			writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "%s", invalid))
		}
		return
	}
	op, ok := operations[route.OperationID]
	if !ok { // a new operation in the document that the fake does not serve yet
		writeError(w, newError(http.StatusNotImplemented, "NOT_IMPLEMENTED", "dinterotest does not serve %s", route.OperationID))
		return
	}
	if f, ok := s.faults.Next(string(op)); ok && fakeapi.Apply(w, r, f, faultBody) {
		return
	}
	req := &request{w: w, r: r, route: route, requestID: requestID}
	if op == OpCreateAccessToken {
		s.createAccessToken(req, invalid)
		return
	}
	principal, authErr := s.authenticate(r)
	if authErr != nil {
		writeError(w, authErr)
		return
	}
	req.principal = principal
	if invalid != nil {
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "%s", invalid))
		return
	}
	var answer any
	var err error
	switch op {
	case OpCreateSession, OpCreateSessionFromProfile, OpCreatePaymentTokenSession:
		answer, err = s.createSession(req, op)
	case OpGetSession:
		answer, err = s.getSession(req)
	case OpUpdateSession:
		answer, err = s.updateSession(req)
	case OpCancelSession:
		answer, err = s.cancelSession(req)
	case OpListSessions:
		answer, err = s.listSessions(req)
	}
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae)
	case err != nil:
		writeError(w, newError(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "dinterotest: %v", err))
	default:
		fakeapi.WriteJSON(w, http.StatusOK, answer)
	}
}

// serveCheckoutPage answers the session URL that the create calls return (Server.URL +
// "/view/" + id, the shape of Dintero's https://checkout.dintero.com/v1/view/<id>) with a
// placeholder page, so that code following the link finds something.
func (s *Server) serveCheckoutPage(w http.ResponseWriter, id string) {
	if _, ok := s.store.get(id); !ok {
		writeError(w, newError(http.StatusNotFound, CodeNotFound, "no session with id %q", id))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html>\n<title>Dintero Checkout (dinterotest)</title>\n<p>Checkout of session %s. This fake does not take payments; a test calls Server.CompletePayment instead.</p>\n",
		html.EscapeString(id))
}

// authenticate checks the credentials of a session call: a Bearer token the server issued and
// that has not expired, or the configured API key. Either one suffices, as the document's
// security requirement (apiKeyAuth OR bearerAuth) says.
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	authz, key := r.Header.Get("Authorization"), r.Header.Get("x-api-key")
	if authz == "" && key == "" {
		return "", newError(http.StatusUnauthorized, CodeUnauthorized,
			`missing credentials: send "Authorization: Bearer <access token>" or "x-api-key: <API key>"`)
	}
	var reasons []string
	if authz != "" {
		principal, reason := s.checkBearer(authz)
		if reason == "" {
			return principal, nil
		}
		reasons = append(reasons, reason)
	}
	if key != "" {
		switch {
		case s.cfg.apiKey == "":
			reasons = append(reasons, "API keys are not accepted by this server (it has no WithAPIKey)")
		case !equal(key, s.cfg.apiKey):
			reasons = append(reasons, "the x-api-key is not valid")
		default:
			return "api_key", nil
		}
	}
	return "", newError(http.StatusUnauthorized, CodeUnauthorized, "%s", strings.Join(reasons, "; "))
}

// checkBearer returns the client id of a valid Authorization header, or why it is not valid.
func (s *Server) checkBearer(authz string) (string, string) {
	scheme, token, _ := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", `the Authorization header is not "Bearer <access token>"`
	}
	s.mu.Lock()
	t, ok := s.tokens[sha256.Sum256([]byte(token))]
	s.mu.Unlock()
	switch {
	case !ok:
		return "", "the access token is not valid (this server did not issue it)"
	case !s.cfg.clock().Before(t.expiresAt):
		return "", fmt.Sprintf("the access token expired at %s", t.expiresAt.UTC().Format(time.RFC3339))
	}
	return t.clientID, ""
}

// createAccessToken serves POST /accounts/{aid}/auth/token: HTTP Basic client credentials,
// then the document's checks, then the account and the audience.
func (s *Server) createAccessToken(req *request, invalid error) {
	w := req.w
	id, secret, ok := req.r.BasicAuth()
	switch {
	case !ok:
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"missing HTTP Basic credentials: send the client id and client secret as user name and password"))
		return
	case s.cfg.clientID == "":
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"this server accepts no client credentials (it was configured with WithAPIKey only)"))
		return
	case !(equal(id, s.cfg.clientID) && equal(secret, s.cfg.clientSecret)):
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized, "invalid client id or client secret"))
		return
	}
	if invalid != nil {
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "%s", invalid))
		return
	}
	aid, _ := url.PathUnescape(req.route.PathParams["aid"])
	if aid != s.cfg.accountID {
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"the client credentials are not valid for account %q", aid))
		return
	}
	var body dinteroapi.AccessTokenRequest
	if err := json.Unmarshal(req.route.Body, &body); err != nil {
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err))
		return
	}
	if want := tokenAudience + s.cfg.accountID; body.Audience != want {
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"audience %q is not allowed: want %q", body.Audience, want))
		return
	}
	token := randomString(43)
	s.mu.Lock()
	s.tokens[sha256.Sum256([]byte(token))] = issuedToken{expiresAt: s.cfg.clock().Add(s.cfg.tokenLifetime), clientID: id}
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, dinteroapi.AccessToken{
		AccessToken: token,
		TokenType:   dinteroapi.AccessTokenTokenTypeBearer,
		ExpiresIn:   int(s.cfg.tokenLifetime / time.Second),
	})
}

// equal compares two credentials in constant time (for equal lengths).
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// base58 is Bitcoin's alphabet, which Dintero's ids use (T12345678.4XoYzPBrqv4nBBk7n8C5Un).
const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// randomString returns n random base58 characters from crypto/rand.
func randomString(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2)
	for len(out) < n {
		_, _ = rand.Read(buf) // never fails (crypto/rand panics rather than return an error)
		for _, b := range buf {
			if int(b) < 4*len(base58) && len(out) < n { // 232 = 4*58: no modulo bias
				out = append(out, base58[int(b)%len(base58)])
			}
		}
	}
	return string(out)
}
