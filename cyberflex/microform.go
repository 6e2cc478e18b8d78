package cyberflex

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/paysession/paysession-go/internal/httpx"

	"github.com/paysession/paysession-go/gen/cyberflexapi"
)

// MaxTargetOrigins is how many target origins a Microform capture context may list
// (GenerateCaptureContextRequest.targetOrigins in the official SDKs' model docs).
const MaxTargetOrigins = 9

// MicroformRequest asks for a capture context that Microform Integration v2 uses on a web page:
// CyberSource's script, loaded from the capture context's ClientLibrary with its
// ClientLibraryIntegrity, shows the card number and security code fields in iframes and hands
// the page a transient token. The rules are those of the Microform Integration v2 guide,
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex-api/developer/ctv/rest/flex-api/microform-integ-v2/microform-integ-getting-started-v2.html
type MicroformRequest struct {
	// TargetOrigins are the origins (scheme, host and optional port, no path) of every page
	// that embeds Microform, and of every browser context around it when it sits in nested
	// iframes: "https://shop.example", "https://shop.example:8443". https only, except
	// http://localhost and loopback addresses for development; no wildcards; one to
	// MaxTargetOrigins, each once.
	TargetOrigins []string
	// AllowedCardNetworks are the card networks the form accepts (CardNetworkVisa, …). At least
	// one is needed when AllowedPaymentTypes is empty or includes PaymentTypeCard.
	AllowedCardNetworks []CardNetwork
	// AllowedPaymentTypes are the payment types the form accepts; empty means cards only.
	AllowedPaymentTypes []PaymentType
	// ClientVersion is the Microform version to load, e.g. "v2.0"; empty leaves it to
	// CyberSource.
	ClientVersion string
	// IncludeCardPrefix says how much of the card number's prefix the transient token shows:
	// nil the 6-digit BIN, true 8 digits (16-digit Visa, Mastercard, Discover, JCB and
	// UnionPay cards), false none.
	IncludeCardPrefix *bool
}

// GenerateMicroformContext issues a capture context for Microform Integration v2 on a web page
// (POST /microform/v2/sessions) and returns it decoded. Hand the page cc.Token, and load the
// script with <script src="{cc.ClientLibrary()}" integrity="{cc.ClientLibraryIntegrity()}"
// crossorigin="anonymous">; the page gets back a transient token, which VerifyTransientToken
// checks against this capture context.
//
// req is checked before anything is sent, and each error (wrapping ErrInvalidInput) says what to
// change: the target origins (https, or http for localhost and loopback addresses only; no
// wildcard, path, query, fragment or user info; one to MaxTargetOrigins; no duplicates), the
// card networks and payment types (known values, no duplicates, at least one card network when
// cards are allowed). The call is authenticated, retried and decoded like
// GenerateCaptureContext; a refusal is an *APIError whose Details name the failing fields.
func (c *Client) GenerateMicroformContext(ctx context.Context, req MicroformRequest) (*CaptureContext, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: %s: nil context", ErrInvalidInput, opMicroform)
	}
	wire, err := req.wire()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidInput, opMicroform, err)
	}
	body, err := json.Marshal(wire)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: encoding the request: %v", ErrInvalidInput, opMicroform, err)
	}
	return c.issue(ctx, opMicroform, body, cyberflexapi.NewGenerateMicroformCaptureContextRequestWithBody)
}

// wire checks r and returns the request body.
func (r MicroformRequest) wire() (cyberflexapi.MicroformSessionRequest, error) {
	var out cyberflexapi.MicroformSessionRequest
	switch n := len(r.TargetOrigins); {
	case n == 0:
		return out, fmt.Errorf("TargetOrigins is empty: list the origin of each page that embeds Microform, e.g. %q", "https://shop.example")
	case n > MaxTargetOrigins:
		return out, fmt.Errorf("TargetOrigins lists %d origins; at most %d are allowed", n, MaxTargetOrigins)
	}
	seen := map[string]int{}
	for i, o := range r.TargetOrigins {
		key, err := checkTargetOrigin(o)
		if err != nil {
			return out, fmt.Errorf("TargetOrigins[%d] %s: %s", i, quoteShort(o), err)
		}
		if j, dup := seen[key]; dup {
			return out, fmt.Errorf("TargetOrigins[%d] %s is TargetOrigins[%d] again; list each origin once", i, quoteShort(o), j)
		}
		seen[key] = i
	}
	for i, p := range r.AllowedPaymentTypes {
		if !p.Valid() {
			return out, fmt.Errorf("AllowedPaymentTypes[%d] %s is not a payment type; use PaymentTypeCard or PaymentTypeCheck", i, quoteShort(string(p)))
		}
		if j := slices.Index(r.AllowedPaymentTypes, p); j < i {
			return out, fmt.Errorf("AllowedPaymentTypes[%d] %s is AllowedPaymentTypes[%d] again; list each payment type once", i, p, j)
		}
	}
	for i, n := range r.AllowedCardNetworks {
		if !n.Valid() {
			return out, fmt.Errorf("AllowedCardNetworks[%d] %s is not a card network Microform knows; use the CardNetwork constants (CardNetworkVisa, …)", i, quoteShort(string(n)))
		}
		if j := slices.Index(r.AllowedCardNetworks, n); j < i {
			return out, fmt.Errorf("AllowedCardNetworks[%d] %s is AllowedCardNetworks[%d] again; list each network once", i, n, j)
		}
	}
	cards := len(r.AllowedPaymentTypes) == 0 || slices.Contains(r.AllowedPaymentTypes, PaymentTypeCard)
	if cards && len(r.AllowedCardNetworks) == 0 {
		return out, fmt.Errorf("AllowedCardNetworks is empty, but cards are allowed: list the networks the form accepts, e.g. CardNetworkVisa, CardNetworkMastercard")
	}
	if hasCtl(r.ClientVersion) {
		return out, fmt.Errorf("ClientVersion contains a control character")
	}
	out.TargetOrigins = slices.Clone(r.TargetOrigins)
	out.AllowedCardNetworks = slices.Clone(r.AllowedCardNetworks)
	out.AllowedPaymentTypes = slices.Clone(r.AllowedPaymentTypes)
	if r.ClientVersion != "" {
		v := r.ClientVersion
		out.ClientVersion = &v
	}
	if r.IncludeCardPrefix != nil {
		b := *r.IncludeCardPrefix
		out.TransientTokenResponseOptions = &cyberflexapi.TransientTokenResponseOptions{IncludeCardPrefix: &b}
	}
	return out, nil
}

