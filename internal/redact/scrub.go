package redact

import (
	"cmp"
	"net/http"
	"slices"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MinScrubbed is the length from which a Scrubber replaces a credential wherever it occurs. A
// shorter credential is replaced only where it stands as a whole token: not preceded or
// followed by a letter, a digit or '_' (looking through one %XX or \uXXXX escape on either
// side). No real credential is that short, but a test or a misconfigured one can be; scrubbing
// it as a token still hides an echo of it ("token":"abc123") without cutting every word that
// happens to contain it ("status abc1234" keeps its "abc123").
const MinScrubbed = 8

// maxRefDigits is the longest digit run accepted in an HTML numeric character reference, and
// maxCharEncoding the longest encoding of one character a Scrubber recognises ("&#x" + 8
// digits + ";" is 12 bytes, four %XX bytes 12, a JSON surrogate pair 12, and
// "&DiacriticalGrave;" 18). HTML allows any number of leading zeros; a bound keeps both the
// scan and the tail that Truncated inspects bounded.
const (
	maxRefDigits    = 8
	maxCharEncoding = 18
)

// Scrubber replaces credentials in text that came from a peer, an answer's body or headers,
// with Placeholder, so that a server or proxy echoing a request cannot make an error or a log
// line show one.
//
// It finds each credential raw and in the encodings an echo puts text in, in any mixture
// within one occurrence, since it matches a credential character by character and accepts each
// character raw or encoded:
//   - JSON string escapes: \" \\ \/ \b \f \n \r \t, and \uXXXX in either case (a surrogate
//     pair for a character beyond U+FFFF), which is how encoding/json writes < > & and others;
//   - percent-encoding: %XX in either case for any byte, and + for a space;
//   - HTML character references: &#NNN; and &#xHHH; (x or X, hex in either case, up to 8
//     digits, the ';' optional as HTML parsers allow), and the named references HTML defines
//     for ASCII characters, such as &amp; &lt; &gt; &quot; &apos; &sol; &plus; &equals;.
//
// Other forms of a credential, its base64 or a Basic credential built from it, are
// credentials of their own: pass them to NewScrubber too.
//
// Scrubbing costs O(len(text) × total length of the credentials) at worst, and far less in
// practice: a byte at which no encoding of any credential can start is skipped by a table
// lookup, most others fail on their first or second character, and text holding no credential
// is returned without allocating. The zero Scrubber scrubs nothing. A Scrubber is safe for
// concurrent use; it keeps its credentials behind a func, so that no printer shows them.
type Scrubber struct {
	load func() *scrubSet
}

// scrubSet is what a Scrubber matches against.
type scrubSet struct {
	secrets []string  // longest first, so that a credential containing another is replaced whole
	start   [256]bool // the bytes at which an encoding of a credential can start
	tail    int       // the longest encoding of any credential, in bytes
}

// NewScrubber returns a Scrubber for secrets. Empty strings are ignored; a secret shorter
// than MinScrubbed is replaced only as a whole token.
func NewScrubber(secrets ...string) Scrubber {
	set := &scrubSet{}
	for _, s := range secrets {
		if s == "" || slices.Contains(set.secrets, s) {
			continue
		}
		set.secrets = append(set.secrets, s)
		set.start[s[0]] = true
		if s[0] == ' ' {
			set.start['+'] = true
		}
		set.tail = max(set.tail, maxCharEncoding*len(s))
	}
	if len(set.secrets) == 0 {
		return Scrubber{}
	}
	set.start['%'], set.start['\\'], set.start['&'] = true, true, true
	slices.SortStableFunc(set.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return Scrubber{load: func() *scrubSet { return set }}
}

// Scrub is NewScrubber(secrets...).Bytes(b), for a one-off scrub.
func Scrub(b []byte, secrets ...string) []byte { return NewScrubber(secrets...).Bytes(b) }

// Bytes returns b with every credential replaced by Placeholder. It returns b itself, without
// copying, when b holds none; otherwise a new slice, and b is not modified.
func (s Scrubber) Bytes(b []byte) []byte {
	if s.load == nil {
		return b
	}
	if out, changed := scrub(s.load(), b); changed {
		return out
	}
	return b
}

// String returns v with every credential replaced by Placeholder.
func (s Scrubber) String(v string) string {
	if s.load == nil {
		return v
	}
	if out, changed := scrub(s.load(), v); changed {
		return string(out)
	}
	return v
}

// Header returns a copy of h with every credential replaced by Placeholder, in the values and
// in the names (a reflecting server can put a credential into a header name too). Values whose
// names scrub to the same name are merged.
func (s Scrubber) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		scrubbed := make([]string, len(values))
		for i, v := range values {
			scrubbed[i] = s.String(v)
		}
		name = s.String(name)
		if prev, ok := out[name]; ok {
			scrubbed = append(prev, scrubbed...)
		}
		out[name] = scrubbed
	}
	return out
}

