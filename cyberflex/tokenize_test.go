package cyberflex

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/davecgh/go-spew/spew"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/wiretest"
)

// The card of these tests. The security code is distinctive so that finding it in an output
// cannot be a coincidence; the card number is a test number that passes the Luhn check.
const (
	testPAN = "4111111111111111"
	testCVV = "9071"
)

// tokensServer is CyberSource's tokenization endpoint for testOneTimeKey: it records every
// request, decrypts the JWE and answers with serve, or by default with a transient token
// issued at ttIat for the card it received.
type tokensServer struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []seenRequest
	plain [][]byte // the decrypted plaintexts
	serve func(w http.ResponseWriter, r *http.Request, plaintext []byte)
}

func newTokensServer(t *testing.T, tls bool) *tokensServer {
	t.Helper()
	s := &tokensServer{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var plain []byte
		if obj, err := jose.ParseEncryptedCompact(string(b), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM}); err == nil {
			plain, _ = obj.Decrypt(testOneTimeKey())
		}
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{r.Method, r.RequestURI, r.Host, r.Header.Clone(), b})
		s.plain = append(s.plain, plain)
		serve := s.serve
		s.mu.Unlock()
		if serve != nil {
			serve(w, r, plain)
			return
		}
		w.Header().Set("Content-Type", "application/jwt")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, validTT(t))
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

func (s *tokensServer) requests() ([]seenRequest, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.seen...), append([][]byte(nil), s.plain...)
}

// tokenizeClient is a JWT client whose API base URL must never be called by Tokenize: it fails
// the test if it is.
func tokenizeClient(t *testing.T, opts ...Option) *Client {
	t.Helper()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the API host got %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(api.Close)
	all := append([]Option{WithJWT(testMerchantID, testKeyID, testSecret), WithClock(func() time.Time { return ttNow })}, opts...)
	return newTestClient(t, api.URL, all...)
}

