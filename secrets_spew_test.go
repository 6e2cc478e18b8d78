package paysession_test

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/davecgh/go-spew/spew"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
)

// secApp is a user's struct holding the clients in unexported fields, by pointer and by value.
// fmt prints unexported fields raw, without calling their String or Format, and go-spew with
// DisableMethods (as testify prints its diffs) does the same for every field: neither may show a
// credential, a token the client cached or key material.
type secApp struct {
	name     string
	dintero  *dintero.Client
	dValue   dintero.Client
	flex     *cyberflex.Client
	flexCopy cyberflex.Client
}

func TestClientsRawDumpShowNoSecret(t *testing.T) {
	const issued = "DNT-issued-bearer-rawdump-Zq81"
	var tokens atomic.Int32
	// An in-memory transport: a real one keeps connections whose goroutines write to the
	// transport's fields while the dumps below read them (a race in the test, not in the SDK).
	transport := rtFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Path, "/auth/token") {
			tokens.Add(1)
			return answer(http.StatusOK, http.Header{"Content-Type": {"application/json"}},
				`{"access_token":"`+issued+`","token_type":"Bearer","expires_in":3600}`), nil
		}
		return answer(http.StatusNotFound, nil, "404 page not found"), nil
	})
	_, pfx := secP12()

	dinteroAuths := map[string]dintero.Option{
		"client credentials": dintero.WithClientCredentials(secDinteroAccount, secDinteroClientID, secDinteroClientSecret),
		"access token":       dintero.WithAccessToken(secDinteroAccessToken),
		"API key":            dintero.WithAPIKey(secDinteroAPIKey),
	}
	flexAuths := map[string]cyberflex.Option{
		"HTTP Signature": cyberflex.WithHTTPSignature(secCFMerchant, secCFKeyID, secCFSigSecret),
		"JWT":            cyberflex.WithJWT(secCFMerchant, secCFKeyID, secCFJWTSecret),
		"JWT P12":        cyberflex.WithJWTP12(secCFMerchant, pfx, secCFP12Password),
		"bearer token":   cyberflex.WithAccessToken(secCFBearer),
	}
	var apps []secApp
	for dName, dAuth := range dinteroAuths {
		d, err := dintero.New(dAuth, dintero.WithBaseURL("http://127.0.0.1:1/v1"), dintero.WithMaxRetries(0),
			dintero.WithHTTPClient(&http.Client{Transport: transport}))
		require.NoError(t, err)
		// Have the client fetch and cache an access token (client credentials) or use its own.
		_, err = d.GetSession(context.Background(), "T12345678.abc")
		require.Error(t, err)
		for fName, fAuth := range flexAuths {
			f, err := cyberflex.New(fAuth)
			require.NoError(t, err)
			apps = append(apps, secApp{name: dName + " + " + fName, dintero: d, dValue: *d, flex: f, flexCopy: *f})
		}
	}
	require.Equal(t, int32(1), tokens.Load(), "the client-credentials client cached an issued token")

	forms := append(secForms(t), issued)
	// go-spew prints a big.Int as its words in decimal.
	key, _ := secP12()
	for _, n := range []*big.Int{key.D, key.Primes[0], key.Primes[1]} {
		for _, w := range n.Bits()[:2] {
			forms = append(forms, strconv.FormatUint(uint64(w), 10))
		}
	}

	raw := spew.ConfigState{DisableMethods: true, DisablePointerMethods: true, Indent: " "}
	testify := spew.ConfigState{Indent: " ", DisablePointerAddresses: true, DisableCapacities: true,
		SortKeys: true, DisableMethods: true, MaxDepth: 10}
	rec := &secRecorder{}
	for _, app := range apps {
		rec.add(app.name+" fmt", fmt.Sprintf("%v %+v %#v %v %+v", app, app, app, &app, &app))
		rec.add(app.name+" spew raw", raw.Sdump(app))
		rec.add(app.name+" spew raw pointer", raw.Sdump(&app))
		rec.add(app.name+" spew as testify", testify.Sdump(app))
		rec.add(app.name+" spew", spew.Sdump(app))
	}
	rec.check(t, forms)

	// The check can fail: the same dump of the key itself shows it.
	require.Contains(t, raw.Sdump(key), forms[len(forms)-1])
}
