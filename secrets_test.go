package paysession_test

// TestSecretsNeverShow configures every secret both clients accept, drives every error path
// against hostile servers (which reflect the credentials they receive into their error bodies
// and headers), captures every error in every fmt form and every log line at debug level, and
// asserts that no secret appears anywhere, in any encoding a careless print could produce.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/davecgh/go-spew/spew"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// The secrets. Each is distinctive, so finding it in an output cannot be a coincidence.
const (
	secDinteroAccount      = "T12345678"
	secDinteroClientID     = "dintero-client-id" // not a secret
	secDinteroClientSecret = "DNT-client-secret-Q9x7Lw2Zp"
	secDinteroAccessToken  = "DNT-static-access-token-Hk3Jd"
	secDinteroAPIKey       = "DNT-api-key-Vm8Tq1Rr"
	secDinteroIssuedPrefix = "DNT-issued-bearer-" // + a counter: the tokens the hostile token endpoint issues
	secCallbackSecret      = "DNT-callback-secret-Pw4Yt"

	secCFMerchant     = "cf_merchant"                          // not a secret
	secCFKeyID        = "5a1f3c9e-0000-4000-8000-00000000c0de" // not a secret
	secCFSigSecretRaw = "CF-http-signature-secret-32bytes"     // decoded form (32 bytes)
	secCFJWTSecretRaw = "CF-jwt-hs256-shared-secret-32byt"     // decoded form (32 bytes)
	secCFBearer       = "CF-oauth-bearer-token-Lk2Mn"
	secCFP12Password  = "CF-p12-password-Gf6Ns"

	// Card data that cyberflex.Tokenize sends. The security code is short, so the outputs are
	// searched for it in the forms a peer echoes it in (secCardEcho), and the printed forms of a
	// TokenizeData for the code itself.
	secCardNumber = "4000056655665556"
	secCardCVV    = "7357"
)

// secCardEcho is how the hostile tokenization endpoint echoes the card it decrypted.
func secCardEcho(number, cvv string) string {
	return "card " + number + " cvv " + cvv + ` {"number":"` + number + `","securityCode":"` + cvv + `"}`
}

var (
	secCFSigSecret = base64.StdEncoding.EncodeToString([]byte(secCFSigSecretRaw))
	secCFJWTSecret = base64.StdEncoding.EncodeToString([]byte(secCFJWTSecretRaw))
)

// secP12 is a throwaway PKCS#12 file: a fresh RSA key and a self-signed certificate whose
// subject serialNumber is the JWT kid.
var secP12 = sync.OnceValues(func() (*rsa.PrivateKey, []byte) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99),
		Subject:      pkix.Name{CommonName: secCFMerchant, SerialNumber: "9100000000000000000001"},
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
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, secCFP12Password)
	if err != nil {
		panic(err)
	}
	return key, pfx
})

// secForms returns the strings whose presence in an output means a leak: each secret, its
// decoded form, the encodings fmt (%x, %q) or a careless log could turn it into, and the
// private key's numbers and encodings.
func secForms(t *testing.T) []string {
	t.Helper()
	plain := []string{
		secDinteroClientSecret, secDinteroAccessToken, secDinteroAPIKey, secDinteroIssuedPrefix, secCallbackSecret,
		base64.StdEncoding.EncodeToString([]byte(secDinteroClientID + ":" + secDinteroClientSecret)), // the Basic credential
		secCFSigSecret, secCFSigSecretRaw, secCFJWTSecret, secCFJWTSecretRaw, secCFBearer, secCFP12Password,
		secCardNumber, "cvv " + secCardCVV, `"securityCode":"` + secCardCVV + `"`,
	}
	var forms []string
	for _, s := range plain {
		forms = append(forms, s,
			hex.EncodeToString([]byte(s)), // %x of a string or []byte
			base64.RawURLEncoding.EncodeToString([]byte(s)),
		)
	}
	key, pfx := secP12()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	forms = append(forms,
		key.D.String(), key.D.Text(16), key.Primes[0].String(), key.Primes[0].Text(16), key.Primes[1].Text(16),
		base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(key))[:64],
		base64.StdEncoding.EncodeToString(pkcs8)[:64],
		hex.EncodeToString(pkcs8)[:64],
		base64.StdEncoding.EncodeToString(pfx)[:64],
		hex.EncodeToString(pfx)[:64],
	)
	return forms
}