func TestTokenizeGoldenWire(t *testing.T) {
	ts := newTokensServer(t, false)
	cc := trustedCC(t, cardCCPayload(ts.URL, cardRequired, cardOptional))
	c := tokenizeClient(t)

	tt, err := c.Tokenize(context.Background(), cc, CardData("4111 1111-1111 1111", "1", "2031", testCVV))
	if err != nil {
		t.Fatal(err)
	}
	if tt.Claims.ID != ttJTI || tt.Claims.Card.MaskedNumber != "XXXXXXXXXXXX1111" || tt.Claims.KeyID != ccJWKKid {
		t.Errorf("transient token claims %+v", tt.Claims)
	}

	reqs, plains := ts.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	s := reqs[0]
	if s.Method != http.MethodPost || s.URI != "/flex/v2/tokens" || s.Host != strings.TrimPrefix(ts.URL, "http://") {
		t.Errorf("request %s %s Host %s: want POST /flex/v2/tokens to flx.origin's host", s.Method, s.URI, s.Host)
	}
	for k, v := range map[string]string{"Content-Type": "application/jwt", "Accept": "application/jwt", "User-Agent": httpx.UserAgent} {
		if got := s.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, h := range []string{"Authorization", "Signature", "Digest", "V-C-Merchant-Id", "Date", "V-C-Client-Id"} {
		if v := s.Header.Get(h); v != "" {
			t.Errorf("the tokenization request carries %s: %q; it must carry no CyberSource credential", h, v)
		}
	}
	segments := strings.Split(string(s.Body), ".")
	if len(segments) != 5 {
		t.Fatalf("body has %d segments, want a compact JWE (5)", len(segments))
	}
	header, err := base64.RawURLEncoding.DecodeString(segments[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": ccJWKKid}; !reflect.DeepEqual(h, want) {
		t.Errorf("JWE header %s, want %v", header, want)
	}
	// The JWE round trip: the key the test holds decrypts exactly the documented plaintext.
	want := `{"context":"` + cc.Token + `","data":{"paymentInformation":{"card":{"expirationMonth":"01","expirationYear":"2031","number":"` + testPAN + `","securityCode":"` + testCVV + `"}}},"index":0}`
	if string(plains[0]) != want {
		t.Errorf("plaintext\n got %s\nwant %s", plains[0], want)
	}
}

// Order and address values travel in the same tree as the session's fields.
func TestTokenizeNewTokenizeData(t *testing.T) {
	ts := newTokensServer(t, false)
	required := append([]string{"orderInformation.amountDetails.totalAmount", "orderInformation.amountDetails.currency"}, cardRequired...)
	cc := trustedCC(t, cardCCPayload(ts.URL, required, []string{"orderInformation.billTo.email"}))
	values := TokenizeValues{
		PaymentInformation: &PaymentInformationValues{Card: &CardValues{Number: testPAN, ExpirationMonth: "12", ExpirationYear: "2031"}},
		OrderInformation: &OrderInformationValues{
			AmountDetails: &AmountDetailsValues{TotalAmount: "102.21", Currency: "USD"},
			BillTo:        &BillToValues{Email: "test@cybs.example"},
		},
	}
	data := NewTokenizeData(values)
	values.PaymentInformation.Card.Number = "changed afterwards"
	if _, err := tokenizeClient(t).Tokenize(context.Background(), cc, data); err != nil {
		t.Fatal(err)
	}
	_, plains := ts.requests()
	want := `{"context":"` + cc.Token + `","data":{"orderInformation":{"amountDetails":{"currency":"USD","totalAmount":"102.21"},"billTo":{"email":"test@cybs.example"}},` +
		`"paymentInformation":{"card":{"expirationMonth":"12","expirationYear":"2031","number":"` + testPAN + `"}}},"index":0}`
	if string(plains[0]) != want {
		t.Errorf("plaintext\n got %s\nwant %s", plains[0], want)
	}
	wantFields := []string{"orderInformation.amountDetails.currency", "orderInformation.amountDetails.totalAmount", "orderInformation.billTo.email",
		"paymentInformation.card.expirationMonth", "paymentInformation.card.expirationYear", "paymentInformation.card.number"}
	if got := data.Fields(); !reflect.DeepEqual(got, wantFields) {
		t.Errorf("Fields() = %v", got)
	}
}

// What Tokenize refuses before anything is sent.
func TestTokenizeChecksBeforeSending(t *testing.T) {
	ts := newTokensServer(t, false)
	cc := trustedCC(t, cardCCPayload(ts.URL, cardRequired, cardOptional))
	microform := trustedCC(t, strings.Replace(cardCCPayload(ts.URL, nil, nil), `"type":"api-0.1.0"`, `"type":"mf-2.0.0"`, 1))
	var nilCtx context.Context
	for name, tc := range map[string]struct {
		ctx  context.Context
		cc   *CaptureContext
		data TokenizeData
		is   error
		want string
	}{
		"nil context":       {nilCtx, cc, CardData(testPAN, "12", "2031", ""), ErrInvalidInput, "nil context"},
		"nil cc":            {context.Background(), nil, CardData(testPAN, "12", "2031", ""), ErrInvalidInput, "nil capture context"},
		"no data":           {context.Background(), cc, TokenizeData{}, ErrInvalidInput, "no data; build it with CardData"},
		"empty values":      {context.Background(), cc, CardData("", "", "", ""), ErrInvalidInput, "no data"},
		"required missing":  {context.Background(), cc, CardData(testPAN, "", "", testCVV), ErrInvalidInput, "lacks paymentInformation.card.expirationMonth, paymentInformation.card.expirationYear, which the capture context requires"},
		"field not listed":  {context.Background(), trustedCC(t, cardCCPayload(ts.URL, cardRequired, nil)), CardData(testPAN, "12", "2031", testCVV), ErrInvalidInput, "holds paymentInformation.card.securityCode, which the capture context does not list"},
		"number not digits": {context.Background(), cc, CardData("4111x111111111111", "12", "2031", ""), ErrInvalidInput, "paymentInformation.card.number must be 12 to 19 digits"},
		"number too short":  {context.Background(), cc, CardData("41111", "12", "2031", ""), ErrInvalidInput, "must be 12 to 19 digits"},
		"security code":     {context.Background(), cc, CardData(testPAN, "12", "2031", "12"), ErrInvalidInput, "securityCode must be 3 to 4 digits"},
		"month":             {context.Background(), cc, CardData(testPAN, "13", "2031", ""), ErrInvalidInput, "month from 01 to 12"},
		"year":              {context.Background(), cc, CardData(testPAN, "12", "31", ""), ErrInvalidInput, "expirationYear must be 4 digits"},
		"microform context": {context.Background(), microform, CardData(testPAN, "", "", ""), ErrInvalidInput, `type "mf-2.0.0", not a Flex API one`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := tokenizeClient(t).Tokenize(tc.ctx, tc.cc, tc.data)
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant %v saying %q", err, tc.is, tc.want)
			}
			assertNoSecret(t, fmt.Sprintf("%v %+v %#v", err, err, err), testPAN, "4111x111111111111", testCVV)
		})
	}
	// An expired capture context, by the client's clock.
	late := tokenizeClient(t, WithClock(func() time.Time { return time.Unix(ccExp, 0).Add(DefaultLeeway) }))
	if _, err := late.Tokenize(context.Background(), cc, CardData(testPAN, "12", "2031", "")); !errors.Is(err, ErrCaptureContextExpired) {
		t.Errorf("expired: %v", err)
	}
	if reqs, _ := ts.requests(); len(reqs) != 0 {
		t.Errorf("%d requests sent, want none", len(reqs))
	}
}

