package api_test

// Coverage of the handwritten OpenAPI documents in this directory against the
// upstream (Swagger 2.0) specs in testdata/upstream (provenance: testdata/upstream/README.md).
//
// For every upstream operation the request body schema and the 200/201 response
// schema are walked into a set of property paths (order.items[].discount_lines[].amount),
// each with its JSON type(s) and enum values; upstream allOf members and Swagger-2
// discriminator subtypes are merged in. Ours must have every upstream path, a
// compatible type and every upstream enum value; every upstream parameter must exist
// in ours. Anything deliberately left out or changed is listed per API below and must
// match the comment block at the top of the YAML.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/yaml"
)

type coverageCase struct {
	name     string
	upstream []string // Swagger 2.0 files under testdata/upstream
	ours     string   // our OpenAPI 3 document
	// opIDExtension is the extension on our operations that records the upstream operationId.
	opIDExtension string
	// ops lists the upstream operations as "METHOD /path"; the test fails if one is
	// missing upstream or in ours, so the walk can never pass vacuously.
	ops []string
	// omitted: upstream property paths ("METHOD /path request|response path") that ours
	// leaves out on purpose, with the reason. Keep in sync with the YAML header.
	omitted map[string]string
	// retyped: property names whose JSON type changes on purpose: name -> "from->to".
	retyped map[string]string
	// renamedParams: upstream "in:name" -> our "in:name".
	renamedParams map[string]string
}

var coverageCases = []coverageCase{
	{
		name: "dintero",
		upstream: []string{
			"dintero-checkout-sessions.excerpt.swagger.yaml",
			"dintero-auth-token.excerpt.swagger.yaml",
		},
		ours:          "dintero-checkout.yaml",
		opIDExtension: "x-dintero-operation-id",
		ops: []string{
			"POST /sessions",
			"GET /sessions",
			"POST /sessions-profile",
			"POST /sessions/payment-token",
			"GET /sessions/{session_id}",
			"PUT /sessions/{session_id}",
			"POST /sessions/{session_id}/cancel",
			"POST /accounts/{oid}/auth/token",
		},
		// Nothing of the session operations is left out. (The token endpoint's other
		// grant types are not in the upstream extract to begin with, see its README.)
		omitted: map[string]string{},
		retyped: map[string]string{
			// Minor-unit amounts that upstream types as `number`, unlike every other amount.
			"gross_amount": "number->integer",
			"card_amount":  "number->integer",
		},
		renamedParams: map[string]string{
			// Upstream calls the account id `oid` (it also admits 3-digit partner ids);
			// ours is `aid`, merchant accounts only (^[PT]\d{8}$).
			"path:oid": "path:aid",
		},
	},
	{
		name:          "cyberflex",
		upstream:      []string{"cyberflex-sessions.excerpt.swagger.yaml"},
		ours:          "cyberflex.yaml",
		opIDExtension: "x-cybs-operation-id",
		ops:           []string{"POST /flex/v2/sessions"},
		omitted:       map[string]string{},
		retyped:       map[string]string{},
		renamedParams: map[string]string{},
	},
}

func TestCoverage(t *testing.T) {
	for _, tc := range coverageCases {
		t.Run(tc.name, func(t *testing.T) {
			ours := loadOurs(t, tc.ours)
			assertNoAllOf(t, ours)

			upOps := map[string]upstreamOp{}
			for _, f := range tc.upstream {
				doc := loadUpstream(t, filepath.Join("testdata", "upstream", f))
				for key, op := range operations(doc) {
					upOps[key] = upstreamOp{doc: doc, op: op}
				}
			}
			ourOps := operations(ours)

			for _, key := range tc.ops {
				t.Run(key, func(t *testing.T) {
					up, ok := upOps[key]
					if !ok {
						t.Fatalf("upstream has no operation %s", key)
					}
					norm := normalizePath(key)
					var mine *opWithPath
					for k, o := range ourOps {
						if normalizePath(k) == norm {
							mine = &opWithPath{key: k, op: o}
						}
					}
					if mine == nil {
						t.Fatalf("ours (%s) has no operation matching %s", tc.ours, key)
					}
					checkOperation(t, tc, key, up, mine.op)
				})
			}
		})
	}
}

// TestOurDocumentsValidate: kin-openapi must load and validate our documents.
func TestOurDocumentsValidate(t *testing.T) {
	for _, tc := range coverageCases {
		t.Run(tc.name, func(t *testing.T) {
			loadOurs(t, tc.ours) // loads and validates
		})
	}
}

