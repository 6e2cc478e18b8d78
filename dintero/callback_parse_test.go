package dintero

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signedCallback returns a callback request for target (an absolute URL) signed at testTime by
// testSecret and testAccount, as a server receives it (RequestURI set).
func signedCallback(method, target string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	r.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, r, testTime))
	return r
}

func TestParseGET(t *testing.T) {
	r := newCallback(http.MethodGet, testCallbackURL, headerGET, nil)
	r.Header.Set("event-delivery", "3f1c2a7e-delivery")
	cb, err := verifierAt(testTime).Parse(r)
	require.NoError(t, err)
	assert.Equal(t, "T12345678.4XMDrWD3zBTjbdDYu6pzyb", cb.TransactionID)
	assert.Equal(t, "T12345678.4XMDqv9GhFdvYfVeGvbEJH", cb.SessionID)
	assert.Equal(t, "order 42", cb.MerchantReference)
	assert.True(t, cb.Time.Equal(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)), "time %v", cb.Time)
	assert.Equal(t, http.MethodGet, cb.Method)
	assert.Equal(t, "3f1c2a7e-delivery", cb.DeliveryID)
	assert.True(t, cb.SignedAt.Equal(testTime))
	assert.Equal(t, "order 42", cb.Query.Get("merchant_reference"))
	assert.Empty(t, cb.Error)
	assert.Empty(t, cb.Event)
	assert.False(t, cb.ReportError)
	assert.Nil(t, cb.Transaction)
	assert.Nil(t, cb.Body)
}

func TestParseOptionalParameters(t *testing.T) {
	const base = "https://merchant.example.com/cb?"
	t.Run("sid instead of session_id", func(t *testing.T) {
		r := signedCallback(http.MethodGet, base+"sid_parameter_name=sid&transaction_id=T1.a&sid=T1.s&merchant_reference=m", nil)
		cb, err := verifierAt(testTime).Parse(r)
		require.NoError(t, err)
		assert.Equal(t, "T1.s", cb.SessionID)
	})
	t.Run("an event report", func(t *testing.T) {
		r := signedCallback(http.MethodGet, base+"report_event=CAPTURE&report_event=REFUND&transaction_id=T1.a&session_id=T1.s&event=CAPTURE&event_id=3&time=not-a-time", nil)
		cb, err := verifierAt(testTime).Parse(r)
		require.NoError(t, err)
		assert.Equal(t, "CAPTURE", cb.Event)
		assert.Equal(t, "3", cb.EventID)
		assert.Equal(t, []string{"CAPTURE", "REFUND"}, cb.ReportEvents)
		assert.True(t, cb.Time.IsZero(), "a time that is not RFC 3339 is left zero")
	})
	t.Run("an error report has no transaction", func(t *testing.T) {
		r := signedCallback(http.MethodGet, base+"report_error=true&session_id=T1.s&merchant_reference=m&error=cancelled", nil)
		cb, err := verifierAt(testTime).Parse(r)
		require.NoError(t, err)
		assert.True(t, cb.ReportError)
		assert.Equal(t, "cancelled", cb.Error)
		assert.Empty(t, cb.TransactionID)
	})
	t.Run("a query that url.ParseQuery refuses", func(t *testing.T) {
		r := signedCallback(http.MethodGet, base+"transaction_id=T1.a&session_id=T1.s&merchant_reference=50%&x=a;b", nil)
		cb, err := verifierAt(testTime).Parse(r)
		require.NoError(t, err)
		assert.Equal(t, "50%", cb.MerchantReference)
		assert.Equal(t, "a;b", cb.Query.Get("x"))
	})
}

func TestParsePOST(t *testing.T) {
	const target = testCallbackURL + "&method=POST"
	const body = `{"id":"T12345678.4XMDrWD3zBTjbdDYu6pzyb","session_id":"T12345678.4XMDqv9GhFdvYfVeGvbEJH",` +
		`"merchant_reference":"order 42","amount":29900,"currency":"NOK","status":"AUTHORIZED",` +
		`"payment_product_type":"payex.creditcard","created_at":"2024-05-06T07:08:09.123Z","card":{"masked_pan":"4925********0004"}}`
	r := newCallback(http.MethodPost, target, "t=1714979289,v0-hmac-sha256="+sigPOST, strings.NewReader(body))
	cb, err := verifierAt(testTime).Parse(r)
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, cb.Method)
	require.NotNil(t, cb.Transaction)
	assert.Equal(t, Transaction{
		ID: "T12345678.4XMDrWD3zBTjbdDYu6pzyb", SessionID: "T12345678.4XMDqv9GhFdvYfVeGvbEJH", MerchantReference: "order 42",
		Amount: 29900, Currency: "NOK", Status: "AUTHORIZED", PaymentProductType: "payex.creditcard",
		CreatedAt: Ptr(time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)),
	}, *cb.Transaction)
	assert.JSONEq(t, body, string(cb.Body), "the raw body keeps every field")
	again, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, []byte(body), again, "the body stays readable, byte for byte")

	// An empty POST body (an error report) has no transaction.
	r = newCallback(http.MethodPost, target, "t=1714979289,v0-hmac-sha256="+sigPOST, nil)
	cb, err = verifierAt(testTime).Parse(r)
	require.NoError(t, err)
	assert.Nil(t, cb.Transaction)
}

