package dintero

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero/internal/callbacksig"
)

// Test vectors. Every expected signature below was computed independently of this package
// with OpenSSL 3.0 (the command is next to each constant; $'…' is bash ANSI-C quoting, so \n
// is a real newline) and cross-checked with the Node.js createSignature sample from
// https://docs.dintero.com/docs/checkout/validating-callbacks, run on Node 20.
const (
	testSecret  = "s3cr3t-signing-key"
	testAccount = "T12345678"
	testT       = 1714979289 // 2024-05-06T07:08:09Z

	// The documented callback query (transaction_id, session_id, merchant_reference, time;
	// https://docs.dintero.com/checkout-api/example-session-callbacks/example_session_get_callback_url)
	// with a space in merchant_reference, sent on a non-default port.
	testCallbackURL = "https://merchant.example.com:8443/dintero/callback" +
		"?transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb" +
		"&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH" +
		"&merchant_reference=order+42" +
		"&time=2024-05-06T07:08:09.123Z"

	// printf '%s'
	// $'1714979289\nT12345678\nGET\nmerchant.example.com\n/dintero/callback\nmerchant_reference=order+42&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&time=2024-05-06T07%3A08%3A09.123Z&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb'
	// | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
	sigGET = "f1eb221905c22c9ade18bb4a4518983782ffd652f00bc589dbb4eeef4b2f8e24"

	// The same callback with method=POST (the transaction is then sent in the body). printf '%s'
	// $'1714979289\nT12345678\nPOST\nmerchant.example.com\n/dintero/callback\nmerchant_reference=order+42&method=POST&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&time=2024-05-06T07%3A08%3A09.123Z&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb'
	// | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
	sigPOST = "5e6c79751c59f685f470af07c68bf072a60be9634d30ddf6dcdb88a7d3959602"

	// printf '%s'
	// $'9223372036854775807\nT12345678\nGET\nmerchant.example.com\n/dintero/callback\nmerchant_reference=order+42&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&time=2024-05-06T07%3A08%3A09.123Z&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb'
	// | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
	sigMaxT = "18e0aa3ed6aca829a3d659ac9c64f70abb597124b9e5c5f4b9567cfba7728df3"

	// printf '%s'
	// $'0\nT12345678\nGET\nmerchant.example.com\n/dintero/callback\nmerchant_reference=order+42&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&time=2024-05-06T07%3A08%3A09.123Z&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb'
	// | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
	sigZeroT = "6eadf9801650f375fee6f2756aa824b40a98ebf93491452b68bb7f67190ed74b"

	// Repeated keys keep their order (stable sort by key only). printf '%s'
	// $'1714979289\nT12345678\nGET\nmerchant.example.com\n/cb\nevent=CAPTURE&event=REFUND&transaction_id=T1'
	// | openssl dgst -sha256 -hmac 's3cr3t-signing-key'
	sigRepeated = "930f9b6f206a055fa848f2975673e51fc17ca920207fbbbbe3e2f0e05f7b0518"

	headerGET = "t=1714979289,v0-hmac-sha256=" + sigGET
)

var testTime = time.Unix(testT, 0)

func newCallback(method, target, signature string, body io.Reader) *http.Request {
	r := httptest.NewRequest(method, target, body)
	if signature != "" {
		r.Header.Set(SignatureHeader, signature)
	}
	return r
}

// signCallback returns the Dintero-Signature value Dintero sends with r at time t (truncated to
// seconds), the host name taken from r.Host or else r.URL.Host. dinterotest.SignCallback is the
// same for users; this package's tests cannot import dinterotest, which imports this package.
func signCallback(secret, accountID string, r *http.Request, t time.Time) string {
	return callbacksig.Header(t.Unix(), callbacksig.Sum(secret, t.Unix(), accountID, r, callbacksig.RequestHost(r)))
}

