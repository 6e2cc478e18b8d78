package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Output file names, in the generated package's directory and in the wrapper's.
const (
	gettersFile = "getters.gen.go"
	docFile     = "doc.gen.go"
	aliasesFile = "aliases.gen.go"
)

// run generates every output of c and writes those that changed.
func run(c config) error {
	outputs, err := generate(c)
	if err != nil {
		return err
	}
	return writeOutputs(outputs, c.genDir, c.wrapperDir)
}

// generate returns the content of every output of c, by file path.
func generate(c config) (map[string][]byte, error) {
	fset := token.NewFileSet()
	genFiles, err := parseDir(fset, c.genDir)
	if err != nil {
		return nil, err
	}
	wrapFiles, err := parseDir(fset, c.wrapperDir)
	if err != nil {
		return nil, err
	}
	l, err := newLoader(fset, importsOf(genFiles, wrapFiles), c.genPath, c.wrapperPath)
	if err != nil {
		return nil, err
	}
	outputs := map[string][]byte{}
	gen, err := generatedPackage(l, c, genFiles, outputs)
	if err != nil {
		return nil, err
	}
	if err := wrapperPackage(l, c, gen, typeDocs(genFiles), wrapFiles, outputs); err != nil {
		return nil, err
	}
	return outputs, nil
}

// generatedPackage type-checks the generated package, adds its getters and doc comment to
// outputs, and returns the package with the getters, which the wrapper may call.
func generatedPackage(l *loader, c config, files []*ast.File, outputs map[string][]byte) (*types.Package, error) {
	gen, err := l.check(c.genPath, files, true, nil)
	if err != nil {
		return nil, err
	}
	name := gen.Name()
	outputs[filepath.Join(c.genDir, docFile)], err = source(header(c.spec), genPackageDoc(c, name), name, newImportSet(), nil)
	if err != nil {
		return nil, err
	}
	var added []*ast.File // outputs that belong to the package: the wrapper may use them
	if c.rules {
		file := filepath.Join(c.genDir, rulesFile)
		if outputs[file], err = rulesSource(c, gen); err != nil {
			return nil, err
		}
		f, err := parseOutput(l.fset, file, outputs[file])
		if err != nil {
			return nil, err
		}
		added = append(added, f)
	}
	imports := newImportSet()
	var body bytes.Buffer
	writeGetters(&body, gen, jsonStructs(gen), imports)
	if body.Len() > 0 {
		file := filepath.Join(c.genDir, gettersFile)
		if outputs[file], err = source(header("the types of "+c.genDir), "", name, imports, body.Bytes()); err != nil {
			return nil, err
		}
		f, err := parseOutput(l.fset, file, outputs[file])
		if err != nil {
			return nil, err
		}
		added = append(added, f)
	}
	if len(added) == 0 {
		return gen, nil
	}
	return l.check(c.genPath, append(slices.Clip(files), added...), true, nil)
}

// wrapperPackage type-checks the wrapper's handwritten files with every name of the generated
// package gen visible, and adds to outputs its getters (for the marked types) and the aliases of
// what its API reaches.
func wrapperPackage(l *loader, c config, gen *types.Package, genDocs map[string]string,
	files []*ast.File, outputs map[string][]byte,
) error {
	l.local[c.genPath] = gen
	name := files[0].Name.Name
	declared := topLevelNames(files)
	stubSrc, stubbed := stubSource(name, gen, declared)
	stub, err := parseOutput(l.fset, filepath.Join(c.wrapperDir, "genapi-stub.go"), stubSrc)
	if err != nil {
		return err
	}
	all := append(slices.Clip(files), stub)

	// Getters first: the handwritten code may call them. Until they exist, it type-checks only
	// loosely, which is enough to read the marked struct types.
	loose, _ := l.check(c.wrapperPath, all, false, nil)
	marked, err := markedStructs(loose, files)
	if err != nil {
		return err
	}
	if len(marked) > 0 {
		imports := newImportSet()
		var body bytes.Buffer
		writeGetters(&body, loose, marked, imports)
		file := filepath.Join(c.wrapperDir, gettersFile)
		if outputs[file], err = source(header("package "+name), "", name, imports, body.Bytes()); err != nil {
			return err
		}
		f, err := parseOutput(l.fset, file, outputs[file])
		if err != nil {
			return err
		}
		all = append(all, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}}
	wrap, err := l.check(c.wrapperPath, all, true, info)
	if err != nil {
		return err
	}

	reached := reachable(wrap, gen, func(o types.Object) bool { return !stubbed[o.Name()] })
	handwritten := map[string]types.Object{}
	for n := range declared {
		handwritten[n] = wrap.Scope().Lookup(n)
	}
	imports := newImportSet()
	imports.names[c.genPath] = gen.Name()
	var body bytes.Buffer
	body.WriteString("\n")
	writeComment(&body, "", fmt.Sprintf("The types of %s that the API of package %s uses, directly or "+
		"through their fields, under the same names: %s.X is %s.X. Their fields are documented in %s "+
		"and in the generated package: go doc %s.X.", c.genDir, name, name, gen.Name(), c.spec, c.genPath))
	written, err := writeAliases(&body, c, gen, reached, genDocs, handwritten)
	if err != nil {
		return err
	}
	// A generated name the handwritten code uses unqualified must be one the aliases declare, or
	// the package would not compile with them.
	var unwritten []string
	for id, obj := range info.Uses {
		if obj.Parent() == wrap.Scope() && stubbed[obj.Name()] && !written[obj.Name()] {
			unwritten = append(unwritten, fmt.Sprintf("%s uses %s, which its API does not reach, so %s "+
				"does not declare it: write %s.%s", l.fset.Position(id.Pos()), obj.Name(), aliasesFile, gen.Name(), obj.Name()))
		}
	}
	if len(unwritten) > 0 {
		slices.Sort(unwritten)
		return errors.New(strings.Join(unwritten, "\n"))
	}
	outputs[filepath.Join(c.wrapperDir, aliasesFile)], err = source(
		header("package "+name+" and "+c.genDir), "", name, imports, body.Bytes())
	return err
}

