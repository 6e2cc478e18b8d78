package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/davecgh/go-spew/spew"
	"github.com/stretchr/testify/assert"
)

// TestSecretRawDump: printers that bypass String and Format, fmt on an unexported field and
// go-spew with DisableMethods (as testify's diffs use), show no value either.
func TestSecretRawDump(t *testing.T) {
	const value = "sk_live_ThisMustNotLeak"
	type inner struct {
		ID     string
		secret Secret
	}
	type outer struct{ in inner }
	o := outer{in: inner{ID: "id", secret: NewSecret(value)}}
	raw := spew.ConfigState{DisableMethods: true, DisablePointerMethods: true, Indent: " "}
	for _, out := range []string{
		fmt.Sprintf("%v %+v", o, o),
		fmt.Sprintf("%v %+v", &o, &o),
		raw.Sdump(o),
		raw.Sdump(&o),
		spew.Sdump(o),
	} {
		assert.NotContains(t, out, value)
		assert.NotContains(t, out, "ThisMustNotLeak")
	}
	assert.Equal(t, value, o.in.secret.Reveal())
}

func TestSecretZero(t *testing.T) {
	var zero Secret
	assert.True(t, zero.IsZero())
	assert.Empty(t, zero.Reveal())
	assert.True(t, NewSecret("").IsZero())
	assert.False(t, NewSecret("x").IsZero())
	assert.Equal(t, Placeholder, fmt.Sprint(zero))
}

func TestSecretNeverPrints(t *testing.T) {
	const value = "sk_live_ThisMustNotLeak"
	type config struct {
		ID     string
		Secret Secret
		Ptr    *Secret
	}
	s := NewSecret(value)
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

type config struct{ key string }

func (c config) String() string                { return "config{key: " + Placeholder + "}" }
func (c config) GoString() string              { return "redact.config{key: " + Placeholder + "}" }
func (c config) Format(f fmt.State, verb rune) { Format(f, verb, c.String(), c.GoString()) }

func TestFormatEveryVerb(t *testing.T) {
	c := config{key: "sk_live_ThisMustNotLeak"}
	assert.Equal(t, "config{key: [redacted]}", fmt.Sprintf("%v", c))
	assert.Equal(t, "config{key: [redacted]}", fmt.Sprintf("%+v", c))
	assert.Equal(t, "redact.config{key: [redacted]}", fmt.Sprintf("%#v", c))
	assert.Equal(t, `"config{key: [redacted]}"`, fmt.Sprintf("%q", c))
	assert.Equal(t, "config{key: [redacted]}", fmt.Sprintf("%x", c))
	assert.Equal(t, "config{key: [redacted]}", fmt.Sprintf("%d", &c))
}
