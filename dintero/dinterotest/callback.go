package dinterotest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
)

// SignCallback returns the Dintero-Signature header value that Dintero would send with r when
// signing at time t with the given secret and account id:
// "t=<unix seconds>,v0-hmac-sha256=<64 hex digits>". Use it to test a callback handler that
// verifies with dintero.CallbackVerifier; CallbackRequest builds and signs a whole callback.
//
// The host name is taken from r.Host, or r.URL.Host if r.Host is empty (as http.NewRequest and
// httptest.NewRequest set them); set r.Host to the public host when the verifier under test uses
// CallbackVerifier.Host. t is truncated to whole seconds. r must not be nil.
func SignCallback(secret, accountID string, r *http.Request, t time.Time) string {
	ts := t.Unix()
	return callbacksig.Header(ts, callbacksig.Sum(secret, ts, accountID, r, callbacksig.RequestHost(r)))
}

// CallbackRequest returns the request Dintero sends to the session's url.callback_url once it is
// paid (CompletePayment): a GET of the callback URL with the query parameters transaction_id,
// session_id (or sid, when the URL asks for it with sid_parameter_name=sid), merchant_reference
// and time (RFC 3339) added to those already in it, signed in the Dintero-Signature header with
// SignCallback, the WithCallbackSecret secret, the server's account id and the server's
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
	req.Header.Set(dintero.SignatureHeader, SignCallback(s.cfg.callbackSecret, s.cfg.accountID, req, now))
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
