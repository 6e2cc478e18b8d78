package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// The express steps of the checkout page: POST /v1/view/{id}/express/{step}.
const (
	stepShippingAddress = "shipping-address"
	stepShippingOption  = "shipping-option"
	stepDiscountCode    = "discount-code"
)

// maxFormBody bounds the body of a checkout form.
const maxFormBody = 16 << 10

// pageExpress is the express part of the checkout page, shown when the session has express
// callback URLs or shipping options.
type pageExpress struct {
	AskAddress  bool // express.shipping_address_callback_url is set
	AskCode     bool // express.discount_codes.callback_url is set
	Address     pageAddress
	HasAddress  bool // order.shipping_address is set: the options are the shop's answer to it
	Options     []pageOption
	Codes       []string
	NoShipping  bool // an address was entered and the shop offers no option for it
	ChosenTitle string
}

type pageAddress struct {
	FirstName, LastName, AddressLine, PostalCode, PostalPlace, Country string
}

type pageOption struct {
	LineID, Title, Operator, Description, Amount string
	Chosen                                       bool
}

// expressOf returns the express part of the page for sess, or nil when it has none.
func expressOf(sess dintero.Session) *pageExpress {
	x := sess.Express
	if x == nil {
		return nil
	}
	e := &pageExpress{
		AskAddress: deref(x.ShippingAddressCallbackURL) != "",
		AskCode:    x.DiscountCodes != nil && deref(x.DiscountCodes.CallbackURL) != "",
		Codes:      sess.Order.DiscountCodes,
		// A test address, so that a person can just press the button.
		Address: pageAddress{FirstName: "Ola", LastName: "Nordmann", AddressLine: "Storgata 1", PostalCode: "0155", PostalPlace: "Oslo", Country: "NO"},
	}
	if a := sess.Order.ShippingAddress; a != nil {
		e.HasAddress = true
		e.Address = pageAddress{
			FirstName: deref(a.FirstName), LastName: deref(a.LastName), AddressLine: deref(a.AddressLine),
			PostalCode: deref(a.PostalCode), PostalPlace: deref(a.PostalPlace), Country: deref(a.Country),
		}
	}
	chosen := ""
	if so := sess.Order.ShippingOption; so != nil {
		chosen, e.ChosenTitle = so.LineID, so.Title
	}
	for _, o := range x.ShippingOptions {
		e.Options = append(e.Options, pageOption{
			LineID: o.LineID, Title: o.Title, Operator: o.Operator, Description: deref(o.Description),
			Amount: amount(o.Amount, sess.Order.Currency), Chosen: o.LineID == chosen,
		})
	}
	e.NoShipping = e.HasAddress && len(e.Options) == 0
	if !e.AskAddress && !e.AskCode && len(e.Options) == 0 {
		return nil
	}
	return e
}

// checkoutExpress serves the express forms of the checkout page: the shipping address and the
// discount code go to the shop's express callback URLs (the fake's EnterShippingAddress and
// ApplyDiscountCode), the chosen shipping option to the session (ChooseShippingOption). Success
// sends the browser back to the page; a failed callback shows the page with what went wrong.
func (s *Sandbox) checkoutExpress(w http.ResponseWriter, r *http.Request) {
	id, step := r.PathValue("id"), r.PathValue("step")
	d := s.Dintero()
	sess, ok := d.Session(id)
	if !ok {
		s.errorPage(w, http.StatusNotFound, fmt.Sprintf("There is no session %q in this sandbox (a reset forgets them all).", id))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "The form could not be read: "+err.Error())
		return
	}
	field := func(name string) *string {
		if v := strings.TrimSpace(r.PostForm.Get(name)); v != "" {
			return &v
		}
		return nil
	}
	var err error
	switch step {
	case stepShippingAddress:
		address := dintero.OrderAddress{
			FirstName: field("first_name"), LastName: field("last_name"), AddressLine: field("address_line"),
			PostalCode: field("postal_code"), PostalPlace: field("postal_place"), Country: field("country"),
		}
		s.expectExpress(sess, dinterotest.ExpressShippingAddress)
		_, err = d.EnterShippingAddress(id, address)
	case stepDiscountCode:
		code := deref(field("code"))
		if code == "" {
			s.checkoutPageWith(w, sess, http.StatusBadRequest, "Enter a discount code.")
			return
		}
		s.expectExpress(sess, dinterotest.ExpressDiscountCodes)
		_, err = d.ApplyDiscountCode(id, code)
	case stepShippingOption:
		err = d.ChooseShippingOption(id, deref(field("line_id")))
	default:
		s.errorPage(w, http.StatusNotFound, fmt.Sprintf("The checkout has no express step %q.", step))
		return
	}
	if err != nil {
		s.logf("session %s: express %s failed: %v", id, step, err)
		s.checkoutPageWith(w, sess, http.StatusBadGateway, "That did not work: "+strings.TrimPrefix(err.Error(), "dinterotest: "))
		return
	}
	s.logf("session %s: express %s done", id, step)
	// Back to the page of a session that exists (the lookup above), on this server.
	http.Redirect(w, r, "/v1/view/"+url.PathEscape(deref(sess.ID)), http.StatusSeeOther) //nolint:gosec // G710: a path on this server
}

// expressLabels names the express callbacks in the delivery log. The fake posts them without
// saying what they are, so the sandbox notes each URL before the fake sends to it.
type expressLabels struct {
	mu      sync.Mutex
	pending map[string][]deliveryInfo // by URL, oldest first
}

// expectExpress notes that the fake is about to post session sess to its callback of kind.
func (s *Sandbox) expectExpress(sess dintero.Session, kind dinterotest.ExpressKind) {
	x := sess.Express
	if x == nil {
		return
	}
	target := deref(x.ShippingAddressCallbackURL)
	if kind == dinterotest.ExpressDiscountCodes && x.DiscountCodes != nil {
		target = deref(x.DiscountCodes.CallbackURL)
	}
	s.express.mu.Lock()
	defer s.express.mu.Unlock()
	if s.express.pending == nil {
		s.express.pending = map[string][]deliveryInfo{}
	}
	list := s.express.pending[target]
	if len(list) >= 16 { // callbacks that never went out (e.g. refused before sending)
		list = list[1:]
	}
	s.express.pending[target] = append(list, deliveryInfo{kind: "express " + string(kind), sessionID: deref(sess.ID)})
}

// labelExpress returns what expectExpress noted for a POST to target, if anything.
func (s *Sandbox) labelExpress(method, target string) (deliveryInfo, bool) {
	if method != http.MethodPost {
		return deliveryInfo{}, false
	}
	s.express.mu.Lock()
	defer s.express.mu.Unlock()
	list := s.express.pending[target]
	if len(list) == 0 {
		return deliveryInfo{}, false
	}
	info := list[0]
	if len(list) == 1 {
		delete(s.express.pending, target)
	} else {
		s.express.pending[target] = list[1:]
	}
	return info, true
}
