package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestQuickstartAgainstFakes runs the whole program as `go run ./examples/quickstart` does on
// a machine without credentials, and checks that every step of the flow is reported.
func TestQuickstartAgainstFakes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, env(nil)))
	text := out.String()
	t.Log("\n" + text)

	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Dintero Checkout \(in-process fake dinterotest; set DINTERO_\* to use the real API\)$`),
		regexp.MustCompile(`(?m)^  created   T12345678\.\w+ \(send the customer to http://\S+\)$`),
		regexp.MustCompile(`(?m)^  fetched   T12345678\.\w+: 299\.00 NOK, reference quickstart-\d+, created$`),
		regexp.MustCompile(`(?m)^  updated   T12345678\.\w+: 397\.00 NOK, 2 lines$`),
		regexp.MustCompile(`(?m)^  listed    1 session\(s\) matching "quickstart-\d+", ours included$`),
		regexp.MustCompile(`(?m)^  cancelled T12345678\.\w+ at \d{4}-\d\d-\d\dT`),
		regexp.MustCompile(`(?m)^  handled   the expected error for a missing session: 404 \S+$`),
		regexp.MustCompile(`(?m)^CyberSource Flex API v2 \(in-process fake cyberflextest, JWT authentication; set CYBERSOURCE_\* to use the real sandbox\)$`),
		regexp.MustCompile(`(?m)^  generated a capture context \(\d+ bytes\), valid until \d{4}-`),
		regexp.MustCompile(`(?m)^  verified  with key "\w+"; required fields: paymentInformation\.card\.expirationMonth, paymentInformation\.card\.expirationYear, paymentInformation\.card\.number$`),
		regexp.MustCompile(`(?m)^  handled   the expected error for a tampered capture context: cyberflex: invalid capture context`),
		regexp.MustCompile(`(?m)^  tokenized a test card: XXXXXXXXXXXX1111 \(BIN 411111, type 001, expires 12/2031\)$`),
		regexp.MustCompile(`(?m)^  verified  the transient token \(issuer Flex/\d\d\), valid until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; pay with "tokenInformation": \d+ bytes$`),
		regexp.MustCompile(`(?m)^Done\.$`),
	} {
		assert.Regexp(t, want, text)
	}
	assert.LessOrEqual(t, strings.Count(text, "\n"), 20, "the output stays short")
	for _, card := range []string{"4111111111111111", "4111 1111 1111 1111", "1111 1111"} {
		assert.NotContains(t, text, card, "only the masked card number is printed")
	}
}

func TestQuickstartRefusesHalfConfiguredCredentials(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		missing string
	}{
		{"dintero", map[string]string{"DINTERO_ACCOUNT_ID": "T12345678", "DINTERO_CLIENT_SECRET": "s3cr3t-value"}, "missing: DINTERO_CLIENT_ID"},
		{"cyberflex", map[string]string{"CYBERSOURCE_MERCHANT_ID": "m", "CYBERSOURCE_SECRET_KEY": "s3cr3t-value"}, "missing: CYBERSOURCE_KEY_ID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), &out, env(tt.env))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.missing)
			assert.NotContains(t, err.Error()+out.String(), "s3cr3t-value")
			assert.Empty(t, out.String(), "nothing runs with half a configuration")
		})
	}
}
