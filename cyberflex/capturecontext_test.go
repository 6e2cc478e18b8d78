package cyberflex

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	ccKid     = "3g"
	ccIat     = testIAT     // 2026-11-21T12:17:15Z
	ccExp     = ccIat + 900 // capture contexts live 15 minutes
	ccJWKKid  = "00SvIaGIfyaw897rDeG9eFdODKaCKc1q"
	ccJTI     = "rOAksGcp8Bgg6WLj"
	ccJWKN    = "vgbXTHKJGisE3rPTvrJ6o1rHoTtP2OAia8KOHHRgmn0TuqMLN5gtcZqUmLbUyiHXhkdajmKU0nmPbiYdnAn2sjCl5oUH-Heb_KTQ55mATBgcFNcFo5WLDCxW3DxVo3T7SpaLtkSFmeeumFiG1ggX_huHR5ANA-wrKdxU95Z1DdpnuJSZJcrH6qdV_KtyQ6lSEBVQHbmpoVgmDEUuSoPLCsDI5XRkFG8vPEvjDsHAgNxzh0-uG2q7zyHdhMagKr38gQjwEePVev8sA1bB_Ush3sINdtXJDHAPYOebSKnbMhxkWTfX7NtJDMqhD-_C-HMX4rLlUAvJJ5X2bXXKlQGOxQ"
	ccFlxData = "NTaTH27q\\u003d" // Gson escapes '=' as \u003d
)

// ccPayload renders the claim layout of a real Flex API capture context
// (as CyberSource issues it), in the same member order.
func ccPayload(iss string, iat, exp int64) string {
	return `{"flx":{"path":"/flex/v2/tokens","data":"` + ccFlxData + `","origin":"https://testflex.cybersource.com",` +
		`"jwk":{"kty":"RSA","e":"AQAB","use":"enc","n":"` + ccJWKN + `","kid":"` + ccJWKKid + `"}},` +
		`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number"],` +
		`"optionalFields":["paymentInformation.card.expirationYear","paymentInformation.card.expirationMonth"]},"type":"api-0.1.0"}],` +
		fmt.Sprintf(`"iss":%q,"exp":%d,"iat":%d,"jti":%q}`, iss, exp, iat, ccJTI)
}

func validPayload() string { return ccPayload("Flex API", ccIat, ccExp) }

// wantClaims is the decoded form of validPayload.
func wantClaims() CaptureContextClaims {
	return CaptureContextClaims{
		KeyID:     ccKid,
		Issuer:    "Flex API",
		IssuedAt:  time.Unix(ccIat, 0).UTC(),
		ExpiresAt: time.Unix(ccExp, 0).UTC(),
		ID:        ccJTI,
		Tokenization: Tokenization{
			Path: "/flex/v2/tokens", Data: "NTaTH27q=", Origin: "https://testflex.cybersource.com",
			JWK: EncryptionKey{Kty: "RSA", E: "AQAB", Use: "enc", N: ccJWKN, KeyID: ccJWKKid},
		},
		Settings: []Settings{{
			Type: "api-0.1.0",
			Data: SettingsData{
				RequiredFields: []string{"paymentInformation.card.number"},
				OptionalFields: []string{"paymentInformation.card.expirationYear", "paymentInformation.card.expirationMonth"},
			},
		}},
	}
}

// ccNow is a moment inside the token's lifetime.
var ccNow = time.Unix(ccIat+60, 0)

// signCC signs payload with go-jose. kid "" leaves the kid out; the header
// is {"alg":"RS256","kid":"3g"} like CyberSource's (no "typ").
func signCC(t testing.TB, alg jose.SignatureAlgorithm, key any, kid, payload string) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

var (
	testRSAKeyOld  = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })
	testRSAKey1024 = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(1024) })
)

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

// fakeFetcher serves keys by call number and counts fetches.
type fakeFetcher struct {
	calls atomic.Int32
	// keys[i] answers call i+1; the last entry answers all later calls.
	keys []any // *rsa.PublicKey, other key, nil (not found) or error
}

