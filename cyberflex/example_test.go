package cyberflex_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex"
)

// exampleNow is the fake clock of the examples.
var exampleNow = time.Date(2026, 11, 21, 12, 17, 15, 0, time.UTC)

// fakeFlex is a tiny stand-in for CyberSource: it issues capture contexts
// at POST /flex/v2/sessions, signed RS256 with a key it serves at
// GET /flex/v2/public-keys/zu, echoing the requested fields as
// CyberSource does.
func fakeFlex() *httptest.Server {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), "zu"))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /flex/v2/sessions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Fields map[string]any `json:"fields"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `{"reason":"CAPTURE_CONTEXT_INVALID","message":"bad body"}`, http.StatusBadRequest)
			return
		}
		var required, optional []string
		var walk func(prefix string, m map[string]any)
		walk = func(prefix string, m map[string]any) {
			for name, v := range m {
				sub, _ := v.(map[string]any)
				if r, isLeaf := sub["required"]; isLeaf || len(sub) == 0 {
					if r == false {
						optional = append(optional, prefix+name)
					} else {
						required = append(required, prefix+name)
					}
					continue
				}
				walk(prefix+name+".", sub)
			}
		}
		walk("", req.Fields)
		sort.Strings(required)
		sort.Strings(optional)
		claims, _ := json.Marshal(map[string]any{
			"flx": map[string]any{"path": "/flex/v2/tokens", "data": "opaque", "origin": "https://testflex.cybersource.com"},
			"ctx": []any{map[string]any{"type": "api-0.1.0", "data": map[string]any{"requiredFields": required, "optionalFields": optional}}},
			"iss": "Flex API", "iat": exampleNow.Unix(), "exp": exampleNow.Add(15 * time.Minute).Unix(), "jti": "example",
		})
		jws, _ := signer.Sign(claims)
		token, _ := jws.CompactSerialize()
		w.Header().Set("Content-Type", "application/jwt")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, token)
	})
	mux.HandleFunc("GET /flex/v2/public-keys/zu", func(w http.ResponseWriter, r *http.Request) {
		b, _ := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "zu", Use: "enc"}.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	})
	return httptest.NewServer(mux)
}

// Issue a capture context for card fields, then verify a capture context
// that came back from elsewhere.
func Example() {
	srv := fakeFlex()
	defer srv.Close()

	c, err := cyberflex.New(
		cyberflex.WithJWT("testrest", "08c94330-f618-42a3-b09d-e1e43be5efda", "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="),
		cyberflex.WithBaseURL(srv.URL), // requests still carry and sign Host: apitest.cybersource.com
		cyberflex.WithClock(func() time.Time { return exampleNow }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("issuer:", cc.Claims.Issuer)
	fmt.Println("required:", cc.Claims.Settings[0].Data.RequiredFields)
	fmt.Println("optional:", cc.Claims.Settings[0].Data.OptionalFields)
	fmt.Println("expires:", cc.Claims.ExpiresAt.Format(time.RFC3339))

	// cc.Token goes to the browser. When a token comes back (from a
	// browser, a queue, storage), verify it before trusting its claims.
	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified with key", verified.Claims.KeyID)

	_, err = c.VerifyCaptureContext(ctx, cc.Token[:len(cc.Token)-4]+"AAAA")
	fmt.Println("tampered rejected:", errors.Is(err, cyberflex.ErrInvalidCaptureContext))

	// Output:
	// issuer: Flex API
	// required: [paymentInformation.card.expirationMonth paymentInformation.card.expirationYear paymentInformation.card.number]
	// optional: [paymentInformation.card.securityCode]
	// expires: 2026-11-21T12:32:15Z
	// verified with key zu
	// tampered rejected: true
}

// Tell CyberSource's error answers apart with errors.As.
func ExampleAPIError() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("v-c-correlation-id", "08b69ffe-c3c2-4a6c-a3f4-1b1c0d0e0f10")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"details":{"location":"","message":""},"informationLink":null,"message":"Merchant APIKEY is invalid","reason":"INVALID_APIKEY"}`)
	}))
	defer srv.Close()

	c, err := cyberflex.New(cyberflex.WithAccessToken("access-token"), cyberflex.WithBaseURL(srv.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = c.GenerateCaptureContext(context.Background(), cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))

	var apiErr *cyberflex.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Reason)
		fmt.Println(apiErr.Message)
		fmt.Println("quote to support:", apiErr.CorrelationID)
	}
	fmt.Println(err)

	// Output:
	// 400 INVALID_APIKEY
	// Merchant APIKEY is invalid
	// quote to support: 08b69ffe-c3c2-4a6c-a3f4-1b1c0d0e0f10
	// cyberflex: GenerateCaptureContext: HTTP 400 Bad Request: INVALID_APIKEY: Merchant APIKEY is invalid (correlation id 08b69ffe-c3c2-4a6c-a3f4-1b1c0d0e0f10)
}

// Build the request body with Required and Optional: a listed field is
// required unless marked optional; unlisted fields are not collected.
func ExampleCardRequest() {
	req := cyberflex.CardRequest(cyberflex.CardFields{
		Number:       cyberflex.Required(),
		SecurityCode: cyberflex.Optional(),
	})
	b, _ := json.Marshal(req)
	fmt.Println(string(b))

	// Billing fields sit beside the card, as in a payment request.
	req.Fields.OrderInformation = &cyberflex.OrderInformationFields{
		BillTo: &cyberflex.BillToFields{PostalCode: cyberflex.Required(), Email: cyberflex.Optional()},
	}
	b, _ = json.Marshal(req)
	fmt.Println(string(b))

	// Output:
	// {"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}
	// {"fields":{"orderInformation":{"billTo":{"email":{"required":false},"postalCode":{"required":true}}},"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}
}
