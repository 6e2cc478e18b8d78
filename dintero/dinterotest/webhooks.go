package dinterotest

import (
	"bytes"
	"context" //nolint:gosec // Dintero's webhook signature is HMAC-SHA1.
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
)

// subscription is a webhook subscription (Subscribe).
type subscription struct {
	id, url, secret string
	events          []string // empty: every event
}

// Subscribe adds a webhook subscription, as POST /v1/accounts/{aid}/hooks/subscriptions does
// with {"config": {"url": url, "content_type": "application/json", "secret": secret}, "events":
// events} (https://docs.dintero.com/docs/checkout/webhooks): DeliverWebhook sends the events to
// url, signed with secret in the event-signature header (unsigned when secret is empty). No
// events means every event. It returns the subscription's id, and fails for a URL that is not
// absolute http(s). Unlike Dintero, the fake sends no ping on creation and never deletes a
// subscription whose deliveries fail.
func (s *Server) Subscribe(subscriptionURL, secret string, events ...string) (string, error) {
	u, err := url.Parse(subscriptionURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("dinterotest: Subscribe: %q is not an absolute http(s) URL", subscriptionURL)
	}
	id := randomString(22)
	s.merchant.mu.Lock()
	defer s.merchant.mu.Unlock()
	s.merchant.subscriptions = append(s.merchant.subscriptions, subscription{
		id: id, url: subscriptionURL, secret: secret, events: slices.Clone(events),
	})
	return id, nil
}

// SignWebhook returns the event-signature value Dintero sends with a webhook whose body is body:
// the lower-case hex HMAC-SHA1 of the body's bytes keyed with the subscription's secret. Use it to
// test a handler that verifies with dintero.WebhookVerifier.
func SignWebhook(secret string, body []byte) string {
	return hex.EncodeToString(callbacksig.WebhookSum(secret, body))
}

// webhookBody is what Dintero POSTs to a subscription's URL.
type webhookBody struct {
	AccountID     string             `json:"account_id"`
	Event         string             `json:"event"`
	EventDelivery string             `json:"event_delivery"`
	Transaction   webhookTransaction `json:"transaction"`
}

// webhookTransaction is the transaction summary of a checkout webhook.
type webhookTransaction struct {
	ID                 string    `json:"id"`
	SessionID          string    `json:"session_id"`
	MerchantReference  string    `json:"merchant_reference"`
	MerchantReference2 *string   `json:"merchant_reference_2,omitempty"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Status             string    `json:"status"`
}

// DeliverWebhook sends the event (e.g. dintero.WebhookEventCheckoutTransaction) about the
// transaction of a paid session (CompletePayment) to every subscription that wants it, as Dintero
// does: a POST of {"account_id", "event", "event_delivery", "transaction": {"id", "session_id",
// "merchant_reference", "merchant_reference_2", "created_at", "updated_at", "status"}} with the
// headers event, event-delivery and event-signature (SignWebhook of the body). An attempt that is
// not answered 2xx within WebhookAttemptTimeout, redirects included (they are not followed), or
// whose answer is dropped (DropDeliveryAnswers) is retried at once, up to MaxWebhookAttempts
// attempts. Each subscription's delivery is returned and recorded (Deliveries); the error joins
// why deliveries failed. It fails without sending when the session is unknown or unpaid, or when
// no subscription wants the event.
func (s *Server) DeliverWebhook(ctx context.Context, sessionID, event string) ([]Delivery, error) {
	sess, ok := s.store.get(sessionID)
	switch {
	case !ok:
		return nil, fmt.Errorf("dinterotest: DeliverWebhook: no session with id %q", sessionID)
	case sess.TransactionID == nil:
		return nil, fmt.Errorf("dinterotest: DeliverWebhook: session %q is not paid; call CompletePayment first", sessionID)
	}
	tx := transactionOf(sess)
	s.merchant.mu.Lock()
	var subs []subscription
	for _, sub := range s.merchant.subscriptions {
		if len(sub.events) == 0 || slices.Contains(sub.events, event) {
			subs = append(subs, sub)
		}
	}
	s.merchant.mu.Unlock()
	if len(subs) == 0 {
		return nil, fmt.Errorf("dinterotest: DeliverWebhook: %w %q", errNoSubscription, event)
	}
	var deliveries []Delivery
	var errs []error
	for _, sub := range subs {
		d := Delivery{Kind: KindWebhook, SessionID: sessionID, Event: event, ID: newDeliveryID()}
		body, err := json.Marshal(webhookBody{
			AccountID: s.cfg.accountID, Event: event, EventDelivery: d.ID,
			Transaction: webhookTransaction{
				ID: tx.ID, SessionID: tx.SessionID, MerchantReference: tx.MerchantReference,
				MerchantReference2: tx.MerchantReference2, CreatedAt: tx.CreatedAt, UpdatedAt: tx.UpdatedAt, Status: tx.Status,
			},
		})
		if err != nil {
			return deliveries, fmt.Errorf("dinterotest: DeliverWebhook: %w", err)
		}
		err = s.deliver(ctx, &d, MaxWebhookAttempts, WebhookAttemptTimeout,
			func(int) bool { return true }, // every failure counts, redirects too
			func(ctx context.Context) (*http.Request, error) {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.url, bytes.NewReader(body))
				if err != nil {
					return nil, err
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", "Dintero (dinterotest)")
				req.Header.Set(dintero.WebhookEventHeader, event)
				req.Header.Set(dintero.DeliveryHeader, d.ID)
				if sub.secret != "" {
					req.Header.Set(dintero.WebhookSignatureHeader, SignWebhook(sub.secret, body))
				}
				return req, nil
			})
		deliveries = append(deliveries, d)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return deliveries, fmt.Errorf("dinterotest: DeliverWebhook: %w", err)
	}
	return deliveries, nil
}
