package cyberflextest_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

const (
	visa       = "4111111111111111"
	amex       = "378282246310005"
	notLuhn    = "4111111111111112"
	pageOrigin = "https://shop.example"
)

func jwtAuth() cyberflex.Option { return cyberflex.WithJWT(merchant, keyID, secret) }

func jwtServer(t *testing.T, opts ...cyberflextest.Option) *cyberflextest.Server {
	return newServer(t, append([]cyberflextest.Option{cyberflextest.WithJWT(merchant, keyID, secret)}, opts...)...)
}

func microformRequest() cyberflex.MicroformRequest {
	return cyberflex.MicroformRequest{
		TargetOrigins:       []string{pageOrigin, "http://localhost:3000"},
		AllowedCardNetworks: []cyberflex.CardNetwork{cyberflex.CardNetworkVisa, cyberflex.CardNetworkMastercard},
		ClientVersion:       "v2.0",
	}
}

// The server side of the flow: a Flex API capture context, card data encrypted to its one-time
// key, a transient token signed with that key.
func TestTokenizeAgainstTheFake(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	ctx := context.Background()

	cc, err := c.GenerateCaptureContext(ctx, cardRequest())
	require.NoError(t, err)
	assert.Equal(t, "api-0.1.0", cc.Type())

	tt, err := c.Tokenize(ctx, cc, cyberflex.CardData(visa, "12", "2031", "123"))
	require.NoError(t, err)
	claims := tt.Claims
	assert.Equal(t, cc.Claims.Tokenization.JWK.KeyID, claims.KeyID)
	assert.Equal(t, "Flex/08", claims.Issuer)
	assert.Equal(t, "api-0.1.0", claims.Type)
	assert.Len(t, claims.ID, 64)
	assert.Equal(t, testNow, claims.IssuedAt.UTC())
	assert.Equal(t, 15*time.Minute, claims.ExpiresAt.Sub(claims.IssuedAt))
	assert.Equal(t, cyberflex.CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "12", ExpirationYear: "2031", Type: "001"}, claims.Card)
	assert.JSONEq(t, `{}`, string(mustMember(t, claims.Raw["content"], "paymentInformation", "card", "securityCode")), "captured, not shown")
	assert.Equal(t, 1, csrv.Calls(cyberflextest.OpTokenize))

	// The token verifies against the capture context, as returned and as a saved string.
	for name, cc := range map[string]*cyberflex.CaptureContext{"returned": cc, "saved": {Token: cc.Token}} {
		got, err := c.VerifyTransientToken(ctx, cc, tt.Token)
		require.NoError(t, err, name)
		assert.Equal(t, claims, got.Claims, name)
	}
}

func mustMember(t *testing.T, raw json.RawMessage, path ...string) json.RawMessage {
	t.Helper()
	for _, name := range path {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(raw, &m), "at %s", name)
		raw = m[name]
	}
	return raw
}

// The page side: a Microform capture context names the fake's stand-in script and its real SRI
// hash; TokenizeCard plays Microform; the server verifies what the page posts back.
func TestMicroformAgainstTheFake(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	ctx := context.Background()

	cc, err := c.GenerateMicroformContext(ctx, microformRequest())
	require.NoError(t, err)
	assert.Equal(t, "mf-2.0.0", cc.Type())
	assert.Equal(t, csrv.URL+"/microform/bundle/v2.0/flex-microform.min.js", cc.ClientLibrary())
	assert.Equal(t, []string{pageOrigin, "http://localhost:3000"}, cc.TargetOrigins())
	assert.Equal(t, []cyberflex.CardNetwork{cyberflex.CardNetworkVisa, cyberflex.CardNetworkMastercard}, cc.AllowedCardNetworks())
	assert.Equal(t, []cyberflex.PaymentType{cyberflex.PaymentTypeCard}, cc.AllowedPaymentTypes())
	assert.Equal(t, cyberflex.CaptureContextIssuer, cc.Claims.Issuer)
	assert.Equal(t, 15*time.Minute, cc.Claims.ExpiresAt.Sub(cc.Claims.IssuedAt))

	// The integrity is the real SRI hash of the script served at clientLibrary.
	script := send(t, mustRequest(t, http.MethodGet, cc.ClientLibrary()))
	require.Equal(t, http.StatusOK, script.status)
	assert.Equal(t, "application/javascript", script.header.Get("Content-Type"))
	sum := sha256.Sum256(script.body)
	assert.Equal(t, "sha256-"+base64.StdEncoding.EncodeToString(sum[:]), cc.ClientLibraryIntegrity())
	assert.Equal(t, cyberflextest.MicroformScriptIntegrity, cc.ClientLibraryIntegrity())
	assert.Contains(t, string(script.body), "window.Flex")

	token, err := csrv.TokenizeCard(cc.Token, cyberflextest.Card{Number: visa, SecurityCode: "123", ExpirationMonth: "01", ExpirationYear: "2030"})
	require.NoError(t, err)
	tt, err := c.VerifyTransientToken(ctx, &cyberflex.CaptureContext{Token: cc.Token}, token)
	require.NoError(t, err)
	assert.Equal(t, "mf-2.0.0", tt.Claims.Type)
	assert.Equal(t, cyberflex.CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "01", ExpirationYear: "2030", Type: "001"}, tt.Claims.Card)
	b, err := json.Marshal(tt.TokenInformation())
	require.NoError(t, err)
	assert.JSONEq(t, `{"transientTokenJwt":"`+token+`"}`, string(b))
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}

