package dinterotest

import (
	"fmt"

	"github.com/paysession/paysession-go/dintero"
)

// HoldPayment does what happens when the customer pays and the payment is left pending approval
// (transaction status ON_HOLD): the session gets a new transaction id (returned), an
// ON_HOLD_CALLBACK_SENT event (dintero.StatusOf says StatusOnHold) and a new updated_at, and its
// lock is released. CallbackRequest then builds the callback Dintero sends for it; ResolveHold
// ends the hold. It fails for an unknown, cancelled or already paid session.
//
// Dintero: "A transaction with status ON_HOLD must be handled as a payment that is pending
// approval", and the callback_url is called again when it leaves ON_HOLD (url.return_url and
// url.callback_url in https://docs.dintero.com/checkout-api; the transaction states:
// https://docs.dintero.com/docs/checkout/after-payment).
func (s *Server) HoldPayment(id string) (string, error) {
	transactionID := s.cfg.accountID + "." + randomString(22)
	_, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		now := s.now()
		sess.TransactionID, sess.UpdatedAt = &transactionID, &now
		sess.Events = append(sess.Events, s.event(dintero.SessionEventNameONHOLDCALLBACKSENT, nil, nil))
		rec.locked = false
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dinterotest: HoldPayment: %w", err)
	}
	return transactionID, nil
}

// ResolveHold ends the hold of a session that HoldPayment left on hold: approved adds an
// AUTHORIZED event with the order amount (StatusAuthorized), otherwise a FAILED event
// (StatusFailed). Dintero calls the callback_url again at that point: build it with
// CallbackRequest. It fails for an unknown session and for one that is not on hold.
func (s *Server) ResolveHold(id string, approved bool) error {
	_, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if dintero.StatusOf(sess, s.now()) != dintero.StatusOnHold {
			return fmt.Errorf("session %q is not on hold", id)
		}
		now := s.now()
		sess.UpdatedAt = &now
		if approved {
			amount := sess.Order.Amount
			sess.Events = append(sess.Events, s.event(dintero.SessionEventNameAUTHORIZED, nil, &dintero.SessionEventDetails{Amount: &amount}))
		} else {
			sess.Events = append(sess.Events, s.event(dintero.SessionEventNameFAILED, nil, nil))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dinterotest: ResolveHold: %w", err)
	}
	return nil
}
