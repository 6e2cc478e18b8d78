package api_test

// A reader for the TypeScript declarations that openapi-typescript generates from an OpenAPI
// document (testdata/upstream/dintero-payments.2026.d.ts). It turns them back into an OpenAPI 3
// document, so that coverage_test.go walks them with the same code as the Swagger 2.0 snapshots.
//
// It reads the subset of TypeScript that openapi-typescript emits: `export interface` and
// `export type` declarations made of object types, index signatures, arrays, unions,
// intersections, literals, the primitive types, indexed access (components["schemas"]["X"]) and
// the generics Omit, Record and WithRequired. Anything else is an error, so a newer upstream file
// that uses more of the language fails loudly instead of being read wrong.
//
// What the generator loses cannot be recovered: integer and number are both `number`, formats and
// examples are prose in the comments. Discriminator subtypes are written as
// `{prop: "SubtypeName"} & Omit<Base, "prop"> & {...}`; the reader marks Base with that
// discriminator and drops the literal, because the generator prints schema names there, not wire
// values.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
)

// tsKind is the kind of a TypeScript type expression.
type tsKind int

const (
	tsObject  tsKind = iota // { a: T; b?: U; [key: string]: V }
	tsArray                 // T[]
	tsUnion                 // A | B
	tsInter                 // A & B
	tsRef                   // name["a"]["b"], with optional type arguments
	tsLiteral               // "x", 1, true
	tsPrim                  // string, number, boolean, unknown, never, null
)

type tsType struct {
	kind    tsKind
	members []tsMember // tsObject
	index   *tsType    // tsObject: the value type of an index signature
	elem    *tsType    // tsArray
	parts   []*tsType  // tsUnion, tsInter; type arguments of tsRef
	name    string     // tsRef: the identifier; tsPrim: the primitive; tsLiteral: the Go-quoted text
	access  []string   // tsRef: the indexed-access keys
	lit     any        // tsLiteral: string, float64 or bool
}

type tsMember struct {
	name     string
	optional bool
	typ      *tsType
}

// dtsFile is a parsed declaration file: its exported declarations by name.
type dtsFile map[string]*tsType

type dtsParser struct {
	toks []dtsToken
	pos  int
}

type dtsToken struct {
	text string
	str  bool // a string literal; text is its value
	line int
}

func lexDTS(src string) ([]dtsToken, error) {
	var toks []dtsToken
	line := 1
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			line += strings.Count(src[i:i+2+end+2], "\n")
			i += 2 + end + 2
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
			s, err := strconv.Unquote(src[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", line, err)
			}
			toks = append(toks, dtsToken{text: s, str: true, line: line})
			i = j + 1
		case c == '_' || c == '$' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] == '$' || src[j] == '.' ||
				unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j]))) {
				j++
			}
			toks = append(toks, dtsToken{text: src[i:j], line: line})
			i = j
		case strings.HasPrefix(src[i:], "-?"):
			toks = append(toks, dtsToken{text: "-?", line: line})
			i += 2
		case strings.ContainsRune("{}()[]<>:;,|&?=-", rune(c)):
			toks = append(toks, dtsToken{text: string(c), line: line})
			i++
		default:
			return nil, fmt.Errorf("line %d: unexpected character %q", line, c)
		}
	}
	return toks, nil
}

func parseDTS(src string) (dtsFile, error) {
	toks, err := lexDTS(src)
	if err != nil {
		return nil, err
	}
	p := &dtsParser{toks: toks}
	out := dtsFile{}
	for !p.done() {
		p.accept("export")
		switch {
		case p.accept("interface"):
			name := p.next().text
			t, err := p.object()
			if err != nil {
				return nil, err
			}
			out[name] = t
		case p.accept("type"):
			name := p.next().text
			if p.peek("<") {
				// A generic helper (WithRequired): the reader knows it by name, skip its body.
				if err := p.skipDeclaration(); err != nil {
					return nil, err
				}
				continue
			}
			if err := p.expect("="); err != nil {
				return nil, err
			}
			t, err := p.typ()
			if err != nil {
				return nil, err
			}
			if err := p.expect(";"); err != nil {
				return nil, err
			}
			out[name] = t
		default:
			return nil, p.errorf("expected a declaration")
		}
	}
	return out, nil
}

