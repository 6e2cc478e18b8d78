// Package dintero is a client for the Dintero Checkout sessions API
// (https://docs.dintero.com/checkout-api): create a checkout session for an order, send the
// customer to its URL, then get, update, cancel and list sessions, and verify the signed
// callbacks Dintero sends when a payment completes.
//
//	c, err := dintero.New(dintero.WithClientCredentials("T12345678", clientID, clientSecret))
//	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
//		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
//		Order: dintero.Order{Amount: 29900, Currency: "NOK", MerchantReference: "order-1"},
//	})
//	// redirect the customer to created.GetURL()
//
// Authentication: WithClientCredentials exchanges an API client's id and secret for an access
// token, caches it, refreshes it shortly before it expires (one fetch however many goroutines
// need it) and fetches a new one after a 401. WithAccessToken and WithAPIKey take a credential
// you manage yourself. T… accounts are test accounts, P… production: the host is the same.
//
// Errors: an answer that is not 2xx is an *APIError with the status, Dintero's code and message,
// the raw body and the request id. Input the client can tell is wrong (an empty session id, a
// limit outside 1..100) is refused before anything is sent, with an error wrapping
// ErrInvalidInput; so is a request that breaks a rule of the API (a missing required field, a
// currency that is not ISO 4217, a negative amount, a VAT rate outside 0..100, a URL that is not
// absolute, an expiry in the past, …): its *InvalidRequestError lists every problem with its JSON
// path and rule.
//
// Retries: reads, updates and cancels are retried on connection errors and on 408, 429, 502, 503
// and 504, with exponential backoff and Retry-After honoured (WithMaxRetries). The three create
// calls are not retried once the request may have reached Dintero, because the API has no
// idempotency key and a retry could create a second session.
//
// Your server: Dintero calls it too. CallbackVerifier.Parse verifies the session callback (sent
// at least once, retried) and returns it typed, with an IdempotencyKey to recognize a repeat;
// ExpressHandler answers the express-checkout callbacks (shipping address, discount codes) and
// refuses to send an order Dintero would have to correct; WebhookVerifier.Parse verifies and
// decodes account webhooks. HTTPStatus turns their errors into the status to answer. The fake,
// package dinterotest, plays Dintero's side of all three in tests.
//
// Optional query parameters and headers are per-call options: IncludeSession() for the create
// calls, Include(...) for GetSession, UpdateWithoutLock() and ForceShippingAddressCallback() for
// UpdateSession, FeatureToggles(...). The Dintero-System-* headers are set once for the
// client with WithSystem.
//
// The request and response types are the ones generated from api/dintero-checkout.yaml (package
// gen/dinteroapi), re-exported here under the same names as type aliases: every generated type
// this package's API leads to, with the constants of its enum types (OrderItemTypePhysical,
// SessionEventNameAUTHORIZED), so that there is no need to import gen/dinteroapi. go doc shows an
// alias with one line about it (go doc dintero.Session); the fields, their documentation and
// the Get methods are the generated type's: go doc
// github.com/paysession/paysession-go/gen/dinteroapi.Session (pkg.go.dev links each alias to it).
//
// Optional fields are pointers, so that an amount of 0 or a false flag is sent when you set it:
// set them with Ptr, read them with the Get methods, which return the zero value for a nil field
// or receiver (s.GetCustomer().GetEmail() is "" when the session has no customer). Enum fields
// are plain strings, so a value Dintero adds later decodes; a field Dintero adds later is not in
// the types, but every call takes RawResponse(&buf), which keeps the answer's body byte for byte.
// A Session has no status field: its state follows from TransactionID, CancelledAt and Events.
package dintero
