package wwwform

import (
	"regexp"
	"slices"
	"testing"
)

func TestSortedQuery(t *testing.T) {
	// Expected values: Node 20, `p = new URL("https://h/p?" + q).searchParams; p.sort(); p.toString()`.
	tests := map[string]string{
		"":                      "",
		"c=4&a=2&b=3&a=1":       "a=2&a=1&b=3&c=4",
		"a=~*'!()&b=%7e%2a":     "a=%7E*%27%21%28%29&b=%7E*",
		"x=%zz&y=%&z=%4":        "x=%25zz&y=%25&z=%254",
		"k":                     "k=",
		"=v":                    "=v",
		"&&a=1&&":               "a=1",
		"a=1=2":                 "a=1%3D2",
		"%E2%82&b=%C3":          "b=%EF%BF%BD&%EF%BF%BD=",
		"q=%20+%2B":             "q=++%2B",
		"%ED%A0%80=x":           "%EF%BF%BD%EF%BF%BD%EF%BF%BD=x",
		"a=b;c=d":               "a=b%3Bc%3Dd",
		"%61=A":                 "a=A",
		"ä=ö&Z=1":               "Z=1&%C3%A4=%C3%B6",
		"time=2024-05-06T07:08": "time=2024-05-06T07%3A08",
		// U+1F600 (surrogates D83D DE00) sorts before U+E000 and U+FF21 in UTF-16 order,
		// although its UTF-8 bytes sort after them.
		"%EF%BC%A1=3&%EE%80%80=2&%F0%9F%98%80=1": "%F0%9F%98%80=1&%EE%80%80=2&%EF%BC%A1=3",
		"%F0%80%80%80=x&%C0%AF=y&%F4%90%80%80=z&%E0%80=w": "%EF%BF%BD%EF%BF%BD=y&%EF%BF%BD%EF%BF%BD=w&" +
			"%EF%BF%BD%EF%BF%BD%EF%BF%BD%EF%BF%BD=x&%EF%BF%BD%EF%BF%BD%EF%BF%BD%EF%BF%BD=z",
	}
	for in, want := range tests {
		if got := SortedQuery(in); got != want {
			t.Errorf("SortedQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

var urlencodedAlphabet = regexp.MustCompile(`^[A-Za-z0-9*\-._+%=&]*$`)

func FuzzSortedQuery(f *testing.F) {
	for _, q := range []string{
		"transaction_id=T1&session_id=T2&merchant_reference=order+42&time=2024-05-06T07:08:09Z",
		"c=4&a=2&b=3&a=1", "x=%zz&y=%", "%E2%82&b=%C3", "ä=ö", "&&=&",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		c := SortedQuery(q)
		if !urlencodedAlphabet.MatchString(c) {
			t.Fatalf("SortedQuery(%q) = %q has characters outside the urlencoded alphabet", q, c)
		}
		if again := SortedQuery(c); again != c {
			t.Fatalf("not idempotent: %q → %q → %q", q, c, again)
		}
	})
}

func TestParse(t *testing.T) {
	// Expected values: Node 20, `[...new URLSearchParams(q)]`.
	got := Parse("b=2&a=x+y&b=1&c=%zz&&d&=e&a=%C3%A4;f")
	want := map[string][]string{
		"b": {"2", "1"},
		"a": {"x y", "ä;f"},
		"c": {"%zz"},
		"d": {""},
		"":  {"e"},
	}
	if len(got) != len(want) {
		t.Fatalf("Parse = %q, want %q", got, want)
	}
	for name, values := range want {
		if !slices.Equal(got[name], values) {
			t.Errorf("Parse: %q = %q, want %q", name, got[name], values)
		}
	}
	if got := Parse(""); len(got) != 0 {
		t.Errorf("Parse(\"\") = %q, want no pairs", got)
	}
}
