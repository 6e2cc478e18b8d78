package dinterotest

import (
	"bytes"
	"context"
	"encoding/json"
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
// paid (CompletePayment): the callback URL with the query parameters transaction_id, session_id
// (or sid, when the URL asks for it with sid_parameter_name=sid), merchant_reference and time
// (when the transaction was created, RFC 3339) added to those already in it, signed in the
// Dintero-Signature header with SignCallback, the WithCallbackSecret secret, the server's account
// id and the server's clock. It is a GET, or, when the callback URL has method=POST, a POST with
// the transaction as JSON (id, session_id, merchant_reference, amount, currency, status
// AUTHORIZED, created_at, items, shipping). Hand it to your handler (e.g. with
// httptest.NewRecorder), or send it with SendCallback; DeliverCallback delivers it like Dintero,
// with retries.
//
// It fails when the server has no WithCallbackSecret (Dintero only signs once a secret exists,
// and an unsigned callback is not worth testing against), and when the session is unknown, has
// no callback_url or is not paid.
func (s *Server) CallbackRequest(sessionID string) (*http.Request, error) {
	if s.cfg.callbackSecret == "" {
		return nil, errors.New("dinterotest: CallbackRequest: the server has no callback secret; create it with WithCallbackSecret")
	}
	req, err := s.callbackRequest(context.Background(), sessionID, "")
	if err != nil {
		return nil, fmt.Errorf("dinterotest: CallbackRequest: %w", err)
	}
	return req, nil
}

// callbackRequest builds the callback of a paid session as CallbackRequest describes, with an
// event-delivery header when deliveryID is set, signed when the server has a callback secret.
func (s *Server) callbackRequest(ctx context.Context, sessionID, deliveryID string) (*http.Request, error) {
	sess, ok := s.store.get(sessionID)
	switch {
	case !ok:
		return nil, fmt.Errorf("no session with id %q", sessionID)
	case sess.URL.CallbackURL == nil || *sess.URL.CallbackURL == "":
		return nil, fmt.Errorf("session %q has no url.callback_url", sessionID)
	case sess.TransactionID == nil:
		return nil, fmt.Errorf("session %q is not paid; call CompletePayment first", sessionID)
	}
	u, err := url.Parse(*sess.URL.CallbackURL)
	if err != nil || !u.IsAbs() {
		return nil, fmt.Errorf("session %q: callback_url %q is not an absolute URL", sessionID, *sess.URL.CallbackURL)
	}
	tx := transactionOf(sess)
	q := u.Query()
	sid := "session_id"
	if q.Get("sid_parameter_name") == "sid" {
		sid = "sid"
	}
	q.Set("transaction_id", tx.ID)
	q.Set(sid, sessionID)
	q.Set("merchant_reference", sess.Order.MerchantReference)
	q.Set("time", tx.CreatedAt.Format(time.RFC3339))
	u.RawQuery = q.Encode()
	method, body := http.MethodGet, []byte(nil)
	if q.Get("method") == http.MethodPost {
		method = http.MethodPost
		if body, err = json.Marshal(tx); err != nil {
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body == nil {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Dintero (dinterotest)")
	if deliveryID != "" {
		req.Header.Set(dintero.DeliveryHeader, deliveryID)
	}
	if s.cfg.callbackSecret != "" {
		req.Header.Set(dintero.SignatureHeader, SignCallback(s.cfg.callbackSecret, s.cfg.accountID, req, s.now()))
	}
	return req, nil
}

// transaction is the transaction the fake reports for a paid session: in a POSTed callback and,
// in part, in webhooks. Dintero's has many more fields.
type transaction struct {
	ID                 string                  `json:"id"`
	SessionID          string                  `json:"session_id"`
	MerchantReference  string                  `json:"merchant_reference"`
	MerchantReference2 *string                 `json:"merchant_reference_2,omitempty"`
	Amount             int64                   `json:"amount"`
	Currency           string                  `json:"currency"`
	Status             string                  `json:"status"`
	CreatedAt          time.Time               `json:"created_at"`
	UpdatedAt          time.Time               `json:"updated_at"`
	Items              []dintero.OrderItem     `json:"items,omitempty"`
	ShippingOption     *dintero.ShippingOption `json:"shipping_option,omitempty"`
	ShippingAddress    *dintero.OrderAddress   `json:"shipping_address,omitempty"`
	BillingAddress     *dintero.OrderAddress   `json:"billing_address,omitempty"`
}

// transactionOf returns the transaction of a paid session, created when it was authorized.
func transactionOf(sess *dintero.Session) transaction {
	var created time.Time
	for _, e := range sess.Events {
		if e.Name != nil && *e.Name == dintero.SessionEventNameAUTHORIZED && e.CreatedAt != nil {
			created = *e.CreatedAt
		}
	}
	if created.IsZero() && sess.UpdatedAt != nil {
		created = *sess.UpdatedAt
	}
	return transaction{
		ID: deref(sess.TransactionID), SessionID: deref(sess.ID),
		MerchantReference: sess.Order.MerchantReference, MerchantReference2: sess.Order.MerchantReference2,
		Amount: sess.Order.Amount, Currency: sess.Order.Currency, Status: "AUTHORIZED",
		CreatedAt: created.UTC(), UpdatedAt: created.UTC(),
		Items: sess.Order.Items, ShippingOption: sess.Order.ShippingOption,
		ShippingAddress: sess.Order.ShippingAddress, BillingAddress: sess.Order.BillingAddress,
	}
}

// SendCallback builds the callback with CallbackRequest and sends it with ctx, using the
// WithCallbackClient client. Unlike Dintero it sends once and does not retry (DeliverCallback
// does). The caller must close the response body.
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