func (f *fakeFetcher) fetch(_ context.Context, kid string) (*jose.JSONWebKey, error) {
	n := int(f.calls.Add(1))
	if n > len(f.keys) {
		n = len(f.keys)
	}
	switch k := f.keys[n-1].(type) {
	case nil:
		return nil, nil
	case error:
		return nil, k
	default:
		// The real endpoint returns {"kty":"RSA","use":"enc","kid":..,"n":..,"e":"AQAB"}.
		return &jose.JSONWebKey{Key: k, KeyID: kid, Use: "enc"}, nil
	}
}

func pub(k *rsa.PrivateKey) *rsa.PublicKey { return &k.PublicKey }

func TestParseCaptureContext(t *testing.T) {
	tok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	for _, in := range []string{tok, "  " + tok + "\r\n", `"` + tok + `"`, " \t\"" + tok + "\"\n"} {
		cc, err := parseCaptureContext(in)
		if err != nil {
			t.Fatalf("parseCaptureContext(%q...): %v", in[:8], err)
		}
		if cc.Token != tok {
			t.Errorf("Token not normalised: %q", cc.Token)
		}
		if !reflect.DeepEqual(cc.Claims, wantClaims()) {
			t.Errorf("claims\n got %#v\nwant %#v", cc.Claims, wantClaims())
		}
	}
}

// TestCtxDataExtra: members other than required/optionalFields (Microform,
// Unified Checkout) are kept raw and survive a round trip.
func TestCtxDataExtra(t *testing.T) {
	in := `{"clientLibrary":"https://testflex.cybersource.com/microform/bundle/v2/flex-microform.min.js","requiredFields":["a"],"targetOrigins":["https://shop.example"]}`
	var d SettingsData
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	want := SettingsData{
		RequiredFields: []string{"a"},
		Extra: map[string]json.RawMessage{
			"clientLibrary": json.RawMessage(`"https://testflex.cybersource.com/microform/bundle/v2/flex-microform.min.js"`),
			"targetOrigins": json.RawMessage(`["https://shop.example"]`),
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("got %#v\nwant %#v", d, want)
	}
	out, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in { // encoding/json sorts map keys, as in the input
		t.Errorf("round trip\n got %s\nwant %s", out, in)
	}
	if err := json.Unmarshal([]byte(`{"requiredFields":"x"}`), &d); err == nil {
		t.Error("requiredFields of wrong type accepted")
	}
}

func TestParseCaptureContextMalformed(t *testing.T) {
	good := signCC(t, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	parts := strings.Split(good, ".")
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", "cyberflex: invalid capture context: malformed token: empty token"},
		{"whitespace and quotes only", " \"\" ", "cyberflex: invalid capture context: malformed token: empty token"},
		{"one segment", "abc", "cyberflex: invalid capture context: malformed token: compact JWS must have 3 dot-separated segments, got 1"},
		{"two segments", parts[0] + "." + parts[1], "cyberflex: invalid capture context: malformed token: compact JWS must have 3 dot-separated segments, got 2"},
		{"four segments", good + ".x", "cyberflex: invalid capture context: malformed token: compact JWS must have 3 dot-separated segments, got 4"},
		{"garbage base64 header", "!!!." + parts[1] + "." + parts[2], "cyberflex: invalid capture context: malformed token: header segment is not base64url"},
		{"garbage base64 payload", parts[0] + ".%%%." + parts[2], "cyberflex: invalid capture context: malformed token: payload segment is not base64url"},
		{"garbage base64 signature", parts[0] + "." + parts[1] + ".a b", "cyberflex: invalid capture context: malformed token: signature segment is not base64url"},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], "cyberflex: invalid capture context: malformed token: header segment is not base64url"},
		{"header not JSON", b64("kid") + "." + parts[1] + "." + parts[2], "cyberflex: invalid capture context: malformed token: header is not a JSON object: not a JSON object"},
		{"header JSON null", b64("null") + "." + parts[1] + "." + parts[2], "cyberflex: invalid capture context: malformed token: header is not a JSON object: not a JSON object"},
		{"payload JSON array", parts[0] + "." + b64("[1]") + "." + parts[2], "cyberflex: invalid capture context: malformed token: claims are not a valid JSON object: not a JSON object"},
		{"payload trailing data", parts[0] + "." + b64(`{"iss":"Flex API"}}`) + "." + parts[2], "cyberflex: invalid capture context: malformed token: claims are not a valid JSON object: trailing data after JSON object"},
		{"exp is a string", parts[0] + "." + b64(`{"exp":"1614792268"}`) + "." + parts[2], ""},
		{"exp out of range", parts[0] + "." + b64(`{"exp":1e300}`) + "." + parts[2], ""},
		{"negative iat", parts[0] + "." + b64(`{"iat":-1}`) + "." + parts[2], ""},
		{"iss not a string", parts[0] + "." + b64(`{"iss":7}`) + "." + parts[2], ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc, err := parseCaptureContext(tt.in)
			if err == nil {
				t.Fatalf("accepted: %+v", cc)
			}
			if !errors.Is(err, ErrCaptureContextMalformed) || !errors.Is(err, ErrInvalidCaptureContext) {
				t.Errorf("%v does not wrap ErrCaptureContextMalformed and ErrInvalidCaptureContext", err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			assertNoToken(t, err, tt.in)
		})
	}
}

