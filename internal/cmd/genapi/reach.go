package main

import (
	"go/types"
	"sort"
)

// reachable returns the named types declared in target that a user of home can reach through
// home's exported API, sorted by name: the types of exported functions' and methods' parameters
// and results, of exported variables and constants, of exported struct fields (and embedded
// ones, whose fields are promoted), of interface methods, the right-hand side of aliases, and
// the element types of pointers, slices, arrays, maps and channels, recursively. The exported
// methods of a reached type count too (an enum's Valid, a union's As… methods).
//
// Only home's and target's types are followed: time.Time leads nowhere. Aliases declared in
// target (type Limit = int) are walked through, not reported: they denote an existing type and
// are no name a user needs. roots filters home's package-level objects; nil means all exported.
func reachable(home, target *types.Package, roots func(types.Object) bool) []*types.TypeName {
	w := &walker{home: home, target: target, seen: map[types.Type]bool{}, found: map[string]*types.TypeName{}}
	scope := home.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() || (roots != nil && !roots(obj)) {
			continue
		}
		w.walk(obj.Type())
	}
	out := make([]*types.TypeName, 0, len(w.found))
	for _, tn := range w.found {
		out = append(out, tn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

type walker struct {
	home, target *types.Package
	seen         map[types.Type]bool
	found        map[string]*types.TypeName
}

func (w *walker) walk(t types.Type) {
	if t == nil || w.seen[t] {
		return
	}
	w.seen[t] = true
	switch t := t.(type) {
	case *types.Alias:
		w.walkTypeArgs(t.TypeArgs())
		w.walk(t.Rhs())
	case *types.Named:
		obj := t.Obj()
		if obj.Pkg() != w.home && obj.Pkg() != w.target {
			return
		}
		if obj.Pkg() == w.target && obj.Exported() {
			w.found[obj.Name()] = obj
		}
		w.walkTypeArgs(t.TypeArgs())
		w.walk(t.Underlying())
		for m := range t.Methods() {
			if m.Exported() {
				w.walk(m.Type())
			}
		}
	case *types.Pointer:
		w.walk(t.Elem())
	case *types.Slice:
		w.walk(t.Elem())
	case *types.Array:
		w.walk(t.Elem())
	case *types.Chan:
		w.walk(t.Elem())
	case *types.Map:
		w.walk(t.Key())
		w.walk(t.Elem())
	case *types.Signature:
		w.walk(t.Params())
		w.walk(t.Results())
	case *types.Tuple:
		for v := range t.Variables() {
			w.walk(v.Type())
		}
	case *types.Struct:
		for f := range t.Fields() {
			if f.Exported() || f.Embedded() {
				w.walk(f.Type())
			}
		}
	case *types.Interface:
		for m := range t.ExplicitMethods() {
			if m.Exported() {
				w.walk(m.Type())
			}
		}
		for e := range t.EmbeddedTypes() {
			w.walk(e)
		}
	case *types.Union:
		for term := range t.Terms() {
			w.walk(term.Type())
		}
	case *types.TypeParam:
		w.walk(t.Constraint())
	}
}

func (w *walker) walkTypeArgs(args *types.TypeList) {
	for t := range args.Types() {
		w.walk(t)
	}
}

// enumConstants returns the constants declared in the package of tn whose type is tn, sorted by
// name: the values of a generated enum type.
func enumConstants(tn *types.TypeName) []*types.Const {
	var out []*types.Const
	scope := tn.Pkg().Scope()
	for _, name := range scope.Names() {
		if c, ok := scope.Lookup(name).(*types.Const); ok && c.Exported() && types.Identical(c.Type(), tn.Type()) {
			out = append(out, c)
		}
	}
	return out
}
