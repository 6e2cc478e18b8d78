package cyberflex_test

// Benchmarks of the CyberSource Flex client against hand-written net/http + encoding/json (+
// crypto/hmac, go-jose) baselines doing the same job against the same local server, in the same
// run. See BENCHMARKS.md; the sub-benchmark names (impl=sdk, impl=baseline) let benchstat pair
// them:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./cyberflex > bench.txt
//	benchstat -col /impl bench.txt

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	paysession "github.com/paysession/paysession-go"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex"
)

const (
	benchMerchantID = "testrest"
	benchKeyID      = "08c94330-f618-42a3-b09d-e1e43be5efda"
	benchSecret     = "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="
	benchKid        = "3g"
	benchUA         = "paysession-go/" + paysession.Version
	benchMaxBody    = 8 << 20 // httpx.MaxBodySize, the SDK's read limit
	benchLeeway     = cyberflex.DefaultLeeway
)

// benchRSAKey is CyberSource's capture-context signing key, for kid "3g".
var benchRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// benchClaims renders the claims of a real Flex API v2 capture context, in the same
// member order: flx with the card-encryption JWK, ctx with the requested fields, iss, exp, iat,
// jti. iat is a minute ago and exp a day ahead, so the token stays valid for the whole run.
func benchClaims(now time.Time) string {
	const n = "vgbXTHKJGisE3rPTvrJ6o1rHoTtP2OAia8KOHHRgmn0TuqMLN5gtcZqUmLbUyiHXhkdajmKU0nmPbiYdnAn2sjCl5oUH-Heb_KTQ55mATBgcFNcFo5WLDCxW3DxVo3T7SpaLtkSFmeeumFiG1ggX_huHR5ANA-wrKdxU95Z1DdpnuJSZJcrH6qdV_KtyQ6lSEBVQHbmpoVgmDEUuSoPLCsDI5XRkFG8vPEvjDsHAgNxzh0-uG2q7zyHdhMagKr38gQjwEePVev8sA1bB_Ush3sINdtXJDHAPYOebSKnbMhxkWTfX7NtJDMqhD-_C-HMX4rLlUAvJJ5X2bXXKlQGOxQ"
	return `{"flx":{"path":"/flex/v2/tokens","data":"NTaTH27qSxvVbAdxXk4rEAEI3PFDkBlUA1fm6xS6kkwAXTuYMx6DhmJnTWR1cuAbY2y5bcjEvkLyACLjxHTPB24Ex5svEk48TiXrSPh8DE2F5RSzdJvqjy1DTMqOHk9DpB1z\u003d",` +
		`"origin":"https://testflex.cybersource.com","jwk":{"kty":"RSA","e":"AQAB","use":"enc","n":"` + n + `","kid":"00SvIaGIfyaw897rDeG9eFdODKaCKc1q"}},` +
		`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number","paymentInformation.card.expirationMonth","paymentInformation.card.expirationYear"],` +
		`"optionalFields":["paymentInformation.card.securityCode","paymentInformation.card.type"]},"type":"api-0.1.0"}],` +
		fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":"rOAksGcp8Bgg6WLj"}`, now.Add(24*time.Hour).Unix(), now.Add(-time.Minute).Unix())
}

// benchToken is a capture context as POST /flex/v2/sessions returns it: header
// {"alg":"RS256","kid":"3g"}, signed with benchRSAKey.
func benchToken(tb testing.TB, kid string) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: benchRSAKey()},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		tb.Fatal(err)
	}
	jws, err := signer.Sign([]byte(benchClaims(time.Now())))
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// benchRequest is a card capture context request: number, expiry and type, security code.
func benchRequest() cyberflex.CaptureContextRequest {
	return cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
		Type:            cyberflex.Optional(),
	})
}