// Truncated scrubs b (as Bytes) when b is a body cut at a size limit, where the cut may have
// fallen inside a credential. It returns the longest prefix of the scrubbed b that does not end
// inside an encoding of a credential: no part of a credential, raw or encoded, is left at the
// end, not even the start of an escape ("%", "&#") that the rest of one could have followed.
// Usually that drops nothing or a few bytes; text made of nothing but such starts ("%%%%") can
// lose more. Each byte is examined at most once per credential. Like Bytes it returns b itself
// (possibly shortened) when there is nothing to replace.
func (s Scrubber) Truncated(b []byte) []byte {
	if s.load == nil {
		return b
	}
	set := s.load()
	if out, changed := scrub(set, b); changed {
		b = out
	}
	// If b[p:end] is unfinished, so is b[p:e] for every e between p and end: the next end to
	// try is p. An unfinished encoding is shorter than set.tail, so it starts in the last
	// set.tail bytes.
	end := len(b)
	for p := end - 1; p >= 0 && p >= end-set.tail; p-- {
		if set.start[b[p]] && set.partialAt(b[:end], p) {
			end = p
		}
	}
	return b[:end]
}

// partialAt reports whether b[p:] is an unfinished encoding of a credential (for a short one,
// at the start of a token).
func (set *scrubSet) partialAt(b []byte, p int) bool {
	for _, secret := range set.secrets {
		if !canStart(b[p], secret) {
			continue
		}
		if _, partial := match(b, p, secret); partial && (len(secret) >= MinScrubbed || !wordBefore(b, p)) {
			return true
		}
	}
	return false
}

// scrub returns b with every credential of set replaced, and whether there was any; out is
// nil when there was none.
func scrub[T string | []byte](set *scrubSet, b T) (out []byte, changed bool) {
	last := 0 // b[last:i] is not copied to out yet
	for i := 0; i < len(b); i++ {
		if !set.start[b[i]] {
			continue
		}
		end := matchAny(set, b, i)
		if end < 0 {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+len(Placeholder))
		}
		out = append(out, b[last:i]...)
		out = append(out, Placeholder...)
		last, i = end, end-1
	}
	if out == nil {
		return nil, false
	}
	return append(out, b[last:]...), true
}

// matchAny returns the end of the encoded credential that starts at b[i], or -1.
func matchAny[T string | []byte](set *scrubSet, b T, i int) int {
	c := b[i]
	esc, escaped := escapedValue(b, i)
	for _, secret := range set.secrets {
		switch {
		case c == secret[0] && canContinue(b, i, secret):
		case escaped && couldBe(esc, secret):
		default:
			continue
		}
		end, _ := match(b, i, secret)
		if end >= 0 && (len(secret) >= MinScrubbed || !wordBefore(b, i) && !wordAfter(b, end)) {
			return end
		}
	}
	return -1
}

