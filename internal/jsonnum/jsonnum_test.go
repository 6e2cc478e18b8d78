package jsonnum

import (
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUnmarshalNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		// Integers, however written: exact.
		{`0`, 0},
		{`100`, 100},
		{`-100`, -100},
		{`100.0`, 100},
		{`100.000000`, 100},
		{`1e2`, 100},
		{`1E2`, 100},
		{`1e+2`, 100},
		{`1.00e2`, 100},
		{`10000e-2`, 100},
		{`0.01e4`, 100},
		{`-0`, 0},
		{`-0.0`, 0},
		{`0e0`, 0},
		{`0.0e-999999999999999999999`, 0},
		{`0e999999999999999999999`, 0},
		{`5000.0`, 5000},
		{`9007199254740993`, 9007199254740993},   // 2^53+1: beyond float64
		{`9007199254740993.0`, 9007199254740993}, // the same, not through a float64
		{`9223372036854775807`, math.MaxInt64},   // the edges
		{`9223372036854775807.0`, math.MaxInt64}, //
		{`9223372036854775806.0`, math.MaxInt64 - 1}, // float64 would say 2^63
		{`-9223372036854775808`, math.MinInt64},
		{`-9223372036854775808.0`, math.MinInt64},
		{`-9.223372036854775808e18`, math.MinInt64},
		// Fractions: rounded half away from zero, from the decimal digits.
		{`2.5`, 3},
		{`-2.5`, -3},
		{`2.4999999999999999999999`, 2}, // float64 would read 2.5
		{`0.5`, 1},
		{`-0.5`, -1},
		{`0.49`, 0},
		{`-0.49`, 0},
		{`0.05`, 0},
		{`99.5`, 100},
		{`1e-1`, 0},
		{`5e-1`, 1},
		{`1e-999999999999999999999`, 0},
		{`9223372036854775806.5`, math.MaxInt64},
		{`9223372036854775807.4`, math.MaxInt64},
		{`-9223372036854775807.5`, math.MinInt64},
		// Out of range: saturated.
		{`9223372036854775808`, math.MaxInt64},
		{`9223372036854775807.5`, math.MaxInt64},
		{`-9223372036854775809`, math.MinInt64},
		{`-9223372036854775808.5`, math.MinInt64},
		{`18446744073709551616`, math.MaxInt64},
		{`99999999999999999999.9`, math.MaxInt64},
		{`1e19`, math.MaxInt64},
		{`1e300`, math.MaxInt64},
		{`-1e300`, math.MinInt64},
		{`1e999999999999999999999`, math.MaxInt64},
		{`-1e999999999999999999999`, math.MinInt64},
		{` 100.0 `, 100}, // whitespace around, for a direct call
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			n := Int64(42)
			require.NoError(t, n.UnmarshalJSON([]byte(tt.in)))
			assert.Equal(t, tt.want, int64(n))
		})
	}
}

func TestUnmarshalNullKeepsValue(t *testing.T) {
	n := Int64(42)
	require.NoError(t, n.UnmarshalJSON([]byte(`null`)))
	assert.EqualValues(t, 42, n)

	var v struct{ A *Int64 }
	require.NoError(t, json.Unmarshal([]byte(`{"A":null}`), &v))
	assert.Nil(t, v.A)
}

func TestUnmarshalNonNumbers(t *testing.T) {
	tests := map[string]string{
		`"100"`:    "string",
		`true`:     "bool",
		`[1]`:      "array",
		`{"a":1}`:  "object",
		``:         "empty input",
		`+1`:       "invalid JSON",
		`.5`:       "invalid JSON",
		`Infinity`: "invalid JSON",
		`NaN`:      "invalid JSON",
		`0x10`:     "invalid number",
		`01`:       "invalid number",
		`1.`:       "invalid number",
		`1e`:       "invalid number",
		`1_000`:    "invalid number",
		`1 2`:      "invalid number",
		`-`:        "invalid number",
	}
	for in, kind := range tests {
		t.Run(in, func(t *testing.T) {
			n := Int64(42)
			err := n.UnmarshalJSON([]byte(in))
			var typeErr *json.UnmarshalTypeError
			require.ErrorAs(t, err, &typeErr)
			assert.Equal(t, kind, typeErr.Value)
			assert.EqualValues(t, 42, n, "unchanged")
		})
	}
}

