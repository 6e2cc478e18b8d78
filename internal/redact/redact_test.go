package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "sk_live_ThisMustNotLeak"
	type config struct {
		ID     string
		Secret Secret
		Ptr    *Secret
	}
	s := Secret(value)
	c := config{ID: "id", Secret: s, Ptr: &s}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "secret", s, "config", c)
	b, err := json.Marshal(c)
	assert.NoError(t, err)

	outputs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v|%+v|%#v|%s|%q|%x|%X|%d", s, s, s, s, s, s, s, s),
		fmt.Sprintf("%v|%+v|%#v", c, c, c), fmt.Sprintf("%v|%+v", &c, &c),
		string(b), logged.String(),
	}
	for _, out := range outputs {
		assert.NotContains(t, out, value)
		assert.Contains(t, out, Placeholder)
	}
	assert.Equal(t, value, s.Reveal())
}
