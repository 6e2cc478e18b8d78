package main

import (
	"bytes"
	"context"
	"fmt"
	"go/types"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/paysession/paysession-go/internal/specformat"
)

// rulesFile is written to the generated package's directory with -rules: the value rules the
// OpenAPI document states for the properties of the generated struct types, for the wrapper's
// request checks. It is the one output read from the YAML rather than from the Go types: the
// rules (patterns, bounds, formats) do not survive into Go.
const rulesFile = "rules.gen.go"

// Extensions of the document that the rules read.
const (
	closedEnumExt = "x-paysession-closed-enum" // true: a value outside the enum is refused
	futureExt     = "x-paysession-future"      // true: a date-time that must lie ahead
)

// rulesSource returns the source of rulesFile for the generated package gen, from the document
// at c.spec. Each object schema of the document must match one struct type of gen: the same name
// up to case (oapi-codegen's initialisms change only the case) and a field for every property.
func rulesSource(c config, gen *types.Package) ([]byte, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromFile(c.spec)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", c.spec, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("%s is not valid OpenAPI: %w", c.spec, err)
	}
	structs := map[string]*types.TypeName{} // by lower-case name
	for _, tn := range jsonStructs(gen) {
		structs[strings.ToLower(tn.Name())] = tn
	}

	entries := map[string][]byte{} // by Go type name
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s := doc.Components.Schemas[name].Value
		if len(s.Properties) == 0 || s.Extensions["x-go-type"] != nil {
			continue // not a struct in Go (enums, maps)
		}
		tn := structs[strings.ToLower(name)]
		if tn == nil {
			return nil, fmt.Errorf("%s: schema %s has no struct type in %s", c.spec, name, c.genPath)
		}
		fields := jsonFields(tn)
		props := make([]string, 0, len(s.Properties))
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		var body bytes.Buffer
		for _, p := range props {
			if !fields[p] {
				return nil, fmt.Errorf("%s: property %s.%s has no field in %s.%s", c.spec, name, p, gen.Name(), tn.Name())
			}
			if r := ruleOf(s.Properties[p]); r != "" {
				fmt.Fprintf(&body, "\t\t%s: {%s},\n", strconv.Quote(p), r)
			}
		}
		if _, dup := entries[tn.Name()]; dup {
			return nil, fmt.Errorf("%s: two schemas are %s.%s", c.spec, gen.Name(), tn.Name())
		}
		entries[tn.Name()] = body.Bytes()
	}
	var table bytes.Buffer
	for _, goName := range slices.Sorted(maps.Keys(entries)) {
		if body := entries[goName]; len(body) > 0 {
			fmt.Fprintf(&table, "\t%s: {\n%s\t},\n", strconv.Quote(goName), body)
		}
	}

	var b bytes.Buffer
	b.WriteString("\n")
	writeComment(&b, "", "FieldRule is what "+c.spec+" states about the value of one property of a "+
		"generated struct type, besides whether it is required (which the field's omitempty tells). "+
		"The zero value of each field states nothing.")
	b.WriteString("type FieldRule struct {\n")
	for _, f := range []struct{ doc, decl string }{
		{"Format names a string format; only those that package internal/specformat checks appear.", "Format string"},
		{"Pattern is a regular expression (RE2) that a string must match.", "Pattern string"},
		{"MinLength and MaxLength bound a string's length in characters.", "MinLength, MaxLength int"},
		{"Minimum and Maximum bound a number, exclusively when ExclusiveMinimum or ExclusiveMaximum.", "Minimum, Maximum *float64"},
		{"", "ExclusiveMinimum, ExclusiveMaximum bool"},
		{"MinItems and MaxItems bound the length of a list.", "MinItems, MaxItems int"},
		{"MaxProperties bounds the number of keys of a map.", "MaxProperties int"},
		{"Enum lists the only values allowed, for the enums the document marks " + closedEnumExt + ".", "Enum []string"},
		{"Future: the date-time must lie ahead (" + futureExt + ").", "Future bool"},
		{"ValueTypes lists the JSON types a map's values may have (string, number, ...).", "ValueTypes []string"},
		{"Items is the rule of each element of a list of strings or numbers.", "Items *FieldRule"},
	} {
		if f.doc != "" {
			writeComment(&b, "\t", f.doc)
		}
		fmt.Fprintf(&b, "\t%s\n", f.decl)
	}
	b.WriteString("}\n\n")
	writeComment(&b, "", "FieldRules holds the FieldRule of every property of the generated struct "+
		"types that "+c.spec+" states one for, by type name, then by the property's JSON name.")
	fmt.Fprintf(&b, "var FieldRules = map[string]map[string]FieldRule{\n%s}\n\n", table.Bytes())
	b.WriteString("func float64Ptr(v float64) *float64 { return &v }\n")
	return source(header(c.spec), "", gen.Name(), newImportSet(), b.Bytes())
}