// Card data goes only to an https origin (http on loopback) with a plain path, from a trusted
// capture context.
func TestTokenizeOriginChecks(t *testing.T) {
	var dials wiretest.Dials
	for name, tc := range map[string]struct{ origin, path, want string }{
		"http":                {"http://testflex.example", "/flex/v2/tokens", "is not https"},
		"http on a lookalike": {"http://localhost.evil.example", "/flex/v2/tokens", "is not https"},
		"other scheme":        {"ftp://testflex.example", "/flex/v2/tokens", "is not https"},
		"a path":              {"https://testflex.example/evil", "/flex/v2/tokens", "is not an origin"},
		"user info":           {"https://u:p@testflex.example", "/flex/v2/tokens", "is not an origin"},
		"a query":             {"https://testflex.example?x=1", "/flex/v2/tokens", "is not an origin"},
		"no host":             {"https://", "/flex/v2/tokens", "is not an origin"},
		"relative path":       {"https://testflex.example", "flex/v2/tokens", "not a plain absolute path"},
		"dot dot":             {"https://testflex.example", "/flex/../evil", "not a plain absolute path"},
		"other host path":     {"https://testflex.example", "//evil.example/x", "not a plain absolute path"},
		"query in path":       {"https://testflex.example", "/flex/v2/tokens?x", "not a plain absolute path"},
	} {
		t.Run(name, func(t *testing.T) {
			payload := strings.Replace(cardCCPayload(tc.origin, cardRequired, nil), `"path":"/flex/v2/tokens"`, `"path":"`+tc.path+`"`, 1)
			cc := trustedCC(t, payload)
			_, err := tokenizeClient(t, WithHTTPClient(dials.Client())).Tokenize(context.Background(), cc, CardData(testPAN, "12", "2031", ""))
			if !errors.Is(err, ErrInvalidCaptureContext) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidCaptureContext saying %q", err, tc.want)
			}
		})
	}
	if n := dials.N.Load(); n != 0 {
		t.Errorf("%d connections opened, want none", n)
	}

	// https works, and so does http on localhost.
	tlsSrv := newTokensServer(t, true)
	c := tokenizeClient(t, WithHTTPClient(tlsSrv.Client()))
	if _, err := c.Tokenize(context.Background(), trustedCC(t, cardCCPayload(tlsSrv.URL, cardRequired, nil)), CardData(testPAN, "12", "2031", "")); err != nil {
		t.Errorf("https: %v", err)
	}
	plain := newTokensServer(t, false)
	local := strings.Replace(plain.URL, "127.0.0.1", "localhost", 1)
	if _, err := tokenizeClient(t).Tokenize(context.Background(), trustedCC(t, cardCCPayload(local, cardRequired, nil)), CardData(testPAN, "12", "2031", "")); err != nil {
		t.Errorf("http://localhost: %v", err)
	}
}