// assertNoToken fails if the error text contains the token or any of its
// longer segments.
func assertNoToken(t *testing.T, err error, token string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, seg := range append(strings.Split(token, "."), token) {
		if len(seg) >= 16 && strings.Contains(msg, seg) {
			t.Errorf("error text contains the token: %q", msg)
		}
	}
}

func TestVerifyCaptureContext(t *testing.T) {
	key := testRSAKey2048()
	valid := signCC(t, jose.RS256, key, ccKid, validPayload())
	parts := strings.Split(valid, ".")

	// Classic key confusion: HMAC keyed with the PEM of the RSA public key.
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsConfusion := signCC(t, jose.HS256, pubPEM, ccKid, validPayload())

	tamperedPayload := parts[0] + "." + b64(strings.Replace(validPayload(), `"paymentInformation.card.number"`, `"paymentInformation.card.type"`, 1)) + "." + parts[2]
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sig[10] ^= 0x01
	tamperedSig := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

	errNet := errors.New("dial tcp: connection refused")
	tests := []struct {
		name       string
		token      string
		keys       []any
		now        time.Time
		leeway     time.Duration
		wantErr    error // nil = valid
		wantMsg    string
		wantCalls  int32
		notInvalid bool // error must NOT wrap ErrInvalidCaptureContext
	}{
		{name: "valid", token: valid, keys: []any{pub(key)}, wantCalls: 1},
		{name: "valid, quoted with whitespace", token: " \"" + valid + "\"\n", keys: []any{pub(key)}, wantCalls: 1},
		{name: "valid at exp+leeway-1s", token: valid, keys: []any{pub(key)}, now: time.Unix(ccExp+59, 0), wantCalls: 1},
		{name: "valid with iat at now+leeway", token: valid, keys: []any{pub(key)}, now: time.Unix(ccIat-60, 0), wantCalls: 1},
		{
			name: "alg none", token: b64(`{"alg":"none","kid":"3g"}`) + "." + parts[1] + ".", keys: []any{pub(key)},
			wantErr: ErrUnsupportedAlgorithm, wantMsg: `cyberflex: invalid capture context: unsupported signing algorithm: alg "none" (only RS256 is accepted)`,
		},
		{
			name: "HS256 key confusion with the public key", token: hsConfusion, keys: []any{pub(key)},
			wantErr: ErrUnsupportedAlgorithm, wantMsg: `cyberflex: invalid capture context: unsupported signing algorithm: alg "HS256" (only RS256 is accepted)`,
		},
		{
			name: "RS512 not accepted", token: signCC(t, jose.RS512, key, ccKid, validPayload()), keys: []any{pub(key)},
			wantErr: ErrUnsupportedAlgorithm, wantMsg: `cyberflex: invalid capture context: unsupported signing algorithm: alg "RS512" (only RS256 is accepted)`,
		},
		{
			name: "missing alg", token: b64(`{"kid":"3g"}`) + "." + parts[1] + "." + parts[2], keys: []any{pub(key)},
			wantErr: ErrUnsupportedAlgorithm, wantMsg: `cyberflex: invalid capture context: unsupported signing algorithm: alg "" (only RS256 is accepted)`,
		},
		{
			name: "missing kid", token: signCC(t, jose.RS256, key, "", validPayload()), keys: []any{pub(key)},
			wantErr: ErrMissingKeyID, wantMsg: "cyberflex: invalid capture context: missing key id: the JWS header has no kid",
		},
		{
			name: "unknown kid (fetcher error wraps ErrUnknownKeyID)", token: valid, keys: []any{fmt.Errorf("%w: GET /flex/v2/public-keys/3g: 404 Not Found", ErrUnknownKeyID)},
			wantErr: ErrUnknownKeyID, wantCalls: 1,
			wantMsg: `cyberflex: invalid capture context: unknown key id: GET /flex/v2/public-keys/3g: 404 Not Found (kid "3g")`,
		},
		{
			name: "unknown kid (fetcher returns nil, nil)", token: valid, keys: []any{nil},
			wantErr: ErrUnknownKeyID, wantCalls: 1, wantMsg: `cyberflex: invalid capture context: unknown key id: no key published for kid "3g"`,
		},
		{
			name: "fetch failure is not an invalid token", token: valid, keys: []any{errNet},
			wantErr: errNet, wantCalls: 1, notInvalid: true,
			wantMsg: `cyberflex: fetching capture context verification key failed (kid "3g"): dial tcp: connection refused`,
		},
		{
			name: "tampered payload (one refetch)", token: tamperedPayload, keys: []any{pub(key)},
			wantErr: ErrCaptureContextSignature, wantCalls: 2, wantMsg: `cyberflex: invalid capture context: signature verification failed: kid "3g"`,
		},
		{
			name: "tampered signature (one refetch)", token: tamperedSig, keys: []any{pub(key)},
			wantErr: ErrCaptureContextSignature, wantCalls: 2, wantMsg: `cyberflex: invalid capture context: signature verification failed: kid "3g"`,
		},
		{
			name: "signed by another key", token: signCC(t, jose.RS256, testRSAKeyOld(), ccKid, validPayload()), keys: []any{pub(key)},
			wantErr: ErrCaptureContextSignature, wantCalls: 2,
		},
		{
			name: "expired", token: valid, keys: []any{pub(key)}, now: time.Unix(ccExp+61, 0), wantCalls: 1,
			wantErr: ErrCaptureContextExpired, wantMsg: "cyberflex: invalid capture context: expired: exp 2026-11-21T12:32:15Z is not after now 2026-11-21T12:33:16Z (leeway 1m0s)",
		},
		{
			name: "expired exactly at exp+leeway", token: valid, keys: []any{pub(key)}, now: time.Unix(ccExp+60, 0), wantCalls: 1,
			wantErr: ErrCaptureContextExpired,
		},
		{
			name: "expired with zero leeway", token: valid, keys: []any{pub(key)}, now: time.Unix(ccExp, 0), leeway: -1, wantCalls: 1,
			wantErr: ErrCaptureContextExpired, wantMsg: "cyberflex: invalid capture context: expired: exp 2026-11-21T12:32:15Z is not after now 2026-11-21T12:32:15Z (leeway 0s)",
		},
		{
			name: "iat in the future", token: valid, keys: []any{pub(key)}, now: time.Unix(ccIat-61, 0), wantCalls: 1,
			wantErr: ErrCaptureContextNotYetValid, wantMsg: "cyberflex: invalid capture context: issued in the future: iat 2026-11-21T12:17:15Z is after now 2026-11-21T12:16:14Z (leeway 1m0s)",
		},
		{
			name: "nbf in the future", token: signCC(t, jose.RS256, key, ccKid, strings.Replace(validPayload(), `"iss"`, fmt.Sprintf(`"nbf":%d,"iss"`, ccIat+600), 1)),
			keys: []any{pub(key)}, wantCalls: 1, wantErr: ErrCaptureContextNotYetValid,
		},
		{
			name: "missing exp", token: signCC(t, jose.RS256, key, ccKid, `{"iss":"Flex API","iat":1795263435}`), keys: []any{pub(key)}, wantCalls: 1,
			wantErr: ErrCaptureContextMalformed, wantMsg: "cyberflex: invalid capture context: malformed token: missing exp claim",
		},
		{
			name: "wrong issuer (e.g. a transient token)", token: signCC(t, jose.RS256, key, ccKid, ccPayload("Flex/08", ccIat, ccExp)), keys: []any{pub(key)}, wantCalls: 1,
			wantErr: ErrCaptureContextIssuer, wantMsg: `cyberflex: invalid capture context: unexpected issuer: iss "Flex/08", want "Flex API"`,
		},
		{
			name: "1024-bit key rejected", token: signCC(t, jose.RS256, testRSAKey1024(), ccKid, validPayload()), keys: []any{pub(testRSAKey1024())}, wantCalls: 1,
			wantErr: ErrWeakKey, wantMsg: `cyberflex: invalid capture context: verification key is not an RSA key of at least 2048 bits: kid "3g" is 1024 bits`,
		},
		{
			name: "EC key rejected", token: valid, keys: []any{&ecKey.PublicKey}, wantCalls: 1,
			wantErr: ErrWeakKey, wantMsg: `cyberflex: invalid capture context: verification key is not an RSA key of at least 2048 bits: kid "3g" is a *ecdsa.PublicKey`,
		},
		{
			name: "key rotation: old key, then new key", token: valid, keys: []any{pub(testRSAKeyOld()), pub(key)}, wantCalls: 2,
		},
		{
			name: "refetch fails", token: valid, keys: []any{pub(testRSAKeyOld()), errNet}, wantCalls: 2,
			wantErr: ErrKeyFetch, notInvalid: true,
		},
		{
			name: "long attacker kid is cut in errors", token: signCC(t, jose.RS256, key, strings.Repeat("k", MaxKeyIDLength), validPayload()), keys: []any{nil}, wantCalls: 1,
			wantErr: ErrUnknownKeyID, wantMsg: `cyberflex: invalid capture context: unknown key id: no key published for kid "` + strings.Repeat("k", 40) + `"…`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFetcher{keys: tt.keys}
			c := newKeyCache(f.fetch)
			now := tt.now
			if now.IsZero() {
				now = ccNow
			}
			leeway := tt.leeway
			if leeway == 0 {
				leeway = DefaultLeeway
			}
			cc, err := c.verify(context.Background(), tt.token, now, leeway)
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("fetches = %d, want %d", got, tt.wantCalls)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("verify: %v", err)
				}
				if cc.Token != strings.Trim(strings.TrimSpace(tt.token), `"`) {
					t.Errorf("Token = %q", cc.Token)
				}
				if !reflect.DeepEqual(cc.Claims, wantClaims()) {
					t.Errorf("claims\n got %#v\nwant %#v", cc.Claims, wantClaims())
				}
				return
			}
			if err == nil {
				t.Fatalf("verify accepted the token, want %v", tt.wantErr)
			}
			if cc != nil {
				t.Errorf("verify returned a capture context with an error")
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q does not wrap %q", err, tt.wantErr)
			}
			if got := errors.Is(err, ErrInvalidCaptureContext); got == tt.notInvalid {
				t.Errorf("errors.Is(err, ErrInvalidCaptureContext) = %v for %q", got, err)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tt.wantMsg)
			}
			assertNoToken(t, err, tt.token)
		})
	}
}

