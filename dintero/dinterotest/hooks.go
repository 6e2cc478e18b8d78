package dinterotest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// Operation names an operation of the API, for Inject and Calls. The values are the operation
// names of dintero.APIError.Operation.
type Operation string

// The operations the fake serves.
const (
	OpCreateSession             Operation = "CreateSession"
	OpCreateSessionFromProfile  Operation = "CreateSessionFromProfile"
	OpCreatePaymentTokenSession Operation = "CreatePaymentTokenSession"
	OpGetSession                Operation = "GetSession"
	OpUpdateSession             Operation = "UpdateSession"
	OpCancelSession             Operation = "CancelSession"
	OpListSessions              Operation = "ListSessions"
	OpCreateAccessToken         Operation = "CreateAccessToken"
)

// operations maps the document's operationIds to the fake's operations.
var operations = map[string]Operation{
	"createSession":             OpCreateSession,
	"createSessionFromProfile":  OpCreateSessionFromProfile,
	"createPaymentTokenSession": OpCreatePaymentTokenSession,
	"getSession":                OpGetSession,
	"updateSession":             OpUpdateSession,
	"cancelSession":             OpCancelSession,
	"listSessions":              OpListSessions,
	"createAccessToken":         OpCreateAccessToken,
}

// Fault is what the server does instead of (or before) answering one of the next calls of an
// operation: answer Status (with Dintero's error body for it unless Body is set, and Header, e.g.
// Retry-After), wait Delay (ending early when the client gives up), or Drop the connection.
// Times is how many consecutive calls it affects (zero means one). Faults apply after routing
// and before authentication, so a faulted call needs no valid credentials.
type Fault = fakeapi.Fault

// Inject queues f for the next f.Times calls of op, after any faults already queued for op. It
// panics on an Operation that is not one of the Op constants.
func (s *Server) Inject(op Operation, f Fault) {
	if !knownOperation(op) {
		panic(fmt.Sprintf("dinterotest: Inject: unknown operation %q", op))
	}
	s.faults.Inject(string(op), f)
}

// Calls returns how many requests for op the server has received since it started, faulted or
// not, whether they were answered with success or an error (unknown paths and wrong methods are
// not any operation's calls).
func (s *Server) Calls(op Operation) int { return s.faults.Calls(string(op)) }

// ResetFaults drops every queued fault. The call counts stay.
func (s *Server) ResetFaults() { s.faults.Reset() }

func knownOperation(op Operation) bool {
	for _, o := range operations {
		if o == op {
			return true
		}
	}
	return false
}

// sessionIDPattern is what dintero.Client accepts as a session id.
var sessionIDPattern = regexp.MustCompile(`^[PT]\d{8}\.[A-Za-z0-9]{1,64}$`)

// AddSession stores s directly, as if it had been created, and returns the stored session: a copy
// of s with a new id when s.ID is nil or empty, and the server's current time as created_at
// when s.CreatedAt is nil. Nothing else is filled in or checked against the document. Use it to
// seed many sessions, or sessions with chosen times; sessions with older created_at sort into
// their place in lists. It panics if the id is taken or is not a session id the client accepts
// (account id, a dot, 1 to 64 letters and digits).
func (s *Server) AddSession(sess dinteroapi.Session) dinteroapi.Session {
	c := clone(&sess)
	if c.CreatedAt == nil {
		now := s.now()
		c.CreatedAt = &now
	}
	if c.ID == nil || *c.ID == "" {
		if err := s.insert(c); err != nil {
			panic("dinterotest: AddSession: " + err.Error())
		}
		return *clone(c)
	}
	if !sessionIDPattern.MatchString(*c.ID) {
		panic(fmt.Sprintf("dinterotest: AddSession: id %q is not a Dintero session id (account id, a dot, 1 to 64 letters and digits)", *c.ID))
	}
	if err := s.store.add(c); err != nil {
		panic("dinterotest: AddSession: " + err.Error())
	}
	return *clone(c)
}

// Session returns a copy of the stored session with the given id, request headers included.
func (s *Server) Session(id string) (dinteroapi.Session, bool) {
	sess, ok := s.store.get(id)
	if !ok {
		return dinteroapi.Session{}, false
	}
	return *clone(sess), true
}