// benchHandler is the local CyberSource: POST /flex/v2/sessions answers 201 with token
// (application/jwt), GET /flex/v2/public-keys/3g the JWK of benchRSAKey.
func benchHandler(token string) http.Handler {
	jwk, err := jose.JSONWebKey{Key: &benchRSAKey().PublicKey, KeyID: benchKid, Use: "enc", Algorithm: "RS256"}.MarshalJSON()
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /flex/v2/sessions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/jwt")
		w.Header().Set("Content-Length", strconv.Itoa(len(token)))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, token)
	})
	mux.HandleFunc("GET /flex/v2/public-keys/"+benchKid, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(jwk)))
		_, _ = w.Write(jwk)
	})
	return mux
}

func benchServer(tb testing.TB, token string) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(benchHandler(token))
	tb.Cleanup(srv.Close)
	return srv
}

// benchHTTPClient is the *http.Client both implementations use: a 60 s timeout per request (as
// the SDK's default client has) over a transport of its own.
func benchHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func benchSDK(tb testing.TB, srv *httptest.Server) *cyberflex.Client {
	tb.Helper()
	c, err := cyberflex.New(cyberflex.WithBaseURL(srv.URL),
		cyberflex.WithHTTPSignature(benchMerchantID, benchKeyID, benchSecret),
		cyberflex.WithHTTPClient(benchHTTPClient()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchBaseline is the hand-written client: what a careful integration would write with net/http,
// encoding/json, crypto/hmac and go-jose. It signs exactly as CyberSource documents (the official
// SDKs: Digest = SHA-256 of the body, HMAC-SHA256 over host, date, request-target, digest and
// v-c-merchant-id, with the base64-decoded secret), sets the same headers as the SDK, reads bodies
// through the same 8 MiB limit, closes them, does not follow redirects, and decodes the capture
// context's header and claims into the same types.
type benchBaseline struct {
	hc     *http.Client
	base   string
	host   string
	secret []byte // decoded once

	mu   sync.RWMutex
	keys map[string]*rsa.PublicKey // verification keys by kid
}

func newBenchBaseline(tb testing.TB, srv *httptest.Server) *benchBaseline {
	secret, err := base64.StdEncoding.DecodeString(benchSecret)
	if err != nil {
		tb.Fatal(err)
	}
	hc := benchHTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &benchBaseline{hc: hc, base: srv.URL, host: string(cyberflex.Sandbox), secret: secret, keys: map[string]*rsa.PublicKey{}}
}

// benchBaseClaims are the capture context claims, decoded with the SDK's public claim types.
type benchBaseClaims struct {
	Iss          string                 `json:"iss"`
	Iat          *float64               `json:"iat"`
	Exp          *float64               `json:"exp"`
	Jti          string                 `json:"jti"`
	Tokenization cyberflex.Tokenization `json:"flx"`
	Settings     []cyberflex.Settings   `json:"ctx"`
}

type benchBaseCaptureContext struct {
	Token  string
	KeyID  string
	Claims benchBaseClaims
}

type benchBaselineError struct {
	status int
	body   []byte
}

func (e *benchBaselineError) Error() string {
	return fmt.Sprintf("cyberflex: HTTP %d: %.120s", e.status, e.body)
}

func (b *benchBaseline) generate(ctx context.Context, r cyberflex.CaptureContextRequest) (*benchBaseCaptureContext, error) {
	body, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	const path = "/flex/v2/sessions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	date := time.Now().UTC().Format(http.TimeFormat)
	mac := hmac.New(sha256.New, b.secret)
	mac.Write([]byte("host: " + b.host + "\ndate: " + date + "\nrequest-target: post " + path +
		"\ndigest: " + digest + "\nv-c-merchant-id: " + benchMerchantID))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))

	req.Host = b.host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/jwt")
	req.Header.Set("User-Agent", benchUA)
	req.Header.Set("V-C-Merchant-Id", benchMerchantID)
	req.Header.Set("Date", date)
	req.Header.Set("Digest", digest)
	req.Header.Set("Signature", `keyid="`+benchKeyID+`", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="`+sig+`"`)

	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, benchMaxBody+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &benchBaselineError{resp.StatusCode, data}
	}
	if err != nil {
		return nil, err
	}
	if len(data) > benchMaxBody {
		return nil, errors.New("cyberflex: response body too large")
	}
	return benchParseUnverified(strings.TrimSpace(string(data)))
}

