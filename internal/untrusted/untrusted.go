// Package untrusted makes text that came from a peer (an answer's body, a header value, a
// transport error) safe to put into an error message or a log line: one short line of valid
// UTF-8, with nothing in it that a terminal or a log viewer would act on.
package untrusted

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis follows a line that Line cut.
const Ellipsis = "…"

// Line returns s as one line of valid UTF-8 of at most limit bytes, followed by Ellipsis when
// anything was cut. It looks at no more than the first 4*limit+64 bytes of s, so that its time
// and memory are bounded by limit whatever the peer sent: an 8 MiB body costs what its first
// bytes cost. Text beyond those bytes counts as cut.
//
// In what it looks at:
//   - bytes that are not valid UTF-8 become U+FFFD, one for each run of them;
//   - terminal escape sequences are removed: ESC [ … final byte (CSI), ESC ] … BEL or ST (OSC),
//     the other ESC-introduced strings (DCS, SOS, PM, APC) and two- or three-byte ESC
//     sequences, and the same introduced by their C1 characters;
//   - the remaining control characters (C0, DEL, C1) are removed, and so are the bidirectional
//     overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
//     U+061C), which can make a log line read differently from what it holds;
//   - every run of white space (tab, newline, carriage return, U+2028, U+2029 and the other
//     Unicode spaces) becomes one space, and spaces at either end are trimmed.
//
// The cut falls on a character boundary. A negative limit counts as 0.
func Line(s string, limit int) string {
	if isClean(s, limit) {
		return s
	}
	return line(s, limit)
}

// LineBytes is Line for a []byte, such as a body as read.
func LineBytes(b []byte, limit int) string { return line(b, limit) }

// isClean reports whether Line would return s unchanged because it is short printable ASCII
// with single inner spaces, so that the common case costs no allocation.
func isClean(s string, limit int) bool {
	if len(s) > limit || s == "" || s[0] == ' ' || s[len(s)-1] == ' ' {
		return s == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && s[i+1] == ' ' || c < ' ' || c > '~' {
			return false
		}
	}
	return true
}

// bidiControl reports whether r is a bidirectional formatting character: the embeddings and
// overrides, the isolates, and the implicit marks (https://www.unicode.org/reports/tr9/).
func bidiControl(r rune) bool {
	return 0x202A <= r && r <= 0x202E || 0x2066 <= r && r <= 0x2069 || r == 0x200E || r == 0x200F || r == 0x061C
}

// C1 control characters that introduce a sequence (ECMA-48 §5.3, §8.3).
const (
	c1DCS = 0x90
	c1SOS = 0x98
	c1CSI = 0x9B
	c1ST  = 0x9C
	c1OSC = 0x9D
	c1PM  = 0x9E
	c1APC = 0x9F
)

