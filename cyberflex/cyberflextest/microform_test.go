package cyberflextest_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// The stand-in script served at clientLibrary is MicroformScript, and the integrity the capture
// contexts give is the SRI hash of exactly the bytes served, for GET and HEAD alike. Changing
// the exported copies changes nothing the server does.
func TestMicroformScriptServed(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	cc, err := c.GenerateMicroformContext(context.Background(), microformRequest())
	require.NoError(t, err)

	get := send(t, mustRequest(t, http.MethodGet, cc.ClientLibrary()))
	require.Equal(t, http.StatusOK, get.status)
	assert.Equal(t, cyberflextest.MicroformScript, string(get.body))
	sum := sha256.Sum256(get.body)
	assert.Equal(t, "sha256-"+base64.StdEncoding.EncodeToString(sum[:]), cyberflextest.MicroformScriptIntegrity)
	assert.Equal(t, cyberflextest.MicroformScriptIntegrity, cc.ClientLibraryIntegrity())
	assert.Equal(t, "*", get.header.Get("Access-Control-Allow-Origin"), "loadable with crossorigin=anonymous")
	for _, api := range []string{"new Flex(", "createField", "createToken", "RSA-OAEP-256", "A256GCM"} {
		assert.Contains(t, string(get.body), api)
	}

	head := send(t, mustRequest(t, http.MethodHead, cc.ClientLibrary()))
	assert.Equal(t, http.StatusOK, head.status)
	assert.Empty(t, head.body)
	assert.Equal(t, get.header.Get("Content-Length"), head.header.Get("Content-Length"))

	script, integrity := cyberflextest.MicroformScript, cyberflextest.MicroformScriptIntegrity
	t.Cleanup(func() { cyberflextest.MicroformScript, cyberflextest.MicroformScriptIntegrity = script, integrity })
	cyberflextest.MicroformScript, cyberflextest.MicroformScriptIntegrity = "changed", "sha256-changed"
	again := send(t, mustRequest(t, http.MethodGet, cc.ClientLibrary()))
	assert.Equal(t, script, string(again.body))
	cc2, err := c.GenerateMicroformContext(context.Background(), microformRequest())
	require.NoError(t, err)
	assert.Equal(t, integrity, cc2.ClientLibraryIntegrity())
}

// encryptFor returns the JWE a Microform page posts for card data: the plaintext
// {"context", "data", "index"} encrypted to the capture context's one-time key.
func encryptFor(t *testing.T, cc *cyberflex.CaptureContext, data string) string {
	t.Helper()
	key := &jose.JSONWebKey{}
	require.NoError(t, key.UnmarshalJSON(mustJSON(t, cc.Claims.Tokenization.JWK)))
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: key.Key, KeyID: cc.Claims.Tokenization.JWK.KeyID}, nil)
	require.NoError(t, err)
	obj, err := enc.Encrypt([]byte(`{"context":` + string(mustJSON(t, cc.Token)) + `,"data":` + data + `,"index":0}`))
	require.NoError(t, err)
	s, err := obj.CompactSerialize()
	require.NoError(t, err)
	return s
}

