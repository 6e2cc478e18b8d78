// Package untrusted TEMPORARY stand-in.
package untrusted

import "strings"

func Line(s string, max int) string {
	if len(s) > 4*max {
		s = s[:4*max]
	}
	s = strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

func LineBytes(b []byte, max int) string {
	if len(b) > 4*max {
		b = b[:4*max]
	}
	return Line(string(b), max)
}
