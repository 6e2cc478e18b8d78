// Package jsonnum decodes integers that a server may write as any JSON number.
//
// Dintero's API description types some minor-unit amounts (gross_amount of orders and order
// lines, the gift-card card_amount of session events) as `number`, not `integer`
// (https://docs.dintero.com/checkout-api.html). A JSON encoder that holds them as floats may
// then send 100.0 or 1e2 for 100, and encoding/json refuses to put either into an int64, which
// would fail the decoding of a whole session over one field that is only displayed.
package jsonnum

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
)

// Int64 is an integer that decodes from any JSON number and encodes as a plain JSON integer.
//
// Decoding never fails on a JSON number:
//   - an integer, however written (100, 100.0, 1e2, 1.00e+2, -0.0), is decoded exactly;
//   - a number with a fractional part is rounded half away from zero (2.5 → 3, -2.5 → -3,
//     0.49 → 0), exactly, from its decimal digits (no float64 rounding on the way);
//   - a number outside the int64 range saturates at math.MaxInt64 or math.MinInt64.
//
// The work is linear in the length of the number, whatever its exponent (1e999999999 costs no
// more than 1e9). JSON null leaves the value unchanged, as for the built-in types; any other
// JSON value (a string, a bool, an object, an array) is a *json.UnmarshalTypeError, as it is
// for an int64.
type Int64 int64

var int64Type = reflect.TypeFor[Int64]()

// MarshalJSON writes n as a JSON integer.
func (n Int64) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, int64(n), 10), nil
}

// UnmarshalJSON sets n from a JSON number, as described at Int64.
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) || !json.Valid(b) {
		return &json.UnmarshalTypeError{Value: kind(b), Type: int64Type}
	}
	// The common case, a plain integer in range (at most 20 bytes), exactly and without
	// allocating.
	if len(b) <= 20 {
		if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			*n = Int64(v)
			return nil
		}
	}
	*n = Int64(parseNumber(b))
	return nil
}

// kind names the JSON value b starts with, for an UnmarshalTypeError (which encoding/json
// fills with the field's name). b itself is not quoted: it may be long.
func kind(b []byte) string {
	if len(b) == 0 {
		return "empty input"
	}
	switch b[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case '[':
		return "array"
	case '{':
		return "object"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "invalid number"
	}
	return "invalid JSON"
}

// maxExponent bounds the exponent parseNumber keeps: any larger one already puts the value out
// of the int64 range (or rounds it to 0) whatever the digits, since a JSON number that fits in
// memory has far fewer than 1<<40 digits.
const maxExponent = 1 << 40

// parseNumber returns the valid JSON number b rounded half away from zero to an integer and
// saturated to the int64 range.
func parseNumber(b []byte) int64 {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	mantissa, exponent := b, []byte(nil)
	if i := bytes.IndexAny(b, "eE"); i >= 0 {
		mantissa, exponent = b[:i], b[i+1:]
	}
	intPart, fracPart := mantissa, []byte(nil)
	if i := bytes.IndexByte(mantissa, '.'); i >= 0 {
		intPart, fracPart = mantissa[:i], mantissa[i+1:]
	}

	// The value is digits × 10^exp; leading zeros do not count.
	digits := bytes.TrimLeft(append(append([]byte(nil), intPart...), fracPart...), "0")
	if len(digits) == 0 {
		return 0
	}
	exp := parseExponent(exponent) - len(fracPart)
	// intLen is how many of the digits are left of the decimal point (negative: the value is
	// below 0.1); an integer of more than 19 digits is out of range.
	intLen := len(digits) + exp
	if intLen > 19 {
		return saturate(neg)
	}
	var whole []byte
	roundUp := false
	switch {
	case intLen <= 0:
		roundUp = intLen == 0 && digits[0] >= '5' // 0.5… rounds to 1, 0.05… to 0
	case exp >= 0:
		whole = append(digits, bytes.Repeat([]byte{'0'}, exp)...)
	default:
		whole, roundUp = digits[:intLen], digits[intLen] >= '5'
	}
	var mag uint64
	if len(whole) > 0 {
		mag, _ = strconv.ParseUint(string(whole), 10, 64) // at most 19 digits: fits
	}
	if roundUp {
		mag++
	}
	switch {
	case !neg && mag > math.MaxInt64:
		return math.MaxInt64
	case neg && mag > 1<<63:
		return math.MinInt64
	case neg:
		return int64(-mag) // two's complement: -(1<<63) is MinInt64
	}
	return int64(mag)
}

// parseExponent reads the exponent digits of a valid JSON number (nil: no exponent), clamped
// to ±maxExponent.
func parseExponent(b []byte) int {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	e := 0
	for _, c := range b {
		e = min(e*10+int(c-'0'), maxExponent)
	}
	if neg {
		return -e
	}
	return e
}

func saturate(neg bool) int64 {
	if neg {
		return math.MinInt64
	}
	return math.MaxInt64
}
