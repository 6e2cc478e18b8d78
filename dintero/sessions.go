package dintero

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"regexp"

	"github.com/paysession/paysession-go/gen/dinteroapi"
)

// sessionIDPattern is a checkout session id: the account id, a dot and a base58 suffix
// (T12345678.4VfSpqnprujVvsa8sHhXjf). Checking it before sending means a hostile or mistyped id
// can never address another path (it is path-escaped as well).
var sessionIDPattern = regexp.MustCompile(`^[PT]\d{8}\.[A-Za-z0-9]{1,64}$`)

func checkSessionID(id string) error {
	if id == "" {
		return invalid("session id is empty")
	}
	if !sessionIDPattern.MatchString(id) {
		return invalid("session id %.80q is not a Dintero checkout id (account id, a dot, letters and digits)", id)
	}
	return nil
}

// CreateSession creates a checkout session for an order (POST /sessions) and returns its id and
// the URL to send the customer to. Add IncludeSession() to get the whole session back as well.
//
// It is not retried once the request may have reached Dintero: the API has no idempotency key, so
// a retry could create a second session. On a timeout, look the session up (ListSessions with a
// search on the merchant reference) before creating another.
func (c *Client) CreateSession(ctx context.Context, req SessionCreateRequest, opts ...CallOption) (*SessionCreated, error) {
	return c.create(ctx, "CreateSession", req, opts, optIncludeSession|optFeatureToggles|optRawResponse, func(o callOptions, s systemValues) sender {
		params := &dinteroapi.CreateSessionParams{
			IncludeSession: o.includeSession, DinteroFeatureToggles: o.featureToggles,
			DinteroSystemName: s.name, DinteroSystemVersion: s.version,
			DinteroSystemPluginName: s.pluginName, DinteroSystemPluginVersion: s.pluginVersion,
		}
		return func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
			return c.raw.CreateSession(ctx, params, req, edit)
		}
	})
}

// CreateSessionFromProfile creates a checkout session from a session profile configured in the
// Dintero back office (POST /sessions-profile). Like CreateSession, it is not retried once the
// request may have reached Dintero.
func (c *Client) CreateSessionFromProfile(ctx context.Context, req SessionProfileCreateRequest, opts ...CallOption) (*SessionCreated, error) {
	return c.create(ctx, "CreateSessionFromProfile", req, opts, optIncludeSession|optFeatureToggles|optRawResponse, func(o callOptions, s systemValues) sender {
		params := &dinteroapi.CreateSessionFromProfileParams{
			IncludeSession: o.includeSession, DinteroFeatureToggles: o.featureToggles,
			DinteroSystemName: s.name, DinteroSystemVersion: s.version,
			DinteroSystemPluginName: s.pluginName, DinteroSystemPluginVersion: s.pluginVersion,
		}
		return func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
			return c.raw.CreateSessionFromProfile(ctx, params, req, edit)
		}
	})
}

// CreatePaymentTokenSession creates a session that only collects the customer's card and creates
// a payment token, without reserving or charging any amount (POST /sessions/payment-token). Like
// CreateSession, it is not retried once the request may have reached Dintero.
func (c *Client) CreatePaymentTokenSession(ctx context.Context, req PaymentTokenSessionRequest, opts ...CallOption) (*SessionCreated, error) {
	return c.create(ctx, "CreatePaymentTokenSession", req, opts, optIncludeSession|optRawResponse, func(o callOptions, s systemValues) sender {
		params := &dinteroapi.CreatePaymentTokenSessionParams{
			IncludeSession:    o.includeSession,
			DinteroSystemName: s.name, DinteroSystemVersion: s.version,
			DinteroSystemPluginName: s.pluginName, DinteroSystemPluginVersion: s.pluginVersion,
		}
		return func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
			return c.raw.CreatePaymentTokenSession(ctx, params, req, edit)
		}
	})
}