// secRecorder collects every output that must not hold a secret.
type secRecorder struct {
	mu      sync.Mutex
	outputs map[string]string // label → output
	errors  int
}

func (r *secRecorder) add(label, out string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.outputs == nil {
		r.outputs = map[string]string{}
	}
	for i := 0; ; i++ {
		key := fmt.Sprintf("%s #%d", label, i)
		if _, taken := r.outputs[key]; !taken {
			r.outputs[key] = out
			return
		}
	}
}

// value records v printed with every verb.
func (r *secRecorder) value(label string, v any) {
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		r.add(label+" "+verb, fmt.Sprintf(verb, v))
	}
}

// err records err printed every way, and the fields of every APIError in its chain (%#v
// prints a []byte Body as numbers, which a text search would miss).
func (r *secRecorder) err(label string, err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	r.errors++
	r.mu.Unlock()
	r.add(label+" Error()", err.Error())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		r.add(label+" "+verb, fmt.Sprintf(verb, err))
	}
	var d *dintero.APIError
	if errors.As(err, &d) {
		r.add(label+" dintero.APIError", fmt.Sprintf("%s|%s|%s|%s|%s", d.Body, d.Code, d.Message, d.RequestID, d.Errors))
	}
	var c *cyberflex.APIError
	if errors.As(err, &c) {
		r.add(label+" cyberflex.APIError", fmt.Sprintf("%s|%s|%s|%s|%s|%+v", c.Body, c.Reason, c.Message, c.CorrelationID, c.InformationLink, c.Details))
		for _, d := range c.Details {
			if d.Location != nil && d.Message != nil {
				r.add(label+" cyberflex.ErrorDetail", *d.Location+"|"+*d.Message)
			}
		}
	}
}

func (r *secRecorder) check(t *testing.T, forms []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	// Case-insensitively: %X prints hex in upper case.
	lowerForms := make([]string, len(forms))
	for i, f := range forms {
		lowerForms[i] = strings.ToLower(f)
	}
	for label, out := range r.outputs {
		lower := strings.ToLower(out)
		for i, f := range lowerForms {
			if strings.Contains(lower, f) {
				t.Errorf("%s shows a secret (%q):\n%.2000s", label, forms[i], out)
			}
		}
	}
}

// secHostile answers every request with what mode says, reflecting the request's credential
// headers (and, at a token endpoint, the decoded Basic credentials, which the server can read)
// into the body and into the id header a client copies into its errors.
type secHostile struct {
	srv      *httptest.Server
	mu       sync.Mutex
	mode     string
	issued   int
	idHeader string // Request-Id (Dintero) or v-c-correlation-id (CyberSource)
	// received holds every credential the server was sent (issued access tokens, the JWTs
	// signed per request): they must not show either.
	received map[string]bool
}

// credentials returns the credentials the server received, without their scheme.
func (h *secHostile) credentials() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for c := range h.received {
		out = append(out, c)
	}
	return out
}

func newSecHostile(t *testing.T, idHeader string) *secHostile {
	h := &secHostile{idHeader: idHeader}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.srv.CloseClientConnections)
	return h
}

// RoundTrip answers r in memory, for synctest bubbles, where the waits between retries take no
// time. "drop" is a connection reset.
func (h *secHostile) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	mode := h.mode
	h.mu.Unlock()
	if mode == "drop" {
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	rec := httptest.NewRecorder()
	h.serve(rec, r)
	return rec.Result(), nil
}

// secRetried are the modes a client retries; secRetrying drives them in memory.
var secRetried = []string{"json-429", "json-502", "json-503", "html-502", "drop", "hang"}

func (h *secHostile) setMode(m string) {
	h.mu.Lock()
	h.mode = m
	h.mu.Unlock()
}

