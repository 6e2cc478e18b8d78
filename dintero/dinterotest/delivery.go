package dinterotest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// How Dintero delivers session callbacks and webhooks to the merchant's server, as the fake
// reproduces it (https://docs.dintero.com/docs/checkout/validating-callbacks,
// https://docs.dintero.com/docs/checkout/webhooks).
const (
	// MaxCallbackAttempts is how often DeliverCallback tries a session callback: once and then
	// Dintero's 20 retries.
	MaxCallbackAttempts = 21
	// CallbackAttemptTimeout is how long an attempt of a session callback may take.
	CallbackAttemptTimeout = 10 * time.Second
	// MaxWebhookAttempts is how often DeliverWebhook tries a webhook: once and then 5 retries.
	MaxWebhookAttempts = 6
	// WebhookAttemptTimeout is how long an attempt of a webhook may take (Dintero's docs give 60
	// s and 120 s; the fake takes the shorter).
	WebhookAttemptTimeout = 60 * time.Second
)

// DeliveryKind says what a Delivery delivered.
type DeliveryKind string

// The kinds of Delivery.
const (
	// KindCallback is a session callback to url.callback_url.
	KindCallback DeliveryKind = "callback"
	// KindWebhook is a webhook to a subscription's URL.
	KindWebhook DeliveryKind = "webhook"
)

// Delivery records one session callback or webhook the server delivered, or tried to, with every
// attempt.
type Delivery struct {
	// Kind is KindCallback or KindWebhook.
	Kind DeliveryKind
	// SessionID is the session the delivery is about.
	SessionID string
	// Event is a webhook's event type; empty for a callback.
	Event string
	// ID is the event-delivery header, the same in every attempt.
	ID string
	// Method and URL are where the attempts went.
	Method, URL string
	// Attempts are the attempts in order.
	Attempts []Attempt
	// Delivered says an attempt was answered with a 2xx (and its answer not dropped).
	Delivered bool
}

// Attempt is one try of a Delivery.
type Attempt struct {
	// Status is the merchant's status code; 0 when no answer arrived.
	Status int
	// Err is why no answer arrived (a timeout, a refused connection); nil when one did.
	Err error
	// Dropped says the answer arrived but DropDeliveryAnswers made the server ignore it, as
	// Dintero ignores an answer that comes after its timeout: the merchant's server did the
	// work, and the delivery was retried.
	Dropped bool
}

// merchantSide is what the server sends to the merchant's server and what came back.
type merchantSide struct {
	mu            sync.Mutex
	deliveries    []Delivery
	exchanges     []ExpressExchange
	subscriptions []subscription
	dropAnswers   int
}

// DropDeliveryAnswers makes the server ignore the answers to the next n delivery attempts
// (session callbacks and webhooks together), as if each had come after Dintero's timeout: the
// request reaches the merchant's server, which does its work and answers, and the server
// retries. Use it to test that a handler ignores a repeated callback. n replaces what is left of
// an earlier call; 0 ends it.
func (s *Server) DropDeliveryAnswers(n int) {
	s.merchant.mu.Lock()
	defer s.merchant.mu.Unlock()
	s.merchant.dropAnswers = max(n, 0)
}

// takeDrop reports whether the answer of the attempt being made is to be dropped.
func (m *merchantSide) takeDrop() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dropAnswers == 0 {
		return false
	}
	m.dropAnswers--
	return true
}

// Deliveries returns a copy of every delivery made so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.merchant.mu.Lock()
	defer s.merchant.mu.Unlock()
	out := slices.Clone(s.merchant.deliveries)
	for i := range out {
		out[i].Attempts = slices.Clone(out[i].Attempts)
	}
	return out
}