// A capture context that this package did not return is verified first; its exported claims
// never decide where the card goes.
func TestTokenizeTrustsOnlyVerifiedClaims(t *testing.T) {
	ts := newTokensServer(t, false)
	evil := newTokensServer(t, false)
	ks := &keyServer{}
	keys := httptest.NewServer(ks)
	defer keys.Close()
	c := newTestClient(t, keys.URL, WithJWT(testMerchantID, testKeyID, testSecret), WithClock(func() time.Time { return ttNow }))
	token := signCC(t, jose.RS256, testRSAKey2048(), ccKid, cardCCPayload(ts.URL, cardRequired, nil))

	// Only the token: verified with CyberSource's key, then used.
	forged := &CaptureContext{Token: token, Claims: CaptureContextClaims{Tokenization: Tokenization{Origin: evil.URL, Path: "/flex/v2/tokens"}}}
	if _, err := c.Tokenize(context.Background(), forged, CardData(testPAN, "12", "2031", "")); err != nil {
		t.Fatal(err)
	}
	if len(ks.requests()) != 1 {
		t.Errorf("%d key fetches, want 1", len(ks.requests()))
	}

	// A trusted capture context whose claims were changed afterwards still sends to its origin.
	cc, err := c.VerifyCaptureContext(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	cc.Claims.Tokenization.Origin = evil.URL
	cc.Claims.Tokenization.JWK.N = "changed"
	cc.Claims.Settings[0].Data.RequiredFields[0] = "nothing.at.all"
	if _, err := c.Tokenize(context.Background(), cc, CardData(testPAN, "12", "2031", "")); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := ts.requests(); len(reqs) != 2 {
		t.Errorf("the real origin got %d requests, want 2", len(reqs))
	}
	if reqs, _ := evil.requests(); len(reqs) != 0 {
		t.Errorf("the forged origin got %d requests", len(reqs))
	}

	// A token that does not verify sends nothing.
	bad := &CaptureContext{Token: signCC(t, jose.RS256, testRSAKeyOld(), ccKid, cardCCPayload(ts.URL, cardRequired, nil))}
	if _, err := c.Tokenize(context.Background(), bad, CardData(testPAN, "12", "2031", "")); !errors.Is(err, ErrCaptureContextSignature) {
		t.Errorf("unverifiable capture context: %v", err)
	}
	if reqs, _ := ts.requests(); len(reqs) != 2 {
		t.Errorf("%d requests, want still 2", len(reqs))
	}
}

// Once the JWE may have been received, the call is not repeated; a connection that could not
// be made at all is.
func TestTokenizeRetries(t *testing.T) {
	for name, tc := range map[string]struct {
		serve    func(w http.ResponseWriter, r *http.Request, _ []byte)
		requests int
	}{
		"connection dropped after the request": {func(w http.ResponseWriter, r *http.Request, _ []byte) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, 1},
		"503": {func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusServiceUnavailable) }, 1},
		"502": {func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusBadGateway) }, 1},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTokensServer(t, false)
			ts.serve = tc.serve
			c := tokenizeClient(t, WithMaxRetries(3))
			_, err := c.Tokenize(context.Background(), trustedCC(t, cardCCPayload(ts.URL, cardRequired, nil)), CardData(testPAN, "12", "2031", ""))
			if err == nil {
				t.Fatal("no error")
			}
			if reqs, _ := ts.requests(); len(reqs) != tc.requests {
				t.Errorf("%d requests, want %d", len(reqs), tc.requests)
			}
		})
	}
	var dials wiretest.Dials
	c := tokenizeClient(t, WithMaxRetries(2), WithHTTPClient(dials.Client()))
	_, err := c.Tokenize(context.Background(), trustedCC(t, cardCCPayload(wiretest.RefusedURL(t), cardRequired, nil)), CardData(testPAN, "12", "2031", ""))
	if err == nil || dials.N.Load() != 3 {
		t.Errorf("refused connection: %d dials (want 3), err %v", dials.N.Load(), err)
	}
}

func TestTokenizeAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		serve func(w http.ResponseWriter, r *http.Request, _ []byte)
		check func(t *testing.T, err error)
	}{
		"not a token": {func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, "<html>ok</html>")
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidTransientToken) || !strings.Contains(err.Error(), "HTTP 201 answer (15 bytes") {
				t.Errorf("err = %v", err)
			}
		}},
		"a token of another key": {func(w http.ResponseWriter, r *http.Request, _ []byte) {
			_, _ = io.WriteString(w, signCC(t, jose.RS256, testRSAKeyOld(), ccJWKKid, ttPayload("Flex/08", ttIat, ttExp)))
		}, func(t *testing.T, err error) {
			if !errors.Is(err, ErrInvalidTransientToken) || !strings.Contains(err.Error(), "signature does not verify") {
				t.Errorf("err = %v", err)
			}
		}},
		"a validation error": {func(w http.ResponseWriter, r *http.Request, _ []byte) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"correlationId":"c1","details":[{"location":"paymentInformation.card.number","message":"invalid"}],"message":"Invalid data","reason":"UNIFIEDPAYMENTS_VALIDATION_FIELDS"}`)
		}, func(t *testing.T, err error) {
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Operation != "Tokenize" || len(apiErr.Details) != 1 ||
				err.Error() != "cyberflex: Tokenize: HTTP 400 Bad Request: UNIFIEDPAYMENTS_VALIDATION_FIELDS: Invalid data (paymentInformation.card.number: invalid) (correlation id c1)" {
				t.Errorf("err = %v", err)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTokensServer(t, false)
			ts.serve = tc.serve
			_, err := tokenizeClient(t).Tokenize(context.Background(), trustedCC(t, cardCCPayload(ts.URL, cardRequired, nil)), CardData(testPAN, "12", "2031", ""))
			tc.check(t, err)
		})
	}
}

// A peer that decrypts the card and echoes it back, in every part of its answer, cannot make an
// error or a log line show it.
func TestTokenizeCardDataNeverShows(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	echo := func(plain []byte) string {
		var p struct {
			Data TokenizeValues `json:"data"`
		}
		_ = json.Unmarshal(plain, &p)
		card := p.Data.PaymentInformation.Card
		return "number " + card.Number + ", cvv " + card.SecurityCode + ", " + string(plain)
	}
	for name, serve := range map[string]func(w http.ResponseWriter, r *http.Request, plain []byte){
		"json error": func(w http.ResponseWriter, r *http.Request, plain []byte) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("v-c-correlation-id", echo(plain))
			w.WriteHeader(http.StatusBadRequest)
			msg, _ := json.Marshal(echo(plain))
			fmt.Fprintf(w, `{"message":%s,"reason":%s,"details":[{"location":%s,"message":%s}]}`, msg, msg, msg, msg)
		},
		"html error": func(w http.ResponseWriter, r *http.Request, plain []byte) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<pre>%s</pre>", echo(plain))
		},
		"2xx not a token": func(w http.ResponseWriter, r *http.Request, plain []byte) {
			w.Header().Set("Content-Type", "text/plain; "+strings.ReplaceAll(echo(plain), `"`, ""))
			_, _ = io.WriteString(w, echo(plain))
		},
	} {
		t.Run(name, func(t *testing.T) {
			ts := newTokensServer(t, false)
			ts.serve = serve
			c := tokenizeClient(t, WithLogger(logger))
			_, err := c.Tokenize(context.Background(), trustedCC(t, cardCCPayload(ts.URL, cardRequired, cardOptional)), CardData(testPAN, "12", "2031", testCVV))
			if err == nil {
				t.Fatal("no error")
			}
			out := fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				out += string(apiErr.Body) + apiErr.Message + apiErr.Reason + fmt.Sprint(apiErr.Header) + spew.Sdump(apiErr.Details)
			}
			for _, leak := range []string{testPAN, "cvv " + testCVV, `"securityCode":"` + testCVV} {
				if strings.Contains(out, leak) {
					t.Errorf("the error shows %q:\n%s", leak, out)
				}
			}
			if !strings.Contains(out, "[redacted]") && name != "2xx not a token" {
				t.Errorf("nothing was scrubbed, so nothing was echoed: the test does not test:\n%s", out)
			}
		})
	}
	for _, leak := range []string{testPAN, "cvv " + testCVV} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log shows %q:\n%s", leak, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "op=Tokenize") {
		t.Errorf("no Tokenize log line: %s", logs.String())
	}
}

