package dintero

import "github.com/paysession/paysession-go/gen/dinteroapi"

// The request and response types are the generated ones (package gen/dinteroapi), re-exported by
// name: json.Unmarshal of a Dintero payload into dintero.Session keeps every field the spec
// declares. Types nested deeper than these (payment provider configurations, EMD data, …) are
// used through the fields below and are declared in gen/dinteroapi.

// Requests.
type (
	// SessionCreateRequest is the body of CreateSession: the order, the return and callback URLs,
	// and the checkout configuration (required; an empty one enables nothing).
	SessionCreateRequest = dinteroapi.SessionCreateRequest
	// SessionProfileCreateRequest is the body of CreateSessionFromProfile.
	SessionProfileCreateRequest = dinteroapi.SessionProfileCreateRequest
	// PaymentTokenSessionRequest is the body of CreatePaymentTokenSession.
	PaymentTokenSessionRequest = dinteroapi.PaymentTokenSessionRequest
	// PaymentTokenSession is the session part of a PaymentTokenSessionRequest.
	PaymentTokenSession = dinteroapi.PaymentTokenSession
	// PaymentTokenOrder is the order of a payment-token session: no amount.
	PaymentTokenOrder = dinteroapi.PaymentTokenOrder
	// TokenProvider says which provider creates the payment token, and which token types.
	TokenProvider = dinteroapi.TokenProvider
	// TokenType is a kind of token a TokenProvider creates.
	TokenType = dinteroapi.TokenType
	// SessionUpdateRequest is the body of UpdateSession.
	SessionUpdateRequest = dinteroapi.SessionUpdateRequest
	// OrderUpdate is the order of a SessionUpdateRequest.
	OrderUpdate = dinteroapi.OrderUpdate
	// ListSessionsParams are the filters and paging of ListSessions and Sessions.
	ListSessionsParams = dinteroapi.ListSessionsParams
)

// Shared by requests and responses.
type (
	// Order is a session's order. Amounts are int64 minor units (øre, cents).
	Order = dinteroapi.Order
	// OrderItem is one line of an order.
	OrderItem = dinteroapi.OrderItem
	// OrderAddress is a shipping or billing address.
	OrderAddress = dinteroapi.OrderAddress
	// ShippingOption is a shipping option of an order or of express checkout.
	ShippingOption = dinteroapi.ShippingOption
	// SessionURLs holds the return URL (required), callback URL and terms URL of a session.
	SessionURLs = dinteroapi.SessionURLs
	// SessionCustomer is the customer of a session.
	SessionCustomer = dinteroapi.SessionCustomer
	// SessionConfiguration says which payment types the checkout offers and how it behaves.
	SessionConfiguration = dinteroapi.SessionConfiguration
	// ActivePaymentTypes in SessionConfiguration, with Enabled true, offers every payment type
	// the account has enabled for the order's currency.
	ActivePaymentTypes = dinteroapi.ActivePaymentTypes
	// SessionExpress configures express checkout (shipping options chosen in the checkout).
	SessionExpress = dinteroapi.SessionExpress
	// Metadata holds merchant key/value pairs; values are strings or numbers.
	Metadata = dinteroapi.Metadata
)

// Responses.
type (
	// SessionCreated is what the create calls return: the session id and checkout URL, and the
	// whole session when IncludeSession() was given.
	SessionCreated = dinteroapi.SessionCreated
	// Session is a checkout session as Dintero returns it. It has no status field: its state
	// follows from TransactionID, CancelledAt and Events.
	Session = dinteroapi.Session
	// SessionEvent is one event in a session's history (INITIATED, AUTHORIZED, …).
	SessionEvent = dinteroapi.SessionEvent
)

// Values of the option and enum types.
type (
	// SessionInclude names a detail GetSession can include.
	SessionInclude = dinteroapi.SessionInclude
	// FeatureToggle names a Dintero feature toggle.
	FeatureToggle = dinteroapi.FeatureToggle
	// TokenProviderPaymentProductType names a payment-token provider.
	TokenProviderPaymentProductType = dinteroapi.TokenProviderPaymentProductType
)

// Values for Include, WithFeatureToggles and TokenProvider.
const (
	SessionIncludeEventsRequestHeaders           = dinteroapi.SessionIncludeEventsRequestHeaders
	SessionIncludeInitiatingSystemRequestHeaders = dinteroapi.SessionIncludeInitiatingSystemRequestHeaders
	FeatureToggleStrictSessionAmounts            = dinteroapi.FeatureToggleStrictSessionAmounts
	TokenTypePaymentToken                        = dinteroapi.TokenTypePaymentToken
	TokenTypeRecurrenceToken                     = dinteroapi.TokenTypeRecurrenceToken
	PayExCreditcard                              = dinteroapi.TokenProviderPaymentProductTypePayexCreditcard
	BamboraCreditcard                            = dinteroapi.TokenProviderPaymentProductTypeBamboraCreditcard
)

// Ptr returns a pointer to v, for the optional fields of the request types:
// Quantity: dintero.Ptr(2.0), AutoCapture: dintero.Ptr(false). A nil pointer is not sent; a
// pointer to 0 or false is.
func Ptr[T any](v T) *T { return &v }
