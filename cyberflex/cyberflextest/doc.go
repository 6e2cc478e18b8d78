// Package cyberflextest is an in-process fake of CyberSource's card capture (Flex API v2 and
// Microform Integration v2) for tests of code that uses package cyberflex, in the manner of
// net/http/httptest. It plays the whole flow: it issues capture contexts for a server (POST
// /flex/v2/sessions) and for Microform on a page (POST /microform/v2/sessions, with a stand-in
// Microform script it serves), serves the keys that verify them (GET /flex/v2/public-keys/{kid}),
// tokenizes card data (POST /flex/v2/tokens) and, playing the browser, turns a card typed into
// Microform into the transient token the page gets (TokenizeCard). It verifies the
// authentication of every request the way CyberSource does, so a test passes only if the client
// really signs correctly.
//
// Usage:
//
//	csrv := cyberflextest.NewServer(cyberflextest.WithJWT(merchantID, keyID, sharedSecretBase64))
//	defer csrv.Close()
//	c, err := cyberflex.New(
//		cyberflex.WithJWT(merchantID, keyID, sharedSecretBase64),
//		cyberflex.WithBaseURL(csrv.URL),
//	)
//	…
//	cc, err := c.GenerateMicroformContext(ctx, req)              // a real RS256 capture context
//	token, err := csrv.TokenizeCard(cc.Token, cyberflextest.Card{ // what Microform hands the page
//		Number: "4111111111111111", SecurityCode: "123", ExpirationMonth: "12", ExpirationYear: "2031",
//	})
//	tt, err := c.VerifyTransientToken(ctx, cc, token)            // verifies with the one-time key
//
//	csrv.Inject(cyberflextest.OpGenerateCaptureContext, cyberflextest.Fault{Status: 503}) // the next call fails
//
// NewServer() without credential options accepts DefaultMerchantID, DefaultKeyID and
// DefaultSharedSecret, for JWT and HTTP Signature alike; WithoutHTTPSignature refuses HTTP
// Signature, as CyberSource does from September 2026.
//
// # Authentication
//
// Every request except the public-key GET (which CyberSource serves without authentication), the
// tokenization POST (which the JWE itself authorises, and its CORS preflight) and the GET of the
// stand-in Microform script must pass one of the configured schemes, else it is answered 401
// {"response":{"rmsg":"Authentication Failed: <why>"}}: the real gateway's body, with the reason
// appended (never a secret or an expected signature) so that a failing test says what is wrong.
//
//   - HTTP Signature (WithHTTPSignature): the Signature header's keyid, algorithm="HmacSHA256",
//     headers and signature parameters (names case-insensitive); the headers list must name host,
//     date, request-target, v-c-merchant-id and, for a request with a body, digest (in any order
//     and case; the signing string follows the list's order). The Host header must be the API
//     host (WithHost; a client configured for another environment fails here), Date an
//     IMF-fixdate within WithMaxClockSkew of the server's clock, v-c-merchant-id the key's
//     merchant, Digest "SHA-256=" + base64(SHA-256(body)) of the bytes received (checked before
//     the signature), and the signature the HMAC-SHA256 of the signing string, keyed with the
//     decoded secret, compared in constant time. The pre-2024 "(request-target)" spelling is
//     refused unless WithLegacyRequestTarget.
//   - JWT (WithJWT for HS256 with the shared secret, WithJWTP12 or WithJWTCertificate for RS256
//     with kid = the certificate's subject serialNumber): "Authorization: Bearer <JWS>", parsed
//     by go-jose allowing only the configured algorithms; claims v-c-jwt-version "2",
//     v-c-merchant-id and iss = the merchant, request-host = the API host,
//     request-resource-path = the request's path[?query], request-method = its method (any
//     case), digest = base64(SHA-256(body)) with digest-algorithm or digestAlgorithm "SHA-256"
//     when there is a body, iat within the allowed skew, exp after now and exp − iat ≤ 120 s.
//     Skew applies to iat only: a client whose clock runs more than 120 s behind sends tokens
//     that have already expired.
//   - OAuth (WithAccessToken): the exact token, compared in constant time.
//
// Several schemes and keys may be configured at once; a request passing any of them is
// accepted.
//
// A request that passes is remembered, so that sending it again while it could still pass is
// refused as a replay (401, reason "replayed: …"): a JWT by its jti, until its exp or iat + the
// allowed skew, whichever is first. An HTTP Signature, and a JWT without jti, are the same for
// two identical requests signed in the same second, so the server refuses them again only with
// WithSignatureReplayCheck, until Date (or iat) + the allowed skew. The server remembers at most
// 65536 requests, forgetting the oldest first.
//
// # Order of checks
//
// Each request is routed (unknown path 404, wrong method 405), then given the next injected
// Fault of its operation (see Server.Inject), then authenticated (401; a faulted request is not,
// so it is not remembered as a replay either), then checked against
// api/cyberflex.yaml (400 in CyberSource's error shape, reason UNIFIEDPAYMENTS_VALIDATION_FIELDS,
// the message and details saying what is wrong), then answered.
//
// # Capture contexts
//
// A capture context is a compact JWS signed RS256 by an RSA-2048 key the server generates (kid: two
// characters, like CyberSource's): header {"alg":"RS256","kid":…}, claims flx {path
// "/flex/v2/tokens", data (random base64), origin (the server's URL), jwk (an RSA encryption key)},
// ctx [{data {requiredFields, optionalFields}, type "api-0.1.0"}], iss "Flex API", iat (the
// server's clock), exp = iat + 900 and a random jti. The field lists are the dotted paths
// (group.subgroup.field) of the request's fields, each sorted; a field listed as {} or
// {"required":true} is required, {"required":false} optional. RotateKey switches to a new key and
// kid while still serving the old ones.
//
// # Microform stand-in
//
// The Microform capture contexts (POST /microform/v2/sessions) name a script the server serves,
// MicroformScript, at their clientLibrary, with its SRI hash as clientLibraryIntegrity, so that
// a merchant's own card page runs against the fake in a real browser and gets a transient token
// its server can verify. The script offers the part of the Microform v2 JavaScript API such a
// page calls, as the Microform Integration v2 guide shows it
// (https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex-api/developer/ctv/rest/flex-api/microform-integ-v2/microform-integ-getting-started-v2.html):
//
//	var flex = new Flex(captureContext);
//	var microform = flex.microform({styles: styles});
//	var number = microform.createField("number", {placeholder: "Card number"}); // or "securityCode"
//	number.load("#number-container");                 // a selector or an element
//	number.on("change", function (e) { … });          // e.card, e.valid, e.couldBeValid, e.empty
//	microform.createToken({expirationMonth: "12", expirationYear: "2031"}, function (err, token) { … });
//
// Fields also have off, focus, clear, update ({placeholder, title, disabled}), unload and
// dispose, and fire "load", "change", "focus", "blur", "inputSubmitRequest" (Enter), "update" and
// "unload". createToken does what Microform does: it checks the fields and options, encrypts
// {"context": <capture context>, "data": {"paymentInformation": {"card": {…}}}, "index": 0} as
// cyberflex.Tokenize does (compact JWE, alg RSA-OAEP-256, enc A256GCM, kid = flx.jwk.kid) with
// WebCrypto, POSTs it to flx.origin + flx.path, and calls back with the transient token, or with
// an error {reason, message, details} whose reason is one of Microform's
// (CREATE_TOKEN_VALIDATION_FIELDS with details naming "number" or "securityCode",
// CREATE_TOKEN_VALIDATION_PARAMS, CAPTURE_CONTEXT_INVALID, CAPTURE_CONTEXT_EXPIRED,
// CREATE_TOKEN_VALIDATION_SERVERSIDE, CREATE_TOKEN_XHR_ERROR, CREATE_TOKEN_TIMEOUT, …).
//
// The fields are plain <input> elements mounted in the page's containers, not iframes on
// CyberSource's origin. Iframes would need a second page served by the fake and messages
// between the frames, for an isolation no test of a merchant's page checks; plain inputs keep
// the stand-in one small script with no build step, and let browser tests type into the fields
// directly. So the page's own scripts can read the card number, which Microform prevents:
// nothing about PCI scope can be learnt from the stand-in, and a page must not rely on reading
// the fields. The container gets Microform's classes (flex-microform, flex-microform-focused,
// -valid, -invalid, -disabled); the styles "input", ":focus", ":disabled", "valid" and
// "invalid" are applied to the input inline, others (such as "::placeholder") are ignored.
//
// Since the page itself posts the JWE, cross-origin with Content-Type application/jwt, the
// server answers CORS on POST /flex/v2/tokens and its OPTIONS preflight for the target origins
// of the Microform capture contexts it issued, and refuses a browser's POST (400
// CAPTURE_CONTEXT_INVALID) whose Origin is not a target origin of the capture context the JWE is
// for; requests without Origin (servers, cyberflex.Tokenize) are not concerned. Preflights pass
// no fault and are not counted by Calls. The script itself also refuses, before sending
// anything, a page whose origin is not a target origin. WebCrypto needs a secure context: https,
// or http on localhost or 127.0.0.1, as targetOrigins require anyway.
//
// The stand-in does not format the number as it is typed, detects card networks only by the
// issuer prefixes of eight networks (the ones TokenizeCard knows), does not verify the capture
// context's signature in the browser (the server checks that it issued the context), and lets a
// capture context be used any number of times.
//
// Where CyberSource's behaviour is undocumented the fake invents, and says so: the clock-skew
// window, the answer to a body that breaks the spec or lists no field, and the error bodies of
// 404, 405 and injected statuses.
package cyberflextest
