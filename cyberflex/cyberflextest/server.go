package cyberflextest

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/fakeapi"
	"github.com/paysession/paysession-go/internal/redact"
)

// headerCorrelationID is CyberSource's id for a request, sent on every answer.
const headerCorrelationID = "v-c-correlation-id"

// reasonValidation is the reason of the 400 answered for a body that breaks the spec. The spec
// gives no enum, only a documented list (api/cyberflex.yaml ErrorResponse.reason); of its
// values only UNIFIEDPAYMENTS_VALIDATION_PARAMS and UNIFIEDPAYMENTS_VALIDATION_FIELDS name
// request validation, and the body of this operation is exactly the list of "fields", so the
// latter. What the real API answers to an invalid body is undocumented.
const reasonValidation = "UNIFIEDPAYMENTS_VALIDATION_FIELDS"

// Server is a fake CyberSource Flex API v2 on a loopback address, for tests of code that uses
// package cyberflex. It verifies the authentication of every request as CyberSource does, checks
// requests against api/cyberflex.yaml, issues real RS256 capture contexts and serves the keys to
// verify them. Create it with NewServer and Close it when done. Its methods are safe for
// concurrent use. Printing a Server never shows a credential.
type Server struct {
	// URL is the base URL of the server, "http://127.0.0.1:port", to pass to
	// cyberflex.WithBaseURL. The client appends the API paths (/flex/v2/...).
	URL string

	srv       *httptest.Server
	validator *fakeapi.Validator
	auth      *authenticator
	now       func() time.Time
	faults    *fakeapi.Faults
	keys      keyring
	contexts  issuedContexts
}

// NewServer starts a Server configured by opts. Without any credential option (WithHTTPSignature,
// WithJWT, WithJWTP12, WithJWTCertificate, WithAccessToken) it accepts HTTP Signature and JWT
// (HS256) requests made with DefaultMerchantID, DefaultKeyID and DefaultSharedSecret; with any,
// it accepts exactly the credentials given. It generates the RSA-2048 key that signs capture
// contexts. Call Close when done.
//
// NewServer panics if an option is nil or given a bad value, with a message naming the option,
// as httptest.NewServer panics when it cannot listen; and if the embedded OpenAPI document cannot
// be loaded, which package api's tests rule out.
func NewServer(opts ...Option) *Server {
	cfg := config{host: DefaultHost, skew: DefaultMaxClockSkew, now: time.Now}
	fakeapi.Configure("cyberflextest", &cfg, opts)
	if !cfg.anyCredOpt {
		defaults := []Option{WithJWT(DefaultMerchantID, DefaultKeyID, DefaultSharedSecret)}
		if !cfg.noHTTPSignature {
			defaults = append(defaults, WithHTTPSignature(DefaultMerchantID, DefaultKeyID, DefaultSharedSecret))
		}
		for _, o := range defaults {
			if err := o(&cfg); err != nil {
				panic("cyberflextest: NewServer: default credentials: " + err.Error())
			}
		}
	}
	auth := cfg.creds
	auth.host, auth.skew, auth.legacy, auth.now = cfg.host, cfg.skew, cfg.legacy, cfg.now
	auth.noHTTPSignature = cfg.noHTTPSignature
	auth.replays, auth.replaySignatures = newReplays(maxRemembered), cfg.replaySignatures

	validator, err := fakeapi.NewValidator("cyberflex.yaml", "")
	if err != nil {
		panic("cyberflextest: NewServer: " + err.Error())
	}
	s := &Server{validator: validator, auth: &auth, now: cfg.now, faults: fakeapi.NewFaults(operations)}
	s.keys.rotate()
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.URL = "http://" + s.srv.Listener.Addr().String() // what Start sets; known before any request
	s.srv.Start()
	return s
}

// HTTPServer returns the underlying httptest.Server, e.g. for its Client or to
// CloseClientConnections. Do not change its Config.
func (s *Server) HTTPServer() *httptest.Server { return s.srv }

// Close shuts the server down, waiting for the requests in progress; an injected Delay ends
// when its client gives up.
func (s *Server) Close() { s.srv.Close() }

// RotateKey makes a new RSA-2048 key, under a new kid, sign the capture contexts issued from now
// on. The previous keys stay published at GET /flex/v2/public-keys/{kid}, so tokens signed
// before the rotation keep verifying; a client that cached the old key must fetch the new one.
func (s *Server) RotateKey() { s.keys.rotate() }

// PublicKey returns the kid and public key that sign the capture contexts issued now.
func (s *Server) PublicKey() (kid string, key *rsa.PublicKey) {
	kid, priv := s.keys.signing()
	return kid, &priv.PublicKey
}

