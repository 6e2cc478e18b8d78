package cyberflex

import "reflect"

// The request types are the generated models of api/cyberflex.yaml (package gen/cyberflexapi),
// re-exported under the same names in aliases.gen.go, which go generate writes from this
// package's API: a value built here is exactly what the low-level client marshals, and a field
// CyberSource adds to the spec appears here without any handwritten change. Every official SDK
// and the spec wrap the fields of a CaptureContextRequest in "fields" (the developer guide's
// examples leave it out). A FieldRequirement follows CyberSource's rule: a listed field is
// required unless "required" is false, and an empty object ({}) means required; build it with
// Required or Optional. The card data is sent from the browser straight to CyberSource and never
// reaches the merchant's servers.

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
// is
// {"fields":{"paymentInformation":{"card":{"number":{"required":true},"securityCode":{"required":false}}}}}.
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
