package cyberflex_test

// The fault suite: the client against servers that fail in every way a network and CyberSource
// can, each row asserting the exact outcome (the capture context, or the error's type and
// sentinel), how many requests the server received, and that no request is repeated that must
// not be. Both calls of this client may be retried after a connection error or a
// 429/502/503/504 (issuing a capture context has no effect beyond a token left to expire, and
// the key fetch is a GET); a 500, any other status, and a body that fails to arrive are final.
//
// Four tables:
//   - TestFaultsInjected: faults the fake (cyberflextest) injects;
//   - TestFaultsOnTheWire: nothing listening, a body cut off, a redirect to another host,
//     unknown claims in a capture context;
//   - TestFaultsRetryAfter: Retry-After waits on synctest's fake clock;
//   - TestFaultsForgedCaptureContexts: every known forgery against VerifyCaptureContext,
//     with the key served over HTTP and the key fetches counted.
//
// FaultSuiteFastRetries (faults_internal_test.go) shortens the waits between retries to
// microseconds; the number of retries is the client's default (2) unless a row says otherwise.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/wiretest"
)

const fltHTML = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n" +
	"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

// fltRequest asks for the card number (required) and security code (optional).
func fltRequest() cyberflex.CaptureContextRequest {
	return cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required(), SecurityCode: cyberflex.Optional()})
}

// fltSigAuth is the fake's default shared-secret key, used with HTTP Signature.
func fltSigAuth() cyberflex.Option {
	return cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret)
}

// fltNewClient returns a client of baseURL with auth, waits between retries shortened.
func fltNewClient(t *testing.T, baseURL string, auth cyberflex.Option, opts ...cyberflex.Option) *cyberflex.Client {
	t.Helper()
	c, err := cyberflex.New(append([]cyberflex.Option{auth, cyberflex.WithBaseURL(baseURL), cyberflex.FaultSuiteFastRetries}, opts...)...)
	require.NoError(t, err)
	return c
}

// fltWantAPIError wants an *APIError of op with status and a one-line, bounded message.
func fltWantAPIError(t *testing.T, err error, op string, status int) *cyberflex.APIError {
	t.Helper()
	var apiErr *cyberflex.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, status, apiErr.StatusCode)
	assert.Equal(t, op, apiErr.Operation)
	assert.LessOrEqual(t, len(apiErr.Body), httpx.MaxBodySize, "the body is read through the limit")
	msg := err.Error()
	assert.NotContains(t, msg, "\n")
	assert.Less(t, len(msg), 600, "an error message stays short whatever the body: %.700s", msg)
	assert.Contains(t, msg, fmt.Sprintf("HTTP %d", status))
	return apiErr
}

// fltWantError wants an error that is not an *APIError, starts with prefix and wraps every
// target.
func fltWantError(t *testing.T, err error, prefix string, targets ...error) {
	t.Helper()
	require.Error(t, err)
	var apiErr *cyberflex.APIError
	assert.NotErrorAs(t, err, &apiErr, "not an API answer")
	for _, target := range targets {
		assert.ErrorIs(t, err, target)
	}
	assert.True(t, strings.HasPrefix(err.Error(), prefix), "error %q does not start with %q", err, prefix)
	assert.NotErrorIs(t, err, cyberflex.ErrInvalidInput, "a fault is not invalid input")
}

// fltWantCC wants a capture context that asks for the fields of fltRequest.
func fltWantCC(t *testing.T, cc *cyberflex.CaptureContext, err error) {
	t.Helper()
	require.NoError(t, err)
	require.NotNil(t, cc)
	assert.Equal(t, cyberflex.CaptureContextIssuer, cc.Claims.Issuer)
	require.Len(t, cc.Claims.Settings, 1)
	assert.Equal(t, []string{"paymentInformation.card.number"}, cc.Claims.Settings[0].Data.RequiredFields)
	assert.Equal(t, []string{"paymentInformation.card.securityCode"}, cc.Claims.Settings[0].Data.OptionalFields)
}