// IssueCaptureContext issues a capture context directly, without a request, as POST
// /flex/v2/sessions would for a request listing the dotted field paths required and optional
// (e.g. "paymentInformation.card.number"), kept in the order given. It is signed with the
// current key and its iat is the server's clock. Use it to test code that receives capture
// contexts rather than requesting them; with WithClock, to make one that has expired.
func (s *Server) IssueCaptureContext(required, optional []string) (string, error) {
	return s.mint(slices.Clone(required), slices.Clone(optional))
}

// String describes s without any credential.
func (s *Server) String() string {
	var schemes []string
	for _, k := range s.auth.signatureKeys {
		schemes = append(schemes, fmt.Sprintf("HTTP Signature (merchant %s, key %s)", k.merchantID, k.keyID))
	}
	for _, k := range s.auth.jwtSecrets {
		schemes = append(schemes, fmt.Sprintf("JWT HS256 (merchant %s, key %s)", k.merchantID, k.keyID))
	}
	for _, k := range s.auth.jwtCerts {
		schemes = append(schemes, fmt.Sprintf("JWT RS256 (merchant %s, kid %s)", k.merchantID, k.keyID))
	}
	if n := len(s.auth.bearerTokens); n > 0 {
		schemes = append(schemes, fmt.Sprintf("%d OAuth token(s)", n))
	}
	return "cyberflextest.Server{URL: " + s.URL + ", host: " + s.auth.host + ", auth: " + strings.Join(schemes, ", ") + ", secrets: " + redact.Placeholder + "}"
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %x, …) prints a credential.
func (s *Server) Format(f fmt.State, verb rune) {
	str := s.String()
	redact.Format(f, verb, str, str)
}

// serveHTTP answers one request: route, faults, authentication, validation, then the
// operation.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	correlationID := newUUID()
	w.Header().Set(headerCorrelationID, correlationID)
	if r.URL.Path == microformScriptPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		serveMicroformScript(w, r)
		return
	}
	if r.URL.Path == tokensPath && s.answerTokensCORS(w, r) {
		return
	}
	route, invalid := s.validator.Validate(r)
	if route == nil {
		s.refuseUnrouted(w, r, invalid)
		return
	}
	op := operations[route.OperationID]
	errorBody := func(status int) (string, []byte) { return faultBody(status, correlationID) }
	if f, ok := s.faults.Next(string(op)); ok && fakeapi.Apply(w, r, f, errorBody) {
		return
	}
	// CyberSource serves the verification keys without authentication:
	// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/microform-integ-v2/microform-integ-getting-started-v2/validate-capture-context-microv2.html
	// and takes the JWE of POST /flex/v2/tokens without any: the JWE, encrypted to the capture
	// context's one-time key, authorises it.
	if op != OpGetPublicKey && op != OpTokenize {
		if err := s.auth.authenticate(r, route.Body); err != nil {
			writeAuthFailure(w, err)
			return
		}
	}
	if invalid != nil {
		if op == OpGenerateMicroformContext {
			writeValidationFailed(w, validationDetails(invalid.Error()))
			return
		}
		writeError(w, http.StatusBadRequest, reasonValidation, "Invalid request: "+invalid.Error(), validationDetails(invalid.Error()))
		return
	}
	switch op {
	case OpGenerateCaptureContext:
		s.generateCaptureContext(w, route)
	case OpGetPublicKey:
		s.getPublicKey(w, route)
	case OpGenerateMicroformContext:
		s.generateMicroformContext(w, route)
	case OpTokenize:
		s.tokenize(w, route, r.Header.Get("Origin"))
	}
}

// generateCaptureContext answers POST /flex/v2/sessions: 201, application/jwt, the raw token.
func (s *Server) generateCaptureContext(w http.ResponseWriter, route *fakeapi.Route) {
	required, optional := requestedFields(route.Body)
	if len(required)+len(optional) == 0 {
		// Invented: the real API's answer to a session without fields is undocumented, and a
		// capture context that collects nothing is useless; the cyberflex client refuses to send
		// one too.
		writeError(w, http.StatusBadRequest, reasonValidation,
			"Invalid request: fields lists no field; list at least one, e.g. {\"fields\":{\"paymentInformation\":{\"card\":{\"number\":{}}}}}",
			[]errorDetail{{Location: "fields", Message: "no field listed"}})
		return
	}
	token, err := s.mint(required, optional)
	if err != nil {
		writeError(w, http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.", nil)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, token)
}

// getPublicKey answers GET /flex/v2/public-keys/{kid} with the JWK of any key the server has
// signed with, or 404.
func (s *Server) getPublicKey(w http.ResponseWriter, route *fakeapi.Route) {
	kid, err := url.PathUnescape(route.PathParams["kid"])
	if err != nil {
		kid = route.PathParams["kid"]
	}
	key := s.keys.lookup(kid)
	if key == nil {
		writeError(w, http.StatusNotFound, statusReason(http.StatusNotFound), fmt.Sprintf("No public key with kid %s", quote(kid)), nil)
		return
	}
	fakeapi.WriteJSON(w, http.StatusOK, newPublicKeyJWK(kid, &key.PublicKey))
}

// refuseUnrouted answers a request that matches no operation: 404 for an unknown path, 405 for
// a known path with another method, 413 or 400 for a body that could not be read.
func (s *Server) refuseUnrouted(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, fakeapi.ErrNoRoute):
		writeError(w, http.StatusNotFound, statusReason(http.StatusNotFound), err.Error(), nil)
	case errors.Is(err, fakeapi.ErrMethodNotAllowed):
		writeError(w, http.StatusMethodNotAllowed, statusReason(http.StatusMethodNotAllowed), err.Error(), nil)
	case r.ContentLength > fakeapi.MaxRequestBody:
		writeError(w, http.StatusRequestEntityTooLarge, statusReason(http.StatusRequestEntityTooLarge), err.Error(), nil)
	default:
		writeError(w, http.StatusBadRequest, reasonValidation, "Invalid request: "+err.Error(), nil)
	}
}