// A TokenizeData prints the names of its fields, never their values, however it is printed.
func TestTokenizeDataPrintsRedacted(t *testing.T) {
	data := CardData(testPAN, "12", "2031", testCVV)
	type holder struct {
		data TokenizeData
		Data TokenizeData
		ptr  *TokenizeData
	}
	h := holder{data: data, Data: data, ptr: &data}
	var outs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		outs = append(outs, fmt.Sprintf(verb, data), fmt.Sprintf(verb, &data), fmt.Sprintf(verb, h))
	}
	j, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "data", data, "holder", h)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "data", data, "holder", h)
	raw := spew.ConfigState{DisableMethods: true, DisablePointerMethods: true}
	outs = append(outs, string(j), logs.String(), raw.Sdump(data), raw.Sdump(h), spew.Sdump(h))
	hexPAN := fmt.Sprintf("%x", testPAN)
	for _, out := range outs {
		for _, leak := range []string{testPAN, testCVV, hexPAN, base64.StdEncoding.EncodeToString([]byte(testPAN))} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(leak)) {
				t.Errorf("output shows %q:\n%s", leak, out)
			}
		}
	}
	want := "cyberflex.TokenizeData{paymentInformation.card.expirationMonth: [redacted], paymentInformation.card.expirationYear: [redacted], " +
		"paymentInformation.card.number: [redacted], paymentInformation.card.securityCode: [redacted]}"
	if got := data.String(); got != want {
		t.Errorf("String() = %s\nwant %s", got, want)
	}
	if got := fmt.Sprint(TokenizeData{}); got != "cyberflex.TokenizeData{}" {
		t.Errorf("zero: %s", got)
	}
}

// The plaintext is JSON whatever the capture context's token holds: base64 decoding skips line
// breaks, so a token that decoded may still need quoting.
func TestEncryptPlaintextIsJSON(t *testing.T) {
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &testOneTimeKey().PublicKey, KeyID: "k"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"eyJh.eyJi.c2ln", "ey\nJh.eyJi.c2ln", `a"b.c.d`} {
		jwe, err := encrypt(enc, token, []byte(`{"x":"y"}`))
		if err != nil {
			t.Fatal(err)
		}
		obj, err := jose.ParseEncryptedCompact(jwe, []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := obj.Decrypt(testOneTimeKey())
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Context string          `json:"context"`
			Data    json.RawMessage `json:"data"`
			Index   *int            `json:"index"`
		}
		if err := json.Unmarshal(plain, &p); err != nil || p.Context != token || string(p.Data) != `{"x":"y"}` || p.Index == nil || *p.Index != 0 {
			t.Errorf("token %q: plaintext %s (%v)", token, plain, err)
		}
	}
}
