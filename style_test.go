package paysession_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// maxCommentWidth is the one width comments are wrapped at, counting a tab as four columns.
const maxCommentWidth = 100

// TestCommentsWrapAtOneWidth keeps the handwritten code's comments within maxCommentWidth and
// free of references to files outside the repository (the research notes the code was written
// from are not shipped: comments cite the vendors' documentation instead). Lines that cannot be
// wrapped are exempt: a URL, a word of over 60 characters, a go: or nolint directive, indented
// code inside a comment, and the expected output of an Example.
func TestCommentsWrapAtOneWidth(t *testing.T) {
	out, err := exec.Command("git", "ls-files", "*.go").Output()
	require.NoError(t, err)
	var problems []string
	for _, name := range strings.Fields(string(out)) {
		if strings.HasPrefix(name, "gen/") || strings.HasSuffix(name, ".gen.go") {
			continue
		}
		f, err := os.Open(name)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		inOutput := false // in the // Output: block of an Example, whose lines are the output
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			text := strings.TrimLeft(line, " \t")
			if !strings.HasPrefix(text, "//") {
				inOutput = false
				continue
			}
			if strings.HasPrefix(text, "// Output:") || strings.HasPrefix(text, "// Unordered output:") {
				inOutput = true
			}
			if strings.Contains(text, "NOTES") || strings.Contains(text, "shared/reference") {
				problems = append(problems, name+":"+itoa(n)+": refers to research notes outside the repository")
			}
			width := utf8.RuneCountInString(strings.ReplaceAll(line, "\t", "    "))
			body := strings.TrimPrefix(text, "//")
			exempt := inOutput || strings.Contains(body, "://") || hasLongWord(body) || strings.HasPrefix(body, "go:") ||
				strings.HasPrefix(body, "nolint") || strings.HasPrefix(body, "\t") || strings.HasPrefix(body, "  ")
			if width > maxCommentWidth && !exempt {
				problems = append(problems, name+":"+itoa(n)+": comment is "+itoa(width)+" columns wide")
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	require.Empty(t, problems, "comments wrap at %d columns (a tab counts 4)", maxCommentWidth)
}

// hasLongWord reports whether s holds a word too long to wrap (a test vector, a hash).
func hasLongWord(s string) bool {
	for _, w := range strings.Fields(s) {
		if len(w) > 60 {
			return true
		}
	}
	return false
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
