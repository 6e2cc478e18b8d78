package cyberflex_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// The three functions below are the card-capture code of the README, each a handler body with
// the README's placeholders as parameters. The only change is baseURL: the README talks to
// CyberSource, these to cyberflextest.

// readmeCheckoutPage answers the page that shows the card form: a Microform capture context for
// the page's origin, and the script to load.
func readmeCheckoutPage(ctx context.Context, merchantID, keyID, sharedSecretBase64, baseURL string, w http.ResponseWriter, r *http.Request) error {
	c, err := cyberflex.New(cyberflex.WithJWT(merchantID, keyID, sharedSecretBase64), cyberflex.WithBaseURL(baseURL))
	if err != nil {
		return err
	}
	cc, err := c.GenerateMicroformContext(ctx, cyberflex.MicroformRequest{
		TargetOrigins:       []string{"https://shop.example"},
		AllowedCardNetworks: []cyberflex.CardNetwork{cyberflex.CardNetworkVisa, cyberflex.CardNetworkMastercard},
	})
	if err != nil {
		return err // an *APIError's Details name the fields CyberSource refused
	}
	// The page loads <script src="{clientLibrary}" integrity="{integrity}"
	// crossorigin="anonymous"> and starts Microform with new Flex(captureContext). Keep
	// cc.Token in the customer's session too, to check the transient token against.
	w.Header().Set("Content-Type", "application/json")
	err = json.NewEncoder(w).Encode(map[string]string{
		"captureContext": cc.Token,
		"clientLibrary":  cc.ClientLibrary(),
		"integrity":      cc.ClientLibraryIntegrity(),
	})
	if err != nil {
		return err
	}
	return nil
}

// readmePay receives the transient token Microform gave the page, checks it against the
// capture context the page was given, and builds the payment request's tokenInformation.
func readmePay(ctx context.Context, merchantID, keyID, sharedSecretBase64, baseURL string, w http.ResponseWriter, r *http.Request) error {
	c, err := cyberflex.New(cyberflex.WithJWT(merchantID, keyID, sharedSecretBase64), cyberflex.WithBaseURL(baseURL))
	if err != nil {
		return err
	}
	// The capture context served to this page: from the customer's session (here the form).
	saved := &cyberflex.CaptureContext{Token: r.FormValue("captureContext")}
	tt, err := c.VerifyTransientToken(ctx, saved, r.FormValue("transientToken"))
	if errors.Is(err, cyberflex.ErrTransientTokenExpired) {
		http.Error(w, "Please enter your card again.", http.StatusConflict)
		return nil
	}
	if err != nil {
		return err // errors.Is(err, cyberflex.ErrInvalidTransientToken): not a token to pay with
	}
	card := tt.Claims.Card
	fmt.Fprintf(w, "Paying with %s, expiring %s/%s\n", card.MaskedNumber, card.ExpirationMonth, card.ExpirationYear)
	payment, err := json.Marshal(map[string]any{
		"clientReferenceInformation": map[string]string{"code": "order-1234"},
		"orderInformation":           map[string]any{"amountDetails": map[string]string{"totalAmount": "102.21", "currency": "USD"}},
		"tokenInformation":           tt.TokenInformation(), // {"transientTokenJwt": "…"}
	})
	if err != nil {
		return err
	}
	_ = payment // POST it to /pts/v2/payments within 15 minutes
	return nil
}

// readmeTokenizeOnServer tokenizes a card the server holds (for example from a phone order)
// with a Flex API capture context.
func readmeTokenizeOnServer(ctx context.Context, merchantID, keyID, sharedSecretBase64, baseURL string, w http.ResponseWriter, r *http.Request) error {
	c, err := cyberflex.New(cyberflex.WithJWT(merchantID, keyID, sharedSecretBase64), cyberflex.WithBaseURL(baseURL))
	if err != nil {
		return err
	}
	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{
		Number:          cyberflex.Required(),
		ExpirationMonth: cyberflex.Required(),
		ExpirationYear:  cyberflex.Required(),
		SecurityCode:    cyberflex.Optional(),
	}))
	if err != nil {
		return err
	}
	// The card goes only to CyberSource, encrypted to the capture context's one-time key.
	tt, err := c.Tokenize(ctx, cc, cyberflex.CardData("4111 1111 1111 1111", "12", "2031", "123"))
	if err != nil {
		return err // never shows the card number or security code
	}
	fmt.Fprintf(w, "Tokenized %s (%s); pay with it before %s\n", tt.Claims.Card.MaskedNumber, tt.Claims.Card.Type,
		tt.Claims.ExpiresAt.Format("15:04 MST"))
	return nil
}

// Card capture, end to end against cyberflextest with JWT authentication: Microform on a page
// (capture context, script and integrity, transient token checked and handed to a payment), and
// tokenization on the server.
func Example_cardCapture() {
	csrv := cyberflextest.NewServer()
	defer csrv.Close()
	ctx := context.Background()
	merchantID, keyID, secret := cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret

	// 1. The checkout page gets its capture context and script.
	rec := httptest.NewRecorder()
	if err := readmeCheckoutPage(ctx, merchantID, keyID, secret, csrv.URL, rec, httptest.NewRequest(http.MethodGet, "/checkout", nil)); err != nil {
		fmt.Println(err)
		return
	}
	var page struct{ CaptureContext, ClientLibrary, Integrity string }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("script:", strings.TrimPrefix(page.ClientLibrary, csrv.URL))
	fmt.Println("integrity is the script's:", page.Integrity == cyberflextest.MicroformScriptIntegrity)

	// 2. The customer types the card into Microform, which hands the page a transient token.
	token, err := csrv.TokenizeCard(page.CaptureContext, cyberflextest.Card{Number: "5555555555554444", SecurityCode: "123", ExpirationMonth: "09", ExpirationYear: "2030"})
	if err != nil {
		fmt.Println(err)
		return
	}

	// 3. The page posts it back.
	form := url.Values{"captureContext": {page.CaptureContext}, "transientToken": {token}}
	req := httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec = httptest.NewRecorder()
	if err := readmePay(ctx, merchantID, keyID, secret, csrv.URL, rec, req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(rec.Body.String())

	// A token that was not issued for this capture context is refused.
	form.Set("transientToken", token[:len(token)-6]+"AAAAAA")
	req = httptest.NewRequest(http.MethodPost, "/pay", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	err = readmePay(ctx, merchantID, keyID, secret, csrv.URL, httptest.NewRecorder(), req)
	fmt.Println("tampered token refused:", errors.Is(err, cyberflex.ErrInvalidTransientToken))

	// Or: the server tokenizes a card itself.
	rec = httptest.NewRecorder()
	if err := readmeTokenizeOnServer(ctx, merchantID, keyID, secret, csrv.URL, rec, httptest.NewRequest(http.MethodPost, "/phone-order", nil)); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.SplitAfter(rec.Body.String(), ";")[0])

	// Output:
	// script: /microform/bundle/v2.0/flex-microform.min.js
	// integrity is the script's: true
	// Paying with XXXXXXXXXXXX4444, expiring 09/2030
	// tampered token refused: true
	// Tokenized XXXXXXXXXXXX1111 (001);
}