// DeliverCallback delivers the callback of a paid session (CompletePayment) to its
// url.callback_url as Dintero does: the request of CallbackRequest (GET, or POST with the
// transaction for method=POST in the URL), signed afresh for each attempt when the server has a
// WithCallbackSecret secret and unsigned otherwise, with an event-delivery header that is the
// same in every attempt. An attempt that gets no answer within CallbackAttemptTimeout (or has
// its answer dropped, DropDeliveryAnswers), cannot connect, or is answered 100, 101 or 5xx is
// retried, up to MaxCallbackAttempts attempts in all; a 2xx ends the delivery, and any other
// status (4xx, or a 3xx, since redirects are not followed) ends it as failed.
//
// Unlike Dintero, the fake retries at once, without waiting between attempts, so that tests
// never sleep. It uses the WithCallbackClient client's transport, with the timeouts above and
// without following redirects. The result is also recorded (Deliveries); the error says why the
// delivery failed, or is ctx's error.
func (s *Server) DeliverCallback(ctx context.Context, sessionID string) (Delivery, error) {
	d := Delivery{Kind: KindCallback, SessionID: sessionID, ID: newDeliveryID()}
	if _, err := s.callbackRequest(ctx, sessionID, d.ID); err != nil {
		return d, fmt.Errorf("dinterotest: DeliverCallback: %w", err)
	}
	err := s.deliver(ctx, &d, MaxCallbackAttempts, CallbackAttemptTimeout,
		func(status int) bool { return status == 100 || status == 101 || status >= 500 },
		func(ctx context.Context) (*http.Request, error) { return s.callbackRequest(ctx, sessionID, d.ID) })
	if err != nil {
		return d, fmt.Errorf("dinterotest: DeliverCallback: %w", err)
	}
	return d, nil
}

// deliver makes the attempts of d: newRequest builds each one afresh (a new signature), retry
// says whether a non-2xx status is worth another attempt. It records d when done.
func (s *Server) deliver(ctx context.Context, d *Delivery, maxAttempts int, timeout time.Duration,
	retry func(status int) bool, newRequest func(context.Context) (*http.Request, error),
) (err error) {
	defer func() {
		s.merchant.mu.Lock()
		defer s.merchant.mu.Unlock()
		s.merchant.deliveries = append(s.merchant.deliveries, *d)
	}()
	client := s.deliveryClient()
	for len(d.Attempts) < maxAttempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		req, err := newRequest(ctx)
		if err != nil {
			return err
		}
		d.Method, d.URL = req.Method, req.URL.String()
		a := s.attempt(client, req, timeout)
		d.Attempts = append(d.Attempts, a)
		switch {
		case a.Err != nil || a.Dropped:
		case a.Status >= 200 && a.Status < 300:
			d.Delivered = true
			return nil
		case !retry(a.Status):
			return fmt.Errorf("%s to %s answered %d, which Dintero does not retry", d.Kind, d.URL, a.Status)
		}
	}
	return fmt.Errorf("%s to %s not delivered after %d attempts", d.Kind, d.URL, len(d.Attempts))
}

// attempt sends req once, within timeout, and reads at most 64 KiB of the answer.
func (s *Server) attempt(client *http.Client, req *http.Request, timeout time.Duration) Attempt {
	drop := s.merchant.takeDrop()
	ctx, cancel := context.WithTimeout(req.Context(), timeout)
	defer cancel()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return Attempt{Err: err}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return Attempt{Status: resp.StatusCode, Dropped: drop}
}

// deliveryClient is the WithCallbackClient client without its own timeout (each kind of request
// has Dintero's) and without following redirects, which Dintero never does.
func (s *Server) deliveryClient() *http.Client {
	hc := *s.cfg.callbackClient
	hc.Timeout = 0
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// newDeliveryID returns a new event-delivery id, a random UUID (Dintero sends a GUID).
func newDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])  // never fails (crypto/rand panics rather than return an error)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// errNoSubscription is DeliverWebhook's error when no subscription wants the event.
var errNoSubscription = errors.New("no webhook subscription for this event")
