// Package specformat checks the string formats that the OpenAPI documents of package api name
// (`format: iso4217-code`, `uri`, …), for the clients, which refuse a bad request before sending
// it, and for the test fakes, which register them with kin-openapi (it ignores formats it does
// not know). Both use these functions, so they agree on what each format means.
//
// The checks allocate nothing and use no regular expressions: they run on every request.
package specformat

import (
	"errors"
	"strings"
)

// Check reports whether value has the named format: nil if it has, or if the format is not one
// this package knows (a format is documentation until it is added here). Every error reads as
// what the value is "not …", e.g. "not an ISO 4217 currency code (…)".
func Check(format, value string) error {
	if f, ok := checks[format]; ok {
		return f(value)
	}
	return nil
}

// Lookup returns the check of the named format, or nil if this package does not know it.
func Lookup(format string) func(string) error { return checks[format] }

// Known reports whether Check checks the named format.
func Known(format string) bool {
	_, ok := checks[format]
	return ok
}

// Checks returns the check of every known format, by name, for kin-openapi's
// openapi3.WithStringFormatValidators. The map is new on every call.
func Checks() map[string]func(string) error {
	out := make(map[string]func(string) error, len(checks))
	for name, f := range checks {
		out[name] = f
	}
	return out
}

var checks = map[string]func(string) error{
	"iso4217-code":   ISO4217Code,
	"iso3166-alpha2": ISO3166Alpha2,
	"iso-3166-1":     ISO3166,
	"iso-18245":      ISO18245,
	"uri":            URI,
	"http-url":       HTTPURLFormat,
	"email":          Email,
	"phone":          Phone,
	"uuid":           UUID,
	"checkout-id":    CheckoutID,
}

var (
	errCurrency    = errors.New("not an ISO 4217 currency code (three upper-case letters, e.g. NOK)")
	errCountry2    = errors.New("not an ISO 3166-1 alpha-2 country code (two upper-case letters, e.g. NO)")
	errCountry     = errors.New("not an ISO 3166-1 country code (NO, NOR or 578)")
	errMCC         = errors.New("not an ISO 18245 merchant category code (four digits)")
	errURI         = errors.New("not an absolute URI (a scheme such as https:, then the rest, without spaces)")
	errHTTPHost    = errors.New("not an absolute http(s) URL: no host after the scheme")
	errNotHTTP     = errors.New("not an http(s) URL (https://host/…)")
	errEmail       = errors.New("not an e-mail address (name@domain)")
	errPhone       = errors.New("not a phone number (5 to 15 digits with an optional leading +, e.g. +4799999999)")
	errUUID        = errors.New("not a UUID (8-4-4-4-12 hexadecimal digits)")
	errCheckoutID  = errors.New("not a Dintero checkout id (account id T or P and 8 digits, a dot, letters and digits)")
	errControlChar = errors.New("not a URI: it contains a space or a control character")
)

// ISO4217Code checks a currency code: three upper-case ASCII letters (NOK, EUR). Whether the
// code is assigned is Dintero's to say.
func ISO4217Code(s string) error {
	if len(s) != 3 || !allIn(s, isUpper) {
		return errCurrency
	}
	return nil
}

// ISO3166Alpha2 checks a two-letter country code: two upper-case ASCII letters (NO, SE).
func ISO3166Alpha2(s string) error {
	if len(s) != 2 || !allIn(s, isUpper) {
		return errCountry2
	}
	return nil
}

// ISO3166 checks an ISO 3166-1 country code in any of its three forms: alpha-2 (NO), alpha-3
// (NOR) or numeric (578).
func ISO3166(s string) error {
	switch {
	case (len(s) == 2 || len(s) == 3) && allIn(s, isUpper):
	case len(s) == 3 && allIn(s, isDigit):
	default:
		return errCountry
	}
	return nil
}

// ISO18245 checks a merchant category code: four digits.
func ISO18245(s string) error {
	if len(s) != 4 || !allIn(s, isDigit) {
		return errMCC
	}
	return nil
}

