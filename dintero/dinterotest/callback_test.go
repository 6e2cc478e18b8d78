package dinterotest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

const callbackSecret = "callback-secret-for-tests"

// paidSession creates a session with callbackURL through the client and pays it.
func paidSession(t *testing.T, srv *dinterotest.Server, callbackURL string) (id, transactionID string) {
	t.Helper()
	req := newSession("order-42")
	req.URL.CallbackURL = &callbackURL
	id = create(t, newClient(t, srv, creds), req)
	transactionID, err := srv.CompletePayment(id)
	require.NoError(t, err)
	return id, transactionID
}

func TestCallbackRequest(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	id, tx := paidSession(t, srv, "https://shop.example/dintero/callback?shop=7")

	req, err := srv.CallbackRequest(id)
	require.NoError(t, err)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, "shop.example", req.Host)
	assert.Equal(t, "/dintero/callback", req.URL.Path)
	q := req.URL.Query()
	assert.Equal(t, url.Values{
		"shop":               {"7"},
		"transaction_id":     {tx},
		"session_id":         {id},
		"merchant_reference": {"order-42"},
		"time":               {"2025-03-14T09:26:53Z"},
	}, q)
	assert.Regexp(t, fmt.Sprintf(`^t=%d,v0-hmac-sha256=[0-9a-f]{64}$`, clk.Now().Unix()), req.Header.Get(dintero.SignatureHeader))

	v := dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret, Now: clk.Now}
	require.NoError(t, v.Verify(req))

	// A verifier with another secret or account, or later than the tolerance, refuses it.
	wrong := v
	wrong.Secret = "other"
	assert.ErrorIs(t, wrong.Verify(req), dintero.ErrSignatureMismatch)
	wrong = v
	wrong.AccountID = "T00000000"
	assert.ErrorIs(t, wrong.Verify(req), dintero.ErrSignatureMismatch)
	clk.Advance(6 * time.Minute)
	assert.ErrorIs(t, v.Verify(req), dintero.ErrSignatureStale)

	// Tampering with the query breaks the signature.
	req2, err := srv.CallbackRequest(id)
	require.NoError(t, err)
	tampered := req2.URL.Query()
	tampered.Set("transaction_id", "T12345678.forged")
	req2.URL.RawQuery = tampered.Encode()
	assert.ErrorIs(t, v.Verify(req2), dintero.ErrSignatureMismatch)
}

func TestCallbackRequestSidParameter(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	id, _ := paidSession(t, srv, "https://shop.example/cb?sid_parameter_name=sid")
	req, err := srv.CallbackRequest(id)
	require.NoError(t, err)
	assert.Equal(t, id, req.URL.Query().Get("sid"))
	assert.Empty(t, req.URL.Query().Get("session_id"))
	require.NoError(t, dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret}.Verify(req))
}

func TestCallbackRequestErrors(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	c := newClient(t, srv, creds)

	noCallback := create(t, c, newSession("order-1"))
	_, err := srv.CompletePayment(noCallback)
	require.NoError(t, err)
	_, err = srv.CallbackRequest(noCallback)
	assert.ErrorContains(t, err, "has no url.callback_url")

	req := newSession("order-2")
	req.URL.CallbackURL = dintero.Ptr("https://shop.example/cb")
	unpaid := create(t, c, req)
	_, err = srv.CallbackRequest(unpaid)
	assert.ErrorContains(t, err, "is not paid; call CompletePayment first")

	_, err = srv.CallbackRequest("T12345678.unknown")
	assert.ErrorContains(t, err, "no session")

	noSecret := dinterotest.NewServer()
	defer noSecret.Close()
	id, _ := paidSession(t, noSecret, "https://shop.example/cb")
	_, err = noSecret.CallbackRequest(id)
	assert.ErrorContains(t, err, "WithCallbackSecret")
	_, err = noSecret.SendCallback(context.Background(), id)
	assert.ErrorContains(t, err, "WithCallbackSecret")
}

func TestSendCallback(t *testing.T) {
	verifier := dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret}
	var received atomic.Int32
	var gotTransaction atomic.Value
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verifier.Verify(r); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		received.Add(1)
		gotTransaction.Store(r.URL.Query().Get("transaction_id"))
		w.WriteHeader(http.StatusOK)
	}))
	defer shop.Close()

	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	id, tx := paidSession(t, srv, shop.URL+"/callback")

	resp, err := srv.SendCallback(context.Background(), id)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int32(1), received.Load())
	assert.Equal(t, tx, gotTransaction.Load())

	// A receiver with the wrong secret refuses it.
	other := dinterotest.NewServer(dinterotest.WithCallbackSecret("not-the-shop-secret"))
	defer other.Close()
	otherID, _ := paidSession(t, other, shop.URL+"/callback")
	resp, err = other.SendCallback(context.Background(), otherID)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// The context is honoured.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = srv.SendCallback(ctx, id)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestSendCallbackOverTLS(t *testing.T) {
	verifier := dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret}
	shop := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verifier.Verify(r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer shop.Close()
	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret), dinterotest.WithCallbackClient(shop.Client()))
	defer srv.Close()
	id, _ := paidSession(t, srv, shop.URL+"/callback")
	resp, err := srv.SendCallback(context.Background(), id)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
}

// TestSignCallback checks SignCallback against a signature computed independently of this
// module:
// printf '%s' $'1714979289\nT12345678\nGET\nmerchant.example.com\n/dintero/callback\nmerchant_reference=order+42&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&time=2024-05-06T07%3A08%3A09.123Z&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb' | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
func TestSignCallback(t *testing.T) {
	const (
		target = "https://merchant.example.com:8443/dintero/callback" +
			"?transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb" +
			"&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH" +
			"&merchant_reference=order+42" +
			"&time=2024-05-06T07:08:09.123Z"
		want = "t=1714979289,v0-hmac-sha256=f1eb221905c22c9ade18bb4a4518983782ffd652f00bc589dbb4eeef4b2f8e24"
	)
	signedAt := time.Unix(1714979289, 0)

	r := httptest.NewRequest(http.MethodGet, target, nil)
	assert.Equal(t, want, dinterotest.SignCallback("s3cr3t-signing-key", "T12345678", r, signedAt.Add(999*time.Millisecond)),
		"the time is truncated to seconds")

	// An outgoing client request (r.Host set by http.NewRequest) signs the same way.
	c, err := http.NewRequest(http.MethodGet, target, nil)
	require.NoError(t, err)
	assert.Equal(t, want, dinterotest.SignCallback("s3cr3t-signing-key", "T12345678", c, signedAt))
	c.Host = ""
	assert.Equal(t, want, dinterotest.SignCallback("s3cr3t-signing-key", "T12345678", c, signedAt), "falls back to r.URL.Host")

	// dintero.CallbackVerifier accepts what SignCallback signs.
	v := dintero.CallbackVerifier{AccountID: "T12345678", Secret: "s3cr3t-signing-key", Now: func() time.Time { return signedAt }}
	r.Header.Set(dintero.SignatureHeader, dinterotest.SignCallback("s3cr3t-signing-key", "T12345678", r, signedAt))
	require.NoError(t, v.Verify(r))
}