// jsonFields returns the JSON names of the fields of a struct type.
func jsonFields(tn *types.TypeName) map[string]bool {
	st := tn.Type().Underlying().(*types.Struct)
	out := map[string]bool{}
	for i := range st.NumFields() {
		name, _, _ := strings.Cut(reflect.StructTag(st.Tag(i)).Get("json"), ",")
		out[name] = true
	}
	return out
}

// ruleOf returns the FieldRule literal of a property, or "" when the document states nothing
// about its value. An object property states nothing here: the walk goes into its struct.
func ruleOf(sr *openapi3.SchemaRef) string {
	s := sr.Value
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	switch {
	case s.Type.Is("string"):
		if specformat.Known(s.Format) {
			add("Format: %q", s.Format)
		}
		if s.Pattern != "" {
			add("Pattern: %s", strconv.Quote(s.Pattern))
		}
		if s.MinLength > 0 {
			add("MinLength: %d", s.MinLength)
		}
		if s.MaxLength != nil {
			add("MaxLength: %d", *s.MaxLength)
		}
		if s.Extensions[futureExt] == true {
			add("Future: true")
		}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			add("Minimum: float64Ptr(%v)", *s.Min)
		}
		if s.Max != nil {
			add("Maximum: float64Ptr(%v)", *s.Max)
		}
		if s.ExclusiveMin.IsTrue() {
			add("ExclusiveMinimum: true")
		}
		if s.ExclusiveMax.IsTrue() {
			add("ExclusiveMaximum: true")
		}
	case s.Type.Is("array"):
		if s.MinItems > 0 {
			add("MinItems: %d", s.MinItems)
		}
		if s.MaxItems != nil {
			add("MaxItems: %d", *s.MaxItems)
		}
		if s.Items != nil && len(s.Items.Value.Properties) == 0 {
			if item := ruleOf(s.Items); item != "" {
				add("Items: &FieldRule{%s}", item)
			}
		}
	case s.Type.Is("object") && len(s.Properties) == 0 || s.Extensions["x-go-type"] != nil && s.AdditionalProperties.Schema != nil:
		if s.MaxProps != nil {
			add("MaxProperties: %d", *s.MaxProps)
		}
		if ap := s.AdditionalProperties.Schema; ap != nil {
			var types []string
			for _, m := range append(openapi3.SchemaRefs{ap}, ap.Value.OneOf...) {
				if m.Value.Type != nil {
					types = append(types, m.Value.Type.Slice()...)
				}
			}
			if len(types) > 0 {
				add("ValueTypes: []string{%s}", quoteAll(types))
			}
		}
	}
	if len(s.Enum) > 0 && s.Extensions[closedEnumExt] == true {
		values := make([]string, len(s.Enum))
		for i, e := range s.Enum {
			values[i] = fmt.Sprint(e)
		}
		add("Enum: []string{%s}", quoteAll(values))
	}
	return strings.Join(parts, ", ")
}

func quoteAll(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}
