package cyberflex

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The transient token of the tests: issued 60 s into its capture context's life (ccIat), signed
// by the capture context's one-time key (testOneTimeKey, kid ccJWKKid).
const (
	ttIat = ccIat + 60
	ttExp = ttIat + 900
	ttJTI = "1E5CT8O7GN6IJ3NREYVWEOLF7Q5U931932JG5XMPAABIBBVD8HXF6872B4BEFBAA"
)

// ttNow is a moment inside the transient token's and the capture context's lifetimes.
var ttNow = time.Unix(ttIat+30, 0)

// testOneTimeKey is the capture context's flx.jwk in these tests: the key that the card data is
// encrypted to and that signs transient tokens. The test holds its private half, as
// CyberSource does.
var testOneTimeKey = sync.OnceValue(func() *rsa.PrivateKey { return mustRSA(2048) })

// flxJWKJSON renders key as the flx.jwk member with kid.
func flxJWKJSON(key *rsa.PublicKey, kid string) string {
	b, err := json.Marshal(EncryptionKey{Kty: "RSA", E: "AQAB", Use: "enc", N: b64raw(key.N.Bytes()), KeyID: kid})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func b64raw(b []byte) string { return b64(string(b)) }

// cardCCPayload is a Flex API capture context whose flx sends card data to origin, encrypted
// to testOneTimeKey, for the given fields.
func cardCCPayload(origin string, required, optional []string) string {
	q := func(s []string) string { b, _ := json.Marshal(s); return string(b) }
	return `{"flx":{"path":"/flex/v2/tokens","data":"` + ccFlxData + `","origin":"` + origin + `",` +
		`"jwk":` + flxJWKJSON(&testOneTimeKey().PublicKey, ccJWKKid) + `},` +
		`"ctx":[{"data":{"requiredFields":` + q(required) + `,"optionalFields":` + q(optional) + `},"type":"api-0.1.0"}],` +
		fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":%q}`, ccExp, ccIat, ccJTI)
}

var (
	cardRequired = []string{"paymentInformation.card.number", "paymentInformation.card.expirationMonth", "paymentInformation.card.expirationYear"}
	cardOptional = []string{"paymentInformation.card.securityCode"}
)

// trustedCC returns a capture context for payload, signed with the capture-context key under
// ccKid, as this package returns it from GenerateCaptureContext: trusted.
func trustedCC(t testing.TB, payload string) *CaptureContext {
	t.Helper()
	cc, err := parseCaptureContext(signCC(t, jose.RS256, testRSAKey2048(), ccKid, payload))
	if err != nil {
		t.Fatal(err)
	}
	return markTrusted(cc)
}

// ttPayload renders transient token claims in the Microform v2 layout ("content").
func ttPayload(iss string, iat, exp int64) string {
	return fmt.Sprintf(`{"iss":%q,"exp":%d,"type":"api-0.1.0","iat":%d,"jti":%q,"content":{"paymentInformation":{"card":`+
		`{"expirationYear":{"value":"2031"},"number":{"detectedCardTypes":["001"],"maskedValue":"XXXXXXXXXXXX1111","bin":"411111"},`+
		`"securityCode":{},"expirationMonth":{"value":"12"}}}},"metadata":{"sdkVersion":"x"}}`, iss, exp, iat, ttJTI)
}

func validTT(t testing.TB) string {
	return signCC(t, jose.RS256, testOneTimeKey(), ccJWKKid, ttPayload("Flex/08", ttIat, ttExp))
}

func TestVerifyTransientToken(t *testing.T) {
	cc := trustedCC(t, cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional))
	c := newTestClient(t, "http://127.0.0.1:1", WithClock(func() time.Time { return ttNow })) // no request is made
	tok := validTT(t)

	tt, err := c.VerifyTransientToken(context.Background(), cc, " \""+tok+"\"\n")
	if err != nil {
		t.Fatal(err)
	}
	want := TransientTokenClaims{
		KeyID: ccJWKKid, ID: ttJTI, Issuer: "Flex/08", Type: "api-0.1.0",
		IssuedAt: time.Unix(ttIat, 0).UTC(), ExpiresAt: time.Unix(ttExp, 0).UTC(),
		Card:     CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "12", ExpirationYear: "2031", Type: "001"},
		Metadata: json.RawMessage(`{"sdkVersion":"x"}`),
	}
	got := tt.Claims
	if len(got.Raw) != 7 || string(got.Raw["jti"]) != `"`+ttJTI+`"` {
		t.Errorf("Raw = %v", got.Raw)
	}
	got.Raw = nil
	if tt.Token != tok || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", tt, want)
	}
	if b, _ := json.Marshal(tt.TokenInformation()); string(b) != `{"transientTokenJwt":"`+tok+`"}` {
		t.Errorf("TokenInformation = %s", b)
	}
}

