package dintero

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/paysession/paysession-go/internal/untrusted"
)

// ErrInvalidInput is wrapped by every error the client returns for input it refuses before
// anything is sent: an empty or malformed session id, a limit outside 1..100, a missing required
// field, a malformed account id, a bad option. Test for it with errors.Is.
var ErrInvalidInput = errors.New("dintero: invalid input")

// invalid returns an error wrapping ErrInvalidInput.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidInput}, args...)...)
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
// Message and Errors stay empty.
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
	// RequestID is the request id the API answered with (Request-Id or X-Request-Id header), if
	// any; quote it to Dintero support.
	RequestID string
	// Operation names the call that failed, e.g. "GetSession".
	Operation string
}

// Error describes the failure with the status, the code and message from the body when there is
// one, else an excerpt of the raw body: one short line, whatever the server sent (the values
// from the answer are cut short and their line breaks collapsed, so that they cannot forge log
// lines or flood a log).
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dintero: %s: %d %s", e.Operation, e.StatusCode, http.StatusText(e.StatusCode))
	switch {
	case e.Code != "" || e.Message != "":
		if e.Code != "" {
			fmt.Fprintf(&b, ": %s", excerpt(e.Code, 80))
		}
		if e.Message != "" {
			fmt.Fprintf(&b, ": %s", excerpt(e.Message, 200))
		}
	case len(e.Body) > 0:
		fmt.Fprintf(&b, ": unexpected body %q", excerpt(e.Body, 120))
	default:
		b.WriteString(": empty body")
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", excerpt(e.RequestID, 80))
	}
	return b.String()
}

// excerpt is untrusted.Line (LineBytes for a body): one short clean line of what the server
// sent, for an error message.
func excerpt[T string | []byte](s T, n int) string {
	if b, ok := any(s).([]byte); ok {
		return untrusted.LineBytes(b, n)
	}
	return untrusted.Line(string(s), n)
}

// errorBody is the documented error shape.
type errorBody struct {
	Error *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Errors  []json.RawMessage `json:"errors"`
	} `json:"error"`
}

// newAPIError builds the APIError for a non-2xx answer. It never fails: a body it cannot decode
// is kept raw.
func newAPIError(op string, resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Body: body, Operation: op}
	for _, h := range []string{"Request-Id", "X-Request-Id"} {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil && eb.Error != nil {
		e.Code, e.Message, e.Errors = eb.Error.Code, eb.Error.Message, eb.Error.Errors
	}
	return e
}
