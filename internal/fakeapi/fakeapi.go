// Package fakeapi is the plumbing shared by the test fakes dintero/dinterotest and
// cyberflex/cyberflextest: checking each request against the embedded OpenAPI document it
// claims to follow, the faults users can inject into the next calls of an operation and the
// count of those calls, and applying the options of NewServer.
//
// Each fake keeps what is specific to its API (auth, state, error bodies); only what both
// need, written once, lives here.
package fakeapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/paysession/paysession-go/api"
)

var registerDecoders sync.Once

// MaxRequestBody bounds the request bodies the fakes read. The real APIs refuse far smaller
// bodies; the bound only keeps a runaway test from exhausting memory.
const MaxRequestBody = 1 << 20

// Validator checks requests against one OpenAPI document of package api.
type Validator struct {
	router  routers.Router
	formats map[string]openapi3.StringFormatValidator // WithStringFormats
}

// ValidatorOption configures NewValidator.
type ValidatorOption func(*Validator)

// WithStringFormats makes the Validator check the string formats of request bodies that the
// document names (`format: iso4217-code`, …) with these functions, by format name. kin-openapi
// checks only date, date-time and byte itself and lets any other format pass. The checks apply
// to this Validator only (kin-openapi's own registry is global).
func WithStringFormats(checks map[string]func(string) error) ValidatorOption {
	return func(v *Validator) {
		for name, check := range checks {
			v.formats[name] = openapi3.NewCallbackValidator(check)
		}
	}
}

// NewValidator loads api/<file> (embedded in package api) and routes requests whose paths
// start with basePath ("/v1" for Dintero, "" for CyberSource), whatever host they name.
// It fails only if the embedded document is broken, which api's own tests rule out.
func NewValidator(file, basePath string, opts ...ValidatorOption) (*Validator, error) {
	registerDecoders.Do(func() {
		// kin-openapi has no decoder for application/jwt, the content type of CyberSource's
		// capture context (the 201 of POST /flex/v2/sessions): it is a plain string, checked
		// against the spec's pattern. The registry is global, hence once.
		openapi3filter.RegisterBodyDecoder("application/jwt", openapi3filter.PlainBodyDecoder)
	})
	data, err := api.Specs.ReadFile(file)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("fakeapi: loading %s: %w", file, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("fakeapi: %s is not valid OpenAPI: %w", file, err)
	}
	// The document names the real hosts; the fake answers on a loopback address with any Host
	// header (the CyberSource client sends the real API host), so match on the path alone.
	// Paths and operations may name their own servers (Dintero's token endpoint does): drop
	// those too, so every path is matched under basePath.
	doc.Servers = openapi3.Servers{{URL: basePath}}
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		for _, op := range item.Operations() {
			op.Servers = nil
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("fakeapi: routing %s: %w", file, err)
	}
	v := &Validator{router: router, formats: map[string]openapi3.StringFormatValidator{}}
	for _, opt := range opts {
		opt(v)
	}
	return v, nil
}

// Route is a request matched to an operation of the document.
type Route struct {
	// OperationID is the document's operationId, e.g. "getSession".
	OperationID string
	// PathParams holds the path parameters by name, as sent (still escaped).
	PathParams map[string]string
	// Body is the request body, read in full (at most MaxRequestBody bytes).
	Body []byte
}

// ErrNoRoute is wrapped by Validate's error when no operation of the document has the
// request's path; ErrMethodNotAllowed when the path exists but not for the method.
var (
	ErrNoRoute          = errors.New("no such path in the API")
	ErrMethodNotAllowed = errors.New("method not allowed for this path")
)

