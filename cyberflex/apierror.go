package cyberflex

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/untrusted"
)

// headerCorrelationID is the response header carrying CyberSource's id for
// the request; quote it to CyberSource support.
const headerCorrelationID = "v-c-correlation-id"

// APIError is the error for every CyberSource answer that is not a 2xx. Get
// it with errors.As:
//
//	var apiErr *cyberflex.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest { … }
//
// CyberSource answers errors in several shapes, all decoded leniently (the
// documented shape is in the Flex API reference,
// https://developer.cybersource.com/api-reference-assets/index.html#flex-api):
//
//   - 400/500 as documented: {"correlationId", "details", "informationLink",
//     "message", "reason"}; details is an array in the spec but a single
//     object in upstream examples and real answers — both are accepted;
//   - 401 from the gateway: {"response": {"rmsg": "Authentication Failed"}}
//     (Message is rmsg) — the shape that broke the Java Flex SDK
//     (cybersource-flex-samples-java#29);
//   - the older Flex shape {"responseStatus": {status, reason, message,
//     correlationId, details}}, which POST /microform/v2/sessions answers to
//     a request it refuses: its details name the failing fields
//     ({"location": "targetOrigin", "message": "Target Origin[0] cannot use
//     http protocol unless the host is localhost"});
//   - anything else (an HTML page from a proxy, an empty or truncated body):
//     only StatusCode and Body are set.
type APIError struct {
	// Operation names the call that failed, e.g. "GenerateCaptureContext".
	Operation string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Reason is CyberSource's machine-readable reason, e.g. "INVALID_APIKEY".
	Reason string
	// Message is CyberSource's explanation.
	Message string
	// CorrelationID is CyberSource's id for the request, from the
	// v-c-correlation-id header, else from the body.
	CorrelationID string
	// Details are the per-field details, in body order; a single details
	// object becomes a one-element slice.
	Details []ErrorDetail
	// InformationLink is a link to documentation of the error, if any.
	InformationLink string
	// Body is the raw response body, read through an 8 MiB limit (so it may
	// be partial), with any credential of this client that a misbehaving
	// server echoed (raw or escaped) replaced by "[redacted]".
	Body []byte
	// Header holds the answer's headers, scrubbed like Body.
	Header http.Header
	// RetryAfter is the wait the answer asked for with a Retry-After header
	// (429, 503), 0 when it asked for none. The client waits up to
	// WithMaxRetryAfter itself; a longer wait is returned here for the caller
	// to decide.
	RetryAfter time.Duration
}

// Error returns a one-line description: operation, status, reason and
// message (or a short excerpt of an unparsed body), the failing fields of
// Details and the correlation id. Values from the body are reduced to a
// single line and cut short.
func (e *APIError) Error() string {
	msg := e.Message
	if d := detailsText(e.Details); d != "" {
		if msg != "" {
			msg += " "
		}
		msg += "(" + d + ")"
	}
	return apicall.APIErrorText("cyberflex", e.Operation, e.StatusCode, e.Reason, msg, e.Body, "correlation id", e.CorrelationID)
}

// maxDetailsInError bounds how many details Error lists; Details has them all.
const maxDetailsInError = 3

// detailsText is "location: message; …" for the first details that say anything.
func detailsText(details []ErrorDetail) string {
	var parts []string
	for _, d := range details {
		loc, msg := untrusted.Line(d.GetLocation(), 60), untrusted.Line(d.GetMessage(), 120)
		switch {
		case loc == "" && msg == "":
			continue
		case loc == "":
			parts = append(parts, msg)
		case msg == "":
			parts = append(parts, loc)
		default:
			parts = append(parts, loc+": "+msg)
		}
		if len(parts) == maxDetailsInError {
			break
		}
	}
	return strings.Join(parts, "; ")
}

// newAPIError builds the APIError for a non-2xx answer, whose body and
// headers the pipeline has already scrubbed of credentials.
func newAPIError(op string, r *apicall.Response) error {
	e := &APIError{
		Operation:     op,
		StatusCode:    r.StatusCode,
		CorrelationID: strings.TrimSpace(r.Header.Get(headerCorrelationID)),
		Body:          r.Body,
		Header:        r.Header,
		RetryAfter:    r.RetryAfter,
	}
	parseErrorBody(e, r.Body)
	return e
}

// parseErrorBody fills e from body when it is one of the known shapes. Each
// member is decoded on its own, so one member of an unexpected type (a
// numeric reason, details: "text") does not lose the others.
func parseErrorBody(e *APIError, body []byte) {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return // not a JSON object: HTML, empty, truncated, …
	}
	// The older Flex shape nests everything in responseStatus.
	if rs, ok := m["responseStatus"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(rs, &inner) == nil {
			for k, v := range inner {
				if _, dup := m[k]; !dup {
					m[k] = v
				}
			}
		}
	}
	e.Reason = jsonString(m["reason"])
	e.Message = jsonString(m["message"])
	e.InformationLink = jsonString(m["informationLink"])
	if e.CorrelationID == "" {
		e.CorrelationID = jsonString(m["correlationId"])
	}
	e.Details = decodeDetails(m["details"])
	// The gateway's 401: {"response": {"rmsg": "Authentication Failed"}}.
	if e.Message == "" {
		if resp, ok := m["response"]; ok {
			var r struct {
				Rmsg json.RawMessage `json:"rmsg"`
			}
			if json.Unmarshal(resp, &r) == nil {
				e.Message = jsonString(r.Rmsg)
			}
		}
	}
}

// jsonString returns raw decoded as a JSON string, or "" when it is absent,
// null or not a string.
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// decodeDetails accepts the details array of the spec and the single
// details object of upstream examples and real answers.
func decodeDetails(raw json.RawMessage) []ErrorDetail {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '[':
		var list []ErrorDetail
		if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
			return list
		}
	case '{':
		var one ErrorDetail
		if json.Unmarshal(raw, &one) == nil {
			return []ErrorDetail{one}
		}
	}
	return nil
}
