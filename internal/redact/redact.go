// Package redact keeps credentials out of what the SDK prints, logs and returns.
//
// A Secret holds a credential so that no printer shows it: not fmt with any verb, not
// encoding/json or slog, and not the printers that bypass methods (fmt on an unexported field,
// go-spew with DisableMethods, as testify's diffs use). A Scrubber removes credentials that an
// answer echoes back, raw or escaped, before its text goes into an error or a log line.
package redact

import "fmt"

// Placeholder is what a Secret prints as, and what a Scrubber puts in place of a credential.
const Placeholder = "[redacted]"

// Secret is a credential: a client secret, token, API key or signing key. The zero value is
// the empty secret.
//
// The value sits behind a func, not in a string field: a printer that dumps fields raw
// without calling String or Format (fmt on an unexported field, go-spew with DisableMethods)
// shows a func as an address, never the value. A Secret is therefore not comparable with ==;
// compare Reveal results, or use IsZero.
type Secret struct {
	reveal func() string
}

// NewSecret returns s as a Secret. NewSecret("") is the zero Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{reveal: func() string { return s }}
}

// Reveal returns the secret itself, for the one place that must send or use it.
func (s Secret) Reveal() string {
	if s.reveal == nil {
		return ""
	}
	return s.reveal()
}

// IsZero reports whether s is empty.
func (s Secret) IsZero() bool { return s.reveal == nil }

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