// TestDecodeStruct: through encoding/json, as the generated models use it; an error names the
// field.
func TestDecodeStruct(t *testing.T) {
	var v struct {
		Gross *Int64 `json:"gross_amount,omitempty"`
		Card  Int64  `json:"card_amount"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"gross_amount":1e2,"card_amount":5000.0}`), &v))
	require.NotNil(t, v.Gross)
	assert.EqualValues(t, 100, *v.Gross)
	assert.EqualValues(t, 5000, v.Card)

	out, err := json.Marshal(v)
	require.NoError(t, err)
	assert.JSONEq(t, `{"gross_amount":100,"card_amount":5000}`, string(out))
	assert.Equal(t, `{"gross_amount":100,"card_amount":5000}`, string(out), "plain integers")

	err = json.Unmarshal([]byte(`{"card_amount":"5000"}`), &v)
	assert.EqualError(t, err, "json: cannot unmarshal string into Go struct field .card_amount of type jsonnum.Int64")
}

func TestMarshal(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 100, math.MaxInt64, math.MinInt64} {
		out, err := Int64(v).MarshalJSON()
		require.NoError(t, err)
		assert.Equal(t, strconv.FormatInt(v, 10), string(out))
		var back Int64
		require.NoError(t, json.Unmarshal(out, &back))
		assert.Equal(t, v, int64(back))
	}
	p := Int64(7)
	out, err := json.Marshal(&p)
	require.NoError(t, err)
	assert.Equal(t, "7", string(out))
}

// TestHugeExponentIsCheap: the exponent does not decide the work (1e999999999999 is not
// expanded), and a long number is read in one pass.
func TestHugeExponentIsCheap(t *testing.T) {
	for in, want := range map[string]int64{
		`1e999999999999999999`:                         math.MaxInt64,
		`-1.5e999999999999999999`:                      math.MinInt64,
		`9.5e-999999999999999999`:                      0,
		"1" + strings.Repeat("0", 1<<20) + "e-1048570": 1000000,
		"0." + strings.Repeat("0", 1<<20) + "5":        0,
	} {
		var n Int64
		b := []byte(in)
		allocs := testing.AllocsPerRun(3, func() {
			require.NoError(t, n.UnmarshalJSON(b))
		})
		assert.Equal(t, want, int64(n))
		// The copy of the digits, json.Valid's scanner (pooled, but -race empties pools),
		// the integer part for ParseUint: a few, none of them sized by the exponent.
		assert.LessOrEqual(t, allocs, 4.0, "%.20s…", in)
	}
}

// rounded is the reference: the exact value of the JSON number s rounded half away from zero
// and saturated, computed with math/big. ok is false when s's exponent is too large to compute
// it this way cheaply.
func rounded(s string) (v int64, ok bool) {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 400 || e < -400 {
			return 0, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Lsh(rem, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	switch {
	case q.Cmp(big.NewInt(math.MaxInt64)) > 0:
		return math.MaxInt64, true
	case q.Cmp(big.NewInt(math.MinInt64)) < 0:
		return math.MinInt64, true
	}
	return q.Int64(), true
}

func isJSONNumber(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') && json.Valid(b)
}

// FuzzInt64: UnmarshalJSON never panics; every JSON number decodes, to its exact value rounded
// half away from zero and saturated; what decodes encodes as a plain integer that decodes back
// to the same value; a JSON integer in range round-trips to the same text.
func FuzzInt64(f *testing.F) {
	for _, s := range []string{`0`, `100`, `100.0`, `1e2`, `-0.0`, `2.5`, `-2.5`, `0.5`,
		`9223372036854775807`, `-9223372036854775808`, `9223372036854775808`, `1e300`,
		`1e-300`, `1e999999999999999999999`, `"100"`, `null`, `true`, `[]`, `{}`, `01`, `1.`,
		`+1`, `9223372036854775806.5`, ` 7 `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var n Int64
		err := n.UnmarshalJSON(in)
		if !isJSONNumber(in) {
			if string(bytes.TrimSpace(in)) != "null" && err == nil {
				t.Fatalf("%q is not a JSON number but decoded to %d", in, n)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q is a JSON number but failed: %v", in, err)
		}
		if want, ok := rounded(string(bytes.TrimSpace(in))); ok && int64(n) != want {
			t.Fatalf("%q decoded to %d, want %d", in, n, want)
		}

		out, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if v, err := strconv.ParseInt(string(out), 10, 64); err != nil || v != int64(n) {
			t.Fatalf("%d encoded as %q", n, out)
		}
		var back Int64
		if err := back.UnmarshalJSON(out); err != nil || back != n {
			t.Fatalf("%q decoded to %d, encoded as %q, decoded back to %d (%v)", in, n, out, back, err)
		}
		// A JSON integer in range keeps its text (-0 is the one integer with two spellings).
		if v, err := strconv.ParseInt(string(bytes.TrimSpace(in)), 10, 64); err == nil &&
			string(bytes.TrimSpace(in)) != "-0" && string(out) != string(bytes.TrimSpace(in)) {
			t.Fatalf("integer %q (%d) encoded as %q", in, v, out)
		}
	})
}