func verifierAt(now time.Time) CallbackVerifier {
	return CallbackVerifier{AccountID: testAccount, Secret: testSecret, Now: func() time.Time { return now }}
}

// TestVerifyDocsExample checks the worked example of
// https://docs.dintero.com/checkout-api/secrets/admin_signature_post. printf '%s'
// $'1582236537\nP00000000\nGET\nexample.com\n/callback\nA=992&B=123' | openssl dgst -sha256 -hmac
// '123'
func TestVerifyDocsExample(t *testing.T) {
	const header = "t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a"
	r := newCallback(http.MethodGet, "https://example.com/callback?B=123&A=992", header, nil)
	v := CallbackVerifier{AccountID: "P00000000", Secret: "123", Now: func() time.Time { return time.Unix(1582236537+10, 0) }}
	require.NoError(t, v.Verify(r))
	assert.Equal(t, header, signCallback("123", "P00000000", r, time.Unix(1582236537, 0)))
}

func TestVerify(t *testing.T) {
	const (
		reordered = "https://merchant.example.com:8443/dintero/callback" +
			"?time=2024-05-06T07%3A08%3A09.123Z&merchant_reference=order%2042" +
			"&session_id=T12345678.4XMDqv9GhFdvYfVeGvbEJH&transaction_id=T12345678.4XMDrWD3zBTjbdDYu6pzyb"
		zeroSig = "0000000000000000000000000000000000000000000000000000000000000000"
	)
	replace := func(old, replacement string) string {
		if !strings.Contains(testCallbackURL, old) {
			panic("test bug: " + old)
		}
		return strings.Replace(testCallbackURL, old, replacement, 1)
	}
	tests := []struct {
		name    string
		method  string
		target  string
		header  string
		now     time.Time
		modify  func(*CallbackVerifier, *http.Request)
		wantErr error
	}{
		{name: "documented query", target: testCallbackURL},
		{name: "same query in another order, space as %20", target: reordered},
		{name: "host case and port do not matter", target: replace("merchant.example.com:8443", "MERCHANT.Example.com")},
		{name: "tampered query value", target: replace("4XMDrWD3zBTjbdDYu6pzyb", "4XMDrWD3zBTjbdDYu6pzyc"), wantErr: ErrSignatureMismatch},
		{name: "added query parameter", target: testCallbackURL + "&error=cancelled", wantErr: ErrSignatureMismatch},
		{name: "removed query parameter", target: replace("&time=2024-05-06T07:08:09.123Z", ""), wantErr: ErrSignatureMismatch},
		{name: "literal plus is not a space", target: replace("order+42", "order%2B42"), wantErr: ErrSignatureMismatch},
		{name: "tampered path", target: replace("/dintero/callback", "/dintero/callback2"), wantErr: ErrSignatureMismatch},
		{name: "path is case-sensitive", target: replace("/dintero/callback", "/Dintero/callback"), wantErr: ErrSignatureMismatch},
		{name: "wrong method", method: http.MethodPost, target: testCallbackURL, wantErr: ErrSignatureMismatch},
		{name: "wrong host", target: replace("merchant.example.com", "evil.example.com"), wantErr: ErrSignatureMismatch},
		{
			name: "Host overrides r.Host behind a proxy", target: testCallbackURL,
			modify: func(v *CallbackVerifier, r *http.Request) { r.Host = "10.0.0.7:8080"; v.Host = "merchant.example.com" },
		},
		{
			name: "without Host, the proxy's host does not match", target: testCallbackURL,
			modify:  func(v *CallbackVerifier, r *http.Request) { r.Host = "10.0.0.7:8080" },
			wantErr: ErrSignatureMismatch,
		},
		{
			name: "wrong account", target: testCallbackURL,
			modify:  func(v *CallbackVerifier, _ *http.Request) { v.AccountID = "T87654321" },
			wantErr: ErrSignatureMismatch,
		},
		{
			name: "wrong secret", target: testCallbackURL,
			modify:  func(v *CallbackVerifier, _ *http.Request) { v.Secret = "s3cr3t-signing-kez" },
			wantErr: ErrSignatureMismatch,
		},
		{
			name: "hex-decoded secret is not the key", target: testCallbackURL,
			modify:  func(v *CallbackVerifier, _ *http.Request) { v.Secret = hex.EncodeToString([]byte(testSecret)) },
			wantErr: ErrSignatureMismatch,
		},
		{name: "t is part of the payload", target: testCallbackURL, header: "t=1714979290,v0-hmac-sha256=" + sigGET, wantErr: ErrSignatureMismatch},
		{name: "all signatures wrong", target: testCallbackURL, header: "t=1714979289,v0-hmac-sha256=" + zeroSig + ",v0-hmac-sha256=" + zeroSig, wantErr: ErrSignatureMismatch},
		{name: "first of several signatures matches", target: testCallbackURL, header: "t=1714979289,v0-hmac-sha256=" + sigGET + ",v0-hmac-sha256=" + zeroSig},
		{name: "second of several signatures matches", target: testCallbackURL, header: "t=1714979289,v0-hmac-sha256=" + zeroSig + ",v0-hmac-sha256=" + sigGET},
		{name: "unknown scheme is ignored", target: testCallbackURL, header: "t=1714979289,v1-ed25519=abc,v0-hmac-sha256=" + sigGET},
		{name: "order of entries and spaces do not matter", target: testCallbackURL, header: "v0-hmac-sha256=" + sigGET + ", t=1714979289"},
		{name: "upper-case hex", target: testCallbackURL, header: "t=1714979289,v0-hmac-sha256=" + strings.ToUpper(sigGET)},

		{name: "fresh at exactly the tolerance", target: testCallbackURL, now: testTime.Add(5 * time.Minute)},
		{name: "stale by one second", target: testCallbackURL, now: testTime.Add(5*time.Minute + time.Second), wantErr: ErrSignatureStale},
		{name: "future at exactly the tolerance", target: testCallbackURL, now: testTime.Add(-5 * time.Minute)},
		{name: "future by one second", target: testCallbackURL, now: testTime.Add(-5*time.Minute - time.Second), wantErr: ErrSignatureFuture},
		{
			name: "custom tolerance, boundary", target: testCallbackURL, now: testTime.Add(time.Minute),
			modify: func(v *CallbackVerifier, _ *http.Request) { v.Tolerance = time.Minute },
		},
		{
			name: "custom tolerance, stale", target: testCallbackURL, now: testTime.Add(time.Minute + time.Second),
			modify:  func(v *CallbackVerifier, _ *http.Request) { v.Tolerance = time.Minute },
			wantErr: ErrSignatureStale,
		},
		{name: "t=0 is stale", target: testCallbackURL, header: "t=0,v0-hmac-sha256=" + sigZeroT, wantErr: ErrSignatureStale},
		{name: "largest t is future, not an overflow", target: testCallbackURL, header: "t=9223372036854775807,v0-hmac-sha256=" + sigMaxT, wantErr: ErrSignatureFuture},
		{name: "a forged stale request is a mismatch", target: testCallbackURL, header: "t=0,v0-hmac-sha256=" + sigGET, wantErr: ErrSignatureMismatch},

		{name: "missing header", target: testCallbackURL, header: "-", wantErr: ErrSignatureMissing},
		{
			name: "header sent twice", target: testCallbackURL,
			modify:  func(_ *CallbackVerifier, r *http.Request) { r.Header.Add(SignatureHeader, headerGET) },
			wantErr: ErrSignatureMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := cmpOr(tt.method, http.MethodGet)
			header := cmpOr(tt.header, headerGET)
			if header == "-" {
				header = ""
			}
			now := tt.now
			if now.IsZero() {
				now = testTime.Add(30 * time.Second)
			}
			r := newCallback(method, tt.target, header, nil)
			v := verifierAt(now)
			if tt.modify != nil {
				tt.modify(&v, r)
			}
			err := v.Verify(r)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.ErrorIs(t, err, ErrInvalidSignature)
			assertNoSecrets(t, err)
		})
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var hex64 = regexp.MustCompile(`(?i)[0-9a-f]{64}`)

// assertNoSecrets checks that an error mentions neither the secret nor any signature.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	assert.NotContains(t, msg, testSecret)
	assert.False(t, hex64.MatchString(msg), "error contains a signature: %s", msg)
}

