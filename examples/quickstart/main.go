// Command quickstart walks through both APIs of paysession in a few seconds:
//
//	go run ./examples/quickstart
//
// Dintero Checkout: a session is created, fetched, updated, listed and cancelled, and a
// deliberate error (a session that does not exist) is handled. CyberSource Flex, with JWT
// authentication: a capture context is generated and verified, a tampered copy is refused, a
// test card is tokenized with it, and the transient token that comes back is verified against
// the capture context, ready for a payment.
//
// Without credentials in the environment it starts the SDK's test fakes (dinterotest,
// cyberflextest) in-process, so it works on a fresh machine with no account and no network.
// With credentials it talks to the real sandboxes instead:
//
//	DINTERO_ACCOUNT_ID=T12345678 DINTERO_CLIENT_ID=… DINTERO_CLIENT_SECRET=… \
//	CYBERSOURCE_MERCHANT_ID=… CYBERSOURCE_KEY_ID=… CYBERSOURCE_SECRET_KEY=… \
//	go run ./examples/quickstart
//
// Either API can be switched to its sandbox on its own. Use a test (T…) Dintero account:
// the program creates and cancels a real session. Credentials are never printed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart failed:", err)
		os.Exit(1)
	}
}

// run is the whole program; getenv is os.Getenv, or a fake in the test.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	d, dBackend, closeD, err := dinteroClient(getenv)
	if err != nil {
		return err
	}
	defer closeD()
	c, cBackend, closeC, err := cyberflexClient(getenv)
	if err != nil {
		return err
	}
	defer closeC()

	fmt.Fprintf(out, "Dintero Checkout (%s)\n", dBackend)
	if err := dinteroFlow(ctx, out, d, getenv("DINTERO_ACCOUNT_ID")); err != nil {
		return fmt.Errorf("dintero: %w", err)
	}
	fmt.Fprintf(out, "\nCyberSource Flex API v2 (%s)\n", cBackend)
	if err := cyberflexFlow(ctx, out, c); err != nil {
		return fmt.Errorf("cyberflex: %w", err)
	}
	fmt.Fprintln(out, "\nDone.")
	return nil
}

// credentials returns the values of names from the environment: all of them, none of them
// (ok false), or an error naming the missing ones.
func credentials(getenv func(string) string, names ...string) (values []string, ok bool, err error) {
	var missing []string
	for _, n := range names {
		v := strings.TrimSpace(getenv(n))
		if v == "" {
			missing = append(missing, n)
		}
		values = append(values, v)
	}
	switch len(missing) {
	case 0:
		return values, true, nil
	case len(names):
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("set all of %s or none of them; missing: %s",
			strings.Join(names, ", "), strings.Join(missing, ", "))
	}
}

func dinteroClient(getenv func(string) string) (*dintero.Client, string, func(), error) {
	creds, ok, err := credentials(getenv, "DINTERO_ACCOUNT_ID", "DINTERO_CLIENT_ID", "DINTERO_CLIENT_SECRET")
	if err != nil {
		return nil, "", nil, err
	}
	if ok {
		c, err := dintero.New(dintero.WithClientCredentials(creds[0], creds[1], creds[2]))
		return c, "real API at " + dintero.DefaultBaseURL + ", account " + creds[0], func() {}, err
	}
	srv := dinterotest.NewServer()
	c, err := dintero.New(
		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
		dintero.WithBaseURL(srv.URL),
	)
	return c, "in-process fake dinterotest; set DINTERO_* to use the real API", srv.Close, err
}

