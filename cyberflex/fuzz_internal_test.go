package cyberflex

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
)

// fuzzKeyPEM is a throwaway RSA-2048 key made for these fuzzers (openssl genrsa 2048). It is
// fixed, rather than generated per run, so that the capture contexts it signed in the committed
// seed corpus (testdata/fuzz) stay valid from run to run. It signs nothing else.
const fuzzKeyPEM = `-----BEGIN RSA PRIVATE KEY-----
MIIEogIBAAKCAQEAzYK4Pa69budthPV3WijUP16tbzLwMfQ3rPa+/gaxKQGcWeDT
Nbz/pFWxbcrJPjVqElnKZNJW+Ep/0gDWpjhi1Pu8or0yV3R875JkEcnZd6qzngFt
+2PCjn/UEE/8owMPBSrY8rqr0e2BvB9FFTQrByF+pQg+Q2DObQVfvKEI47tbQURN
C/YnTOj1Hmxlr1WxcUV4ZuusPDAZjWzX+PLGL7q/XA8ASt5a+p/6HdUy1WXkRXta
ZyQKB7Kf5iErJQe4Ra0PomcCCso3cQu0qyQx15M1dHIdyE+CUh/vXlLfYtKeQpFN
9OvFKqyQ5+aP84eOPvRuNO6Zn0BNLke1ejkljwIDAQABAoIBAFyJ9Ll9wjo6xrOc
rpowEWbZlKIiX0s3K4zcbONJEyQiYAuOs7yadsjCd4s3SYgUGEfcG8lrd5MFROpE
y2L8t/AszOPA6va7cviTxDDIYf7DJG9NOH9/C+ALymtwARRML8rFYPxnty/n0Ufr
Ern6DDgBSpw4ioTfhgRMa7AuGSkl6Imsh8DN6sD6agNcE0ssT9IXeDFc3fTO4CqS
1S7Ubkc6Moz+EKWETg9Zb8SzjIKVzKJHYaqnEqLct/AjhVs6enSl95p7pIEb+AP5
NXCGKuor+HZ+2tUBpgdwOPSmTKDAwJazebXinlKNeXSKcnjD9KgUGe4lpYBidN25
sSt+Qj0CgYEA+vKiFil30292HC3Lig9qXRRXzuNwLC8vMgErh867oziRoYaLWqAu
G8/Bq2y2HKGHq8cumuJdVL+Ym5EBfHu/hbP3xDkxC9fVsYHSRz8rkgjTmcTxLWyM
KlgAauAdGV8p4W8M9YLKQTQYP81OWIbdCesMxnrh+uZCa466fDp8M9sCgYEA0aXo
G8gRfNvsusMTZ21HW2dL8msyUygiu34xcutdad5DkFc94NMKQs4jZ/cGcr/X3C7s
rbwfytOGiXwFs3glBPFLAf3YEbw6B5FpiOOEzVkIB3m+IO9EOvjKEiemYBaefnMu
kJG0Yjq9WVK9P9vkRCjNMUB1CuXpHaf6kkX3nV0CgYB2K31yLDLV6N3YZSQ8rger
LyIuNWGkHM//nxdti0dGlCPXyTCkC1vLEukjHT0gfFwT4uaqXsAOYW6uivkFMoy8
nEOnLjtPVWK2hOiNTkzpJqjl9xyPBFd4tRn1OfXZ9bsWAiI7FkzBqZNlr/sdqtw5
iGrqqAD0Eivi1EIyr6O/EwKBgBwvjPwnMsqxmqslTPeLxpswURKffN2XOMwyVB2a
LS3tlvHR+NzAItIGetYgbPqCdlgA6wsUjsWrGJxlUzLkxT1b33S+Fw2TW83mq+Se
ih09ignPQVOWN3siNbCpKgIjKF3hyHHhVPob4Zcfu5fZTWAoiCXF/7ZeYK//BH4j
7/11AoGALK6VZ4GfmexBUVktyK1C9m2RmUVjDyTocZmmV55STKZ160980jwaiHtx
KNU2hfHgEjK6PlQfxB3sPt2QxuySK5bBZUPbFqySNPO2Mh28F3NZ4K+6HHetc9Vm
YrW3Efp5XD9H047iqPp30Iag+mehzcZgFWK0Bf6rSgiYlb5Kw7g=
-----END RSA PRIVATE KEY-----`

// fuzzKid is the kid under which the fuzzers publish fuzzKey.
const fuzzKid = "fz"

var fuzzKey = sync.OnceValue(func() *rsa.PrivateKey {
	block, _ := pem.Decode([]byte(fuzzKeyPEM))
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return k
})

// fuzzBearer is the credential of the fuzzed client; it must never reach an error.
const fuzzBearer = "fuzz-bearer-credential-0123456789"

