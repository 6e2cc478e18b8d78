package dintero

import (
	"reflect"
	"strconv"
	"strings"

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
	if path := missing(reflect.ValueOf(req), ""); path != "" {
		return invalid("%s: %s is required", op, path)
	}
	return nil
}

// missing returns the JSON path of the first missing required field under v, or "".
func missing(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		return missing(v.Elem(), path)
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := missing(v.Index(i), path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	case reflect.Struct:
		t := v.Type()
		if t.PkgPath() != generatedPkg {
			return "" // time.Time and the like
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			fp := name
			if path != "" {
				fp = path + "." + name
			}
			fv := v.Field(i)
			required := !strings.Contains(opts, "omitempty")
			if required {
				switch fv.Kind() {
				case reflect.String:
					if fv.Len() == 0 {
						return fp
					}
				case reflect.Slice, reflect.Map:
					if fv.IsNil() {
						return fp
					}
				}
			}
			if p := missing(fv, fp); p != "" {
				return p
			}
		}
	}
	return ""
}
