package dintero

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	webhookSecret   = "webhook-secret-value"
	testWebhookBody = `{"account_id":"P12345678","event":"checkout_transaction","event_delivery":"0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b",` +
		`"transaction":{"id":"P12345678.4XMDrWD3zBTjbdDYu6pzyb","session_id":"P12345678.4XMDqv9GhFdvYfVeGvbEJH","merchant_reference":"order-42",` +
		`"created_at":"2026-01-02T03:04:05Z","updated_at":"2026-01-02T03:05:00Z","status":"CAPTURED"}}`
	// Computed independently of this package:
	// printf '%s' "$testWebhookBody" | openssl dgst -sha1 -hmac 'webhook-secret-value'
	webhookSig = "8665faed2d4de6d6a6b6957cc4c54a4eed7a3724"
)

func newWebhook(method, body, signature string) *http.Request {
	r := httptest.NewRequest(method, "https://shop.example/dintero/webhook", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("event", "checkout_transaction")
	r.Header.Set("event-delivery", "0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b")
	if signature != "" {
		r.Header.Set("event-signature", signature)
	}
	return r
}

func TestWebhookParse(t *testing.T) {
	r := newWebhook(http.MethodPost, testWebhookBody, webhookSig)
	ev, err := WebhookVerifier{Secret: webhookSecret}.Parse(r)
	require.NoError(t, err)
	assert.Equal(t, WebhookEventCheckoutTransaction, ev.Event)
	assert.Equal(t, "0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b", ev.DeliveryID)
	assert.Equal(t, "P12345678", ev.AccountID)
	require.NotNil(t, ev.Transaction)
	assert.Equal(t, Transaction{
		ID: "P12345678.4XMDrWD3zBTjbdDYu6pzyb", SessionID: "P12345678.4XMDqv9GhFdvYfVeGvbEJH", MerchantReference: "order-42",
		Status: "CAPTURED", CreatedAt: Ptr(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), UpdatedAt: Ptr(time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)),
	}, *ev.Transaction)
	assert.Equal(t, []byte(testWebhookBody), ev.Body, "the raw bytes")
	again, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, []byte(testWebhookBody), again, "the body stays readable for the caller")

	// Upper-case hex is the same signature.
	_, err = WebhookVerifier{Secret: webhookSecret}.Parse(newWebhook(http.MethodPost, testWebhookBody, strings.ToUpper(webhookSig)))
	require.NoError(t, err)
}

func TestWebhookParseHeadersFillGaps(t *testing.T) {
	body := `{"event_delivery":"","account_id":"P12345678"}` // a ping-like body without event
	r := newWebhook(http.MethodPost, body, hmacSHA1Hex(webhookSecret, body))
	ev, err := WebhookVerifier{Secret: webhookSecret}.Parse(r)
	require.NoError(t, err)
	assert.Equal(t, "checkout_transaction", ev.Event, "from the event header")
	assert.Equal(t, "0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b", ev.DeliveryID, "from the event-delivery header")
	assert.Nil(t, ev.Transaction)
	assert.Equal(t, "delivery=0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b&event=checkout_transaction", ev.IdempotencyKey())
}

