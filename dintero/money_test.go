package dintero_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
)

func TestCurrencyExponent(t *testing.T) {
	for code, want := range map[string]int{
		"NOK": 2, "SEK": 2, "DKK": 2, "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "PLN": 2,
		"ISK": 0, "JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "XOF": 0,
		"BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
		"CLF": 4, "UYW": 4,
		"nok": 2, "Jpy": 0, // any case
	} {
		got, ok := dintero.CurrencyExponent(code)
		assert.True(t, ok, code)
		assert.Equal(t, want, got, code)
	}
	for _, code := range []string{"", "NO", "NOKK", "XXX", "XAU", "XDR", "ABC", "N0K", "NOK ", "ÅÆØ", "\x00\x00\x00"} {
		_, ok := dintero.CurrencyExponent(code)
		assert.False(t, ok, "%q", code)
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{29900, "NOK", "299.00"},
		{29970, "NOK", "299.70"},
		{1, "NOK", "0.01"},
		{10, "EUR", "0.10"},
		{0, "NOK", "0.00"},
		{-150, "SEK", "-1.50"},
		{-1, "SEK", "-0.01"},
		{500, "JPY", "500"},
		{0, "JPY", "0"},
		{-7, "ISK", "-7"},
		{1234, "KWD", "1.234"},
		{5, "BHD", "0.005"},
		{12345, "CLF", "1.2345"},
		{29900, "nok", "299.00"},
		{math.MaxInt64, "NOK", "92233720368547758.07"},
		{math.MinInt64, "NOK", "-92233720368547758.08"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
	}
	for _, tt := range tests {
		got, err := dintero.FormatAmount(tt.minor, tt.currency)
		require.NoError(t, err, "%d %s", tt.minor, tt.currency)
		assert.Equal(t, tt.want, got, "%d %s", tt.minor, tt.currency)
	}
}

func TestFormatAmountUnknownCurrency(t *testing.T) {
	for _, currency := range []string{"", "XXX", "kroner", strings.Repeat("N", 10_000)} {
		s, err := dintero.FormatAmount(100, currency)
		assert.ErrorIs(t, err, dintero.ErrInvalidInput, "%.10q", currency)
		assert.Empty(t, s)
		assert.Less(t, len(err.Error()), 200, "the error quotes a bounded part of the input")
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		s, currency string
		want        int64
	}{
		{"299", "NOK", 29900},
		{"299.0", "NOK", 29900},
		{"299.00", "NOK", 29900},
		{"299.7", "NOK", 29970},
		{"0.01", "NOK", 1},
		{"0", "NOK", 0},
		{"-0", "NOK", 0},
		{"-0.00", "NOK", 0},
		{"-1.50", "SEK", -150},
		{"007.50", "EUR", 750},
		{"500", "JPY", 500},
		{"-7", "ISK", -7},
		{"1.234", "KWD", 1234},
		{"1.2", "KWD", 1200},
		{"0.005", "BHD", 5},
		{"1.2345", "CLF", 12345},
		{"299.00", "nok", 29900},
		{"92233720368547758.07", "NOK", math.MaxInt64},
		{"-92233720368547758.08", "NOK", math.MinInt64},
		{"9223372036854775807", "JPY", math.MaxInt64},
		{"-9223372036854775808", "JPY", math.MinInt64},
	}
	for _, tt := range tests {
		got, err := dintero.ParseAmount(tt.s, tt.currency)
		require.NoError(t, err, "%q %s", tt.s, tt.currency)
		assert.Equal(t, tt.want, got, "%q %s", tt.s, tt.currency)
	}
}

func TestParseAmountRefuses(t *testing.T) {
	tests := []struct {
		name, s, currency, why string
	}{
		{"more decimals than NOK has", "1.234", "NOK", "more decimals"},
		{"decimals for JPY", "500.0", "JPY", "more decimals"},
		{"more decimals than KWD has", "1.2345", "KWD", "more decimals"},
		{"plus sign", "+1.00", "NOK", "only digits"},
		{"double minus", "--1", "NOK", "only digits"},
		{"minus after digits", "1-", "NOK", "only digits"},
		{"minus alone", "-", "NOK", "digits before"},
		{"empty", "", "NOK", "digits before"},
		{"point first", ".50", "NOK", "digits before"},
		{"minus point", "-.5", "NOK", "digits before"},
		{"point last", "5.", "NOK", "after the decimal point"},
		{"two points", "1.0.0", "NOK", "only digits"},
		{"decimal comma", "299,00", "NOK", "only digits"},
		{"thousands separator", "1,299.00", "NOK", "only digits"},
		{"space inside", "1 299", "NOK", "only digits"},
		{"leading space", " 299", "NOK", "only digits"},
		{"trailing newline", "299\n", "NOK", "only digits"},
		{"exponent", "1e3", "NOK", "only digits"},
		{"hex", "0x10", "NOK", "only digits"},
		{"currency symbol", "kr 299", "NOK", "only digits"},
		{"non-ASCII digits", "٣", "NOK", "only digits"},
		{"NaN", "NaN", "NOK", "only digits"},
		{"just above MaxInt64", "92233720368547758.08", "NOK", "out of range"},
		{"just below MinInt64", "-92233720368547758.09", "NOK", "out of range"},
		{"far out of range", "1" + strings.Repeat("0", 40), "JPY", "out of range"},
		{"out of range by the decimals alone", "92233720368547759", "NOK", "out of range"},
		{"unknown currency", "1.00", "XYZ", "ISO 4217"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dintero.ParseAmount(tt.s, tt.currency)
			require.ErrorIs(t, err, dintero.ErrInvalidInput)
			assert.Zero(t, got)
			assert.Contains(t, err.Error(), tt.why)
		})
	}
}

