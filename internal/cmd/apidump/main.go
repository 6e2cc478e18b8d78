// Command apidump records the exported API of a module's public packages, one line per exported
// name in the style of Go's own api/go1.txt, and checks a committed record against the code:
//
//	apidump [-C dir] update api-surface.txt   # rewrite the record from the code
//	apidump [-C dir] check api-surface.txt    # fail, listing the lines, when they differ
//
// A public package is every non-main package of the module outside internal/, gen/ and
// examples/. Types of those excluded packages that the public API reaches (an alias of a
// generated struct, a field of such a struct, a parameter of an exported function) are recorded
// too, under their own package path, because users depend on their fields and methods as much as
// on the names that lead to them.
//
// A line in the record that the code no longer produces is an incompatible change: a name, field
// or method removed, or a signature or constant value changed. A line only the code produces is
// an addition. check reports both and fails on either, so the record is always current.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/constant"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

const usage = `usage: apidump [-C dir] update|check FILE

update rewrites FILE with the exported API of the module in dir.
check fails, listing removed (incompatible) and added lines, when FILE differs from it.
`

func main() {
	flags := flag.NewFlagSet("apidump", flag.ContinueOnError)
	flags.SetOutput(os.Stderr)
	flags.Usage = func() { fmt.Fprint(os.Stderr, usage) }
	dir := flags.String("C", ".", "the module's root directory")
	if err := flags.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if flags.NArg() != 2 {
		flags.Usage()
		os.Exit(2)
	}
	ok, err := run(os.Stdout, *dir, flags.Arg(0), flags.Arg(1))
	if err != nil {
		fmt.Fprintln(os.Stderr, "apidump:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// run performs one command. It returns ok=false when check found a difference, and an error
// when the command could not be carried out at all.
func run(w io.Writer, dir, command, file string) (ok bool, err error) {
	switch command {
	case "update", "check":
	default:
		return false, fmt.Errorf("unknown command %q; want update or check", command)
	}
	lines, err := Dump(dir)
	if err != nil {
		return false, err
	}
	fresh := Render(lines)
	if command == "update" {
		return true, os.WriteFile(file, fresh, 0o644) //nolint:gosec // G306: a committed source file, world-readable like the rest
	}
	recorded, err := os.ReadFile(file) //nolint:gosec // G304: the record named on the command line
	if errors.Is(err, os.ErrNotExist) {
		recorded, err = nil, nil
	}
	if err != nil {
		return false, err
	}
	report := Compare(recorded, fresh)
	if report == "" {
		fmt.Fprintf(w, "api-check: the exported API matches %s\n", file)
		return true, nil
	}
	fmt.Fprintf(w, "api-check: the exported API differs from %s:\n%s", file, report)
	fmt.Fprintf(w, "If the change is intended, run 'make api-update', commit %s with it and describe it in\n"+
		"CHANGELOG.md; a REMOVED line breaks users' code, so it is listed under \"Removed\" or \"Changed\".\n", file)
	return false, nil
}

// header starts every record, so that a reader of the file knows where it comes from.
const header = `# The exported API of this module's public packages, one line per exported name, field and
# method, in the style of Go's api/go1.txt. Written by 'make api-update'; 'make api-check' (part
# of 'make test') fails when the code no longer matches it. Do not edit by hand.
`

// Render is the record of lines: the header, then the lines sorted and without duplicates.
func Render(lines []string) []byte {
	lines = slices.Clone(lines)
	slices.Sort(lines)
	lines = slices.Compact(lines)
	var b bytes.Buffer
	b.WriteString(header)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Compare describes how the fresh record differs from the recorded one: every line the code no
// longer produces as "REMOVED (incompatible)", every new line as "added". It is empty when the
// two are identical.
func Compare(recorded, fresh []byte) string {
	if bytes.Equal(recorded, fresh) {
		return ""
	}
	was, now := recordLines(recorded), recordLines(fresh)
	var b strings.Builder
	for _, l := range was {
		if _, found := slices.BinarySearch(now, l); !found {
			fmt.Fprintf(&b, "  REMOVED (incompatible): %s\n", l)
		}
	}
	for _, l := range now {
		if _, found := slices.BinarySearch(was, l); !found {
			fmt.Fprintf(&b, "  added: %s\n", l)
		}
	}
	if b.Len() == 0 {
		b.WriteString("  the same lines, but not in the form 'make api-update' writes (edited by hand?)\n")
	}
	return b.String()
}

// recordLines is the sorted set of API lines of a record, without comments and blank lines.
func recordLines(record []byte) []string {
	var lines []string
	for l := range strings.SplitSeq(string(record), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	slices.Sort(lines)
	return slices.Compact(lines)
}

// listedPackage is the part of `go list -json` output Dump reads.
type listedPackage struct {
	ImportPath string
	Name       string
	Export     string // the compiler's export data, with every type of the package
	DepOnly    bool   // a dependency, not a package of the module
	Error      *struct{ Err string }
}

// Dump returns the API lines of the public packages of the module in dir, unsorted. It reads the
// compiler's export data (`go list -export`), so it sees exactly what an importer of the packages
// sees, and needs nothing beyond the go command.
func Dump(dir string) ([]string, error) {
	modPath, err := goCommand(dir, "list", "-m")
	if err != nil {
		return nil, err
	}
	modPath = strings.TrimSpace(modPath)
	out, err := goCommand(dir, "list", "-e", "-export", "-deps", "-json=ImportPath,Name,Export,DepOnly,Error", "./...")
	if err != nil {
		return nil, err
	}
	exports := map[string]string{}
	var public []string
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("package %s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly && p.Name != "main" && isPublic(modPath, p.ImportPath) {
			public = append(public, p.ImportPath)
		}
	}
	slices.Sort(public)

	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file) //nolint:gosec // G304: an export data file the go command named
	})
	d := &dumper{modPath: modPath, public: map[string]bool{}, seen: map[*types.TypeName]bool{}}
	for _, p := range public {
		d.public[p] = true
	}
	for _, p := range public {
		pkg, err := imp.Import(p)
		if err != nil {
			return nil, fmt.Errorf("importing %s: %w", p, err)
		}
		d.dumpPackage(pkg)
	}
	return d.lines, nil
}

// isPublic reports whether users may import the package: not internal (the go command's rule)
// and not under the module's gen/ or examples/ directories.
func isPublic(modPath, importPath string) bool {
	rel, ok := strings.CutPrefix(importPath, modPath)
	if !ok || (rel != "" && rel[0] != '/') {
		return false
	}
	rel = strings.TrimPrefix(rel, "/")
	elems := strings.Split(rel, "/")
	if elems[0] == "gen" || elems[0] == "examples" {
		return false
	}
	return !slices.Contains(elems, "internal") && !slices.Contains(elems, "testdata")
}

func goCommand(dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(context.Background(), "go", args...) //nolint:gosec // G204: the go command with this program's own arguments
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// dumper collects the lines of every public package and of the module types they reach.
type dumper struct {
	modPath string
	public  map[string]bool
	lines   []string

	seen  map[*types.TypeName]bool // module types already recorded or queued
	queue []*types.TypeName        // reached module types not yet recorded
}

func (d *dumper) dumpPackage(pkg *types.Package) {
	scope := pkg.Scope()
	for _, name := range scope.Names() { // sorted
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch obj := obj.(type) {
		case *types.Const:
			d.emit(pkg, "const %s = %s", name, constValue(obj.Val()))
			d.emit(pkg, "const %s %s", name, d.constType(pkg, obj.Type()))
		case *types.Var:
			d.emit(pkg, "var %s %s", name, d.typeString(pkg, obj.Type()))
		case *types.Func:
			sig := obj.Type().(*types.Signature)
			d.emit(pkg, "func %s%s%s", name, d.typeParams(pkg, sig.TypeParams()), d.signature(pkg, sig))
		case *types.TypeName:
			d.seen[obj] = true
			d.dumpType(obj)
		}
	}
	// Module types outside the public packages that the API above reaches, and the types
	// their own fields and methods reach in turn.
	for len(d.queue) > 0 {
		tn := d.queue[0]
		d.queue = d.queue[1:]
		d.dumpType(tn)
	}
}

// dumpType records a type: its kind, its exported fields or interface methods, and the
// exported methods of its method set, promoted ones included.
func (d *dumper) dumpType(tn *types.TypeName) {
	pkg, name := tn.Pkg(), tn.Name()
	if alias, ok := tn.Type().(*types.Alias); ok {
		d.emit(pkg, "type %s = %s", name, d.typeString(pkg, alias.Rhs()))
		return
	}
	named, ok := tn.Type().(*types.Named)
	if !ok {
		return
	}
	// An unexported type's name is not API, only the exported fields and methods it brings into
	// reach: record those alone.
	header := func(format string, args ...any) {
		if tn.Exported() {
			d.emit(pkg, format, args...)
		}
	}
	decl := name + d.typeParams(pkg, named.TypeParams())
	switch u := named.Underlying().(type) {
	case *types.Struct:
		header("type %s struct", decl)
		for f := range u.Fields() {
			switch {
			case f.Embedded():
				// Recorded even when the embedded type is unexported: its exported fields and
				// methods are promoted into this one.
				d.emit(pkg, "type %s struct, embedded %s", name, d.typeString(pkg, f.Type()))
			case f.Exported():
				d.emit(pkg, "type %s struct, %s %s", name, f.Name(), d.typeString(pkg, f.Type()))
			}
		}
	case *types.Interface:
		var names []string
		unexported := false
		for m := range u.Methods() {
			if !m.Exported() {
				unexported = true
				continue
			}
			names = append(names, m.Name())
			d.emit(pkg, "type %s interface, %s%s", name, m.Name(), d.signature(pkg, m.Type().(*types.Signature)))
		}
		if unexported {
			names = append(names, "unexported methods")
		}
		for e := range u.EmbeddedTypes() {
			if _, isIface := e.Underlying().(*types.Interface); !isIface {
				d.emit(pkg, "type %s interface, %s", name, d.typeString(pkg, e)) // a type constraint
			}
		}
		header("type %s interface { %s }", decl, strings.Join(names, ", "))
		return // an interface's methods are listed above
	default:
		header("type %s %s", decl, d.typeString(pkg, u))
	}

	values := types.NewMethodSet(named)
	all := types.NewMethodSet(types.NewPointer(named))
	recv := name
	if tps := named.TypeParams(); tps.Len() > 0 {
		var ps []string
		for tp := range tps.TypeParams() {
			ps = append(ps, tp.Obj().Name())
		}
		recv += "[" + strings.Join(ps, ", ") + "]"
	}
	for sel := range all.Methods() {
		m := sel.Obj().(*types.Func)
		if !m.Exported() {
			continue
		}
		r := "*" + recv // callable on a pointer only
		if values.Lookup(m.Pkg(), m.Name()) != nil {
			r = recv
		}
		d.emit(pkg, "method (%s) %s%s", r, m.Name(), d.signature(pkg, m.Type().(*types.Signature)))
	}
}

func (d *dumper) emit(pkg *types.Package, format string, args ...any) {
	d.lines = append(d.lines, "pkg "+pkg.Path()+", "+fmt.Sprintf(format, args...))
}

// reach queues a named type of the module for recording, unless it is an exported name of a
// public package, which that package's own lines record.
func (d *dumper) reach(tn *types.TypeName) {
	pkg := tn.Pkg()
	if pkg == nil || d.seen[tn] || (d.public[pkg.Path()] && tn.Exported()) {
		return
	}
	if pkg.Path() != d.modPath && !strings.HasPrefix(pkg.Path(), d.modPath+"/") {
		return // another module's type: its own API, not this one
	}
	d.seen[tn] = true
	d.queue = append(d.queue, tn)
}

func constValue(v constant.Value) string {
	if v.Kind() == constant.String {
		return strconv.Quote(constant.StringVal(v))
	}
	return v.ExactString()
}

// constType names an untyped constant's kind the way api/go1.txt does ("ideal-int").
func (d *dumper) constType(pkg *types.Package, t types.Type) string {
	if b, ok := t.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
		switch b.Kind() {
		case types.UntypedBool:
			return "ideal-bool"
		case types.UntypedInt:
			return "ideal-int"
		case types.UntypedRune:
			return "ideal-char"
		case types.UntypedFloat:
			return "ideal-float"
		case types.UntypedComplex:
			return "ideal-complex"
		case types.UntypedString:
			return "ideal-string"
		}
	}
	return d.typeString(pkg, t)
}

func (d *dumper) typeParams(pkg *types.Package, tps *types.TypeParamList) string {
	if tps.Len() == 0 {
		return ""
	}
	var ps []string
	for tp := range tps.TypeParams() {
		ps = append(ps, tp.Obj().Name()+" "+d.typeString(pkg, tp.Constraint()))
	}
	return "[" + strings.Join(ps, ", ") + "]"
}

// signature writes a function's parameter and result types without their names, which callers
// never depend on.
func (d *dumper) signature(pkg *types.Package, sig *types.Signature) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := range sig.Params().Len() {
		if i > 0 {
			b.WriteString(", ")
		}
		t := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			b.WriteString("...")
			t = t.(*types.Slice).Elem()
		}
		b.WriteString(d.typeString(pkg, t))
	}
	b.WriteByte(')')
	switch res := sig.Results(); res.Len() {
	case 0:
	case 1:
		b.WriteString(" " + d.typeString(pkg, res.At(0).Type()))
	default:
		var rs []string
		for v := range res.Variables() {
			rs = append(rs, d.typeString(pkg, v.Type()))
		}
		b.WriteString(" (" + strings.Join(rs, ", ") + ")")
	}
	return b.String()
}

