package dintero_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
)

// statusNow is the time the status tests ask about: between the sessions' creation and their
// expiry (2026-03-02T10:00:00Z) unless a case says otherwise.
var statusNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sessionWith decodes a session as Dintero returns it, with these events (JSON objects, in
// order) and extra top-level fields (a JSON fragment starting with a comma, or "").
func sessionWith(t *testing.T, extra string, events ...string) *dintero.Session {
	t.Helper()
	body := `{
		"id": "T12345678.4VfSpqnprujVvsa8sHhXjf",
		"created_at": "2026-03-01T10:00:00.000Z",
		"updated_at": "2026-03-01T10:05:00.000Z",
		"expires_at": "2026-03-02T10:00:00.000Z",
		"customer_ip": "203.0.113.7",
		"user_agent": "Mozilla/5.0",
		"url": {"return_url": "https://shop.example/return", "callback_url": "https://shop.example/callback"},
		"configuration": {"auto_capture": false, "active_payment_types": {"enabled": true}},
		"order": {
			"amount": 29970, "currency": "NOK", "merchant_reference": "order-1001", "vat_amount": 5994,
			"items": [{"id": "sku-1", "line_id": "1", "description": "T-shirt", "quantity": 3,
				"amount": 29970, "vat": 25, "vat_amount": 5994}]
		},
		"events": [` + strings.Join(events, ",") + `]` + extra + `
	}`
	var s dintero.Session
	require.NoError(t, json.Unmarshal([]byte(body), &s), "the test's session JSON")
	return &s
}

// event is a session event as Dintero writes it.
func event(name, at string) string {
	return `{"id": "769952fe-86c9-4185-a1ce-aeb46da3509c", "name": "` + name + `", "created_at": "2026-03-01T` + at + `Z",
		"request_id": "b97b6312-f8b3-11ed-be56-0242ac120002"}`
}

const (
	initiated = `{"name": "INITIATED", "created_at": "2026-03-01T10:00:00.000Z", "request_id": "b97b6312-f8b3-11ed-be56-0242ac120002"}`
	visited   = `{"name": "VISITED", "created_at": "2026-03-01T10:01:00.000Z"}`
	payFailed = `{"name": "PAY_FAILED", "created_at": "2026-03-01T10:02:00.000Z",
		"details": {"error": "Rejected", "payment_product_type": "instabank.finance"}}`
	transaction = `, "transaction_id": "T12345678.4VfSpqnprujVvsa8sHhXjg"`
	cancelled   = `, "cancelled_at": "2026-03-01T10:30:00.000Z", "cancelled_by": "shop-backend"`
)

func TestStatusOf(t *testing.T) {
	authorized := `{"name": "AUTHORIZED", "created_at": "2026-03-01T10:04:00.000Z",
		"details": {"amount": 29970, "payment_product_type": "dintero_psp.creditcard"}}`
	tests := []struct {
		name   string
		extra  string   // top-level fields added to the session
		events []string // its events, in order
		now    time.Time
		want   dintero.Status
	}{
		{name: "new session", events: []string{initiated}, want: dintero.StatusCreated},
		{name: "visited", events: []string{initiated, visited}, want: dintero.StatusCreated},
		{name: "a failed attempt leaves the session open", events: []string{initiated, visited, payFailed},
			want: dintero.StatusCreated},
		{name: "locked for paying", events: []string{initiated, visited, event("PAY_LOCK_START", "10:03:00")},
			want: dintero.StatusLocked},
		{name: "lock ended", events: []string{initiated, visited, event("PAY_LOCK_START", "10:03:00"),
			event("PAY_LOCK_META", "10:03:01"), event("PAY_LOCK_END", "10:03:30")}, want: dintero.StatusCreated},
		{name: "locked again", events: []string{initiated, event("PAY_LOCK_START", "10:03:00"),
			event("PAY_LOCK_END", "10:03:30"), event("PAY_LOCK_START", "10:04:00")}, want: dintero.StatusLocked},
		{name: "on hold", extra: transaction, events: []string{initiated, visited, event("PAY_LOCK_START", "10:03:00"),
			event("ON_HOLD_CALLBACK_SENT", "10:04:00")}, want: dintero.StatusOnHold},
		{name: "authorized", extra: transaction, events: []string{initiated, visited, event("PAY_LOCK_START", "10:03:00"),
			authorized, event("COMPLETED", "10:04:01"), event("AUTH_CALLBACK_SENT", "10:04:02")}, want: dintero.StatusAuthorized},
		{name: "authorized after a failed attempt", extra: transaction, events: []string{initiated, payFailed, authorized},
			want: dintero.StatusAuthorized},
		{name: "authorized after being on hold", extra: transaction, events: []string{initiated,
			event("ON_HOLD_CALLBACK_SENT", "10:04:00"), event("AUTHORIZED", "11:00:00")}, want: dintero.StatusAuthorized},
		{name: "failed after being on hold", extra: transaction, events: []string{initiated,
			event("ON_HOLD_CALLBACK_SENT", "10:04:00"), event("FAILED", "11:00:00")}, want: dintero.StatusFailed},
		{name: "authorized stays authorized after expiry", extra: transaction, events: []string{initiated, authorized},
			now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), want: dintero.StatusAuthorized},
		{name: "a payment outcome beats a cancellation", extra: transaction + cancelled,
			events: []string{initiated, authorized, event("CANCELLED", "10:30:00")}, want: dintero.StatusAuthorized},
		{name: "declined", events: []string{initiated, visited, event("DECLINED", "10:04:00")}, want: dintero.StatusDeclined},
		{name: "failed (Dintero's own example)", events: []string{initiated, visited, payFailed, event("FAILED", "10:06:11.786")},
			want: dintero.StatusFailed},
		{name: "cancelled", extra: cancelled, events: []string{initiated, visited, event("CANCELLED", "10:30:00")},
			want: dintero.StatusCancelled},
		{name: "cancelled_at without the event", extra: cancelled, events: []string{initiated}, want: dintero.StatusCancelled},
		{name: "CANCELLED event without cancelled_at", events: []string{initiated, event("CANCELLED", "10:30:00")},
			want: dintero.StatusCancelled},
		{name: "cancelled after a failure", extra: cancelled, events: []string{initiated, event("FAILED", "10:06:00"),
			event("CANCELLED", "10:30:00")}, want: dintero.StatusCancelled},
		{name: "cancelled beats expired", extra: cancelled, events: []string{initiated},
			now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), want: dintero.StatusCancelled},
		{name: "expired", events: []string{initiated, visited}, now: time.Date(2026, 3, 2, 10, 0, 1, 0, time.UTC),
			want: dintero.StatusExpired},
		{name: "expired at the instant of expires_at", events: []string{initiated},
			now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), want: dintero.StatusExpired},
		{name: "a nanosecond before expires_at", events: []string{initiated},
			now: time.Date(2026, 3, 2, 9, 59, 59, 999999999, time.UTC), want: dintero.StatusCreated},
		{name: "expired in another zone", events: []string{initiated},
			now: time.Date(2026, 3, 2, 11, 30, 0, 0, time.FixedZone("CET", 3600)), want: dintero.StatusExpired},
		{name: "expiry beats a lock", events: []string{initiated, event("PAY_LOCK_START", "10:03:00")},
			now: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), want: dintero.StatusExpired},
		{name: "a transaction without an outcome event", extra: transaction, events: []string{initiated, visited},
			want: dintero.StatusUnknown},
		{name: "a transaction without an outcome event is not expired", extra: transaction, events: []string{initiated},
			now: time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), want: dintero.StatusUnknown},
		{name: "unknown and other events are ignored", events: []string{initiated, visited,
			event("SET_SHIPPING_ADDRESS", "10:02:00"), event("UPDATE_SESSION", "10:02:30"),
			event("SOMETHING_DINTERO_ADDS_LATER", "10:03:00"), event("UNKNOWN", "10:03:10"), `{"created_at": "2026-03-01T10:04:00Z"}`},
			want: dintero.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = statusNow
			}
			assert.Equal(t, tt.want, dintero.StatusOf(sessionWith(t, tt.extra, tt.events...), now))
		})
	}
}

