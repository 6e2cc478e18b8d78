// Package dinterotest is an in-process fake of the Dintero Checkout sessions API, for the tests
// of code that uses package dintero, in the spirit of net/http/httptest.
//
//	dsrv := dinterotest.NewServer() // accepts DefaultClientID/DefaultClientSecret for DefaultAccountID
//	defer dsrv.Close()
//	c, err := dintero.New(
//		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
//		dintero.WithBaseURL(dsrv.URL),
//	)
//
// The fake serves the eight operations of api/dintero-checkout.yaml under Server.URL (which
// ends in /v1, like dintero.DefaultBaseURL): the three create calls, get, update, cancel, list,
// and the client-credentials token endpoint. Every request is handled in this order:
//
//  1. Routing. An unknown path is a 404, a known path with the wrong method a 405.
//  2. Injected faults (Inject): an error status, a delay, a dropped connection.
//  3. Authentication. The token endpoint wants HTTP Basic client credentials; the session
//     endpoints want "Authorization: Bearer <token it issued>" or "x-api-key: <key>". Anything
//     else is a 401 that says why (never echoing a secret).
//  4. Validation against the OpenAPI document, its string formats included (iso4217-code, uri,
//     email, phone, …), and the rules it cannot express: an expires_at not ahead of the server's
//     clock, a non-http(s) return_url outside configuration.channel in_app, and with
//     strict-session-amounts (the Dintero-Feature-Toggles header, or WithStrictAmounts) an order
//     amount other than its items plus shipping. A request that breaks any is a 400 whose message
//     names every problem by parameter or JSON pointer (e.g. /order/currency); nothing changes.
//  5. The operation, on an in-memory store that is safe for concurrent use.
//
// Errors have Dintero's documented shape {"error": {"code": "...", "message": "..."}}. Dintero
// documents no error codes for these operations, so the codes (CodeNotFound, ...) are the fake's.
// Every answer carries a Request-Id header.
//
// How the fake behaves where Dintero's documentation leaves room (the fake's own choices):
//
//   - A create answers {id, url} (and session with include_session=true). The id is the
//     account id, a dot and 22 base58 characters; url is Server.URL + "/view/" + id, which
//     serves a placeholder page. The stored session is the request's fields that the read
//     model has, plus id, created_at, updated_at and an INITIATED event; a profile session gets
//     metadata "session:profile_id" (and configuration.merchant from merchant); a payment-token
//     session gets payment_operation generate_payment_token, order.amount 0 and its token
//     provider as configuration.<payex|bambora>.creditcard {enabled, generate_*_token}.
//   - The Dintero-System-* and User-Agent headers of a request are kept with the session and
//     its events, and shown by GET only with includes=initiating_system_request_headers or
//     includes=events.request_headers (Session shows them always).
//   - An update replaces the keys of order and express that it sends and keeps the others
//     (merchant_reference among them), and adds an UPDATE_SESSION event with the previous and
//     updated order. It needs a lock (Lock) or update_without_lock=true, else a 400
//     CodeSessionNotLocked; remove_lock (default true) releases the lock. A cancelled or paid
//     session cannot be updated or locked (400 CodeSessionClosed).
//   - A cancel sets cancelled_at and cancelled_by (the client id of the access token, or
//     "api_key") and adds a CANCELLED event; cancelling again answers the session unchanged.
//   - The list is newest first (sessions with equal created_at: the later created first).
//     search is a case-insensitive substring of the id, order.merchant_reference,
//     order.merchant_reference_2, customer.email, or the "{first_name} {last_name}" of the
//     shipping or billing address; store_id matches order.store.id; created_at.gte and .lte are
//     inclusive and need a zone (the document says date-time, though Dintero reads a time
//     without one as UTC). starting_after must name an existing session (else 400); the page holds the
//     sessions after it in list order that match the filters.
//
// Test hooks play the parts of the customer and of Dintero: Lock (the checkout locks a session
// for paying), CompletePayment (the customer paid), CallbackRequest and SendCallback (Dintero's
// signed callback to url.callback_url), AddSession and Session (seed and inspect the store).
// SignCallback signs any request as Dintero signs its callbacks, to test a callback handler
// without a server.
//
// Hooks that drive the merchant's server, over HTTP, as Dintero does:
//
//   - EnterShippingAddress, ApplyDiscountCode and ChooseShippingOption play the customer of an
//     express checkout: the first two POST the session to its express callback URLs and apply the
//     answer like Dintero, correction line included; ExpressExchanges records what was sent and
//     received.
//   - DeliverCallback delivers the session callback with Dintero's retries (GET, or POST for
//     method=POST; event-delivery header); DropDeliveryAnswers loses the next answers as a
//     timeout would, so that a test sees the repeats a handler must ignore.
//   - Subscribe and DeliverWebhook send account webhooks signed with SignWebhook.
//   - Deliveries records every callback and webhook delivery with its attempts.
//
// Retries follow at once, without waiting, so tests never sleep.
//
// What the fake does not model: payments and transactions beyond a transaction id and the
// AUTHORIZED status, business rules the document cannot express (order.amount against the sum of
// the items outside express answers, without strict-session-amounts or WithStrictAmounts;
// amounts of partial payments), session expiry, scopes (403),
// rate limits, configuration.publish, the callback modifiers delay_callback, report_event and
// report_error, the webhook subscription API (Subscribe stands in for it), the ping a new
// subscription gets, and the deletion of subscriptions that keep failing.
package dinterotest
