package dintero

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/httpx"
)

// ErrInvalidInput is wrapped by every error the client returns for input it refuses before
// anything is sent: an empty or malformed session id, a limit outside 1..100, a missing required
// field, a malformed account id, a bad option. Test for it with errors.Is.
var ErrInvalidInput = errors.New("dintero: invalid input")

// ErrInvalidResponse is wrapped by the error of a 2xx answer the client cannot use: a body that
// is not the JSON the call expects, or one without what the call promises (a session without an
// id, a created session without its URL).
var ErrInvalidResponse = errors.New("dintero: invalid response")

// ErrBodyTooLarge is wrapped by the error of an answer whose body is larger than the client reads
// (8 MiB; every real answer is far smaller).
var ErrBodyTooLarge = httpx.ErrBodyTooLarge

// invalid returns an error wrapping ErrInvalidInput.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
}

// responseError is a 2xx answer the client cannot use. It wraps ErrInvalidResponse and the
// cause, if any (a *json.SyntaxError, …).
type responseError struct {
	msg   string
	cause error
}

func (e *responseError) Error() string   { return e.msg }
func (e *responseError) Unwrap() []error { return []error{ErrInvalidResponse, e.cause} }

// invalidResponse returns an error wrapping ErrInvalidResponse and cause (which may be nil).
func invalidResponse(op string, cause error, format string, args ...any) error {
	return &responseError{msg: "dintero: " + op + ": " + fmt.Sprintf(format, args...), cause: cause}
}

// APIError is the error for every answer of the Dintero API that is not a 2xx. Use errors.As to
// get it:
//
//	var apiErr *dintero.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound { … }
//
// Dintero documents its error body as {"error": {"code", "message", "errors"}}
// (https://docs.dintero.com/docs/errors). A body of another shape (an HTML page from a proxy, an
// empty or truncated body) still gives an APIError with the status and the raw body; only Code,
// Message and Errors stay empty. Every credential the client holds or sent is scrubbed from Body,
// Header and the fields decoded from them, also when the answer echoes it escaped.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is Dintero's machine-readable error code, when the body has one (e.g. "NOT FOUND").
	Code string
	// Message is Dintero's explanation, when the body has one.
	Message string
	// Errors holds the entries of error.errors as raw JSON: their shape is undocumented.
	Errors []json.RawMessage
	// Body is the raw response body, read through a size limit (8 MiB).
	Body []byte
	// Header holds the answer's headers.
	Header http.Header
	// RetryAfter is the wait the answer asked for with a Retry-After header (429, 503), 0 when it
	// asked for none. The client waits up to WithMaxRetryAfter itself; a longer wait is returned
	// here for the caller to decide.
	RetryAfter time.Duration
	// RequestID is the request id the API answered with (Request-Id or X-Request-Id header), if
	// any; quote it to Dintero support.
	RequestID string
	// Operation names the call that failed, e.g. "GetSession".
	Operation string
}

// Error describes the failure with the status, the code and message from the body when there is
// one, else an excerpt of the raw body: one short line of bounded size, whatever the server sent,
// so that it cannot forge log lines or flood a log, and costs little to build.
func (e *APIError) Error() string {
	return apicall.APIErrorText("dintero", e.Operation, e.StatusCode, e.Code, e.Message, e.Body, "request id", e.RequestID)
}

// errorBody is Dintero's documented error shape.
type errorBody struct {
	Error *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"`
	} `json:"error"`
}

// newAPIError builds the APIError of a non-2xx answer, whose body and headers the pipeline has
// already scrubbed of credentials.
func newAPIError(op string, r *apicall.Response) error {
	e := &APIError{StatusCode: r.StatusCode, Body: r.Body, Header: r.Header, RetryAfter: r.RetryAfter, Operation: op}
	for _, h := range []string{"Request-Id", "X-Request-Id"} {
		if v := r.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	var eb errorBody
	if json.Unmarshal(r.Body, &eb) == nil && eb.Error != nil {
		e.Code, e.Message, e.Errors = eb.Error.Code, eb.Error.Message, eb.Error.Errors
	}
	return e
}
