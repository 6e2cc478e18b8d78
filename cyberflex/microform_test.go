package cyberflex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/httpx"
)

// microformPayload is a Microform v2 capture context as CyberSource issues it (decoded example of
// the npm package cybersource-auth's README, with this test's one-time key).
func microformPayload() string {
	return `{"flx":{"path":"/flex/v2/tokens","data":"q1SrfE6J","origin":"https://testflex.cybersource.com","jwk":` +
		flxJWKJSON(&testOneTimeKey().PublicKey, ccJWKKid) + `},"ctx":[{"data":{` +
		`"clientLibraryIntegrity":"sha256-4TUKBd3VMIGGNs1ZLzfU6bG0YG4kUScSOtPu5ec7Ygo=",` +
		`"clientLibrary":"https://testflex.cybersource.com/microform/bundle/v2.0.2/flex-microform.min.js",` +
		`"allowedCardNetworks":["VISA","MASTERCARD","AMEX","NEWNET"],"allowedPaymentTypes":["CARD"],` +
		`"targetOrigins":["http://localhost:3000","https://www.example.net"],"mfOrigin":"https://testflex.cybersource.com"},` +
		`"type":"mf-2.0.0"}],` + fmt.Sprintf(`"iss":"Flex API","exp":%d,"iat":%d,"jti":"YEoklGF9hS78usgy"}`, ccExp, ccIat)
}

