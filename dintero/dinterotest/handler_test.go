package dinterotest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// TestNewHandler serves the fake on a server of the test's own, with a page of its own beside
// the API: the session URL of a create call points to that server.
func TestNewHandler(t *testing.T) {
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	defer hs.Close()
	srv := dinterotest.NewHandler(hs.URL + "/")
	defer srv.Close()
	mux.Handle("/", srv.Handler())
	mux.HandleFunc("GET /v1/view/{id}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("own page of " + r.PathValue("id")))
	})

	assert.Equal(t, hs.URL+"/v1", srv.URL)
	c, err := dintero.New(creds, dintero.WithBaseURL(srv.URL))
	require.NoError(t, err)
	created, err := c.CreateSession(context.Background(), newSession("handler-1"))
	require.NoError(t, err)
	assert.Equal(t, hs.URL+"/v1/view/"+created.GetID(), created.GetURL())

	resp, err := http.Get(created.GetURL())
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "own page of "+created.GetID(), string(body))

	_, err = srv.HTTPServer().Client().Get(srv.HTTPServer().URL + "/v1/sessions")
	assert.Error(t, err, "the listener NewServer opened is closed")
}

func TestNewHandlerRefusesBadBaseURLs(t *testing.T) {
	for _, base := range []string{"", "127.0.0.1:8080", "ftp://h", "http://", "http://h/v1", "http://h?x=1", "http://u:p@h"} {
		assert.PanicsWithValue(t, "dinterotest: NewHandler: base URL \""+base+"\" is not http(s)://host[:port]",
			func() { dinterotest.NewHandler(base) }, base)
	}
}

func TestOperations(t *testing.T) {
	ops := dinterotest.Operations()
	assert.Equal(t, []dinterotest.Operation{
		dinterotest.OpCancelSession, dinterotest.OpCreateAccessToken, dinterotest.OpCreatePaymentTokenSession,
		dinterotest.OpCreateSession, dinterotest.OpCreateSessionFromProfile, dinterotest.OpGetSession,
		dinterotest.OpListSessions, dinterotest.OpUpdateSession,
	}, ops)
	srv := dinterotest.NewServer()
	defer srv.Close()
	for _, op := range ops {
		assert.NotPanics(t, func() { srv.Inject(op, dinterotest.Fault{Status: 500}) }, op)
	}
}

func TestSessions(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	assert.Empty(t, srv.Sessions())
	c := newClient(t, srv, creds)
	first := create(t, c, newSession("first"))
	second := create(t, c, newSession("second"))
	_, err := srv.CompletePayment(first)
	require.NoError(t, err)

	all := srv.Sessions()
	require.Len(t, all, 2)
	assert.Equal(t, second, all[0].GetID(), "newest first")
	assert.Equal(t, first, all[1].GetID())
	assert.NotNil(t, all[1].TransactionID, "the stored state, after the payment")

	all[1].Order.MerchantReference = "changed by the caller"
	again, _ := srv.Session(first)
	assert.Equal(t, "first", again.Order.MerchantReference, "Sessions returns copies")
}
