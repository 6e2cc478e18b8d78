package cyberflextest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// Issue a capture context with the real client against the fake, then verify it with the key
// the fake publishes.
func Example() {
	const merchantID, keyID = "my_merchant", "2f8c0a4e-5b1d-4c7a-9e3f-6d2b8a1c0e55"
	const sharedSecret = "bXktc2hhcmVkLXNlY3JldC1mb3ItdGhlLWV4YW1wbGU=" // from the Business Center

	csrv := cyberflextest.NewServer(cyberflextest.WithHTTPSignature(merchantID, keyID, sharedSecret))
	defer csrv.Close()

	c, err := cyberflex.New(
		cyberflex.WithHTTPSignature(merchantID, keyID, sharedSecret),
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
		cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, "not-my-key", cyberflextest.DefaultSharedSecret),
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
	// 401 Authentication Failed: Signature keyid "not-my-key" is not a shared-secret key of this server
}

// After RotateKey, new capture contexts are signed with a new key; tokens of the old one still
// verify, since the old kid stays published.
func ExampleServer_RotateKey() {
	csrv := cyberflextest.NewServer()
	defer csrv.Close()
	c, err := cyberflex.New(
		cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
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