func (h *secHostile) serve(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	h.mu.Lock()
	mode := h.mode
	if h.received == nil {
		h.received = map[string]bool{}
	}
	for _, name := range []string{"Authorization", "X-Api-Key"} {
		if v := r.Header.Get(name); v != "" {
			_, cred, found := strings.Cut(v, " ")
			if !found {
				cred = v
			}
			h.received[cred] = true
		}
	}
	h.mu.Unlock()
	var echo strings.Builder
	for _, name := range []string{"Authorization", "X-Api-Key", "Signature", "V-C-Merchant-Id", "Digest"} {
		if v := r.Header.Get(name); v != "" {
			fmt.Fprintf(&echo, "%s: %s; ", name, v)
		}
	}
	if id, secret, ok := r.BasicAuth(); ok {
		fmt.Fprintf(&echo, "client %s with secret %s; ", id, secret)
	}
	reflected := echo.String()
	isToken := strings.HasSuffix(r.URL.Path, "/auth/token")

	switch {
	case mode == "hang":
		<-r.Context().Done()
		return
	case mode == "drop":
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	case isToken && !strings.HasPrefix(mode, "token-"):
		// The token endpoint works; the hostile part is the sessions API.
		h.mu.Lock()
		h.issued++
		n := h.issued
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"%s%d","token_type":"Bearer","expires_in":3600}`, secDinteroIssuedPrefix, n)
		return
	}
	status := 400
	_, _ = fmt.Sscanf(mode[strings.LastIndexByte(mode, '-')+1:], "%d", &status) // no number: 400
	w.Header().Set(h.idHeader, "req-"+strings.TrimSpace(reflected))
	switch {
	case strings.Contains(mode, "html"):
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><body><h1>Error</h1><pre>\n%s\n</pre></body></html>", reflected)
	case strings.Contains(mode, "ct"): // a 2xx the client cannot read, credentials in its Content-Type
		w.Header().Set("Content-Type", "text/plain; "+reflected)
		w.WriteHeader(status)
		fmt.Fprintf(w, "not JSON: %s", reflected)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		msg := strings.ReplaceAll(reflected, `"`, `'`)
		fmt.Fprintf(w, `{"error":{"code":"ECHO %s","message":"you sent %s","errors":[{"header":"%s"}]},`+
			`"reason":"ECHO %s","message":"you sent %s","correlationId":"%s","details":[{"location":"%s","message":"%s"}],`+
			`"response":{"rmsg":"%s"}}`, msg, msg, msg, msg, msg, msg, msg, msg, msg)
	}
}

// secModes are the hostile answers every call meets in turn.
var secModes = []string{
	"json-400", "json-401", "json-403", "json-404", "json-409", "json-422", "json-429", "json-500", "json-502", "json-503",
	"html-400", "html-401", "html-500", "html-502",
	"ct-200", "ct-201",
	"token-json-400", "token-json-401", "token-html-500", "token-ct-200",
	"hang", "drop",
}

func TestSecretsNeverShow(t *testing.T) {
	forms := secForms(t)
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(secTee{
		slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &logMu}, &slog.HandlerOptions{Level: slog.LevelDebug}),
	})
	rec := &secRecorder{}
	_, pfx := secP12()

	var received []string // the credentials the hostile servers were sent
	t.Run("dintero", func(t *testing.T) { received = append(received, secDintero(t, rec, logger)...) })
	t.Run("dintero callbacks", func(t *testing.T) { secCallbacks(t, rec) })
	t.Run("cyberflex", func(t *testing.T) { received = append(received, secCyberflex(t, rec, logger, pfx)...) })
	t.Run("cyberflex card data", func(t *testing.T) { secCardData(t, rec, logger) })

	rec.add("logs", logs.String())
	require.Contains(t, logs.String(), `level=DEBUG msg="dintero: request"`, "debug logging was on (text)")
	require.Contains(t, logs.String(), `"level":"DEBUG","msg":"cyberflex: request"`, "debug logging was on (JSON)")
	require.Contains(t, logs.String(), `"op":"Tokenize"`, "the tokenization calls were logged")
	require.Greater(t, rec.errors, 200, "the error paths were driven")
	require.Greater(t, len(received), 20, "the hostile servers were sent credentials")
	for _, c := range received {
		if len(c) >= 8 { // the Basic credential, the API keys, the issued tokens, the JWTs
			forms = append(forms, c)
		}
	}
	rec.check(t, forms)
}

// secTee sends every record to each handler: text and JSON, as users configure them.
type secTee []slog.Handler

