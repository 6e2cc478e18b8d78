package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/types"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// gettersMarker, alone on a line of a handwritten struct type's doc comment, asks for Get methods
// on its pointer fields. go doc does not show it (it has the form of a directive).
const gettersMarker = "//paysession:getters"

// jsonStructs returns the struct types of pkg that are JSON documents: every field has a json tag
// (the schema types and the operation parameters of oapi-codegen; not its Client, nor its
// …Response types, which have their own GetJSON200 and friends). Sorted by name.
func jsonStructs(pkg *types.Package) []*types.TypeName {
	var out []*types.TypeName
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		tn, ok := scope.Lookup(name).(*types.TypeName)
		if !ok || tn.IsAlias() || !tn.Exported() {
			continue
		}
		st, ok := tn.Type().Underlying().(*types.Struct)
		if !ok || st.NumFields() == 0 {
			continue
		}
		tagged := true
		for i := range st.NumFields() {
			if _, ok := reflect.StructTag(st.Tag(i)).Lookup("json"); !ok {
				tagged = false
				break
			}
		}
		if tagged {
			out = append(out, tn)
		}
	}
	return out
}

// markedStructs returns the types of pkg whose doc comment in files has the gettersMarker line,
// sorted by name. A marked type that is not a struct with a pointer field is an error: the marker
// would promise getters that do not exist.
func markedStructs(pkg *types.Package, files []*ast.File) ([]*types.TypeName, error) {
	var out []*types.TypeName
	for name, doc := range typeDocComments(files) {
		if !hasMarker(doc) {
			continue
		}
		tn, _ := pkg.Scope().Lookup(name).(*types.TypeName)
		if tn == nil || len(pointerFields(tn)) == 0 {
			return nil, fmt.Errorf("%s: %s is marked %s but is not a struct type with pointer fields",
				pkg.Path(), name, gettersMarker)
		}
		out = append(out, tn)
	}
	sortByName(out)
	return out, nil
}

func hasMarker(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if strings.TrimSpace(c.Text) == gettersMarker {
			return true
		}
	}
	return false
}

// pointerFields returns the exported, named (not embedded) pointer fields of tn's struct, in
// declaration order.
func pointerFields(tn *types.TypeName) []*types.Var {
	st, ok := tn.Type().Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	var out []*types.Var
	for f := range st.Fields() {
		if _, ok := f.Type().(*types.Pointer); ok && f.Exported() && !f.Embedded() {
			out = append(out, f)
		}
	}
	return out
}

// writeGetters writes, for every pointer field F of each type in structs (declared in pkg), a
// method GetF that never panics:
//
//   - a pointer to a struct type of pkg comes back as it is, nil when the receiver is nil, so
//     that calls chain: s.GetCustomer().GetEmail();
//   - any other pointer (*string, *int64, an enum, *time.Time) comes back dereferenced, as the
//     zero value when the receiver or the field is nil.
//
// A name the type already has as a field or method (oapi-codegen's GetJSON200) is left alone.
// Imports the results need are added to imports.
func writeGetters(b *bytes.Buffer, pkg *types.Package, structs []*types.TypeName, imports *importSet) {
	qual := imports.qualifier(pkg)
	for _, tn := range structs {
		recv := receiverName(tn)
		for _, f := range pointerFields(tn) {
			name := "Get" + f.Name()
			if obj, _, _ := types.LookupFieldOrMethod(tn.Type(), true, pkg, name); obj != nil {
				continue
			}
			elem := f.Type().(*types.Pointer).Elem()
			if isLocalStruct(elem, pkg) {
				b.WriteString("\n")
				writeComment(b, "", fmt.Sprintf("%s returns the %s field, or nil when the receiver is nil.", name, f.Name()))
				fmt.Fprintf(b, "func (%s *%s) %s() %s {\n", recv, tn.Name(), name, types.TypeString(f.Type(), qual))
				fmt.Fprintf(b, "\tif %s == nil {\n\t\treturn nil\n\t}\n\treturn %s.%s\n}\n", recv, recv, f.Name())
				continue
			}
			b.WriteString("\n")
			writeComment(b, "", fmt.Sprintf("%s returns the %s field, or its zero value when %s or the "+
				"receiver is nil.", name, f.Name(), f.Name()))
			fmt.Fprintf(b, "func (%s *%s) %s() %s {\n", recv, tn.Name(), name, types.TypeString(elem, qual))
			fmt.Fprintf(b, "\tif %s == nil || %s.%s == nil {\n\t\treturn %s\n\t}\n\treturn *%s.%s\n}\n",
				recv, recv, f.Name(), zeroValue(elem, qual), recv, f.Name())
		}
	}
}

// isLocalStruct reports whether t is a struct type declared in pkg (through aliases).
func isLocalStruct(t types.Type, pkg *types.Package) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() != pkg {
		return false
	}
	_, ok = n.Underlying().(*types.Struct)
	return ok
}

// receiverName is the receiver name the type's existing methods use (oapi-codegen names them a, t
// or e), else its first letter in lower case: one name per type, as linters want.
func receiverName(tn *types.TypeName) string {
	if n, ok := tn.Type().(*types.Named); ok {
		for m := range n.Methods() {
			if r := m.Signature().Recv(); r != nil && r.Name() != "" && r.Name() != "_" {
				return r.Name()
			}
		}
	}
	r, _ := utf8.DecodeRuneInString(tn.Name())
	return string(unicode.ToLower(r))
}

// zeroValue is the Go expression of t's zero value.
func zeroValue(t types.Type, qual types.Qualifier) string {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false"
		case u.Info()&types.IsString != 0:
			return `""`
		case u.Info()&types.IsNumeric != 0:
			return "0"
		}
		return "nil" // unsafe.Pointer, untyped nil
	case *types.Struct, *types.Array:
		return types.TypeString(t, qual) + "{}"
	default: // pointer, slice, map, chan, func, interface
		return "nil"
	}
}

func sortByName(tns []*types.TypeName) {
	slices.SortFunc(tns, func(a, b *types.TypeName) int { return strings.Compare(a.Name(), b.Name()) })
}
