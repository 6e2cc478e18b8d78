package untrusted

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

func TestLine(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		limit    int
		want     string
	}{
		{"plain text is kept", "bad request", 100, "bad request"},
		{"empty", "", 10, ""},
		{"white space runs become one space, trimmed", " \t a \r\n\n b\v\fc  ", 100, "a b c"},
		{"Unicode line and paragraph separators", "a\u2028b\u2029c\u0085d\u00a0e", 100, "a b c d e"},
		{"control characters are removed", "a\x00b\x07c\x7fd\u0080e\u009cf", 100, "abcdef"},
		{"invalid UTF-8 becomes U+FFFD, once per run", "a\xff\xfeb\xc3", 100, "a\uFFFDb\uFFFD"},
		{"runs of invalid UTF-8 apart", "\xff\xfe \xff\x00\xff", 100, "\uFFFD \uFFFD"},
		{"U+FFFD itself is kept", "a\uFFFDb", 100, "a\uFFFDb"},
		{"CSI colour", "\x1b[31;1mred\x1b[0m text", 100, "red text"},
		{"CSI private mode", "\x1b[?25lhidden cursor", 100, "hidden cursor"},
		{"CSI cut off by another byte", "\x1b[31\x00x", 100, "x"},
		{"OSC title ended by BEL", "\x1b]0;owned\x07text", 100, "text"},
		{"OSC 8 hyperlink ended by ST", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\ here", 100, "click here"},
		{"OSC never ended", "before \x1b]0;title and all the rest", 100, "before"},
		{"DCS, SOS, PM and APC strings", "a\x1bPdcs\x1b\\b\x1bXsos\x07c\x1b^pm\x1b\\d\x1b_apc\x1b\\e", 100, "abcde"},
		{"two- and three-byte escapes", "\x1bcreset \x1b(Bcharset \x1b7saved", 100, "reset charset saved"},
		{"a lone ESC", "a\x1b", 100, "a"},
		{"an ESC ends a control string and starts its own sequence", "\x1b]0;t\x1b[1mx", 100, "x"},
		{"C1 CSI and OSC", "\u009b31mred \u009d0;title\u009cok", 100, "red ok"},
		{"bidi overrides, isolates and marks", "abc\u202edcba\u202c \u2067x\u2069\u200e\u200f\u061c!", 100, "abcdcba x!"},
		{"cut at the limit", "hello world", 5, "hello…"},
		{"no trailing space before the cut", "hello world", 6, "hello…"},
		{"exact fit is not cut", "hello world", 11, "hello world"},
		{"cut on a character boundary", "héllo", 2, "h…"},
		{"cut before a 4-byte character", "😀😀", 5, "😀…"},
		{"limit 0", "abc", 0, "…"},
		{"limit 0, nothing visible", " \n\t ", 0, ""},
		{"negative limit", "abc", -5, "…"},
		{"text beyond the scan limit counts as cut", strings.Repeat(" ", 200) + "tail", 10, "…"},
		{"a character split by the scan limit is cut, not replaced", strings.Repeat("\x00", 71) + "é", 2, "…"},
		{"whitespace-dense", strings.Repeat("a ", 100), 10, "a a a a a…"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Line(tt.in, tt.limit))
			assert.Equal(t, tt.want, LineBytes([]byte(tt.in), tt.limit))
		})
	}
}

// TestLineLooksAtABoundedPrefix: what follows the first 4*limit+64 bytes is never looked at,
// so a visible tail after megabytes of white space does not make it into the line.
func TestLineLooksAtABoundedPrefix(t *testing.T) {
	big := strings.Repeat(" \n", 4<<20) + "tail"
	assert.Equal(t, "…", Line(big, 100))
	assert.Equal(t, "…", LineBytes([]byte(big), 100))
}

func TestLineCleanStringDoesNotAllocate(t *testing.T) {
	s := "bad request: amount must be positive"
	assert.Same(t, unsafe.StringData(s), unsafe.StringData(Line(s, 100)), "s itself")
	assert.Zero(t, testing.AllocsPerRun(100, func() { Line(s, 100) }))
}