// TestCaptureContextSizeLimit: a token over MaxCaptureContextSize is refused before it is split
// or decoded, at a cost that does not grow with its size.
func TestCaptureContextSizeLimit(t *testing.T) {
	valid := genuineToken(t, ccKid)
	parts := strings.Split(valid, ".")
	huge := parts[0] + "." + strings.Repeat("A", 10<<20) + "." + parts[2] // 10 MiB of valid base64url
	f := &fakeFetcher{keys: []any{pub(testRSAKey2048())}}
	c := newKeyCacheWithClock(f.fetch, newTestClock().now)
	want := fmt.Sprintf("cyberflex: invalid capture context: malformed token: token is %d bytes, over the 65536-byte limit for a capture context", len(huge))

	checks := map[string]func() error{
		"parse":  func() error { _, err := parseCaptureContext(huge); return err },
		"verify": func() error { _, err := c.verify(context.Background(), huge, ccNow, DefaultLeeway); return err },
	}
	for name, check := range checks {
		if err := check(); err == nil || err.Error() != want || !errors.Is(err, ErrCaptureContextMalformed) {
			t.Errorf("%s: %v\nwant %s", name, err, want)
		}
		if allocs := testing.AllocsPerRun(20, func() { _ = check() }); allocs > 4 {
			t.Errorf("%s: %.0f allocations per call, want at most 4", name, allocs)
		}
		if bytes := allocatedPerCall(20, func() { _ = check() }); bytes > 4<<10 {
			t.Errorf("%s: %d bytes allocated per call, want at most 4 KiB", name, bytes)
		}
	}
	if f.calls.Load() != 0 {
		t.Error("the key was fetched for an oversized token")
	}

	// The limit counts the token as given, surrounding whitespace included.
	padded := valid + strings.Repeat(" ", MaxCaptureContextSize-len(valid))
	mustVerify(t, c, padded, "token of exactly MaxCaptureContextSize bytes")
	wantVerifyError(t, c, padded+" ", ErrCaptureContextMalformed, "token of MaxCaptureContextSize+1 bytes")
}