func TestMicroformCardPrefix(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth())
	yes, no := true, false
	for name, tc := range map[string]struct {
		prefix *bool
		want   string
	}{"absent": {nil, "411111"}, "true": {&yes, "41111111"}, "false": {&no, ""}} {
		t.Run(name, func(t *testing.T) {
			req := microformRequest()
			req.IncludeCardPrefix = tc.prefix
			cc, err := c.GenerateMicroformContext(context.Background(), req)
			require.NoError(t, err)
			token, err := csrv.TokenizeCard(cc.Token, cyberflextest.Card{Number: visa})
			require.NoError(t, err)
			tt, err := c.VerifyTransientToken(context.Background(), cc, token)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tt.Claims.Card.BIN)
		})
	}
}

func TestTokenizeCardRefusals(t *testing.T) {
	now := testNow
	csrv := newServer(t, cyberflextest.WithJWT(merchant, keyID, secret), cyberflextest.WithClock(func() time.Time { return now }))
	c := newClient(t, csrv, jwtAuth())
	cc, err := c.GenerateMicroformContext(context.Background(), microformRequest())
	require.NoError(t, err)
	other, err := csrv.IssueCaptureContext([]string{"paymentInformation.card.number"}, nil)
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		cc   string
		card cyberflextest.Card
		want string
	}{
		"network not allowed": {cc.Token, cyberflextest.Card{Number: amex}, "not one the capture context allows (VISA, MASTERCARD)"},
		"not a card number":   {cc.Token, cyberflextest.Card{Number: notLuhn}, "not a valid card number"},
		"no number":           {cc.Token, cyberflextest.Card{SecurityCode: "123"}, "paymentInformation.card.number: missing"},
		"bad month":           {cc.Token, cyberflextest.Card{Number: visa, ExpirationMonth: "13"}, "must be a month from 01 to 12"},
		"bad security code":   {cc.Token, cyberflextest.Card{Number: visa, SecurityCode: "12"}, "must be 3 or 4 digits"},
		"not issued here":     {other[:len(other)-2] + "xx", cyberflextest.Card{Number: visa}, "not a capture context this server issued"},
		"not a JWT":           {"not-a-jwt", cyberflextest.Card{Number: visa}, "not a compact JWT"},
		"field not listed":    {other, cyberflextest.Card{Number: visa, SecurityCode: "123"}, "paymentInformation.card.securityCode: not a field of the capture context"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := csrv.TokenizeCard(tc.cc, tc.card)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			if tc.card.Number != "" {
				assert.NotContains(t, err.Error(), tc.card.Number[6:])
			}
		})
	}

	now = testNow.Add(15 * time.Minute)
	_, err = csrv.TokenizeCard(cc.Token, cyberflextest.Card{Number: visa})
	require.ErrorContains(t, err, "CAPTURE_CONTEXT_EXPIRED")
}