// hostileBodies are 8 KiB and 8 MiB versions of bodies that would cost much if the whole body
// were normalised first: white space, newlines, one visible byte in two, escape sequences.
func hostileBodies(size int) map[string][]byte {
	return map[string][]byte{
		"spaces":   bytes.Repeat([]byte(" "), size),
		"newlines": bytes.Repeat([]byte("\r\n"), size/2),
		"a-space":  bytes.Repeat([]byte("a "), size/2),
		"escapes":  bytes.Repeat([]byte("\x1b[31m"), size/5),
		"invalid":  bytes.Repeat([]byte{0xff}, size),
	}
}

// TestLineCostIsBoundedByLimit: the allocations (count and bytes) are the same for an 8 KiB and
// an 8 MiB body, and small.
func TestLineCostIsBoundedByLimit(t *testing.T) {
	const limit = 200
	for name := range hostileBodies(8) {
		t.Run(name, func(t *testing.T) {
			small, big := hostileBodies(8 << 10)[name], hostileBodies(8 << 20)[name]
			assert.LessOrEqual(t, testing.AllocsPerRun(20, func() { LineBytes(big, limit) }), 1.0)
			smallBytes, bigBytes := allocatedPerCall(small, limit), allocatedPerCall(big, limit)
			assert.LessOrEqual(t, bigBytes, uint64(2*limit), "8 MiB body")
			assert.LessOrEqual(t, bigBytes, smallBytes+64, "8 MiB vs 8 KiB body")
		})
	}
}

func allocatedPerCall(b []byte, limit int) uint64 {
	const runs = 50
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		LineBytes(b, limit)
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func BenchmarkLine(b *testing.B) {
	for _, size := range []int{8 << 10, 8 << 20} {
		for name, body := range hostileBodies(size) {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					LineBytes(body, 200)
				}
			})
		}
	}
}

// FuzzLine checks the promises of Line on any input: valid UTF-8, one line, nothing a terminal
// acts on, no doubled or outer spaces, the length bound, and that a line is its own Line.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "plain", " a \r\n b ", "\x1b[31mred\x1b]0;t\x07", "a\xffb\u202e", "😀 é\u2028x"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit = (limit%300 + 300) % 300
		out := Line(s, limit)
		if b := LineBytes([]byte(s), limit); b != out {
			t.Fatalf("Line and LineBytes differ: %q, %q", out, b)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Line(%q, %d) = %q: invalid UTF-8", s, limit, out)
		}
		if len(out) > limit+len(Ellipsis) {
			t.Fatalf("Line(%q, %d) = %q: %d bytes", s, limit, out, len(out))
		}
		if strings.Contains(out, "  ") || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") {
			t.Fatalf("Line(%q, %d) = %q: doubled or outer space", s, limit, out)
		}
		for _, r := range out {
			if r < ' ' || 0x7f <= r && r <= 0x9f || bidiControl(r) || r != ' ' && strings.ContainsRune("\u2028\u2029\u00a0", r) {
				t.Fatalf("Line(%q, %d) = %q holds %U", s, limit, out, r)
			}
		}
		if again := Line(out, len(out)); again != out {
			t.Fatalf("Line(%q) = %q, not the same line", out, again)
		}
	})
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"abc", 10, `"abc"`},
		{"a\nb\x1b", 10, `"a\nb\x1b"`},
		{"abcdefghij", 4, `"abcd"…`},
		{"aéb", 2, `"a"…`}, // never half a rune
		{"\xff\xfe", 10, `"\xff\xfe"`},
	} {
		if got := Quote(tc.in, tc.limit); got != tc.want {
			t.Errorf("Quote(%q, %d) = %s, want %s", tc.in, tc.limit, got, tc.want)
		}
	}
	huge := strings.Repeat("x", 8<<20)
	if allocs := testing.AllocsPerRun(10, func() { _ = Quote(huge, 40) }); allocs > 3 {
		t.Errorf("Quote of 8 MiB: %.0f allocations, want a bound independent of the input", allocs)
	}
}
