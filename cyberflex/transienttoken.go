package cyberflex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxTransientTokenSize is the largest transient token accepted, in bytes, before surrounding
// whitespace and quotes are removed. A transient token is well under 2 KiB (a few claims, the
// masked card and a 256-byte signature); a larger one is refused before any of it is decoded.
const MaxTransientTokenSize = 64 << 10

// TransientTokenIssuerPrefix starts the "iss" claim of every transient token: "Flex/00",
// "Flex/07", "Flex/08" are seen, so only the prefix is enforced.
const TransientTokenIssuerPrefix = "Flex/"

// transientTokenAlgorithm is the only accepted JWS algorithm: CyberSource signs transient tokens
// RS256 with the private half of the capture context's one-time key.
const transientTokenAlgorithm = "RS256"

// TransientToken is the token CyberSource issues for the card data it captured (by Microform on
// a page, or by Tokenize): a compact JWS signed by the one-time key of the capture context it
// belongs to, valid 15 minutes, for one payment (POST /pts/v2/payments, see TokenInformation).
// Its claims are described at
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/microform-integ-v2/microform-integ-getting-started-v2/setting-up-client-side-v2/transient-token-response-format-v2.html;
// CyberSource says they "can expand", so every claim is kept raw too.
type TransientToken struct {
	// Token is the compact JWS, with surrounding whitespace and JSON quotes removed.
	Token string
	// Claims are its decoded header kid and claims.
	Claims TransientTokenClaims
}

// TransientTokenClaims is the decoded content of a transient token. Absent time claims are the
// zero time.
type TransientTokenClaims struct {
	// KeyID is the JWS header "kid": the kid of the capture context's flx.jwk.
	KeyID string
	// ID is "jti", which also identifies the token in a payment request.
	ID string
	// Issuer is "iss", "Flex/…".
	Issuer string
	// Type is "type", the type of the capture context it came from ("mf-2.0.0", "api-0.1.0", …).
	Type string
	// IssuedAt is "iat".
	IssuedAt time.Time
	// ExpiresAt is "exp"; CyberSource issues exp = iat + 15 minutes.
	ExpiresAt time.Time
	// Card is what the token shows of the card.
	Card CardSummary
	// Metadata is the "metadata" claim, raw; nil when absent.
	Metadata json.RawMessage
	// Raw holds every claim, raw, by name.
	Raw map[string]json.RawMessage
}

// CardSummary is what a transient token shows of the card, which a merchant may show the
// customer. It is read from the "content" claim of Microform v2 and Unified Checkout tokens
// (content.paymentInformation.card) or from the "data" claim of older Microform tokens. Fields
// the token does not show are "".
type CardSummary struct {
	// MaskedNumber is the card number with all but a few digits masked, e.g.
	// "XXXXXXXXXXXX1111" or "411111XXXXXX1111".
	MaskedNumber string
	// BIN is the card number's prefix the token shows: 6 digits, 8 with IncludeCardPrefix, ""
	// when the capture context asked for none.
	BIN string
	// ExpirationMonth is the expiry month, "01" to "12".
	ExpirationMonth string
	// ExpirationYear is the four-digit expiry year.
	ExpirationYear string
	// Type is CyberSource's card type code ("001" Visa, "002" Mastercard, "003" American
	// Express, …): the card's type, else the first type detected from the number.
	Type string
}

// TokenInformation is the "tokenInformation" member of a payment request (POST
// /pts/v2/payments) that pays with a transient token, by the token itself or by its jti.
type TokenInformation struct {
	// TransientTokenJWT is the transient token.
	TransientTokenJWT string `json:"transientTokenJwt,omitempty"`
	// JTI is the transient token's id.
	JTI string `json:"jti,omitempty"`
}

// TokenInformation returns the fragment that pays with t in POST /pts/v2/payments:
// {"transientTokenJwt": t.Token}. CyberSource accepts a token within its 15 minutes, for one
// authorization.
func (t *TransientToken) TokenInformation() TokenInformation {
	return TokenInformation{TransientTokenJWT: t.Token}
}