func (p *dtsParser) done() bool { return p.pos >= len(p.toks) }

func (p *dtsParser) next() dtsToken {
	if p.done() {
		return dtsToken{}
	}
	t := p.toks[p.pos]
	p.pos++
	return t
}

func (p *dtsParser) peek(text string) bool {
	return !p.done() && !p.toks[p.pos].str && p.toks[p.pos].text == text
}

func (p *dtsParser) accept(text string) bool {
	if p.peek(text) {
		p.pos++
		return true
	}
	return false
}

func (p *dtsParser) expect(text string) error {
	if !p.accept(text) {
		return p.errorf("expected %q", text)
	}
	return nil
}

func (p *dtsParser) errorf(format string, args ...any) error {
	where := "end of file"
	if !p.done() {
		where = fmt.Sprintf("line %d near %q", p.toks[p.pos].line, p.toks[p.pos].text)
	}
	return fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...))
}

// skipDeclaration skips to the semicolon that ends the current declaration.
func (p *dtsParser) skipDeclaration() error {
	depth := 0
	for !p.done() {
		t := p.next()
		if t.str {
			continue
		}
		switch t.text {
		case "{", "(", "[", "<":
			depth++
		case "}", ")", "]", ">":
			depth--
		case ";":
			if depth == 0 {
				return nil
			}
		}
	}
	return p.errorf("unterminated declaration")
}