// The tokens endpoint, spoken to directly: what it refuses, in the documented error shape.
func TestTokensEndpoint(t *testing.T) {
	csrv := jwtServer(t)
	v := specValidator(t)
	c := newClient(t, csrv, jwtAuth())
	cc, err := c.GenerateCaptureContext(context.Background(), cardRequest())
	require.NoError(t, err)
	jwk := cc.Claims.Tokenization.JWK
	key := &jose.JSONWebKey{}
	require.NoError(t, key.UnmarshalJSON(mustJSON(t, jwk)))

	encryptTo := func(kid, plaintext string) string {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: key.Key, KeyID: kid}, nil)
		require.NoError(t, err)
		obj, err := enc.Encrypt([]byte(plaintext))
		require.NoError(t, err)
		s, err := obj.CompactSerialize()
		require.NoError(t, err)
		return s
	}
	payload := func(context, data string) string {
		return `{"context":` + string(mustJSON(t, context)) + `,"data":` + data + `,"index":0}`
	}
	card := `{"paymentInformation":{"card":{"number":"` + visa + `","expirationMonth":"12","expirationYear":"2031"}}}`
	post := func(body string) answer {
		req, err := http.NewRequest(http.MethodPost, csrv.URL+"/flex/v2/tokens", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/jwt")
		return send(t, req)
	}

	ok := post(encryptTo(jwk.KeyID, payload(cc.Token, card)))
	require.Equal(t, http.StatusCreated, ok.status, "%s", ok.body)
	assert.Equal(t, "application/jwt", ok.header.Get("Content-Type"))
	checkAnswer(t, v, http.MethodPost, "/flex/v2/tokens", ok)
	_, err = c.VerifyTransientToken(context.Background(), cc, string(ok.body))
	require.NoError(t, err)

	for name, tc := range map[string]struct {
		body, reason, inMessage string
	}{
		"not a JWE":         {"a.b.c.d.e", "CAPTURE_CONTEXT_INVALID", "not a compact JWE"},
		"unknown kid":       {encryptTo("nobody", payload(cc.Token, card)), "CAPTURE_CONTEXT_INVALID", "is the flx.jwk.kid of no capture context"},
		"other context":     {encryptTo(jwk.KeyID, payload("x.y.z", card)), "CAPTURE_CONTEXT_INVALID", "context is not the capture context"},
		"not the plaintext": {encryptTo(jwk.KeyID, `{"data":{}}`), "CAPTURE_CONTEXT_INVALID", "plaintext is not"},
		"required missing": {encryptTo(jwk.KeyID, payload(cc.Token, `{"paymentInformation":{"card":{"number":"`+visa+`"}}}`)),
			"UNIFIEDPAYMENTS_VALIDATION_FIELDS", "Invalid data"},
		"leaf not a string": {encryptTo(jwk.KeyID, payload(cc.Token, `{"paymentInformation":{"card":{"number":4111}}}`)),
			"UNIFIEDPAYMENTS_VALIDATION_FIELDS", "paymentInformation.card.number is not a string"},
	} {
		t.Run(name, func(t *testing.T) {
			a := post(tc.body)
			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			checkAnswer(t, v, http.MethodPost, "/flex/v2/tokens", a)
			e := decodeError(t, a)
			assert.Equal(t, tc.reason, e.Reason)
			assert.Contains(t, e.Message, tc.inMessage)
			assert.NotContains(t, string(a.body), visa)
		})
	}
	a := post(encryptTo(jwk.KeyID, payload(cc.Token, `{"paymentInformation":{"card":{"number":"`+visa+`"}}}`)))
	e := decodeError(t, a)
	assert.Len(t, e.Details, 2, "one detail per missing field: %s", a.body)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestMicroformSessionRefusals(t *testing.T) {
	csrv := jwtServer(t)
	v := specValidator(t)
	signer := cyberflex.JWTSigner{MerchantID: merchant, KeyID: keyID, SecretKey: secret, Now: fixedClock(testNow)}
	for name, tc := range map[string]struct {
		body, location, message string
	}{
		"http origin": {`{"targetOrigins":["http://shop.example"],"allowedCardNetworks":["VISA"]}`, "targetOrigin", "Target Origin[0] cannot use http protocol unless the host is localhost"},
		"wildcard":    {`{"targetOrigins":["https://*.shop.example"],"allowedCardNetworks":["VISA"]}`, "targetOrigin", "Target Origin[0] cannot contain a wildcard"},
		"no network":  {`{"targetOrigins":["https://shop.example"]}`, "allowedCardNetworks", "At least one card network is required"},
		"ten origins": {`{"targetOrigins":["https://a.example","https://b.example","https://c.example","https://d.example","https://e.example","https://f.example","https://g.example","https://h.example","https://i.example","https://j.example"],"allowedCardNetworks":["VISA"]}`, "targetOrigins", "maximum number of items is 9"},
		"bad network": {`{"targetOrigins":["https://shop.example"],"allowedCardNetworks":["VISAA"]}`, "allowedCardNetworks.0", "value is not one of the allowed values"},
	} {
		t.Run(name, func(t *testing.T) {
			req := newRequest(t, csrv, http.MethodPost, "/microform/v2/sessions", []byte(tc.body))
			require.NoError(t, signer.Sign(req, []byte(tc.body)))
			a := send(t, req)
			require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
			checkAnswer(t, v, http.MethodPost, "/microform/v2/sessions", a)
			var body struct {
				ResponseStatus struct {
					Status        int
					Reason        string
					Message       string
					CorrelationID string
					Details       []struct{ Location, Message string }
				}
			}
			require.NoError(t, json.Unmarshal(a.body, &body))
			rs := body.ResponseStatus
			assert.Equal(t, 400, rs.Status)
			assert.Equal(t, "VALIDATION_ERROR", rs.Reason)
			assert.Equal(t, "One or more validation errors occurred", rs.Message)
			assert.Equal(t, a.header.Get("v-c-correlation-id"), rs.CorrelationID)
			require.NotEmpty(t, rs.Details)
			assert.Equal(t, tc.location, rs.Details[0].Location)
			assert.Contains(t, rs.Details[0].Message, tc.message)
		})
	}
}

// WithoutHTTPSignature rehearses CyberSource's retirement of HTTP Signature: the same key id and
// secret work with JWT only.
func TestWithoutHTTPSignature(t *testing.T) {
	for name, srvOpts := range map[string][]cyberflextest.Option{
		"configured credentials": {cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret), cyberflextest.WithoutHTTPSignature()},
		"default credentials":    {cyberflextest.WithoutHTTPSignature()},
	} {
		t.Run(name, func(t *testing.T) {
			csrv := newServer(t, srvOpts...)
			m, k, s := merchant, keyID, secret
			if name == "default credentials" {
				m, k, s = cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret
			}
			old := newClient(t, csrv, cyberflex.WithHTTPSignature(m, k, s))
			_, err := old.GenerateCaptureContext(context.Background(), cardRequest())
			var apiErr *cyberflex.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
			assert.Contains(t, apiErr.Message, "use cyberflex.WithJWT with the same key id and shared secret")

			moved := newClient(t, csrv, cyberflex.WithJWT(m, k, s))
			_, err = moved.GenerateCaptureContext(context.Background(), cardRequest())
			require.NoError(t, err)
		})
	}
	// Without the option the same HTTP Signature client passes: the refusal is the option's.
	csrv := newServer(t)
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
	require.NoError(t, err)
}