// benchParseUnverified decodes a capture context's header kid and claims without verifying
// it, as the SDK does for the token it has just received over TLS.
func benchParseUnverified(token string) (*benchBaseCaptureContext, error) {
	h, p, ok := strings.Cut(token, ".")
	if !ok {
		return nil, errors.New("not a JWS")
	}
	p, _, ok = strings.Cut(p, ".")
	if !ok {
		return nil, errors.New("not a JWS")
	}
	hb, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, err
	}
	pb, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, err
	}
	var header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(hb, &header); err != nil {
		return nil, err
	}
	cc := &benchBaseCaptureContext{Token: token, KeyID: header.Kid}
	if err := json.Unmarshal(pb, &cc.Claims); err != nil {
		return nil, err
	}
	return cc, nil
}

// key returns the cached verification key for kid, fetching it (GET
// /flex/v2/public-keys/{kid}, unauthenticated) on a miss.
func (b *benchBaseline) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	b.mu.RLock()
	k := b.keys[kid]
	b.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/flex/v2/public-keys/"+kid, nil)
	if err != nil {
		return nil, err
	}
	req.Host = b.host
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", benchUA)
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, benchMaxBody+1))
	if resp.StatusCode != http.StatusOK {
		return nil, &benchBaselineError{resp.StatusCode, data}
	}
	if err != nil {
		return nil, err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	pub, ok := jwk.Key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() < 2048 {
		return nil, errors.New("not an RSA key of 2048 bits or more")
	}
	b.mu.Lock()
	b.keys[kid] = pub
	b.mu.Unlock()
	return pub, nil
}

// verify checks a capture context: RS256 only, signature by the key for its kid, iss "Flex API",
// exp not passed and iat not in the future (with leeway), and returns its claims.
func (b *benchBaseline) verify(ctx context.Context, token string) (*benchBaseCaptureContext, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Protected.KeyID == "" {
		return nil, errors.New("no kid")
	}
	kid := jws.Signatures[0].Protected.KeyID
	key, err := b.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, err
	}
	cc := &benchBaseCaptureContext{Token: token, KeyID: kid}
	if err := json.Unmarshal(payload, &cc.Claims); err != nil {
		return nil, err
	}
	c := &cc.Claims
	now := time.Now()
	switch {
	case c.Iss != cyberflex.CaptureContextIssuer:
		return nil, errors.New("wrong issuer")
	case c.Exp == nil || !now.Before(benchUnixFloat(*c.Exp).Add(benchLeeway)):
		return nil, errors.New("expired")
	case c.Iat != nil && benchUnixFloat(*c.Iat).After(now.Add(benchLeeway)):
		return nil, errors.New("issued in the future")
	}
	return cc, nil
}

func benchUnixFloat(f float64) time.Time {
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}

var benchSink any