func TestVerifyMalformedHeader(t *testing.T) {
	tests := map[string]string{
		"empty":                   "",
		"blank":                   "   ",
		"missing t":               "v0-hmac-sha256=" + sigGET,
		"non-numeric t":           "t=abc,v0-hmac-sha256=" + sigGET,
		"negative t":              "t=-1714979289,v0-hmac-sha256=" + sigGET,
		"t with plus sign":        "t=+1714979289,v0-hmac-sha256=" + sigGET,
		"fractional t":            "t=1714979289.5,v0-hmac-sha256=" + sigGET,
		"empty t":                 "t=,v0-hmac-sha256=" + sigGET,
		"t overflows int64":       "t=9223372036854775808,v0-hmac-sha256=" + sigGET,
		"t given twice":           "t=1714979289,t=1714979289,v0-hmac-sha256=" + sigGET,
		"missing v0":              "t=1714979289",
		"only unknown scheme":     "t=1714979289,v1-hmac-sha512=" + sigGET,
		"bad hex":                 "t=1714979289,v0-hmac-sha256=" + strings.Repeat("zz", 32),
		"short signature":         "t=1714979289,v0-hmac-sha256=" + sigGET[:62],
		"long signature":          "t=1714979289,v0-hmac-sha256=" + sigGET + "00",
		"empty signature":         "t=1714979289,v0-hmac-sha256=",
		"entry without =":         "t=1714979289,v0-hmac-sha256",
		"semicolon separator":     "t=1714979289;v0-hmac-sha256=" + sigGET,
		"trailing comma":          headerGET + ",",
		"garbage":                 "Bearer xyz",
		"key is case-sensitive":   "T=1714979289,V0-HMAC-SHA256=" + sigGET,
		"secret in the header":    "t=1714979289,v0-hmac-sha256=" + testSecret,
		"valid t, odd-length hex": "t=1714979289,v0-hmac-sha256=" + sigGET[:63] + "g",
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			r := newCallback(http.MethodGet, testCallbackURL, "", nil)
			r.Header.Set(SignatureHeader, header) // set even when empty: present but empty
			err := verifierAt(testTime).Verify(r)
			require.ErrorIs(t, err, ErrSignatureMalformed)
			require.ErrorIs(t, err, ErrInvalidSignature)
			for _, other := range []error{ErrSignatureMissing, ErrSignatureMismatch, ErrSignatureStale, ErrSignatureFuture} {
				assert.NotErrorIs(t, err, other)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestSentinelErrorsAreDistinct(t *testing.T) {
	sentinels := []error{ErrSignatureMissing, ErrSignatureMalformed, ErrSignatureMismatch, ErrSignatureStale, ErrSignatureFuture}
	for i, a := range sentinels {
		assert.ErrorIs(t, a, ErrInvalidSignature)
		assert.True(t, strings.HasPrefix(a.Error(), ErrInvalidSignature.Error()+": "), a.Error())
		for j, b := range sentinels {
			if i != j {
				assert.NotErrorIs(t, a, b)
			}
		}
	}
}

// TestVerifyIgnoresBody: the body is not signed, so any body verifies and Verify leaves it
// unread for the handler.
func TestVerifyIgnoresBody(t *testing.T) {
	target := testCallbackURL + "&method=POST"
	for _, body := range []string{"", `{"id":"T12345678.4XMDrWD3zBTjbdDYu6pzyb"}`, `{"id":"forged","amount":1}`} {
		r := newCallback(http.MethodPost, target, "t=1714979289,v0-hmac-sha256="+sigPOST, strings.NewReader(body))
		require.NoError(t, verifierAt(testTime).Verify(r), "body %q", body)
		rest, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		assert.Equal(t, body, string(rest))
	}
}

func TestVerifyRepeatedKeysKeepTheirOrder(t *testing.T) {
	header := "t=1714979289,v0-hmac-sha256=" + sigRepeated
	ok := newCallback(http.MethodGet, "https://merchant.example.com/cb?transaction_id=T1&event=CAPTURE&event=REFUND", header, nil)
	require.NoError(t, verifierAt(testTime).Verify(ok))
	swapped := newCallback(http.MethodGet, "https://merchant.example.com/cb?event=REFUND&transaction_id=T1&event=CAPTURE", header, nil)
	require.ErrorIs(t, verifierAt(testTime).Verify(swapped), ErrSignatureMismatch)
}

func TestVerifyDefaultClock(t *testing.T) {
	// A nil Now means time.Now: a signature made now verifies, one from 2024 is stale.
	v := CallbackVerifier{AccountID: testAccount, Secret: testSecret}
	r := newCallback(http.MethodGet, testCallbackURL, "", nil)
	r.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, r, time.Now()))
	require.NoError(t, v.Verify(r))
	r.Header.Set(SignatureHeader, headerGET)
	require.ErrorIs(t, v.Verify(r), ErrSignatureStale)
}

func TestVerifyConfigErrors(t *testing.T) {
	r := newCallback(http.MethodGet, testCallbackURL, headerGET, nil)
	for name, v := range map[string]CallbackVerifier{
		"empty secret":       {AccountID: testAccount},
		"empty account":      {Secret: testSecret},
		"negative tolerance": {AccountID: testAccount, Secret: testSecret, Tolerance: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			err := v.Verify(r)
			require.Error(t, err)
			assert.NotErrorIs(t, err, ErrInvalidSignature, "a server misconfiguration is not the request's fault")
		})
	}
	err := verifierAt(testTime).Verify(nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrInvalidSignature)
}

