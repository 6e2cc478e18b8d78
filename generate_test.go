package paysession_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// copyTree copies the project (without .git) into a temporary directory, so the drift check
// can be exercised on a tree that the test is free to break.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	require.NoError(t, err)
	return dst
}

func runMake(t *testing.T, dir, target string) (string, error) {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", target)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(data), old, "the test's anchor text is gone from %s", path)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644))
}

// TestCheckGeneratedBites proves that the drift check catches a spec changed without
// regenerating, names the stale file, and passes again once gen/ is regenerated.
func TestCheckGeneratedBites(t *testing.T) {
	dir := copyTree(t)

	out, err := runMake(t, dir, "check-generated")
	require.NoError(t, err, "a clean copy of the tree must pass:\n%s", out)

	// A schema change in api/ without regenerating.
	editFile(t, filepath.Join(dir, "api", "cyberflex.yaml"),
		"    ErrorDetail:\n      type: object\n      description: One detail of an error.\n      properties:\n",
		"    ErrorDetail:\n      type: object\n      description: One detail of an error.\n      properties:\n"+
			"        field:\n          type: string\n          description: Added without regenerating.\n")
	out, err = runMake(t, dir, "check-generated")
	require.Error(t, err, "check-generated must fail when api/ changed but gen/ did not:\n%s", out)
	require.Contains(t, out, "gen/cyberflexapi/cyberflexapi.gen.go", "the failure names the stale file")

	out, err = runMake(t, dir, "generate")
	require.NoError(t, err, out)
	out, err = runMake(t, dir, "check-generated")
	require.NoError(t, err, "after make generate the check passes again:\n%s", out)

	// A generated file edited by hand is drift too.
	editFile(t, filepath.Join(dir, "gen", "dinteroapi", "dinteroapi.gen.go"),
		"package dinteroapi", "package dinteroapi\n\n// edited by hand")
	out, err = runMake(t, dir, "check-generated")
	require.Error(t, err, out)
	require.Contains(t, out, "gen/dinteroapi/dinteroapi.gen.go")
	out, err = runMake(t, dir, "generate")
	require.NoError(t, err, out)

	// A go.mod that `go mod tidy` would change fails the same check: drop a requirement the
	// tests need.
	gomod := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(gomod)
	require.NoError(t, err)
	stripped := regexp.MustCompile(`(?m)^\s*github\.com/stretchr/testify v\S+.*\n`).ReplaceAll(data, nil)
	require.NotEqual(t, data, stripped, "the test's anchor (testify in go.mod) is gone")
	require.NoError(t, os.WriteFile(gomod, stripped, 0o644))
	out, err = runMake(t, dir, "check-generated")
	require.Error(t, err, out)
	require.Contains(t, out, "go.mod")
}
