package dintero

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/specformat"
)

// InvalidRequestError is the error of a request that the client refuses before sending anything,
// because it breaks rules of the API: a required field left out, a currency that is not an ISO
// 4217 code, a negative amount, an expiry in the past, … It wraps ErrInvalidInput and lists every
// problem of the request, not only the first.
type InvalidRequestError struct {
	// Operation is the call refused, e.g. "CreateSession".
	Operation string
	// Problems lists what is wrong, in the order of the fields of the generated types (by JSON
	// name).
	Problems []Problem
}

// Problem is one rule that a request breaks.
type Problem struct {
	// Path is the JSON path of the value, e.g. "order.items[1].vat".
	Path string
	// Rule names the rule as api/dintero-checkout.yaml states it: "required", "format
	// iso4217-code", "minimum 0", "exclusiveMinimum 0", "maximum 100", "minLength 1", "maxLength
	// 40", "pattern ^https?://", "minItems 1", "maxItems 2", "maxProperties 10", "enum", "value
	// types", "future", or, for the rules between fields, "http(s) URL" and
	// "strict-session-amounts".
	Rule string
	// Message says what is wrong, starting after the path ("is required"). It never repeats a
	// string value of the request, which may be personal data.
	Message string
}

func (p Problem) String() string { return p.Path + " " + p.Message }

func (e *InvalidRequestError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidInput.Error())
	b.WriteString(": ")
	b.WriteString(e.Operation)
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *InvalidRequestError) Unwrap() error { return ErrInvalidInput }

// checkRequest refuses a request that breaks a rule of the API, before anything is sent, naming
// every problem by its JSON path and rule. req is a pointer to one of the generated request
// structs.
//
// The rules come from api/dintero-checkout.yaml through the generated code. That a field is
// required is read from the generated types: the generator turns a required property into a field
// without omitempty. A required string must not be empty, a required list or map must not be nil
// (send an empty one for "none"); required numbers and booleans cannot be told apart from a
// deliberate 0 or false, so they are not checked. What a value must be (format, pattern, bounds,
// lengths, closed enums, a date-time ahead) is read from dinteroapi.FieldRules, which
// internal/cmd/genapi writes from the YAML. Two rules tie fields together and are written here: a
// return_url that is not http(s) only with configuration.channel in_app (an app-switch URL), and,
// with the feature toggle strict-session-amounts, an order amount equal to its items plus
// shipping.
//
// A request without problems costs no allocation: the walk first only looks for a problem, and
// walks again to collect them all when there is one.
func checkRequest(op string, req any, toggles []FeatureToggle) error {
	var c checker
	if c.request(req, toggles) {
		return nil
	}
	c = checker{now: c.now, collect: true}
	c.request(req, toggles)
	return &InvalidRequestError{Operation: op, Problems: c.problems}
}

// checker walks one request. Without collect it stops at the first problem and records nothing
// (and allocates nothing); with collect it records every problem with its path.
type checker struct {
	now      time.Time // read from the clock when a rule first needs it
	collect  bool
	path     []string // the segments of the current path: "order", "[1]", "vat"
	problems []Problem
}

// request checks req, a pointer to a generated struct, and reports whether it has no problem.
func (c *checker) request(req any, toggles []FeatureToggle) bool {
	v := reflect.ValueOf(req)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct || v.Elem().Type().PkgPath() != generatedPkg {
		return true // nothing the spec describes
	}
	ok := c.structAt(v.UnsafePointer(), planOf(v.Elem().Type()))
	if !ok && !c.collect {
		return false
	}
	return c.crossFieldRules(req, toggles) && ok
}

// problem records one problem at the current path (with collect) and returns false. The message
// is built by msg, only when collected.
func (c *checker) problem(rule string, msg func() string) bool {
	if c.collect {
		c.problems = append(c.problems, Problem{Path: c.pathString(), Rule: rule, Message: msg()})
	}
	return false
}