func cyberflexClient(getenv func(string) string) (*cyberflex.Client, string, func(), error) {
	creds, ok, err := credentials(getenv, "CYBERSOURCE_MERCHANT_ID", "CYBERSOURCE_KEY_ID", "CYBERSOURCE_SECRET_KEY")
	if err != nil {
		return nil, "", nil, err
	}
	// JWT with the shared secret: the same merchant id, key id and secret as HTTP Signature,
	// which CyberSource retires in September 2026.
	if ok {
		c, err := cyberflex.New(cyberflex.WithJWT(creds[0], creds[1], creds[2]))
		return c, "real sandbox at https://" + string(cyberflex.Sandbox) + ", merchant " + creds[0] + ", JWT authentication", func() {}, err
	}
	// The fake refuses HTTP Signature, as CyberSource will: the quickstart must not depend on it.
	srv := cyberflextest.NewServer(cyberflextest.WithoutHTTPSignature())
	c, err := cyberflex.New(
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(srv.URL),
	)
	return c, "in-process fake cyberflextest, JWT authentication; set CYBERSOURCE_* to use the real sandbox", srv.Close, err
}

func dinteroFlow(ctx context.Context, out io.Writer, c *dintero.Client, accountID string) error {
	reference := fmt.Sprintf("quickstart-%d", time.Now().Unix())
	tshirt, err := dintero.NewOrderItem(dintero.OrderLine{
		LineID: "1", ID: "tshirt", Description: "T-shirt", UnitPrice: 29900, Quantity: 1, VATPercent: 25,
	})
	if err != nil {
		return err
	}
	order := dintero.Order{Currency: "NOK", MerchantReference: reference, Items: []dintero.OrderItem{tshirt}}
	if err := dintero.SetOrderTotals(&order); err != nil { // amount 29900 (NOK 299.00), VAT 5980
		return err
	}
	created, err := c.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: order,
		// Offer every payment type the account has enabled for NOK.
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	if err != nil {
		return fmt.Errorf("creating a session: %w", err)
	}
	id := created.GetID()
	fmt.Fprintf(out, "  created   %s (send the customer to %s)\n", id, created.GetURL())

	s, err := c.GetSession(ctx, id)
	if err != nil {
		return fmt.Errorf("getting the session: %w", err)
	}
	fmt.Fprintf(out, "  fetched   %s: %s %s, reference %s, %s\n", id, money(s.Order.Amount, s.Order.Currency), s.Order.Currency,
		s.Order.MerchantReference, dintero.StatusOf(s, time.Now()))

	// Add a second line. The order amount must stay the sum of the lines (SetOrderTotals). Dintero
	// only updates a session the customer's checkout has locked, unless the update says so.
	socks, err := dintero.NewOrderItem(dintero.OrderLine{
		LineID: "2", ID: "socks", Description: "Socks", UnitPrice: 4900, Quantity: 2, VATPercent: 25,
	})
	if err != nil {
		return err
	}
	order = s.Order
	order.Items = append(order.Items, socks)
	if err := dintero.SetOrderTotals(&order); err != nil {
		return err
	}
	updated, err := c.UpdateSession(ctx, id, dintero.SessionUpdateRequest{Order: dintero.OrderUpdateFrom(order)}, dintero.UpdateWithoutLock())
	if err != nil {
		return fmt.Errorf("updating the session: %w", err)
	}
	fmt.Fprintf(out, "  updated   %s: %s %s, %d lines\n", id, money(updated.Order.Amount, updated.Order.Currency), updated.Order.Currency, len(updated.Order.Items))

	listed, ours := 0, false
	for s, err := range c.Sessions(ctx, dintero.Search(reference), dintero.Limit(10)) {
		if err != nil {
			return fmt.Errorf("listing sessions: %w", err)
		}
		listed++
		ours = ours || s.GetID() == id
	}
	if !ours {
		return fmt.Errorf("listing sessions matching %q: %s is not among the %d listed", reference, id, listed)
	}
	fmt.Fprintf(out, "  listed    %d session(s) matching %q, ours included\n", listed, reference)

	cancelled, err := c.CancelSession(ctx, id)
	if err != nil {
		return fmt.Errorf("cancelling the session: %w", err)
	}
	when := "(no time given)"
	if cancelled.CancelledAt != nil {
		when = "at " + cancelled.CancelledAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(out, "  cancelled %s %s\n", id, when)

	// A deliberate error: a well-formed id of no session. The API answers 404, which the SDK
	// returns as *dintero.APIError.
	if accountID == "" {
		accountID = dinterotest.DefaultAccountID
	}
	_, err = c.GetSession(ctx, accountID+".doesnotexist")
	var apiErr *dintero.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		return fmt.Errorf("getting a missing session: want a 404 APIError, got %v", err)
	}
	fmt.Fprintf(out, "  handled   the expected error for a missing session: %d %s\n", apiErr.StatusCode, apiErr.Code)
	return nil
}