// typ := inter ("|" inter)*
func (p *dtsParser) typ() (*tsType, error) {
	p.accept("|") // a leading bar is allowed
	first, err := p.inter()
	if err != nil {
		return nil, err
	}
	parts := []*tsType{first}
	for p.accept("|") {
		t, err := p.inter()
		if err != nil {
			return nil, err
		}
		parts = append(parts, t)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return &tsType{kind: tsUnion, parts: parts}, nil
}

// inter := postfix ("&" postfix)*
func (p *dtsParser) inter() (*tsType, error) {
	first, err := p.postfix()
	if err != nil {
		return nil, err
	}
	parts := []*tsType{first}
	for p.accept("&") {
		t, err := p.postfix()
		if err != nil {
			return nil, err
		}
		parts = append(parts, t)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return &tsType{kind: tsInter, parts: parts}, nil
}

// postfix := primary ("[]" | "[" string "]")*
func (p *dtsParser) postfix() (*tsType, error) {
	t, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.peek("[") {
		if p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "]" && !p.toks[p.pos+1].str {
			p.pos += 2
			t = &tsType{kind: tsArray, elem: t}
			continue
		}
		if t.kind != tsRef || len(t.parts) > 0 {
			return nil, p.errorf("indexed access on something that is not a name")
		}
		p.pos++
		key := p.next()
		if !key.str {
			return nil, p.errorf("indexed access with a non-string key")
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		t.access = append(t.access, key.text)
	}
	return t, nil
}

var tsPrimitives = []string{"string", "number", "boolean", "unknown", "never", "null"}

func (p *dtsParser) primary() (*tsType, error) {
	switch {
	case p.peek("{"):
		return p.object()
	case p.accept("("):
		t, err := p.typ()
		if err != nil {
			return nil, err
		}
		return t, p.expect(")")
	}
	t := p.next()
	switch {
	case t.str:
		return &tsType{kind: tsLiteral, lit: t.text, name: strconv.Quote(t.text)}, nil
	case t.text == "true" || t.text == "false":
		return &tsType{kind: tsLiteral, lit: t.text == "true", name: t.text}, nil
	case t.text == "-":
		n := p.next()
		f, err := strconv.ParseFloat(n.text, 64)
		if err != nil {
			return nil, p.errorf("bad number -%s", n.text)
		}
		return &tsType{kind: tsLiteral, lit: -f, name: "-" + n.text}, nil
	case t.text != "" && unicode.IsDigit(rune(t.text[0])):
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errorf("bad number %s", t.text)
		}
		return &tsType{kind: tsLiteral, lit: f, name: t.text}, nil
	case slices.Contains(tsPrimitives, t.text):
		return &tsType{kind: tsPrim, name: t.text}, nil
	case t.text != "" && (unicode.IsLetter(rune(t.text[0])) || t.text[0] == '_' || t.text[0] == '$'):
		ref := &tsType{kind: tsRef, name: t.text}
		if p.accept("<") {
			for {
				arg, err := p.typ()
				if err != nil {
					return nil, err
				}
				ref.parts = append(ref.parts, arg)
				if !p.accept(",") {
					break
				}
			}
			if err := p.expect(">"); err != nil {
				return nil, err
			}
		}
		return ref, nil
	}
	p.pos--
	return nil, p.errorf("expected a type")
}

// object := "{" (member ";")* "}", member := ["readonly"] key ["?"] ":" type | "[" name ":" type "]" ":" type
func (p *dtsParser) object() (*tsType, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	obj := &tsType{kind: tsObject}
	for !p.accept("}") {
		if p.done() {
			return nil, p.errorf("unterminated object type")
		}
		if p.accept("[") {
			p.next() // the key's name
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			if _, err := p.typ(); err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			t, err := p.typ()
			if err != nil {
				return nil, err
			}
			obj.index = t
		} else {
			key := p.next()
			if !key.str && key.text == "readonly" && !p.peek("?") && !p.peek(":") {
				key = p.next()
			}
			if key.text == "" || (!key.str && !isTSName(key.text) && !isDigits(key.text)) {
				p.pos--
				return nil, p.errorf("expected a property name")
			}
			m := tsMember{name: key.text, optional: p.accept("?")}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			t, err := p.typ()
			if err != nil {
				return nil, err
			}
			m.typ = t
			obj.members = append(obj.members, m)
		}
		if !p.accept(";") && !p.accept(",") && !p.peek("}") {
			return nil, p.errorf("expected ; or }")
		}
	}
	return obj, nil
}

func isTSName(s string) bool {
	for i, r := range s {
		if r != '_' && r != '$' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

func (t *tsType) member(name string) *tsType {
	if t == nil || t.kind != tsObject {
		return nil
	}
	for _, m := range t.members {
		if m.name == name {
			return m.typ
		}
	}
	return nil
}

// dtsDoc turns a parsed declaration file into an OpenAPI 3 document: every
// components["schemas"] entry as a component schema, and the operations of the paths interface.
type dtsConverter struct {
	file    dtsFile
	schemas map[string]*openapi3.SchemaRef
}

func dtsDoc(file dtsFile) (*openapi3.T, error) {
	c := &dtsConverter{file: file, schemas: map[string]*openapi3.SchemaRef{}}
	doc := &openapi3.T{
		OpenAPI:    "3.0.3",
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}},
		Paths:      openapi3.NewPaths(),
	}
	schemas := file["components"].member("schemas")
	if schemas == nil {
		return nil, fmt.Errorf("no components.schemas")
	}
	for _, m := range schemas.members {
		sr, err := c.named(m.name)
		if err != nil {
			return nil, err
		}
		doc.Components.Schemas[m.name] = sr
	}
	paths := file["paths"]
	if paths == nil {
		return nil, fmt.Errorf("no paths")
	}
	for _, pm := range paths.members {
		item := &openapi3.PathItem{}
		for _, om := range pm.typ.members {
			if om.typ.kind != tsRef || om.typ.name != "operations" {
				continue
			}
			opType, err := c.resolve(om.typ)
			if err != nil {
				return nil, err
			}
			op, err := c.operation(om.typ.access[0], opType)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", om.name, pm.name, err)
			}
			item.SetOperation(strings.ToUpper(om.name), op)
		}
		doc.Paths.Set(pm.name, item)
	}
	return doc, nil
}

// resolve follows a reference (components["schemas"]["X"], operations["y"]) to its type.
func (c *dtsConverter) resolve(t *tsType) (*tsType, error) {
	cur := c.file[t.name]
	if cur == nil {
		return nil, fmt.Errorf("unknown name %s", t.name)
	}
	for _, k := range t.access {
		next := cur.member(k)
		if next == nil {
			return nil, fmt.Errorf("%s has no member %q", t.name+fmt.Sprint(t.access), k)
		}
		cur = next
	}
	return cur, nil
}

func isSchemaRef(t *tsType) bool {
	return t.kind == tsRef && t.name == "components" && len(t.access) == 2 && t.access[0] == "schemas" && len(t.parts) == 0
}

// named converts components["schemas"][name] once; later uses share the *Schema (cycles too).
func (c *dtsConverter) named(name string) (*openapi3.SchemaRef, error) {
	if sr, ok := c.schemas[name]; ok {
		return sr, nil
	}
	t := c.file["components"].member("schemas").member(name)
	if t == nil {
		return nil, fmt.Errorf("no schema %s", name)
	}
	s := &openapi3.Schema{}
	sr := &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: s}
	c.schemas[name] = sr
	discriminator := subtypeDiscriminator(t)
	conv, err := c.schema(t, discriminator)
	if err != nil {
		return nil, fmt.Errorf("schema %s: %w", name, err)
	}
	*s = *conv.Value
	return sr, nil
}

// subtypeDiscriminator returns the discriminator property of a subtype declaration
// ({prop: "X"} & (Omit<components["schemas"]["Base"], "prop"> & {...})) and marks Base with it.
func subtypeDiscriminator(t *tsType) string {
	var prop string
	var visit func(t *tsType)
	visit = func(t *tsType) {
		switch t.kind {
		case tsInter:
			for _, p := range t.parts {
				visit(p)
			}
		case tsRef:
			if t.name == "Omit" && len(t.parts) == 2 && isSchemaRef(t.parts[0]) && t.parts[1].kind == tsLiteral {
				prop, _ = t.parts[1].lit.(string)
			}
		}
	}
	visit(t)
	return prop
}

func (c *dtsConverter) schema(t *tsType, discriminator string) (*openapi3.SchemaRef, error) {
	switch t.kind {
	case tsPrim:
		switch t.name {
		case "unknown", "never":
			return openapi3.NewSchemaRef("", &openapi3.Schema{}), nil
		case "null":
			return openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true}), nil
		}
		return openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{t.name}}), nil
	case tsLiteral:
		typ := map[string]string{"string": "string", "float64": "number", "bool": "boolean"}[fmt.Sprintf("%T", t.lit)]
		return openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{typ}, Enum: []any{t.lit}}), nil
	case tsArray:
		items, err := c.schema(t.elem, "")
		if err != nil {
			return nil, err
		}
		return openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"}, Items: items}), nil
	case tsObject:
		s := &openapi3.Schema{Type: &openapi3.Types{"object"}, Properties: openapi3.Schemas{}}
		for _, m := range t.members {
			if m.typ.kind == tsPrim && m.typ.name == "never" {
				continue
			}
			var ps *openapi3.SchemaRef
			if m.name == discriminator && m.typ.kind == tsLiteral {
				// The generator prints the subtype's schema name here, not a wire value.
				ps = openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}})
			} else {
				var err error
				if ps, err = c.schema(m.typ, ""); err != nil {
					return nil, fmt.Errorf("%s: %w", m.name, err)
				}
			}
			s.Properties[m.name] = ps
			if !m.optional {
				s.Required = append(s.Required, m.name)
			}
		}
		if t.index != nil {
			ap, err := c.schema(t.index, "")
			if err != nil {
				return nil, err
			}
			s.AdditionalProperties = openapi3.AdditionalProperties{Schema: ap}
		}
		return openapi3.NewSchemaRef("", s), nil
	case tsUnion:
		return c.union(t)
	case tsInter:
		s := &openapi3.Schema{}
		for _, p := range flattenInter(t, nil) {
			m, err := c.schema(p, discriminator)
			if err != nil {
				return nil, err
			}
			s.AllOf = append(s.AllOf, m)
		}
		return openapi3.NewSchemaRef("", s), nil
	case tsRef:
		return c.ref(t)
	}
	return nil, fmt.Errorf("unknown type kind %d", t.kind)
}

