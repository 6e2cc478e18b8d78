package redact

import (
	"net/http"
	"strings"
)

// TEMPORARY stand-in until the escape-aware scrubber lands.
type Scrubber struct{ secrets []string }

func NewScrubber(secrets ...string) Scrubber { return Scrubber{secrets} }
func (s Scrubber) Bytes(b []byte) []byte     { return Scrub(b, s.secrets...) }
func (s Scrubber) Truncated(b []byte) []byte { return Scrub(b, s.secrets...) }
func (s Scrubber) String(v string) string    { return string(Scrub([]byte(v), s.secrets...)) }
func (s Scrubber) Header(h http.Header) http.Header {
	out := h.Clone()
	for k, vs := range out {
		for i, v := range vs {
			vs[i] = s.String(strings.TrimSpace(v))
		}
		out[k] = vs
	}
	return out
}

func NewSecret(s string) Secret { return Secret(s) }
func (s Secret) IsZero() bool   { return s == "" }