// escapedValue is a quick test, before match, for the escapes: it returns what the escape at
// b[i] stands for (a byte for %XX, a character or a UTF-16 surrogate for the others, -1 for a
// named reference, not looked up here), or false when b[i] starts no complete escape.
func escapedValue[T string | []byte](b T, i int) (rune, bool) {
	switch b[i] {
	case '+':
		return ' ', true
	case '%':
		v, ok := hexAny(b, i+1, 2)
		return rune(v), ok
	case '\\':
		if i+1 < len(b) && b[i+1] == 'u' {
			v, ok := hexAny(b, i+2, 4)
			return rune(v), ok
		}
		if i+1 < len(b) {
			v, ok := jsonShortEscape(b[i+1])
			return rune(v), ok
		}
	case '&':
		if i+2 < len(b) && b[i+1] == '#' {
			base, j := uint32(10), i+2
			if b[j] == 'x' || b[j] == 'X' {
				base, j = 16, j+1
			}
			var v uint32
			start := j
			for ; j < len(b) && j-start < maxRefDigits; j++ {
				d, ok := digit(b[j], base)
				if !ok {
					break
				}
				v = v*base + d
			}
			return rune(v), j > start
		}
		return -1, i+1 < len(b)
	}
	return 0, false
}

// couldBe reports whether an escape standing for v (see escapedValue) can start secret.
func couldBe(v rune, secret string) bool {
	first, _ := utf8.DecodeRuneInString(secret)
	return v < 0 || v == rune(secret[0]) || v == first || 0xD800 <= v && v < 0xDC00
}

// canStart reports whether an encoding of secret can start with byte c.
func canStart(c byte, secret string) bool {
	return c == secret[0] || c == '%' || c == '\\' || c == '&' || c == '+' && secret[0] == ' '
}

// canContinue is a quick test, before match, for the common case of b[i] being the first byte
// of secret (not an escape): then b[i+1] must be its second byte or start an escape.
func canContinue[T string | []byte](b T, i int, secret string) bool {
	if len(secret) == 1 || b[i] != secret[0] || isEscapeStart(b[i]) {
		return true
	}
	if i+1 >= len(b) {
		return false
	}
	c := b[i+1]
	return c == secret[1] || isEscapeStart(c) || c == '+' && secret[1] == ' '
}

func isEscapeStart(c byte) bool { return c == '%' || c == '\\' || c == '&' }

// match matches secret at b[i:], character by character, each raw or in one of the encodings
// (see Scrubber). Several ways to read the text can be alive at once (a '%' in the secret
// matches "%" and "%25"), so it tracks the set of positions in b that the characters matched so
// far can end at. end is the end of the longest match, or -1; partial says that b ends inside
// a possible match, that is, that b[i:] is an unfinished encoding of secret.
func match[T string | []byte](b T, i int, secret string) (end int, partial bool) {
	var bufA, bufB [8]int
	cur, next := append(bufA[:0], i), bufB[:0]
	for k := 0; k < len(secret); {
		r, size := utf8.DecodeRuneInString(secret[k:])
		raw := secret[k : k+size]
		valid := r != utf8.RuneError || size > 1
		next = next[:0]
		for _, t := range cur {
			ends, n, part := charEnds(b, t, r, raw, valid)
			partial = partial || part
			for _, e := range ends[:n] {
				if !slices.Contains(next, e) {
					next = append(next, e)
				}
			}
		}
		if len(next) == 0 {
			return -1, partial
		}
		cur, next = next, cur
		k += size
	}
	return slices.Max(cur), partial
}

// charEnds returns where the encodings of one character (r, whose UTF-8 is raw; valid is false
// for a byte of invalid UTF-8, which only has the raw and percent forms) that start at b[t]
// end: at most two, since only the raw form can start with the same byte as an escape. partial
// says b ends inside one.
func charEnds[T string | []byte](b T, t int, r rune, raw string, valid bool) (ends [2]int, n int, partial bool) {
	if t >= len(b) {
		return ends, 0, true
	}
	add := func(end int, part bool) {
		if end >= 0 {
			ends[n] = end
			n++
		}
		partial = partial || part
	}
	c := b[t]
	if len(raw) == 1 {
		if c == raw[0] || c == '+' && raw[0] == ' ' {
			add(t+1, false)
		}
		if c == '%' {
			add(hexEnd(b, t+1, uint32(raw[0]), 2))
		}
	} else {
		add(bytewiseEnd(b, t, raw))
	}
	if !valid {
		return ends, n, partial
	}
	switch c {
	case '\\':
		add(jsonEnd(b, t, r))
	case '&':
		add(htmlEnd(b, t, r))
	}
	return ends, n, partial
}

