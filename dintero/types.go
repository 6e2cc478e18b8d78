package dintero

import (
	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/jsonnum"
)

// The request and response types are the generated ones (package gen/dinteroapi), re-exported by
// name in aliases.gen.go, which go generate writes from this package's API: every generated type
// that a parameter, a result or a field leads to, with the constants of the enum types. A
// json.Unmarshal of a Dintero payload into dintero.Session keeps every field the spec declares.

// Metadata holds merchant key/value pairs; values are strings or numbers. It is declared here by
// hand: the generated Metadata is itself an alias (of map[string]any), and the generator
// re-exports only the types the generated package defines.
type Metadata = dinteroapi.Metadata

// Payment-token providers for TokenProvider.PaymentProductType, under shorter names than the
// generated TokenProviderPaymentProductType… constants.
const (
	PayExCreditcard   = dinteroapi.TokenProviderPaymentProductTypePayexCreditcard
	BamboraCreditcard = dinteroapi.TokenProviderPaymentProductTypeBamboraCreditcard
)

// Ptr returns a pointer to v, for the optional fields of the request types:
// Quantity: dintero.Ptr(2.0), AutoCapture: dintero.Ptr(false). A nil pointer is not sent; a
// pointer to 0 or false is.
func Ptr[T any](v T) *T { return &v }

// MinorUnits is an amount in minor units (øre, cents) that Dintero may send as any JSON number
// (100, 100.0, 1e2): the display-only gross amounts, for example. It decodes integral values
// exactly, rounds a fraction half away from zero and saturates outside the int64 range, so that
// a display field never fails a whole call; it encodes as a plain integer.
type MinorUnits = jsonnum.Int64
