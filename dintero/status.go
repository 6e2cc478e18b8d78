package dintero

import (
	"time"

	"github.com/paysession/paysession-go/gen/dinteroapi"
)

// Status is the state of a checkout session, as far as the session itself can tell. Dintero's
// session has no status field; StatusOf derives one from the session's transaction_id,
// cancelled_at, expires_at and events.
//
// The session knows how its checkout ended, not what happened to the payment afterwards:
// captures, refunds and voids happen on the transaction (GET /v1/transactions/{id}), so there is
// no "captured" status. With auto_capture, a session whose status is StatusAuthorized may
// already be captured (https://docs.dintero.com/docs/checkout/after-payment).
type Status string

// The statuses StatusOf returns. Dintero documents the event names but not what each means, so
// the rules at StatusOf follow the names and Dintero's description of the transaction states
// (https://docs.dintero.com/docs/checkout/after-payment).
const (
	// StatusUnknown: the session is nil, or it has a transaction but no event that says how the
	// payment went. Look at the transaction (transaction_id).
	StatusUnknown Status = "unknown"
	// StatusCreated: the session can still be paid; nothing has ended it. The customer may have
	// visited the checkout, and payment attempts may have failed (PAY_FAILED): the customer can
	// try again.
	StatusCreated Status = "created"
	// StatusLocked: the session is locked for paying (its last pay-lock event is PAY_LOCK_START):
	// the customer is paying, or the shop locked it with the Checkout Web SDK to update it
	// (https://docs.dintero.com/docs/checkout/updating-session).
	StatusLocked Status = "locked"
	// StatusOnHold: the payment is pending approval (transaction status ON_HOLD; the session has
	// an ON_HOLD_CALLBACK_SENT event). The transaction becomes AUTHORIZED or FAILED later, and
	// Dintero calls the callback_url again when it does.
	StatusOnHold Status = "on_hold"
	// StatusAuthorized: the customer paid (an AUTHORIZED event): the money is reserved, to be
	// captured or voided on the transaction. With auto_capture it may already be captured.
	StatusAuthorized Status = "authorized"
	// StatusDeclined: the customer declined the payment while it was processing (a DECLINED
	// event).
	StatusDeclined Status = "declined"
	// StatusFailed: the checkout ended with a failed payment (a FAILED event).
	StatusFailed Status = "failed"
	// StatusCancelled: the session was cancelled (cancelled_at, or a CANCELLED event), e.g. with
	// CancelSession. A cancelled session cannot be paid or updated.
	StatusCancelled Status = "cancelled"
	// StatusExpired: expires_at has passed and the session was not paid or ended otherwise: the
	// checkout page is no longer available.
	StatusExpired Status = "expired"
)

// StatusOf returns the status of session s at time now. The first rule that applies decides:
//
//  1. s is nil: StatusUnknown.
//  2. The last of its AUTHORIZED, ON_HOLD_CALLBACK_SENT, DECLINED and FAILED events (in the
//     order of s.Events, which is the order Dintero records them in) is AUTHORIZED:
//     StatusAuthorized; ON_HOLD_CALLBACK_SENT: StatusOnHold. A payment outcome comes first
//     because it means money is reserved or about to be, whatever else the session says.
//  3. cancelled_at is set, or a CANCELLED event exists: StatusCancelled.
//  4. The last of those payment events is DECLINED: StatusDeclined; FAILED: StatusFailed.
//  5. transaction_id is set: StatusUnknown (a transaction exists, but no event says how it went).
//  6. expires_at is set and now is not before it: StatusExpired. A zero now never expires a
//     session.
//  7. The last of its PAY_LOCK_START and PAY_LOCK_END events is PAY_LOCK_START: StatusLocked.
//  8. Otherwise: StatusCreated.
//
// Events Dintero adds later, and events that do not change the state (VISITED, PAY_FAILED,
// UPDATE_SESSION, SET_SHIPPING_ADDRESS, …), are ignored.
func StatusOf(s *Session, now time.Time) Status {
	if s == nil {
		return StatusUnknown
	}
	var payment, lock dinteroapi.SessionEventName
	cancelled := s.CancelledAt != nil
	for _, e := range s.Events {
		if e.Name == nil {
			continue
		}
		switch name := *e.Name; name {
		case eventAuthorized, eventOnHold, eventDeclined, eventFailed:
			payment = name
		case eventCancelled:
			cancelled = true
		case eventPayLockStart, eventPayLockEnd:
			lock = name
		}
	}
	switch {
	case payment == eventAuthorized:
		return StatusAuthorized
	case payment == eventOnHold:
		return StatusOnHold
	case cancelled:
		return StatusCancelled
	case payment == eventDeclined:
		return StatusDeclined
	case payment == eventFailed:
		return StatusFailed
	case s.TransactionID != nil && *s.TransactionID != "":
		return StatusUnknown
	case s.ExpiresAt != nil && !now.Before(*s.ExpiresAt):
		return StatusExpired
	case lock == eventPayLockStart:
		return StatusLocked
	}
	return StatusCreated
}

// The event names StatusOf looks at.
const (
	eventAuthorized   dinteroapi.SessionEventName = "AUTHORIZED"
	eventOnHold       dinteroapi.SessionEventName = "ON_HOLD_CALLBACK_SENT"
	eventDeclined     dinteroapi.SessionEventName = "DECLINED"
	eventFailed       dinteroapi.SessionEventName = "FAILED"
	eventCancelled    dinteroapi.SessionEventName = "CANCELLED"
	eventPayLockStart dinteroapi.SessionEventName = "PAY_LOCK_START"
	eventPayLockEnd   dinteroapi.SessionEventName = "PAY_LOCK_END"
)