type upstreamOp struct {
	doc *openapi3.T
	op  *opInfo
}

type opWithPath struct {
	key string
	op  *opInfo
}

type opInfo struct {
	operation *openapi3.Operation
	params    openapi3.Parameters // path-level + operation-level
}

func loadOurs(t *testing.T, name string) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate %s: %v", name, err)
	}
	return doc
}

func loadUpstream(t *testing.T, file string) *openapi3.T {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatalf("parse %s: %v", file, err)
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(js, &doc2); err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	doc3, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		t.Fatalf("convert %s to OpenAPI 3: %v", file, err)
	}
	return doc3
}

func operations(doc *openapi3.T) map[string]*opInfo {
	out := map[string]*opInfo{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			out[method+" "+path] = &opInfo{operation: op, params: params}
		}
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// normalizePath makes "POST /accounts/{oid}/auth/token" match "POST /accounts/{aid}/auth/token".
func normalizePath(key string) string { return pathParam.ReplaceAllString(key, "{}") }

func checkOperation(t *testing.T, tc coverageCase, key string, up upstreamOp, mine *opInfo) {
	t.Helper()

	// The upstream operationId is kept in an extension on ours.
	if want := up.op.operation.OperationID; want != "" {
		if got := mine.operation.Extensions[tc.opIDExtension]; got != want {
			t.Errorf("%s: %s = %v, want upstream operationId %q", key, tc.opIDExtension, got, want)
		}
	}

	// Parameters: every upstream (in, name) exists in ours, with its enum values.
	for _, p := range up.op.params {
		if p.Value == nil || p.Value.In == "body" {
			continue
		}
		id := paramID(p.Value.In, p.Value.Name)
		if r, ok := tc.renamedParams[id]; ok {
			id = r
		}
		var found *openapi3.Parameter
		for _, q := range mine.params {
			if q.Value != nil && paramID(q.Value.In, q.Value.Name) == id {
				found = q.Value
			}
		}
		if found == nil {
			t.Errorf("%s: upstream parameter %s (%s) is missing from ours", key, p.Value.Name, p.Value.In)
			continue
		}
		compareShapes(t, tc, key+" parameter "+p.Value.Name,
			walk(up.doc, p.Value.Schema), walk(nil, found.Schema))
	}

	// Request body.
	upBody, myBody := requestSchema(up.op.operation), requestSchema(mine.operation)
	if upBody != nil {
		if myBody == nil {
			t.Errorf("%s: upstream has a request body, ours has none", key)
		} else {
			compareShapes(t, tc, key+" request", walk(up.doc, upBody), walk(nil, myBody))
		}
	}

	// 200/201 response body.
	upResp, upCode := successSchema(up.op.operation)
	myResp, myCode := successSchema(mine.operation)
	if upResp != nil {
		if myResp == nil {
			t.Errorf("%s: upstream %s response has a body, ours has none", key, upCode)
		} else {
			if upCode != myCode {
				t.Errorf("%s: success status is %s upstream, %s in ours", key, upCode, myCode)
			}
			compareShapes(t, tc, key+" response", walk(up.doc, upResp), walk(nil, myResp))
		}
	}
}

func paramID(in, name string) string {
	if in == openapi3.ParameterInHeader {
		name = http.CanonicalHeaderKey(name) // header names are case-insensitive
	}
	return in + ":" + name
}

func firstContentSchema(c openapi3.Content) *openapi3.SchemaRef {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c[k] != nil && c[k].Schema != nil {
			return c[k].Schema
		}
	}
	return nil
}

func requestSchema(op *openapi3.Operation) *openapi3.SchemaRef {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	return firstContentSchema(op.RequestBody.Value.Content)
}

func successSchema(op *openapi3.Operation) (*openapi3.SchemaRef, string) {
	for _, code := range []string{"200", "201"} {
		if r := op.Responses.Value(code); r != nil && r.Value != nil {
			return firstContentSchema(r.Value.Content), code
		}
	}
	return nil, ""
}

// node is what the walk records for one property path.
type node struct {
	types map[string]bool
	enum  map[string]bool
}

// shape maps property paths to what they carry. The root is "$"; object properties
// append ".name", array items "[]", map values "{}".
type shape map[string]*node

