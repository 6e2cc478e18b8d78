package paysession_test

// consumerOrder is a file of the consumer module (see TestConsumerModule): a shop's code that
// builds a full Dintero order, reads every field of a session it gets back, switches on event
// names and item types, and reads a capture context, importing only the packages users import.
// It compiles only while the wrappers re-export every type and constant such code needs.
const consumerOrder = `package shop

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
)

// FullOrder is a realistic checkout: items with VAT, a shipping option, the customer, metadata,
// and a configuration that enables the payment types configured for the currency.
func FullOrder(reference string) (dintero.SessionCreateRequest, error) {
	shoes, err := dintero.NewOrderItem(dintero.OrderLine{LineID: "1", ID: "shoe-42", Description: "Running shoes",
		UnitPrice: 99900, Quantity: 1, VATPercent: 25})
	if err != nil {
		return dintero.SessionCreateRequest{}, err
	}
	socks, err := dintero.NewOrderItem(dintero.OrderLine{LineID: "2", ID: "sock-3p", Description: "Socks, 3 pairs",
		UnitPrice: 14900, Quantity: 2, VATPercent: 25})
	if err != nil {
		return dintero.SessionCreateRequest{}, err
	}
	shoes.Type = dintero.Ptr(dintero.OrderItemTypePhysical)
	socks.Type = dintero.Ptr(dintero.OrderItemTypePhysical)
	shipping := dintero.ShippingOption{
		ID: "bring-home", LineID: "shipping", Title: "Home delivery", Operator: "Bring",
		Amount: 9900, VAT: dintero.Ptr(25.0), VATAmount: dintero.Ptr(int64(1980)),
		DeliveryMethod: dintero.Ptr(dintero.ShippingOptionDeliveryMethodDelivery),
	}
	order := dintero.Order{
		Currency:          "NOK",
		MerchantReference: reference,
		Items:             []dintero.OrderItem{shoes, socks},
		ShippingOption:    &shipping,
		ShippingAddress: &dintero.OrderAddress{
			FirstName: dintero.Ptr("Kari"), LastName: dintero.Ptr("Nordmann"), AddressLine: dintero.Ptr("Karl Johans gate 1"),
			PostalCode: dintero.Ptr("0154"), PostalPlace: dintero.Ptr("Oslo"), Country: dintero.Ptr("NO"),
		},
	}
	if err := dintero.SetOrderTotals(&order); err != nil {
		return dintero.SessionCreateRequest{}, err
	}
	return dintero.SessionCreateRequest{
		Order: order,
		URL: dintero.SessionURLs{
			ReturnURL:   "https://shop.example/return",
			CallbackURL: dintero.Ptr("https://shop.example/dintero/callback?method=POST"),
		},
		Customer: &dintero.SessionCustomer{Email: dintero.Ptr("kari@example.com"), PhoneNumber: dintero.Ptr("+4799999999")},
		Metadata: dintero.Metadata{"ext_order_source": "web", "ext_campaign": 7},
		Configuration: dintero.SessionConfiguration{
			ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)},
			AutoCapture:        dintero.Ptr(false),
		},
		ExpiresAt: dintero.Ptr(time.Now().Add(time.Hour)),
	}, nil
}

// Describe reads a session the way a shop's back office does, through the nil-safe getters and
// the typed enums.
func Describe(s *dintero.Session) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s created %s", s.GetID(), s.Order.MerchantReference, s.Order.Currency, s.GetCreatedAt().Format(time.RFC3339))
	fmt.Fprintf(&b, " status=%s tx=%s expires=%s", dintero.StatusOf(s, time.Now()), s.GetTransactionID(), s.GetExpiresAt())
	fmt.Fprintf(&b, " amount=%d vat=%d gross=%d", s.Order.Amount, s.Order.GetVATAmount(), s.Order.GetGrossAmount())
	for _, it := range s.Order.Items {
		kind := "other"
		switch it.GetType() {
		case dintero.OrderItemTypePhysical, dintero.OrderItemTypeDigital:
			kind = "goods"
		case dintero.OrderItemTypeShipping:
			kind = "shipping"
		case dintero.OrderItemTypeGiftCard:
			kind = "gift card"
		}
		fmt.Fprintf(&b, " [%s %s %s x%g %d vat %g%%=%d %s]", it.GetLineID(), it.GetID(), it.GetDescription(),
			it.GetQuantity(), it.GetAmount(), it.GetVAT(), it.GetVATAmount(), kind)
	}
	if so := s.Order.GetShippingOption(); so != nil {
		fmt.Fprintf(&b, " ship=%s/%s %d %s", so.Operator, so.Title, so.Amount, so.GetDeliveryMethod())
	}
	if a := s.Order.GetShippingAddress(); a != nil {
		fmt.Fprintf(&b, " to=%s %s", a.GetPostalCode(), a.GetCountry())
	}
	if c := s.GetCustomer(); c != nil {
		fmt.Fprintf(&b, " customer=%s", c.GetEmail())
	}
	for k, v := range s.Metadata {
		fmt.Fprintf(&b, " meta %s=%v", k, v)
	}
	fmt.Fprintf(&b, " return=%s callback=%s", s.URL.ReturnURL, s.URL.GetCallbackURL())
	for _, e := range s.Events {
		switch e.GetName() {
		case dintero.SessionEventNameAUTHORIZED:
			b.WriteString(" paid")
		case dintero.SessionEventNameCANCELLED:
			b.WriteString(" cancelled")
		case dintero.SessionEventNameFAILED, dintero.SessionEventNameDECLINED:
			b.WriteString(" failed")
		default:
			fmt.Fprintf(&b, " %s", e.GetName())
		}
		fmt.Fprintf(&b, "@%s", e.GetCreatedAt().Format(time.RFC3339))
	}
	return b.String()
}

// DescribeCaptureContext reads what a page or a server needs from a capture context.
func DescribeCaptureContext(cc *cyberflex.CaptureContext) string {
	return fmt.Sprintf("%d bytes, claims %+v", len(cc.Token), cc.Claims)
}

// CreateAndDescribe creates the order and reads it back.
func CreateAndDescribe(ctx context.Context, c *dintero.Client, reference string) (string, error) {
	req, err := FullOrder(reference)
	if err != nil {
		return "", err
	}
	created, err := c.CreateSession(ctx, req, dintero.IncludeSession())
	if err != nil {
		return "", err
	}
	s, err := c.GetSession(ctx, created.GetID())
	if err != nil {
		return "", err
	}
	return Describe(s), nil
}
`

// consumerOrderTest runs the order program against the fake.
const consumerOrderTest = `package shop

import (
	"context"
	"strings"
	"testing"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

func TestFullOrder(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c, err := dintero.New(dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	got, err := CreateAndDescribe(context.Background(), c, "order-full-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"order-full-1 NOK", "amount=139600", "[1 shoe-42 Running shoes x1 99900 vat 25%=19980 goods]",
		"ship=Bring/Home delivery 9900", "to=0154 NO", "customer=kari@example.com", "meta ext_campaign=7"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe = %s\nwant it to contain %q", got, want)
		}
	}
}
`

// consumerMisuse gives a call an option it does not take: it must not compile.
const consumerMisuse = `package misuse

import (
	"context"

	"github.com/paysession/paysession-go/dintero"
)

func GetWithAnUpdateOption(ctx context.Context, c *dintero.Client) {
	_, _ = c.GetSession(ctx, "T12345678.abc", dintero.UpdateWithoutLock())
}
`
