package dintero_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
)

// The Get methods of the generated types (go generate writes them) read an optional field without
// a nil check: the zero value for a nil receiver or field, and for a field that points to another
// generated struct, that pointer, so that calls chain.
func TestGettersOfNilReceiversAndFields(t *testing.T) {
	var s *dintero.Session
	require.Empty(t, s.GetID())
	require.True(t, s.GetCreatedAt().IsZero())
	require.Nil(t, s.GetCustomer())
	require.Empty(t, s.GetCustomer().GetEmail(), "a chain through a nil pointer")
	require.Equal(t, dintero.PaymentOperationIntent(""), s.GetPaymentOperation())

	s = &dintero.Session{}
	require.Empty(t, s.GetID())
	require.Nil(t, s.GetCustomer())
	require.Empty(t, s.GetCustomer().GetEmail())

	var created *dintero.SessionCreated
	require.Empty(t, created.GetURL())
	require.Empty(t, created.GetSession().GetID())

	var item *dintero.OrderItem
	require.Zero(t, item.GetVAT())
	require.Zero(t, item.GetVATAmount())
	require.Equal(t, dintero.OrderItemType(""), item.GetType())

	var ev *dintero.SessionEvent
	require.Equal(t, dintero.SessionEventName(""), ev.GetName())
	require.Nil(t, ev.GetDetails())
}

func TestGettersOfSetFields(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &dintero.Session{
		ID:        dintero.Ptr("T12345678.abc"),
		CreatedAt: &created,
		Customer:  &dintero.SessionCustomer{Email: dintero.Ptr("buyer@shop.example")},
		Events:    []dintero.SessionEvent{{Name: dintero.Ptr(dintero.SessionEventNameAUTHORIZED)}},
		Order: dintero.Order{Items: []dintero.OrderItem{{
			Type: dintero.Ptr(dintero.OrderItemTypePhysical), VAT: dintero.Ptr(25.0), VATAmount: dintero.Ptr(int64(0)),
		}}},
	}
	require.Equal(t, "T12345678.abc", s.GetID())
	require.Equal(t, created, s.GetCreatedAt())
	require.Same(t, s.Customer, s.GetCustomer())
	require.Equal(t, "buyer@shop.example", s.GetCustomer().GetEmail())
	require.Equal(t, dintero.SessionEventNameAUTHORIZED, s.Events[0].GetName())
	require.Equal(t, dintero.OrderItemTypePhysical, s.Order.Items[0].GetType())
	require.Equal(t, 25.0, s.Order.Items[0].GetVAT())
	require.Zero(t, s.Order.Items[0].GetVATAmount(), "a pointer to 0 reads as 0")
}