// TestFaultsInjected runs each fault the fake can inject against both calls. Every row gets a
// fresh fake and a fresh client, so no connection or key is reused from an earlier row.
func TestFaultsInjected(t *testing.T) {
	const (
		gen = cyberflextest.OpGenerateCaptureContext
		key = cyberflextest.OpGetPublicKey
	)
	status := func(code, times int, header ...string) cyberflextest.Fault {
		f := cyberflextest.Fault{Status: code, Times: times}
		if len(header) == 2 {
			f.Header = http.Header{header[0]: {header[1]}}
		}
		return f
	}
	body := func(code int, contentType, b string) cyberflextest.Fault {
		return cyberflextest.Fault{Status: code, Body: b, Header: http.Header{"Content-Type": {contentType}}}
	}
	oversized := strings.Repeat("a", httpx.MaxBodySize+1)
	oversizedError := `{"reason":"X","message":"` + strings.Repeat("m", httpx.MaxBodySize) + `"}`
	const (
		generatePrefix = "cyberflex: GenerateCaptureContext: "
		keyPrefix      = "cyberflex: fetching capture context verification key failed"
	)

	type env struct {
		srv   *cyberflextest.Server
		token string // a capture context the fake issued, for the verify rows
	}
	tests := []struct {
		name    string
		op      cyberflextest.Operation // the operation the faults are injected into and the row calls
		faults  func(e env) []cyberflextest.Fault
		auth    cyberflex.Option // nil: the fake's default key, HTTP Signature
		noRetry bool
		timeout time.Duration
		want    int // requests of op the server received
		check   func(t *testing.T, e env, cc *cyberflex.CaptureContext, err error)
	}{
		// GenerateCaptureContext.
		{
			name: "generate: connection dropped once, then issued", op: gen, want: 2,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{{Drop: true}} },
			check:  func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "generate: connection dropped on every attempt", op: gen, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{{Drop: true, Times: 5}} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix, io.EOF)
				assert.Nil(t, cc)
			},
		},
		{
			name: "generate: server hangs, the deadline ends the call", op: gen, want: 1, timeout: 50 * time.Millisecond,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{{Delay: time.Hour, Times: 3}} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix, context.DeadlineExceeded)
			},
		},
		{
			name: "generate: two 502s, then issued", op: gen, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(502, 2)} },
			check:  func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "generate: two 503s, then issued", op: gen, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(503, 2)} },
			check:  func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "generate: a 504, a 429 with Retry-After: 0, then issued", op: gen, want: 3,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{status(504, 1), status(429, 1, "Retry-After", "0")}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "generate: 503 outlasts the retries", op: gen, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(503, 5)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 503)
				assert.Equal(t, "SERVICE_UNAVAILABLE", apiErr.Reason, "the last answer's body is decoded")
			},
		},
		{
			name: "generate: retries switched off", op: gen, want: 1, noRetry: true,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(502, 1)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantAPIError(t, err, "GenerateCaptureContext", 502)
			},
		},
		{
			name: "generate: 429 with a Retry-After date already past is retried", op: gen, want: 2,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{status(429, 1, "Retry-After", "Sun, 06 Nov 1994 08:49:37 GMT")}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "generate: 429 asking for an hour is returned at once", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(429, 3, "Retry-After", "3600")} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantAPIError(t, err, "GenerateCaptureContext", 429)
			},
		},
		{
			name: "generate: 500 with an HTML body is final", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{body(500, "text/html", fltHTML)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 500)
				assert.Equal(t, fltHTML, string(apiErr.Body), "the raw body is kept")
				assert.Empty(t, apiErr.Reason)
				assert.Contains(t, err.Error(), `HTTP 500 Internal Server Error: unexpected body "<html> <head><title>500 Internal Server Error</title></head>`)
			},
		},
		{
			name: "generate: 400 with a body larger than the limit", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(400, "application/json", oversizedError)}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 400)
				assert.Len(t, apiErr.Body, httpx.MaxBodySize, "the body is cut at the limit")
				assert.Empty(t, apiErr.Message, "a cut body is not decoded")
			},
		},
		{
			name: "generate: 400 with unknown members keeps them", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(400, "application/json",
					`{"reason":"FUTURE_REASON","message":"m","status":"INVALID_REQUEST","submitTimeUtc":"2026-11-21T12:00:00Z","details":[{"field":"f","location":"l","newKey":1}],"futureMember":{"x":1}}`)}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 400)
				assert.Equal(t, "FUTURE_REASON", apiErr.Reason, "an unknown reason is kept")
				assert.Equal(t, "m", apiErr.Message)
				require.Len(t, apiErr.Details, 1)
				assert.Equal(t, "l", *apiErr.Details[0].Location)
				assert.Contains(t, string(apiErr.Body), `"futureMember":{"x":1}`)
			},
		},
		{
			name: "generate: wrong credentials, 401 is final", op: gen, want: 1,
			auth: cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, base64.StdEncoding.EncodeToString([]byte("not the shared secret, 32 bytes!"))),
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 401)
				assert.True(t, strings.HasPrefix(apiErr.Message, "Authentication Failed"), "the gateway's rmsg: %q", apiErr.Message)
			},
		},
		{
			name: "generate: 201 with a truncated token", op: gen, want: 1,
			faults: func(e env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(201, "application/jwt", e.token[:strings.IndexByte(e.token, '.')+30])}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix+"HTTP 201 answer (", cyberflex.ErrCaptureContextMalformed)
				assert.Nil(t, cc)
			},
		},
		{
			name: "generate: 201 with a body larger than the limit", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{body(201, "application/jwt", oversized)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix, httpx.ErrBodyTooLarge)
				assert.Equal(t, fmt.Sprintf("%sHTTP 201 answer: response body too large: more than %d bytes", generatePrefix, httpx.MaxBodySize), err.Error())
			},
		},
		{
			name: "generate: 201 JSON object instead of a JWT (wrong content type)", op: gen, want: 1,
			faults: func(e env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(201, "application/json", `{"captureContext":"`+e.token+`"}`)}
			},
			check: func(t *testing.T, e env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix+"HTTP 201 answer (", cyberflex.ErrCaptureContextMalformed)
				assert.Contains(t, err.Error(), `Content-Type "application/json") is not a capture context JWT`)
				assert.NotContains(t, err.Error(), e.token[:40], "the token is not repeated")
			},
		},
		{
			name: "generate: 201 HTML page (wrong content type)", op: gen, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{body(201, "text/html", fltHTML)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, generatePrefix+"HTTP 201 answer (", cyberflex.ErrCaptureContextMalformed)
			},
		},
		{
			name: "generate: 201 JWT as a JSON string labelled application/json is read", op: gen, want: 1,
			faults: func(e env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(201, "application/json; charset=utf-8", `"`+e.token+`"`+"\n")}
			},
			check: func(t *testing.T, e env, cc *cyberflex.CaptureContext, err error) {
				require.NoError(t, err)
				assert.Equal(t, e.token, cc.Token, "quotes and newline removed")
			},
		},
		// VerifyCaptureContext: the public key fetch.
		{
			name: "key: connection dropped once, then served", op: key, want: 2,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{{Drop: true}} },
			check:  func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "key: two 503s, then served", op: key, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(503, 2)} },
			check:  func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
		{
			name: "key: 502 outlasts the retries: a fetch failure, not an invalid token", op: key, want: 3,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(502, 5)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantAPIError(t, err, "GetPublicKey", 502)
				assert.ErrorIs(t, err, cyberflex.ErrKeyFetch)
				assert.NotErrorIs(t, err, cyberflex.ErrInvalidCaptureContext, "the token may be fine")
			},
		},
		{
			name: "key: server hangs, the deadline ends the call", op: key, want: 1, timeout: 50 * time.Millisecond,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{{Delay: time.Hour, Times: 3}} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, keyPrefix, cyberflex.ErrKeyFetch, context.DeadlineExceeded)
				assert.NotErrorIs(t, err, cyberflex.ErrInvalidCaptureContext)
			},
		},
		{
			name: "key: 500 with an HTML body is final", op: key, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{body(500, "text/html", fltHTML)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				apiErr := fltWantAPIError(t, err, "GetPublicKey", 500)
				assert.Equal(t, fltHTML, string(apiErr.Body))
				assert.ErrorIs(t, err, cyberflex.ErrKeyFetch)
			},
		},
		{
			name: "key: 404 means an unknown kid: the token is invalid", op: key, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{status(404, 1)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantAPIError(t, err, "GetPublicKey", 404)
				assert.ErrorIs(t, err, cyberflex.ErrUnknownKeyID)
				assert.ErrorIs(t, err, cyberflex.ErrInvalidCaptureContext)
			},
		},
		{
			name: "key: 200 with truncated JSON", op: key, want: 1,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(200, "application/json", `{"kty":"RSA","use":"enc","kid":"3g","n":"vgbXTHKJ`)}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, keyPrefix, cyberflex.ErrKeyFetch)
				assert.Contains(t, err.Error(), "cyberflex: GetPublicKey: HTTP 200 answer (49 bytes, Content-Type \"application/json\") is not a JWK")
			},
		},
		{
			name: "key: 200 with a body larger than the limit", op: key, want: 1,
			faults: func(env) []cyberflextest.Fault {
				return []cyberflextest.Fault{body(200, "application/json", oversized)}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, keyPrefix, cyberflex.ErrKeyFetch, httpx.ErrBodyTooLarge)
			},
		},
		{
			name: "key: 200 HTML page (wrong content type)", op: key, want: 1,
			faults: func(env) []cyberflextest.Fault { return []cyberflextest.Fault{body(200, "text/html", fltHTML)} },
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) {
				fltWantError(t, err, keyPrefix, cyberflex.ErrKeyFetch)
			},
		},
		{
			name: "key: a JWK with unknown members is used", op: key, want: 1,
			faults: func(e env) []cyberflextest.Fault {
				kid, pub := e.srv.PublicKey()
				b, err := jose.JSONWebKey{Key: pub, KeyID: kid, Use: "enc"}.MarshalJSON()
				if err != nil {
					panic(err)
				}
				withExtra := strings.TrimSuffix(string(b), "}") + `,"future_member":{"x":1},"key_ops":["verify"]}`
				return []cyberflextest.Fault{body(200, "application/json", withExtra)}
			},
			check: func(t *testing.T, _ env, cc *cyberflex.CaptureContext, err error) { fltWantCC(t, cc, err) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cyberflextest.NewServer()
			t.Cleanup(srv.Close)
			t.Cleanup(srv.HTTPServer().CloseClientConnections)
			token, err := srv.IssueCaptureContext([]string{"paymentInformation.card.number"}, []string{"paymentInformation.card.securityCode"})
			require.NoError(t, err)
			e := env{srv: srv, token: token}

			auth := tt.auth
			if auth == nil {
				auth = fltSigAuth()
			}
			var opts []cyberflex.Option
			if tt.noRetry {
				opts = append(opts, cyberflex.WithMaxRetries(0))
			}
			c := fltNewClient(t, srv.URL, auth, opts...)
			if tt.faults != nil {
				for _, f := range tt.faults(e) {
					srv.Inject(tt.op, f)
				}
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			start := time.Now()
			var cc *cyberflex.CaptureContext
			if tt.op == key {
				cc, err = c.VerifyCaptureContext(ctx, token)
			} else {
				cc, err = c.GenerateCaptureContext(ctx, fltRequest())
			}
			elapsed := time.Since(start)

			tt.check(t, e, cc, err)
			if err != nil {
				assert.Nil(t, cc, "no value with an error")
			}
			assert.Equal(t, tt.want, srv.Calls(tt.op), "requests of %s the server received", tt.op)
			if tt.op == key {
				assert.Zero(t, srv.Calls(gen), "verifying issues nothing")
			} else {
				assert.Zero(t, srv.Calls(key), "issuing fetches no key")
			}
			if tt.timeout > 0 {
				assert.Less(t, elapsed, 10*time.Second, "the call ends with its deadline, not with the server")
			}
		})
	}
}

