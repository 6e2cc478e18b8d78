// Package cyberflex is a client for CyberSource's card capture: the Flex API v2 and Microform
// Integration v2. It issues capture contexts, the short-lived JWTs that let card data go
// straight to CyberSource (POST /flex/v2/sessions for a server, POST /microform/v2/sessions for
// Microform on a web page), verifies them against CyberSource's published keys (GET
// /flex/v2/public-keys/{kid}), tokenizes card data on a server (POST /flex/v2/tokens) and
// verifies the transient tokens that come back, ready for a payment.
//
// Authenticate with a JWT signed with the Business Center's shared secret (WithJWT). HTTP
// Signature (WithHTTPSignature) is deprecated: CyberSource requires JWT from September 2026,
// with the same key id and secret.
//
//	c, err := cyberflex.New(
//		cyberflex.WithJWT(merchantID, keyID, sharedSecretBase64),
//		cyberflex.WithEnvironment(cyberflex.Production), // default: Sandbox
//	)
//	if err != nil { … } // wraps cyberflex.ErrInvalidInput
//
// Microform on a page: issue a capture context for the page's origin, hand the page its token
// and the script to load (URL and Subresource Integrity hash), then verify the transient token
// the page posts back:
//
//	cc, err := c.GenerateMicroformContext(ctx, cyberflex.MicroformRequest{
//		TargetOrigins:       []string{"https://shop.example"},
//		AllowedCardNetworks: []cyberflex.CardNetwork{cyberflex.CardNetworkVisa, cyberflex.CardNetworkMastercard},
//	})
//	// page: <script src="{cc.ClientLibrary()}" integrity="{cc.ClientLibraryIntegrity()}"
//	//        crossorigin="anonymous">, then new Flex(cc.Token)
//	tt, err := c.VerifyTransientToken(ctx, cc, transientToken) // errors.Is(err, cyberflex.ErrInvalidTransientToken)
//	tt.Claims.Card.MaskedNumber                                   // "XXXXXXXXXXXX1111"
//	tt.TokenInformation()                                         // "tokenInformation" of POST /pts/v2/payments
//
// Card data on the server: issue a Flex API capture context for the fields to send, then
// tokenize; the card is encrypted to the capture context's one-time key and sent to CyberSource
// only:
//
//	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
//		Number:          cyberflex.Required(),
//		ExpirationMonth: cyberflex.Required(),
//		ExpirationYear:  cyberflex.Required(),
//		SecurityCode:    cyberflex.Optional(),
//	}))
//	tt, err := c.Tokenize(ctx, cc, cyberflex.CardData(number, month, year, securityCode))
//
// A capture context that comes back from elsewhere (a browser, a queue, storage) is checked
// with VerifyCaptureContext (errors.Is(err, cyberflex.ErrCaptureContextExpired), …); Tokenize
// and VerifyTransientToken do so themselves for a CaptureContext this Client did not return. A
// CyberSource error answer is an *APIError:
//
//	var apiErr *cyberflex.APIError
//	if errors.As(err, &apiErr) { … apiErr.StatusCode, apiErr.Reason, apiErr.Details, apiErr.CorrelationID … }
//
// Authentication is one of a JWT signed with the shared secret (WithJWT) or with the merchant's
// P12 key (WithJWTP12), an OAuth access token (WithAccessToken), or, for accounts that have not
// moved yet, HTTP Signature (WithHTTPSignature). "No authorization required" in CyberSource's
// generated docs for the capture-context operations is an artefact of its spec, which declares no
// security scheme (FlexApiApi.java: localVarAuthNames = new String[] { }); every official SDK
// signs the calls with its hand-written AuthenticationSdk, and the developer guide asks for "a
// fully authenticated POST request". The tokenization call carries no credential: the JWE,
// encrypted to the capture context's one-time key, authorises it. The lower-level JWTSigner and
// HTTPSignatureSigner sign any CyberSource REST request.
//
// The request types (CaptureContextRequest, CardFields, TokenizeValues, …), the CardNetwork and
// PaymentType values and ErrorDetail are the ones generated from api/cyberflex.yaml (package
// gen/cyberflexapi), re-exported here under the same names as type aliases, so that there is no
// need to import gen/cyberflexapi. go doc shows an alias with one line about it (go doc
// cyberflex.CardFields); the fields, their documentation and the Get methods are the generated
// type's: go doc github.com/paysession/paysession-go/gen/cyberflexapi.CardFields (pkg.go.dev
// links each alias to it). The capture context and the transient token (CaptureContext,
// TransientToken) are handwritten: they are JWTs, not JSON bodies of the spec, and so is
// TokenizeData, which keeps card data out of every printer.
//
// No credential and no card number or security code ever appears in an error, a log line or
// the fmt output of a Client, an option, an APIError or a TokenizeData.
package cyberflex