// A page posts the JWE itself, cross-origin: the preflight and the POST get CORS headers only
// for a target origin of a Microform capture context the server issued.
func TestTokensPreflight(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	preflight := func(origin, method, headers string, extra ...string) answer {
		req := mustRequest(t, http.MethodOptions, csrv.URL+"/flex/v2/tokens")
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", headers)
		for _, h := range extra {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		return send(t, req)
	}

	before := preflight(pageOrigin, "POST", "content-type")
	assert.Equal(t, http.StatusForbidden, before.status, "no capture context names the origin yet")
	assert.Empty(t, before.header.Get("Access-Control-Allow-Origin"))

	_, err := c.GenerateMicroformContext(context.Background(), microformRequest())
	require.NoError(t, err)
	ok := preflight(pageOrigin, "POST", "content-type,accept")
	require.Equal(t, http.StatusNoContent, ok.status, "%s", ok.body)
	assert.Equal(t, pageOrigin, ok.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "POST", ok.header.Get("Access-Control-Allow-Methods"))
	assert.Equal(t, "Content-Type, Accept", ok.header.Get("Access-Control-Allow-Headers"))
	assert.Equal(t, "600", ok.header.Get("Access-Control-Max-Age"))
	assert.Contains(t, ok.header.Values("Vary"), "Origin")
	assert.Empty(t, ok.header.Get("Access-Control-Allow-Private-Network"))
	assert.Equal(t, "http://localhost:3000", preflight("http://localhost:3000", "POST", "Content-Type").header.Get("Access-Control-Allow-Origin"))

	pna := preflight(pageOrigin, "POST", "content-type", "Access-Control-Request-Private-Network: true")
	assert.Equal(t, http.StatusNoContent, pna.status)
	assert.Equal(t, "true", pna.header.Get("Access-Control-Allow-Private-Network"))

	for name, a := range map[string]answer{
		"other origin": preflight("https://evil.example", "POST", "content-type"),
		"no origin":    preflight("", "POST", "content-type"),
		"other method": preflight(pageOrigin, "PUT", "content-type"),
		"other header": preflight(pageOrigin, "POST", "content-type, authorization"),
	} {
		assert.Equal(t, http.StatusForbidden, a.status, name)
		assert.Empty(t, a.header.Get("Access-Control-Allow-Origin"), name)
		assert.Contains(t, string(a.body), "CORS", name)
	}
	assert.Zero(t, csrv.Calls(cyberflextest.OpTokenize), "a preflight is no tokenization")
}

// The POST of a page is answered with CORS headers for a target origin, and tokenizes only for a
// target origin of the capture context the JWE is for; servers send no Origin and are not
// concerned.
func TestTokensFromAPage(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	ctx := context.Background()
	cc, err := c.GenerateMicroformContext(ctx, microformRequest())
	require.NoError(t, err)
	req := microformRequest()
	req.TargetOrigins = []string{"https://other-shop.example"}
	otherCC, err := c.GenerateMicroformContext(ctx, req)
	require.NoError(t, err)
	apiCC, err := c.GenerateCaptureContext(ctx, cardRequest())
	require.NoError(t, err)

	card := `{"paymentInformation":{"card":{"expirationMonth":"12","expirationYear":"2031","number":"` + visa + `","securityCode":"123"}}}`
	post := func(origin, jwe string) answer {
		r, err := http.NewRequest(http.MethodPost, csrv.URL+"/flex/v2/tokens", strings.NewReader(jwe))
		require.NoError(t, err)
		r.Header.Set("Content-Type", "application/jwt")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		return send(t, r)
	}

	ok := post(pageOrigin, encryptFor(t, cc, card))
	require.Equal(t, http.StatusCreated, ok.status, "%s", ok.body)
	assert.Equal(t, pageOrigin, ok.header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "v-c-correlation-id", ok.header.Get("Access-Control-Expose-Headers"))
	tt, err := c.VerifyTransientToken(ctx, cc, string(ok.body))
	require.NoError(t, err)
	assert.Equal(t, cyberflex.CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "12", ExpirationYear: "2031", Type: "001"}, tt.Claims.Card)

	server := post("", encryptFor(t, cc, card))
	assert.Equal(t, http.StatusCreated, server.status, "no Origin: a server, as cyberflex.Tokenize")
	assert.Empty(t, server.header.Get("Access-Control-Allow-Origin"))

	for name, tc := range map[string]struct {
		origin, jwe, inMessage, allowOrigin string
	}{
		"origin of no capture context": {"https://evil.example", encryptFor(t, cc, card), "the capture context's targetOrigins are https://shop.example, http://localhost:3000", ""},
		"origin of another one":        {"https://other-shop.example", encryptFor(t, cc, card), "posted the data; the capture context's targetOrigins", "https://other-shop.example"},
		"a Flex API capture context":   {pageOrigin, encryptFor(t, apiCC, `{"paymentInformation":{"card":{"number":"`+visa+`"}}}`), "Flex API capture context, which is for servers", pageOrigin},
	} {
		t.Run(name, func(t *testing.T) {
			a := post(tc.origin, tc.jwe)
			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			e := decodeError(t, a)
			assert.Equal(t, "CAPTURE_CONTEXT_INVALID", e.Reason)
			assert.Contains(t, e.Message, tc.inMessage)
			assert.Equal(t, tc.allowOrigin, a.header.Get("Access-Control-Allow-Origin"))
		})
	}
	assert.Equal(t, http.StatusCreated, post("https://other-shop.example", encryptFor(t, otherCC, card)).status)

	// An injected fault reaches the page too.
	csrv.Inject(cyberflextest.OpTokenize, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
	fault := post(pageOrigin, encryptFor(t, cc, card))
	assert.Equal(t, http.StatusServiceUnavailable, fault.status)
	assert.Equal(t, pageOrigin, fault.header.Get("Access-Control-Allow-Origin"))
}
