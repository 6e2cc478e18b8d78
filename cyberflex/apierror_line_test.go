package cyberflex

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestAPIErrorTextIsOneCleanLine: what the server sent reaches Error() without line breaks,
// terminal escape sequences or bidi controls, so it can neither forge log lines nor act on a
// terminal.
func TestAPIErrorTextIsOneCleanLine(t *testing.T) {
	hostile := "\x1b]0;owned\x07\x1b[31mred\x1b[0m\u202e txt\r\nlevel=ERROR msg=forged"
	for _, e := range []*APIError{
		{Operation: opGenerate, StatusCode: 400, Reason: hostile, Message: hostile, CorrelationID: hostile},
		{Operation: opGenerate, StatusCode: 502, Body: []byte(hostile), CorrelationID: hostile},
	} {
		msg := e.Error()
		assert.Contains(t, msg, "red txt level=ERROR msg=forged")
		assert.False(t, strings.ContainsAny(msg, "\x1b\x07\r\n\u202e"), "%q", msg)
	}
}