func TestGenerateMicroformContextGoldenWire(t *testing.T) {
	tok := signCC(t, jose.RS256, testRSAKey2048(), ccKid, microformPayload())
	f, srv := newFake(t, created(tok))
	c := newTestClient(t, srv.URL, WithJWT(testMerchantID, testKeyID, testSecret))
	prefix := true
	cc, err := c.GenerateMicroformContext(context.Background(), MicroformRequest{
		TargetOrigins:       []string{"https://www.example.net", "http://localhost:3000"},
		AllowedCardNetworks: []CardNetwork{CardNetworkVisa, CardNetworkMastercard, CardNetworkAmex},
		AllowedPaymentTypes: []PaymentType{PaymentTypeCard},
		ClientVersion:       "v2.0",
		IncludeCardPrefix:   &prefix,
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	s := reqs[0]
	const wantBody = `{"allowedCardNetworks":["VISA","MASTERCARD","AMEX"],"allowedPaymentTypes":["CARD"],"clientVersion":"v2.0",` +
		`"targetOrigins":["https://www.example.net","http://localhost:3000"],"transientTokenResponseOptions":{"includeCardPrefix":true}}`
	if s.Method != http.MethodPost || s.URI != "/microform/v2/sessions" || s.Host != testHost || string(s.Body) != wantBody {
		t.Errorf("request %s %s Host %s\nbody %s\nwant %s", s.Method, s.URI, s.Host, s.Body, wantBody)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/jwt", "User-Agent": httpx.UserAgent} {
		if got := s.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	_, claims, _, _ := splitJWT(t, bearer(t, &http.Request{Header: s.Header}))
	if claims["request-resource-path"] != "/microform/v2/sessions" || claims["request-method"] != "post" || claims["request-host"] != testHost {
		t.Errorf("JWT claims %v", claims)
	}

	// What the page needs, and what the claims carry beyond it.
	if cc.Token != tok || cc.Type() != "mf-2.0.0" ||
		cc.ClientLibrary() != "https://testflex.cybersource.com/microform/bundle/v2.0.2/flex-microform.min.js" ||
		cc.ClientLibraryIntegrity() != "sha256-4TUKBd3VMIGGNs1ZLzfU6bG0YG4kUScSOtPu5ec7Ygo=" ||
		!reflect.DeepEqual(cc.TargetOrigins(), []string{"http://localhost:3000", "https://www.example.net"}) ||
		!reflect.DeepEqual(cc.AllowedCardNetworks(), []CardNetwork{CardNetworkVisa, CardNetworkMastercard, CardNetworkAmex, "NEWNET"}) ||
		!reflect.DeepEqual(cc.AllowedPaymentTypes(), []PaymentType{PaymentTypeCard}) {
		t.Errorf("accessors: type %q library %q integrity %q origins %v networks %v types %v", cc.Type(), cc.ClientLibrary(),
			cc.ClientLibraryIntegrity(), cc.TargetOrigins(), cc.AllowedCardNetworks(), cc.AllowedPaymentTypes())
	}
	if string(cc.Claims.Settings[0].Data.Extra["mfOrigin"]) != `"https://testflex.cybersource.com"` {
		t.Errorf("mfOrigin stays raw: %v", cc.Claims.Settings[0].Data.Extra)
	}
}

// The accessors of a capture context without Microform settings, or with members of another
// type, are empty.
func TestCaptureContextAccessorsEmpty(t *testing.T) {
	odd := strings.Replace(microformPayload(), `"targetOrigins":["http://localhost:3000","https://www.example.net"]`, `"targetOrigins":"x","clientLibrary":7`, 1)
	for name, cc := range map[string]*CaptureContext{
		"nil":       nil,
		"no ctx":    {},
		"Flex API":  trustedCC(t, validPayload()),
		"odd types": trustedCC(t, odd),
	} {
		t.Run(name, func(t *testing.T) {
			if cc.ClientLibrary() != "" || cc.TargetOrigins() != nil {
				t.Errorf("library %q origins %v", cc.ClientLibrary(), cc.TargetOrigins())
			}
			if name != "odd types" && (cc.ClientLibraryIntegrity() != "" || cc.AllowedCardNetworks() != nil || cc.AllowedPaymentTypes() != nil) {
				t.Errorf("integrity %q networks %v types %v", cc.ClientLibraryIntegrity(), cc.AllowedCardNetworks(), cc.AllowedPaymentTypes())
			}
		})
	}
	if got := trustedCC(t, validPayload()).Type(); got != "api-0.1.0" {
		t.Errorf("Type() = %q", got)
	}
	if got := (&CaptureContext{}).Type(); got != "" {
		t.Errorf("Type() = %q", got)
	}
}

// Each rule is checked before sending, with an error that says what to change.
func TestGenerateMicroformContextChecks(t *testing.T) {
	f, srv := newFake(t, created(testToken(t)))
	c := newTestClient(t, srv.URL, WithJWT(testMerchantID, testKeyID, testSecret))
	visa := []CardNetwork{CardNetworkVisa}
	nine := make([]string, 10)
	for i := range nine {
		nine[i] = fmt.Sprintf("https://shop%d.example", i)
	}
	for name, tc := range map[string]struct {
		req  MicroformRequest
		want string
	}{
		"no origin":          {MicroformRequest{AllowedCardNetworks: visa}, `TargetOrigins is empty: list the origin of each page that embeds Microform, e.g. "https://shop.example"`},
		"ten origins":        {MicroformRequest{TargetOrigins: nine, AllowedCardNetworks: visa}, "TargetOrigins lists 10 origins; at most 9 are allowed"},
		"http":               {MicroformRequest{TargetOrigins: []string{"https://a.example", "http://shop.example"}, AllowedCardNetworks: visa}, `TargetOrigins[1] "http://shop.example": uses http, which CyberSource allows only for localhost; use "https://shop.example"`},
		"wildcard":           {MicroformRequest{TargetOrigins: []string{"https://*.shop.example"}, AllowedCardNetworks: visa}, "wildcards are not allowed"},
		"wildcard origin":    {MicroformRequest{TargetOrigins: []string{"*"}, AllowedCardNetworks: visa}, "wildcards are not allowed"},
		"path":               {MicroformRequest{TargetOrigins: []string{"https://shop.example/checkout"}, AllowedCardNetworks: visa}, `has a path; an origin is scheme://host[:port], without even a trailing slash: "https://shop.example"`},
		"trailing slash":     {MicroformRequest{TargetOrigins: []string{"https://shop.example/"}, AllowedCardNetworks: visa}, "without even a trailing slash"},
		"query":              {MicroformRequest{TargetOrigins: []string{"https://shop.example?x=1"}, AllowedCardNetworks: visa}, "has a query or fragment"},
		"fragment":           {MicroformRequest{TargetOrigins: []string{"https://shop.example#x"}, AllowedCardNetworks: visa}, "has a query or fragment"},
		"user info":          {MicroformRequest{TargetOrigins: []string{"https://me@shop.example"}, AllowedCardNetworks: visa}, "has user info"},
		"no scheme":          {MicroformRequest{TargetOrigins: []string{"shop.example"}, AllowedCardNetworks: visa}, "is not an origin"},
		"other scheme":       {MicroformRequest{TargetOrigins: []string{"ftp://shop.example"}, AllowedCardNetworks: visa}, `scheme "ftp" is not https`},
		"empty origin":       {MicroformRequest{TargetOrigins: []string{""}, AllowedCardNetworks: visa}, "is not an origin"},
		"duplicate":          {MicroformRequest{TargetOrigins: []string{"https://shop.example", "https://SHOP.example:443"}, AllowedCardNetworks: visa}, `TargetOrigins[1] "https://SHOP.example:443" is TargetOrigins[0] again`},
		"no network":         {MicroformRequest{TargetOrigins: []string{"https://shop.example"}}, "AllowedCardNetworks is empty, but cards are allowed"},
		"no network, card":   {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedPaymentTypes: []PaymentType{PaymentTypeCheck, PaymentTypeCard}}, "AllowedCardNetworks is empty"},
		"unknown network":    {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: []CardNetwork{"VISAA"}}, `AllowedCardNetworks[0] "VISAA" is not a card network`},
		"duplicate network":  {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: []CardNetwork{CardNetworkVisa, CardNetworkAmex, CardNetworkVisa}}, "AllowedCardNetworks[2] VISA is AllowedCardNetworks[0] again"},
		"unknown type":       {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: visa, AllowedPaymentTypes: []PaymentType{"card"}}, `AllowedPaymentTypes[0] "card" is not a payment type`},
		"duplicate type":     {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: visa, AllowedPaymentTypes: []PaymentType{PaymentTypeCard, PaymentTypeCard}}, "AllowedPaymentTypes[1] CARD is AllowedPaymentTypes[0] again"},
		"version with a ctl": {MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: visa, ClientVersion: "v2\n"}, "ClientVersion contains a control character"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.GenerateMicroformContext(context.Background(), tc.req)
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to say %q", err, tc.want)
			}
		})
	}
	var nilCtx context.Context
	if _, err := c.GenerateMicroformContext(nilCtx, MicroformRequest{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("nil context: %v", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}

	// What passes: loopback http for development, a port, CHECK alone without networks.
	for _, req := range []MicroformRequest{
		{TargetOrigins: []string{"http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]", "https://shop.example:8443"}, AllowedCardNetworks: visa},
		{TargetOrigins: []string{"https://shop.example"}, AllowedPaymentTypes: []PaymentType{PaymentTypeCheck}},
	} {
		if _, err := c.GenerateMicroformContext(context.Background(), req); err != nil {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

// The answer to a refused Microform session: the responseStatus shape, decoded so that the
// error names the failing field.
func TestGenerateMicroformContextValidationError(t *testing.T) {
	body := `{"responseStatus":{"status":400,"reason":"VALIDATION_ERROR","message":"One or more validation errors occurred",` +
		`"correlationId":"4d5b1c6e","details":[{"location":"targetOrigin","message":"Target Origin[0] cannot use http protocol unless the host is localhost"}]},` +
		`"_links":{"self":{"href":"/microform/v2/sessions"}}}`
	_, srv := newFake(t, reply{status: http.StatusBadRequest, header: map[string]string{"Content-Type": "application/json"}, body: body})
	c := newTestClient(t, srv.URL, WithJWT(testMerchantID, testKeyID, testSecret))
	_, err := c.GenerateMicroformContext(context.Background(), MicroformRequest{TargetOrigins: []string{"https://shop.example"}, AllowedCardNetworks: []CardNetwork{CardNetworkVisa}})
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v", err)
	}
	want := []ErrorDetail{{Location: strp("targetOrigin"), Message: strp("Target Origin[0] cannot use http protocol unless the host is localhost")}}
	if apiErr.Operation != "GenerateMicroformContext" || apiErr.Reason != "VALIDATION_ERROR" || apiErr.CorrelationID != "4d5b1c6e" ||
		!reflect.DeepEqual(apiErr.Details, want) {
		b, _ := json.Marshal(apiErr.Details)
		t.Errorf("APIError %+v details %s", apiErr, b)
	}
	const wantText = "cyberflex: GenerateMicroformContext: HTTP 400 Bad Request: VALIDATION_ERROR: One or more validation errors occurred " +
		"(targetOrigin: Target Origin[0] cannot use http protocol unless the host is localhost) (correlation id 4d5b1c6e)"
	if err.Error() != wantText {
		t.Errorf("Error()\n got %s\nwant %s", err, wantText)
	}
}

// Error lists at most three details, each cut to one short line.
func TestAPIErrorDetailsInError(t *testing.T) {
	long := strings.Repeat("x", 500)
	e := &APIError{Operation: "Op", StatusCode: 400, Reason: "R", Message: "M", Details: []ErrorDetail{
		{Location: strp("a"), Message: strp("one\nline")}, {}, {Message: strp("no location")}, {Location: strp("only location")}, {Location: strp(long)},
	}}
	got := e.Error()
	if !strings.HasPrefix(got, "cyberflex: Op: HTTP 400 Bad Request: R: M (a: one line; no location; only location") || strings.Contains(got, "xxx") || strings.Contains(got, "\n") {
		t.Errorf("Error() = %q", got)
	}
}
