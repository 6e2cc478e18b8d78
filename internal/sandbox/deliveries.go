package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/paysession/paysession-go/dintero"
)

// maxDeliveries bounds the delivery log; the oldest entries are dropped first.
const maxDeliveries = 1000

// maxLoggedBody is how much of the merchant's answer a delivery keeps.
const maxLoggedBody = 1024

// callbackTimeout is Dintero's: a callback not answered within 10 seconds has failed
// (url.callback_url in https://docs.dintero.com/checkout-api).
const callbackTimeout = 10 * time.Second

// Delivery is one request the sandbox sent to the merchant, as the admin API shows it.
type Delivery struct {
	// ID numbers the deliveries from 1, in the order they were sent.
	ID int `json:"id"`
	// Time is when the request was sent.
	Time time.Time `json:"time"`
	// Kind says what the request was: "callback" for a session callback, or what the request
	// itself says it is (its "event" header, as Dintero's webhooks carry) for requests the fake
	// sends on its own.
	Kind string `json:"kind"`
	// SessionID is the session the request is about, when the sandbox knows it.
	SessionID string `json:"session_id,omitempty"`
	// Method and URL are the request's.
	Method string `json:"method"`
	URL    string `json:"url"`
	// Signed says whether the request carried a Dintero-Signature.
	Signed bool `json:"signed"`
	// EventDelivery is the request's Event-Delivery header: the same in every attempt of one
	// delivery, so the merchant can ignore repeats.
	EventDelivery string `json:"event_delivery,omitempty"`
	// Status is the merchant's HTTP status, zero when there was no answer.
	Status int `json:"status,omitempty"`
	// Error is why there was no answer (connection refused, timeout, ...).
	Error string `json:"error,omitempty"`
	// DurationMS is how long the merchant took, in milliseconds.
	DurationMS int64 `json:"duration_ms"`
	// ResponseBody is the start of the merchant's answer (at most 1 KiB).
	ResponseBody string `json:"response_body,omitempty"`
}

// deliveryLog keeps the most recent deliveries.
type deliveryLog struct {
	max     int
	mu      sync.Mutex
	nextID  int
	entries []Delivery
	// added is closed and replaced at every add, so that a caller can wait for the next
	// delivery without polling.
	added chan struct{}
}

func newDeliveryLog(limit int) *deliveryLog {
	return &deliveryLog{max: limit, nextID: 1, added: make(chan struct{})}
}

func (l *deliveryLog) add(d Delivery) Delivery {
	l.mu.Lock()
	defer l.mu.Unlock()
	d.ID = l.nextID
	l.nextID++
	if len(l.entries) == l.max {
		l.entries = append(l.entries[:0], l.entries[1:]...)
	}
	l.entries = append(l.entries, d)
	close(l.added)
	l.added = make(chan struct{})
	return d
}

// list returns the deliveries, oldest first, and a channel closed at the next add.
func (l *deliveryLog) list() ([]Delivery, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Delivery(nil), l.entries...), l.added
}

func (l *deliveryLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
	l.nextID = 1
}

// Deliveries returns what was sent to the merchant, oldest first, once at least atLeast requests
// were sent since the start or the last reset; it waits for them until ctx ends, then returns
// what there is with ctx's error.
func (s *Sandbox) Deliveries(ctx context.Context, atLeast int) ([]Delivery, error) {
	for {
		list, added := s.deliveries.list()
		if len(list) >= atLeast {
			return list, nil
		}
		select {
		case <-added:
		case <-ctx.Done():
			return list, ctx.Err()
		}
	}
}

// deliveryKey is the context key of what the sandbox knows about a request it sends.
type deliveryKey struct{}

type deliveryInfo struct {
	kind, sessionID string
	recorded        *Delivery // set to the delivery as logged
}

// recordingTransport sends requests to the merchant and logs each one.
type recordingTransport struct {
	next http.RoundTripper
	log  *deliveryLog
	out  io.Writer
	// label names a request that carries no deliveryInfo, when it can.
	label func(method, url string) (deliveryInfo, bool)
}

// newCallbackClient returns the client that delivers to the merchant: directly (no proxy: the
// merchant is usually on this machine), without following redirects and with Dintero's timeout,
// as Dintero delivers callbacks. The fake gets it too (dinterotest.WithCallbackClient), so what
// it sends on its own is logged as well.
func newCallbackClient(log *deliveryLog, out io.Writer, label func(method, url string) (deliveryInfo, bool)) *http.Client {
	return &http.Client{
		Transport: &recordingTransport{
			next: &http.Transport{
				DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConnsPerHost:   2,
				IdleConnTimeout:       30 * time.Second,
				ResponseHeaderTimeout: callbackTimeout,
			},
			log:   log,
			out:   out,
			label: label,
		},
		Timeout:       callbackTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (t *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	d := Delivery{
		Time:   time.Now().UTC(),
		Method: req.Method,
		URL:    req.URL.String(),
		Signed: req.Header.Get(dintero.SignatureHeader) != "",

		EventDelivery: req.Header.Get(dintero.DeliveryHeader),
		Kind:          req.Header.Get("event"),
	}
	info, ok := req.Context().Value(deliveryKey{}).(deliveryInfo)
	if !ok && t.label != nil {
		info, _ = t.label(req.Method, req.URL.String())
	}
	if info.kind != "" {
		d.Kind, d.SessionID = info.kind, info.sessionID
	}
	if d.Kind == "" {
		d.Kind = "request"
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		d.DurationMS = time.Since(start).Milliseconds()
		d.Error = err.Error()
		t.record(d, info.recorded)
		return nil, err
	}
	// Keep the start of the answer for the log, and give the caller the whole of it.
	head, readErr := io.ReadAll(io.LimitReader(resp.Body, maxLoggedBody))
	d.DurationMS = time.Since(start).Milliseconds()
	d.Status = resp.StatusCode
	d.ResponseBody = string(head)
	if readErr != nil {
		d.Error = "reading the answer: " + readErr.Error()
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	t.record(d, info.recorded)
	return resp, nil
}

func (t *recordingTransport) record(d Delivery, recorded *Delivery) {
	d = t.log.add(d)
	if recorded != nil {
		*recorded = d
	}
	if t.out == nil {
		return
	}
	outcome := d.Error
	if d.Status != 0 {
		outcome = fmt.Sprintf("%d %s", d.Status, http.StatusText(d.Status))
	}
	fmt.Fprintf(t.out, "paysandbox: %s %s %s -> %s (%d ms)\n", d.Kind, d.Method, d.URL, outcome, d.DurationMS)
}

// deliver runs send, which sends with the callback client, and returns its last attempt as
// logged.
func (s *Sandbox) deliver(ctx context.Context, send func(context.Context) error, kind, sessionID string) Delivery {
	recorded := Delivery{Kind: kind, SessionID: sessionID}
	ctx = context.WithValue(ctx, deliveryKey{}, deliveryInfo{kind: kind, sessionID: sessionID, recorded: &recorded})
	if err := send(ctx); err != nil && recorded.ID == 0 { // refused before anything was sent
		recorded.Error = err.Error()
	}
	return recorded
}

// deliverLater delivers in the background, as Dintero sends callbacks independently of the
// customer's browser; Shutdown waits for it.
func (s *Sandbox) deliverLater(send func(context.Context) error, kind, sessionID string) {
	s.inFlight.Add(1)
	go func() {
		defer s.inFlight.Done()
		s.deliver(s.background, send, kind, sessionID)
	}()
}