// bytewiseEnd matches the bytes of a multi-byte character, each raw or as %XX.
func bytewiseEnd[T string | []byte](b T, t int, raw string) (end int, partial bool) {
	for k := 0; k < len(raw); k++ {
		switch {
		case t >= len(b):
			return -1, true
		case b[t] == raw[k]:
			t++
		case b[t] == '%':
			if t, partial = hexEnd(b, t+1, uint32(raw[k]), 2); t < 0 {
				return -1, partial
			}
		default:
			return -1, false
		}
	}
	return t, false
}

// hexEnd matches n hex digits (either case) spelling want at b[at:].
func hexEnd[T string | []byte](b T, at int, want uint32, n int) (end int, partial bool) {
	for j := range n {
		if at+j >= len(b) {
			return -1, true
		}
		d, ok := digit(b[at+j], 16)
		if !ok || d != want>>(4*(n-1-j))&0xF {
			return -1, false
		}
	}
	return at + n, false
}

// jsonEnd matches a JSON string escape of r at b[t], which is a backslash.
func jsonEnd[T string | []byte](b T, t int, r rune) (end int, partial bool) {
	if t+1 >= len(b) {
		return -1, true
	}
	if e := b[t+1]; e != 'u' {
		if v, ok := jsonShortEscape(e); ok && rune(v) == r {
			return t + 2, false
		}
		return -1, false
	}
	if r < 0x10000 {
		return hexEnd(b, t+2, uint32(r), 4)
	}
	hi, lo := utf16.EncodeRune(r)
	if end, partial = hexEnd(b, t+2, uint32(hi), 4); end < 0 {
		return -1, partial
	}
	for j, want := range []byte{'\\', 'u'} {
		if end+j >= len(b) {
			return -1, true
		}
		if b[end+j] != want {
			return -1, false
		}
	}
	return hexEnd(b, end+2, uint32(lo), 4)
}