func line[T string | []byte](s T, limit int) string {
	limit = max(limit, 0)
	scan := math.MaxInt
	if limit <= (math.MaxInt-64)/4 {
		scan = 4*limit + 64
	}
	in := s[:min(len(s), scan)]
	cut := len(in) < len(s)

	var out strings.Builder
	out.Grow(min(limit, 3*len(in)) + len(Ellipsis))
	space := false   // a space is due before the next character
	invalid := false // the last character written was the U+FFFD of a run of invalid bytes
	// fits reports whether n more bytes, and the space due, fit; it writes the space.
	fits := func(n int) bool {
		need := n
		if space {
			need++
		}
		if out.Len()+need > limit {
			return false
		}
		if space {
			out.WriteByte(' ')
			space = false
		}
		return true
	}
	for i := 0; i < len(in); {
		c := in[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ' || '\t' <= c && c <= '\r':
				space, invalid = out.Len() > 0, false
				i++
				continue
			case c == 0x1b:
				i = skipEscape(in, i+1)
				continue
			case c < ' ' || c == 0x7f:
				i++
				continue
			}
			if !fits(1) {
				cut = true
				break
			}
			out.WriteByte(c)
			invalid = false
			i++
			continue
		}
		// At most UTFMax bytes are converted: a small conversion does not allocate.
		rest := string(in[i:min(len(in), i+utf8.UTFMax)])
		if len(in) < len(s) && !utf8.FullRuneInString(rest) {
			break // the scan limit split a character: it is part of what was cut
		}
		r, size := utf8.DecodeRuneInString(rest)
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			if invalid {
				continue
			}
			if !fits(len(string(utf8.RuneError))) {
				cut = true
				i = len(in)
				continue
			}
			out.WriteRune(utf8.RuneError)
			invalid = true
			continue
		case r == c1CSI:
			i = skipCSI(in, i)
			continue
		case r == c1OSC || r == c1DCS || r == c1SOS || r == c1PM || r == c1APC:
			i = skipString(in, i)
			continue
		case unicode.IsSpace(r): // before the C1 test: U+0085 NEL is a line break
			space, invalid = out.Len() > 0, false
			continue
		case r <= 0x9f || bidiControl(r):
			continue
		}
		if !fits(size) {
			cut = true
			break
		}
		out.WriteRune(r)
		invalid = false
	}
	if cut {
		out.WriteString(Ellipsis)
	}
	return out.String()
}

// skipEscape returns the index just past the escape sequence whose ESC is just before in[j].
// A lone ESC is just dropped.
func skipEscape[T string | []byte](in T, j int) int {
	if j >= len(in) {
		return j
	}
	switch c := in[j]; {
	case c == '[':
		return skipCSI(in, j+1)
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return skipString(in, j+1)
	case 0x20 <= c && c <= 0x2f: // intermediate bytes, then a final byte
		for j < len(in) && 0x20 <= in[j] && in[j] <= 0x2f {
			j++
		}
		if j < len(in) && 0x30 <= in[j] && in[j] <= 0x7e {
			j++
		}
		return j
	case 0x30 <= c && c <= 0x7e:
		return j + 1
	}
	return j
}

// skipCSI returns the index just past a control sequence whose introducer ends just before
// in[j]: parameter bytes, intermediate bytes, then a final byte (ECMA-48 §5.4). A sequence
// broken off by another byte ends before it.
func skipCSI[T string | []byte](in T, j int) int {
	for j < len(in) && 0x30 <= in[j] && in[j] <= 0x3f {
		j++
	}
	for j < len(in) && 0x20 <= in[j] && in[j] <= 0x2f {
		j++
	}
	if j < len(in) && 0x40 <= in[j] && in[j] <= 0x7e {
		j++
	}
	return j
}

// skipString returns the index just past a control string (OSC, DCS, SOS, PM, APC) whose
// introducer ends just before in[j]. It ends with BEL (as xterm accepts for OSC) or ST (ESC \ or
// U+009C). Any other C0 control but the format effectors (BS, HT, LF, VT, FF, CR), or an ESC
// that is not part of ST, ends it too, and is not skipped.
func skipString[T string | []byte](in T, j int) int {
	for j < len(in) {
		switch c := in[j]; {
		case c == 0x07:
			return j + 1
		case c == 0x1b:
			if j+1 < len(in) && in[j+1] == '\\' {
				return j + 2
			}
			return j
		case c == 0xc2 && j+1 < len(in) && in[j+1] == c1ST:
			return j + 2
		case c < 0x08 || 0x0d < c && c < ' ':
			return j
		}
		j++
	}
	return j
}

// Quote quotes s for an error message, Go-escaped (%q), cut to at most limit bytes of s at a
// rune boundary with Ellipsis after the quote when cut: for a value whose exact bytes matter (a
// header parameter, a claim, a key id), where Line would normalise them away. The cost is
// bounded by limit, whatever the length of s.
func Quote(s string, limit int) string {
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + Ellipsis
}
