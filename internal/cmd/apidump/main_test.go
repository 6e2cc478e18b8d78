package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeModule writes a throwaway module example.com/shop into a temporary directory.
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/shop\n\ngo 1.25\n"
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	return dir
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(text), 0o644))
}

// runCommand runs one apidump command on the module in dir, with the record in dir/api.txt.
func runCommand(t *testing.T, dir, command string) (ok bool, out string) {
	t.Helper()
	var b strings.Builder
	ok, err := run(&b, dir, command, filepath.Join(dir, "api.txt"))
	require.NoError(t, err)
	return ok, b.String()
}

func dumpLines(t *testing.T, dir string) []string {
	t.Helper()
	lines, err := Dump(dir)
	require.NoError(t, err)
	return recordLines(Render(lines))
}

// TestCheckFailsOnRemovedName is the gate's contract: a removed exported name fails the check,
// which names it as an incompatible removal, and the check passes again once the record is
// updated on purpose.
func TestCheckFailsOnRemovedName(t *testing.T) {
	const before = "package shop\n\n// Keep stays.\nfunc Keep() {}\n\n// Drop goes.\nfunc Drop(n int) error { return nil }\n"
	dir := writeModule(t, map[string]string{"shop.go": before})

	ok, out := runCommand(t, dir, "update")
	require.True(t, ok, out)
	ok, out = runCommand(t, dir, "check")
	require.True(t, ok, "a fresh record must pass:\n%s", out)

	writeFile(t, dir, "shop.go", "package shop\n\n// Keep stays.\nfunc Keep() {}\n")
	ok, out = runCommand(t, dir, "check")
	assert.False(t, ok, "removing an exported func must fail the check:\n%s", out)
	assert.Contains(t, out, "REMOVED (incompatible): pkg example.com/shop, func Drop(int) error")
	assert.NotContains(t, out, "func Keep", "only the removed name is reported")

	ok, out = runCommand(t, dir, "update")
	require.True(t, ok, out)
	ok, out = runCommand(t, dir, "check")
	assert.True(t, ok, "after update the check passes again:\n%s", out)
}

// TestCheckFailsOnChangedSignature: a changed signature is the old line removed and the new
// one added, so it is reported as incompatible.
func TestCheckFailsOnChangedSignature(t *testing.T) {
	dir := writeModule(t, map[string]string{"shop.go": "package shop\n\n// Get gets.\nfunc Get(id string) error { return nil }\n"})
	ok, out := runCommand(t, dir, "update")
	require.True(t, ok, out)

	writeFile(t, dir, "shop.go", "package shop\n\n// Get gets.\nfunc Get(id string, n int) error { return nil }\n")
	ok, out = runCommand(t, dir, "check")
	assert.False(t, ok, out)
	assert.Contains(t, out, "REMOVED (incompatible): pkg example.com/shop, func Get(string) error")
	assert.Contains(t, out, "added: pkg example.com/shop, func Get(string, int) error")
}

// TestCheckFailsOnAddedName: an addition is compatible, but the record must still be updated,
// or the next removal of that name would go unnoticed.
func TestCheckFailsOnAddedName(t *testing.T) {
	dir := writeModule(t, map[string]string{"shop.go": "package shop\n"})
	ok, out := runCommand(t, dir, "update")
	require.True(t, ok, out)

	writeFile(t, dir, "shop.go", "package shop\n\n// Version is new.\nconst Version = \"1\"\n")
	ok, out = runCommand(t, dir, "check")
	assert.False(t, ok, out)
	assert.Contains(t, out, `added: pkg example.com/shop, const Version = "1"`)
	assert.NotContains(t, out, "REMOVED (incompatible)")
}

// TestCheckWithoutRecordFails: a missing record is every line added, not a pass.
func TestCheckWithoutRecordFails(t *testing.T) {
	dir := writeModule(t, map[string]string{"shop.go": "package shop\n\n// F is API.\nfunc F() {}\n"})
	ok, out := runCommand(t, dir, "check")
	assert.False(t, ok, out)
	assert.Contains(t, out, "added: pkg example.com/shop, func F()")
}