// jsonShortEscape returns the character that \e stands for in a JSON string.
func jsonShortEscape(e byte) (byte, bool) {
	switch e {
	case '"', '\\', '/':
		return e, true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

// htmlEnd matches an HTML character reference to r at b[t], which is an ampersand.
func htmlEnd[T string | []byte](b T, t int, r rune) (end int, partial bool) {
	j := t + 1
	if j >= len(b) {
		return -1, true
	}
	if b[j] != '#' {
		return namedEnd(b, j, r)
	}
	j++
	if j >= len(b) {
		return -1, true
	}
	base := uint32(10)
	if b[j] == 'x' || b[j] == 'X' {
		base = 16
		j++
	}
	var v uint32
	start := j
	for ; j < len(b); j++ {
		d, ok := digit(b[j], base)
		if !ok {
			break
		}
		if j-start == maxRefDigits {
			return -1, false
		}
		v = v*base + d
	}
	// At the end of b more digits could follow: an unfinished reference to r if appending
	// digits to v can give r.
	partial = j == len(b) && couldBecome(v, uint32(r), base)
	if j == start || v != uint32(r) {
		return -1, partial
	}
	if j < len(b) && b[j] == ';' {
		j++
	}
	return j, partial
}

// couldBecome reports whether appending base digits to v can give r.
func couldBecome(v, r, base uint32) bool {
	for q := r / base; ; q /= base {
		if q == v {
			return true
		}
		if q == 0 {
			return false
		}
	}
}

// namedEnd matches a named character reference to r at b[j:], just after the ampersand. The
// ';' is required except for the legacy names that HTML parsers accept without it.
func namedEnd[T string | []byte](b T, j int, r rune) (end int, partial bool) {
	if r >= 0x80 {
		return -1, false
	}
	for _, name := range entityNames[r] {
		k := 0
		for k < len(name) && j+k < len(b) && b[j+k] == name[k] {
			k++
		}
		switch e := j + k; {
		case k < len(name):
			partial = partial || e == len(b)
		case e < len(b) && b[e] == ';':
			return e + 1, partial
		case legacyEntity(name):
			return e, partial || e == len(b)
		default:
			partial = partial || e == len(b)
		}
	}
	return -1, partial
}

// entityNames are the HTML named character references of the ASCII characters
// (https://html.spec.whatwg.org/multipage/named-characters.html).
var entityNames = [128][]string{
	'\t': {"Tab"}, '\n': {"NewLine"}, '!': {"excl"}, '"': {"quot", "QUOT"}, '#': {"num"},
	'$': {"dollar"}, '%': {"percnt"}, '&': {"amp", "AMP"}, '\'': {"apos"}, '(': {"lpar"},
	')': {"rpar"}, '*': {"ast", "midast"}, '+': {"plus"}, ',': {"comma"}, '.': {"period"},
	'/': {"sol"}, ':': {"colon"}, ';': {"semi"}, '<': {"lt", "LT"}, '=': {"equals"},
	'>': {"gt", "GT"}, '?': {"quest"}, '@': {"commat"}, '[': {"lsqb", "lbrack"},
	'\\': {"bsol"}, ']': {"rsqb", "rbrack"}, '^': {"Hat"}, '_': {"lowbar", "UnderBar"},
	'`': {"grave", "DiacriticalGrave"}, '{': {"lcub", "lbrace"},
	'|': {"verbar", "vert", "VerticalLine"}, '}': {"rcub", "rbrace"},
}

// legacyEntity reports whether HTML parsers accept the named reference without its ';'.
func legacyEntity(name string) bool {
	switch name {
	case "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT":
		return true
	}
	return false
}

// digit returns the value of c as a digit in base 10 or 16 (either case).
func digit(c byte, base uint32) (uint32, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint32(c - '0'), true
	case base == 16 && 'a' <= c && c <= 'f':
		return uint32(c-'a') + 10, true
	case base == 16 && 'A' <= c && c <= 'F':
		return uint32(c-'A') + 10, true
	}
	return 0, false
}

// wordBefore reports whether the character before b[i] is a letter, a digit or '_', looking
// through a %XX or \uXXXX escape.
func wordBefore[T string | []byte](b T, i int) bool {
	if i == 0 {
		return false
	}
	if i >= 3 && b[i-3] == '%' {
		if v, _ := hexAny(b, i-2, 2); v >= 0 {
			return isWord(rune(v))
		}
	}
	if i >= 6 && b[i-6] == '\\' && b[i-5] == 'u' {
		if v, _ := hexAny(b, i-4, 4); v >= 0 {
			return isWord(rune(v))
		}
	}
	r, _ := utf8.DecodeLastRuneInString(string(b[max(0, i-utf8.UTFMax):i]))
	return isWord(r)
}

// wordAfter reports whether the character at b[i] is a letter, a digit or '_', looking
// through a %XX or \uXXXX escape.
func wordAfter[T string | []byte](b T, i int) bool {
	if i >= len(b) {
		return false
	}
	if b[i] == '%' {
		if v, _ := hexAny(b, i+1, 2); v >= 0 {
			return isWord(rune(v))
		}
	}
	if b[i] == '\\' && i+1 < len(b) && b[i+1] == 'u' {
		if v, _ := hexAny(b, i+2, 4); v >= 0 {
			return isWord(rune(v))
		}
	}
	r, _ := utf8.DecodeRuneInString(string(b[i:min(len(b), i+utf8.UTFMax)]))
	return isWord(r)
}

// hexAny returns the value of the n hex digits at b[at:], or -1.
func hexAny[T string | []byte](b T, at, n int) (int, bool) {
	if at+n > len(b) {
		return -1, false
	}
	v := 0
	for j := range n {
		d, ok := digit(b[at+j], 16)
		if !ok {
			return -1, false
		}
		v = v<<4 | int(d)
	}
	return v, true
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