// allocatedPerCall is the average number of heap bytes f allocates, over runs calls.
func allocatedPerCall(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

// TestSentinelsAreDistinct: each check has its own sentinel, all under
// ErrInvalidCaptureContext.
func TestSentinelsAreDistinct(t *testing.T) {
	all := []error{ErrCaptureContextMalformed, ErrUnsupportedAlgorithm, ErrMissingKeyID, ErrUnknownKeyID, ErrWeakKey, ErrCaptureContextSignature, ErrCaptureContextExpired, ErrCaptureContextNotYetValid, ErrCaptureContextIssuer}
	for i, a := range all {
		if !errors.Is(a, ErrInvalidCaptureContext) {
			t.Errorf("%v does not wrap ErrInvalidCaptureContext", a)
		}
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v matches %v", a, b)
			}
		}
	}
	if errors.Is(ErrKeyFetch, ErrInvalidCaptureContext) {
		t.Error("ErrKeyFetch must not wrap ErrInvalidCaptureContext")
	}
}

func FuzzParseCaptureContext(f *testing.F) {
	tok := signCC(f, jose.RS256, testRSAKey2048(), ccKid, validPayload())
	for _, seed := range []string{
		tok,
		`"` + tok + `"`,
		"",
		"a.b",
		"a.b.c",
		"..",
		b64(`{"alg":"none"}`) + "." + b64(`{"exp":1e999}`) + ".",
		b64(`{"alg":"RS256","kid":"3g"}`) + "." + b64(`{"ctx":[{"data":null}],"flx":null}`) + ".c2ln",
		"\"\xff\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cc, err := parseCaptureContext(s)
		if (cc == nil) == (err == nil) {
			t.Fatalf("cc=%v err=%v", cc, err)
		}
		if err != nil && !errors.Is(err, ErrCaptureContextMalformed) {
			t.Fatalf("error %v does not wrap ErrCaptureContextMalformed", err)
		}
	})
}