func (t secTee) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range t {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (t secTee) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range t {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t secTee) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(secTee, len(t))
	for i, h := range t {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (t secTee) WithGroup(name string) slog.Handler {
	out := make(secTee, len(t))
	for i, h := range t {
		out[i] = h.WithGroup(name)
	}
	return out
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func secDintero(t *testing.T, rec *secRecorder, logger *slog.Logger) (received []string) {
	// Options that are refused, with secrets in them: the error must not repeat them.
	for name, opts := range map[string][]dintero.Option{
		"bad account id":           {dintero.WithClientCredentials("T-1234", secDinteroClientID, secDinteroClientSecret)},
		"empty client id":          {dintero.WithClientCredentials(secDinteroAccount, "", secDinteroClientSecret)},
		"two auths":                {dintero.WithAccessToken(secDinteroAccessToken), dintero.WithAPIKey(secDinteroAPIKey)},
		"three auths":              {dintero.WithAccessToken(secDinteroAccessToken), dintero.WithAPIKey(secDinteroAPIKey), dintero.WithClientCredentials(secDinteroAccount, secDinteroClientID, secDinteroClientSecret)},
		"password in the base URL": {dintero.WithAPIKey(secDinteroAPIKey), dintero.WithBaseURL("https://user:" + secDinteroClientSecret + "@checkout.dintero.com/v1")},
		"nil logger":               {dintero.WithAPIKey(secDinteroAPIKey), dintero.WithLogger(nil)},
		"negative retries":         {dintero.WithAccessToken(secDinteroAccessToken), dintero.WithMaxRetries(-1)},
	} {
		c, err := dintero.New(opts...)
		require.Error(t, err, name)
		require.Nil(t, c)
		rec.err("dintero.New "+name, err)
		for i, o := range opts {
			rec.value(fmt.Sprintf("dintero option %s %d", name, i), o)
		}
	}

	hostile := newSecHostile(t, "Request-Id")
	auths := map[string]dintero.Option{
		"client credentials": dintero.WithClientCredentials(secDinteroAccount, secDinteroClientID, secDinteroClientSecret),
		"access token":       dintero.WithAccessToken(secDinteroAccessToken),
		"API key":            dintero.WithAPIKey(secDinteroAPIKey),
	}
	ctx := context.Background()
	for authName, auth := range auths {
		for _, mode := range secModes {
			label := "dintero " + authName + " " + mode
			hostile.setMode(mode)
			// No retries on the network (they would wait the real backoff); the retries and
			// their log lines are driven below, in memory on a fake clock.
			c, err := dintero.New(auth, dintero.WithBaseURL(hostile.srv.URL+"/v1"), dintero.WithLogger(logger), dintero.WithMaxRetries(0))
			require.NoError(t, err)
			rec.value(label+" client", c)
			rec.value(label+" *client", *c)
			callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if mode == "hang" {
				cancel()
				callCtx, cancel = context.WithTimeout(ctx, 30*time.Millisecond)
			}
			_, err = c.GetSession(callCtx, "T12345678.abc")
			require.Error(t, err, label)
			rec.err(label+" GetSession", err)
			_, err = c.CreateSession(callCtx, dintero.SessionCreateRequest{
				URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
				Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "sec"},
			})
			require.Error(t, err, label)
			rec.err(label+" CreateSession", err)
			_, err = c.ListSessions(callCtx)
			require.Error(t, err, label)
			rec.err(label+" ListSessions", err)
			_, err = c.CancelSession(callCtx, "T12345678.abc")
			require.Error(t, err, label)
			rec.err(label+" CancelSession", err)
			cancel()
		}
	}
	mem := &secHostile{idHeader: "Request-Id"}
	synctest.Test(t, func(t *testing.T) {
		for authName, auth := range auths {
			for _, mode := range secRetried {
				label := "dintero retried " + authName + " " + mode
				mem.setMode(mode)
				c, err := dintero.New(auth, dintero.WithBaseURL("https://checkout.dintero.test/v1"), dintero.WithLogger(logger),
					dintero.WithHTTPClient(&http.Client{Transport: mem}), dintero.WithMaxRetries(2))
				require.NoError(t, err)
				callCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err = c.GetSession(callCtx, "T12345678.abc")
				require.Error(t, err, label)
				rec.err(label+" GetSession", err)
				_, err = c.CreateSession(callCtx, dintero.SessionCreateRequest{
					URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
					Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "sec"},
				})
				require.Error(t, err, label)
				rec.err(label+" CreateSession", err)
				cancel()
			}
		}
	})

	// Input errors after New, and a nil context.
	c, err := dintero.New(auths["API key"], dintero.WithBaseURL(hostile.srv.URL+"/v1"), dintero.WithLogger(logger))
	require.NoError(t, err)
	var nilCtx context.Context // a nil context is one of the error paths
	_, err = c.GetSession(nilCtx, "T12345678.abc")
	require.ErrorIs(t, err, dintero.ErrInvalidInput)
	rec.err("dintero GetSession(nil ctx)", err)
	_, err = c.ListSessions(ctx, dintero.Limit(1000))
	rec.err("dintero ListSessions(bad limit)", err)
	return append(hostile.credentials(), mem.credentials()...)
}

func secCallbacks(t *testing.T, rec *secRecorder) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	v := dintero.CallbackVerifier{AccountID: secDinteroAccount, Secret: secCallbackSecret, Now: func() time.Time { return now }}
	rec.value("CallbackVerifier", v)
	rec.value("*CallbackVerifier", &v)
	newReq := func(sig string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://shop.example/callback?transaction_id=T1&session_id=T12345678.abc", nil)
		if sig != "" {
			r.Header.Set(dintero.SignatureHeader, sig)
		}
		return r
	}
	good := dinterotest.SignCallback(secCallbackSecret, secDinteroAccount, newReq(""), now)
	// The signature the verifier expects is as good as the secret for this request: it must
	// not appear either.
	expected := good[strings.Index(good, "v0-hmac-sha256=")+len("v0-hmac-sha256="):]
	for name, sig := range map[string]string{
		"missing":         "",
		"malformed":       "t=" + secCallbackSecret + ",v0-hmac-sha256=zz",
		"secret as value": "t=1,v0-hmac-sha256=" + hex.EncodeToString([]byte(secCallbackSecret + secCallbackSecret))[:64],
		"wrong secret":    dinterotest.SignCallback("another-secret-entirely", secDinteroAccount, newReq(""), now),
		"stale":           dinterotest.SignCallback(secCallbackSecret, secDinteroAccount, newReq(""), now.Add(-time.Hour)),
		"future":          dinterotest.SignCallback(secCallbackSecret, secDinteroAccount, newReq(""), now.Add(time.Hour)),
		"other account":   dinterotest.SignCallback(secCallbackSecret, "T87654321", newReq(""), now),
	} {
		err := v.Verify(newReq(sig))
		require.Error(t, err, name)
		rec.err("callback "+name, err)
		assert.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), expected, "callback %s shows the expected signature", name)
	}
	for name, bad := range map[string]dintero.CallbackVerifier{
		"no account":         {Secret: secCallbackSecret},
		"negative tolerance": {AccountID: secDinteroAccount, Secret: secCallbackSecret, Tolerance: -1},
	} {
		err := bad.Verify(newReq(good))
		require.Error(t, err, name)
		rec.err("callback config "+name, err)
		rec.value("callback verifier "+name, bad)
	}
}

