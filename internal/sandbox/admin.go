package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// maxDeliveryWait bounds how long GET /_sandbox/deliveries?min=N waits.
const maxDeliveryWait = time.Minute

// maxAdminBody bounds the body of an admin request.
const maxAdminBody = 64 << 10

// maxFaultDelay and maxFaultTimes bound an injected fault, so that a typo cannot hang the
// sandbox's clients for hours.
const (
	maxFaultDelay = 5 * time.Minute
	maxFaultTimes = 1000
)

// adminHandler serves the admin API under AdminPrefix. Every answer is JSON; errors are
// {"error": "..."}.
//
//	GET    /_sandbox/health                      {"ok": true}
//	GET    /_sandbox/state                       both fakes: sessions (with their status), call counts, keys; the deliveries
//	POST   /_sandbox/reset                       new, empty fakes with the same credentials; deliveries forgotten
//	GET    /_sandbox/deliveries[?min=N&timeout=D] what was sent to the merchant, oldest first (waiting for N)
//	POST   /_sandbox/faults                      {"api", "operation", "status", "body", "header", "delay", "drop", "times"}
//	DELETE /_sandbox/faults                      drop every queued fault
//	POST   /_sandbox/dintero/sessions/{id}/{action}  pay, hold, decline, cancel, authorize, fail, callback
//	POST   /_sandbox/dintero/drop-answers        {"n": N}: ignore the merchant's next N answers, so callbacks are repeated
func (s *Sandbox) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+AdminPrefix+"{$}", s.adminIndex)
	mux.HandleFunc("GET "+AdminPrefix+"health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
	mux.HandleFunc("GET "+AdminPrefix+"state", s.adminState)
	mux.HandleFunc("POST "+AdminPrefix+"reset", s.adminReset)
	mux.HandleFunc("GET "+AdminPrefix+"deliveries", s.adminDeliveries)
	mux.HandleFunc("POST "+AdminPrefix+"faults", s.adminInject)
	mux.HandleFunc("DELETE "+AdminPrefix+"faults", s.adminResetFaults)
	mux.HandleFunc("POST "+AdminPrefix+"dintero/sessions/{id}/{action}", s.adminAct)
	mux.HandleFunc("POST "+AdminPrefix+"dintero/drop-answers", s.adminDropAnswers)
	mux.HandleFunc(AdminPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no admin endpoint %s %s; GET %s lists them", r.Method, r.URL.Path, AdminPrefix))
	})
	return mux
}

func (s *Sandbox) adminIndex(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"endpoints": []string{
			"GET " + AdminPrefix + "health",
			"GET " + AdminPrefix + "state",
			"POST " + AdminPrefix + "reset",
			"GET " + AdminPrefix + "deliveries",
			"POST " + AdminPrefix + "faults",
			"DELETE " + AdminPrefix + "faults",
			"POST " + AdminPrefix + "dintero/sessions/{id}/{pay|hold|decline|cancel|authorize|fail|callback}",
			"POST " + AdminPrefix + "dintero/drop-answers",
		},
		"dintero_operations":     dinterotest.Operations(),
		"cybersource_operations": cyberflextest.Operations(),
	})
}

// State is the answer of GET /_sandbox/state.
type State struct {
	Dintero     DinteroState     `json:"dintero"`
	CyberSource CyberSourceState `json:"cybersource"`
	Deliveries  []Delivery       `json:"deliveries"`
}

// DinteroState is the Dintero fake's part of State.
type DinteroState struct {
	BaseURL   string `json:"base_url"`
	AccountID string `json:"account_id"`
	// Sessions are newest first.
	Sessions []SessionState `json:"sessions"`
	// Calls counts the requests of each operation since the start or the last reset.
	Calls map[dinterotest.Operation]int `json:"calls"`
}

// SessionState is a session with the status dintero.StatusOf derives from it.
type SessionState struct {
	Status  dintero.Status  `json:"status"`
	Session dintero.Session `json:"session"`
}