// URI checks an absolute URI (RFC 3986 section 4.3): a scheme (a letter, then letters, digits,
// "+", "-" or "."), a colon and something after it, without spaces or control characters. An
// http or https URL must also name a host ("https://host..."). An app-switch URL such as
// "myapp://return" is absolute too.
func URI(s string) error {
	_, err := uri(s)
	return err
}

// uri checks s as URI does and returns the index of the colon after the scheme.
func uri(s string) (int, error) {
	colon := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f {
			return 0, errControlChar
		}
		if colon >= 0 {
			continue
		}
		switch {
		case c == ':':
			colon = i
		case isLetter(c), i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.'):
		default:
			return 0, errURI
		}
	}
	if colon < 1 || colon == len(s)-1 {
		return 0, errURI
	}
	if isHTTPScheme(s[:colon]) {
		rest, ok := strings.CutPrefix(s[colon+1:], "//")
		if !ok || rest == "" || rest[0] == '/' || rest[0] == '?' || rest[0] == '#' {
			return 0, errHTTPHost
		}
	}
	return colon, nil
}

// HTTPURLFormat checks an absolute http or https URL with a host (https://shop.example/cb).
func HTTPURLFormat(s string) error {
	colon, err := uri(s)
	if err != nil {
		return err
	}
	if !isHTTPScheme(s[:colon]) {
		return errNotHTTP
	}
	return nil
}

func isHTTPScheme(scheme string) bool {
	return (len(scheme) == 4 || len(scheme) == 5) && (strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https"))
}

// HTTPURL reports whether an absolute URI (see URI) has the scheme http or https.
func HTTPURL(s string) bool {
	scheme, _, ok := strings.Cut(s, ":")
	return ok && isHTTPScheme(scheme)
}

// Email checks the shape of an e-mail address: one "@" with something on each side, no spaces,
// control characters, or the characters <>",; and a domain with a dot that neither starts nor
// ends it. Whether the mailbox exists is nobody's to check here.
func Email(s string) error {
	at := strings.IndexByte(s, '@')
	if at < 1 || at == len(s)-1 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return errEmail
	}
	for j := 0; j < len(s); j++ {
		if c := s[j]; c <= ' ' || c == 0x7f || strings.IndexByte(`<>",;`, c) >= 0 {
			return errEmail
		}
	}
	domain := s[at+1:]
	dot := strings.IndexByte(domain, '.')
	if dot < 1 || domain[len(domain)-1] == '.' {
		return errEmail
	}
	return nil
}

// Phone checks a phone number as Dintero's addresses state it (^\+?\d{5,15}$): 5 to 15 digits,
// optionally after a "+" and the country code (+4799999999).
func Phone(s string) error {
	digits := strings.TrimPrefix(s, "+")
	if len(digits) < 5 || len(digits) > 15 || !allIn(digits, isDigit) {
		return errPhone
	}
	return nil
}

// UUID checks the textual form of a UUID: 8-4-4-4-12 hexadecimal digits, either case.
func UUID(s string) error {
	if len(s) != 36 {
		return errUUID
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return errUUID
			}
		default:
			if !isHex(s[i]) {
				return errUUID
			}
		}
	}
	return nil
}

// CheckoutID checks a Dintero checkout (session) id: the account id (T or P and 8 digits), a dot,
// and 1 to 64 letters and digits (T12345678.4eY9fz6JGwNnPcD8DqCYPs).
func CheckoutID(s string) error {
	if len(s) < 11 || (s[0] != 'T' && s[0] != 'P') || !allIn(s[1:9], isDigit) || s[9] != '.' {
		return errCheckoutID
	}
	rest := s[10:]
	if len(rest) > 64 || !allIn(rest, func(c byte) bool { return isLetter(c) || isDigit(c) }) {
		return errCheckoutID
	}
	return nil
}

func allIn(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return isUpper(c) || ('a' <= c && c <= 'z') }
func isHex(c byte) bool    { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }
