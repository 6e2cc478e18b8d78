package dintero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"regexp"

	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/retry"
)

// sessionIDPattern is the shape of a Dintero checkout session id: the account id (T or P and eight
// digits), a dot, and an opaque part (https://docs.dintero.com/api#tag/session). Checking it before a
// call keeps ids from user input out of the URL path: no "/", "..", "?" or "#" can reach it.
var sessionIDPattern = regexp.MustCompile(`^[PT]\d{8}\.[A-Za-z0-9]{1,64}$`)

// checkSessionID refuses an id that cannot be a Dintero session id, before anything is sent.
func checkSessionID(id string) error {
	if id == "" {
		return invalid("session id is empty")
	}
	if !sessionIDPattern.MatchString(id) {
		return invalid("session id %.80q is not a Dintero checkout id (account id, a dot, letters and digits)", id)
	}
	return nil
}

// CreateSession creates a checkout session (POST /sessions) and returns its id and the URL to
// send the customer to; with IncludeSession(), the whole session too.
//
// It is not retried once the request may have reached Dintero: the API has no idempotency key, so
// a repeated create could make a second session. It is retried only when the connection could not
// even be opened. A failure after the request may have reached Dintero wraps ErrOutcomeUnknown:
// find the session with FindCreatedSession before creating it again.
func (c *Client) CreateSession(ctx context.Context, req SessionCreateRequest, opts ...CreateOption) (*SessionCreated, error) {
	const op = "CreateSession"
	o, err := collect(op, opts, CreateOption.applyCreate)
	if err != nil {
		return nil, err
	}
	params := &dinteroapi.CreateSessionParams{IncludeSession: o.includeSession, DinteroFeatureToggles: o.featureToggles}
	return c.create(ctx, op, &req, o, func(body []byte) (*http.Request, error) {
		return dinteroapi.NewCreateSessionRequestWithBody(c.baseURL, params, "application/json", bytes.NewReader(body))
	})
}

// CreateSessionFromProfile creates a checkout session from a session profile configured in the
// Dintero Backoffice (POST /sessions/profile). Retried like CreateSession.
func (c *Client) CreateSessionFromProfile(ctx context.Context, req SessionProfileCreateRequest, opts ...CreateOption) (*SessionCreated, error) {
	const op = "CreateSessionFromProfile"
	o, err := collect(op, opts, CreateOption.applyCreate)
	if err != nil {
		return nil, err
	}
	params := &dinteroapi.CreateSessionFromProfileParams{IncludeSession: o.includeSession, DinteroFeatureToggles: o.featureToggles}
	return c.create(ctx, op, &req, o, func(body []byte) (*http.Request, error) {
		return dinteroapi.NewCreateSessionFromProfileRequestWithBody(c.baseURL, params, "application/json", bytes.NewReader(body))
	})
}

// CreatePaymentTokenSession creates a session that saves a payment token for later payments
// (POST /sessions/payment-token). Retried like CreateSession.
func (c *Client) CreatePaymentTokenSession(ctx context.Context, req PaymentTokenSessionRequest, opts ...PaymentTokenOption) (*SessionCreated, error) {
	const op = "CreatePaymentTokenSession"
	o, err := collect(op, opts, PaymentTokenOption.applyPaymentToken)
	if err != nil {
		return nil, err
	}
	params := &dinteroapi.CreatePaymentTokenSessionParams{IncludeSession: o.includeSession}
	return c.create(ctx, op, &req, o, func(body []byte) (*http.Request, error) {
		return dinteroapi.NewCreatePaymentTokenSessionRequestWithBody(c.baseURL, params, "application/json", bytes.NewReader(body))
	})
}

// create is the body of the three create calls: check, encode once, send without retrying once
// the request may have been received, and check that the answer names the session and its URL.
func (c *Client) create(ctx context.Context, op string, req any, o callOptions, build func(body []byte) (*http.Request, error)) (*SessionCreated, error) {
	if err := checkRequest(op, req, o.featureToggles); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, invalid("%s: encoding the request: %v", op, err)
	}
	var out SessionCreated
	check := func() error {
		if out.ID == nil || *out.ID == "" {
			return &outcomeUnknownError{invalidResponse(op, nil, "the answer has no session id")}
		}
		if out.URL == nil || *out.URL == "" {
			return invalidResponse(op, nil, "the answer for session %s has no checkout URL", *out.ID)
		}
		return nil
	}
	if err := c.call(ctx, op, false, func() (*http.Request, error) { return build(body) }, &out, o.rawResponse, check); err != nil {
		return nil, outcomeOf(err)
	}
	return &out, nil
}

// outcomeOf marks the error of a create call whose request may have been processed: it wraps
// ErrOutcomeUnknown when the request may have reached Dintero and no answer says what became of
// it. That is every failure except: input refused before sending, a connection that could not
// even be opened, and an answer from Dintero itself that refuses the request (4xx, 500, 503).
// 502 and 504 come from a gateway in front of Dintero, which may have passed the request on.
func outcomeOf(err error) error {
	var apiErr *APIError
	switch {
	case errors.Is(err, ErrInvalidInput), retry.NotSent(nil, err):
		return err
	case errors.As(err, &apiErr):
		if apiErr.StatusCode == http.StatusBadGateway || apiErr.StatusCode == http.StatusGatewayTimeout {
			return &outcomeUnknownError{err}
		}
		return err
	}
	return &outcomeUnknownError{err}
}

// outcomeUnknownError is a create failure that wraps ErrOutcomeUnknown.
type outcomeUnknownError struct{ err error }