func BenchmarkGenerateCaptureContext(b *testing.B) {
	srv := benchServer(b, benchToken(b, benchKid))
	ctx := context.Background()
	req := benchRequest()
	b.Run("impl=sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		b.ReportAllocs()
		for b.Loop() {
			cc, err := c.GenerateCaptureContext(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = cc
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(b, srv)
		b.ReportAllocs()
		for b.Loop() {
			cc, err := c.generate(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = cc
		}
	})
}

// BenchmarkVerifyCaptureContext verifies with the key cached: the key is fetched from the local
// server once, before the timed loop, by each implementation.
func BenchmarkVerifyCaptureContext(b *testing.B) {
	token := benchToken(b, benchKid)
	srv := benchServer(b, token)
	ctx := context.Background()
	b.Run("impl=sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		if _, err := c.VerifyCaptureContext(ctx, token); err != nil { // fills the key cache
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			cc, err := c.VerifyCaptureContext(ctx, token)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = cc
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(b, srv)
		if _, err := c.verify(ctx, token); err != nil { // fills the key cache
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			cc, err := c.verify(ctx, token)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = cc
		}
	})
}

// TestBenchBaselineDoesTheSameJob keeps the comparison honest: the SDK and the baseline send the
// same request (same body, same headers, a signature that verifies as CyberSource checks it),
// fetch the key the same way, and return the same claims.
func TestBenchBaselineDoesTheSameJob(t *testing.T) {
	token := benchToken(t, benchKid)
	h := benchHandler(token)
	var (
		mu   sync.Mutex
		seen []*http.Request
		body [][]byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen, body = append(seen, r), append(body, b)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	sdk, base := benchSDK(t, srv), newBenchBaseline(t, srv)

	got, err := sdk.GenerateCaptureContext(ctx, benchRequest())
	if err != nil {
		t.Fatal(err)
	}
	want, err := base.generate(ctx, benchRequest())
	if err != nil {
		t.Fatal(err)
	}
	benchSameClaims(t, "GenerateCaptureContext", got, want)

	gotV, err := sdk.VerifyCaptureContext(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	wantV, err := base.verify(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	benchSameClaims(t, "VerifyCaptureContext", gotV, wantV)

	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 4 {
		t.Fatalf("%d requests, want 4 (two creates, two key fetches)", len(seen))
	}
	key, _ := base64.StdEncoding.DecodeString(benchSecret)
	for i, r := range seen {
		who := []string{"sdk", "baseline"}[i%2]
		if r.Host != string(cyberflex.Sandbox) || r.Header.Get("User-Agent") != benchUA {
			t.Errorf("%s %s: Host %q, User-Agent %q", who, r.URL.Path, r.Host, r.Header.Get("User-Agent"))
		}
		if i >= 2 { // key fetches: unauthenticated GETs
			if r.Method != http.MethodGet || r.Header.Get("Accept") != "application/json" || r.Header.Get("Signature") != "" {
				t.Errorf("%s key fetch: %s Accept %q Signature %q", who, r.Method, r.Header.Get("Accept"), r.Header.Get("Signature"))
			}
			continue
		}
		if !bytes.Equal(body[i], body[0]) {
			t.Errorf("%s body %s, sdk sent %s", who, body[i], body[0])
		}
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/jwt" ||
			r.Header.Get("V-C-Merchant-Id") != benchMerchantID {
			t.Errorf("%s headers %v", who, r.Header)
		}
		sum := sha256.Sum256(body[i])
		digest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte("host: " + r.Host + "\ndate: " + r.Header.Get("Date") + "\nrequest-target: post " + r.URL.RequestURI() +
			"\ndigest: " + digest + "\nv-c-merchant-id: " + benchMerchantID))
		wantSig := `keyid="` + benchKeyID + `", algorithm="HmacSHA256", headers="host date request-target digest v-c-merchant-id", signature="` +
			base64.StdEncoding.EncodeToString(mac.Sum(nil)) + `"`
		if r.Header.Get("Digest") != digest || r.Header.Get("Signature") != wantSig {
			t.Errorf("%s: Digest %q Signature %q do not verify", who, r.Header.Get("Digest"), r.Header.Get("Signature"))
		}
	}
}

func benchSameClaims(t *testing.T, op string, got *cyberflex.CaptureContext, want *benchBaseCaptureContext) {
	t.Helper()
	w := want.Claims
	g := got.Claims
	same := got.Token == want.Token && g.KeyID == want.KeyID && g.Issuer == w.Iss && g.ID == w.Jti &&
		g.IssuedAt.Equal(benchUnixFloat(*w.Iat)) && g.ExpiresAt.Equal(benchUnixFloat(*w.Exp))
	gj, _ := json.Marshal([]any{g.Tokenization, g.Settings})
	wj, _ := json.Marshal([]any{w.Tokenization, w.Settings})
	if !same || !bytes.Equal(gj, wj) {
		t.Errorf("%s: sdk %+v\nbaseline %+v", op, got, want)
	}
}

// The card flow: Tokenize (JWE to the capture context's one-time key, POST to flx.origin, the
// transient token verified) and VerifyTransientToken, each beside a hand-written go-jose
// baseline doing the same job. The capture context is verified once before the timed loops by
// each side; its flx.origin is the local server.

const (
	benchJWKKid = "00SvIaGIfyaw897rDeG9eFdODKaCKc1q"
	benchPAN    = "4111111111111111"
)

// benchOneTimeKey is the capture context's flx.jwk: card data is encrypted to it and transient
// tokens are signed with it.
var benchOneTimeKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// benchCardCC is a Flex API capture context whose flx sends card data to origin, signed with
// benchRSAKey under benchKid; iat a minute ago, exp a day ahead.
func benchCardCC(tb testing.TB, origin string) string {
	tb.Helper()
	now := time.Now()
	pub := &benchOneTimeKey().PublicKey
	jwk, err := json.Marshal(cyberflex.EncryptionKey{Kty: "RSA", E: "AQAB", Use: "enc",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()), KeyID: benchJWKKid})
	if err != nil {
		tb.Fatal(err)
	}
	claims := `{"flx":{"path":"/flex/v2/tokens","data":"NTaTH27qSxvVbAdxXk4rEAEI3PFDkBlUA1fm6xS6kkw=","origin":"` + origin + `","jwk":` + string(jwk) + `},` +
		`"ctx":[{"data":{"requiredFields":["paymentInformation.card.number","paymentInformation.card.expirationMonth","paymentInformation.card.expirationYear"],` +
		`"optionalFields":["paymentInformation.card.securityCode"]},"type":"api-0.1.0"}],` +
		fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":"rOAksGcp8Bgg6WLj"}`, now.Add(24*time.Hour).Unix(), now.Add(-time.Minute).Unix())
	return benchSign(tb, benchRSAKey(), benchKid, claims)
}

// benchTransientToken is the transient token the local tokens endpoint answers: signed with
// benchOneTimeKey under benchJWKKid, in the Microform v2 "content" layout.
func benchTransientToken(tb testing.TB) string {
	tb.Helper()
	now := time.Now()
	claims := fmt.Sprintf(`{"iss":"Flex/08","exp":%d,"type":"api-0.1.0","iat":%d,"jti":"1E5CT8O7GN6IJ3NREYVWEOLF7Q5U931932JG5XMPAABIBBVD8HXF6872B4BEFBAA",`+
		`"content":{"paymentInformation":{"card":{"expirationYear":{"value":"2031"},"number":{"detectedCardTypes":["001"],"maskedValue":"XXXXXXXXXXXX1111","bin":"411111"},`+
		`"securityCode":{},"expirationMonth":{"value":"12"}}}}}`, now.Add(24*time.Hour).Unix(), now.Add(-30*time.Second).Unix())
	return benchSign(tb, benchOneTimeKey(), benchJWKKid, claims)
}

func benchSign(tb testing.TB, key *rsa.PrivateKey, kid, claims string) string {
	tb.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		tb.Fatal(err)
	}
	jws, err := signer.Sign([]byte(claims))
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// benchCardServer serves the capture-context key (GET /flex/v2/public-keys/3g) and the tokens
// endpoint, which reads the JWE and answers the transient token. It does not decrypt: that is
// CyberSource's cost, the same for both sides.
func benchCardServer(tb testing.TB, transientToken string, seen func(r *http.Request, body []byte)) *httptest.Server {
	tb.Helper()
	keys := benchHandler("")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/flex/v2/tokens" {
			keys.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if seen != nil {
			seen(r, body)
		}
		w.Header().Set("Content-Type", "application/jwt")
		w.Header().Set("Content-Length", strconv.Itoa(len(transientToken)))
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, transientToken)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// benchSDKCard is a JWT client of srv holding the verified capture context ccToken.
func benchSDKCard(tb testing.TB, srv *httptest.Server, ccToken string) (*cyberflex.Client, *cyberflex.CaptureContext) {
	tb.Helper()
	c, err := cyberflex.New(cyberflex.WithBaseURL(srv.URL), cyberflex.WithJWT(benchMerchantID, benchKeyID, benchSecret),
		cyberflex.WithHTTPClient(benchHTTPClient()))
	if err != nil {
		tb.Fatal(err)
	}
	cc, err := c.VerifyCaptureContext(context.Background(), ccToken)
	if err != nil {
		tb.Fatal(err)
	}
	return c, cc
}

// benchTransientClaims are a transient token's claims as the baseline decodes them.
type benchTransientClaims struct {
	Iss     string   `json:"iss"`
	Iat     *float64 `json:"iat"`
	Exp     *float64 `json:"exp"`
	Jti     string   `json:"jti"`
	Type    string   `json:"type"`
	Content struct {
		PaymentInformation struct {
			Card struct {
				Number struct {
					MaskedValue       string   `json:"maskedValue"`
					Bin               string   `json:"bin"`
					DetectedCardTypes []string `json:"detectedCardTypes"`
				} `json:"number"`
				ExpirationMonth struct {
					Value string `json:"value"`
				} `json:"expirationMonth"`
				ExpirationYear struct {
					Value string `json:"value"`
				} `json:"expirationYear"`
			} `json:"card"`
		} `json:"paymentInformation"`
	} `json:"content"`
}

// benchBaseCard is what the baseline knows of the verified capture context.
type benchBaseCard struct {
	token string
	flx   cyberflex.Tokenization
	iat   time.Time
	exp   time.Time
	req   []string // required fields
}

func (b *benchBaseline) cardContext(ctx context.Context, token string) (*benchBaseCard, error) {
	cc, err := b.verify(ctx, token)
	if err != nil {
		return nil, err
	}
	var req []string
	if len(cc.Claims.Settings) > 0 {
		req = cc.Claims.Settings[0].Data.RequiredFields
	}
	return &benchBaseCard{token: token, flx: cc.Claims.Tokenization, iat: benchUnixFloat(*cc.Claims.Iat), exp: benchUnixFloat(*cc.Claims.Exp), req: req}, nil
}

// benchJWKKey decodes flx.jwk.
func benchJWKKey(k cyberflex.EncryptionKey) (*rsa.PublicKey, error) {
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, err
	}
	if k.E != "AQAB" {
		return nil, errors.New("unexpected exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	if pub.N.BitLen() < 2048 {
		return nil, errors.New("weak key")
	}
	return pub, nil
}

// tokenize is the hand-written tokenization: the required fields checked, the documented
// plaintext encrypted with go-jose (RSA-OAEP-256, A256GCM, kid), POSTed to flx.origin +
// flx.path without credentials, and the transient token verified.
func (b *benchBaseline) tokenize(ctx context.Context, cc *benchBaseCard, card cyberflex.CardValues) (*benchTransientClaims, error) {
	data := cyberflex.TokenizeValues{PaymentInformation: &cyberflex.PaymentInformationValues{Card: &card}}
	present := map[string]bool{
		"paymentInformation.card.number": card.Number != "", "paymentInformation.card.expirationMonth": card.ExpirationMonth != "",
		"paymentInformation.card.expirationYear": card.ExpirationYear != "", "paymentInformation.card.securityCode": card.SecurityCode != "",
	}
	for _, r := range cc.req {
		if !present[r] {
			return nil, errors.New("missing " + r)
		}
	}
	if !strings.HasPrefix(cc.flx.Origin, "https://") && !strings.HasPrefix(cc.flx.Origin, "http://127.0.0.1:") {
		return nil, errors.New("not https")
	}
	plain, err := json.Marshal(struct {
		Context string                   `json:"context"`
		Data    cyberflex.TokenizeValues `json:"data"`
		Index   int                      `json:"index"`
	}{cc.token, data, 0})
	if err != nil {
		return nil, err
	}
	key, err := benchJWKKey(cc.flx.JWK)
	if err != nil {
		return nil, err
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: key, KeyID: cc.flx.JWK.KeyID}, nil)
	if err != nil {
		return nil, err
	}
	obj, err := enc.Encrypt(plain)
	if err != nil {
		return nil, err
	}
	jwe, err := obj.CompactSerialize()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cc.flx.Origin+cc.flx.Path, strings.NewReader(jwe))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/jwt")
	req.Header.Set("Accept", "application/jwt")
	req.Header.Set("User-Agent", benchUA)
	resp, err := b.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, benchMaxBody+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &benchBaselineError{resp.StatusCode, body}
	}
	if err != nil {
		return nil, err
	}
	return b.verifyTransient(cc, strings.TrimSpace(string(body)))
}

