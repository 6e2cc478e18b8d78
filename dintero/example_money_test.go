package dintero_test

import (
	"errors"
	"fmt"

	"github.com/paysession/paysession-go/dintero"
)

func ExampleFormatAmount() {
	for _, a := range []struct {
		minor    int64
		currency string
	}{{29900, "NOK"}, {-150, "SEK"}, {500, "JPY"}, {1234, "KWD"}} {
		s, err := dintero.FormatAmount(a.minor, a.currency)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(a.minor, a.currency, "=", s, a.currency)
	}
	// Output:
	// 29900 NOK = 299.00 NOK
	// -150 SEK = -1.50 SEK
	// 500 JPY = 500 JPY
	// 1234 KWD = 1.234 KWD
}

func ExampleParseAmount() {
	minor, err := dintero.ParseAmount("299.9", "NOK")
	fmt.Println(minor, err)

	_, err = dintero.ParseAmount("299.999", "NOK")
	fmt.Println(errors.Is(err, dintero.ErrInvalidInput), err)

	_, err = dintero.ParseAmount("299,90", "NOK")
	fmt.Println(errors.Is(err, dintero.ErrInvalidInput))
	// Output:
	// 29990 <nil>
	// true dintero: invalid input: ParseAmount: "299.999" is not a NOK amount: more decimals than the currency's 2
	// true
}

func ExampleCurrencyExponent() {
	for _, code := range []string{"NOK", "JPY", "KWD", "XYZ"} {
		exp, ok := dintero.CurrencyExponent(code)
		fmt.Println(code, exp, ok)
	}
	// Output:
	// NOK 2 true
	// JPY 0 true
	// KWD 3 true
	// XYZ 0 false
}
