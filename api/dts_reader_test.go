package api_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readDTS parses a declaration file and converts it to an OpenAPI 3 document.
func readDTS(t *testing.T, src string) (dtsFile, *openapi3.T) {
	t.Helper()
	file, err := parseDTS(src)
	require.NoError(t, err)
	doc, err := dtsDoc(file)
	require.NoError(t, err)
	return file, doc
}

// dtsFixture is a small declaration file in openapi-typescript's style, with every construct the
// reader knows.
const dtsFixture = `export interface paths {
    "/things/{id}": {
        parameters: { query?: never; header?: never; path?: never; cookie?: never; };
        get?: never;
        /** @description Update a thing */
        put: operations["thing_put"];
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Thing: {
            /** @example 0349 */
            readonly code?: string;
            "odd:name"?: number;
            kind: "a" | "b";
            tags?: ("x" | "y")[];
            meta?: {
                [key: string]: string | number;
            };
            child?: components["schemas"]["Thing"];
            provider?: components["schemas"]["Provider"];
            empty?: Record<string, never>[];
            maybe?: string | null;
        };
        Strict: WithRequired<components["schemas"]["Thing"], "code" | "odd:name"> & {
            extra: boolean;
        };
        Provider: {
            product_type: string;
        };
        CardProvider: {
            product_type: "CardProvider";
        } & (Omit<components["schemas"]["Provider"], "product_type"> & {
            token_types: "payment_token"[];
        });
    };
    responses: never;
    parameters: {
        Toggles: "strict"[];
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    thing_put: {
        parameters: {
            query?: { force?: boolean; };
            header?: { "X-Toggles"?: components["parameters"]["Toggles"]; };
            path: { id: string; };
            cookie?: never;
        };
        requestBody: { content: { "application/json": components["schemas"]["Strict"]; }; };
        responses: {
            /** @description the thing */
            200: { headers: { [name: string]: unknown; }; content: { "application/json": components["schemas"]["Thing"]; }; };
        };
    };
}
type WithRequired<T, K extends keyof T> = T & {
    [P in K]-?: T[P];
};
`

func TestDTSReaderReadsEveryConstruct(t *testing.T) {
	_, doc := readDTS(t, dtsFixture)
	op := doc.Paths.Find("/things/{id}").Put
	require.NotNil(t, op)
	assert.Equal(t, "thing_put", op.OperationID)
	var params []string
	for _, p := range op.Parameters {
		params = append(params, p.Value.In+":"+p.Value.Name)
	}
	assert.ElementsMatch(t, []string{"query:force", "header:X-Toggles", "path:id"}, params)

	body := walk(doc, requestSchema(op))
	for path, types := range map[string]string{
		"$.code":                   "[string]",
		"$.odd:name":               "[number]",
		"$.kind":                   "[string]",
		"$.tags[]":                 "[string]",
		"$.meta{}":                 "[number string]",
		"$.child.code":             "[string]", // a schema may hold itself once
		"$.provider.token_types[]": "[string]",
		"$.empty[]":                "[object]",
		"$.maybe":                  "[string]",
		"$.extra":                  "[boolean]",
	} {
		require.Contains(t, body, path)
		assert.Equal(t, types, keys(body[path].types), path)
	}
	assert.NotContains(t, body, "$.child.child.code", "cycles end")
	assert.Equal(t, "[a b]", keys(body["$.kind"].enum))
	assert.Equal(t, "[x y]", keys(body["$.tags[]"].enum))
	// The subtype's literal is its schema name, not a wire value: no enum.
	assert.Empty(t, body["$.provider.product_type"].enum)
	// WithRequired adds to what the base requires.
	assert.True(t, body["$.code"].required)
	assert.True(t, body["$.odd:name"].required)
	assert.True(t, body["$.kind"].required)
	assert.False(t, body["$.tags"].required)

	resp, code := successSchema(op)
	assert.Equal(t, "200", code)
	assert.NotContains(t, walk(doc, resp), "$.extra")
}

func TestDTSReaderRefusesWhatItDoesNotKnow(t *testing.T) {
	for name, src := range map[string]string{
		"conditional type": `export type X = A extends B ? C : D;`,
		"template literal": "export type X = `a${string}`;",
		"unterminated":     `export interface X { a: string;`,
		"function type":    `export interface X { f: () => void; }`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseDTS(src)
			assert.Error(t, err)
		})
	}
	file, err := parseDTS(`export interface components { schemas: { A: Unknown<string>; }; }
export interface paths {}`)
	require.NoError(t, err)
	_, err = dtsDoc(file)
	assert.ErrorContains(t, err, "unsupported reference")
}

// TestDTSReaderMatchesTheSwaggerItWasGeneratedFrom reads payments.2024-09.d.ts, which
// openapi-typescript generated from the 2024-09-03 spec that the Swagger excerpt copies, and
// checks that it yields the same property paths and enum values for the five session operations
// upstream has. It is what lets the coverage test trust the reader with the 2026 file.
func TestDTSReaderMatchesTheSwaggerItWasGeneratedFrom(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "upstream", "dintero-payments.2024-09.d.ts"))
	require.NoError(t, err)
	_, dts := readDTS(t, string(src))
	swagger := loadUpstream(t, filepath.Join("testdata", "upstream", "dintero-checkout-sessions.excerpt.swagger.yaml"))
	dtsOps, swaggerOps := operations(dts), operations(swagger)
	for _, key := range []string{
		"POST /sessions-profile", "POST /sessions/payment-token", "GET /sessions/{session_id}",
		"PUT /sessions/{session_id}", "POST /sessions/{session_id}/cancel",
	} {
		d, s := dtsOps[key], swaggerOps[key]
		require.NotNil(t, d, key)
		require.NotNil(t, s, key)
		if body := requestSchema(s.operation); body != nil {
			sameShape(t, key+" request", walk(dts, requestSchema(d.operation)), walk(swagger, body))
		}
		dr, _ := successSchema(d.operation)
		sr, _ := successSchema(s.operation)
		sameShape(t, key+" response", walk(dts, dr), walk(swagger, sr))
	}
}

func sameShape(t *testing.T, what string, dts, swagger shape) {
	t.Helper()
	var diff []string
	for p, n := range dts {
		m, ok := swagger[p]
		switch {
		case !ok:
			diff = append(diff, "only in the d.ts: "+p)
		case keys(n.enum) != keys(m.enum):
			diff = append(diff, "enum of "+p+": d.ts "+keys(n.enum)+", swagger "+keys(m.enum))
		}
	}
	for p := range swagger {
		if _, ok := dts[p]; !ok {
			diff = append(diff, "only in the swagger: "+p)
		}
	}
	sort.Strings(diff)
	assert.Empty(t, diff, what)
	assert.Greater(t, len(dts), 40, what)
}