// checkTargetOrigin checks one target origin and returns its normalised form (lower-case
// scheme and host, default port dropped), under which duplicates are found. The error says what
// to change.
func checkTargetOrigin(o string) (string, error) {
	const example = "https://shop.example"
	if strings.Contains(o, "*") {
		return "", fmt.Errorf("wildcards are not allowed; list each origin, e.g. %q", example)
	}
	if o == "" || hasCtl(o) || strings.ContainsAny(o, " \\") {
		return "", fmt.Errorf("is not an origin such as %q", example)
	}
	u, err := url.Parse(o)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("is not an origin such as %q (scheme, host and optional port)", example)
	}
	if u.User != nil {
		return "", fmt.Errorf("has user info; an origin is scheme://host[:port]")
	}
	if u.Path != "" || u.RawPath != "" {
		return "", fmt.Errorf("has a path; an origin is scheme://host[:port], without even a trailing slash: %q", u.Scheme+"://"+u.Host)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(o, "#") {
		return "", fmt.Errorf("has a query or fragment; an origin is scheme://host[:port]")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	switch {
	case scheme == "https":
		if port == "443" {
			port = ""
		}
	case scheme == "http" && httpx.IsLoopback(host):
		if port == "80" {
			port = ""
		}
	case scheme == "http":
		return "", fmt.Errorf("uses http, which CyberSource allows only for localhost; use %q", "https://"+u.Host)
	default:
		return "", fmt.Errorf("scheme %s is not https", quoteShort(u.Scheme))
	}
	if host == "" {
		return "", fmt.Errorf("has no host")
	}
	key := scheme + "://" + host
	if port != "" {
		key += ":" + port
	}
	return key, nil
}

// settings returns the first ctx element, where CyberSource puts the session's settings.
func (cc *CaptureContext) settings() *Settings {
	if cc == nil || len(cc.Claims.Settings) == 0 {
		return nil
	}
	return &cc.Claims.Settings[0]
}

// extra decodes the member name of ctx[0].data into v; false when it is absent or of another
// type.
func (cc *CaptureContext) extra(name string, v any) bool {
	s := cc.settings()
	if s == nil {
		return false
	}
	raw, ok := s.Data.Extra[name]
	return ok && json.Unmarshal(raw, v) == nil
}

// Type is the capture context's type, ctx[0].type: "api-0.1.0" for the Flex API
// (GenerateCaptureContext), "mf-2.0.0" for Microform Integration v2 (GenerateMicroformContext),
// "gda-…" for Unified Checkout; "" when the claims have none.
func (cc *CaptureContext) Type() string {
	if s := cc.settings(); s != nil {
		return s.Type
	}
	return ""
}

// ClientLibrary is the URL of the Microform script the page must load
// (ctx[0].data.clientLibrary), "" when the capture context has none (Flex API contexts).
func (cc *CaptureContext) ClientLibrary() string {
	var s string
	cc.extra("clientLibrary", &s)
	return s
}

// ClientLibraryIntegrity is the Subresource Integrity hash of the Microform script
// (ctx[0].data.clientLibraryIntegrity, "sha256-…"), for the integrity attribute of its script
// tag, with crossorigin="anonymous"; "" when the capture context has none.
func (cc *CaptureContext) ClientLibraryIntegrity() string {
	var s string
	cc.extra("clientLibraryIntegrity", &s)
	return s
}

// TargetOrigins are the origins of the pages allowed to embed Microform with this capture
// context (ctx[0].data.targetOrigins).
func (cc *CaptureContext) TargetOrigins() []string {
	var s []string
	cc.extra("targetOrigins", &s)
	return s
}

// AllowedCardNetworks are the card networks the Microform form accepts
// (ctx[0].data.allowedCardNetworks), as CyberSource wrote them; values this package has no
// constant for are kept.
func (cc *CaptureContext) AllowedCardNetworks() []CardNetwork {
	var s []CardNetwork
	cc.extra("allowedCardNetworks", &s)
	return s
}

// AllowedPaymentTypes are the payment types the Microform form accepts
// (ctx[0].data.allowedPaymentTypes); older capture contexts do not list them.
func (cc *CaptureContext) AllowedPaymentTypes() []PaymentType {
	var s []PaymentType
	cc.extra("allowedPaymentTypes", &s)
	return s
}
