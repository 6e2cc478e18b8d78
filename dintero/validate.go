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
	if path := missingIn(reflect.ValueOf(req), nil); path != "" {
		return invalid("%s: %s is required", op, path)
	}
	return nil
}

// plan is what checkRequired looks at in one generated struct type: the fields that are
// required, and those that can lead to a required field further down. An optional field that
// cannot (an optional *string, a configuration struct without required fields) is left out.
// Plans are built once per type, so a check costs no allocation and no lookup.
type plan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	index    int
	name     string // the JSON name
	required bool   // no omitempty in the JSON tag
	// below is the plan of the generated struct the field holds (through pointers, slices and
	// arrays), or nil when there is nothing to look at below it.
	below *plan
}

var (
	plans   sync.Map   // reflect.Type → *plan
	plansMu sync.Mutex // serialises building, so that a plan is built once
)

func planOf(t reflect.Type) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	plansMu.Lock()
	defer plansMu.Unlock()
	return buildPlan(t, map[reflect.Type]*plan{})
}

// buildPlan builds and caches the plan of t and of the generated types below it. building holds
// the plans being built further up: a type that refers back to one of them points to that plan,
// complete by the time it is used, and is looked at even if it turns out empty (never wrong,
// only slower).
func buildPlan(t reflect.Type, building map[reflect.Type]*plan) *plan {
	if p, ok := plans.Load(t); ok {
		return p.(*plan)
	}
	if p, ok := building[t]; ok {
		return p
	}
	p := &plan{}
	building[t] = p
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fp := fieldPlan{index: i, name: name, required: !strings.Contains(opts, "omitempty")}
		if st := heldStruct(f.Type); st != nil {
			below := buildPlan(st, building)
			if _, inCycle := building[st]; inCycle || len(below.fields) > 0 {
				fp.below = below
			}
		}
		if fp.required || fp.below != nil {
			p.fields = append(p.fields, fp)
		}
	}
	delete(building, t)
	plans.Store(t, p)
	return p
}

// heldStruct returns the generated struct type that a value of type t holds through pointers,
// slices and arrays, or nil: missing does not look into maps (metadata), nor into the structs
// of other packages (time.Time). The generated types have no interface fields.
func heldStruct(t reflect.Type) reflect.Type {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			t = t.Elem()
		case reflect.Struct:
			if t.PkgPath() == generatedPkg {
				return t
			}
			return nil
		default:
			return nil
		}
	}
}

// missing returns the JSON path, relative to v, of the first missing required field of the
// struct v, which p is the plan of, or "". The path is built only on the way back from a
// missing field, so a complete request costs no allocation.
func missing(v reflect.Value, p *plan) string {
	for _, f := range p.fields {
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
		if f.below == nil {
			continue
		}
		if path := missingIn(fv, f.below); path != "" {
			return joinPath(f.name, path)
		}
	}
	return ""
}

// missingIn looks through the pointers, interfaces, slices and arrays of v for the structs
// below, which p is the plan of (nil: look the plan up, for the request itself).
func missingIn(v reflect.Value, p *plan) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return missingIn(v.Elem(), p)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if path := missingIn(v.Index(i), p); path != "" {
				return joinPath("["+strconv.Itoa(i)+"]", path)
			}
		}
	case reflect.Struct:
		if p == nil {
			if v.Type().PkgPath() != generatedPkg {
				return ""
			}
			p = planOf(v.Type())
		}
		return missing(v, p)
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