// flattenInter lists the members of nested intersections (A & (B & C)) as one list, so that a
// subtype's Omit<Base, …> is a direct allOf member, where the walk looks for it.
func flattenInter(t *tsType, out []*tsType) []*tsType {
	if t.kind != tsInter {
		return append(out, t)
	}
	for _, p := range t.parts {
		out = flattenInter(p, out)
	}
	return out
}

func flattenUnion(t *tsType) []*tsType {
	if t.kind == tsUnion {
		return t.parts
	}
	return []*tsType{t}
}

// union: literals of one type become an enum; `X | null` a nullable X; anything else oneOf.
func (c *dtsConverter) union(t *tsType) (*openapi3.SchemaRef, error) {
	s := &openapi3.Schema{}
	var rest []*tsType
	types := openapi3.Types{}
	for _, p := range t.parts {
		switch {
		case p.kind == tsPrim && p.name == "null":
			s.Nullable = true
		case p.kind == tsLiteral:
			typ := map[string]string{"string": "string", "float64": "number", "bool": "boolean"}[fmt.Sprintf("%T", p.lit)]
			if !slices.Contains(types, typ) {
				types = append(types, typ)
			}
			s.Enum = append(s.Enum, p.lit)
		case p.kind == tsPrim && (p.name == "string" || p.name == "number" || p.name == "boolean"):
			if !slices.Contains(types, p.name) {
				types = append(types, p.name)
			}
		default:
			rest = append(rest, p)
		}
	}
	if len(s.Enum) > 0 && len(types) > 1 {
		// Mixed literal types; keep them as alternatives.
		s.Enum = nil
	}
	if len(types) > 0 {
		s.Type = &types
	}
	for _, p := range rest {
		m, err := c.schema(p, "")
		if err != nil {
			return nil, err
		}
		s.OneOf = append(s.OneOf, m)
	}
	return openapi3.NewSchemaRef("", s), nil
}

func (c *dtsConverter) ref(t *tsType) (*openapi3.SchemaRef, error) {
	switch {
	case isSchemaRef(t):
		return c.named(t.access[1])
	case t.name == "components" && len(t.parts) == 0:
		r, err := c.resolve(t)
		if err != nil {
			return nil, err
		}
		return c.schema(r, "")
	case t.name == "WithRequired" && len(t.parts) == 2:
		base, err := c.schema(t.parts[0], "")
		if err != nil {
			return nil, err
		}
		req := &openapi3.Schema{}
		for _, k := range flattenUnion(t.parts[1]) {
			if name, ok := k.lit.(string); ok {
				req.Required = append(req.Required, name)
			}
		}
		return openapi3.NewSchemaRef("", &openapi3.Schema{AllOf: openapi3.SchemaRefs{base, openapi3.NewSchemaRef("", req)}}), nil
	case t.name == "Record" && len(t.parts) == 2:
		v := t.parts[1]
		s := &openapi3.Schema{Type: &openapi3.Types{"object"}}
		if v.kind != tsPrim || v.name != "never" {
			ap, err := c.schema(v, "")
			if err != nil {
				return nil, err
			}
			s.AdditionalProperties = openapi3.AdditionalProperties{Schema: ap}
		}
		return openapi3.NewSchemaRef("", s), nil
	case t.name == "Omit" && len(t.parts) == 2 && isSchemaRef(t.parts[0]):
		// The base of a discriminator subtype: the base without the discriminator property. It
		// keeps the base's $ref so that the walk finds the subtype under the base.
		base, err := c.named(t.parts[0].access[1])
		if err != nil {
			return nil, err
		}
		prop, _ := t.parts[1].lit.(string)
		if base.Value.Discriminator == nil {
			base.Value.Discriminator = &openapi3.Discriminator{PropertyName: prop}
		}
		cp := *base.Value
		cp.Discriminator = nil
		cp.Properties = openapi3.Schemas{}
		for k, v := range base.Value.Properties {
			if k != prop {
				cp.Properties[k] = v
			}
		}
		return &openapi3.SchemaRef{Ref: base.Ref, Value: &cp}, nil
	}
	return nil, fmt.Errorf("unsupported reference %s%q<%d args>", t.name, t.access, len(t.parts))
}