// VerifyTransientToken checks a transient token that came back from the page (Microform) against
// the capture context the page was given, and returns it with trusted claims: the alg is RS256,
// the header kid is the capture context's flx.jwk.kid, the signature verifies with flx.jwk (the
// one-time key; a token of another capture context fails here), iss starts with "Flex/", exp has
// not passed and iat (and nbf) are not in the future, with DefaultLeeway of clock skew and the
// clock of WithClock, and the token was issued within the capture context's lifetime. No official
// SDK checks transient tokens; this is the check the Microform guide asks for ("validate its
// integrity using the public key embedded within the capture context").
//
// cc is trusted as it is when this Client returned it (GenerateMicroformContext,
// GenerateCaptureContext, VerifyCaptureContext) and it is unchanged. Any other, such as
// &CaptureContext{Token: saved} for a capture context kept in the customer's session, is
// verified first like VerifyCaptureContext does, as of the transient token's iat: a capture
// context that has expired since the page used it still vouches for the tokens issued while it
// was valid.
//
// Every rejection wraps ErrInvalidTransientToken (ErrTransientTokenExpired when it only has
// expired) with the reason; one caused by the capture context wraps the capture context's error
// too (ErrInvalidCaptureContext, …). An error wrapping ErrKeyFetch means CyberSource's key
// could not be fetched to verify the capture context: try again later. Errors never contain the
// token.
func (c *Client) VerifyTransientToken(ctx context.Context, cc *CaptureContext, token string) (*TransientToken, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: VerifyTransientToken: nil context", ErrInvalidInput)
	}
	if cc == nil {
		return nil, fmt.Errorf("%w: VerifyTransientToken: nil capture context", ErrInvalidInput)
	}
	now := c.now()
	t := cc.trust()
	if t == nil {
		// Read iat before anything is fetched: a token that does not even decode costs nothing.
		p, err := parseTransientToken(token)
		if err != nil {
			return nil, err
		}
		at := now
		if iat := p.claims.IssuedAt; !iat.IsZero() && iat.Before(now) {
			at = iat
		}
		if t, err = c.trusted(ctx, cc, at); err != nil {
			if errors.Is(err, ErrKeyFetch) || errors.Is(err, ErrInvalidInput) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: its capture context: %w", ErrInvalidTransientToken, err)
		}
	}
	return verifyTransientToken(t, token, now, DefaultLeeway)
}

// parsedTransientToken is a decoded, unverified transient token.
type parsedTransientToken struct {
	token   string
	header  jwsHeader
	claims  TransientTokenClaims
	payload []byte // the decoded payload segment the claims were decoded from
}

// invalidTransient is an error wrapping ErrInvalidTransientToken with a reason.
func invalidTransient(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTransientToken}, args...)...)
}

// parseTransientToken decodes a transient token WITHOUT verifying it. Surrounding whitespace and
// one pair of JSON quotes are removed, as for capture contexts. Errors wrap
// ErrInvalidTransientToken and never contain the token; it never panics.
func parseTransientToken(token string) (*parsedTransientToken, error) {
	if len(token) > MaxTransientTokenSize {
		return nil, invalidTransient("token is %d bytes, over the %d-byte limit", len(token), MaxTransientTokenSize)
	}
	jws, err := splitJWS(token, ErrInvalidTransientToken)
	if err != nil {
		return nil, err
	}
	claims, err := decodeTransientClaims(jws.payload)
	if err != nil {
		return nil, err
	}
	claims.KeyID = jws.header.Kid
	return &parsedTransientToken{token: jws.token, header: jws.header, claims: claims, payload: jws.payload}, nil
}

// claimString decodes a claim that must be a JSON string. Most are plain ASCII without escapes,
// taken as they are; anything else goes through encoding/json.
func claimString(raw json.RawMessage) (string, bool) {
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' {
		plain := true
		for _, c := range raw[1 : n-1] {
			if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return string(raw[1 : n-1]), true
		}
	}
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

// decodeTransientClaims decodes the claims: the registered ones must have their types, the card
// summary is read leniently, and every claim is kept raw.
func decodeTransientClaims(payload []byte) (TransientTokenClaims, error) {
	var raw map[string]json.RawMessage
	if err := strictUnmarshal(payload, &raw); err != nil {
		return TransientTokenClaims{}, invalidTransient("claims are not a JSON object: %v", err)
	}
	c := TransientTokenClaims{Raw: raw, Metadata: raw["metadata"]}
	for _, claim := range []struct {
		name string
		dst  *string
	}{{"iss", &c.Issuer}, {"jti", &c.ID}, {"type", &c.Type}} {
		if v, ok := raw[claim.name]; ok {
			s, ok := claimString(v)
			if !ok {
				return TransientTokenClaims{}, invalidTransient("claim %s is not a string", claim.name)
			}
			*claim.dst = s
		}
	}
	var nbf time.Time
	for _, claim := range []struct {
		name string
		dst  *time.Time
	}{{"iat", &c.IssuedAt}, {"exp", &c.ExpiresAt}, {"nbf", &nbf}} {
		if v, ok := raw[claim.name]; ok {
			var n numericDate
			if err := n.UnmarshalJSON(v); err != nil {
				return TransientTokenClaims{}, invalidTransient("claim %s: %v", claim.name, err)
			}
			*claim.dst = n.t
		}
	}
	c.Card = cardSummary(raw)
	return c, nil
}