func secCyberflex(t *testing.T, rec *secRecorder, logger *slog.Logger, pfx []byte) (received []string) {
	corrupt := append([]byte(nil), pfx[:len(pfx)/2]...)
	notBase64 := "not base64! " + secCFSigSecretRaw
	short := base64.StdEncoding.EncodeToString([]byte(secCFJWTSecretRaw[:16]))
	for name, opts := range map[string][]cyberflex.Option{
		"secret not base64":        {cyberflex.WithHTTPSignature(secCFMerchant, secCFKeyID, notBase64)},
		"JWT secret not base64":    {cyberflex.WithJWT(secCFMerchant, secCFKeyID, notBase64)},
		"JWT secret too short":     {cyberflex.WithJWT(secCFMerchant, secCFKeyID, short)},
		"wrong P12 password":       {cyberflex.WithJWTP12(secCFMerchant, pfx, "wrong-"+secCFP12Password)},
		"corrupt P12":              {cyberflex.WithJWTP12(secCFMerchant, corrupt, secCFP12Password)},
		"bearer with a newline":    {cyberflex.WithAccessToken(secCFBearer + "\n" + secCFBearer)},
		"two auths":                {cyberflex.WithHTTPSignature(secCFMerchant, secCFKeyID, secCFSigSecret), cyberflex.WithAccessToken(secCFBearer)},
		"password in the base URL": {cyberflex.WithAccessToken(secCFBearer), cyberflex.WithBaseURL("https://u:" + secCFBearer + "@api.example")},
	} {
		c, err := cyberflex.New(opts...)
		require.Error(t, err, name)
		require.Nil(t, c)
		rec.err("cyberflex.New "+name, err)
		for i, o := range opts {
			rec.value(fmt.Sprintf("cyberflex option %s %d", name, i), o)
		}
	}
	_, err := cyberflex.LoadP12(pfx, "wrong-"+secCFP12Password)
	rec.err("LoadP12 wrong password", err)
	_, err = cyberflex.LoadP12(corrupt, secCFP12Password)
	rec.err("LoadP12 corrupt", err)
	p12, err := cyberflex.LoadP12(pfx, secCFP12Password)
	require.NoError(t, err)
	rec.value("P12Key", *p12)
	rec.value("*P12Key", p12)

	// The signers on their own, formatted and failing.
	req := httptest.NewRequest(http.MethodPost, "https://apitest.cybersource.com/flex/v2/sessions", nil)
	for name, s := range map[string]interface {
		Sign(*http.Request, []byte) error
	}{
		"HTTPSignatureSigner":              cyberflex.HTTPSignatureSigner{MerchantID: secCFMerchant, KeyID: secCFKeyID, SecretKey: secCFSigSecret},
		"HTTPSignatureSigner bad secret":   cyberflex.HTTPSignatureSigner{MerchantID: secCFMerchant, KeyID: secCFKeyID, SecretKey: notBase64},
		"HTTPSignatureSigner bad merchant": cyberflex.HTTPSignatureSigner{MerchantID: "m\"" + secCFMerchant, KeyID: secCFKeyID, SecretKey: secCFSigSecret},
		"JWTSigner":                        cyberflex.JWTSigner{MerchantID: secCFMerchant, KeyID: secCFKeyID, SecretKey: secCFJWTSecret},
		"JWTSigner short secret":           cyberflex.JWTSigner{MerchantID: secCFMerchant, KeyID: secCFKeyID, SecretKey: short},
		"JWTSigner P12":                    cyberflex.JWTSigner{MerchantID: secCFMerchant, P12: p12},
		"JWTSigner P12 and secret":         cyberflex.JWTSigner{MerchantID: secCFMerchant, P12: p12, SecretKey: secCFJWTSecret},
		"JWTSigner P12 not via LoadP12":    cyberflex.JWTSigner{MerchantID: secCFMerchant, P12: &cyberflex.P12Key{}},
	} {
		rec.value(name, s)
		switch v := s.(type) {
		case cyberflex.HTTPSignatureSigner:
			rec.value("*"+name, &v)
		case cyberflex.JWTSigner:
			rec.value("*"+name, &v)
		}
		if err := s.Sign(req.Clone(context.Background()), []byte(`{"fields":{}}`)); err != nil {
			rec.err(name+".Sign", err)
		}
	}

	hostile := newSecHostile(t, "v-c-correlation-id")
	auths := map[string]cyberflex.Option{
		"HTTP Signature": cyberflex.WithHTTPSignature(secCFMerchant, secCFKeyID, secCFSigSecret),
		"JWT":            cyberflex.WithJWT(secCFMerchant, secCFKeyID, secCFJWTSecret),
		"JWT P12":        cyberflex.WithJWTP12(secCFMerchant, pfx, secCFP12Password),
		"bearer":         cyberflex.WithAccessToken(secCFBearer),
	}
	fields := cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()})
	// A token for the key fetch paths; the hostile server answers the fetch like everything else.
	token := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","kid":"3g"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"Flex API","exp":4102444800}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("signature"))
	ctx := context.Background()
	for authName, auth := range auths {
		for _, mode := range secModes {
			if strings.HasPrefix(mode, "token-") {
				continue
			}
			label := "cyberflex " + authName + " " + mode
			hostile.setMode(mode)
			c, err := cyberflex.New(auth, cyberflex.WithBaseURL(hostile.srv.URL), cyberflex.WithLogger(logger), cyberflex.WithMaxRetries(0))
			require.NoError(t, err)
			rec.value(label+" client", c)
			rec.value(label+" *client", *c)
			callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if mode == "hang" {
				cancel()
				callCtx, cancel = context.WithTimeout(ctx, 30*time.Millisecond)
			}
			_, err = c.GenerateCaptureContext(callCtx, fields)
			require.Error(t, err, label)
			rec.err(label+" GenerateCaptureContext", err)
			_, err = c.VerifyCaptureContext(callCtx, token)
			require.Error(t, err, label)
			rec.err(label+" VerifyCaptureContext", err)
			cancel()
		}
	}
	mem := &secHostile{idHeader: "v-c-correlation-id"}
	synctest.Test(t, func(t *testing.T) {
		for authName, auth := range auths {
			for _, mode := range secRetried {
				label := "cyberflex retried " + authName + " " + mode
				mem.setMode(mode)
				c, err := cyberflex.New(auth, cyberflex.WithLogger(logger), cyberflex.WithHTTPClient(&http.Client{Transport: mem}), cyberflex.WithMaxRetries(2))
				require.NoError(t, err)
				callCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err = c.GenerateCaptureContext(callCtx, fields)
				require.Error(t, err, label)
				rec.err(label+" GenerateCaptureContext", err)
				_, err = c.VerifyCaptureContext(callCtx, token)
				require.Error(t, err, label)
				rec.err(label+" VerifyCaptureContext", err)
				cancel()
			}
		}
	})

	c, err := cyberflex.New(auths["bearer"], cyberflex.WithBaseURL(hostile.srv.URL), cyberflex.WithLogger(logger))
	require.NoError(t, err)
	for name, tok := range map[string]string{
		"secret as token":  secCFBearer,
		"secret in claims": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+secCFBearer+`"}`)) + ".",
	} {
		_, err := c.VerifyCaptureContext(ctx, tok)
		require.Error(t, err, name)
		rec.err("cyberflex VerifyCaptureContext "+name, err)
	}
	_, err = c.GenerateCaptureContext(ctx, cyberflex.CaptureContextRequest{})
	rec.err("cyberflex GenerateCaptureContext(no fields)", err)
	return append(hostile.credentials(), mem.credentials()...)
}

