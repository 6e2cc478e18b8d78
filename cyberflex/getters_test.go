package cyberflex_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
)

// The Get methods of the generated request types (go generate writes them): a field that points
// to another generated struct comes back as that pointer, nil for a nil receiver, so that calls
// chain; a scalar comes back as its zero value when it or the receiver is nil.
func TestGettersOfNilReceiversAndFields(t *testing.T) {
	var req *cyberflex.CaptureContextFields
	require.Nil(t, req.GetPaymentInformation())
	require.Nil(t, req.GetPaymentInformation().GetCard().GetNumber(), "a chain through nil pointers")
	require.False(t, req.GetPaymentInformation().GetCard().GetNumber().GetRequired())

	var d *cyberflex.ErrorDetail
	require.Empty(t, d.GetLocation())
	require.Empty(t, (&cyberflex.ErrorDetail{}).GetMessage())

	r := cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required(), SecurityCode: cyberflex.Optional()})
	card := r.Fields.GetPaymentInformation().GetCard()
	require.True(t, card.GetNumber().GetRequired())
	require.NotNil(t, card.GetSecurityCode())
	require.False(t, card.GetSecurityCode().GetRequired())
	require.Nil(t, card.GetExpirationMonth())
}