// cardSummary reads the card from "content" (Microform v2, Unified Checkout) or else "data"
// (older Microform). A member of an unexpected shape is left out, not an error: encoding/json
// skips a value of the wrong type and decodes the rest, and the layout is CyberSource's to
// extend.
func cardSummary(raw map[string]json.RawMessage) CardSummary {
	if content, ok := raw["content"]; ok {
		var v struct {
			PaymentInformation struct {
				Card struct {
					Number struct {
						MaskedValue       string   `json:"maskedValue"`
						Bin               string   `json:"bin"`
						DetectedCardTypes []string `json:"detectedCardTypes"`
					} `json:"number"`
					ExpirationMonth struct {
						Value string `json:"value"`
					} `json:"expirationMonth"`
					ExpirationYear struct {
						Value string `json:"value"`
					} `json:"expirationYear"`
					Type struct {
						Value string `json:"value"`
					} `json:"type"`
				} `json:"card"`
			} `json:"paymentInformation"`
		}
		_ = json.Unmarshal(content, &v)
		card := v.PaymentInformation.Card
		s := CardSummary{
			MaskedNumber:    card.Number.MaskedValue,
			BIN:             card.Number.Bin,
			ExpirationMonth: card.ExpirationMonth.Value,
			ExpirationYear:  card.ExpirationYear.Value,
			Type:            card.Type.Value,
		}
		if s.Type == "" && len(card.Number.DetectedCardTypes) > 0 {
			s.Type = card.Number.DetectedCardTypes[0]
		}
		return s
	}
	data, ok := raw["data"]
	if !ok {
		return CardSummary{}
	}
	var v struct {
		Number          string `json:"number"`
		Type            string `json:"type"`
		ExpirationMonth string `json:"expirationMonth"`
		ExpirationYear  string `json:"expirationYear"`
	}
	_ = json.Unmarshal(data, &v)
	s := CardSummary{MaskedNumber: v.Number, ExpirationMonth: v.ExpirationMonth, ExpirationYear: v.ExpirationYear, Type: v.Type}
	// The older layout shows the BIN as the leading digits of the masked number.
	if n := len(s.MaskedNumber) - len(strings.TrimLeft(s.MaskedNumber, "0123456789")); n >= 6 && n <= 8 && n < len(s.MaskedNumber) {
		s.BIN = s.MaskedNumber[:n]
	}
	return s
}

// verifyTransientToken checks token against the trusted capture context t at time now (see
// VerifyTransientToken).
func verifyTransientToken(t *trustedContext, token string, now time.Time, leeway time.Duration) (*TransientToken, error) {
	if len(token) > MaxTransientTokenSize {
		return nil, invalidTransient("token is %d bytes, over the %d-byte limit", len(token), MaxTransientTokenSize)
	}
	token = normalizeToken(token)
	// go-jose parses the token with the algorithm pinned to RS256, so an alg that encoding/json
	// and go-jose read differently cannot slip through. When it refuses the token, the
	// package's own parser says why (the alg, a segment that does not decode, …).
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(jws.Signatures) != 1 {
		p, perr := parseTransientToken(token)
		switch {
		case perr != nil:
			return nil, perr
		case p.header.Alg != transientTokenAlgorithm:
			return nil, invalidTransient("alg %s (only %s is accepted)", quoteShort(p.header.Alg), transientTokenAlgorithm)
		default:
			return nil, invalidTransient("%v", err)
		}
	}
	want := t.flx.JWK.KeyID
	if want == "" {
		return nil, invalidTransient("the capture context has no flx.jwk.kid to check the token against")
	}
	kid := jws.Signatures[0].Protected.KeyID
	if kid != want {
		return nil, invalidTransient("kid %s is not the capture context's flx.jwk.kid %s: the token belongs to another capture context", quoteShort(kid), quoteShort(want))
	}
	key, _, err := t.encryptionKey()
	if err != nil {
		return nil, invalidTransient("the capture context's flx.jwk: %s", err)
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, invalidTransient("the signature does not verify with the capture context's flx.jwk (kid %s)", quoteShort(want))
	}
	// The claims are decoded from the verified payload only.
	claims, err := decodeTransientClaims(payload)
	if err != nil {
		return nil, err
	}
	claims.KeyID = kid

	if !strings.HasPrefix(claims.Issuer, TransientTokenIssuerPrefix) {
		return nil, invalidTransient("iss %s does not start with %q", quoteShort(claims.Issuer), TransientTokenIssuerPrefix)
	}
	leeway = max(leeway, 0)
	if claims.ExpiresAt.IsZero() {
		return nil, invalidTransient("missing exp claim")
	}
	if exp := claims.ExpiresAt; !now.Before(exp.Add(leeway)) {
		return nil, fmt.Errorf("%w: exp %s is not after now %s (leeway %s)", ErrTransientTokenExpired, exp.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	if iat := claims.IssuedAt; !iat.IsZero() {
		if iat.After(now.Add(leeway)) {
			return nil, invalidTransient("iat %s is after now %s (leeway %s)", iat.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
		if !t.issuedAt.IsZero() && iat.Before(t.issuedAt.Add(-leeway)) {
			return nil, invalidTransient("iat %s is before its capture context was issued (%s)", iat.Format(time.RFC3339), t.issuedAt.Format(time.RFC3339))
		}
		if !t.expiresAt.IsZero() && iat.After(t.expiresAt.Add(leeway)) {
			return nil, invalidTransient("iat %s is after its capture context expired (%s)", iat.Format(time.RFC3339), t.expiresAt.Format(time.RFC3339))
		}
	}
	if raw, ok := claims.Raw["nbf"]; ok {
		var n numericDate
		if n.UnmarshalJSON(raw) == nil && n.t.After(now.Add(leeway)) {
			return nil, invalidTransient("nbf %s is after now %s (leeway %s)", n.t.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
	}
	return &TransientToken{Token: token, Claims: claims}, nil
}