// CyberSourceState is the CyberSource fake's part of State.
type CyberSourceState struct {
	BaseURL    string `json:"base_url"`
	MerchantID string `json:"merchant_id"`
	KeyID      string `json:"key_id"`
	// Host is the API host requests must be signed for.
	Host string `json:"host"`
	// SigningKeyID is the kid of the key that signs capture contexts now.
	SigningKeyID string                          `json:"signing_key_id"`
	Calls        map[cyberflextest.Operation]int `json:"calls"`
}

func (s *Sandbox) adminState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.State())
}

// State returns what GET /_sandbox/state answers. It holds no secret.
func (s *Sandbox) State() State {
	d, c := s.Dintero(), s.CyberSource()
	now := time.Now()
	st := State{
		Dintero: DinteroState{
			BaseURL: s.DinteroURL(), AccountID: d.AccountID(),
			Sessions: []SessionState{}, Calls: map[dinterotest.Operation]int{},
		},
		CyberSource: CyberSourceState{
			BaseURL: s.cyberSourceURL, MerchantID: s.cfg.CyberSource.MerchantID, KeyID: s.cfg.CyberSource.KeyID,
			Host: s.cfg.CyberSource.Host, Calls: map[cyberflextest.Operation]int{},
		},
	}
	for _, sess := range d.Sessions() {
		st.Dintero.Sessions = append(st.Dintero.Sessions, SessionState{Status: dintero.StatusOf(&sess, now), Session: sess})
	}
	for _, op := range dinterotest.Operations() {
		st.Dintero.Calls[op] = d.Calls(op)
	}
	st.CyberSource.SigningKeyID, _ = c.PublicKey()
	for _, op := range cyberflextest.Operations() {
		st.CyberSource.Calls[op] = c.Calls(op)
	}
	st.Deliveries, _ = s.deliveries.list()
	if st.Deliveries == nil {
		st.Deliveries = []Delivery{}
	}
	return st
}

func (s *Sandbox) adminReset(w http.ResponseWriter, r *http.Request) {
	if err := s.Reset(); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	s.logf("reset: no sessions, faults or deliveries; the same credentials")
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}

// adminDeliveries answers the log. With ?min=N it first waits, up to ?timeout (a Go duration,
// default and at most maxDeliveryWait), until N requests were sent, so that a script needs no
// polling loop; 408 when they were not.
func (s *Sandbox) adminDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	minimum, timeout := 0, maxDeliveryWait
	if v := q.Get("min"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxDeliveries {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("min %q is not a number from 0 to %d", v, maxDeliveries))
			return
		}
		minimum = n
	}
	if v := q.Get("timeout"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxDeliveryWait {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("timeout %q is not a Go duration from 0 to %s", v, maxDeliveryWait))
			return
		}
		timeout = d
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	list, err := s.Deliveries(ctx, minimum)
	if err != nil {
		writeError(w, http.StatusRequestTimeout, fmt.Sprintf("%d of the %d deliveries waited for were sent within %s", len(list), minimum, timeout))
		return
	}
	if list == nil {
		list = []Delivery{}
	}
	writeJSON(w, http.StatusOK, list)
}