// TestParseRejections has one case for every way Parse refuses a callback, with the error it
// wraps and the status HTTPStatus gives it.
func TestParseRejections(t *testing.T) {
	const postTarget = testCallbackURL + "&method=POST"
	postSig := "t=1714979289,v0-hmac-sha256=" + sigPOST
	huge := strings.Repeat("x", MaxIncomingBody+1)
	tests := []struct {
		name    string
		r       *http.Request
		v       CallbackVerifier
		wantErr error
		status  int
	}{
		{name: "forged signature", r: newCallback(http.MethodGet, testCallbackURL, "t=1714979289,v0-hmac-sha256="+strings.Repeat("ab", 32), nil),
			wantErr: ErrSignatureMismatch, status: 401},
		{name: "tampered query", r: newCallback(http.MethodGet, strings.Replace(testCallbackURL, "order+42", "order+43", 1), headerGET, nil),
			wantErr: ErrSignatureMismatch, status: 401},
		{name: "wrong account", r: newCallback(http.MethodGet, testCallbackURL, headerGET, nil),
			v: CallbackVerifier{AccountID: "T87654321", Secret: testSecret}, wantErr: ErrSignatureMismatch, status: 401},
		{name: "stale", r: newCallback(http.MethodGet, testCallbackURL, headerGET, nil),
			v: verifierAt(testTime.Add(time.Hour)), wantErr: ErrSignatureStale, status: 401},
		{name: "unsigned", r: newCallback(http.MethodGet, testCallbackURL, "", nil), wantErr: ErrSignatureMissing, status: 401},
		{name: "wrong method", r: newCallback(http.MethodPut, testCallbackURL, headerGET, nil), wantErr: ErrMethodNotAllowed, status: 405},
		{name: "oversized body", r: newCallback(http.MethodPost, postTarget, postSig, strings.NewReader(huge)), wantErr: ErrRequestTooLarge, status: 413},
		{name: "oversized body without Content-Length", r: func() *http.Request {
			r := newCallback(http.MethodPost, postTarget, postSig, io.NopCloser(strings.NewReader(huge)))
			r.ContentLength = -1
			return r
		}(), wantErr: ErrRequestTooLarge, status: 413},
		{name: "body is not JSON", r: newCallback(http.MethodPost, postTarget, postSig, strings.NewReader(`{"id":`)), wantErr: ErrInvalidRequest, status: 400},
		{name: "body of the wrong type", r: newCallback(http.MethodPost, postTarget, postSig, strings.NewReader(`{"amount":"lots"}`)), wantErr: ErrInvalidRequest, status: 400},
		{name: "no session id", r: signedCallback(http.MethodGet, "https://merchant.example.com/cb?transaction_id=T1.a", nil), wantErr: ErrInvalidRequest, status: 400},
		{name: "no transaction id and no error", r: signedCallback(http.MethodGet, "https://merchant.example.com/cb?session_id=T1.s", nil), wantErr: ErrInvalidRequest, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.v
			if v.AccountID == "" {
				v = verifierAt(testTime.Add(30 * time.Second))
			}
			cb, err := v.Parse(tt.r)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Nil(t, cb)
			assert.Equal(t, tt.status, HTTPStatus(err))
			assert.NotErrorIs(t, err, ErrMisconfigured)
			assertNoSecrets(t, err)
		})
	}
}

// TestParseConfigErrors: a verifier that cannot work says so, whatever the request, and never
// as a signature problem that would blame Dintero.
func TestParseConfigErrors(t *testing.T) {
	r := newCallback(http.MethodGet, testCallbackURL, headerGET, nil)
	for name, v := range map[string]CallbackVerifier{
		"empty secret":             {AccountID: testAccount},
		"empty account":            {Secret: testSecret},
		"account with a hyphen":    {AccountID: "T-12345678", Secret: testSecret},
		"account of seven digits":  {AccountID: "T1234567", Secret: testSecret},
		"lower-case prefix":        {AccountID: "t12345678", Secret: testSecret},
		"secret in the account id": {AccountID: testSecret, Secret: testAccount},
		"negative tolerance":       {AccountID: testAccount, Secret: testSecret, Tolerance: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			for _, verify := range []func(*http.Request) error{
				v.Verify,
				func(r *http.Request) error { _, err := v.Parse(r); return err },
				func(r *http.Request) error { _, err := v.Parse(r.WithContext(r.Context())); return err },
			} {
				err := verify(r)
				require.ErrorIs(t, err, ErrMisconfigured)
				assert.NotErrorIs(t, err, ErrInvalidSignature)
				assert.Equal(t, http.StatusInternalServerError, HTTPStatus(err))
				assert.NotContains(t, err.Error(), testSecret)
			}
			// Also for a request that is wrong in every other way.
			_, err := v.Parse(httptest.NewRequest(http.MethodDelete, "/", nil))
			assert.ErrorIs(t, err, ErrMisconfigured)
		})
	}
	_, err := verifierAt(testTime).Parse(nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidSignature)
}