// verifyTransient checks a transient token: RS256 only, kid = flx.jwk.kid, signature by flx.jwk,
// iss "Flex/…", exp not passed and iat not in the future (with leeway).
func (b *benchBaseline) verifyTransient(cc *benchBaseCard, token string) (*benchTransientClaims, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 || jws.Signatures[0].Protected.KeyID != cc.flx.JWK.KeyID {
		return nil, errors.New("kid mismatch")
	}
	key, err := benchJWKKey(cc.flx.JWK)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, err
	}
	var c benchTransientClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, err
	}
	now := time.Now()
	switch {
	case !strings.HasPrefix(c.Iss, "Flex/"):
		return nil, errors.New("wrong issuer")
	case c.Exp == nil || !now.Before(benchUnixFloat(*c.Exp).Add(benchLeeway)):
		return nil, errors.New("expired")
	case c.Iat != nil && benchUnixFloat(*c.Iat).After(now.Add(benchLeeway)):
		return nil, errors.New("issued in the future")
	case c.Iat != nil && benchUnixFloat(*c.Iat).After(cc.exp.Add(benchLeeway)):
		return nil, errors.New("issued after the capture context expired")
	}
	return &c, nil
}

func BenchmarkTokenize(b *testing.B) {
	srv := benchCardServer(b, benchTransientToken(b), nil)
	ccToken := benchCardCC(b, srv.URL)
	ctx := context.Background()
	b.Run("impl=sdk", func(b *testing.B) {
		c, cc := benchSDKCard(b, srv, ccToken)
		b.ReportAllocs()
		for b.Loop() {
			tt, err := c.Tokenize(ctx, cc, cyberflex.CardData(benchPAN, "12", "2031", "123"))
			if err != nil {
				b.Fatal(err)
			}
			benchSink = tt
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		base := newBenchBaseline(b, srv)
		cc, err := base.cardContext(ctx, ccToken)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			tt, err := base.tokenize(ctx, cc, cyberflex.CardValues{Number: benchPAN, ExpirationMonth: "12", ExpirationYear: "2031", SecurityCode: "123"})
			if err != nil {
				b.Fatal(err)
			}
			benchSink = tt
		}
	})
}