// FaultRequest is the body of POST /_sandbox/faults: a fault for the next call(s) of one
// operation of one fake (dinterotest.Fault, cyberflextest.Fault).
type FaultRequest struct {
	// API is "dintero" or "cybersource".
	API string `json:"api"`
	// Operation is one of the fake's operations, e.g. "CreateSession" or
	// "GenerateCaptureContext" (GET /_sandbox/ lists them).
	Operation string `json:"operation"`
	// Status, when not zero, is answered instead of the real answer (100 to 599), with Body,
	// or the API's usual error body when Body is empty, and Header.
	Status int               `json:"status,omitempty"`
	Body   string            `json:"body,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	// Delay is waited before answering, as a Go duration ("2s", "150ms"), at most 5 minutes.
	Delay string `json:"delay,omitempty"`
	// Drop closes the connection without an answer.
	Drop bool `json:"drop,omitempty"`
	// Times is how many consecutive calls the fault affects (default one, at most 1000).
	Times int `json:"times,omitempty"`
}

func (s *Sandbox) adminInject(w http.ResponseWriter, r *http.Request) {
	var req FaultRequest
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	f, err := req.fault()
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch req.API {
	case "dintero":
		op := dinterotest.Operation(req.Operation)
		if !slices.Contains(dinterotest.Operations(), op) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("dintero has no operation %q; it has %v", req.Operation, dinterotest.Operations()))
			return
		}
		s.Dintero().Inject(op, f)
	case "cybersource":
		op := cyberflextest.Operation(req.Operation)
		if !slices.Contains(cyberflextest.Operations(), op) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("cybersource has no operation %q; it has %v", req.Operation, cyberflextest.Operations()))
			return
		}
		s.CyberSource().Inject(op, f)
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("api %q is neither \"dintero\" nor \"cybersource\"", req.API))
		return
	}
	s.logf("fault queued for the next %d call(s) of %s %s", max(f.Times, 1), req.API, req.Operation)
	writeJSON(w, http.StatusCreated, req)
}

// fault checks the request and turns it into the fakes' Fault.
func (req FaultRequest) fault() (dinterotest.Fault, error) {
	f := dinterotest.Fault{Status: req.Status, Body: req.Body, Drop: req.Drop, Times: req.Times}
	if req.Status != 0 && (req.Status < 100 || req.Status > 599) {
		return f, fmt.Errorf("status %d is not an HTTP status (100 to 599)", req.Status)
	}
	if req.Times < 0 || req.Times > maxFaultTimes {
		return f, fmt.Errorf("times %d is not from 0 to %d", req.Times, maxFaultTimes)
	}
	if req.Delay != "" {
		d, err := time.ParseDuration(req.Delay)
		if err != nil || d < 0 || d > maxFaultDelay {
			return f, fmt.Errorf("delay %q is not a Go duration from 0 to %s, e.g. \"2s\"", req.Delay, maxFaultDelay)
		}
		f.Delay = d
	}
	if len(req.Header) > 0 {
		f.Header = http.Header{}
		for k, v := range req.Header {
			f.Header.Set(k, v)
		}
	}
	if f.Status == 0 && f.Delay == 0 && !f.Drop {
		return f, errors.New("the fault does nothing: give a status, a delay or drop")
	}
	return f, nil
}

func (s *Sandbox) adminResetFaults(w http.ResponseWriter, r *http.Request) {
	s.Dintero().ResetFaults()
	s.CyberSource().ResetFaults()
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}

// adminAct does an action as the checkout page would, but answers the Outcome instead of a
// redirect and delivers the callback before answering, so a script knows it arrived.
func (s *Sandbox) adminAct(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	out, err := s.act(id, r.PathValue("action"))
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	s.logOutcome(out)
	if out.sendCallback != nil {
		d := s.deliver(r.Context(), out.sendCallback, "callback", id)
		out.Callback = &d
	}
	writeJSON(w, http.StatusOK, out)
}

// adminDropAnswers makes the Dintero fake ignore the merchant's answers to the next n callback
// and webhook attempts, as Dintero ignores an answer after its timeout, so the merchant gets the
// same delivery (Event-Delivery) again (dinterotest.Server.DropDeliveryAnswers).
func (s *Sandbox) adminDropAnswers(w http.ResponseWriter, r *http.Request) {
	var req struct {
		N int `json:"n"`
	}
	if err := decodeJSON(r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if req.N < 0 || req.N > maxFaultTimes {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("n %d is not from 0 to %d", req.N, maxFaultTimes))
		return
	}
	s.Dintero().DropDeliveryAnswers(req.N)
	writeJSON(w, http.StatusOK, req)
}

// decodeJSON reads one JSON object of known fields, at most maxAdminBody bytes.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("request body: more than one JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": strings.TrimSpace(msg)})
}