func (e *outcomeUnknownError) Error() string {
	return e.err.Error() + " (outcome unknown: the session may exist; look for it with FindCreatedSession before creating it again)"
}

func (e *outcomeUnknownError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.err} }

// GetSession fetches a session (GET /sessions/{id}). Retried on connection errors, timeouts and
// 408/429/502/503/504.
func (c *Client) GetSession(ctx context.Context, sessionID string, opts ...GetOption) (*Session, error) {
	const op = "GetSession"
	o, err := collect(op, opts, GetOption.applyGet)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	params := &dinteroapi.GetSessionParams{Includes: o.includes}
	return c.session(ctx, op, o, func() (*http.Request, error) {
		return dinteroapi.NewGetSessionRequest(c.baseURL, sessionID, params)
	})
}

// UpdateSession changes a session (PUT /sessions/{id}). Dintero requires the session to be locked
// first unless UpdateWithoutLock() is given. Retried like GetSession: an update sets the whole
// state it is given, so repeating it changes nothing.
func (c *Client) UpdateSession(ctx context.Context, sessionID string, req SessionUpdateRequest, opts ...UpdateOption) (*Session, error) {
	const op = "UpdateSession"
	o, err := collect(op, opts, UpdateOption.applyUpdate)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if err := checkRequest(op, &req, o.featureToggles); err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, invalid("%s: encoding the request: %v", op, err)
	}
	params := &dinteroapi.UpdateSessionParams{
		ForceShippingAddressCallback: o.forceShippingAddressCallback,
		UpdateWithoutLock:            o.updateWithoutLock,
		DinteroFeatureToggles:        o.featureToggles,
	}
	return c.session(ctx, op, o, func() (*http.Request, error) {
		return dinteroapi.NewUpdateSessionRequestWithBody(c.baseURL, sessionID, params, "application/json", bytes.NewReader(body))
	})
}

// CancelSession cancels a session that has not been paid (POST /sessions/{id}/cancel). Retried
// like GetSession: cancelling a cancelled session changes nothing.
func (c *Client) CancelSession(ctx context.Context, sessionID string, opts ...CancelOption) (*Session, error) {
	const op = "CancelSession"
	o, err := collect(op, opts, CancelOption.applyCancel)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	return c.session(ctx, op, o, func() (*http.Request, error) {
		return dinteroapi.NewCancelSessionRequest(c.baseURL, sessionID, &dinteroapi.CancelSessionParams{})
	})
}

// session runs a call that answers with one session and checks that the answer is one.
func (c *Client) session(ctx context.Context, op string, o callOptions, build func() (*http.Request, error)) (*Session, error) {
	var out Session
	check := func() error {
		if out.ID == nil || *out.ID == "" {
			return invalidResponse(op, nil, "the answer has no session id")
		}
		return nil
	}
	if err := c.call(ctx, op, true, build, &out, o.rawResponse, check); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions returns one page of sessions (GET /sessions), filtered by opts. Use Sessions to
// walk every page.
func (c *Client) ListSessions(ctx context.Context, opts ...ListOption) ([]Session, error) {
	const op = "ListSessions"
	o, err := collect(op, opts, ListOption.applyList)
	if err != nil {
		return nil, err
	}
	return c.listPage(ctx, op, o)
}

func (c *Client) listPage(ctx context.Context, op string, o callOptions) ([]Session, error) {
	params := o.list // a copy per call
	var out []Session
	check := func() error {
		if out == nil {
			return invalidResponse(op, nil, "the answer is not a list of sessions")
		}
		return nil
	}
	if err := c.call(ctx, op, true, func() (*http.Request, error) {
		return dinteroapi.NewListSessionsRequest(c.baseURL, &params)
	}, &out, o.rawResponse, check); err != nil {
		return nil, err
	}
	return out, nil
}

// defaultPageSize is the page size Sessions asks for: the API's maximum, so that walking many
// sessions takes as few requests as possible.
const defaultPageSize = 100

// Sessions walks every session that matches opts, page after page (starting_after the last
// session of the previous page), for use in a range-over-func loop:
//
//	for s, err := range c.Sessions(ctx, dintero.Search("order-1")) {
//		if err != nil { … }
//		…
//	}
//
// It yields an error, and stops, when a call fails or when the next page cannot be asked for
// because the cursor does not advance (a page whose last session is the one the page was asked
// to start after, or has no id: a proxy dropping the query would otherwise repeat the same page
// forever). Only one page is held in memory at a time.
func (c *Client) Sessions(ctx context.Context, opts ...ListOption) iter.Seq2[Session, error] {
	return func(yield func(Session, error) bool) {
		const op = "ListSessions"
		o, err := collect(op, opts, ListOption.applyList)
		if err != nil {
			yield(Session{}, err)
			return
		}
		limit := defaultPageSize
		if o.list.Limit != nil {
			limit = *o.list.Limit
		}
		o.list.Limit = &limit
		for {
			page, err := c.listPage(ctx, op, o)
			if err != nil {
				yield(Session{}, err)
				return
			}
			for _, s := range page {
				if !yield(s, nil) {
					return
				}
			}
			if len(page) < limit {
				return
			}
			last := page[len(page)-1].ID
			switch {
			case last == nil || *last == "":
				yield(Session{}, invalidResponse(op, nil, "the last session of a full page has no id, so the next page cannot be asked for"))
				return
			case o.list.StartingAfter != nil && *last == *o.list.StartingAfter:
				yield(Session{}, invalidResponse(op, nil, "the page asked to start after %s ends with it again: the cursor does not advance (does a proxy drop starting_after?)", *last))
				return
			}
			after := *last
			o.list.StartingAfter = &after
		}
	}
}