// authFailure is the gateway's 401 body (api/cyberflex.yaml AuthenticationFailure; seen in
// https://community.developer.cybersource.com/t5/cybersource-APIs/HTTP-Signature-Authentication-Failed/td-p/84299).
type authFailure struct {
	Response struct {
		Rmsg string `json:"rmsg"`
	} `json:"response"`
}

// authFailedMessage is the gateway's rmsg for every authentication failure.
const authFailedMessage = "Authentication Failed"

// writeAuthFailure answers 401 {"response":{"rmsg":"Authentication Failed: <reason>"}}. The
// real gateway says only "Authentication Failed"; the reason is added to make a failing test
// easy to debug, after a colon so that a prefix check still matches the real message.
func writeAuthFailure(w http.ResponseWriter, err error) {
	var body authFailure
	body.Response.Rmsg = authFailedMessage + ": " + err.Error()
	fakeapi.WriteJSON(w, http.StatusUnauthorized, body)
}

// errorResponse is the error body of 400 and 500 answers (api/cyberflex.yaml ErrorResponse),
// used for every other error too.
type errorResponse struct {
	CorrelationID   string        `json:"correlationId"`
	Details         []errorDetail `json:"details"`
	InformationLink *string       `json:"informationLink"` // null, as real answers often have
	Message         string        `json:"message"`
	Reason          string        `json:"reason"`
}

// errorDetail is one entry of errorResponse.Details.
type errorDetail struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

// writeError answers status with an errorResponse whose correlationId is the answer's
// v-c-correlation-id.
func writeError(w http.ResponseWriter, status int, reason, message string, details []errorDetail) {
	fakeapi.WriteJSON(w, status, newErrorResponse(w.Header().Get(headerCorrelationID), reason, message, details))
}

func newErrorResponse(correlationID, reason, message string, details []errorDetail) errorResponse {
	return errorResponse{CorrelationID: correlationID, Details: nonNilDetails(details), Message: message, Reason: reason}
}

// faultBody is the body of an injected fault's status when the Fault has no Body: the gateway's
// 401, the documented 400 example of the spec, or for any other status an error body whose
// reason is the status text in CyberSource's upper-case style ("SERVICE_UNAVAILABLE"; invented,
// the real reasons for such statuses are undocumented).
func faultBody(status int, correlationID string) (string, []byte) {
	var body any
	switch status {
	case http.StatusUnauthorized:
		var f authFailure
		f.Response.Rmsg = authFailedMessage
		body = f
	case http.StatusBadRequest:
		link := "https://vdp.visa.com/docs/errors/invalid_merchant_configuration"
		e := newErrorResponse(correlationID, "INVALID_APIKEY", "Merchant APIKEY is invalid", nil)
		e.InformationLink = &link
		body = e
	default:
		message := http.StatusText(status)
		if status == http.StatusInternalServerError {
			message = "Internal error."
		}
		body = newErrorResponse(correlationID, statusReason(status), message, nil)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "text/plain", []byte(http.StatusText(status))
	}
	return "application/json", b
}

// statusReason turns a status into a reason in CyberSource's style: "Not Found" -> "NOT_FOUND".
func statusReason(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "ERROR"
	}
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(text))
}

// validationDetails turns the validator's message ("problem; problem; …", each possibly ending
// "at /json/pointer") into details whose location is the dotted path of the JSON pointer.
func validationDetails(message string) []errorDetail {
	var details []errorDetail
	for _, line := range strings.Split(message, "; ") {
		d := errorDetail{Location: "body", Message: line}
		if i := strings.LastIndex(line, " at /"); i >= 0 {
			d.Location = strings.ReplaceAll(line[i+len(" at /"):], "/", ".")
		}
		details = append(details, d)
	}
	return details
}

func nonNilDetails(d []errorDetail) []errorDetail {
	if d == nil {
		return []errorDetail{}
	}
	return d
}
