package cyberflextest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/fakeapi"
	"github.com/paysession/paysession-go/internal/redact"
)

// Transient tokens, as CyberSource issues them (the examples of
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/uc-intro/uc-tokens-intro/uc-tokens-format.html).
const (
	// transientTokenIssuer is the "iss" of the transient tokens the server issues; CyberSource's
	// are "Flex/" and two digits.
	transientTokenIssuer = "Flex/08"
	// transientTokenLifetime is exp - iat in seconds: 15 minutes.
	transientTokenLifetime = 900
)

// Paths of the card fields in the data tree.
const (
	fieldNumber       = "paymentInformation.card.number"
	fieldSecurityCode = "paymentInformation.card.securityCode"
	fieldMonth        = "paymentInformation.card.expirationMonth"
	fieldYear         = "paymentInformation.card.expirationYear"
	fieldType         = "paymentInformation.card.type"
)

// Card is a card as a customer enters it on a page with Microform: number and security code in
// Microform's fields, expiry month ("01"–"12") and four-digit year in the page's own. Printing a
// Card shows only the last four digits of the number.
type Card struct {
	Number, SecurityCode, ExpirationMonth, ExpirationYear string
}

// String shows the card with its number masked and its security code redacted.
func (c Card) String() string {
	masked := strings.Repeat("X", max(len(c.Number)-4, 0)) + c.Number[max(len(c.Number)-4, 0):]
	return fmt.Sprintf("cyberflextest.Card{Number: %s, SecurityCode: %s, ExpirationMonth: %s, ExpirationYear: %s}",
		masked, redact.Placeholder, c.ExpirationMonth, c.ExpirationYear)
}

// Format implements fmt.Formatter so that no verb prints the number or the security code.
func (c Card) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String(), c.String()) }

// TokenizeCard plays the browser: it returns the transient token that Microform would hand the
// page for card, entered on a page given captureContext, a capture context this server issued
// (GenerateMicroformContext; a Flex API one from GenerateCaptureContext works too). The card is
// checked as POST /flex/v2/tokens checks it: a number of 12 to 19 digits that passes the Luhn
// check, of a network the capture context allows; a security code of 3 or 4 digits; a month
// from 01 to 12 and a four-digit year, when given; and the capture context must not have
// expired. The error says what is wrong, never with the card's number or security code.
func (s *Server) TokenizeCard(captureContext string, card Card) (string, error) {
	rec, err := s.issuedFor(strings.TrimSpace(captureContext))
	if err != nil {
		return "", err
	}
	values := map[string]string{}
	for path, v := range map[string]string{fieldNumber: card.Number, fieldSecurityCode: card.SecurityCode, fieldMonth: card.ExpirationMonth, fieldYear: card.ExpirationYear} {
		if v != "" {
			values[path] = v
		}
	}
	token, tokErr := s.issueTransientToken(rec, values)
	if tokErr != nil {
		return "", tokErr
	}
	return token, nil
}

