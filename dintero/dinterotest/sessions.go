package dinterotest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/dintero"
)

// The handlers below run after authentication and validation: the request matches the document,
// so its body decodes into the generated type and its parameters parse.

// createSession serves the three create calls. The request becomes the read model by a JSON
// round trip of the fields both have; then the server sets what Dintero sets.
func (s *Server) createSession(req *request, op Operation) (*dintero.SessionCreated, error) {
	sess := &dintero.Session{}
	switch op {
	case OpCreateSession:
		var body dintero.SessionCreateRequest
		if err := decode(req, &body, sess); err != nil {
			return nil, err
		}
	case OpCreateSessionFromProfile:
		var body dintero.SessionProfileCreateRequest
		if err := decode(req, &body, sess); err != nil {
			return nil, err
		}
		// What the profile itself configures (payment types, branding) is unknown to the fake.
		sess.Metadata = withProfile(sess.Metadata, body.ProfileID)
		if body.Merchant != nil {
			sess.Configuration.Merchant = &dintero.SessionMerchant{Name: &body.Merchant.Name, LogoURL: &body.Merchant.LogoURL}
		}
	case OpCreatePaymentTokenSession:
		var body dintero.PaymentTokenSessionRequest
		if err := decode(req, &body, nil); err != nil {
			return nil, err
		}
		if err := convert(body.Session, sess); err != nil {
			return nil, newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err)
		}
		if err := configureTokenProvider(sess, body.TokenProvider); err != nil {
			return nil, err
		}
		if body.Session.ProfileID != nil {
			sess.Metadata = withProfile(sess.Metadata, *body.Session.ProfileID)
		}
		intent := dintero.PaymentOperationIntentGeneratePaymentToken
		sess.PaymentOperation = &intent
	}
	now := s.now()
	sess.CreatedAt, sess.UpdatedAt = &now, &now
	if h := systemHeaders(req.r); len(h) > 0 {
		sess.InitiatingSystemRequestHeaders = &dintero.SystemRequestHeaders{}
		_ = convert(h, sess.InitiatingSystemRequestHeaders)
	}
	sess.Events = []dintero.SessionEvent{s.event(dintero.SessionEventNameINITIATED, req, nil)}
	if err := s.insert(sess); err != nil {
		return nil, err
	}
	id := *sess.ID
	checkout := s.URL + "/view/" + id
	out := &dintero.SessionCreated{ID: &id, URL: &checkout}
	if include, _ := strconv.ParseBool(req.r.URL.Query().Get("include_session")); include {
		out.Session = view(sess, nil)
	}
	return out, nil
}

// insert gives sess a new id and stores it.
func (s *Server) insert(sess *dintero.Session) error {
	for {
		id := s.cfg.accountID + "." + randomString(22)
		sess.ID = &id
		if err := s.store.add(sess); !errors.Is(err, errDuplicateID) {
			return err
		}
	}
}

// decode reads the request body into body and, when sess is not nil, copies the fields the read
// model has into sess.
func decode(req *request, body any, sess *dintero.Session) error {
	if err := json.Unmarshal(req.route.Body, body); err != nil {
		return newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err)
	}
	if sess == nil {
		return nil
	}
	if err := convert(body, sess); err != nil {
		return newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err)
	}
	return nil
}

// withProfile records the profile a session was created from, as Dintero's read model does.
func withProfile(m dintero.Metadata, profileID string) dintero.Metadata {
	if m == nil {
		m = dintero.Metadata{}
	}
	m["session:profile_id"] = profileID
	return m
}

// configureTokenProvider enables the card product of a payment-token session with the token types
// asked for. The read model has no token_provider, so this is how the fake shows it (Dintero's
// own mapping is undocumented). Bambora only creates payment tokens (Dintero's 2026 spec).
func configureTokenProvider(sess *dintero.Session, p dintero.TokenProvider) error {
	payment := slices.Contains(p.TokenTypes, dintero.TokenTypePaymentToken)
	recurrence := slices.Contains(p.TokenTypes, dintero.TokenTypeRecurrenceToken)
	switch p.PaymentProductType {
	case dintero.TokenProviderPaymentProductTypePayexCreditcard:
		sess.Configuration.Payex = &dintero.PayExConfiguration{Creditcard: &dintero.PayExCreditcardConfiguration{
			Enabled: true, GeneratePaymentToken: &payment, GenerateRecurrenceToken: &recurrence,
		}}
	case dintero.TokenProviderPaymentProductTypeBamboraCreditcard:
		if recurrence {
			return newError(http.StatusBadRequest, CodeInvalidRequest,
				"request body: token_provider bambora.creditcard only creates payment tokens, not recurrence_token")
		}
		sess.Configuration.Bambora = &dintero.BamboraConfiguration{Creditcard: &dintero.BamboraCreditcardConfiguration{
			Enabled: true, GeneratePaymentToken: &payment,
		}}
	}
	return nil
}