// Every way a transient token is refused, each with ErrInvalidTransientToken and a reason.
func TestVerifyTransientTokenRejects(t *testing.T) {
	cc := trustedCC(t, cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional))
	otherCC := trustedCC(t, strings.Replace(cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional), ccJWKKid, "AnotherOneTimeKeyOfAnotherCCtx00", 1))
	key := testOneTimeKey()
	good := ttPayload("Flex/08", ttIat, ttExp)
	goodTok := validTT(t)
	parts := strings.Split(goodTok, ".")

	cases := map[string]struct {
		token, reason string
		cc            *CaptureContext
		is            error
	}{
		"wrong key": {token: signCC(t, jose.RS256, testRSAKeyOld(), ccJWKKid, good), reason: "signature does not verify"},
		"kid mismatch": {token: signCC(t, jose.RS256, key, "someOtherKid", good),
			reason: `kid "someOtherKid" is not the capture context's flx.jwk.kid`},
		"no kid":   {token: signCC(t, jose.RS256, key, "", good), reason: `kid "" is not`},
		"alg none": {token: b64(`{"alg":"none","kid":"`+ccJWKKid+`"}`) + "." + b64(good) + ".", reason: `alg "none"`},
		"HS256 with the public key as secret": {
			token:  signCC(t, jose.HS256, []byte(flxJWKJSON(&key.PublicKey, ccJWKKid)), ccJWKKid, good),
			reason: `alg "HS256"`},
		"RS512": {token: signCC(t, jose.RS512, key, ccJWKKid, good), reason: `alg "RS512"`},
		"expired": {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("Flex/08", ttIat-900, ttIat-61)),
			reason: "expired: exp", is: ErrTransientTokenExpired},
		"not yet valid": {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("Flex/08", ttIat+120, ttIat+1020)),
			reason: "is after now"},
		"no exp":       {token: signCC(t, jose.RS256, key, ccJWKKid, `{"iss":"Flex/08","iat":`+fmt.Sprint(ttIat)+`}`), reason: "missing exp"},
		"wrong issuer": {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("Flex API", ttIat, ttExp)), reason: `iss "Flex API" does not start with "Flex/"`},
		"no issuer":    {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("", ttIat, ttExp)), reason: `iss ""`},
		"tampered payload": {token: parts[0] + "." + b64(strings.Replace(good, "XXXX1111", "XXXX4242", 1)) + "." + parts[2],
			reason: "signature does not verify"},
		"tampered signature": {token: parts[0] + "." + parts[1] + "." + b64("not the signature"), reason: "signature does not verify"},
		"from another capture context": {token: goodTok, cc: otherCC,
			reason: `kid "00SvIaGIfyaw897rDeG9eFdODKaCKc1q" is not the capture context's flx.jwk.kid "AnotherOneTimeKeyOfAnotherCCtx00": the token belongs to another capture context`},
		"issued before its capture context": {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("Flex/08", ccIat-3600, ttIat+100)),
			reason: "is before its capture context was issued"},
		"issued after its capture context expired": {token: signCC(t, jose.RS256, key, ccJWKKid, ttPayload("Flex/08", ccExp+120, ccExp+1020)),
			reason: "after its capture context expired"},
		"iat not a number":  {token: signCC(t, jose.RS256, key, ccJWKKid, `{"iss":"Flex/08","iat":"now","exp":`+fmt.Sprint(ttExp)+`}`), reason: "claim iat: not a number"},
		"iss not a string":  {token: signCC(t, jose.RS256, key, ccJWKKid, `{"iss":8,"exp":`+fmt.Sprint(ttExp)+`}`), reason: "claim iss is not a string"},
		"two segments":      {token: parts[0] + "." + parts[1], reason: "3 dot-separated segments, got 2"},
		"claims not object": {token: signCC(t, jose.RS256, key, ccJWKKid, `[1]`), reason: "claims are not a JSON object"},
		"claims not JSON":   {token: parts[0] + "." + b64(`{"iss":`) + "." + parts[2], reason: "signature does not verify"},
		"empty":             {token: "  ", reason: "empty token"},
		"too large":         {token: strings.Repeat("a", MaxTransientTokenSize+1), reason: "over the 65536-byte limit"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			target := cc
			if tc.cc != nil {
				target = tc.cc
			}
			// The clock: a minute after the token of "issued after its capture context expired",
			// else ttNow.
			now := ttNow
			if name == "issued after its capture context expired" {
				now = time.Unix(ccExp+150, 0)
			}
			c := newTestClient(t, "http://127.0.0.1:1", WithClock(func() time.Time { return now }))
			_, err := c.VerifyTransientToken(context.Background(), target, tc.token)
			if !errors.Is(err, ErrInvalidTransientToken) {
				t.Fatalf("err = %v, want ErrInvalidTransientToken", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("err = %v\nwant it to say %q", err, tc.reason)
			}
			if len(tc.token) > 40 {
				assertNoSecret(t, err.Error(), tc.token)
			}
		})
	}
	// Within the leeway, an expiry or a future iat still passes.
	c := newTestClient(t, "http://127.0.0.1:1", WithClock(func() time.Time { return time.Unix(ttExp, 0).Add(DefaultLeeway - time.Second) }))
	if _, err := c.VerifyTransientToken(context.Background(), cc, goodTok); err != nil {
		t.Errorf("within the leeway: %v", err)
	}
}

