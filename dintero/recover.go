package dintero

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrOutcomeUnknown is wrapped by the error of a create call that failed after its request may
// have reached Dintero (the connection broke or timed out before the answer came): the session
// may exist. The API takes no idempotency key, so sending the create again could make a second
// session; look for the first one with FindCreatedSession instead.
var ErrOutcomeUnknown = errors.New("dintero: outcome unknown: the request may have reached Dintero")

// ErrSessionNotFound is wrapped by the error of FindCreatedSession when no session matches.
var ErrSessionNotFound = errors.New("dintero: no session found")

// MultipleSessionsError is the error of FindCreatedSession when more than one session has the
// merchant reference: the caller decides which one is the order's (and whether to cancel the
// others). Get it with errors.As.
type MultipleSessionsError struct {
	// MerchantReference is the reference that was looked for.
	MerchantReference string
	// Sessions are the matching sessions, newest first.
	Sessions []Session
}

// Error names the reference and how many sessions have it.
func (e *MultipleSessionsError) Error() string {
	return fmt.Sprintf("dintero: FindCreatedSession: %d sessions have merchant reference %.80q", len(e.Sessions), e.MerchantReference)
}

// maxFindScan bounds how many listed sessions FindCreatedSession looks through: the search is
// fuzzy (a reference "order-1" also finds "order-10", "order-11", …), and a narrow createdFrom
// keeps the list short; past this many, the caller must narrow it.
const maxFindScan = 1000

// FindCreatedSession finds the session a create call made for merchantReference, after the call
// failed with an error wrapping ErrOutcomeUnknown. It lists the sessions created at or after
// createdFrom that Dintero's search matches (GET /sessions?search=…&created_at.gte=…, as many
// pages as needed) and keeps those whose order.merchant_reference equals merchantReference
// exactly and whose created_at is not before createdFrom:
//
//   - one session: it is returned, whatever its state (see StatusOf);
//   - none: an error wrapping ErrSessionNotFound. The create did not make a session, and
//     creating it again is safe. Dintero does not say how soon a new session shows in the list:
//     right after the failure, ask again a few seconds later before concluding so;
//   - several: a *MultipleSessionsError holding them, newest first.
//
// Take createdFrom from your clock before the create call, minus a margin for the difference
// between your clock and Dintero's (a minute is plenty). Every session with the reference created
// since createdFrom matches, so give each order its own reference. More than 1000 listed sessions
// (the search is a substring match) is an error: narrow createdFrom. An empty merchantReference or
// a zero createdFrom is an error wrapping ErrInvalidInput; a failed list call returns its error.
func (c *Client) FindCreatedSession(ctx context.Context, merchantReference string, createdFrom time.Time) (*Session, error) {
	const op = "FindCreatedSession"
	switch {
	case merchantReference == "":
		return nil, invalid("%s: the merchant reference is empty", op)
	case createdFrom.IsZero():
		return nil, invalid("%s: createdFrom is zero; give the time of the create call, minus a minute", op)
	}
	var matches []Session
	scanned := 0
	for s, err := range c.Sessions(ctx, Search(merchantReference), CreatedFrom(createdFrom), Limit(100)) {
		if err != nil {
			return nil, err
		}
		if scanned++; scanned > maxFindScan {
			return nil, fmt.Errorf("%s: more than %d sessions match the search for %.80q since %s; give a later createdFrom",
				op, maxFindScan, merchantReference, createdFrom.Format(time.RFC3339))
		}
		// The server filters by created_at too; checking again keeps an older session for the
		// same reference out, should a server or proxy ignore the filter.
		if s.Order.MerchantReference == merchantReference && (s.CreatedAt == nil || !s.CreatedAt.Before(createdFrom)) {
			matches = append(matches, s)
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w: %s: no session has merchant reference %.80q since %s",
			ErrSessionNotFound, op, merchantReference, createdFrom.Format(time.RFC3339))
	case 1:
		return &matches[0], nil
	}
	slices.SortStableFunc(matches, func(a, b Session) int { return newerFirst(a.CreatedAt, b.CreatedAt) })
	return nil, &MultipleSessionsError{MerchantReference: merchantReference, Sessions: matches}
}

// newerFirst orders creation times newest first; a missing one sorts last.
func newerFirst(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return b.Compare(*a)
}