// systemHeaders are the request headers Dintero keeps with a session and its events, by their
// lower-case names.
func systemHeaders(r *http.Request) map[string]string {
	if r == nil {
		return nil
	}
	h := map[string]string{}
	for _, name := range []string{"Dintero-System-Name", "Dintero-System-Version", "Dintero-System-Plugin-Name", "Dintero-System-Plugin-Version", "User-Agent"} {
		if v := r.Header.Get(name); v != "" {
			h[strings.ToLower(name)] = v
		}
	}
	return h
}

// event returns a new session event. req is nil for events of the test hooks, which no request
// caused.
func (s *Server) event(name dintero.SessionEventName, req *request, details *dintero.SessionEventDetails) dintero.SessionEvent {
	now := s.now()
	id := randomString(22)
	e := dintero.SessionEvent{CreatedAt: &now, ID: &id, Name: &name, Details: details}
	if req != nil {
		e.RequestID = &req.requestID
		if h := systemHeaders(req.r); len(h) > 0 {
			e.RequestHeaders = &dintero.RequestHeaders{}
			_ = convert(h, e.RequestHeaders)
		}
	}
	return e
}

// view returns what an answer shows of a stored session: the request headers (of the session and
// of its events) only when includes asks for them, as GET ?includes=... does. It copies only what
// it changes; the stored session is left alone.
func view(s *dintero.Session, includes []string) *dintero.Session {
	v := *s
	if !slices.Contains(includes, string(dintero.SessionIncludeInitiatingSystemRequestHeaders)) {
		v.InitiatingSystemRequestHeaders = nil
	}
	if !slices.Contains(includes, string(dintero.SessionIncludeEventsRequestHeaders)) && len(s.Events) > 0 {
		v.Events = slices.Clone(s.Events)
		for i := range v.Events {
			v.Events[i].RequestHeaders = nil
		}
	}
	return &v
}

// sessionID is the session_id path parameter, unescaped.
func sessionID(req *request) string {
	id, err := url.PathUnescape(req.route.PathParams["session_id"])
	if err != nil {
		return req.route.PathParams["session_id"]
	}
	return id
}

// getSession serves GET /sessions/{session_id}.
func (s *Server) getSession(req *request) (*dintero.Session, error) {
	sess, ok := s.store.get(sessionID(req))
	if !ok {
		return nil, errNoSession(sessionID(req))
	}
	return view(sess, req.r.URL.Query()["includes"]), nil
}

// updateSession serves PUT /sessions/{session_id}. The keys of order and express in the body
// replace the session's (merchant_reference and the other keys an update cannot carry stay), as
// Dintero describes the update.
//
// Dintero refuses to update a session that the customer's checkout has not locked for paying,
// unless update_without_lock=true; it documents neither the status nor the error code of that
// refusal: a 400 with CodeSessionNotLocked is the fake's own. Likewise the refusal to update a
// cancelled or paid session (CodeSessionClosed). remove_lock (default true) releases the lock.
func (s *Server) updateSession(req *request) (*dintero.Session, error) {
	var body struct {
		Order      map[string]json.RawMessage `json:"order"`
		Express    map[string]json.RawMessage `json:"express"`
		RemoveLock *bool                      `json:"remove_lock"`
	}
	if err := json.Unmarshal(req.route.Body, &body); err != nil {
		return nil, newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err)
	}
	withoutLock, _ := strconv.ParseBool(req.r.URL.Query().Get("update_without_lock"))
	id := sessionID(req)
	sess, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		if !rec.locked && !withoutLock {
			return newError(http.StatusBadRequest, CodeSessionNotLocked,
				"session %q is not locked: Dintero only updates a session the customer's checkout has locked for paying; "+
					"server to server, before the checkout is shown, send update_without_lock=true", id)
		}
		previous := sess.Order
		details := &dintero.SessionEventDetails{PreviousOrder: &previous}
		var order dintero.Order
		if err := merge(sess.Order, body.Order, &order); err != nil {
			return newError(http.StatusBadRequest, CodeInvalidRequest, "request body: order: %v", err)
		}
		sess.Order = order
		details.UpdatedOrder = &order
		if body.Express != nil {
			var express dintero.SessionExpress
			if err := merge(sess.Express, body.Express, &express); err != nil {
				return newError(http.StatusBadRequest, CodeInvalidRequest, "request body: express: %v", err)
			}
			details.PreviousExpress = &dintero.SessionExpressSnapshot{Express: sess.Express}
			details.UpdatedExpress = &dintero.SessionExpressSnapshot{Express: &express}
			sess.Express = &express
		}
		now := s.now()
		sess.UpdatedAt = &now
		sess.Events = append(sess.Events, s.event(dintero.SessionEventNameUPDATESESSION, req, details))
		if body.RemoveLock == nil || *body.RemoveLock {
			rec.locked = false
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return view(sess, nil), nil
}