// secCardData drives cyberflex.Tokenize against a hostile tokenization endpoint that decrypts the
// card (it holds the capture context's one-time key, as CyberSource does) and echoes it into its
// error bodies, headers and Content-Type, and prints TokenizeData every way: the card number
// and security code must show nowhere.
func secCardData(t *testing.T, rec *secRecorder, logger *slog.Logger) {
	oneTime, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ccKey, _ := secP12() // any RSA key will do to sign the capture context
	var mu sync.Mutex
	mode := ""
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := "nothing decrypted"
		if obj, err := jose.ParseEncryptedCompact(string(body), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM}); err == nil {
			if plain, err := obj.Decrypt(oneTime); err == nil {
				var p struct {
					Data cyberflex.TokenizeValues `json:"data"`
				}
				_ = json.Unmarshal(plain, &p)
				card := p.Data.PaymentInformation.Card
				echo = secCardEcho(card.Number, card.SecurityCode) + " " + string(plain)
			}
		}
		mu.Lock()
		m := mode
		mu.Unlock()
		quoted, _ := json.Marshal(echo)
		w.Header().Set("v-c-correlation-id", strings.ReplaceAll(echo, "\"", "'"))
		switch m {
		case "hang":
			<-r.Context().Done()
		case "drop":
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		case "html-502":
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<pre>%s</pre>", echo)
		case "ct-201", "body-201":
			w.Header().Set("Content-Type", "application/jwt; "+strings.ReplaceAll(echo, "\"", "'"))
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, echo)
		default: // json-400, json-500
			w.Header().Set("Content-Type", "application/json")
			status := http.StatusBadRequest
			if m == "json-500" {
				status = http.StatusInternalServerError
			}
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"message":%s,"reason":%s,"correlationId":%s,"details":[{"location":%s,"message":%s}],"responseStatus":{"message":%s}}`,
				quoted, quoted, quoted, quoted, quoted, quoted)
		}
	}))
	t.Cleanup(tokens.Close)
	t.Cleanup(tokens.CloseClientConnections)
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := jose.JSONWebKey{Key: &ccKey.PublicKey, KeyID: "k1", Use: "enc"}.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(keys.Close)

	now := time.Now()
	jwk, err := json.Marshal(cyberflex.EncryptionKey{Kty: "RSA", E: "AQAB", Use: "enc", N: base64.RawURLEncoding.EncodeToString(oneTime.N.Bytes()), KeyID: "one-time-kid"})
	require.NoError(t, err)
	claims := `{"flx":{"path":"/flex/v2/tokens","data":"x","origin":"` + tokens.URL + `","jwk":` + string(jwk) + `},` +
		`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number"],"optionalFields":["paymentInformation.card.securityCode"]},"type":"api-0.1.0"}],` +
		fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":"j"}`, now.Add(14*time.Minute).Unix(), now.Add(-time.Minute).Unix())
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: ccKey}, (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), "k1"))
	require.NoError(t, err)
	jws, err := signer.Sign([]byte(claims))
	require.NoError(t, err)
	ccToken, err := jws.CompactSerialize()
	require.NoError(t, err)

	data := cyberflex.CardData(secCardNumber, "", "", secCardCVV)
	printed := &secRecorder{}
	printed.value("TokenizeData", data)
	printed.value("*TokenizeData", &data)
	raw := spew.ConfigState{DisableMethods: true, DisablePointerMethods: true}
	printed.add("TokenizeData spew", raw.Sdump(data))
	b, err := json.Marshal(struct{ Data cyberflex.TokenizeData }{data})
	require.NoError(t, err)
	printed.add("TokenizeData JSON", string(b))
	printed.check(t, []string{secCardNumber, secCardCVV})
	for label, out := range printed.outputs {
		rec.add(label, out)
	}

	ctx := context.Background()
	for _, m := range []string{"json-400", "json-500", "html-502", "ct-201", "body-201", "hang", "drop"} {
		mu.Lock()
		mode = m
		mu.Unlock()
		c, err := cyberflex.New(cyberflex.WithJWT(secCFMerchant, secCFKeyID, secCFJWTSecret), cyberflex.WithBaseURL(keys.URL),
			cyberflex.WithLogger(logger), cyberflex.WithMaxRetries(0))
		require.NoError(t, err)
		cc, err := c.VerifyCaptureContext(ctx, ccToken)
		require.NoError(t, err)
		callCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if m == "hang" {
			cancel()
			callCtx, cancel = context.WithTimeout(ctx, 30*time.Millisecond)
		}
		_, err = c.Tokenize(callCtx, cc, data)
		cancel()
		require.Error(t, err, m)
		rec.err("cyberflex Tokenize "+m, err)
	}
	// Refused before sending: the errors name fields, never values.
	c, err := cyberflex.New(cyberflex.WithJWT(secCFMerchant, secCFKeyID, secCFJWTSecret), cyberflex.WithBaseURL(keys.URL), cyberflex.WithLogger(logger))
	require.NoError(t, err)
	cc, err := c.VerifyCaptureContext(ctx, ccToken)
	require.NoError(t, err)
	for name, d := range map[string]cyberflex.TokenizeData{
		"number not digits": cyberflex.CardData("x"+secCardNumber, "", "", ""),
		"bad CVV":           cyberflex.CardData(secCardNumber, "", "", secCardCVV+"1"),
		"field not listed":  cyberflex.CardData(secCardNumber, "12", "2031", secCardCVV),
	} {
		_, err := c.Tokenize(ctx, cc, d)
		require.ErrorIs(t, err, cyberflex.ErrInvalidInput, name)
		rec.err("cyberflex Tokenize "+name, err)
		require.NotContains(t, fmt.Sprintf("%v %+v %#v", err, err, err), secCardCVV, name)
	}
}