// fltKeys are the RSA keys the forged and hand-made capture contexts are signed with,
// generated once (key generation is slow under -race).
var fltKeys = sync.OnceValue(func() (k struct{ cs, attacker, weak *rsa.PrivateKey }) {
	var err error
	if k.cs, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.attacker, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.weak, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
		panic(err)
	}
	return k
})

// fltNow is the clock of the hand-made capture contexts' clients: fltIat + 60 s.
var fltNow = time.Date(2026, 11, 21, 12, 18, 15, 0, time.UTC)

const fltIat = 1795263435 // 2026-11-21T12:17:15Z

// fltClaims is a Flex API capture context's payload with extra members spliced in before iss.
func fltClaims(iss string, iat, exp int64, extra string) string {
	return `{"flx":{"path":"/flex/v2/tokens","data":"NTaTH27q\u003d","origin":"https://testflex.cybersource.com",` +
		`"jwk":{"kty":"RSA","e":"AQAB","use":"enc","n":"vgbXTHKJ","kid":"00SvIaGIfyaw897rDeG9eFdODKaCKc1q"}},` +
		`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number"],"optionalFields":["paymentInformation.card.securityCode"]},"type":"api-0.1.0"}],` +
		extra + fmt.Sprintf(`"iss":%q,"exp":%d,"iat":%d,"jti":"rOAksGcp8Bgg6WLj"}`, iss, exp, iat)
}