func hmacSHA1Hex(secret, body string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(body))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestWebhookRejections(t *testing.T) {
	huge := strings.Repeat(" ", MaxIncomingBody+1)
	tampered := strings.Replace(testWebhookBody, "CAPTURED", "REFUNDED", 1)
	tests := []struct {
		name    string
		r       *http.Request
		wantErr error
		status  int
	}{
		{"forged with another secret", newWebhook(http.MethodPost, testWebhookBody, hmacSHA1Hex("guessed", testWebhookBody)), ErrSignatureMismatch, 401},
		{"body changed after signing", newWebhook(http.MethodPost, tampered, webhookSig), ErrSignatureMismatch, 401},
		{"body re-serialized", newWebhook(http.MethodPost, " "+testWebhookBody, webhookSig), ErrSignatureMismatch, 401},
		{"no signature", newWebhook(http.MethodPost, testWebhookBody, ""), ErrSignatureMissing, 401},
		{"signature too short", newWebhook(http.MethodPost, testWebhookBody, webhookSig[:38]), ErrSignatureMalformed, 401},
		{"signature not hex", newWebhook(http.MethodPost, testWebhookBody, strings.Repeat("zz", 20)), ErrSignatureMalformed, 401},
		{"SHA-256 sized signature", newWebhook(http.MethodPost, testWebhookBody, webhookSig+webhookSig[:24]), ErrSignatureMalformed, 401},
		{"signature twice", func() *http.Request {
			r := newWebhook(http.MethodPost, testWebhookBody, webhookSig)
			r.Header.Add("event-signature", webhookSig)
			return r
		}(), ErrSignatureMalformed, 401},
		{"wrong method", newWebhook(http.MethodGet, testWebhookBody, webhookSig), ErrMethodNotAllowed, 405},
		{"oversized body", newWebhook(http.MethodPost, huge, hmacSHA1Hex(webhookSecret, huge)), ErrRequestTooLarge, 413},
		{"signed body that is not JSON", newWebhook(http.MethodPost, "event=ping", hmacSHA1Hex(webhookSecret, "event=ping")), ErrInvalidRequest, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := WebhookVerifier{Secret: webhookSecret}.Parse(tt.r)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, ev)
			assert.Equal(t, tt.status, HTTPStatus(err))
			if tt.status == 401 {
				assert.ErrorIs(t, err, ErrInvalidSignature)
				assert.Contains(t, err.Error(), "webhook", "the message names the webhook, not the callback header")
			}
			msg := fmt.Sprintf("%v %+v", err, err)
			assert.NotContains(t, msg, webhookSecret)
			assert.NotContains(t, strings.ToLower(msg), webhookSig, "the expected signature never shows")
		})
	}
}

func TestWebhookConfigErrors(t *testing.T) {
	_, err := WebhookVerifier{}.Parse(newWebhook(http.MethodPost, testWebhookBody, webhookSig))
	require.ErrorIs(t, err, ErrMisconfigured)
	assert.NotErrorIs(t, err, ErrInvalidSignature)
	assert.Equal(t, 500, HTTPStatus(err))
	// An empty key is known to everybody: a body "signed" with it is still refused.
	_, err = WebhookVerifier{}.Parse(newWebhook(http.MethodPost, testWebhookBody, hmacSHA1Hex("", testWebhookBody)))
	assert.ErrorIs(t, err, ErrMisconfigured)
	_, err = WebhookVerifier{Secret: webhookSecret}.Parse(nil)
	assert.Error(t, err)
}

func TestWebhookIdempotencyKey(t *testing.T) {
	parse := func(body string) *WebhookEvent {
		t.Helper()
		ev, err := WebhookVerifier{Secret: webhookSecret}.Parse(newWebhook(http.MethodPost, body, hmacSHA1Hex(webhookSecret, body)))
		require.NoError(t, err)
		return ev
	}
	first := parse(testWebhookBody)
	redelivered := parse(strings.Replace(testWebhookBody, "0b6f3c1e-2f4a-4c4e-9a57-5c8d1e2f3a4b", "another-delivery", 1))
	assert.Equal(t, first.IdempotencyKey(), redelivered.IdempotencyKey())
	refunded := parse(strings.Replace(strings.Replace(testWebhookBody, "CAPTURED", "REFUNDED", 1), "03:05:00Z", "04:00:00Z", 1))
	assert.NotEqual(t, first.IdempotencyKey(), refunded.IdempotencyKey())
}

func TestWebhookVerifierRedaction(t *testing.T) {
	v := WebhookVerifier{Secret: webhookSecret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "verifier", v)
	outputs := []string{logged.String(), v.String(), v.GoString()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs, fmt.Sprintf(verb, v), fmt.Sprintf(verb, &v), fmt.Sprintf(verb, []WebhookVerifier{v}))
	}
	for _, out := range outputs {
		assert.NotContains(t, out, webhookSecret)
		assert.NotContains(t, out, fmt.Sprintf("%x", webhookSecret))
	}
	assert.Contains(t, fmt.Sprintf("%+v", v), "[REDACTED]")
	assert.Contains(t, WebhookVerifier{}.String(), "[EMPTY]")
}