// create is the shared body of the three create calls: options and required fields are checked
// before anything is sent, and the call is made without retries after a possible send.
func (c *Client) create(ctx context.Context, op string, req any, opts []CallOption, allowed optKind, prepare func(callOptions, systemValues) sender) (*SessionCreated, error) {
	o, err := collect(op, opts, allowed)
	if err != nil {
		return nil, err
	}
	if err := checkRequired(op, req); err != nil {
		return nil, err
	}
	var out SessionCreated
	if err := c.call(ctx, op, false, prepare(o, c.systemHeaders()), o.decodeTarget(&out)); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetSession returns a checkout session (GET /sessions/{session_id}). Add Include(...) to get the
// request headers of its events. A session that does not exist is an *APIError with status 404.
func (c *Client) GetSession(ctx context.Context, sessionID string, opts ...CallOption) (*Session, error) {
	const op = "GetSession"
	o, err := collect(op, opts, optIncludes|optRawResponse)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	params := &dinteroapi.GetSessionParams{Includes: o.includes}
	var out Session
	err = c.call(ctx, op, true, func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
		return c.raw.GetSession(ctx, sessionID, params, edit)
	}, o.decodeTarget(&out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateSession changes the order (and express shipping options) of a session
// (PUT /sessions/{session_id}) and returns the updated session.
//
// Dintero only updates a session that the customer's checkout has locked for paying, unless
// UpdateWithoutLock() is given. Note that the request's remove_lock defaults to true on
// Dintero's side: the update releases the lock unless you send RemoveLock false.
func (c *Client) UpdateSession(ctx context.Context, sessionID string, req SessionUpdateRequest, opts ...CallOption) (*Session, error) {
	const op = "UpdateSession"
	o, err := collect(op, opts, optForceShippingAddressCallback|optUpdateWithoutLock|optFeatureToggles|optRawResponse)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	if err := checkRequired(op, req); err != nil {
		return nil, err
	}
	params := &dinteroapi.UpdateSessionParams{
		ForceShippingAddressCallback: o.forceShippingAddressCallback,
		UpdateWithoutLock:            o.updateWithoutLock,
		DinteroFeatureToggles:        o.featureToggles,
	}
	sys := c.systemHeaders()
	params.DinteroSystemName, params.DinteroSystemVersion, params.DinteroSystemPluginName, params.DinteroSystemPluginVersion = sys.name, sys.version, sys.pluginName, sys.pluginVersion
	var out Session
	err = c.call(ctx, op, true, func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
		return c.raw.UpdateSession(ctx, sessionID, params, req, edit)
	}, o.decodeTarget(&out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CancelSession cancels a session (POST /sessions/{session_id}/cancel); its transaction is voided
// when it is initialized or authorized. It returns the cancelled session. Cancelling is safe to
// repeat, so it is retried like a read.
func (c *Client) CancelSession(ctx context.Context, sessionID string, opts ...CallOption) (*Session, error) {
	const op = "CancelSession"
	o, err := collect(op, opts, optRawResponse)
	if err != nil {
		return nil, err
	}
	if err := checkSessionID(sessionID); err != nil {
		return nil, err
	}
	sys := c.systemHeaders()
	params := &dinteroapi.CancelSessionParams{
		DinteroSystemName: sys.name, DinteroSystemVersion: sys.version,
		DinteroSystemPluginName: sys.pluginName, DinteroSystemPluginVersion: sys.pluginVersion,
	}
	var out Session
	err = c.call(ctx, op, true, func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
		return c.raw.CancelSession(ctx, sessionID, params, edit)
	}, o.decodeTarget(&out))
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListSessions returns one page of sessions (GET /sessions), newest first. The filters id,
// transaction_id and store_id take several values (sent as ?id=A&id=B). Limit is 1 to 100
// (Dintero's default is 10). To walk every page, use Sessions. It takes RawResponse.
func (c *Client) ListSessions(ctx context.Context, params ListSessionsParams, opts ...CallOption) ([]Session, error) {
	const op = "ListSessions"
	o, err := collect(op, opts, optRawResponse)
	if err != nil {
		return nil, err
	}
	if params.Limit != nil && (*params.Limit < 1 || *params.Limit > 100) {
		return nil, invalid("%s: limit %d is outside 1..100", op, *params.Limit)
	}
	var out []Session
	err = c.call(ctx, op, true, func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error) {
		return c.raw.ListSessions(ctx, &params, edit)
	}, o.decodeTarget(&out))
	if err != nil {
		return nil, err
	}
	return out, nil
}

// defaultPageSize is the page size Sessions asks for when params.Limit is not set: the largest
// Dintero allows, so walking a long list takes as few calls as possible.
const defaultPageSize = 100

// Sessions walks every session that params select, page by page: each page after the first
// starts after the last id of the page before (starting_after), and the walk stops after a page
// shorter than the limit. Only one page is held at a time. params is not changed.
//
// An error is yielded once, with a zero Session, and ends the walk:
//
//	for s, err := range c.Sessions(ctx, dintero.ListSessionsParams{}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(*s.ID)
//	}
func (c *Client) Sessions(ctx context.Context, params ListSessionsParams) iter.Seq2[Session, error] {
	return func(yield func(Session, error) bool) {
		p := params // a copy: the caller's struct is never written
		limit := defaultPageSize
		if p.Limit != nil {
			limit = *p.Limit
		}
		p.Limit = &limit
		for {
			page, err := c.ListSessions(ctx, p)
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
			if last == nil || *last == "" {
				yield(Session{}, errors.New("dintero: ListSessions: the last session of a full page has no id, so the next page cannot be asked for"))
				return
			}
			after := *last
			p.StartingAfter = &after
		}
	}
}