// typeString writes t as seen from pkg (other packages' names qualified by package name), and
// queues every module type it names for recording.
func (d *dumper) typeString(pkg *types.Package, t types.Type) string {
	switch t := t.(type) {
	case *types.Basic:
		return t.Name()
	case *types.Pointer:
		return "*" + d.typeString(pkg, t.Elem())
	case *types.Slice:
		return "[]" + d.typeString(pkg, t.Elem())
	case *types.Array:
		return fmt.Sprintf("[%d]%s", t.Len(), d.typeString(pkg, t.Elem()))
	case *types.Map:
		return "map[" + d.typeString(pkg, t.Key()) + "]" + d.typeString(pkg, t.Elem())
	case *types.Chan:
		prefix := map[types.ChanDir]string{types.SendRecv: "chan ", types.SendOnly: "chan<- ", types.RecvOnly: "<-chan "}[t.Dir()]
		return prefix + d.typeString(pkg, t.Elem())
	case *types.Signature:
		return "func" + d.signature(pkg, t)
	case *types.Struct:
		var fs []string
		for f := range t.Fields() {
			if f.Embedded() {
				fs = append(fs, d.typeString(pkg, f.Type()))
			} else {
				fs = append(fs, f.Name()+" "+d.typeString(pkg, f.Type()))
			}
		}
		if len(fs) == 0 {
			return "struct{}"
		}
		return "struct{ " + strings.Join(fs, "; ") + " }"
	case *types.Interface:
		if t.Empty() && t.NumEmbeddeds() == 0 {
			return "any" // however the source spells it
		}
		var ms []string
		for e := range t.EmbeddedTypes() {
			ms = append(ms, d.typeString(pkg, e))
		}
		for m := range t.ExplicitMethods() {
			ms = append(ms, m.Name()+d.signature(pkg, m.Type().(*types.Signature)))
		}
		return "interface{ " + strings.Join(ms, "; ") + " }"
	case *types.Union:
		var terms []string
		for i := range t.Len() {
			term := t.Term(i)
			s := d.typeString(pkg, term.Type())
			if term.Tilde() {
				s = "~" + s
			}
			terms = append(terms, s)
		}
		return strings.Join(terms, " | ")
	case *types.TypeParam:
		return t.Obj().Name()
	case *types.Alias:
		d.reach(t.Obj())
		return d.qualified(pkg, t.Obj()) + d.typeArgs(pkg, t.TypeArgs())
	case *types.Named:
		d.reach(t.Origin().Obj())
		return d.qualified(pkg, t.Obj()) + d.typeArgs(pkg, t.TypeArgs())
	default:
		return t.String()
	}
}

func (d *dumper) qualified(pkg *types.Package, tn *types.TypeName) string {
	if tn.Pkg() == nil || tn.Pkg() == pkg {
		return tn.Name() // a predeclared type (error, any, comparable) or one of pkg's own
	}
	return tn.Pkg().Name() + "." + tn.Name()
}

func (d *dumper) typeArgs(pkg *types.Package, args *types.TypeList) string {
	if args.Len() == 0 {
		return ""
	}
	var as []string
	for a := range args.Types() {
		as = append(as, d.typeString(pkg, a))
	}
	return "[" + strings.Join(as, ", ") + "]"
}