// money formats an amount in minor units for its currency, without floats.
func money(minor int64, currency string) string {
	m, err := dintero.FormatAmount(minor, currency)
	if err != nil {
		return fmt.Sprintf("%d (minor units)", minor)
	}
	return m
}

func cyberflexFlow(ctx context.Context, out io.Writer, c *cyberflex.Client) error {
	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
	}))
	if err != nil {
		return fmt.Errorf("generating a capture context: %w", err)
	}
	fmt.Fprintf(out, "  generated a capture context (%d bytes), valid until %s\n", len(cc.Token), cc.Claims.ExpiresAt.UTC().Format(time.RFC3339))

	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	if err != nil {
		return fmt.Errorf("verifying the capture context: %w", err)
	}
	var required []string
	if len(verified.Claims.Settings) > 0 {
		required = verified.Claims.Settings[0].Data.RequiredFields
	}
	fmt.Fprintf(out, "  verified  with key %q; required fields: %s\n", verified.Claims.KeyID, strings.Join(required, ", "))

	// A deliberate error: a capture context whose payload was altered no longer verifies.
	parts := strings.Split(cc.Token, ".")
	if len(parts) != 3 || len(parts[1]) < 8 {
		return fmt.Errorf("unexpected capture context shape")
	}
	tampered := parts[0] + "." + flipChar(parts[1]) + "." + parts[2]
	_, err = c.VerifyCaptureContext(ctx, tampered)
	if !errors.Is(err, cyberflex.ErrInvalidCaptureContext) {
		return fmt.Errorf("verifying a tampered capture context: want ErrInvalidCaptureContext, got %v", err)
	}
	fmt.Fprintf(out, "  handled   the expected error for a tampered capture context: %v\n", err)

	// Tokenize a test card with the capture context: encrypted to its one-time key, sent to
	// CyberSource only. The answer is a transient token, already verified by Tokenize.
	tt, err := c.Tokenize(ctx, cc, cyberflex.CardData("4111 1111 1111 1111", "12", "2031", "123"))
	if err != nil {
		return fmt.Errorf("tokenizing a test card: %w", err)
	}
	card := tt.Claims.Card
	fmt.Fprintf(out, "  tokenized a test card: %s (BIN %s, type %s, expires %s/%s)\n",
		card.MaskedNumber, card.BIN, card.Type, card.ExpirationMonth, card.ExpirationYear)

	// Where the transient token comes back from a page, check it against the capture context
	// the page was given; here the capture context is given as a saved string, which is
	// verified first.
	checked, err := c.VerifyTransientToken(ctx, &cyberflex.CaptureContext{Token: cc.Token}, tt.Token)
	if err != nil {
		return fmt.Errorf("verifying the transient token: %w", err)
	}
	if checked.Claims.Card != card {
		return fmt.Errorf("the verified transient token shows %+v, Tokenize returned %+v", checked.Claims.Card, card)
	}
	fragment, err := json.Marshal(checked.TokenInformation())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  verified  the transient token (issuer %s), valid until %s; pay with \"tokenInformation\": %d bytes\n",
		checked.Claims.Issuer, checked.Claims.ExpiresAt.UTC().Format(time.RFC3339), len(fragment))
	return nil
}

// flipChar changes one character in the middle of a base64url string, keeping it base64url.
func flipChar(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
