// Package wwwform reproduces the WHATWG URL Standard's application/x-www-form-urlencoded parser,
// sort and serializer, which Go's net/url does not: url.ParseQuery refuses invalid escapes and
// ";", and url.Values.Encode keeps "~", escapes "*" and orders names by bytes rather than by
// UTF-16 code units.
//
// See https://url.spec.whatwg.org/#concept-urlencoded-parser,
// https://url.spec.whatwg.org/#dom-urlsearchparams-sort and
// https://url.spec.whatwg.org/#concept-urlencoded-serializer.
package wwwform

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// pair is one name/value pair of a parsed query, in the order it appeared.
type pair struct{ name, value string }

// SortedQuery returns what JavaScript computes for a URL with this raw query (without the "?"):
// new URL(u).searchParams, then .sort(), then .toString(). The pairs are sorted by name only,
// comparing UTF-16 code units, with a stable sort (the values of a repeated name keep their
// order); each name and value is serialized with encode. An empty query gives "".
func SortedQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	var pairs []pair
	for seq := range strings.SplitSeq(rawQuery, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		pairs = append(pairs, pair{decode(name), decode(value)})
	}
	// Stable: pairs with the same name keep their relative order, as the standard requires.
	slices.SortStableFunc(pairs, func(a, b pair) int { return compareUTF16(a.name, b.name) })
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		encode(&b, p.name)
		b.WriteByte('=')
		encode(&b, p.value)
	}
	return b.String()
}

// Parse returns the name/value pairs of a raw query (without the "?") as the WHATWG urlencoded
// parser reads them: never an error, '+' is a space, invalid escapes stay as they are, invalid
// UTF-8 becomes U+FFFD. The values of a repeated name keep their order. Unlike url.ParseQuery it
// reads every query a browser or Node.js would, so a query that signed correctly also parses.
func Parse(rawQuery string) url.Values {
	v := url.Values{}
	for seq := range strings.SplitSeq(rawQuery, "&") {
		if seq == "" {
			continue
		}
		name, value, _ := strings.Cut(seq, "=")
		n := decode(name)
		v[n] = append(v[n], decode(value))
	}
	return v
}

// decode is the urlencoded parser's step for one name or value: '+' becomes a space, valid %XX
// sequences are decoded, invalid ones are kept literally (no error), and the bytes are then
// decoded as UTF-8 with replacement.
func decode(s string) string {
	if !strings.ContainsAny(s, "+%") && utf8.ValidString(s) {
		return s
	}
	buf := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			buf = append(buf, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	return decodeUTF8(buf)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// decodeUTF8 implements https://encoding.spec.whatwg.org/#utf-8-decoder, which replaces each
// maximal invalid subpart with one U+FFFD. (Go's own decoding replaces each invalid byte
// separately, which differs for truncated sequences such as "\xE2\x82".)
func decodeUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	var cp rune
	needed, seen := 0, 0
	lower, upper := byte(0x80), byte(0xBF)
	for i := 0; i < len(b); {
		c := b[i]
		if needed == 0 {
			i++
			switch {
			case c <= 0x7F:
				out.WriteByte(c)
			case 0xC2 <= c && c <= 0xDF:
				needed, cp = 1, rune(c&0x1F)
			case 0xE0 <= c && c <= 0xEF:
				switch c {
				case 0xE0:
					lower = 0xA0
				case 0xED:
					upper = 0x9F
				}
				needed, cp = 2, rune(c&0x0F)
			case 0xF0 <= c && c <= 0xF4:
				switch c {
				case 0xF0:
					lower = 0x90
				case 0xF4:
					upper = 0x8F
				}
				needed, cp = 3, rune(c&0x07)
			default:
				out.WriteRune(utf8.RuneError)
			}
			continue
		}
		if c < lower || c > upper {
			// Error; the byte is not consumed and is reprocessed as a potential lead byte.
			cp, needed, seen = 0, 0, 0
			lower, upper = 0x80, 0xBF
			out.WriteRune(utf8.RuneError)
			continue
		}
		i++
		lower, upper = 0x80, 0xBF
		cp = cp<<6 | rune(c&0x3F)
		seen++
		if seen == needed {
			out.WriteRune(cp)
			cp, needed, seen = 0, 0, 0
		}
	}
	if needed != 0 {
		out.WriteRune(utf8.RuneError)
	}
	return out.String()
}

// encode writes s to b with the urlencoded byte serializer: space becomes '+', ASCII
// alphanumerics and "*-._" stay, every other byte becomes %XX (upper-case hex).
func encode(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0x0F])
		}
	}
}

// compareUTF16 orders valid UTF-8 strings by their UTF-16 code units, as URLSearchParams.sort
// does. It differs from Go's byte order only when a supplementary character (encoded as a
// surrogate pair, 0xD800–0xDBFF first) meets a BMP character in U+E000–U+FFFF.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			ua, ub := firstUTF16Unit(ra), firstUTF16Unit(rb)
			if ua != ub {
				return cmp.Compare(ua, ub)
			}
			// Same high surrogate: the low surrogates, and so the code points, decide.
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUTF16Unit returns the first UTF-16 code unit of r.
func firstUTF16Unit(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + (r-0x10000)>>10
	}
	return r
}
