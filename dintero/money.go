package dintero

import (
	"strconv"
	"strings"
)

// Dintero's amounts are integers in the currency's minor unit ("in smallest unit for the
// currency, e.g. cents",
// https://docs.dintero.com/api-reference/session/update-checkout-session-details): NOK 299.00 is
// 29900, JPY 500 is 500. The functions below convert between those and decimal strings, by the
// currency's ISO 4217 exponent and without floating point, so that no amount is ever off by one
// minor unit.

// currencyExponents maps ISO 4217 codes to their minor unit: the number of decimal places. From
// the ISO 4217 list of active codes (https://www.iso.org/iso-4217-currency-codes.html), without
// the codes that have no minor unit (XAU, XDR, …), plus a few withdrawn since 2023 that old
// sessions may still carry (HRK, ANG, BGN, CUC, SLL, ZWL). These are ISO's exponents: Dintero
// names currencies by ISO 4217 code and amounts in their smallest unit. CLDR's display digits
// differ for some currencies (0 for IDR and COP, …) and are not used.
var currencyExponents = func() map[string]int {
	m := map[string]int{}
	for exp, codes := range map[int]string{
		0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
		2: `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN
			BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB
			EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS
			KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV
			MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG
			SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD
			USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL`,
		3: "BHD IQD JOD KWD LYD OMR TND",
		4: "CLF UYW",
	} {
		for _, code := range strings.Fields(codes) {
			m[code] = exp
		}
	}
	return m
}()

// CurrencyExponent returns how many decimal places the currency with the given ISO 4217 code has
// (its minor unit): 2 for NOK, SEK, DKK, EUR, USD and GBP, 0 for ISK, JPY and KRW, 3 for BHD,
// JOD, KWD, OMR and TND. The code is matched without regard to case. ok is false for a code that
// is not an active ISO 4217 currency with a minor unit.
func CurrencyExponent(code string) (exponent int, ok bool) {
	if len(code) != 3 {
		return 0, false
	}
	var upper [3]byte
	for i := range 3 {
		c := code[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		upper[i] = c
	}
	exponent, ok = currencyExponents[string(upper[:])]
	return exponent, ok
}

// exponentOf is CurrencyExponent with an error for an unknown currency.
func exponentOf(op, currency string) (int, error) {
	exp, ok := CurrencyExponent(currency)
	if !ok {
		return 0, invalid("%s: %.8q is not an ISO 4217 currency code", op, currency)
	}
	return exp, nil
}

// FormatAmount writes an amount in minor units as a decimal string with as many decimals as the
// currency has: 29900 NOK is "299.00", 500 JPY is "500", -150 SEK is "-1.50", 1234 KWD is
// "1.234". It adds no currency symbol, thousands separator or locale: it is for logs, APIs and
// forms, and ParseAmount reads it back. An unknown currency is an error wrapping
// ErrInvalidInput.
func FormatAmount(minor int64, currency string) (string, error) {
	exp, err := exponentOf("FormatAmount", currency)
	if err != nil {
		return "", err
	}
	magnitude := uint64(minor)
	if minor < 0 {
		magnitude = -magnitude // two's complement: right for math.MinInt64 too
	}
	digits := strconv.FormatUint(magnitude, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if minor < 0 {
		return "-" + digits, nil
	}
	return digits, nil
}

// ParseAmount reads a decimal amount in the given currency and returns it in minor units:
// "299", "299.0" and "299.00" NOK are all 29900; "500" JPY is 500; "-1.50" SEK is -150.
//
// The grammar is strict, so that a typo never becomes a wrong amount: an optional "-", one or
// more ASCII digits, and optionally "." followed by one to exponent digits. Refused, with an
// error wrapping ErrInvalidInput: more decimals than the currency has ("1.234" NOK, "500.0"
// JPY), "+", spaces, thousands separators, a decimal comma, exponents ("1e3"), a missing digit
// before or after the point (".5", "5."), an amount outside the int64 range of minor units, and
// an unknown currency.
func ParseAmount(s, currency string) (int64, error) {
	const op = "ParseAmount"
	exp, err := exponentOf(op, currency)
	if err != nil {
		return 0, err
	}
	bad := func(why string) (int64, error) {
		return 0, invalid("%s: %.40q is not a %s amount: %s", op, s, strings.ToUpper(currency), why)
	}
	rest, negative := strings.CutPrefix(s, "-")
	whole, frac, hasPoint := strings.Cut(rest, ".")
	switch {
	case whole == "":
		return bad("want digits before any decimal point, e.g. 299.00")
	case hasPoint && frac == "":
		return bad("want digits after the decimal point")
	case !allDigits(whole) || !allDigits(frac):
		return bad("want only digits and one decimal point")
	case len(frac) > exp:
		return bad("more decimals than the currency's " + strconv.Itoa(exp))
	}
	// The magnitude may reach 1<<63 for a negative amount (math.MinInt64).
	limit := uint64(1<<63 - 1)
	if negative {
		limit = 1 << 63
	}
	var magnitude uint64
	for i := range len(whole) + exp {
		d := uint64(0) // the decimals the string leaves out
		switch {
		case i < len(whole):
			d = uint64(whole[i] - '0')
		case i-len(whole) < len(frac):
			d = uint64(frac[i-len(whole)] - '0')
		}
		if magnitude > (limit-d)/10 {
			return bad("out of range")
		}
		magnitude = magnitude*10 + d
	}
	if negative {
		return int64(-magnitude), nil // two's complement: right for 1<<63 too
	}
	return int64(magnitude), nil
}

// allDigits reports whether s holds only the ASCII digits 0 to 9.
func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
