// Package redact keeps secrets out of fmt output, and out of what answers echo back (Scrubber).
// The dintero and cyberflex clients store every credential they are given as a Secret, so
// printing a client, an option or a config struct with %v, %+v, %#v or %s never shows one.
package redact

import "fmt"

// Placeholder is what a Secret prints as.
const Placeholder = "[redacted]"

// Secret is a credential: a client secret, token, API key or signing key.
type Secret string

// Reveal returns the secret itself, for the one place that must send or use it.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer without revealing the secret.
func (s Secret) String() string { return Placeholder }

// GoString implements fmt.GoStringer (%#v) without revealing the secret.
func (s Secret) GoString() string { return `"` + Placeholder + `"` }

// Format implements fmt.Formatter so that every verb, %q and %x included, prints the placeholder.
func (s Secret) Format(f fmt.State, verb rune) { Format(f, verb, Placeholder, s.GoString()) }

// MarshalText keeps the secret out of encoding/json, encoding/xml and slog output too.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Placeholder), nil }

// Format writes a value's redacted representations for its fmt.Formatter: goStr for %#v, str
// quoted for %q, str for every other verb. A type holding credentials implements Format by
// calling this with its own String and GoString, so no verb, %x included, falls through to fmt's
// printing of its fields.
func Format(f fmt.State, verb rune, str, goStr string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, goStr)
	case verb == 'q':
		fmt.Fprintf(f, "%q", str)
	default:
		fmt.Fprint(f, str)
	}
}