func fltValidClaims() string { return fltClaims("Flex API", fltIat, fltIat+900, "") }

// fltSign signs payload as a compact JWS with alg and key; headers are extra protected headers
// (kid among them).
func fltSign(t *testing.T, alg jose.SignatureAlgorithm, key any, payload string, headers map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	for k, v := range headers {
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	require.NoError(t, err)
	jws, err := signer.Sign([]byte(payload))
	require.NoError(t, err)
	tok, err := jws.CompactSerialize()
	require.NoError(t, err)
	return tok
}

func fltB64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// fltKeyServer publishes keys at /flex/v2/public-keys/{kid} like CyberSource (404 for others)
// and answers POST /flex/v2/sessions with issue, when set.
func fltKeyServer(t *testing.T, keys map[string]any, issue string) *wiretest.Server {
	return wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Method == http.MethodPost && r.URL.Path == "/flex/v2/sessions" && issue != "" {
			w.Header().Set("Content-Type", "application/jwt")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, issue)
			return
		}
		kid, ok := strings.CutPrefix(r.URL.Path, "/flex/v2/public-keys/")
		key, known := keys[kid]
		if r.Method != http.MethodGet || !ok || !known {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"reason":"NOT_FOUND","message":"Key not found"}`)
			return
		}
		b, err := jose.JSONWebKey{Key: key, KeyID: kid, Use: "enc"}.MarshalJSON()
		if !assert.NoError(t, err) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
}

// fltP12 is a PKCS#12 file with a throwaway key and a certificate whose subject serialNumber
// is the JWT kid.
var fltP12 = sync.OnceValue(func() []byte {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: "faults", SerialNumber: "7000000000000000000001"},
		NotBefore:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, "faults-p12-password")
	if err != nil {
		panic(err)
	}
	return pfx
})

// TestFaultsOnTheWire covers the faults only a raw server (or no server) can produce.
func TestFaultsOnTheWire(t *testing.T) {
	validToken := func(t *testing.T) string {
		return fltSign(t, jose.RS256, fltKeys().cs, fltValidClaims(), map[string]any{"kid": "3g"})
	}

	t.Run("connection refused", func(t *testing.T) {
		t.Run("generate", func(t *testing.T) {
			var dials wiretest.Dials
			c := fltNewClient(t, wiretest.RefusedURL(t), fltSigAuth(), cyberflex.WithHTTPClient(dials.Client()))
			cc, err := c.GenerateCaptureContext(context.Background(), fltRequest())
			fltWantError(t, err, "cyberflex: GenerateCaptureContext: ", syscall.ECONNREFUSED)
			assert.Nil(t, cc)
			assert.EqualValues(t, 3, dials.N.Load(), "connections attempted: 1 + 2 retries")
		})
		t.Run("key", func(t *testing.T) {
			var dials wiretest.Dials
			c := fltNewClient(t, wiretest.RefusedURL(t), fltSigAuth(), cyberflex.WithHTTPClient(dials.Client()), cyberflex.WithClock(func() time.Time { return fltNow }))
			_, err := c.VerifyCaptureContext(context.Background(), validToken(t))
			fltWantError(t, err, "cyberflex: fetching capture context verification key failed", cyberflex.ErrKeyFetch, syscall.ECONNREFUSED)
			assert.NotErrorIs(t, err, cyberflex.ErrInvalidCaptureContext)
			assert.EqualValues(t, 3, dials.N.Load())
		})
	})

	t.Run("connection lost mid-body", func(t *testing.T) {
		t.Run("generate", func(t *testing.T) {
			tok := validToken(t)
			srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				assert.NoError(t, wiretest.CutBody(w, http.StatusCreated, "application/jwt", tok[:50]))
			})
			c := fltNewClient(t, srv.URL, fltSigAuth())
			_, err := c.GenerateCaptureContext(context.Background(), fltRequest())
			fltWantError(t, err, "cyberflex: GenerateCaptureContext: reading response body: unexpected EOF", io.ErrUnexpectedEOF)
			assert.Equal(t, 3, srv.Count("/flex/v2/sessions"), "a lost answer is asked for again: issuing a capture context is safe to repeat")
		})
		t.Run("key", func(t *testing.T) {
			srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				assert.NoError(t, wiretest.CutBody(w, http.StatusOK, "application/json", `{"kty":"RSA","n":"vg`))
			})
			c := fltNewClient(t, srv.URL, fltSigAuth(), cyberflex.WithClock(func() time.Time { return fltNow }))
			_, err := c.VerifyCaptureContext(context.Background(), validToken(t))
			fltWantError(t, err, "cyberflex: fetching capture context verification key failed", cyberflex.ErrKeyFetch, io.ErrUnexpectedEOF)
			assert.Equal(t, 3, srv.Count("/flex/v2/public-keys/3g"), "a GET whose body fails mid-read is retried")
		})
		t.Run("error answer", func(t *testing.T) {
			srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				assert.NoError(t, wiretest.CutBody(w, http.StatusBadRequest, "application/json", `{"reason":"INVALID_APIK`))
			})
			c := fltNewClient(t, srv.URL, fltSigAuth())
			_, err := c.GenerateCaptureContext(context.Background(), fltRequest())
			apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", 400)
			assert.Equal(t, `{"reason":"INVALID_APIK`, string(apiErr.Body), "what arrived is kept; the status is not lost")
		})
	})

	// A redirect is answered as an error and never followed, so no credential reaches the other
	// host. The other host is named "localhost" rather than 127.0.0.1, so it differs by name as
	// well as by port.
	t.Run("redirect to another host", func(t *testing.T) {
		credentialHeaders := []string{"Authorization", "Signature", "V-C-Merchant-Id", "Digest"}
		auths := map[string]cyberflex.Option{
			"HTTP Signature": fltSigAuth(),
			"JWT":            cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
			"JWT P12":        cyberflex.WithJWTP12(cyberflextest.DefaultMerchantID, fltP12(), "faults-p12-password"),
			"bearer":         cyberflex.WithAccessToken("oauth-bearer-token-must-stay"),
		}
		for name, auth := range auths {
			for _, tc := range []struct {
				name   string
				hc     *http.Client
				status int
			}{
				{"default client", nil, http.StatusTemporaryRedirect},
				{"caller's client follows redirects", &http.Client{}, http.StatusFound},
			} {
				t.Run(name+", "+tc.name, func(t *testing.T) {
					other := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
						w.WriteHeader(http.StatusCreated)
						_, _ = io.WriteString(w, "stolen")
					})
					_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
					srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
						http.Redirect(w, r, "http://localhost:"+port+r.URL.Path, tc.status)
					})
					var opts []cyberflex.Option
					if tc.hc != nil {
						opts = append(opts, cyberflex.WithHTTPClient(tc.hc))
					}
					c := fltNewClient(t, srv.URL, auth, opts...)
					_, err := c.GenerateCaptureContext(context.Background(), fltRequest())
					fltWantAPIError(t, err, "GenerateCaptureContext", tc.status)
					assert.Equal(t, 1, srv.Total(), "a redirect is not retried")
					assert.Equal(t, 0, other.Total(), "the other host received nothing")
					for _, h := range other.Headers() {
						for _, hn := range credentialHeaders {
							assert.Empty(t, h.Get(hn), "%s reached the other host", hn)
						}
					}
				})
			}
		}
		t.Run("key fetch", func(t *testing.T) {
			other := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {})
			_, port, _ := net.SplitHostPort(other.Listener.Addr().String())
			srv := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				http.Redirect(w, r, "http://localhost:"+port+r.URL.Path, http.StatusMovedPermanently)
			})
			c := fltNewClient(t, srv.URL, fltSigAuth(), cyberflex.WithClock(func() time.Time { return fltNow }))
			_, err := c.VerifyCaptureContext(context.Background(), validToken(t))
			fltWantAPIError(t, err, "GetPublicKey", http.StatusMovedPermanently)
			assert.ErrorIs(t, err, cyberflex.ErrKeyFetch)
			assert.Equal(t, 0, other.Total(), "the key is only ever fetched from the configured host")
		})
	})

	// Claims and ctx members the SDK does not know, and a ctx type it has never seen, are kept:
	// in the raw Token (the JWT is passed on unchanged) and in SettingsData.Extra.
	t.Run("unknown claims and ctx members are kept", func(t *testing.T) {
		payload := `{"flx":{"path":"/flex/v2/tokens","data":"ZA==","origin":"https://testflex.cybersource.com",` +
			`"jwk":{"kty":"RSA","e":"AQAB","use":"enc","n":"vgbX","kid":"k1"},"future_flx":true},` +
			`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number"],"clientLibrary":"https://flex.example/v9.js",` +
			`"targetOrigins":["https://shop.example"],"futureSetting":{"a":[1,2]}},"type":"mf-9.9.9","futureCtx":1}],` +
			`"future_claim":{"nested":"value"},` + fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":"j1"}`, fltIat+900, fltIat)
		tok := fltSign(t, jose.RS256, fltKeys().cs, payload, map[string]any{"kid": "3g", "future_header": "h"})
		srv := fltKeyServer(t, map[string]any{"3g": &fltKeys().cs.PublicKey}, tok)
		c := fltNewClient(t, srv.URL, fltSigAuth(), cyberflex.WithClock(func() time.Time { return fltNow }))

		issued, err := c.GenerateCaptureContext(context.Background(), fltRequest())
		require.NoError(t, err)
		verified, err := c.VerifyCaptureContext(context.Background(), issued.Token)
		require.NoError(t, err)
		for name, cc := range map[string]*cyberflex.CaptureContext{"issued": issued, "verified": verified} {
			assert.Equal(t, tok, cc.Token, "%s: the token is passed on unchanged", name)
			seg := strings.Split(cc.Token, ".")[1]
			raw, err := base64.RawURLEncoding.DecodeString(seg)
			require.NoError(t, err)
			assert.Contains(t, string(raw), `"future_claim":{"nested":"value"}`, name)
			require.Len(t, cc.Claims.Settings, 1, name)
			ctx := cc.Claims.Settings[0]
			assert.Equal(t, "mf-9.9.9", ctx.Type, "%s: an unknown ctx type is kept", name)
			assert.Equal(t, []string{"paymentInformation.card.number"}, ctx.Data.RequiredFields, name)
			assert.JSONEq(t, `"https://flex.example/v9.js"`, string(ctx.Data.Extra["clientLibrary"]), name)
			assert.JSONEq(t, `["https://shop.example"]`, string(ctx.Data.Extra["targetOrigins"]), name)
			assert.JSONEq(t, `{"a":[1,2]}`, string(ctx.Data.Extra["futureSetting"]), name)
			assert.Equal(t, "3g", cc.Claims.KeyID, name)
		}
		assert.Equal(t, 1, srv.Count("/flex/v2/public-keys/3g"))
	})
}

// TestFaultsRetryAfter checks that Retry-After, as seconds and as an HTTP date, is waited for
// exactly, and not at all when the wait would outlast the caller's deadline or the SDK's limit
// (60 s). It runs on synctest's fake clock with the client's real backoff (a first backoff of
// 250 to 500 ms, below every Retry-After here, so the wait is the server's).
func TestFaultsRetryAfter(t *testing.T) {
	const (
		sessionsPath = "/flex/v2/sessions"
		keyPath      = "/flex/v2/public-keys/3g"
	)
	inSeconds := func(s string) func() string { return func() string { return s } }
	asDate := func(d time.Duration) func() string {
		return func() string { return time.Now().Add(d).UTC().Format(http.TimeFormat) }
	}
	tests := []struct {
		name        string
		path        string
		status      int
		retryAfter  func() string
		limited     int
		deadline    time.Duration
		wantGaps    []time.Duration
		wantOK      bool
		wantElapsed time.Duration
	}{
		{name: "generate: Retry-After in seconds", path: sessionsPath, status: 429, retryAfter: inSeconds("7"), limited: 1,
			wantGaps: []time.Duration{7 * time.Second}, wantOK: true, wantElapsed: 7 * time.Second},
		{name: "generate: Retry-After as an HTTP date", path: sessionsPath, status: 429, retryAfter: asDate(10 * time.Second), limited: 1,
			wantGaps: []time.Duration{10 * time.Second}, wantOK: true, wantElapsed: 10 * time.Second},
		{name: "generate: 503 with Retry-After twice, then issued", path: sessionsPath, status: 503, retryAfter: inSeconds("2"), limited: 2,
			wantGaps: []time.Duration{2 * time.Second, 2 * time.Second}, wantOK: true, wantElapsed: 4 * time.Second},
		{name: "generate: Retry-After beyond the caller's deadline is not waited for", path: sessionsPath, status: 429,
			retryAfter: inSeconds("7"), limited: 1, deadline: 5 * time.Second},
		{name: "generate: Retry-After date beyond the SDK's limit is not waited for", path: sessionsPath, status: 503,
			retryAfter: asDate(90 * time.Second), limited: 1},
		{name: "key: Retry-After as an HTTP date", path: keyPath, status: 429, retryAfter: asDate(3 * time.Second), limited: 1,
			wantGaps: []time.Duration{3 * time.Second}, wantOK: true, wantElapsed: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				now := time.Now() // the bubble's clock
				tok := fltSign(t, jose.RS256, fltKeys().cs, fltClaims("Flex API", now.Unix(), now.Unix()+900, ""), map[string]any{"kid": "3g"})
				jwk, err := jose.JSONWebKey{Key: &fltKeys().cs.PublicKey, KeyID: "3g"}.MarshalJSON()
				require.NoError(t, err)
				srv := &wiretest.MemServer{Serve: func(w http.ResponseWriter, r *http.Request, attempt int) {
					switch {
					case r.URL.Path == tt.path && attempt <= tt.limited:
						w.Header().Set("Retry-After", tt.retryAfter())
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(tt.status)
						_, _ = io.WriteString(w, `{"reason":"SLOW_DOWN","message":"slow down"}`)
					case r.URL.Path == keyPath:
						w.Header().Set("Content-Type", "application/json")
						_, _ = w.Write(jwk)
					default:
						w.Header().Set("Content-Type", "application/jwt")
						w.WriteHeader(http.StatusCreated)
						_, _ = io.WriteString(w, tok)
					}
				}}
				c, err := cyberflex.New(fltSigAuth(), cyberflex.WithHTTPClient(&http.Client{Transport: srv}))
				require.NoError(t, err)
				ctx := context.Background()
				if tt.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.deadline)
					defer cancel()
				}
				start := time.Now()
				if tt.path == keyPath {
					_, err = c.VerifyCaptureContext(ctx, tok)
				} else {
					_, err = c.GenerateCaptureContext(ctx, fltRequest())
				}
				elapsed := time.Since(start)
				if tt.wantOK {
					require.NoError(t, err)
				} else {
					apiErr := fltWantAPIError(t, err, "GenerateCaptureContext", tt.status)
					assert.Equal(t, "SLOW_DOWN", apiErr.Reason)
				}
				n, gaps := srv.Gaps(tt.path)
				assert.Equal(t, tt.wantGaps, gaps, "waits between the attempts, on the fake clock")
				assert.Equal(t, len(tt.wantGaps)+1, n, "attempts")
				assert.Equal(t, tt.wantElapsed, elapsed)
			})
		})
	}
}