func (c *checker) pathString() string {
	var b strings.Builder
	for _, s := range c.path {
		if b.Len() > 0 && !strings.HasPrefix(s, "[") {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func (c *checker) push(seg string) {
	if c.collect {
		c.path = append(c.path, seg)
	}
}

func (c *checker) pushIndex(i int) {
	if c.collect {
		c.path = append(c.path, "["+strconv.Itoa(i)+"]")
	}
}

func (c *checker) pop() {
	if c.collect {
		c.path = c.path[:len(c.path)-1]
	}
}

// The walk reads the fields of the generated structs through their offsets rather than with
// reflect.Value.Field for each: it runs before every create and update, and reflect's per-field
// checks cost more than the rules themselves. Every access below is typed by the field's
// reflect.Type, read once when the plan is built (accessOf); TestPlansReadEveryRuledField proves
// that every field with a rule, or with structs below it, has an access that reads it.

// sliceHeader is the layout of a slice (reflect.SliceHeader without the deprecation).
type sliceHeader struct {
	data unsafe.Pointer
	len  int
	cap  int
}

// structAt checks the fields of the struct at ptr, which p is the plan of.
func (c *checker) structAt(ptr unsafe.Pointer, p *plan) bool {
	ok := true
	for i := range p.fields {
		f := &p.fields[i]
		c.push(f.name)
		good := c.field(unsafe.Add(ptr, f.offset), f)
		c.pop()
		if !good {
			if !c.collect {
				return false
			}
			ok = false
		}
	}
	return ok
}

// field checks the field at fp.
func (c *checker) field(fp unsafe.Pointer, f *fieldPlan) bool {
	if f.required {
		switch f.access {
		case accString:
			if *(*string)(fp) == "" {
				return c.problem("required", isRequired)
			}
		case accSlice, accStringSlice, accStructSlice:
			if (*sliceHeader)(fp).data == nil {
				return c.problem("required", isRequired)
			}
		case accMapAny, accMap:
			if *(*unsafe.Pointer)(fp) == nil {
				return c.problem("required", isRequired)
			}
		}
	}
	ok := true
	if f.rule != nil {
		ok = c.ruleAt(fp, f)
		if !ok && !c.collect {
			return false
		}
	}
	if f.below == nil {
		return ok
	}
	switch f.access {
	case accStructPtr:
		if q := *(*unsafe.Pointer)(fp); q != nil {
			ok = c.structAt(q, f.below) && ok
		}
	case accStruct:
		ok = c.structAt(fp, f.below) && ok
	case accStructSlice:
		h := (*sliceHeader)(fp)
		for i := 0; i < h.len; i++ {
			c.pushIndex(i)
			good := c.structAt(unsafe.Add(h.data, uintptr(i)*f.elemSize), f.below)
			c.pop()
			if !good {
				if !c.collect {
					return false
				}
				ok = false
			}
		}
	}
	return ok
}

func isRequired() string { return "is required" }

var (
	timeType   = reflect.TypeFor[time.Time]()
	mapAnyType = reflect.TypeFor[map[string]any]()
)

// ruleAt checks the value of the field at fp against its rule. A nil pointer is a value not
// sent, which the rules do not look at.
func (c *checker) ruleAt(fp unsafe.Pointer, f *fieldPlan) bool {
	r := f.rule
	switch f.access {
	case accString:
		return c.stringValue(*(*string)(fp), r)
	case accStringPtr:
		if s := *(**string)(fp); s != nil {
			return c.stringValue(*s, r)
		}
		return true
	case accInt64:
		return c.number(float64(*(*int64)(fp)), r)
	case accInt64Ptr:
		if x := *(**int64)(fp); x != nil {
			return c.number(float64(*x), r)
		}
		return true
	case accFloat64:
		return c.number(*(*float64)(fp), r)
	case accFloat64Ptr:
		if x := *(**float64)(fp); x != nil {
			return c.number(*x, r)
		}
		return true
	case accTimePtr:
		if t := *(**time.Time)(fp); t != nil && r.Future {
			return c.future(*t)
		}
		return true
	case accTime:
		if r.Future {
			return c.future(*(*time.Time)(fp))
		}
		return true
	case accStringSlice:
		list := *(*[]string)(fp) // the element type is a string kind: same layout
		if list == nil {
			return true
		}
		ok := c.count(len(list), r)
		if !ok && !c.collect {
			return false
		}
		if r.items != nil {
			for i, s := range list {
				c.pushIndex(i)
				good := c.stringValue(s, r.items)
				c.pop()
				if !good {
					if !c.collect {
						return false
					}
					ok = false
				}
			}
		}
		return ok
	case accSlice, accStructSlice:
		if h := (*sliceHeader)(fp); h.data != nil {
			return c.count(h.len, r)
		}
		return true
	case accMapAny:
		return c.mapValue(*(*map[string]any)(fp), r)
	case accInt:
		return c.number(float64(*(*int)(fp)), r)
	case accIntPtr:
		if x := *(**int)(fp); x != nil {
			return c.number(float64(*x), r)
		}
		return true
	}
	return true // no rule applies to values of this type (see supported)
}

func (c *checker) future(t time.Time) bool {
	if c.now.IsZero() {
		c.now = time.Now()
	}
	if t.After(c.now) {
		return true
	}
	return c.problem("future", func() string { return "is " + t.Format(time.RFC3339) + ", not in the future" })
}

func (c *checker) stringValue(s string, r *rule) bool {
	ok := true
	fail := func(rule string, msg func() string) bool {
		ok = c.problem(rule, msg) && ok
		return c.collect // go on only when collecting
	}
	if r.format != nil {
		if err := r.format(s); err != nil && !fail("format "+r.Format, func() string { return "is " + err.Error() }) {
			return false
		}
	}
	if r.pattern != nil && !r.pattern.MatchString(s) {
		if !fail("pattern "+r.Pattern, func() string { return "does not match the pattern " + r.Pattern }) {
			return false
		}
	}
	if r.MinLength > 0 || r.MaxLength > 0 {
		n := utf8.RuneCountInString(s)
		switch {
		case n < r.MinLength && n == 0:
			if !fail("minLength "+strconv.Itoa(r.MinLength), func() string { return "is empty" }) {
				return false
			}
		case n < r.MinLength:
			if !fail("minLength "+strconv.Itoa(r.MinLength), func() string {
				return fmt.Sprintf("has %d characters, fewer than the minimum %d", n, r.MinLength)
			}) {
				return false
			}
		case r.MaxLength > 0 && n > r.MaxLength:
			if !fail("maxLength "+strconv.Itoa(r.MaxLength), func() string {
				return fmt.Sprintf("has %d characters, more than the maximum %d", n, r.MaxLength)
			}) {
				return false
			}
		}
	}
	if len(r.Enum) > 0 && !slices.Contains(r.Enum, s) {
		if !fail("enum", func() string { return "is not one of " + strings.Join(r.Enum, ", ") }) {
			return false
		}
	}
	return ok
}

func (c *checker) number(x float64, r *rule) bool {
	ok := true
	if m := r.Minimum; m != nil && (x < *m || (r.ExclusiveMinimum && x == *m)) {
		if r.ExclusiveMinimum {
			ok = c.problem("exclusiveMinimum "+formatNumber(*m), func() string {
				return "is " + formatNumber(x) + ", not above " + formatNumber(*m)
			})
		} else {
			ok = c.problem("minimum "+formatNumber(*m), func() string {
				return "is " + formatNumber(x) + ", below the minimum " + formatNumber(*m)
			})
		}
		if !c.collect {
			return false
		}
	}
	if m := r.Maximum; m != nil && (x > *m || (r.ExclusiveMaximum && x == *m)) {
		ok = c.problem("maximum "+formatNumber(*m), func() string {
			return "is " + formatNumber(x) + ", above the maximum " + formatNumber(*m)
		}) && ok
		if !c.collect {
			return false
		}
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		ok = c.problem("number", func() string { return "is " + formatNumber(x) + ", which JSON cannot carry" }) && ok
	}
	return ok
}

func formatNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// count checks the length of a list against minItems and maxItems.
func (c *checker) count(n int, r *rule) bool {
	ok := true
	if r.MinItems > 0 && n < r.MinItems {
		ok = c.problem("minItems "+strconv.Itoa(r.MinItems), func() string {
			return fmt.Sprintf("has %d elements, fewer than the minimum %d", n, r.MinItems)
		})
	}
	if r.MaxItems > 0 && n > r.MaxItems {
		ok = c.problem("maxItems "+strconv.Itoa(r.MaxItems), func() string {
			return fmt.Sprintf("has %d elements, more than the maximum %d", n, r.MaxItems)
		})
	}
	return ok
}

func (c *checker) maxProperties(n int, r *rule) bool {
	return c.problem("maxProperties "+strconv.Itoa(r.MaxProperties), func() string {
		return fmt.Sprintf("has %d keys, more than the maximum %d", n, r.MaxProperties)
	})
}

// mapValue checks a map[string]any (metadata): its number of keys and its values' JSON types.
func (c *checker) mapValue(m map[string]any, r *rule) bool {
	if m == nil {
		return true
	}
	ok := true
	if r.MaxProperties > 0 && len(m) > r.MaxProperties {
		ok = c.maxProperties(len(m), r)
		if !c.collect {
			return false
		}
	}
	if len(r.ValueTypes) == 0 {
		return ok
	}
	if !c.collect {
		for _, val := range m {
			if !allowedType(jsonType(val), r.ValueTypes) {
				return false
			}
		}
		return ok
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // a stable error
	for _, k := range keys {
		if t := jsonType(m[k]); !allowedType(t, r.ValueTypes) {
			c.push(k)
			ok = c.problem("value types", func() string {
				return "is " + article(t) + "; the values must be " + strings.Join(r.ValueTypes, " or ")
			}) && ok
			c.pop()
		}
	}
	return ok
}

func allowedType(t string, allowed []string) bool {
	return slices.Contains(allowed, t) || (t == "integer" && slices.Contains(allowed, "number"))
}

// jsonType is the JSON type a value of a map[string]any encodes to.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float32, float64, json.Number:
		return "number"
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "integer"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	}
	return "object"
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "array", "object", "integer":
		return "an " + t
	}
	return "a " + t
}

// crossFieldRules checks the rules that tie fields of a request together.
func (c *checker) crossFieldRules(req any, toggles []FeatureToggle) bool {
	ok := true
	var urls *SessionURLs
	var appAllowed bool
	urlPath, channelPath := []string{"url", "return_url"}, "configuration.channel"
	switch r := req.(type) {
	case *SessionCreateRequest:
		urls = &r.URL
		appAllowed = r.Configuration.Channel != nil && *r.Configuration.Channel == SessionConfigurationChannelInApp
		ok = c.strictAmounts(toggles, &r.Order.Amount, r.Order.Items, r.Order.ShippingOption, r.Order.PartialPayment)
	case *SessionProfileCreateRequest:
		urls = &r.URL
		appAllowed = r.Configuration != nil && r.Configuration.Channel != nil && *r.Configuration.Channel == SessionConfigurationChannelInApp
		ok = c.strictAmounts(toggles, &r.Order.Amount, r.Order.Items, r.Order.ShippingOption, r.Order.PartialPayment)
	case *PaymentTokenSessionRequest:
		urls, channelPath = &r.Session.URL, "session.configuration.channel"
		urlPath = []string{"session", "url", "return_url"}
		appAllowed = r.Session.Configuration != nil && r.Session.Configuration.Channel != nil &&
			*r.Session.Configuration.Channel == PaymentTokenSessionConfigurationChannelInApp
	case *SessionUpdateRequest:
		ok = c.strictAmounts(toggles, r.Order.Amount, r.Order.Items, r.Order.ShippingOption, r.Order.PartialPayment)
	}
	if !ok && !c.collect {
		return false
	}
	// return_url: Dintero redirects a browser to it, so http(s), except that the in_app channel
	// takes the app's own URL to switch back to (https://docs.dintero.com/api#tag/session).
	if urls != nil && !appAllowed && urls.ReturnURL != "" && specformat.URI(urls.ReturnURL) == nil && !specformat.HTTPURL(urls.ReturnURL) {
		if c.collect {
			c.path = append(c.path[:0], urlPath...)
		}
		ok = c.problem("http(s) URL", func() string {
			return "is not an http(s) URL; an app URL needs " + channelPath + " in_app"
		}) && ok
	}
	return ok
}

// strictAmounts checks, when the call sends the feature toggle strict-session-amounts, that the
// order amount equals the sum of its items and shipping option, as Dintero then requires (with
// partial_payment the amount may be less, so the rule does not apply).
func (c *checker) strictAmounts(toggles []FeatureToggle, amount *int64, items []OrderItem, shipping *ShippingOption, partial *bool) bool {
	if amount == nil || (partial != nil && *partial) || !slices.Contains(toggles, FeatureToggleStrictSessionAmounts) {
		return true
	}
	var sum int64
	for i := range items {
		if items[i].Amount != nil {
			sum += *items[i].Amount
		}
	}
	if shipping != nil {
		sum += shipping.Amount
	}
	if *amount == sum {
		return true
	}
	if c.collect {
		c.path = append(c.path[:0], "order", "amount")
	}
	got := *amount
	return c.problem("strict-session-amounts", func() string {
		return fmt.Sprintf("is %d, but the items and the shipping option add up to %d (feature toggle strict-session-amounts)", got, sum)
	})
}

// generatedPkg is the package path of the generated models; the checks walk only their types.
var generatedPkg = reflect.TypeFor[dinteroapi.Session]().PkgPath()

// plan is what checkRequest looks at in one generated struct type: the fields that are required
// or have a rule, and those that can lead to such a field further down. Plans are built once per
// type, with the rules' patterns compiled, so that a check costs no allocation and no lookup.
type plan struct {
	fields []fieldPlan
}

type fieldPlan struct {
	offset   uintptr      // of the field in its struct
	typ      reflect.Type // of the field
	access   access       // how to read it
	elemSize uintptr      // accStructSlice: the size of an element
	name     string       // the JSON name
	required bool         // no omitempty in the JSON tag
	rule     *rule        // what dinteroapi.FieldRules states about the value, or nil
	// below is the plan of the generated struct the field holds (through pointers, slices and
	// arrays), or nil when there is nothing to look at below it.
	below *plan
}

// access is how the walk reads a field, chosen from its type when the plan is built.
type access uint8

const (
	accOther       access = iota // none: the walk does not read it
	accString                    // a string kind
	accStringPtr                 // a pointer to a string kind
	accInt64                     // an int64 kind (amounts, jsonnum.Int64)
	accInt64Ptr                  // a pointer to an int64 kind
	accInt                       // an int kind
	accIntPtr                    // a pointer to an int kind
	accFloat64                   // a float64 kind
	accFloat64Ptr                // a pointer to a float64 kind
	accTime                      // a time.Time
	accTimePtr                   // a *time.Time
	accStringSlice               // a slice of a string kind
	accStructSlice               // a slice of generated structs
	accSlice                     // another slice
	accStructPtr                 // a pointer to a generated struct
	accStruct                    // a generated struct
	accMapAny                    // a map[string]any (metadata)
	accMap                       // another map
)

func accessOf(t reflect.Type) access {
	switch t.Kind() {
	case reflect.String:
		return accString
	case reflect.Int64:
		return accInt64
	case reflect.Int:
		return accInt
	case reflect.Float64:
		return accFloat64
	case reflect.Map:
		if t == mapAnyType {
			return accMapAny
		}
		return accMap
	case reflect.Struct:
		switch {
		case t == timeType:
			return accTime
		case t.PkgPath() == generatedPkg:
			return accStruct
		}
	case reflect.Pointer:
		e := t.Elem()
		switch {
		case e.Kind() == reflect.String:
			return accStringPtr
		case e.Kind() == reflect.Int64:
			return accInt64Ptr
		case e.Kind() == reflect.Int:
			return accIntPtr
		case e.Kind() == reflect.Float64:
			return accFloat64Ptr
		case e == timeType:
			return accTimePtr
		case e.Kind() == reflect.Struct && e.PkgPath() == generatedPkg:
			return accStructPtr
		}
	case reflect.Slice:
		e := t.Elem()
		switch {
		case e.Kind() == reflect.String:
			return accStringSlice
		case e.Kind() == reflect.Struct && e.PkgPath() == generatedPkg:
			return accStructSlice
		}
		return accSlice
	}
	return accOther
}

// rule is a dinteroapi.FieldRule ready to use.
type rule struct {
	dinteroapi.FieldRule
	format  func(string) error // the check of Format, or nil
	pattern *regexp.Regexp
	items   *rule
}

func compileRule(r dinteroapi.FieldRule) *rule {
	out := &rule{FieldRule: r}
	if r.Format != "" {
		out.format = specformat.Lookup(r.Format)
	}
	if r.Pattern != "" {
		// The document is validated (its patterns compile) by package api's tests, so a pattern
		// that does not compile cannot ship.
		out.pattern = regexp.MustCompile(r.Pattern)
	}
	if r.Items != nil {
		out.items = compileRule(*r.Items)
	}
	return out
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
	rules := dinteroapi.FieldRules[t.Name()]
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fp := fieldPlan{
			offset: f.Offset, typ: f.Type, access: accessOf(f.Type), name: name,
			required: !strings.Contains(opts, "omitempty"),
		}
		if fp.access == accStructSlice {
			fp.elemSize = f.Type.Elem().Size()
		}
		if r, ok := rules[name]; ok {
			fp.rule = compileRule(r)
		}
		if st := heldStruct(f.Type); st != nil {
			below := buildPlan(st, building)
			if _, inCycle := building[st]; inCycle || len(below.fields) > 0 {
				fp.below = below
			}
		}
		if fp.required || fp.rule != nil || fp.below != nil {
			p.fields = append(p.fields, fp)
		}
	}
	delete(building, t)
	plans.Store(t, p)
	return p
}

// heldStruct returns the generated struct type that a value of type t holds through pointers,
// slices and arrays, or nil: the walk does not look into maps (metadata), nor into the structs
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
