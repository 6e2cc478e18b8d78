package dintero

import (
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/paysession/paysession-go/gen/dinteroapi"
)

// generatedPkg is the package path of the generated models; checkRequired walks only their types.
var generatedPkg = reflect.TypeFor[dinteroapi.Session]().PkgPath()

// checkRequired refuses a request that leaves out a field the spec marks required, before
// anything is sent, naming the field by its JSON path (order.items[1].line_id).
//
// The generator turns a required property into a field without omitempty, so the rule is read
// from the generated types, and through them from api/dintero-checkout.yaml: a required string
// must not be empty, a required list or map must not be nil (send an empty one for "none").
// Required numbers and booleans cannot be told apart from a deliberate 0 or false, so they are
// not checked.
func checkRequired(op string, req any) error {
	if path := missing(reflect.ValueOf(req)); path != "" {
		return invalid("%s: %s is required", op, path)
	}
	return nil
}

// fieldRule is what checkRequired needs to know about one field of a generated struct.
type fieldRule struct {
	index    int
	name     string // the JSON name
	required bool   // no omitempty in the JSON tag
	walk     bool   // the field can hold a generated struct with a required field somewhere below
}

// fieldRules caches, per generated struct type (reflect.Type → []fieldRule), the fields that
// checkRequired has to look at: reading them from reflect.Type.Field allocates, and every create
// call walks the whole request. A field that is optional and cannot lead to a required field (an
// optional *string, a configuration struct without required fields) is left out.
var (
	fieldRules   sync.Map
	fieldRulesMu sync.Mutex // serialises building, so a type is built once
)

func rulesOf(t reflect.Type) []fieldRule {
	if r, ok := fieldRules.Load(t); ok {
		return r.([]fieldRule)
	}
	fieldRulesMu.Lock()
	defer fieldRulesMu.Unlock()
	return buildRules(t, map[reflect.Type]bool{})
}

// buildRules builds and caches the rules of t and of the generated types below it. building
// holds the types being built further up: a type that refers back to one of them is walked
// without looking further, which is never wrong, only slower.
func buildRules(t reflect.Type, building map[reflect.Type]bool) []fieldRule {
	if r, ok := fieldRules.Load(t); ok {
		return r.([]fieldRule)
	}
	building[t] = true
	defer delete(building, t)
	rules := []fieldRule{} // not nil: an empty list is cached too
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		r := fieldRule{index: i, name: name, required: !strings.Contains(opts, "omitempty")}
		switch st, ok := heldStruct(f.Type); {
		case !ok: // strings, numbers, maps: nothing to look into
		case st == nil || building[st]: // an interface, or a cycle
			r.walk = true
		default:
			r.walk = len(buildRules(st, building)) > 0
		}
		if r.required || r.walk {
			rules = append(rules, r)
		}
	}
	fieldRules.Store(t, rules)
	return rules
}

// heldStruct returns the generated struct type that a value of type t can hold (through
// pointers, slices and arrays), or nil and true for an interface, which can hold anything, or
// false when t holds no generated struct: missing does not look into maps, nor into the structs
// of other packages (time.Time).
func heldStruct(t reflect.Type) (reflect.Type, bool) {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		case reflect.Struct:
			return t, t.PkgPath() == generatedPkg
		case reflect.Interface:
			return nil, true
		default:
			return nil, false
		}
	}
}

// missing returns the JSON path, relative to v, of the first missing required field under v,
// or "". The path is built only on the way back from a missing field, so a complete request
// costs no allocation.
func missing(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return missing(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := missing(v.Index(i)); p != "" {
				return joinPath("["+strconv.Itoa(i)+"]", p)
			}
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != generatedPkg {
			return "" // time.Time and the like
		}
		for _, f := range rulesOf(t) {
			fv := v.Field(f.index)
			if f.required {
				switch fv.Kind() {
				case reflect.String:
					if fv.Len() == 0 {
						return f.name
					}
				case reflect.Slice, reflect.Map:
					if fv.IsNil() {
						return f.name
					}
				}
			}
			if !f.walk {
				continue
			}
			if p := missing(fv); p != "" {
				return joinPath(f.name, p)
			}
		}
	}
	return ""
}

// joinPath puts a field name or index in front of the path below it: items + [1].line_id →
// items[1].line_id, order + items[1].line_id → order.items[1].line_id.
func joinPath(prefix, rest string) string {
	if strings.HasPrefix(rest, "[") {
		return prefix + rest
	}
	return prefix + "." + rest
}