// TestFaultsForgedCaptureContexts presents VerifyCaptureContext with every forgery a verifier must
// reject (and a few more that a verifier trusting the token's own header would fall
// for). The verification keys are served over HTTP like CyberSource's; each row counts the key
// fetches, which shows where the check happens: a forgery recognisable from the token alone
// costs no request, and a bad signature costs exactly one re-fetch (in case the key rotated).
func TestFaultsForgedCaptureContexts(t *testing.T) {
	k := fltKeys()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(&k.cs.PublicKey)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	attackerJWK := jose.JSONWebKey{Key: &k.attacker.PublicKey, KeyID: "3g"}

	valid := fltSign(t, jose.RS256, k.cs, fltValidClaims(), map[string]any{"kid": "3g"})
	parts := strings.Split(valid, ".")
	flippedSig := func() string {
		sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
		sig[len(sig)/2] ^= 0x80
		return base64.RawURLEncoding.EncodeToString(sig)
	}()
	elsewhere := wiretest.NewServer(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		b, _ := attackerJWK.MarshalJSON()
		_, _ = w.Write(b)
	})

	tests := []struct {
		name    string
		token   string
		want    error // nil: accepted
		fetches map[string]int
	}{
		{name: "genuine (control)", token: valid, fetches: map[string]int{"3g": 1}},
		{name: "alg none, signature removed", token: fltB64(`{"kid":"3g","alg":"none"}`) + "." + parts[1] + ".",
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "alg none, signature kept", token: fltB64(`{"kid":"3g","alg":"none"}`) + "." + parts[1] + "." + parts[2],
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "alg None (case variant)", token: fltB64(`{"kid":"3g","alg":"None"}`) + "." + parts[1] + ".",
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "HS256 keyed with the published public key (key confusion)",
			token: fltSign(t, jose.HS256, pubPEM, fltValidClaims(), map[string]any{"kid": "3g"}), want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "RS384 by the right key", token: fltSign(t, jose.RS384, k.cs, fltValidClaims(), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "RS512 by the right key", token: fltSign(t, jose.RS512, k.cs, fltValidClaims(), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "PS256 by the right key", token: fltSign(t, jose.PS256, k.cs, fltValidClaims(), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "ES256 by an attacker's key", token: fltSign(t, jose.ES256, ecKey, fltValidClaims(), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "alg given twice, RS256 last", token: fltB64(`{"alg":"none","kid":"3g","alg":"RS256"}`) + "." + parts[1] + "." + parts[2],
			want: cyberflex.ErrCaptureContextMalformed},
		{name: "alg given twice, none last", token: fltB64(`{"alg":"RS256","kid":"3g","alg":"none"}`) + "." + parts[1] + ".",
			want: cyberflex.ErrUnsupportedAlgorithm},
		{name: "no kid", token: fltSign(t, jose.RS256, k.cs, fltValidClaims(), nil), want: cyberflex.ErrMissingKeyID},
		{name: "unknown kid", token: fltSign(t, jose.RS256, k.cs, fltValidClaims(), map[string]any{"kid": "zz"}),
			want: cyberflex.ErrUnknownKeyID, fetches: map[string]int{"zz": 1}},
		{name: "kid that tries to leave the key path", token: fltSign(t, jose.RS256, k.cs, fltValidClaims(), map[string]any{"kid": "../../sessions"}),
			want: cyberflex.ErrCaptureContextMalformed},
		{name: "signed by an attacker, attacker's key embedded in the header (jwk)",
			token: fltSign(t, jose.RS256, k.attacker, fltValidClaims(), map[string]any{"kid": "3g", "jwk": attackerJWK}),
			want:  cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "signed by an attacker, key URL in the header (jku, x5u)",
			token: fltSign(t, jose.RS256, k.attacker, fltValidClaims(), map[string]any{"kid": "3g", "jku": elsewhere.URL, "x5u": elsewhere.URL}),
			want:  cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "signed by another RSA key", token: fltSign(t, jose.RS256, k.attacker, fltValidClaims(), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "payload changed after signing (fields)",
			token: parts[0] + "." + fltB64(strings.Replace(fltValidClaims(), "card.number", "card.type", 1)) + "." + parts[2],
			want:  cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "payload changed after signing (exp extended)",
			token: parts[0] + "." + fltB64(fltClaims("Flex API", fltIat, fltIat+90000, "")) + "." + parts[2],
			want:  cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "signature bit flipped", token: parts[0] + "." + parts[1] + "." + flippedSig,
			want: cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "signature removed, alg RS256 kept", token: parts[0] + "." + parts[1] + ".",
			want: cyberflex.ErrCaptureContextSignature, fetches: map[string]int{"3g": 2}},
		{name: "signed by the 1024-bit key published for its kid",
			token: fltSign(t, jose.RS256, k.weak, fltValidClaims(), map[string]any{"kid": "wk"}),
			want:  cyberflex.ErrWeakKey, fetches: map[string]int{"wk": 1}},
		{name: "kid whose published key is an EC key",
			token: fltSign(t, jose.RS256, k.cs, fltValidClaims(), map[string]any{"kid": "ec"}),
			want:  cyberflex.ErrWeakKey, fetches: map[string]int{"ec": 1}},
		{name: "another Flex token (a transient token's issuer)",
			token: fltSign(t, jose.RS256, k.cs, fltClaims("Flex/08", fltIat, fltIat+900, ""), map[string]any{"kid": "3g"}),
			want:  cyberflex.ErrCaptureContextIssuer, fetches: map[string]int{"3g": 1}},
		{name: "no iss", token: fltSign(t, jose.RS256, k.cs, fmt.Sprintf(`{"exp":%d,"iat":%d}`, fltIat+900, fltIat), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextIssuer, fetches: map[string]int{"3g": 1}},
		{name: "expired", token: fltSign(t, jose.RS256, k.cs, fltClaims("Flex API", fltIat-1000, fltIat-100, ""), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextExpired, fetches: map[string]int{"3g": 1}},
		{name: "issued in the future", token: fltSign(t, jose.RS256, k.cs, fltClaims("Flex API", fltIat+3600, fltIat+4500, ""), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextNotYetValid, fetches: map[string]int{"3g": 1}},
		{name: "not valid before a time in the future",
			token: fltSign(t, jose.RS256, k.cs, fltClaims("Flex API", fltIat, fltIat+900, fmt.Sprintf(`"nbf":%d,`, fltIat+600)), map[string]any{"kid": "3g"}),
			want:  cyberflex.ErrCaptureContextNotYetValid, fetches: map[string]int{"3g": 1}},
		{name: "no exp", token: fltSign(t, jose.RS256, k.cs, fmt.Sprintf(`{"iss":"Flex API","iat":%d}`, fltIat), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextMalformed, fetches: map[string]int{"3g": 1}},
		{name: "exp as a string", token: fltSign(t, jose.RS256, k.cs, fmt.Sprintf(`{"iss":"Flex API","iat":%d,"exp":"%d"}`, fltIat, fltIat+900), map[string]any{"kid": "3g"}),
			want: cyberflex.ErrCaptureContextMalformed},
		{name: "JWS JSON serialization", token: `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`,
			want: cyberflex.ErrCaptureContextMalformed},
		{name: "five segments (a JWE)", token: valid + ".x.y", want: cyberflex.ErrCaptureContextMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := fltKeyServer(t, map[string]any{
				"3g": &k.cs.PublicKey, "wk": &k.weak.PublicKey, "ec": &ecKey.PublicKey,
			}, "")
			c := fltNewClient(t, srv.URL, fltSigAuth(), cyberflex.WithClock(func() time.Time { return fltNow }))
			cc, err := c.VerifyCaptureContext(context.Background(), tt.token)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.token, cc.Token)
			} else {
				require.Error(t, err, "forgery accepted")
				assert.Nil(t, cc)
				assert.ErrorIs(t, err, tt.want)
				assert.ErrorIs(t, err, cyberflex.ErrInvalidCaptureContext)
				assert.NotErrorIs(t, err, cyberflex.ErrKeyFetch, "a forgery is not a fetch failure")
				for _, seg := range strings.Split(tt.token, ".") {
					if len(seg) >= 16 {
						assert.NotContains(t, err.Error(), seg, "the error repeats the token")
					}
				}
			}
			total := 0
			for kid, n := range tt.fetches {
				assert.Equal(t, n, srv.Count("/flex/v2/public-keys/"+kid), "fetches of kid %s", kid)
				total += n
			}
			assert.Equal(t, total, srv.Total(), "requests the key server received")
			assert.Zero(t, elsewhere.Total(), "a key URL in the token is never followed")
		})
	}
}
