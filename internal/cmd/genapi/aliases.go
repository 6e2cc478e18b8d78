package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/types"
	"strings"
)

// writeAliases writes an alias for each of gen's types in reached, each followed by the constants
// of its type, and returns the names written. declared are the package-level objects the wrapper
// declares by hand: a name among them is not written again, and is an error unless it is already
// the same alias or constant.
func writeAliases(b *bytes.Buffer, c config, gen *types.Package, reached []*types.TypeName,
	docs map[string]string, declared map[string]types.Object,
) (map[string]bool, error) {
	written := map[string]bool{}
	for _, tn := range reached {
		if obj, ok := declared[tn.Name()]; ok {
			if tn2, ok := obj.(*types.TypeName); !ok || !tn2.IsAlias() || !types.Identical(tn2.Type(), tn.Type()) {
				return nil, fmt.Errorf("the API of %s reaches %s.%s, but %s declares %s as something else: rename one",
					c.wrapperPath, gen.Name(), tn.Name(), c.wrapperDir, tn.Name())
			}
		} else {
			b.WriteString("\n")
			writeComment(b, "", aliasDoc(tn.Name(), docs[tn.Name()], c.apiName))
			fmt.Fprintf(b, "type %s = %s.%s\n", tn.Name(), gen.Name(), tn.Name())
			written[tn.Name()] = true
		}
		var consts []*types.Const
		for _, k := range enumConstants(tn) {
			obj, ok := declared[k.Name()]
			if !ok {
				consts = append(consts, k)
				continue
			}
			if k2, ok := obj.(*types.Const); !ok || !types.Identical(k2.Type(), k.Type()) || k2.Val().ExactString() != k.Val().ExactString() {
				return nil, fmt.Errorf("%s declares %s, which is not %s.%s: rename it", c.wrapperDir, k.Name(), gen.Name(), k.Name())
			}
		}
		if len(consts) == 0 {
			continue
		}
		fmt.Fprintf(b, "\n// Values of %s.\nconst (\n", tn.Name())
		for _, k := range consts {
			fmt.Fprintf(b, "\t%s %s = %s.%s\n", k.Name(), tn.Name(), gen.Name(), k.Name())
			written[k.Name()] = true
		}
		b.WriteString(")\n")
	}
	return written, nil
}

// typeDocs returns the doc comment text of every type declared in files, by name.
func typeDocs(files []*ast.File) map[string]string {
	docs := map[string]string{}
	for name, doc := range typeDocComments(files) {
		docs[name] = doc.Text()
	}
	return docs
}

// typeDocComments returns the doc comment of every type declared in files, by name: the type
// spec's own, or that of its declaration when it declares only this type. A type without one
// maps to nil.
func typeDocComments(files []*ast.File) map[string]*ast.CommentGroup {
	docs := map[string]*ast.CommentGroup{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gd.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok {
					continue
				}
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				docs[ts.Name.Name] = doc
			}
		}
	}
	return docs
}

// aliasDoc is the doc comment of the alias of a generated type: the first sentence of the
// description oapi-codegen put in the type's doc comment ("Session A checkout session as Dintero
// returns it." → "Session is a checkout session as Dintero returns it."), or a plain statement of
// what the type is when oapi-codegen wrote none of its own ("defines model for …").
func aliasDoc(name, genDoc, apiName string) string {
	text := strings.Join(strings.Fields(genDoc), " ")
	desc, ok := strings.CutPrefix(text, name+" ")
	if !ok {
		desc = text
	}
	if op, ok := strings.CutPrefix(desc, "defines parameters for "); ok {
		return fmt.Sprintf("%s are the parameters of the %s call.", name, strings.TrimSuffix(op, "."))
	}
	if desc == "" || strings.HasPrefix(desc, "defines ") {
		return fmt.Sprintf("%s is the %s's %s.", name, apiName, name)
	}
	desc = firstSentence(desc)
	for _, article := range []string{"A ", "An ", "The "} {
		if strings.HasPrefix(desc, article) {
			return name + " is " + strings.ToLower(desc[:1]) + desc[1:]
		}
	}
	return fmt.Sprintf("%s is the %s's %s: %s", name, apiName, name, desc)
}

// firstSentence returns s up to and including the first period that ends a sentence (followed by
// a space or the end, and not the end of e.g. or i.e.), with a period added if s has none.
func firstSentence(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '.' || (i+1 < len(s) && s[i+1] != ' ') {
			continue
		}
		if strings.HasSuffix(s[:i], "e.g") || strings.HasSuffix(s[:i], "i.e") {
			continue
		}
		return s[:i+1]
	}
	return strings.TrimRight(s, " ") + "."
}

// writeComment writes text as a // comment, indented by indent and wrapped at 100 columns (a tab
// counts as 4). A word longer than a line gets a line of its own.
func writeComment(b *bytes.Buffer, indent, text string) {
	width := 100 - 3 - 4*strings.Count(indent, "\t")
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			fmt.Fprintf(b, "%s// %s\n", indent, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		fmt.Fprintf(b, "%s// %s\n", indent, line)
	}
}
