package dintero_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// A session as a future Dintero might send it: a field and an event name this SDK has never heard of.
const futureSession = `{"id":"T12345678.future","created_at":"2026-11-21T10:00:00Z",` +
	`"url":{"return_url":"https://shop.example/return"},` +
	`"order":{"amount":100,"currency":"NOK","merchant_reference":"r","brand_new_order_field":{"x":1}},` +
	`"configuration":{},"events":[{"name":"TELEPORTED","created_at":"2026-11-21T10:00:01Z"}],` +
	`"brand_new_field":"kept"}`

func TestUnknownFieldsAndEnumsAreKept(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/sessions/T12345678.future":
			_, _ = w.Write([]byte(futureSession))
		case "/v1/sessions":
			_, _ = w.Write([]byte("[" + futureSession + "]"))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"NOT_FOUND","message":"no"}}`))
		}
	}))
	defer srv.Close()
	c, err := dintero.New(dintero.WithAPIKey("k"), dintero.WithBaseURL(srv.URL+"/v1"))
	require.NoError(t, err)
	ctx := context.Background()

	t.Run("without RawResponse the known fields decode and unknown enum values survive", func(t *testing.T) {
		s, err := c.GetSession(ctx, "T12345678.future")
		require.NoError(t, err)
		assert.Equal(t, "r", s.Order.MerchantReference)
		require.Len(t, s.Events, 1)
		assert.EqualValues(t, "TELEPORTED", *s.Events[0].Name)
	})
	t.Run("RawResponse keeps the whole body, unknown fields included", func(t *testing.T) {
		buf := make([]byte, 0, 8)
		s, err := c.GetSession(ctx, "T12345678.future", dintero.RawResponse(&buf))
		require.NoError(t, err)
		assert.Equal(t, "T12345678.future", *s.ID)
		assert.Equal(t, futureSession, string(buf))
	})
	t.Run("RawResponse on a list keeps the page", func(t *testing.T) {
		var buf []byte
		page, err := c.ListSessions(ctx, dintero.RawResponse(&buf))
		require.NoError(t, err)
		require.Len(t, page, 1)
		assert.Equal(t, "["+futureSession+"]", string(buf))
	})
	t.Run("a failed call leaves dst alone", func(t *testing.T) {
		buf := []byte("before")
		_, err := c.GetSession(ctx, "T12345678.missing", dintero.RawResponse(&buf))
		var apiErr *dintero.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, "before", string(buf))
	})
	t.Run("RawResponse(nil) is refused before anything is sent", func(t *testing.T) {
		before := calls.Load()
		_, err := c.GetSession(ctx, "T12345678.future", dintero.RawResponse(nil))
		require.ErrorIs(t, err, dintero.ErrInvalidInput)
		assert.Contains(t, err.Error(), "RawResponse(nil)")
		assert.Equal(t, before, calls.Load())
	})
}

func TestEveryCallTakesRawResponse(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c, err := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(srv.URL))
	require.NoError(t, err)
	ctx := context.Background()
	var raw []byte
	opt := dintero.RawResponse(&raw)

	created, err := c.CreateSession(ctx, e2eOrder("raw-1", 100), opt)
	require.NoError(t, err)
	assert.Contains(t, string(raw), *created.ID)
	id := *created.ID

	// In order: the cancel comes last, because a cancelled session cannot be updated.
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateSessionFromProfile", func() error {
			_, err := c.CreateSessionFromProfile(ctx, dintero.SessionProfileCreateRequest{
				ProfileID: "default", URL: dintero.SessionURLs{ReturnURL: "https://shop.example/r"},
				Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "raw-2"},
			}, opt)
			return err
		}},
		{"CreatePaymentTokenSession", func() error {
			_, err := c.CreatePaymentTokenSession(ctx, dintero.PaymentTokenSessionRequest{
				Session: dintero.PaymentTokenSession{
					URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/r"},
					Order: dintero.PaymentTokenOrder{Currency: "NOK", MerchantReference: "raw-3"},
				},
				TokenProvider: dintero.TokenProvider{PaymentProductType: dintero.PayExCreditcard, TokenTypes: []dintero.TokenType{dintero.TokenTypePaymentToken}},
			}, opt)
			return err
		}},
		{"GetSession", func() error { _, err := c.GetSession(ctx, id, opt); return err }},
		{"UpdateSession", func() error {
			_, err := c.UpdateSession(ctx, id, dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{Amount: dintero.Ptr(int64(100))}}, opt, dintero.UpdateWithoutLock())
			return err
		}},
		{"ListSessions", func() error { _, err := c.ListSessions(ctx, opt); return err }},
		{"CancelSession", func() error { _, err := c.CancelSession(ctx, id, opt); return err }},
	}
	for _, tc := range calls {
		raw = raw[:0]
		err := tc.call()
		require.NoError(t, err, tc.name)
		assert.NotEmpty(t, raw, "%s stores its body", tc.name)
		assert.NotErrorIs(t, err, dintero.ErrInvalidInput)
	}
}
