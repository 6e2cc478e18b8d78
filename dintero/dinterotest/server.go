package dinterotest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/paysession/paysession-go/internal/fakeapi"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/specformat"
)

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

// Server is a fake Dintero Checkout API listening on a loopback address. Create it with
// NewServer and stop it with Close. All methods are safe for concurrent use. Printing a Server
// never shows a credential.
type Server struct {
	// URL is the base URL to give the client (dintero.WithBaseURL): the listener's
	// "http://127.0.0.1:port" followed by "/v1", like dintero.DefaultBaseURL.
	URL string

	ts        *httptest.Server
	cfg       config
	validator *fakeapi.Validator
	faults    *fakeapi.Faults
	store     store

	mu     sync.Mutex
	tokens map[[sha256.Size]byte]issuedToken // by the SHA-256 of the token

	merchant merchantSide // what the server sends to the merchant's server (delivery.go)
}

// loadValidator loads the embedded document once; a Validator is read-only and shared. It checks
// the string formats the document names (iso4217-code, uri, http-url, email, phone, …) with the
// same functions the client uses, which kin-openapi would otherwise let pass.
var loadValidator = sync.OnceValues(func() (*fakeapi.Validator, error) {
	return fakeapi.NewValidator("dintero-checkout.yaml", "/v1", fakeapi.WithStringFormats(specformat.Checks()))
})

// NewServer starts a fake Dintero Checkout API configured by opts. Without a credential option
// (WithClientCredentials, WithAPIKey) it accepts the Default* credentials for DefaultAccountID,
// both as client credentials and as an API key. Call Close when done.
//
// NewServer panics if an option is nil or given a bad value, with a message naming the option,
// as httptest.NewServer panics when it cannot listen; and if the embedded OpenAPI document cannot
// be loaded, which package api's tests rule out.
func NewServer(opts ...Option) *Server {
	cfg := config{tokenLifetime: DefaultTokenLifetime, clock: time.Now}
	fakeapi.Configure("dinterotest", &cfg, opts)
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
		panic("dinterotest: NewServer: " + err.Error())
	}
	s := &Server{
		cfg:       cfg,
		validator: v,
		faults:    fakeapi.NewFaults(operations),
		tokens:    map[[sha256.Size]byte]issuedToken{},
	}
	s.store.init()
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL + "/v1"
	return s
}

// HTTPServer returns the underlying httptest.Server, e.g. for its Client or to
// CloseClientConnections. Do not change its Config.
func (s *Server) HTTPServer() *httptest.Server { return s.ts }

// Close shuts the server down, waiting for the requests in progress; an injected Delay ends
// when its client gives up.
func (s *Server) Close() { s.ts.Close() }

// String describes s without any credential.
func (s *Server) String() string {
	var auth []string
	if s.cfg.clientID != "" {
		auth = append(auth, "client credentials (client "+s.cfg.clientID+")")
	}
	if s.cfg.apiKey != "" {
		auth = append(auth, "API key")
	}
	callbacks := "unsigned"
	if s.cfg.callbackSecret != "" {
		callbacks = "signed"
	}
	return "dinterotest.Server{URL: " + s.URL + ", account: " + s.cfg.accountID + ", auth: " + strings.Join(auth, ", ") +
		", callbacks: " + callbacks + ", secrets: " + redact.Placeholder + "}"
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %x, …) prints a credential.
func (s *Server) Format(f fmt.State, verb rune) {
	str := s.String()
	redact.Format(f, verb, str, str)
}

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
	fakeapi.WriteJSON(w, e.status, errorAnswer{Error: errorDetails{Code: &code, Message: e.message}})
}

