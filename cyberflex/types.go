package cyberflex

import (
	"reflect"

	"github.com/paysession/paysession-go/gen/cyberflexapi"
)

// The request types are the generated models of api/cyberflex.yaml,
// re-exported under the same names as type aliases so that a value built
// here is exactly what the low-level client in gen/cyberflexapi marshals,
// and a field CyberSource adds to the spec appears here without any
// hand-written change.
type (
	// CaptureContextRequest is the body of POST /flex/v2/sessions:
	// {"fields": {...}}. Every official SDK and the spec wrap the fields in
	// "fields" (the developer guide's examples omit it; NOTES §1).
	CaptureContextRequest = cyberflexapi.CaptureContextRequest

	// CaptureContextFields groups the fields to collect as in a payment
	// request: orderInformation and paymentInformation.
	CaptureContextFields = cyberflexapi.CaptureContextFields

	// FieldRequirement is one field of the capture context. CyberSource's
	// rule: a listed field is required unless "required" is false, and an
	// empty object ({}) means required. Build it with Required or Optional.
	FieldRequirement = cyberflexapi.FieldRequirement

	// OrderInformationFields are the order fields to collect.
	OrderInformationFields = cyberflexapi.OrderInformationFields

	// AmountDetailsFields are the amount fields to collect.
	AmountDetailsFields = cyberflexapi.AmountDetailsFields

	// BillToFields are the billing address fields to collect.
	BillToFields = cyberflexapi.BillToFields

	// ShipToFields are the shipping address fields to collect.
	ShipToFields = cyberflexapi.ShipToFields

	// PaymentInformationFields are the payment fields to collect.
	PaymentInformationFields = cyberflexapi.PaymentInformationFields

	// CardFields are the card fields to collect. The card data is sent
	// from the browser straight to CyberSource and never reaches the
	// merchant's servers.
	CardFields = cyberflexapi.CardFields

	// ErrorDetail is one entry of the "details" of a CyberSource error
	// body: the request field concerned (Location) and what is wrong with
	// it (Message). Both are optional in the spec, hence pointers.
	ErrorDetail = cyberflexapi.ErrorDetail
)

// Required marks a field the customer must fill in. It is sent as
// {"required": true}, which is what the official SDKs send; CyberSource
// would also read an empty object as required, but an explicit value says
// what it means.
func Required() *FieldRequirement {
	t := true
	return &FieldRequirement{Required: &t}
}

// Optional marks a field that is collected but may be left empty, sent as
// {"required": false}. Leaving a field nil leaves it out of the capture
// context altogether.
func Optional() *FieldRequirement {
	f := false
	return &FieldRequirement{Required: &f}
}

// CardRequest returns the request for the common case of a capture context
// that collects only card fields:
//
//	cyberflex.CardRequest(cyberflex.CardFields{
//		Number:       cyberflex.Required(),
//		SecurityCode: cyberflex.Optional(),
//	})
//
// is {"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}.
func CardRequest(card CardFields) CaptureContextRequest {
	return CaptureContextRequest{
		Fields: CaptureContextFields{
			PaymentInformation: &PaymentInformationFields{Card: &card},
		},
	}
}

// fieldRequirementType is the leaf type counted by countFields.
var fieldRequirementType = reflect.TypeFor[FieldRequirement]()

// countFields returns how many fields (non-nil *FieldRequirement leaves) v
// requests. It walks the generated structs by reflection, so fields added
// to the spec are counted without a change here; empty groups such as
// &CardFields{} count as nothing.
func countFields(v reflect.Value) int {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		if v.Type().Elem() == fieldRequirementType {
			return 1
		}
		return countFields(v.Elem())
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				n += countFields(v.Field(i))
			}
		}
		return n
	default:
		return 0
	}
}