func BenchmarkVerifyTransientToken(b *testing.B) {
	srv := benchCardServer(b, "", nil)
	ccToken := benchCardCC(b, srv.URL)
	tt := benchTransientToken(b)
	ctx := context.Background()
	b.Run("impl=sdk", func(b *testing.B) {
		c, cc := benchSDKCard(b, srv, ccToken)
		b.ReportAllocs()
		for b.Loop() {
			v, err := c.VerifyTransientToken(ctx, cc, tt)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = v
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		base := newBenchBaseline(b, srv)
		cc, err := base.cardContext(ctx, ccToken)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			v, err := base.verifyTransient(cc, tt)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = v
		}
	})
}

// TestBenchCardBaselineDoesTheSameJob keeps the card-flow comparison honest: both sides send the
// same request (path, headers, a JWE with the same header whose plaintext, decrypted with the
// one-time key, is the same) and return the same claims.
func TestBenchCardBaselineDoesTheSameJob(t *testing.T) {
	var (
		mu    sync.Mutex
		reqs  []*http.Request
		bodys [][]byte
	)
	tt := benchTransientToken(t)
	srv := benchCardServer(t, tt, func(r *http.Request, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		reqs, bodys = append(reqs, r), append(bodys, body)
	})
	ccToken := benchCardCC(t, srv.URL)
	ctx := context.Background()
	sdk, cc := benchSDKCard(t, srv, ccToken)
	base := newBenchBaseline(t, srv)
	bcc, err := base.cardContext(ctx, ccToken)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sdk.Tokenize(ctx, cc, cyberflex.CardData(benchPAN, "12", "2031", "123"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := base.tokenize(ctx, bcc, cyberflex.CardValues{Number: benchPAN, ExpirationMonth: "12", ExpirationYear: "2031", SecurityCode: "123"})
	if err != nil {
		t.Fatal(err)
	}
	benchSameTransient(t, "Tokenize", got, want)
	gotV, err := sdk.VerifyTransientToken(ctx, cc, tt)
	if err != nil {
		t.Fatal(err)
	}
	wantV, err := base.verifyTransient(bcc, tt)
	if err != nil {
		t.Fatal(err)
	}
	benchSameTransient(t, "VerifyTransientToken", gotV, wantV)

	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("%d tokenization requests, want 2", len(reqs))
	}
	var plains []string
	for i, r := range reqs {
		who := []string{"sdk", "baseline"}[i]
		for _, h := range []string{"Content-Type", "Accept", "User-Agent", "Authorization", "Signature", "Digest"} {
			if r.Header.Get(h) != reqs[0].Header.Get(h) {
				t.Errorf("%s %s %q, sdk %q", who, h, r.Header.Get(h), reqs[0].Header.Get(h))
			}
		}
		if r.Host != reqs[0].Host || r.URL.Path != "/flex/v2/tokens" {
			t.Errorf("%s: Host %s path %s", who, r.Host, r.URL.Path)
		}
		obj, err := jose.ParseEncryptedCompact(string(bodys[i]), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		if obj.Header.KeyID != benchJWKKid {
			t.Errorf("%s: kid %q", who, obj.Header.KeyID)
		}
		plain, err := obj.Decrypt(benchOneTimeKey())
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		plains = append(plains, string(plain))
	}
	if plains[0] != plains[1] {
		t.Errorf("plaintexts differ:\nsdk      %s\nbaseline %s", plains[0], plains[1])
	}
}

func benchSameTransient(t *testing.T, op string, got *cyberflex.TransientToken, want *benchTransientClaims) {
	t.Helper()
	g, card := got.Claims, want.Content.PaymentInformation.Card
	same := g.Issuer == want.Iss && g.ID == want.Jti && g.Type == want.Type &&
		g.IssuedAt.Equal(benchUnixFloat(*want.Iat)) && g.ExpiresAt.Equal(benchUnixFloat(*want.Exp)) &&
		g.Card == cyberflex.CardSummary{MaskedNumber: card.Number.MaskedValue, BIN: card.Number.Bin, ExpirationMonth: card.ExpirationMonth.Value,
			ExpirationYear: card.ExpirationYear.Value, Type: card.Number.DetectedCardTypes[0]}
	if !same {
		t.Errorf("%s: sdk %+v\nbaseline %+v", op, g, want)
	}
}