// A capture context given only as its token is verified first, with CyberSource's key, as of the
// transient token's iat: one that has expired since still vouches for the tokens issued in its
// lifetime.
func TestVerifyTransientTokenWithSavedCaptureContext(t *testing.T) {
	ks := &keyServer{}
	srv := httptest.NewServer(ks)
	defer srv.Close()
	ccToken := signCC(t, jose.RS256, testRSAKey2048(), ccKid, cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional))
	// Issued a minute before its capture context expired, checked five minutes after: the
	// capture context has expired, the token has not.
	tok := signCC(t, jose.RS256, testOneTimeKey(), ccJWKKid, ttPayload("Flex/08", ccExp-60, ccExp+840))
	late := time.Unix(ccExp+300, 0)
	c := newTestClient(t, srv.URL, WithClock(func() time.Time { return late }))
	tt, err := c.VerifyTransientToken(context.Background(), &CaptureContext{Token: ccToken}, tok)
	if err != nil {
		t.Fatal(err)
	}
	if tt.Claims.ID != ttJTI || len(ks.requests()) != 1 {
		t.Errorf("claims %+v after %d key fetches", tt.Claims, len(ks.requests()))
	}

	// Forged claims beside the token are ignored: the token's own claims decide.
	forged := &CaptureContext{Token: ccToken, Claims: CaptureContextClaims{Tokenization: Tokenization{JWK: EncryptionKey{KeyID: "forged"}}}}
	if _, err := c.VerifyTransientToken(context.Background(), forged, tok); err != nil {
		t.Errorf("forged claims: %v", err)
	}
	// A trusted capture context whose Token was swapped is verified again, not trusted.
	swapped := trustedCC(t, cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional))
	swapped.Token = signCC(t, jose.RS256, testRSAKeyOld(), ccKid, cardCCPayload("https://testflex.cybersource.com", cardRequired, cardOptional))
	_, err = c.VerifyTransientToken(context.Background(), swapped, tok)
	if !errors.Is(err, ErrInvalidTransientToken) || !errors.Is(err, ErrCaptureContextSignature) {
		t.Errorf("swapped token: err = %v, want the capture context's signature error inside ErrInvalidTransientToken", err)
	}
	if !strings.Contains(err.Error(), "its capture context") {
		t.Errorf("err = %v", err)
	}

	// A token that does not decode costs no key fetch.
	before := len(ks.requests())
	c2 := newTestClient(t, srv.URL, WithClock(func() time.Time { return late }))
	if _, err := c2.VerifyTransientToken(context.Background(), &CaptureContext{Token: ccToken}, "garbage"); !errors.Is(err, ErrInvalidTransientToken) {
		t.Errorf("garbage: %v", err)
	}
	if n := len(ks.requests()); n != before {
		t.Errorf("%d key fetches for a token that does not decode", n-before)
	}

	// A key that cannot be fetched is ErrKeyFetch, not a verdict on the token.
	down := &keyServer{status: http.StatusServiceUnavailable}
	srv2 := httptest.NewServer(down)
	defer srv2.Close()
	c3 := newTestClient(t, srv2.URL, WithClock(func() time.Time { return late }), WithMaxRetries(0))
	_, err = c3.VerifyTransientToken(context.Background(), &CaptureContext{Token: ccToken}, tok)
	if !errors.Is(err, ErrKeyFetch) || errors.Is(err, ErrInvalidTransientToken) {
		t.Errorf("key fetch failure: err = %v", err)
	}
}