// TestTypesReachedFromGeneratedAndInternalPackages: fields of a generated struct that users
// reach through an alias, and of an internal type that a public function returns, are part of
// the API; removing one is reported. Unreached types of those packages are not recorded.
func TestTypesReachedFromGeneratedAndInternalPackages(t *testing.T) {
	const gen = "package orderapi\n\ntype Order struct {\n\tAmount   int64\n\tCurrency string\n\tItems    []Item\n}\n\n" +
		"type Item struct{ ID string }\n\ntype Unreached struct{ X int }\n"
	dir := writeModule(t, map[string]string{
		"gen/orderapi/orderapi.go": gen,
		"internal/fake/fake.go":    "package fake\n\ntype Fault struct {\n\tStatus int\n\tsecret string\n}\n\ntype Hidden struct{ Y int }\n",
		"shop.go": "package shop\n\nimport (\n\t\"example.com/shop/gen/orderapi\"\n\t\"example.com/shop/internal/fake\"\n)\n\n" +
			"// Order is an order.\ntype Order = orderapi.Order\n\n// NewFault makes a fault.\nfunc NewFault() fake.Fault { return fake.Fault{} }\n",
	})
	lines := dumpLines(t, dir)
	for _, want := range []string{
		"pkg example.com/shop, type Order = orderapi.Order",
		"pkg example.com/shop, func NewFault() fake.Fault",
		"pkg example.com/shop/gen/orderapi, type Order struct",
		"pkg example.com/shop/gen/orderapi, type Order struct, Amount int64",
		"pkg example.com/shop/gen/orderapi, type Order struct, Items []Item",
		"pkg example.com/shop/gen/orderapi, type Item struct, ID string", // reached through a field
		"pkg example.com/shop/internal/fake, type Fault struct, Status int",
	} {
		assert.Contains(t, lines, want)
	}
	for _, line := range lines {
		assert.NotContains(t, line, "Unreached", "a generated type the API does not reach is not API")
		assert.NotContains(t, line, "Hidden")
		assert.NotContains(t, line, "secret")
	}

	ok, out := runCommand(t, dir, "update")
	require.True(t, ok, out)
	writeFile(t, dir, "gen/orderapi/orderapi.go", strings.Replace(gen, "\tAmount   int64\n", "", 1))
	ok, out = runCommand(t, dir, "check")
	assert.False(t, ok, out)
	assert.Contains(t, out, "REMOVED (incompatible): pkg example.com/shop/gen/orderapi, type Order struct, Amount int64")
}

// TestLineFormat pins the form of each kind of line, in the style of Go's api/go1.txt.
func TestLineFormat(t *testing.T) {
	const src = `package shop

import (
	"context"
	"time"
)

// Consts.
const (
	Untyped       = 3
	Typed   Level = 2
	Name          = "shop"
	Timeout       = 5 * time.Second
)

// Level is a level.
type Level int

// ErrX is a var.
var ErrX error

// Client is a client.
type Client struct {
	Name string
	Base
	hidden int
}

// Base is embedded.
type Base struct{ ID string }

// Get is on the pointer.
func (c *Client) Get(ctx context.Context, ids ...string) (*Client, error) { return nil, nil }

// Ping is on the value.
func (Base) Ping() {}

// Doer does.
type Doer interface {
	Do(context.Context) error
	undo()
}

// Ptr is generic.
func Ptr[T any](v T) *T { return &v }

// Callback is a func type.
type Callback func(n int, s string) bool

func unexported() {}
`
	dir := writeModule(t, map[string]string{"shop.go": src})
	want := []string{
		"pkg example.com/shop, const Name = \"shop\"",
		"pkg example.com/shop, const Name ideal-string",
		"pkg example.com/shop, const Timeout = 5000000000",
		"pkg example.com/shop, const Timeout time.Duration",
		"pkg example.com/shop, const Typed = 2",
		"pkg example.com/shop, const Typed Level",
		"pkg example.com/shop, const Untyped = 3",
		"pkg example.com/shop, const Untyped ideal-int",
		"pkg example.com/shop, func Ptr[T any](T) *T",
		"pkg example.com/shop, method (*Client) Get(context.Context, ...string) (*Client, error)",
		"pkg example.com/shop, method (Base) Ping()",
		"pkg example.com/shop, method (Client) Ping()", // promoted from Base
		"pkg example.com/shop, type Base struct",
		"pkg example.com/shop, type Base struct, ID string",
		"pkg example.com/shop, type Callback func(int, string) bool",
		"pkg example.com/shop, type Client struct",
		"pkg example.com/shop, type Client struct, Name string",
		"pkg example.com/shop, type Client struct, embedded Base",
		"pkg example.com/shop, type Doer interface { Do, unexported methods }",
		"pkg example.com/shop, type Doer interface, Do(context.Context) error",
		"pkg example.com/shop, type Level int",
		"pkg example.com/shop, var ErrX error",
	}
	assert.Equal(t, want, dumpLines(t, dir))
}

// TestOnlyPublicPackages: internal/, gen/, examples/ and main packages are not recorded for
// their own sake.
func TestOnlyPublicPackages(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"shop.go":                 "package shop\n\n// A is API.\nfunc A() {}\n",
		"sub/sub.go":              "package sub\n\n// B is API.\nfunc B() {}\n",
		"sub/internal/x/x.go":     "package x\n\nfunc C() {}\n",
		"gen/api/api.go":          "package api\n\nfunc D() {}\n",
		"examples/demo/main.go":   "package main\n\nfunc E() {}\n\nfunc main() {}\n",
		"cmd/tool/main.go":        "package main\n\nfunc F() {}\n\nfunc main() {}\n",
		"internal/cmd/x/x.go":     "package x\n\nfunc G() {}\n",
		"sub/testdata/td/td.go":   "package td\n\nfunc H() {}\n",
		"examples/lib/library.go": "package lib\n\nfunc I() {}\n",
	})
	assert.Equal(t, []string{"pkg example.com/shop, func A()", "pkg example.com/shop/sub, func B()"}, dumpLines(t, dir))
}

func TestUnknownCommand(t *testing.T) {
	_, err := run(new(strings.Builder), t.TempDir(), "diff", "api.txt")
	assert.ErrorContains(t, err, `unknown command "diff"`)
}