// TestParseBehindStripPrefix mounts the callback handler as applications do, under a prefix that
// http.StripPrefix removes and a mux that routes on the rewritten path, and sends it callbacks
// signed for the public URL over real HTTP.
func TestParseBehindStripPrefix(t *testing.T) {
	var verifier CallbackVerifier
	var got *Callback
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dintero/callback", func(w http.ResponseWriter, r *http.Request) {
		cb, err := verifier.Parse(r)
		if err != nil {
			http.Error(w, err.Error(), HTTPStatus(err))
			return
		}
		got = cb
	})
	srv := httptest.NewServer(http.StripPrefix("/shop/api", mux))
	defer srv.Close()
	verifier = CallbackVerifier{AccountID: testAccount, Secret: testSecret, Host: "merchant.example.com"}

	send := func(target string, sign func(*http.Request)) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+target, nil)
		require.NoError(t, err)
		sign(req)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	const target = "/shop/api/dintero/callback?transaction_id=T12345678.a&session_id=T12345678.b&merchant_reference=a%20b"
	signPublic := func(req *http.Request) {
		public, _ := http.NewRequest(http.MethodGet, "https://merchant.example.com"+target, nil)
		req.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, public, time.Now()))
	}
	require.Equal(t, http.StatusOK, send(target, signPublic))
	require.NotNil(t, got)
	assert.Equal(t, "a b", got.MerchantReference)

	// Signed for the stripped path, as a verifier reading r.URL would have wanted: refused.
	signStripped := func(req *http.Request) {
		stripped, _ := http.NewRequest(http.MethodGet, "https://merchant.example.com"+strings.TrimPrefix(target, "/shop/api"), nil)
		req.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, stripped, time.Now()))
	}
	assert.Equal(t, http.StatusUnauthorized, send(target, signStripped))
}

func TestParseAbsoluteFormRequestURI(t *testing.T) {
	// A proxy may send the absolute form; only the path and query count.
	r := newCallback(http.MethodGet, testCallbackURL, headerGET, nil)
	r.URL = &url.URL{Path: "/rewritten"}
	require.Equal(t, testCallbackURL, r.RequestURI)
	_, err := verifierAt(testTime).Parse(r)
	require.NoError(t, err)
}

func TestCallbackIdempotencyKey(t *testing.T) {
	parse := func(target string, at time.Time, delivery string) *Callback {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, r, at))
		r.Header.Set("Event-Delivery", delivery)
		cb, err := verifierAt(at).Parse(r)
		require.NoError(t, err)
		return cb
	}
	const paid = "https://m.example/cb?transaction_id=T1.t&session_id=T1.s&merchant_reference=r&time=2024-05-06T07:08:09Z"
	first := parse(paid, testTime, "delivery-1")
	retry := parse(paid, testTime.Add(10*time.Minute), "delivery-2")
	assert.Equal(t, first.IdempotencyKey(), retry.IdempotencyKey(), "a retry, signed later with another delivery id, is the same callback")
	assert.Equal(t, "session_id=T1.s&transaction_id=T1.t", first.IdempotencyKey())

	capture := parse(paid+"&event=CAPTURE&event_id=3", testTime, "delivery-3")
	refund := parse(paid+"&event=REFUND&event_id=4", testTime, "delivery-4")
	keys := map[string]bool{first.IdempotencyKey(): true, capture.IdempotencyKey(): true, refund.IdempotencyKey(): true}
	assert.Len(t, keys, 3, "events of one transaction have their own keys")

	// Values cannot run into each other.
	a := parse("https://m.example/cb?transaction_id=T1.t%26event%3DX&session_id=T1.s", testTime, "")
	b := parse("https://m.example/cb?transaction_id=T1.t&event=X&session_id=T1.s", testTime, "")
	assert.NotEqual(t, a.IdempotencyKey(), b.IdempotencyKey())
}

func TestHTTPStatus(t *testing.T) {
	assert.Equal(t, 200, HTTPStatus(nil))
	assert.Equal(t, 500, HTTPStatus(errors.New("other")))
	assert.Equal(t, 500, HTTPStatus(ErrMisconfigured))
	assert.Equal(t, 401, HTTPStatus(ErrSignatureStale))
	assert.Equal(t, 400, HTTPStatus(ErrInvalidRequest))
	assert.Equal(t, 405, HTTPStatus(ErrMethodNotAllowed))
	assert.Equal(t, 413, HTTPStatus(ErrRequestTooLarge))
}
