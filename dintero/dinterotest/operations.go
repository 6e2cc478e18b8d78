package dinterotest

import (
	"github.com/paysession/paysession-go/internal/fakeapi"
)

// Operation names an operation of the API, for Inject and Calls. The values are the operation
// names of dintero.APIError.Operation.
type Operation string

// The operations the fake serves.
const (
	OpCreateSession             Operation = "CreateSession"
	OpCreateSessionFromProfile  Operation = "CreateSessionFromProfile"
	OpCreatePaymentTokenSession Operation = "CreatePaymentTokenSession"
	OpGetSession                Operation = "GetSession"
	OpUpdateSession             Operation = "UpdateSession"
	OpCancelSession             Operation = "CancelSession"
	OpListSessions              Operation = "ListSessions"
	OpCreateAccessToken         Operation = "CreateAccessToken"
)

// operations maps the document's operationIds to the fake's operations.
var operations = map[string]Operation{
	"createSession":             OpCreateSession,
	"createSessionFromProfile":  OpCreateSessionFromProfile,
	"createPaymentTokenSession": OpCreatePaymentTokenSession,
	"getSession":                OpGetSession,
	"updateSession":             OpUpdateSession,
	"cancelSession":             OpCancelSession,
	"listSessions":              OpListSessions,
	"createAccessToken":         OpCreateAccessToken,
}

// Fault is what the server does instead of (or before) answering one of the next calls of an
// operation: answer Status (with Dintero's error body for it unless Body is set, and Header, e.g.
// Retry-After), wait Delay first (ended early when the client gives up), or Drop the connection
// without an answer; Times is how many consecutive calls it affects (zero means one). See
// Server.Inject.
type Fault = fakeapi.Fault

// Inject queues f for the next f.Times calls of op (one when Times is zero), after any faults
// already queued for op. Faults apply after routing and before authentication, so a faulted call
// is answered by the fault whatever its credentials. Inject panics on an Operation that is not
// one of the Op constants.
func (s *Server) Inject(op Operation, f Fault) {
	if err := s.faults.Inject(string(op), f); err != nil {
		panic("dinterotest: Inject: " + err.Error())
	}
}

// ResetFaults drops every queued fault. The call counts stay.
func (s *Server) ResetFaults() { s.faults.Reset() }

// Calls returns how many requests of op the server has received since it started, whatever their
// outcome: faulted, refused for their credentials or body, or answered. Requests for unknown
// paths or with a wrong method are no operation's calls.
func (s *Server) Calls(op Operation) int { return s.faults.Calls(string(op)) }