func TestCardPrintsMasked(t *testing.T) {
	card := cyberflextest.Card{Number: visa, SecurityCode: "987", ExpirationMonth: "12", ExpirationYear: "2031"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := sprintf(verb, card)
		assert.NotContains(t, out, "41111111", verb)
		assert.NotContains(t, out, "987", verb)
	}
	assert.Contains(t, card.String(), "XXXXXXXXXXXX1111")
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }

// Faults reach the new operations too: a tokenization whose connection drops is not repeated.
func TestTokenizeFault(t *testing.T) {
	csrv := jwtServer(t)
	c := newClient(t, csrv, jwtAuth(), cyberflex.WithMaxRetries(3))
	cc, err := c.GenerateCaptureContext(context.Background(), cardRequest())
	require.NoError(t, err)
	csrv.Inject(cyberflextest.OpTokenize, cyberflextest.Fault{Drop: true})
	_, err = c.Tokenize(context.Background(), cc, cyberflex.CardData(visa, "12", "2031", ""))
	require.Error(t, err)
	assert.Equal(t, 1, csrv.Calls(cyberflextest.OpTokenize), "not repeated once the JWE may have arrived")

	csrv.Inject(cyberflextest.OpGenerateMicroformContext, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
	_, err = c.GenerateMicroformContext(context.Background(), microformRequest())
	require.NoError(t, err, "a 503 of the session call is retried")
	assert.Equal(t, 2, csrv.Calls(cyberflextest.OpGenerateMicroformContext))
}