func TestParseAmountErrorIsBounded(t *testing.T) {
	long := strings.Repeat("9", 100_000) + "x"
	_, err := dintero.ParseAmount(long, "NOK")
	require.ErrorIs(t, err, dintero.ErrInvalidInput)
	assert.Less(t, len(err.Error()), 200)
	// Leading zeros do not overflow, however many.
	got, err := dintero.ParseAmount(strings.Repeat("0", 100_000)+"1.00", "NOK")
	require.NoError(t, err)
	assert.Equal(t, int64(100), got)
}

// fuzzCurrencies has one currency for each exponent.
var fuzzCurrencies = []string{"JPY", "NOK", "KWD", "CLF"}

// FuzzAmountRoundTrip: ParseAmount reads back what FormatAmount writes, for every amount and
// exponent; and whatever ParseAmount accepts, FormatAmount writes in a form that parses to the
// same amount.
func FuzzAmountRoundTrip(f *testing.F) {
	f.Add(int64(29900), uint8(1), "299.00")
	f.Add(int64(-150), uint8(1), "-1.50")
	f.Add(int64(math.MinInt64), uint8(0), "-0")
	f.Add(int64(math.MaxInt64), uint8(2), "1.2")
	f.Add(int64(5), uint8(3), "007.5")
	f.Fuzz(func(t *testing.T, minor int64, which uint8, s string) {
		currency := fuzzCurrencies[int(which)%len(fuzzCurrencies)]
		formatted, err := dintero.FormatAmount(minor, currency)
		if err != nil {
			t.Fatalf("FormatAmount(%d, %s): %v", minor, currency, err)
		}
		back, err := dintero.ParseAmount(formatted, currency)
		if err != nil || back != minor {
			t.Fatalf("ParseAmount(FormatAmount(%d, %s) = %q) = %d, %v", minor, currency, formatted, back, err)
		}

		parsed, err := dintero.ParseAmount(s, currency)
		if err != nil {
			if !errors.Is(err, dintero.ErrInvalidInput) {
				t.Fatalf("ParseAmount(%q, %s): an error not wrapping ErrInvalidInput: %v", s, currency, err)
			}
			return
		}
		canonical, err := dintero.FormatAmount(parsed, currency)
		if err != nil {
			t.Fatal(err)
		}
		again, err := dintero.ParseAmount(canonical, currency)
		if err != nil || again != parsed {
			t.Fatalf("ParseAmount(%q) = %d, but its formatted form %q parses to %d, %v", s, parsed, canonical, again, err)
		}
	})
}
