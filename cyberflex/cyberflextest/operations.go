package cyberflextest

import (
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// Operation names an operation of the Flex API, for Inject and Calls. The values are the
// operation names the cyberflex client uses in its errors.
type Operation string

const (
	// OpGenerateCaptureContext is POST /flex/v2/sessions.
	OpGenerateCaptureContext Operation = "GenerateCaptureContext"
	// OpGetPublicKey is GET /flex/v2/public-keys/{kid}.
	OpGetPublicKey Operation = "GetPublicKey"
	// OpGenerateMicroformContext is POST /microform/v2/sessions.
	OpGenerateMicroformContext Operation = "GenerateMicroformContext"
	// OpTokenize is POST /flex/v2/tokens.
	OpTokenize Operation = "Tokenize"
)

// operations maps the operationIds of api/cyberflex.yaml to Operations.
var operations = map[string]Operation{
	"generateCaptureContext":          OpGenerateCaptureContext,
	"getPublicKey":                    OpGetPublicKey,
	"generateMicroformCaptureContext": OpGenerateMicroformContext,
	"tokenize":                        OpTokenize,
}

// Fault is what the server does instead of (or before) answering one of the next calls of an
// operation: answer Status (with Body, or when Body is empty the API's usual error body for
// that status, and extra Header such as Retry-After), wait Delay first (ended early when the
// client gives up), or Drop the connection without an answer; Times is how many consecutive
// calls it affects (zero means one). See Server.Inject.
type Fault = fakeapi.Fault

// Inject queues f for the next f.Times calls of op (one when Times is zero), after any faults
// already queued for op. Faults apply after routing and before authentication, so a faulted call
// is answered by the fault whatever its credentials. Inject panics on an Operation that is not
// one of the Op constants.
func (s *Server) Inject(op Operation, f Fault) {
	if err := s.faults.Inject(string(op), f); err != nil {
		panic("cyberflextest: Inject: " + err.Error())
	}
}

// ResetFaults drops every queued fault. The call counts stay.
func (s *Server) ResetFaults() { s.faults.Reset() }

// Calls returns how many requests of op the server has received since it started, whatever their
// outcome: faulted, refused for their credentials or body, or answered. Requests for unknown
// paths or with a wrong method are no operation's calls.
func (s *Server) Calls(op Operation) int { return s.faults.Calls(string(op)) }