// updatable says why a session can no longer change, if it cannot.
func updatable(sess *dintero.Session) *apiError {
	switch {
	case sess.CancelledAt != nil:
		return newError(http.StatusBadRequest, CodeSessionClosed, "session %q is cancelled", deref(sess.ID))
	case sess.TransactionID != nil:
		return newError(http.StatusBadRequest, CodeSessionClosed, "session %q is paid (transaction %q)", deref(sess.ID), *sess.TransactionID)
	}
	return nil
}

// merge decodes into out the JSON object of base with the keys of patch replacing base's.
func merge(base any, patch map[string]json.RawMessage, out any) error {
	fields := map[string]json.RawMessage{}
	b, err := json.Marshal(base)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if fields == nil { // base was nil
		fields = map[string]json.RawMessage{}
	}
	for k, v := range patch {
		fields[k] = v
	}
	b, err = json.Marshal(fields)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// cancelSession serves POST /sessions/{session_id}/cancel. Cancelling a cancelled session
// answers it unchanged.
func (s *Server) cancelSession(req *request) (*dintero.Session, error) {
	sess, err := s.store.change(sessionID(req), func(rec *record, sess *dintero.Session) error {
		if sess.CancelledAt != nil {
			return nil
		}
		now := s.now()
		by := req.principal
		sess.CancelledAt, sess.CancelledBy, sess.UpdatedAt = &now, &by, &now
		sess.Events = append(sess.Events, s.event(dintero.SessionEventNameCANCELLED, req, nil))
		rec.locked = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return view(sess, nil), nil
}

// listSessions serves GET /sessions.
func (s *Server) listSessions(req *request) ([]*dintero.Session, error) {
	q := req.r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 { // the validator has refused these already
			return nil, newError(http.StatusBadRequest, CodeInvalidRequest, "query parameter \"limit\": %q is not an integer from 1 to 100", v)
		}
		limit = n
	}
	f := &filter{
		ids:            set(q["id"]),
		transactionIDs: set(q["transaction_id"]),
		storeIDs:       set(q["store_id"]),
		search:         strings.ToLower(q.Get("search")),
		startingAfter:  q.Get("starting_after"),
	}
	for name, dst := range map[string]**time.Time{"created_at.gte": &f.gte, "created_at.lte": &f.lte} {
		if v := q.Get(name); v != "" {
			t, err := parseTime(v)
			if err != nil {
				return nil, newError(http.StatusBadRequest, CodeInvalidRequest, "query parameter %q: %q is not an RFC 3339 time", name, v)
			}
			*dst = &t
		}
	}
	page, err := s.store.list(f, limit)
	if err != nil {
		return nil, err
	}
	for i, sess := range page {
		page[i] = view(sess, nil)
	}
	return page, nil
}

func set(values []string) map[string]bool {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// parseTime reads a created_at filter. The document declares them date-time (RFC 3339), so the
// validator has already refused a time without a zone, although Dintero documents such a time as
// UTC: the fake follows the document, and dintero.Client always sends a zone.
func parseTime(v string) (time.Time, error) { return time.Parse(time.RFC3339Nano, v) }
