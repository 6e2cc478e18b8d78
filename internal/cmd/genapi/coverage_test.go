package main

import (
	"fmt"
	"go/token"
	"go/types"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// unaliased walks the exported API of wrap, the aliases included, and returns what a user would
// have to import gen for: each type of gen that the API reaches and that wrap does not declare
// as an alias of the same name, and each constant of an aliased enum type that wrap does not
// re-export with the same value. Sorted.
func unaliased(wrap, gen *types.Package) []string {
	var missing []string
	for _, tn := range reachable(wrap, gen, nil) {
		obj := wrap.Scope().Lookup(tn.Name())
		alias, ok := obj.(*types.TypeName)
		switch {
		case obj == nil:
			missing = append(missing, gen.Name()+"."+tn.Name())
			continue
		case !ok || !alias.IsAlias() || !types.Identical(alias.Type(), tn.Type()):
			missing = append(missing, fmt.Sprintf("%s.%s (%s.%s is not an alias of it)", gen.Name(), tn.Name(), wrap.Name(), tn.Name()))
			continue
		}
		for _, k := range enumConstants(tn) {
			mine, ok := wrap.Scope().Lookup(k.Name()).(*types.Const)
			if !ok || !types.Identical(mine.Type(), k.Type()) || mine.Val().ExactString() != k.Val().ExactString() {
				missing = append(missing, gen.Name()+"."+k.Name())
			}
		}
	}
	slices.Sort(missing)
	return missing
}

// TestWrappersAliasEveryReachableType is the promise of the wrappers: a user of dintero or
// cyberflex never needs to import gen/. It loads the packages as the compiler built them
// (export data, aliases.gen.go and all), walks every exported name, and names each generated
// type or enum constant reachable from there that the wrapper does not re-export.
func TestWrappersAliasEveryReachableType(t *testing.T) {
	const module = "github.com/paysession/paysession-go"
	for _, api := range []struct{ wrapper, gen string }{
		{module + "/dintero", module + "/gen/dinteroapi"},
		{module + "/cyberflex", module + "/gen/cyberflexapi"},
	} {
		t.Run(api.wrapper, func(t *testing.T) {
			l, err := newLoader(token.NewFileSet(), []string{api.wrapper})
			require.NoError(t, err)
			// The generated package first, from its own export data: the wrapper's holds only
			// the parts of it that the wrapper uses, which would hide an enum constant left out.
			gen, err := l.Import(api.gen)
			require.NoError(t, err)
			wrap, err := l.Import(api.wrapper)
			require.NoError(t, err)
			require.True(t, slices.Contains(wrap.Imports(), gen), "%s does not import %s", api.wrapper, api.gen)

			require.Empty(t, unaliased(wrap, gen), "reachable from %s without an alias there", api.wrapper)
			require.NotEmpty(t, reachable(wrap, gen, nil), "the walk found nothing: it is broken")
		})
	}
}