func TestVerifyTransientTokenInputErrors(t *testing.T) {
	c := newTestClient(t, "http://127.0.0.1:1")
	var nilCtx context.Context
	if _, err := c.VerifyTransientToken(nilCtx, &CaptureContext{}, "x"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("nil context: %v", err)
	}
	if _, err := c.VerifyTransientToken(context.Background(), nil, "x"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("nil capture context: %v", err)
	}
}

// The card summary comes from either layout; what does not decode is left out.
func TestTransientTokenCardSummary(t *testing.T) {
	for name, tc := range map[string]struct {
		claims string
		want   CardSummary
	}{
		"older Microform data": {`{"data":{"number":"411111XXXXXX1111","type":"001","expirationMonth":"05","expirationYear":"2021"}}`,
			CardSummary{MaskedNumber: "411111XXXXXX1111", BIN: "411111", ExpirationMonth: "05", ExpirationYear: "2021", Type: "001"}},
		"Unified Checkout content with type": {`{"content":{"paymentInformation":{"card":{"expirationYear":{"value":"2028"},"number":{"maskedValue":"XXXXXXXXXXXX1111","bin":"411111"},"securityCode":{},"expirationMonth":{"value":"06"},"type":{"value":"001"}}}}}`,
			CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "06", ExpirationYear: "2028", Type: "001"}},
		"Microform v2 content, detected type": {`{"content":{"paymentInformation":{"card":{"number":{"detectedCardTypes":["002","042"],"maskedValue":"XXXXXXXXXXXX4444","bin":"55555555"}}}}}`,
			CardSummary{MaskedNumber: "XXXXXXXXXXXX4444", BIN: "55555555", Type: "002"}},
		"members of another shape": {`{"content":{"paymentInformation":{"card":{"number":{"maskedValue":42,"bin":"411111"},"expirationMonth":"06"}}}}`,
			CardSummary{BIN: "411111"}},
		"content not an object": {`{"content":"x","data":{"number":"4111"}}`, CardSummary{}},
		"no card":               {`{"iss":"Flex/00"}`, CardSummary{}},
		"short masked number":   {`{"data":{"number":"4111XXXXXXXX1111"}}`, CardSummary{MaskedNumber: "4111XXXXXXXX1111"}},
	} {
		t.Run(name, func(t *testing.T) {
			tok := b64(`{"alg":"RS256","kid":"k"}`) + "." + b64(tc.claims) + "." + b64("sig")
			p, err := parseTransientToken(tok)
			if err != nil {
				t.Fatal(err)
			}
			if p.claims.Card != tc.want {
				t.Errorf("Card = %+v, want %+v", p.claims.Card, tc.want)
			}
		})
	}
}

// FuzzParseTransientToken: the parser never panics; it either fails with ErrInvalidTransientToken
// and an error that does not quote the token, or returns claims whose raw form holds every
// registered claim it decoded.
func FuzzParseTransientToken(f *testing.F) {
	f.Add(validTT(f))
	f.Add(b64(`{"alg":"RS256","kid":"k"}`) + "." + b64(`{"data":{"number":"411111XXXXXX1111"}}`) + ".")
	f.Add(b64(`{"alg":"none"}`) + "." + b64(`{"exp":1e400}`) + ".")
	f.Add(`"a.b.c"`)
	f.Fuzz(func(t *testing.T, token string) {
		p, err := parseTransientToken(token)
		if err != nil {
			if !errors.Is(err, ErrInvalidTransientToken) {
				t.Fatalf("error does not wrap ErrInvalidTransientToken: %v", err)
			}
			if quoted := strings.TrimSpace(token); len(quoted) >= 24 && strings.Contains(err.Error(), quoted) {
				t.Fatalf("error quotes the token: %v", err)
			}
			return
		}
		c := p.claims
		if c.Issuer != "" && c.Raw["iss"] == nil || c.ID != "" && c.Raw["jti"] == nil ||
			!c.ExpiresAt.IsZero() && c.Raw["exp"] == nil || !c.IssuedAt.IsZero() && c.Raw["iat"] == nil {
			t.Fatalf("a decoded claim is missing from Raw: %+v", c)
		}
		if p.claims.KeyID != p.header.Kid {
			t.Fatalf("KeyID %q, header kid %q", p.claims.KeyID, p.header.Kid)
		}
		if strings.Count(p.token, ".") != 2 {
			t.Fatalf("token %q is not three segments", p.token)
		}
	})
}