// faultBody is the body of an injected fault's status when the Fault has none: Dintero's error
// shape, with the upper-cased status text as the code (e.g. "TOO_MANY_REQUESTS").
func faultBody(status int) (string, []byte) {
	text := http.StatusText(status)
	if text == "" {
		text = "Status " + fmt.Sprint(status)
	}
	code := strings.ReplaceAll(strings.ToUpper(text), " ", "_")
	body, _ := json.Marshal(errorAnswer{Error: errorDetails{
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
	problems := s.requestRules(op, r, route.Body)
	if invalid != nil || len(problems) > 0 {
		if invalid != nil {
			problems = append([]string{invalid.Error()}, problems...)
		}
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "%s", strings.Join(problems, "; ")))
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

// errorAnswer is Dintero's error shape (https://docs.dintero.com/docs/errors).
type errorAnswer struct {
	Error errorDetails `json:"error"`
}

type errorDetails struct {
	Code    *string `json:"code,omitempty"`
	Message string  `json:"message"`
}

// ruleBody is what requestRules reads of a create or update body; the document has already
// checked its shape.
type ruleBody struct {
	ExpiresAt *time.Time `json:"expires_at"`
	URL       *struct {
		ReturnURL string `json:"return_url"`
	} `json:"url"`
	Configuration *struct {
		Channel string `json:"channel"`
	} `json:"configuration"`
	Order *struct {
		Amount         *int64 `json:"amount"`
		PartialPayment bool   `json:"partial_payment"`
		Items          []struct {
			Amount int64 `json:"amount"`
		} `json:"items"`
		ShippingOption *struct {
			Amount int64 `json:"amount"`
		} `json:"shipping_option"`
	} `json:"order"`
	Session *ruleBody `json:"session"` // POST /sessions/payment-token
}

// requestRules returns what is wrong with a create or update body beyond what the document's
// schemas can say, as Dintero refuses it: an expiry that is not ahead (by the server's clock), a
// return_url that is not http(s) outside the in_app channel, and, with the feature toggle
// strict-session-amounts (header Dintero-Feature-Toggles, or WithStrictAmounts), an order amount
// that is not the sum of its items and shipping option. Each problem names its JSON pointer, as
// the schema errors do.
func (s *Server) requestRules(op Operation, r *http.Request, body []byte) []string {
	switch op {
	case OpCreateSession, OpCreateSessionFromProfile, OpCreatePaymentTokenSession, OpUpdateSession:
	default:
		return nil
	}
	var b ruleBody
	if json.Unmarshal(body, &b) != nil {
		return nil // the schema check has said what is wrong
	}
	prefix := ""
	if op == OpCreatePaymentTokenSession {
		if b.Session == nil {
			return nil
		}
		b, prefix = *b.Session, "/session"
	}
	var problems []string
	if b.ExpiresAt != nil && !b.ExpiresAt.After(s.now()) {
		problems = append(problems, fmt.Sprintf("expires_at %s is not in the future at %s/expires_at",
			b.ExpiresAt.UTC().Format(time.RFC3339), prefix))
	}
	if b.URL != nil && specformat.URI(b.URL.ReturnURL) == nil && !specformat.HTTPURL(b.URL.ReturnURL) &&
		(b.Configuration == nil || b.Configuration.Channel != "in_app") {
		problems = append(problems, fmt.Sprintf("return_url is not an http(s) URL; an app URL needs "+
			"%s/configuration/channel in_app at %s/url/return_url", prefix, prefix))
	}
	if o := b.Order; o != nil && o.Amount != nil && !o.PartialPayment && (s.cfg.strictAmounts || strictAmountsToggle(r)) {
		var sum int64
		for _, it := range o.Items {
			sum += it.Amount
		}
		if o.ShippingOption != nil {
			sum += o.ShippingOption.Amount
		}
		if *o.Amount != sum {
			problems = append(problems, fmt.Sprintf("order amount %d is not the sum of the items and the shipping "+
				"option, %d (strict-session-amounts) at /order/amount", *o.Amount, sum))
		}
	}
	return problems
}

// strictAmountsToggle reports whether the request turns on strict-session-amounts.
func strictAmountsToggle(r *http.Request) bool {
	for _, v := range r.Header.Values("Dintero-Feature-Toggles") {
		for t := range strings.SplitSeq(v, ",") {
			if strings.TrimSpace(t) == "strict-session-amounts" {
				return true
			}
		}
	}
	return false
}