// TestVerifyOverHTTP sends signed callbacks through a real HTTP server, once with the public
// Host header and once as a proxy would forward it (Host rewritten to the backend address).
func TestVerifyOverHTTP(t *testing.T) {
	const public = "merchant.example.com"
	var verifier CallbackVerifier
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verifier.Verify(r); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()

	send := func(hostHeader string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/dintero/callback?session_id=T12345678.x&merchant_reference=a%20b&transaction_id=T12345678.y&time=2024-05-06T07:08:09Z", nil)
		require.NoError(t, err)
		signing := req.Clone(req.Context())
		signing.Host = public // Dintero signs the URL the merchant registered
		req.Header.Set(SignatureHeader, signCallback(testSecret, testAccount, signing, time.Now()))
		req.Host = hostHeader
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}

	verifier = CallbackVerifier{AccountID: testAccount, Secret: testSecret}
	assert.Equal(t, http.StatusOK, send(public+":443"), "public Host header, port ignored")
	assert.Equal(t, http.StatusUnauthorized, send(""), "proxy rewrote Host, no override")
	verifier.Host = public
	assert.Equal(t, http.StatusOK, send(""), "proxy rewrote Host, Host override set")
}

func TestCallbackVerifierRedaction(t *testing.T) {
	const secret = "very-secret-signing-value"
	v := CallbackVerifier{AccountID: testAccount, Secret: secret, Tolerance: time.Minute, Host: "merchant.example.com", Now: time.Now}
	secretHex := hex.EncodeToString([]byte(secret))
	outputs := map[string]string{
		"String":   v.String(),
		"GoString": v.GoString(),
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10.3v"} {
		outputs[verb] = fmt.Sprintf(verb, v)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &v)
		outputs[verb+" in slice"] = fmt.Sprintf(verb, []CallbackVerifier{v})
		outputs[verb+" in struct"] = fmt.Sprintf(verb, struct{ V CallbackVerifier }{v})
		outputs[verb+" in map"] = fmt.Sprintf(verb, map[string]CallbackVerifier{"k": v})
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "verifier", v)
	outputs["slog"] = logged.String()

	for name, out := range outputs {
		assert.NotContains(t, out, secret, name)
		assert.NotContains(t, strings.ToLower(out), secretHex, name)
	}
	assert.Contains(t, fmt.Sprintf("%+v", v), testAccount, "non-secret fields stay visible")
	assert.Contains(t, fmt.Sprintf("%+v", v), "[REDACTED]")
	assert.Contains(t, logged.String(), `"secret":"[REDACTED]"`)
	assert.Contains(t, CallbackVerifier{}.String(), "[EMPTY]", "an unset secret is distinguishable")
}

