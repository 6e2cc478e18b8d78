package specformat_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paysession/paysession-go/internal/specformat"
)

func TestFormats(t *testing.T) {
	cases := map[string]struct{ good, bad []string }{
		"iso4217-code": {
			good: []string{"NOK", "EUR", "JPY"},
			bad:  []string{"", "nok", "KRONER", "NO", "N0K", "NOK "},
		},
		"iso3166-alpha2": {
			good: []string{"NO", "SE"},
			bad:  []string{"", "no", "NOR", "N0"},
		},
		"iso-3166-1": {
			good: []string{"NO", "NOR", "578"},
			bad:  []string{"", "N", "NORW", "57", "5788", "nor", "N7R"},
		},
		"iso-18245": {
			good: []string{"5411", "0742"},
			bad:  []string{"", "541", "54111", "54a1"},
		},
		"uri": {
			good: []string{"https://shop.example/return", "http://127.0.0.1:8080/cb?x=1", "myapp://checkout/return",
				"HTTPS://shop.example", "urn:isbn:0451450523"},
			bad: []string{"", "not a url", "/relative/path", "shop.example/return", "https://", "https:///path",
				"https:shop.example", "https://shop.example/a b", "1http://x", "ht tp://x", ":x", "x:", "https://x\n"},
		},
		"http-url": {
			good: []string{"https://shop.example/cb?method=POST", "http://127.0.0.1:8080/x", "HTTPS://shop.example"},
			bad:  []string{"", "myapp://return", "ftp://shop.example", "https://", "shop.example", "https://a b"},
		},
		"email": {
			good: []string{"kari@example.no", "a.b+tag@sub.example.com"},
			bad:  []string{"", "kari", "@example.no", "kari@", "kari@example", "kari@@example.no", "ka ri@example.no", "kari@example.no.", "kari@.no", "<kari@example.no>"},
		},
		"phone": {
			good: []string{"+4799999999", "99999999", "12345", "+123456789012345"},
			bad:  []string{"", "+47 999 99 999", "1234", "+1234567890123456", "phone", "++4799999999"},
		},
		"uuid": {
			good: []string{"7f9c3b8e-9a55-4d1e-8d0e-0c6f3c1b2a10", "7F9C3B8E-9A55-4D1E-8D0E-0C6F3C1B2A10"},
			bad:  []string{"", "7f9c3b8e9a554d1e8d0e0c6f3c1b2a10", "7f9c3b8e-9a55-4d1e-8d0e-0c6f3c1b2a1g", "7f9c3b8e-9a55-4d1e-8d0e_0c6f3c1b2a10"},
		},
		"checkout-id": {
			good: []string{"T12345678.4eY9fz6JGwNnPcD8DqCYPs", "P00000000.a"},
			bad:  []string{"", "T12345678.", "X12345678.abc", "T1234567.abc", "T12345678-abc", "T12345678.ab/c", "T12345678.../x"},
		},
	}
	for format, c := range cases {
		t.Run(format, func(t *testing.T) {
			assert.True(t, specformat.Known(format))
			for _, s := range c.good {
				assert.NoError(t, specformat.Check(format, s), "%q", s)
			}
			for _, s := range c.bad {
				assert.Error(t, specformat.Check(format, s), "%q", s)
			}
		})
	}
	assert.Len(t, specformat.Checks(), len(cases), "every format has a case here")
}

func TestUnknownFormatsAreNotChecked(t *testing.T) {
	assert.False(t, specformat.Known("payout_destination_id"))
	assert.NoError(t, specformat.Check("payout_destination_id", "anything at all"))
}

func TestHTTPURL(t *testing.T) {
	assert.True(t, specformat.HTTPURL("https://shop.example"))
	assert.True(t, specformat.HTTPURL("HTTP://shop.example"))
	assert.False(t, specformat.HTTPURL("myapp://return"))
	assert.False(t, specformat.HTTPURL("no scheme"))
}

// The checks run on every request the client sends: a valid value costs no allocation.
func TestChecksDoNotAllocate(t *testing.T) {
	values := map[string]string{
		"iso4217-code": "NOK", "iso3166-alpha2": "NO", "iso-3166-1": "NOR", "iso-18245": "5411",
		"uri": "https://shop.example/return?order=1", "http-url": "https://shop.example/cb", "email": "kari@example.no", "phone": "+4799999999",
		"uuid": "7f9c3b8e-9a55-4d1e-8d0e-0c6f3c1b2a10", "checkout-id": "T12345678.4eY9fz6JGwNnPcD8DqCYPs",
	}
	for format, v := range values {
		allocs := testing.AllocsPerRun(100, func() {
			if err := specformat.Check(format, v); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, format)
	}
}