// issuedFor finds the capture context this server issued as token, by the kid of its flx.jwk.
func (s *Server) issuedFor(token string) (*issuedContext, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("cyberflextest: TokenizeCard: the capture context is not a compact JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Flx struct {
			JWK struct {
				Kid string `json:"kid"`
			} `json:"jwk"`
		} `json:"flx"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		return nil, errors.New("cyberflextest: TokenizeCard: the capture context's claims do not decode")
	}
	rec := s.contexts.lookup(claims.Flx.JWK.Kid)
	if rec == nil || rec.token != token {
		return nil, errors.New("cyberflextest: TokenizeCard: not a capture context this server issued")
	}
	return rec, nil
}

// tokenizeError is a refusal of a tokenization: an error answer of POST /flex/v2/tokens, and
// the error of TokenizeCard.
type tokenizeError struct {
	status          int
	reason, message string
	details         []errorDetail
}

func (e *tokenizeError) Error() string {
	msg := "cyberflextest: tokenization refused: " + e.reason + ": " + e.message
	for _, d := range e.details {
		msg += "; " + d.Location + ": " + d.Message
	}
	return msg
}

func refuse(status int, reason, message string, details ...errorDetail) *tokenizeError {
	return &tokenizeError{status: status, reason: reason, message: message, details: details}
}

// tokenize answers POST /flex/v2/tokens: 201 with a transient token (application/jwt), or an
// error body. The success status is undocumented; 201 is invented, like the reasons chosen for
// each refusal from the documented list. origin is the request's Origin header: a browser's.
func (s *Server) tokenize(w http.ResponseWriter, route *fakeapi.Route, origin string) {
	token, tokErr := s.openAndIssue(route.Body, origin)
	if tokErr != nil {
		writeError(w, tokErr.status, tokErr.reason, tokErr.message, tokErr.details)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, token) //nolint:gosec // a JWT the fake signed, served as application/jwt
}

// openAndIssue decrypts the JWE body with the one-time key of the capture context its kid
// names, checks the plaintext {"context", "data", "index"} and issues the transient token. A
// request from a browser (origin not empty) must come from a target origin of the capture
// context (cors.go).
func (s *Server) openAndIssue(body []byte, origin string) (string, *tokenizeError) {
	const invalid = "CAPTURE_CONTEXT_INVALID"
	obj, err := jose.ParseEncryptedCompact(string(body), []jose.KeyAlgorithm{jose.RSA_OAEP_256}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return "", refuse(http.StatusBadRequest, invalid, "The body is not a compact JWE with alg RSA-OAEP-256 and enc A256GCM: "+quote(err.Error()))
	}
	rec := s.contexts.lookup(obj.Header.KeyID)
	if rec == nil {
		return "", refuse(http.StatusBadRequest, invalid, "The JWE's kid "+quote(obj.Header.KeyID)+" is the flx.jwk.kid of no capture context of this server")
	}
	if origin != "" && !slices.Contains(rec.targetOrigins, origin) {
		// Invented, like the stand-in's CORS: real Microform posts from its own iframe.
		if len(rec.targetOrigins) == 0 {
			return "", refuse(http.StatusBadRequest, invalid, "A page on "+quote(origin)+" posted data for a Flex API capture context, which is for servers; a page uses a Microform one")
		}
		return "", refuse(http.StatusBadRequest, invalid, "A page on "+quote(origin)+" posted the data; the capture context's targetOrigins are "+strings.Join(rec.targetOrigins, ", "))
	}
	plain, err := obj.Decrypt(encryptionKey())
	if err != nil {
		return "", refuse(http.StatusBadRequest, invalid, "The JWE does not decrypt with the capture context's one-time key")
	}
	defer clear(plain)
	var p struct {
		Context *string         `json:"context"`
		Data    json.RawMessage `json:"data"`
		Index   *int            `json:"index"`
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	if err := dec.Decode(&p); err != nil || p.Context == nil || len(p.Data) == 0 || p.Index == nil {
		return "", refuse(http.StatusBadRequest, invalid, `The JWE's plaintext is not {"context": <capture context>, "data": {…}, "index": 0}`)
	}
	if *p.Index != 0 {
		return "", refuse(http.StatusBadRequest, invalid, fmt.Sprintf("index is %d, want 0 (one recipient)", *p.Index))
	}
	if *p.Context != rec.token {
		return "", refuse(http.StatusBadRequest, invalid, "context is not the capture context whose one-time key encrypted the JWE")
	}
	values := map[string]string{}
	if err := leafValues(p.Data, "", values); err != nil {
		return "", refuse(http.StatusBadRequest, reasonValidation, "Invalid data: "+err.Error())
	}
	return s.issueTransientToken(rec, values)
}

// leafValues collects the non-empty string leaves of a data tree by dotted path; a leaf of
// another type is an error naming its path, never its value.
func leafValues(raw json.RawMessage, prefix string, out map[string]string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		if prefix == "" {
			return errors.New("data is not an object")
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return fmt.Errorf("%s is not a string", strings.TrimSuffix(prefix, "."))
		}
		if s != "" {
			out[strings.TrimSuffix(prefix, ".")] = s
		}
		return nil
	}
	for name, v := range m {
		if err := leafValues(v, prefix+name+".", out); err != nil {
			return err
		}
	}
	return nil
}

// issueTransientToken checks values against the capture context rec and returns the transient
// token: RS256 with the one-time key, header kid = flx.jwk.kid, claims iss, exp, type, iat, jti
// and content, in CyberSource's order.
func (s *Server) issueTransientToken(rec *issuedContext, values map[string]string) (string, *tokenizeError) {
	now := s.now()
	if !now.Before(rec.expiresAt) {
		return "", refuse(http.StatusBadRequest, "CAPTURE_CONTEXT_EXPIRED", "The capture context has expired")
	}
	if d := checkValues(rec, values); len(d) > 0 {
		return "", refuse(http.StatusBadRequest, reasonValidation, "Invalid data", d...)
	}
	network, typeCode := cardNetwork(values[fieldNumber])
	if rec.networks != nil && !slices.Contains(rec.networks, network) {
		return "", refuse(http.StatusBadRequest, reasonValidation, "Invalid data",
			errorDetail{Location: fieldNumber, Message: "the card's network is not one the capture context allows (" + strings.Join(rec.networks, ", ") + ")"})
	}
	claims := struct {
		Iss     string         `json:"iss"`
		Exp     int64          `json:"exp"`
		Type    string         `json:"type"`
		Iat     int64          `json:"iat"`
		Jti     string         `json:"jti"`
		Content map[string]any `json:"content"`
	}{
		Iss: transientTokenIssuer, Exp: now.Unix() + transientTokenLifetime, Type: rec.ctxType, Iat: now.Unix(),
		Jti: randomString(64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), Content: content(rec, values, typeCode),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", refuse(http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: encryptionKey()},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), rec.jwkKid))
	if err != nil {
		return "", refuse(http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.")
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", refuse(http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.")
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", refuse(http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.")
	}
	return token, nil
}

