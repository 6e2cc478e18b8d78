package cyberflextest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// Issue a capture context with the real client against the fake, then verify it with the key
// the fake publishes.
func Example() {
	const merchantID, keyID = "my_merchant", "2f8c0a4e-5b1d-4c7a-9e3f-6d2b8a1c0e55"
	const sharedSecret = "bXktc2hhcmVkLXNlY3JldC1mb3ItdGhlLWV4YW1wbGU=" // from the Business Center

	csrv := cyberflextest.NewServer(cyberflextest.WithJWT(merchantID, keyID, sharedSecret))
	defer csrv.Close()

	c, err := cyberflex.New(
		cyberflex.WithJWT(merchantID, keyID, sharedSecret),
		cyberflex.WithBaseURL(csrv.URL),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
	}))
	if err != nil {
		panic(err)
	}
	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	if err != nil {
		panic(err)
	}
	kid, _ := csrv.PublicKey()
	claims := verified.Claims
	fmt.Println("issuer:", claims.Issuer)
	fmt.Println("valid for:", claims.ExpiresAt.Sub(claims.IssuedAt))
	fmt.Println("signed with the current key:", claims.KeyID == kid)
	fmt.Println("required:", claims.Settings[0].Data.RequiredFields)
	fmt.Println("optional:", claims.Settings[0].Data.OptionalFields)
	// Output:
	// issuer: Flex API
	// valid for: 15m0s
	// signed with the current key: true
	// required: [paymentInformation.card.expirationMonth paymentInformation.card.expirationYear paymentInformation.card.number]
	// optional: [paymentInformation.card.securityCode]
}

// Make the next call fail, to test how the code under test handles CyberSource errors.
func ExampleServer_Inject() {
	csrv := cyberflextest.NewServer() // accepts the Default* credentials
	defer csrv.Close()
	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(csrv.URL),
	)
	if err != nil {
		panic(err)
	}
	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: http.StatusInternalServerError})

	req := cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()})
	_, err = c.GenerateCaptureContext(context.Background(), req)
	var apiErr *cyberflex.APIError
	if errors.As(err, &apiErr) {
		fmt.Println("first call:", apiErr.StatusCode, apiErr.Reason, apiErr.Message)
	}
	_, err = c.GenerateCaptureContext(context.Background(), req)
	fmt.Println("second call fails:", err != nil)
	fmt.Println("calls:", csrv.Calls(cyberflextest.OpGenerateCaptureContext))
	// Output:
	// first call: 500 INTERNAL_SERVER_ERROR Internal error.
	// second call fails: false
	// calls: 2
}

// A client with a wrong credential gets CyberSource's 401, with the reason added to the
// message.
func ExampleServer_authenticationFailure() {
	csrv := cyberflextest.NewServer()
	defer csrv.Close()
	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, "not-my-key", cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(csrv.URL),
	)
	if err != nil {
		panic(err)
	}
	_, err = c.GenerateCaptureContext(context.Background(), cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	var apiErr *cyberflex.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	// Output:
	// 401 Authentication Failed: JWT kid "not-my-key" is not a HS256 key of this server
}

// After RotateKey, new capture contexts are signed with a new key; tokens of the old one still
// verify, since the old kid stays published.
func ExampleServer_RotateKey() {
	csrv := cyberflextest.NewServer()
	defer csrv.Close()
	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(csrv.URL),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	before, err := csrv.IssueCaptureContext([]string{"paymentInformation.card.number"}, nil)
	if err != nil {
		panic(err)
	}
	csrv.RotateKey()
	after, err := csrv.IssueCaptureContext([]string{"paymentInformation.card.number"}, nil)
	if err != nil {
		panic(err)
	}
	for _, token := range []string{before, after} {
		_, err := c.VerifyCaptureContext(ctx, token)
		fmt.Println("verified:", err == nil)
	}
	fmt.Println("key fetches:", csrv.Calls(cyberflextest.OpGetPublicKey))
	// Output:
	// verified: true
	// verified: true
	// key fetches: 2
}

// Play the whole card flow: a Microform capture context for the page, the card typed into
// Microform (TokenizeCard plays the browser), and the transient token verified on the server.
func ExampleServer_TokenizeCard() {
	csrv := cyberflextest.NewServer()
	defer csrv.Close()
	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(csrv.URL),
	)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	cc, err := c.GenerateMicroformContext(ctx, cyberflex.MicroformRequest{
		TargetOrigins:       []string{"https://shop.example"},
		AllowedCardNetworks: []cyberflex.CardNetwork{cyberflex.CardNetworkVisa},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("type:", cc.Type())
	fmt.Println("script served by the fake:", strings.HasPrefix(cc.ClientLibrary(), csrv.URL))
	fmt.Println("integrity:", cc.ClientLibraryIntegrity() == cyberflextest.MicroformScriptIntegrity)

	token, err := csrv.TokenizeCard(cc.Token, cyberflextest.Card{Number: "4111111111111111", SecurityCode: "123", ExpirationMonth: "12", ExpirationYear: "2031"})
	if err != nil {
		panic(err)
	}
	tt, err := c.VerifyTransientToken(ctx, cc, token)
	if err != nil {
		panic(err)
	}
	fmt.Printf("card: %+v\n", tt.Claims.Card)

	_, err = csrv.TokenizeCard(cc.Token, cyberflextest.Card{Number: "378282246310005"})
	fmt.Println(err)
	// Output:
	// type: mf-2.0.0
	// script served by the fake: true
	// integrity: true
	// card: {MaskedNumber:XXXXXXXXXXXX1111 BIN:411111 ExpirationMonth:12 ExpirationYear:2031 Type:001}
	// cyberflextest: tokenization refused: UNIFIEDPAYMENTS_VALIDATION_FIELDS: Invalid data; paymentInformation.card.number: the card's network is not one the capture context allows (VISA)
}

// Rehearse CyberSource's retirement of HTTP Signature: the same key id and secret work with JWT
// only.
func ExampleWithoutHTTPSignature() {
	csrv := cyberflextest.NewServer(cyberflextest.WithoutHTTPSignature())
	defer csrv.Close()
	req := cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()})
	for _, auth := range []cyberflex.Option{
		cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
	} {
		c, err := cyberflex.New(auth, cyberflex.WithBaseURL(csrv.URL))
		if err != nil {
			panic(err)
		}
		_, err = c.GenerateCaptureContext(context.Background(), req)
		var apiErr *cyberflex.APIError
		if errors.As(err, &apiErr) {
			_, why, _ := strings.Cut(apiErr.Message, ": ")
			fmt.Println(apiErr.StatusCode, why)
			continue
		}
		fmt.Println("ok:", err == nil)
	}
	// Output:
	// 401 HTTP Signature is not accepted for this merchant any more (cyberflextest.WithoutHTTPSignature): CyberSource requires JWT from September 2026; use cyberflex.WithJWT with the same key id and shared secret
	// ok: true
}