// fuzzToken is a capture context signed by fuzzKey, valid at ccNow.
func fuzzToken(tb testing.TB) string {
	return signCC(tb, jose.RS256, fuzzKey(), fuzzKid, validPayload())
}

// FuzzDecodeResponse gives the client arbitrary answers (any status, Content-Type,
// v-c-correlation-id and body) to both of its calls: op even is GenerateCaptureContext (the 201
// token path and APIError parsing), op odd is the public key fetch of VerifyCaptureContext (the
// JWK path). When op is 0xff the body is repeated past the size limit (rarely, as it costs
// 8 MiB).
//
// The client must never panic; a non-2xx answer is an *APIError with the status and at most
// MaxBodySize of the body; every error is one line of bounded length that shows neither the
// credential nor a capture context; a 2xx is accepted only when it holds a capture context
// (GenerateCaptureContext) or the key that signed the token (VerifyCaptureContext).
func FuzzDecodeResponse(f *testing.F) {
	tok := fuzzToken(f)
	jwk, err := jose.JSONWebKey{Key: &fuzzKey().PublicKey, KeyID: fuzzKid, Use: "enc"}.MarshalJSON()
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		status   int
		ct, corr string
		body     string
		op       uint8
	}{
		{201, "application/jwt", "", tok, 0},
		{201, "application/json", "", `"` + tok + `"` + "\n", 0},
		{201, "application/json", "", `{"token":"` + tok + `"}`, 0},
		{201, "text/html", "", "<html>hello</html>", 0},
		{201, "application/jwt", "", tok[:len(tok)/2], 0},
		{400, "application/json", "corr-1", `{"correlationId":"b","details":[{"location":"fields","message":"bad"}],"informationLink":"https://x","message":"Invalid fields","reason":"VALIDATION"}`, 0},
		{400, "application/json", "", `{"details":{"location":"","message":""},"informationLink":null,"message":"m","reason":"R"}`, 0},
		{401, "application/json", "", `{"response":{"rmsg":"Authentication Failed"}}`, 0},
		{400, "application/json", "", `{"responseStatus":{"status":400,"reason":"X","message":"Y","correlationId":"c","details":[{"location":"kid"}]}}`, 0},
		{500, "application/json", "", `{"reason":42,"message":"still\nhere","details":"text"}`, 0},
		{502, "text/html", "", "<html>\n<body>bad gateway</body>\n</html>", 0},
		{503, "", fuzzBearer, `{"message":"you sent Bearer ` + fuzzBearer + `"}`, 0},
		{401, "application/json", "", `{"reason":"\u0066` + fuzzBearer[1:] + `","message":"Bearer \u0066` + fuzzBearer[1:] + `"}`, 0},
		{200, "text/plain; " + fuzzBearer, "", "echo " + fuzzBearer, 0},
		{200, "application/json", "", string(jwk), 1},
		{200, "application/json", "", `{"kty":"RSA","use":"enc","kid":"fz","n":"AQAB","e":"AQAB"}`, 1},
		{200, "application/json", "", `{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}`, 1},
		{200, "application/json", "", `{"kty":"oct","k":"c2VjcmV0"}`, 1},
		{200, "application/json", "", `{"kty":"line\nbreak"}`, 1},
		{200, "application/json", "", `{"kty":"EC","crv":"P-256\n` + strings.Repeat("forged log line ", 100) + `","x":"AA","y":"AA"}`, 1},
		{404, "application/json", "", `{"message":"Key not found","reason":"NOT_FOUND"}`, 1},
		{500, "", "", "", 1},
		{201, "", "", "x", 0xff},
		{400, "", "", "{", 0xfe},
		{-1, "", "", "", 0},
	} {
		f.Add(seed.status, seed.ct, seed.corr, []byte(seed.body), seed.op)
	}
	f.Fuzz(func(t *testing.T, status int, contentType, correlationID string, body []byte, op uint8) {
		if status < 100 || status > 599 {
			status = 100 + (status%500+500)%500
		}
		input := body
		if op == 0xff && len(body) > 0 {
			input = bytes.Repeat(body, httpx.MaxBodySize/len(body)+2)
		}
		requests := 0
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			requests++
			return &http.Response{
				StatusCode: status,
				Header:     http.Header{"Content-Type": {contentType}, "V-C-Correlation-Id": {correlationID}},
				Body:       io.NopCloser(bytes.NewReader(input)),
				Request:    r,
			}, nil
		})
		c, err := New(WithAccessToken(fuzzBearer), WithHTTPClient(&http.Client{Transport: rt}), WithMaxRetries(0),
			WithClock(func() time.Time { return ccNow }))
		if err != nil {
			t.Fatal(err)
		}
		read := input[:min(len(input), httpx.MaxBodySize)]
		var cc *CaptureContext
		opName := opGenerate
		if op%2 == 0 {
			cc, err = c.GenerateCaptureContext(context.Background(), goldenRequest())
		} else {
			opName = opKey
			cc, err = c.VerifyCaptureContext(context.Background(), tok)
		}
		if (cc == nil) == (err == nil) {
			t.Fatalf("capture context %v with error %v", cc, err)
		}
		if requests < 1 || requests > 2 {
			t.Fatalf("%d requests", requests)
		}
		var apiErr *APIError
		isAPIErr := errors.As(err, &apiErr)
		// A piece of the token in an error is a leak only if the server did not send it: the
		// headers errors quote (Content-Type) and the key endpoint's body (go-jose quotes JWK
		// members) are the server's text and may hold any bytes. A 2xx body of
		// GenerateCaptureContext is a capture context, and stays covered.
		tail := tok[len(tok)-40:]
		serverText := contentType + "\n" + correlationID
		if op%2 == 1 {
			serverText += "\n" + string(input)
		}
		serverSentTail := strings.Contains(serverText, tail)
		if err != nil {
			msg := err.Error()
			switch {
			case !strings.HasPrefix(msg, "cyberflex: "):
				t.Fatalf("error %q does not name the package", msg)
			case strings.ContainsAny(msg, "\r\n"):
				t.Fatalf("error is more than one line: %q", msg)
			case len(msg) > 1024:
				t.Fatalf("error of %d bytes: %.300q…", len(msg), msg)
			case strings.Contains(msg, fuzzBearer):
				t.Fatalf("error shows the credential: %q", msg)
			case (op%2 == 1 || status/100 == 2) && !serverSentTail && strings.Contains(msg, tail):
				// The token given to Verify, or a token in a 2xx body, is never repeated (an
				// error answer's body is the server's text, shown as an excerpt).
				t.Fatalf("error shows the capture context: %q", msg)
			}
		}
		if status < 200 || status > 299 {
			if !isAPIErr {
				t.Fatalf("a %d answer gave %T %v, want *APIError", status, err, err)
			}
			if apiErr.StatusCode != status || apiErr.Operation != opName {
				t.Fatalf("APIError has status %d, operation %q", apiErr.StatusCode, apiErr.Operation)
			}
			if len(apiErr.Body) > httpx.MaxBodySize {
				t.Fatalf("APIError.Body is %d bytes, over the %d limit", len(apiErr.Body), httpx.MaxBodySize)
			}
			want := redact.Scrub(read, fuzzBearer) // raw and escaped echoes
			if !bytes.Equal(apiErr.Body, want) {
				t.Fatalf("APIError.Body is not the body as read")
			}
			if strings.Contains(apiErr.CorrelationID, fuzzBearer) {
				t.Fatalf("APIError.CorrelationID shows the credential")
			}
			if want := status == http.StatusNotFound && op%2 == 1; errors.Is(err, ErrUnknownKeyID) != want {
				t.Fatalf("a %d key answer: ErrUnknownKeyID %v, want %v", status, !want, want)
			}
			return
		}
		if isAPIErr {
			t.Fatalf("a %d answer gave an APIError: %v", status, err)
		}
		if op%2 == 0 {
			if err != nil {
				if !errors.Is(err, ErrCaptureContextMalformed) && !errors.Is(err, httpx.ErrBodyTooLarge) {
					t.Fatalf("a %d answer gave %v, want ErrCaptureContextMalformed or ErrBodyTooLarge", status, err)
				}
				return
			}
			if len(input) > httpx.MaxBodySize || !strings.Contains(string(input), cc.Token) || strings.Count(cc.Token, ".") != 2 {
				t.Fatalf("accepted %q as a capture context from a %d-byte body", cc.Token, len(input))
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrKeyFetch) && !errors.Is(err, ErrInvalidCaptureContext) {
				t.Fatalf("key answer gave %v, want ErrKeyFetch or ErrInvalidCaptureContext", err)
			}
			return
		}
		// Accepted: the body must publish the very key that signed the token.
		var got jose.JSONWebKey
		if err := got.UnmarshalJSON(read); err != nil {
			t.Fatalf("verified with a key from a body that is not a JWK: %v", err)
		}
		pub, ok := got.Key.(*rsa.PublicKey)
		if !ok || !pub.Equal(&fuzzKey().PublicKey) {
			if priv, isPriv := got.Key.(*rsa.PrivateKey); !isPriv || !priv.PublicKey.Equal(&fuzzKey().PublicKey) {
				t.Fatalf("verified with a %T that is not the signing key", got.Key)
			}
		}
	})
}