// walk collects the property paths of a schema. With doc != nil (upstream) the
// Swagger-2 discriminator subtypes found in doc are merged into their base schema.
// allOf/oneOf/anyOf members are merged at the same path on both sides.
func walk(doc *openapi3.T, root *openapi3.SchemaRef) shape {
	out := shape{}
	subtypes := map[string][]*openapi3.SchemaRef{}
	if doc != nil && doc.Components != nil {
		for name, s := range doc.Components.Schemas {
			if s.Value == nil {
				continue
			}
			for _, m := range s.Value.AllOf {
				subtypes[m.Ref] = append(subtypes[m.Ref], doc.Components.Schemas[name])
			}
		}
	}
	var visit func(sr *openapi3.SchemaRef, path string, stack []*openapi3.Schema)
	visit = func(sr *openapi3.SchemaRef, path string, stack []*openapi3.Schema) {
		if sr == nil || sr.Value == nil {
			return
		}
		s := sr.Value
		if slices.Contains(stack, s) {
			return // cycle
		}
		stack = append(stack, s)
		n := out[path]
		if n == nil {
			n = &node{types: map[string]bool{}, enum: map[string]bool{}}
			out[path] = n
		}
		if s.Type != nil {
			for _, typ := range s.Type.Slice() {
				n.types[typ] = true
			}
		}
		for _, e := range s.Enum {
			n.enum[fmt.Sprint(e)] = true
		}
		for _, group := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
			for _, m := range group {
				visit(m, path, stack)
			}
		}
		if s.Discriminator != nil && sr.Ref != "" {
			for _, sub := range subtypes[sr.Ref] {
				visit(sub, path, stack)
			}
		}
		for name, p := range s.Properties {
			visit(p, path+"."+name, stack)
		}
		if s.Items != nil {
			visit(s.Items, path+"[]", stack)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			visit(ap, path+"{}", stack)
		}
	}
	visit(root, "$", nil)
	return out
}

func lastSegment(path string) string {
	path = strings.TrimRight(path, "[]{}")
	if i := strings.LastIndex(path, "."); i >= 0 {
		return path[i+1:]
	}
	return path
}

func compareShapes(t *testing.T, tc coverageCase, what string, up, mine shape) {
	t.Helper()
	paths := make([]string, 0, len(up))
	for p := range up {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var problems []string
	for _, p := range paths {
		u := up[p]
		if reason, ok := tc.omitted[what+" "+p]; ok {
			_ = reason // deliberately left out
			continue
		}
		m, ok := mine[p]
		if !ok {
			problems = append(problems, fmt.Sprintf("missing property %s", p))
			continue
		}
		if len(m.types) > 0 { // no type in ours = any type
			for typ := range u.types {
				if m.types[typ] || (typ == "integer" && m.types["number"]) {
					continue
				}
				change := tc.retyped[lastSegment(p)]
				if change != "" && strings.HasPrefix(change, typ+"->") && m.types[strings.TrimPrefix(change, typ+"->")] {
					continue
				}
				problems = append(problems, fmt.Sprintf("type of %s: upstream %s, ours %s", p, typ, keys(m.types)))
			}
		}
		for e := range u.enum {
			if !m.enum[e] {
				problems = append(problems, fmt.Sprintf("enum value %q of %s missing (ours: %s)", e, p, keys(m.enum)))
			}
		}
	}
	for _, pr := range problems {
		t.Errorf("%s (%s): %s", what, tc.ours, pr)
	}
	if len(paths) < 1 {
		t.Errorf("%s: upstream walk found nothing", what)
	}
	t.Logf("%s: %d upstream property paths checked, %d problems", what, len(paths), len(problems))
}

func keys(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return "[" + strings.Join(out, " ") + "]"
}

// assertNoAllOf: our documents are flattened by hand (oapi-codegen's allOf merge loses
// properties when members disagree), so allOf must not appear anywhere.
func assertNoAllOf(t *testing.T, doc *openapi3.T) {
	t.Helper()
	seen := map[*openapi3.Schema]bool{}
	var check func(sr *openapi3.SchemaRef, where string)
	check = func(sr *openapi3.SchemaRef, where string) {
		if sr == nil || sr.Value == nil || seen[sr.Value] {
			return
		}
		s := sr.Value
		seen[s] = true
		if len(s.AllOf) > 0 {
			t.Errorf("allOf in our document at %s", where)
		}
		for name, p := range s.Properties {
			check(p, where+"."+name)
		}
		check(s.Items, where+"[]")
		check(s.AdditionalProperties.Schema, where+"{}")
		for _, m := range append(append([]*openapi3.SchemaRef{}, s.OneOf...), s.AnyOf...) {
			check(m, where)
		}
	}
	if doc.Components != nil {
		for name, s := range doc.Components.Schemas {
			check(s, "#/components/schemas/"+name)
		}
	}
}