func TestStatusOfNil(t *testing.T) {
	assert.Equal(t, dintero.StatusUnknown, dintero.StatusOf(nil, statusNow))
	assert.Equal(t, dintero.StatusCreated, dintero.StatusOf(&dintero.Session{}, statusNow), "no fields at all")
}

func TestStatusOfZeroNowNeverExpires(t *testing.T) {
	s := sessionWith(t, "", initiated)
	require.NotNil(t, s.ExpiresAt)
	assert.Equal(t, dintero.StatusCreated, dintero.StatusOf(s, time.Time{}))
}

// TestStatusOfFakeSessions: the sessions of the fake go through the states as Dintero's do.
func TestStatusOfFakeSessions(t *testing.T) {
	srv, c := e2eSetup(t)
	ctx := context.Background()
	now := time.Now()

	paid, err := c.CreateSession(ctx, e2eOrder("order-paid", 10000))
	require.NoError(t, err)
	s, err := c.GetSession(ctx, *paid.ID)
	require.NoError(t, err)
	assert.Equal(t, dintero.StatusCreated, dintero.StatusOf(s, now))
	_, err = srv.CompletePayment(*paid.ID)
	require.NoError(t, err)
	s, err = c.GetSession(ctx, *paid.ID)
	require.NoError(t, err)
	assert.Equal(t, dintero.StatusAuthorized, dintero.StatusOf(s, now))

	unpaid, err := c.CreateSession(ctx, e2eOrder("order-cancelled", 10000))
	require.NoError(t, err)
	s, err = c.CancelSession(ctx, *unpaid.ID)
	require.NoError(t, err)
	assert.Equal(t, dintero.StatusCancelled, dintero.StatusOf(s, now))

	req := e2eOrder("order-expiring", 10000)
	req.ExpiresAt = dintero.Ptr(now.Add(time.Hour))
	expiring, err := c.CreateSession(ctx, req, dintero.IncludeSession())
	require.NoError(t, err)
	assert.Equal(t, dintero.StatusCreated, dintero.StatusOf(expiring.Session, now))
	assert.Equal(t, dintero.StatusExpired, dintero.StatusOf(expiring.Session, now.Add(time.Hour)))
}