// Lock does what the customer's checkout does when the customer starts paying: it locks the
// session, after which UpdateSession succeeds without update_without_lock. An update releases
// the lock unless it sends remove_lock=false; cancelling or paying releases it too. Locking a
// locked session does nothing. It fails for an unknown, cancelled or paid session.
func (s *Server) Lock(id string) error {
	_, err := s.store.change(id, func(rec *record, sess *dinteroapi.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		rec.locked = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("dinterotest: Lock: %w", err)
	}
	return nil
}

// CompletePayment does what happens when the customer pays: the session gets a new transaction id
// (returned), AUTHORIZED and COMPLETED events and a new updated_at, and its lock is released.
// After it, CallbackRequest can build the callback. It fails for an unknown, cancelled or already
// paid session.
func (s *Server) CompletePayment(id string) (string, error) {
	transactionID := s.cfg.accountID + "." + randomString(22)
	_, err := s.store.change(id, func(rec *record, sess *dinteroapi.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		now := s.now()
		amount := sess.Order.Amount
		sess.TransactionID, sess.UpdatedAt = &transactionID, &now
		sess.Events = append(sess.Events,
			s.event(dinteroapi.SessionEventNameAUTHORIZED, nil, &dinteroapi.SessionEventDetails{Amount: &amount}),
			s.event(dinteroapi.SessionEventNameCOMPLETED, nil, nil))
		rec.locked = false
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dinterotest: CompletePayment: %w", err)
	}
	return transactionID, nil
}

// CallbackRequest returns the request Dintero sends to the session's url.callback_url once it is
// paid (CompletePayment): a GET of the callback URL with the query parameters transaction_id,
// session_id (or sid, when the URL asks for it with sid_parameter_name=sid), merchant_reference
// and time (RFC 3339) added to those already in it, signed in the Dintero-Signature header with
// dintero.SignCallback, the WithCallbackSecret secret, the server's account id and the server's
// clock. Hand it to your handler (e.g. with httptest.NewRecorder), or send it with SendCallback.
//
// It fails when the server has no WithCallbackSecret (Dintero only signs once a secret exists,
// and an unsigned callback is not worth testing against), and when the session is unknown, has
// no callback_url or is not paid.
func (s *Server) CallbackRequest(sessionID string) (*http.Request, error) {
	if s.cfg.callbackSecret == "" {
		return nil, errors.New("dinterotest: CallbackRequest: the server has no callback secret; create it with WithCallbackSecret")
	}
	sess, ok := s.store.get(sessionID)
	switch {
	case !ok:
		return nil, fmt.Errorf("dinterotest: CallbackRequest: no session with id %q", sessionID)
	case sess.URL.CallbackURL == nil || *sess.URL.CallbackURL == "":
		return nil, fmt.Errorf("dinterotest: CallbackRequest: session %q has no url.callback_url", sessionID)
	case sess.TransactionID == nil:
		return nil, fmt.Errorf("dinterotest: CallbackRequest: session %q is not paid; call CompletePayment first", sessionID)
	}
	u, err := url.Parse(*sess.URL.CallbackURL)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("dinterotest: CallbackRequest: session %q: callback_url %q is not an absolute URL", sessionID, *sess.URL.CallbackURL)
	}
	now := s.now()
	q := u.Query()
	sid := "session_id"
	if q.Get("sid_parameter_name") == "sid" {
		sid = "sid"
	}
	q.Set("transaction_id", *sess.TransactionID)
	q.Set(sid, sessionID)
	q.Set("merchant_reference", sess.Order.MerchantReference)
	q.Set("time", now.Format(time.RFC3339))
	u.RawQuery = q.Encode()
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("dinterotest: CallbackRequest: %w", err)
	}
	req.Header.Set("User-Agent", "Dintero (dinterotest)")
	req.Header.Set(dintero.SignatureHeader, dintero.SignCallback(s.cfg.callbackSecret, s.cfg.accountID, req, now))
	return req, nil
}

// SendCallback builds the callback with CallbackRequest and sends it with ctx, using the
// WithCallbackClient client. Unlike Dintero it sends once and does not retry. The caller must
// close the response body.
func (s *Server) SendCallback(ctx context.Context, sessionID string) (*http.Response, error) {
	req, err := s.CallbackRequest(sessionID)
	if err != nil {
		return nil, err
	}
	resp, err := s.cfg.callbackClient.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("dinterotest: SendCallback: %w", err)
	}
	return resp, nil
}