// Validate matches r to an operation and checks its parameters and body against the document.
// It reads r.Body (and leaves r.Body readable again). On a route error it returns a nil
// Route; on a validation error it returns the Route and an error that says what is wrong,
// worded for a person ("request body: property \"order\" is missing").
//
// Authentication is not checked here: each fake checks credentials itself, against the
// credentials it was configured with.
func (v *Validator) Validate(r *http.Request) (*Route, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		switch {
		case errors.Is(err, routers.ErrMethodNotAllowed):
			return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrMethodNotAllowed)
		default:
			return nil, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, ErrNoRoute)
		}
	}
	out := &Route{OperationID: route.Operation.OperationID, PathParams: params, Body: body}
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults:     true, // never rewrite what the client sent
			MultiError:              true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(v.formats)},
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		return out, errors.New(describe(err))
	}
	r.Body = io.NopCloser(bytes.NewReader(body)) // ValidateRequest consumed it
	return out, nil
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(body) > MaxRequestBody {
		return nil, fmt.Errorf("request body larger than %d bytes", MaxRequestBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// describe flattens kin-openapi's nested errors into one line per problem, naming the
// parameter or JSON pointer of each, without the schema dumps kin-openapi appends.
func describe(err error) string {
	var lines []string
	var walk func(where string, err error)
	walk = func(where string, err error) {
		switch e := err.(type) { //nolint:errorlint // walks kin-openapi's error tree level by level, on purpose
		case openapi3.MultiError:
			for _, inner := range e {
				walk(where, inner)
			}
		case *openapi3filter.RequestError:
			where := "request body"
			if e.Parameter != nil {
				where = fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
			}
			_, multi := e.Err.(openapi3.MultiError)    //nolint:errorlint // this level only, as above
			_, schema := e.Err.(*openapi3.SchemaError) //nolint:errorlint // this level only, as above
			switch {
			case e.Err == nil:
				lines = append(lines, where+": "+e.Reason)
			case e.Reason == "" || multi || schema:
				walk(where, e.Err)
			default:
				lines = append(lines, where+": "+e.Reason+": "+firstLine(e.Err.Error()))
			}
		case *openapi3filter.ResponseError:
			if e.Err != nil {
				walk("response: "+e.Reason, e.Err)
			} else {
				lines = append(lines, "response: "+e.Reason)
			}
		case *openapi3.SchemaError:
			lines = append(lines, where+": "+schemaLine(e))
		case *openapi3filter.ParseError:
			lines = append(lines, where+": "+firstLine(e.Error()))
		default:
			lines = append(lines, where+": "+firstLine(err.Error()))
		}
	}
	walk("request", err)
	return strings.Join(lines, "; ")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func schemaLine(e *openapi3.SchemaError) string {
	pointer := "/" + strings.Join(e.JSONPointer(), "/")
	if pointer == "/" {
		return e.Reason
	}
	return fmt.Sprintf("%s at %s", e.Reason, pointer)
}

// Fault is what a fake does instead of (or before) answering one of the next calls of an
// operation. The zero Fault does nothing.
type Fault struct {
	// Status, when not zero, is answered instead of the real answer, with Body (or, when
	// Body is empty, the API's usual error body for that status) and Header.
	Status int
	// Body is the body of the Status answer, sent as is.
	Body string
	// Header holds extra headers of the Status answer, such as Retry-After.
	Header http.Header
	// Delay is waited before answering (or dropping the connection). The wait ends early if
	// the client gives up, so a client timeout shorter than Delay ends the call promptly.
	Delay time.Duration
	// Drop closes the connection without any answer, as a crashed server or a reset would.
	Drop bool
	// Times is how many consecutive calls the fault affects; zero means one.
	Times int
}

// Faults holds the faults injected per operation and counts the calls of each, for the
// operations given to NewFaults. It is safe for concurrent use.
type Faults struct {
	known map[string]bool

	mu     sync.Mutex
	queued map[string][]Fault
	calls  map[string]int
}

// NewFaults returns the Faults of a fake whose operations, by operationId of its OpenAPI
// document, are those of the map. Faults are injected and calls counted by the map's values, the
// names the fake gives the operations.
func NewFaults[O ~string](operations map[string]O) *Faults {
	known := make(map[string]bool, len(operations))
	for _, op := range operations {
		known[string(op)] = true
	}
	return &Faults{known: known, queued: map[string][]Fault{}, calls: map[string]int{}}
}

// Inject queues f for the next f.Times calls of operation op (one when Times is zero or
// negative), after any faults already queued for op. It refuses an operation the fake does not
// serve.
func (q *Faults) Inject(op string, f Fault) error {
	if !q.known[op] {
		return fmt.Errorf("unknown operation %q", op)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	n := max(f.Times, 1)
	f.Times = 1
	for range n {
		q.queued[op] = append(q.queued[op], f)
	}
	return nil
}

// Next counts a call of op and returns the fault it must suffer, if any.
func (q *Faults) Next(op string) (Fault, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.calls[op]++
	list := q.queued[op]
	if len(list) == 0 {
		return Fault{}, false
	}
	f := list[0]
	q.queued[op] = list[1:]
	return f, true
}

// Calls returns how many calls of op arrived (faulted or not) since the start.
func (q *Faults) Calls(op string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.calls[op]
}

// Reset drops every queued fault. The call counts stay.
func (q *Faults) Reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	clear(q.queued)
}

// Configure applies opts to c in order, as the fakes' NewServer does. A nil option, or one that
// returns an error, panics with "<pkg>: NewServer: <reason>": a bad option is a mistake in the
// test itself, as an address httptest.NewServer cannot listen on is (it panics too).
func Configure[C any, O ~func(*C) error](pkg string, c *C, opts []O) {
	for _, opt := range opts {
		if opt == nil {
			panic(pkg + ": NewServer: nil Option")
		}
		if err := opt(c); err != nil {
			panic(pkg + ": NewServer: " + err.Error())
		}
	}
}

// Apply carries out f on w. It reports whether the request is finished (answered, dropped,
// or abandoned by the client); if not, the fake answers normally. errorBody gives the API's
// error body for a status when f.Body is empty, with its content type.
func Apply(w http.ResponseWriter, r *http.Request, f Fault, errorBody func(status int) (contentType string, body []byte)) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		// Not hijackable (HTTP/2): abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	if f.Status == 0 {
		return false
	}
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	body := []byte(f.Body)
	if f.Body == "" {
		var ct string
		ct, body = errorBody(f.Status)
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", ct)
		}
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write(body)
	return true
}

// CheckResponse checks an answer the fake gave to r against the document: a status the
// operation declares, its content type, and a body that matches the schema. The fakes' own
// tests use it to prove the fakes answer what the real APIs are documented to answer.
func (v *Validator) CheckResponse(r *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: r, PathParams: params, Route: route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(r.Context(), in); err != nil {
		return fmt.Errorf("%s %s answered %d: %s", r.Method, r.URL.Path, status, describe(err))
	}
	return nil
}

// WriteJSON answers with status and v encoded as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// HandlerBaseURL checks the base URL a fake served by NewHandler is reached at and returns it
// without a trailing slash. It panics, naming pkg, when baseURL is not an http or https URL with
// a host and no path, query, fragment or user info: NewHandler panics on bad input like
// httptest.
func HandlerBaseURL(pkg, baseURL string) string {
	base := strings.TrimSuffix(baseURL, "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		panic(pkg + ": NewHandler: base URL " + strconv.Quote(baseURL) + " is not http(s)://host[:port]")
	}
	return base
}

// SortedOperations returns the values of a fake's operation table, sorted.
func SortedOperations[O ~string](operations map[string]O) []O {
	out := make([]O, 0, len(operations))
	for _, op := range operations {
		out = append(out, op)
	}
	slices.Sort(out)
	return out
}