// FuzzVerifyCaptureContext gives the verifier arbitrary tokens, with fuzzKey published under
// kid "fz" (and no other kid). It must never panic, never return a capture context with an
// error, and never accept a token that fuzzKey did not sign with RS256, that is not from
// "Flex API" or that has expired at ccNow: every acceptance is checked here independently, with
// crypto/rsa and encoding/json, not with the code under test.
func FuzzVerifyCaptureContext(f *testing.F) {
	valid := fuzzToken(f)
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		valid,
		" \"" + valid + "\"\n",
		valid + "x",
		parts[0] + "." + parts[1] + ".",
		b64(`{"alg":"none","kid":"fz"}`) + "." + parts[1] + ".",
		b64(`{"alg":"HS256","kid":"fz"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"RS256","kid":"zz"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"RS256"}`) + "." + parts[1] + "." + parts[2],
		b64(`{"alg":"none","kid":"fz","alg":"RS256"}`) + "." + parts[1] + "." + parts[2],
		parts[0] + "." + b64(ccPayload("Flex API", ccIat, ccExp+100000)) + "." + parts[2],
		signCC(f, jose.RS256, fuzzKey(), fuzzKid, ccPayload("Flex/08", ccIat, ccExp)),
		signCC(f, jose.RS256, fuzzKey(), fuzzKid, ccPayload("Flex API", ccIat-5000, ccIat-4000)),
		signCC(f, jose.RS256, fuzzKey(), fuzzKid, `{"iss":"Flex API","exp":1e300}`),
		signCC(f, jose.RS256, fuzzKey(), fuzzKid, `{"iss":"Flex API"}`),
		signCC(f, jose.RS512, fuzzKey(), fuzzKid, validPayload()),
		"", "..", "a.b.c", "\xff.\xfe.\xfd",
		signCC(f, jose.RS256, fuzzKey(), "../fz", validPayload()),
		signCC(f, jose.RS256, fuzzKey(), "fz%2F", validPayload()),
	} {
		f.Add(seed)
	}
	fetch := func(_ context.Context, kid string) (*jose.JSONWebKey, error) {
		if kid != fuzzKid {
			return nil, nil
		}
		return &jose.JSONWebKey{Key: &fuzzKey().PublicKey, KeyID: fuzzKid}, nil
	}
	f.Fuzz(func(t *testing.T, token string) {
		// A new cache for every input, so that an input's outcome does not depend on the ones
		// before it (their kids would use up the fetch limit).
		cache := newKeyCacheWithClock(fetch, func() time.Time { return ccNow })
		cc, err := cache.verify(context.Background(), token, ccNow, DefaultLeeway)
		if err != nil {
			if cc != nil {
				t.Fatalf("capture context with error %v", err)
			}
			if !errors.Is(err, ErrInvalidCaptureContext) {
				t.Fatalf("error %v is not ErrInvalidCaptureContext (the key source never fails)", err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(msg) > 512 {
				t.Fatalf("error is not one short line: %q", msg)
			}
			if n := normalizeToken(token); len(n) > 48 && strings.Contains(err.Error(), n) {
				t.Fatalf("error shows the token: %q", err)
			}
			return
		}
		// Accepted: check everything again, independently.
		if !strings.Contains(token, cc.Token) {
			t.Fatalf("Token %q is not taken from the input", cc.Token)
		}
		seg := strings.Split(cc.Token, ".")
		if len(seg) != 3 {
			t.Fatalf("accepted a token of %d segments", len(seg))
		}
		headerJSON, err1 := base64.RawURLEncoding.DecodeString(seg[0])
		payload, err2 := base64.RawURLEncoding.DecodeString(seg[1])
		sig, err3 := base64.RawURLEncoding.DecodeString(seg[2])
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("accepted a token that is not base64url: %v", err)
		}
		var header struct{ Alg, Kid string }
		if err := json.Unmarshal(headerJSON, &header); err != nil || header.Alg != "RS256" || header.Kid != fuzzKid {
			t.Fatalf("accepted header %s (%v)", headerJSON, err)
		}
		digest := sha256.Sum256([]byte(seg[0] + "." + seg[1]))
		if err := rsa.VerifyPKCS1v15(&fuzzKey().PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("accepted a token the key did not sign: %v", err)
		}
		var claims struct {
			Iss string
			Exp *float64
		}
		if err := json.Unmarshal(payload, &claims); err != nil || claims.Iss != CaptureContextIssuer || claims.Exp == nil {
			t.Fatalf("accepted claims %s (%v)", payload, err)
		}
		if expires := time.Unix(int64(*claims.Exp), 0).Add(DefaultLeeway); !ccNow.Before(expires.Add(time.Second)) {
			t.Fatalf("accepted a token that expired at %v", expires)
		}
		if cc.Claims.Issuer != CaptureContextIssuer || cc.Claims.KeyID != fuzzKid {
			t.Fatalf("claims %+v", cc.Claims)
		}
	})
}
