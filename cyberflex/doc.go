// Package cyberflex is a client for the CyberSource Flex API v2: it issues
// capture contexts (POST /flex/v2/sessions), the short-lived JWTs a browser
// needs to send card data straight to CyberSource, and verifies them against
// CyberSource's published keys (GET /flex/v2/public-keys/{kid}).
//
// Usage:
//
//	c, err := cyberflex.New(
//		cyberflex.WithHTTPSignature(merchantID, keyID, sharedSecretBase64),
//		cyberflex.WithEnvironment(cyberflex.Production), // default: Sandbox
//	)
//	if err != nil { … } // wraps cyberflex.ErrInvalidInput
//
//	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
//		Number:          cyberflex.Required(),
//		ExpirationMonth: cyberflex.Required(),
//		ExpirationYear:  cyberflex.Required(),
//		SecurityCode:    cyberflex.Optional(),
//	}))
//	var apiErr *cyberflex.APIError
//	if errors.As(err, &apiErr) { … apiErr.StatusCode, apiErr.Reason, apiErr.CorrelationID … }
//	// cc.Token goes to the browser; cc.Claims.ExpiresAt says until when.
//
//	// Where a capture context comes back from elsewhere, check it first:
//	cc, err = c.VerifyCaptureContext(ctx, token) // errors.Is(err, cyberflex.ErrCaptureContextExpired), …
//
// Authentication is one of HTTP Signature with a shared secret
// (WithHTTPSignature), a JWT signed with the shared secret (WithJWT) or with
// the merchant's P12 key (WithJWTP12), or an OAuth access token
// (WithAccessToken). "No authorization required" in CyberSource's generated
// docs for this operation is an artefact of its spec, which declares no
// security scheme (FlexApiApi.java: localVarAuthNames = new String[] { });
// every official SDK signs the call with its hand-written AuthenticationSdk,
// and the developer guide asks for "a fully authenticated POST request". The
// lower-level HTTPSignatureSigner and JWTSigner sign any
// CyberSource REST request.
//
// The request types (CaptureContextRequest, CardFields, …) and ErrorDetail are the ones generated
// from api/cyberflex.yaml (package gen/cyberflexapi), re-exported here under the same names as
// type aliases, so that there is no need to import gen/cyberflexapi. go doc shows an alias with
// one line about it (go doc cyberflex.CardFields); the fields, their documentation and the Get
// methods are the generated type's: go doc
// github.com/paysession/paysession-go/gen/cyberflexapi.CardFields (pkg.go.dev links each alias
// to it). The capture context itself (CaptureContext, CaptureContextClaims) is handwritten: it
// is a JWT, not a JSON body of the spec.
//
// No credential ever appears in an error, a log line or the fmt output of a
// Client, an option or an APIError.
package cyberflex
