package cyberflextest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// TestNewHandler serves the fake on a server of the test's own: the capture contexts name that
// server as their origin and verify with the keys it serves.
func TestNewHandler(t *testing.T) {
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux)
	defer hs.Close()
	srv := cyberflextest.NewHandler(hs.URL)
	defer srv.Close()
	mux.Handle("/", srv.Handler())
	assert.Equal(t, hs.URL, srv.URL)

	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(srv.URL),
	)
	require.NoError(t, err)
	ctx := context.Background()
	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	require.NoError(t, err)
	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	require.NoError(t, err)
	assert.Equal(t, hs.URL, verified.Claims.Tokenization.Origin)
	assert.Equal(t, 1, srv.Calls(cyberflextest.OpGenerateCaptureContext))

	_, err = http.Get(srv.HTTPServer().URL + "/flex/v2/public-keys/x")
	assert.Error(t, err, "the listener NewServer opened is closed")
}

func TestNewHandlerRefusesBadBaseURLs(t *testing.T) {
	for _, base := range []string{"", "localhost:1", "ftp://h", "http://h/flex", "http://h#x"} {
		assert.PanicsWithValue(t, "cyberflextest: NewHandler: base URL \""+base+"\" is not http(s)://host[:port]",
			func() { cyberflextest.NewHandler(base) }, base)
	}
}

func TestOperations(t *testing.T) {
	ops := cyberflextest.Operations()
	assert.Equal(t, []cyberflextest.Operation{cyberflextest.OpGenerateCaptureContext, cyberflextest.OpGenerateMicroformContext,
		cyberflextest.OpGetPublicKey, cyberflextest.OpTokenize}, ops)
	srv := cyberflextest.NewServer()
	defer srv.Close()
	for _, op := range ops {
		assert.NotPanics(t, func() { srv.Inject(op, cyberflextest.Fault{Status: 500}) }, op)
	}
}