// operation converts operations["x"]: parameters, the JSON request body, the responses.
func (c *dtsConverter) operation(id string, t *tsType) (*openapi3.Operation, error) {
	op := &openapi3.Operation{OperationID: id, Responses: openapi3.NewResponses()}
	if params := t.member("parameters"); params != nil {
		for _, in := range []string{"query", "header", "path", "cookie"} {
			group := params.member(in)
			if group == nil || group.kind != tsObject {
				continue
			}
			for _, m := range group.members {
				s, err := c.schema(m.typ, "")
				if err != nil {
					return nil, fmt.Errorf("parameter %s: %w", m.name, err)
				}
				op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
					In: in, Name: m.name, Required: !m.optional, Schema: s,
				}})
			}
		}
	}
	if body := t.member("requestBody"); body != nil {
		if body.kind == tsRef {
			r, err := c.resolve(body)
			if err != nil {
				return nil, err
			}
			body = r
		}
		if body.kind == tsObject {
			content, err := c.content(body)
			if err != nil {
				return nil, fmt.Errorf("request body: %w", err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Content: content}}
		}
	}
	if responses := t.member("responses"); responses != nil {
		for _, m := range responses.members {
			r := m.typ
			if r.kind == tsRef {
				var err error
				if r, err = c.resolve(r); err != nil {
					return nil, err
				}
			}
			content, err := c.content(r)
			if err != nil {
				return nil, fmt.Errorf("response %s: %w", m.name, err)
			}
			desc := ""
			op.Responses.Set(m.name, &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc, Content: content}})
		}
	}
	return op, nil
}

func (c *dtsConverter) content(t *tsType) (openapi3.Content, error) {
	content := openapi3.Content{}
	ct := t.member("content")
	if ct == nil {
		return content, nil
	}
	for _, m := range ct.members {
		s, err := c.schema(m.typ, "")
		if err != nil {
			return nil, err
		}
		content[m.name] = &openapi3.MediaType{Schema: s}
	}
	return content, nil
}

// dtsSchema converts a type expression written in the file's own terms (for the operations that
// upstream leaves out and the coverage test rebuilds from upstream's schemas).
func dtsSchema(file dtsFile, doc *openapi3.T, expr string) (*openapi3.SchemaRef, error) {
	toks, err := lexDTS(expr)
	if err != nil {
		return nil, err
	}
	p := &dtsParser{toks: toks}
	t, err := p.typ()
	if err != nil {
		return nil, err
	}
	if !p.done() {
		return nil, p.errorf("trailing tokens")
	}
	c := &dtsConverter{file: file, schemas: map[string]*openapi3.SchemaRef{}}
	for name, sr := range doc.Components.Schemas {
		c.schemas[name] = sr
	}
	return c.schema(t, "")
}