func FuzzParseSignatureHeader(f *testing.F) {
	for _, seed := range []string{
		headerGET,
		"t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a",
		"t=1714979289,v0-hmac-sha256=" + sigGET + ",v0-hmac-sha256=" + sigPOST,
		"v0-hmac-sha256=" + sigGET + ", t=1",
		"t=1714979289,v1-x=y,v0-hmac-sha256=" + sigGET,
		"", ",", "=", "t=", "t=,", "t=1", "t=1,t=2", "t=-1,v0-hmac-sha256=" + sigGET,
		"t=99999999999999999999,v0-hmac-sha256=" + sigGET,
		"t=1,v0-hmac-sha256=zz", "t=1,v0-hmac-sha256=" + sigGET[:63],
		"t=1\x00,v0-hmac-sha256=" + sigGET, "\xff\xfe",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		ts, sigs, err := parseSignatureHeader(header)
		if err != nil {
			if !errors.Is(err, ErrSignatureMalformed) {
				t.Fatalf("error %v does not wrap ErrSignatureMalformed", err)
			}
			if ts != 0 || sigs != nil {
				t.Fatalf("error with results: %d %x", ts, sigs)
			}
			return
		}
		if ts < 0 || len(sigs) == 0 {
			t.Fatalf("accepted %q with t=%d and %d signatures", header, ts, len(sigs))
		}
		// Re-serializing the parsed header parses to the same values.
		canon := "t=" + strconv.FormatInt(ts, 10)
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes", len(s))
			}
			canon += ",v0-hmac-sha256=" + hex.EncodeToString(s)
		}
		ts2, sigs2, err := parseSignatureHeader(canon)
		if err != nil || ts2 != ts || len(sigs2) != len(sigs) {
			t.Fatalf("round trip of %q: %q → %d %d %v", header, canon, ts2, len(sigs2), err)
		}
	})
}

// TestCallbackOfAbsurdSizeIsRefusedCheaply: a request line of a megabyte is refused before its
// query is parsed, canonicalised or hashed.
func TestCallbackOfAbsurdSizeIsRefusedCheaply(t *testing.T) {
	v := CallbackVerifier{AccountID: "T12345678", Secret: "callback-secret"}
	uri := "/callback?transaction_id=" + strings.Repeat("a%26", 256<<10)
	r := httptest.NewRequest(http.MethodGet, uri, nil)
	r.Header.Set(SignatureHeader, "t=1700000000,v1="+strings.Repeat("0", 64))
	err := v.Verify(r)
	require.ErrorIs(t, err, ErrInvalidRequest)
	assert.Equal(t, http.StatusBadRequest, HTTPStatus(err))
	// Parsing or canonicalising the megabyte query would take thousands of allocations; refusing
	// it takes a handful (a few more under -race, whose instrumentation allocates too).
	allocs := testing.AllocsPerRun(10, func() { _ = v.Verify(r) })
	assert.LessOrEqual(t, allocs, 8.0)
}