// header is the first line of an output generated from what.
func header(what string) string {
	return headerPrefix + " from " + what + ". DO NOT EDIT."
}

// genPackageDoc is the doc comment of the generated package.
func genPackageDoc(c config, name string) string {
	var b bytes.Buffer
	writeComment(&b, "", fmt.Sprintf("Package %s is generated from %s: its types and low-level "+
		"client by oapi-codegen, the Get methods of its types by internal/cmd/genapi.", name, c.spec))
	b.WriteString("//\n")
	writeComment(&b, "", fmt.Sprintf("It is not a supported API on its own: its names and its client "+
		"change whenever the OpenAPI document or the generators do. Use %s instead. Every type of this "+
		"package that its API uses is available there by the same name (%s.Session is %s.Session), "+
		"with the constants of its enum types, and its client adds authentication, retries and error "+
		"handling.", c.wrapperPath, filepath.Base(c.wrapperDir), name))
	b.WriteString("//\n")
	writeComment(&b, "", fmt.Sprintf("The fields of those types are documented here: go doc %s.Session "+
		"shows one.", c.genPath))
	return b.String()
}

// topLevelNames returns the package-level names files declare (not methods, not _ or init).
func topLevelNames(files []*ast.File) map[string]bool {
	names := map[string]bool{}
	for _, f := range files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names[d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						names[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							names[n.Name] = true
						}
					}
				}
			}
		}
	}
	delete(names, "_")
	delete(names, "init")
	return names
}

// stubSource declares, in package pkgName, an alias of every exported type and constant of gen
// that declared does not name, so that the wrapper's handwritten files type-check whatever state
// aliases.gen.go is in. It returns the source and the names it declares.
func stubSource(pkgName string, gen *types.Package, declared map[string]bool) ([]byte, map[string]bool) {
	const local = "genapi_stub"
	names := map[string]bool{}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n", pkgName)
	var decls bytes.Buffer
	scope := gen.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() || declared[name] {
			continue
		}
		switch obj.(type) {
		case *types.TypeName:
			fmt.Fprintf(&decls, "type %s = %s.%s\n", name, local, name)
		case *types.Const:
			fmt.Fprintf(&decls, "const %s = %s.%s\n", name, local, name)
		default:
			continue
		}
		names[name] = true
	}
	if decls.Len() > 0 {
		fmt.Fprintf(&b, "import %s %s\n\n", local, strconv.Quote(gen.Path()))
		b.Write(decls.Bytes())
	}
	return b.Bytes(), names
}

func parseOutput(fset *token.FileSet, name string, src []byte) (*ast.File, error) {
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("generated %s does not parse: %w", name, err)
	}
	return f, nil
}

// importSet collects the packages that generated code refers to.
type importSet struct {
	names map[string]string // import path → package name
}

func newImportSet() *importSet { return &importSet{names: map[string]string{}} }

// qualifier returns a types.Qualifier for code in package self that records what it qualifies.
func (s *importSet) qualifier(self *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == self {
			return ""
		}
		s.names[p.Path()] = p.Name()
		return p.Name()
	}
}

// source assembles and formats a generated Go file: the header line, the package doc comment
// (pkgDoc, "// "-prefixed lines, or empty), the package clause, the imports and body.
func source(header, pkgDoc, pkgName string, imports *importSet, body []byte) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\n%spackage %s\n", header, pkgDoc, pkgName)
	if len(imports.names) > 0 {
		specs := make([]string, 0, len(imports.names))
		for p, name := range imports.names {
			if name == p[strings.LastIndex(p, "/")+1:] {
				name = ""
			}
			specs = append(specs, strings.TrimSpace(name+" "+strconv.Quote(p)))
		}
		slices.SortFunc(specs, func(a, b string) int { // by path
			return strings.Compare(a[strings.Index(a, `"`):], b[strings.Index(b, `"`):])
		})
		if len(specs) == 1 {
			fmt.Fprintf(&b, "\nimport %s\n", specs[0])
		} else {
			fmt.Fprintf(&b, "\nimport (\n\t%s\n)\n", strings.Join(specs, "\n\t"))
		}
	}
	b.Write(body)
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting generated code: %w\n%s", err, b.Bytes())
	}
	return out, nil
}

// writeOutputs writes each output whose content changed, and deletes the files of dirs that this
// program wrote before but no longer produces.
func writeOutputs(outputs map[string][]byte, dirs ...string) error {
	paths := make([]string, 0, len(outputs))
	for p := range outputs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		old, err := os.ReadFile(p)
		if err == nil && bytes.Equal(old, outputs[p]) {
			continue
		}
		if err := os.WriteFile(p, outputs[p], 0o644); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if _, ok := outputs[p]; ok || e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
				continue
			}
			if stale, err := isOutput(p); err != nil {
				return err
			} else if stale {
				if err := os.Remove(p); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
