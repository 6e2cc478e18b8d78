package paysession_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// consumerTest is the test file of a module outside this repository: it uses both clients
// against both fakes exactly as the README tells users to.
const consumerTest = `package shop

import (
	"context"
	"errors"
	"testing"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

func TestCheckoutAgainstFakes(t *testing.T) {
	ctx := context.Background()

	dsrv := dinterotest.NewServer(dinterotest.WithClientCredentials("T12345678", "shop-client", "shop-secret"))
	defer dsrv.Close()
	d, err := dintero.New(dintero.WithClientCredentials("T12345678", "shop-client", "shop-secret"), dintero.WithBaseURL(dsrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	created, err := d.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:           dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order:         dintero.Order{Amount: 10000, Currency: "NOK", MerchantReference: "order-7"},
		Configuration: dintero.SessionConfiguration{ActivePaymentTypes: &dintero.ActivePaymentTypes{Enabled: dintero.Ptr(true)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.GetSession(ctx, created.GetID())
	if err != nil || s.Order.MerchantReference != "order-7" {
		t.Fatalf("GetSession: %v, %+v", err, s)
	}
	dsrv.Inject(dinterotest.OpGetSession, dinterotest.Fault{Status: 404})
	_, err = d.GetSession(ctx, created.GetID())
	var apiErr *dintero.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("injected 404: got %v", err)
	}

	const merchant, keyID, secret = "shop", "08c94330-f618-42a3-b09d-e1e43be5efda", "yBJxy6LjM2TmcPGu+GaJrHtkke25fPpUX+UY6/L/1tE="
	csrv := cyberflextest.NewServer(cyberflextest.WithHTTPSignature(merchant, keyID, secret))
	defer csrv.Close()
	c, err := cyberflex.New(cyberflex.WithHTTPSignature(merchant, keyID, secret), cyberflex.WithBaseURL(csrv.URL))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyCaptureContext(ctx, cc.Token); err != nil {
		t.Fatal(err)
	}
}
`

// TestConsumerModule builds a module outside this repository that gets the SDK with `go get`
// (through a replace directive pointing here), imports dintero, cyberflex and both fakes, and
// passes a test against the fakes: what a user does on day one. It catches an internal package
// leaking into the public API, a fake that only works from inside the module, and a go.mod a
// consumer cannot resolve.
func TestConsumerModule(t *testing.T) {
	root, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir()
	gomod := "module example.com/shop\n\ngo 1.25.0\n\nreplace github.com/paysession/paysession-go => " + filepath.ToSlash(root) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	files := map[string]string{
		"shop_test.go":     consumerTest,
		"order.go":         consumerOrder,
		"order_test.go":    consumerOrderTest,
		"readme/readme.go": readmeBlocks(t),
		"misuse/misuse.go": consumerMisuse,
	}
	for name, text := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}

	goCmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := goCmd(args...)
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return out
	}
	run("get", "github.com/paysession/paysession-go@v0.0.0")
	run("mod", "tidy")
	run("vet", ".", "./readme") // every README snippet compiles
	out := run("test", "-count=1", "-v", ".")
	require.Contains(t, out, "--- PASS: TestCheckoutAgainstFakes")
	require.Contains(t, out, "--- PASS: TestFullOrder")

	// An option a call does not take is a compile error that names the call's option type.
	out, err = goCmd("vet", "./misuse")
	require.Error(t, err, "a misplaced call option must not compile:\n%s", out)
	require.Contains(t, out, "does not implement dintero.GetOption")

	// Nothing a user writes needs gen/: the module's code never imports it.
	for name, text := range files {
		require.NotContains(t, text, "paysession-go/gen/", name)
	}
}
