package api_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/api"
)

// validate loads an OpenAPI document and checks it against the OpenAPI 3 rules, including its
// examples and its schema patterns. External references are refused: each document stands alone.
func validate(t *testing.T, data []byte) error {
	t.Helper()
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return err
	}
	return doc.Validate(context.Background())
}

func specFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no OpenAPI documents found in api/")
	return files
}

func TestEverySpecIsValidOpenAPI3(t *testing.T) {
	for _, name := range specFiles(t) {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			require.NoError(t, validate(t, data))
			assert.Contains(t, string(data), "openapi: 3.0.3", "documents are written as OpenAPI 3.0.3")
		})
	}
}

// TestValidationRejectsBrokenSpecs proves the check above bites: each of these documents is
// broken in a way a hand edit could break ours.
func TestValidationRejectsBrokenSpecs(t *testing.T) {
	const head = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
	cases := map[string]string{
		"not YAML":              "openapi: [3.0.3\n",
		"missing info":          "openapi: 3.0.3\npaths: {}\n",
		"dangling $ref":         head + "paths: {}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/Missing'}\n",
		"path param undeclared": head + "paths:\n  /sessions/{session_id}:\n    get:\n      responses: {'200': {description: ok}}\n",
		"response without description": head +
			"paths:\n  /x:\n    get:\n      responses: {'200': {content: {application/json: {schema: {type: string}}}}}\n",
		"example breaks its schema": head + "paths: {}\ncomponents:\n  schemas:\n    A: {type: integer, example: not-a-number}\n",
		"bad pattern":               head + "paths: {}\ncomponents:\n  schemas:\n    A: {type: string, pattern: '(['}\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Error(t, validate(t, []byte(doc)))
		})
	}
}

// TestEmbeddedSpecsAreTheFiles guards the embed pattern: every document in api/ is embedded,
// byte for byte, so fakes validate against what the code was generated from.
func TestEmbeddedSpecsAreTheFiles(t *testing.T) {
	for _, name := range specFiles(t) {
		onDisk, err := os.ReadFile(name)
		require.NoError(t, err)
		embedded, err := fs.ReadFile(api.Specs, name)
		require.NoError(t, err)
		assert.Equal(t, onDisk, embedded, name)
	}
}

// TestNoMeaninglessNames keeps the generator artefacts of the original clients out of both the
// specs and the generated code.
func TestNoMeaninglessNames(t *testing.T) {
	banned := regexp.MustCompile(`UNKNOWN_BASE_TYPE|InlineObject\d*|InlineResponse\d*`)
	var files []string
	for _, dir := range []string{".", "../gen"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir // verbatim upstream copies live there
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".gen.go")) {
				files = append(files, path)
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.NotEmpty(t, files)
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue // comments may name the artefacts they replace
			}
			if m := banned.FindString(line); m != "" {
				t.Errorf("%s: generator artefact name %q in %q", path, m, strings.TrimSpace(line))
			}
		}
	}
}
