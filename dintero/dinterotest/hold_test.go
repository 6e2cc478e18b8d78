package dinterotest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

func TestHoldPaymentThenApprove(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	req := newSession("order-hold")
	req.URL.CallbackURL = dintero.Ptr("https://shop.example/callback")
	id := create(t, newClient(t, srv, creds), req)

	tx, err := srv.HoldPayment(id)
	require.NoError(t, err)
	sess, _ := srv.Session(id)
	assert.Equal(t, tx, sess.GetTransactionID())
	assert.Equal(t, dintero.StatusOnHold, dintero.StatusOf(&sess, clk.Now()))

	cb, err := srv.CallbackRequest(id)
	require.NoError(t, err, "an on-hold session has a callback")
	assert.Equal(t, tx, cb.URL.Query().Get("transaction_id"))

	_, err = srv.CompletePayment(id)
	require.Error(t, err, "an on-hold session is paid already")
	_, err = srv.HoldPayment(id)
	require.Error(t, err)

	clk.Advance(time.Minute)
	require.NoError(t, srv.ResolveHold(id, true))
	sess, _ = srv.Session(id)
	assert.Equal(t, dintero.StatusAuthorized, dintero.StatusOf(&sess, clk.Now()))
	assert.Equal(t, clk.Now(), *sess.UpdatedAt)
	last := sess.Events[len(sess.Events)-1]
	assert.Equal(t, dintero.SessionEventNameAUTHORIZED, *last.Name)
	assert.Equal(t, int64(29900), *last.Details.Amount)

	assert.ErrorContains(t, srv.ResolveHold(id, true), "is not on hold", "the hold is over")
}

func TestHoldPaymentThenFail(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	id := create(t, newClient(t, srv, creds), newSession("order-hold-fails"))
	_, err := srv.HoldPayment(id)
	require.NoError(t, err)
	require.NoError(t, srv.ResolveHold(id, false))
	sess, _ := srv.Session(id)
	assert.Equal(t, dintero.StatusFailed, dintero.StatusOf(&sess, time.Now()))
}

func TestHoldPaymentRefuses(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	_, err := srv.HoldPayment(dinterotest.DefaultAccountID + ".unknown")
	assert.ErrorContains(t, err, "no session")
	assert.ErrorContains(t, srv.ResolveHold(dinterotest.DefaultAccountID+".unknown", true), "no session")

	created := create(t, c, newSession("never-held"))
	assert.ErrorContains(t, srv.ResolveHold(created, true), "is not on hold")

	_, err = c.CancelSession(context.Background(), created)
	require.NoError(t, err)
	_, err = srv.HoldPayment(created)
	assert.ErrorContains(t, err, "cancelled")
	sess, _ := srv.Session(created)
	assert.Nil(t, sess.TransactionID, "nothing changes")
}

// The callback of a held payment reaches the merchant like any other.
func TestHoldPaymentCallback(t *testing.T) {
	got := make(chan *http.Request, 1)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r }))
	defer merchant.Close()
	srv := dinterotest.NewServer(dinterotest.WithCallbackSecret(callbackSecret))
	defer srv.Close()
	req := newSession("order-held-callback")
	req.URL.CallbackURL = dintero.Ptr(merchant.URL + "/cb")
	id := create(t, newClient(t, srv, creds), req)
	tx, err := srv.HoldPayment(id)
	require.NoError(t, err)
	resp, err := srv.SendCallback(context.Background(), id)
	require.NoError(t, err)
	resp.Body.Close()
	r := <-got
	assert.Equal(t, tx, r.URL.Query().Get("transaction_id"))
	v := dintero.CallbackVerifier{AccountID: dinterotest.DefaultAccountID, Secret: callbackSecret}
	assert.NoError(t, v.Verify(r))
}