// checkValues returns a detail for each problem of values: a required field missing, a field the
// capture context does not list (Flex API contexts) or a card number missing (Microform
// contexts), and card values of the wrong form. Details name fields, never values.
func checkValues(rec *issuedContext, values map[string]string) []errorDetail {
	var details []errorDetail
	if rec.ctxType == ctxType {
		for _, r := range rec.required {
			if _, ok := values[r]; !ok {
				details = append(details, errorDetail{Location: r, Message: "required by the capture context, missing"})
			}
		}
		paths := make([]string, 0, len(values))
		for p := range values {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			if !slices.Contains(rec.required, p) && !slices.Contains(rec.optional, p) {
				details = append(details, errorDetail{Location: p, Message: "not a field of the capture context"})
			}
		}
	} else if _, ok := values[fieldNumber]; !ok {
		details = append(details, errorDetail{Location: fieldNumber, Message: "missing"})
	}
	if n, ok := values[fieldNumber]; ok && !validCardNumber(n) {
		details = append(details, errorDetail{Location: fieldNumber, Message: "not a valid card number (12 to 19 digits passing the Luhn check)"})
	}
	if v, ok := values[fieldSecurityCode]; ok && !digits(v, 3, 4) {
		details = append(details, errorDetail{Location: fieldSecurityCode, Message: "must be 3 or 4 digits"})
	}
	if v, ok := values[fieldMonth]; ok && (!digits(v, 2, 2) || v < "01" || v > "12") {
		details = append(details, errorDetail{Location: fieldMonth, Message: "must be a month from 01 to 12"})
	}
	if v, ok := values[fieldYear]; ok && !digits(v, 4, 4) {
		details = append(details, errorDetail{Location: fieldYear, Message: "must be a four-digit year"})
	}
	return details
}

func digits(s string, minLen, maxLen int) bool {
	return len(s) >= minLen && len(s) <= maxLen && strings.Trim(s, "0123456789") == ""
}

// validCardNumber reports whether n is 12 to 19 digits that pass the Luhn check.
func validCardNumber(n string) bool {
	if !digits(n, 12, 19) {
		return false
	}
	sum := 0
	for i := range len(n) {
		d := int(n[len(n)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// cardNetwork returns the network of a card number (the allowedCardNetworks name) and
// CyberSource's card type code, by the issuer ranges of the common networks; "" for others.
func cardNetwork(n string) (network, typeCode string) {
	prefix := func(lo, hi string) bool {
		p := n[:min(len(n), len(lo))]
		return len(p) == len(lo) && p >= lo && p <= hi
	}
	switch {
	case prefix("4", "4"):
		return "VISA", "001"
	case prefix("51", "55"), prefix("2221", "2720"):
		return "MASTERCARD", "002"
	case prefix("34", "34"), prefix("37", "37"):
		return "AMEX", "003"
	case prefix("6011", "6011"), prefix("644", "649"), prefix("65", "65"):
		return "DISCOVER", "004"
	case prefix("300", "305"), prefix("36", "36"), prefix("38", "39"):
		return "DINERSCLUB", "005"
	case prefix("3528", "3589"):
		return "JCB", "007"
	case prefix("62", "62"):
		return "CUP", "062"
	case prefix("50", "50"), prefix("56", "58"), prefix("63", "63"), prefix("67", "67"):
		return "MAESTRO", "042"
	}
	return "", ""
}

// content is the "content" claim: the card as the merchant may see it (masked number, BIN,
// detected type, expiry) and, for every other field captured, an empty object: "captured, not
// shown to you".
func content(rec *issuedContext, values map[string]string, typeCode string) map[string]any {
	card := map[string]any{}
	if n := values[fieldNumber]; n != "" {
		number := map[string]any{"maskedValue": strings.Repeat("X", len(n)-4) + n[len(n)-4:]}
		if bin := rec.binDigits; bin > 0 {
			if bin == 8 && len(n) != 16 {
				bin = 6 // 8 digits only for 16-digit cards
			}
			number["bin"] = n[:bin]
		}
		if typeCode != "" {
			number["detectedCardTypes"] = []string{typeCode}
		}
		card["number"] = number
	}
	for path, name := range map[string]string{fieldMonth: "expirationMonth", fieldYear: "expirationYear", fieldType: "type"} {
		if v, ok := values[path]; ok {
			card[name] = map[string]string{"value": v}
		}
	}
	if _, ok := values[fieldSecurityCode]; ok {
		card["securityCode"] = map[string]any{}
	}
	out := map[string]any{"paymentInformation": map[string]any{"card": card}}
	order := map[string]any{}
	for path := range values {
		rest, ok := strings.CutPrefix(path, "orderInformation.")
		if !ok {
			continue
		}
		group, field, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		g, _ := order[group].(map[string]any)
		if g == nil {
			g = map[string]any{}
			order[group] = g
		}
		g[field] = map[string]any{}
	}
	if len(order) > 0 {
		out["orderInformation"] = order
	}
	return out
}
