package dinterotest

import (
	"fmt"
	"regexp"

	"github.com/paysession/paysession-go/dintero"
)

// sessionIDPattern is what dintero.Client accepts as a session id.
var sessionIDPattern = regexp.MustCompile(`^[PT]\d{8}\.[A-Za-z0-9]{1,64}$`)

// AddSession stores s directly, as if it had been created, and returns the stored session: a copy
// of s with a new id when s.ID is nil or empty, and the server's current time as created_at
// when s.CreatedAt is nil. Nothing else is filled in or checked against the document. Use it to
// seed many sessions, or sessions with chosen times; sessions with older created_at sort into
// their place in lists. It panics if the id is taken or is not a session id the client accepts
// (account id, a dot, 1 to 64 letters and digits).
func (s *Server) AddSession(sess dintero.Session) dintero.Session {
	c := clone(&sess)
	if c.CreatedAt == nil {
		now := s.now()
		c.CreatedAt = &now
	}
	if c.ID == nil || *c.ID == "" {
		if err := s.insert(c); err != nil {
			panic("dinterotest: AddSession: " + err.Error())
		}
		return *clone(c)
	}
	if !sessionIDPattern.MatchString(*c.ID) {
		panic(fmt.Sprintf("dinterotest: AddSession: id %q is not a Dintero session id (account id, a dot, 1 to 64 letters and digits)", *c.ID))
	}
	if err := s.store.add(c); err != nil {
		panic("dinterotest: AddSession: " + err.Error())
	}
	return *clone(c)
}

// Session returns a copy of the stored session with the given id, request headers included.
func (s *Server) Session(id string) (dintero.Session, bool) {
	sess, ok := s.store.get(id)
	if !ok {
		return dintero.Session{}, false
	}
	return *clone(sess), true
}

// Lock does what the customer's checkout does when the customer starts paying: it locks the
// session, after which UpdateSession succeeds without update_without_lock. An update releases
// the lock unless it sends remove_lock=false; cancelling or paying releases it too. Locking a
// locked session does nothing. It fails for an unknown, cancelled or paid session.
func (s *Server) Lock(id string) error {
	_, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		rec.locked = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("dinterotest: Lock: %w", err)
	}
	return nil
}

// CompletePayment does what happens when the customer pays: the session gets a new transaction id
// (returned), AUTHORIZED and COMPLETED events and a new updated_at, and its lock is released.
// After it, CallbackRequest can build the callback. It fails for an unknown, cancelled or already
// paid session.
func (s *Server) CompletePayment(id string) (string, error) {
	transactionID := s.cfg.accountID + "." + randomString(22)
	_, err := s.store.change(id, func(rec *record, sess *dintero.Session) error {
		if err := updatable(sess); err != nil {
			return err
		}
		now := s.now()
		amount := sess.Order.Amount
		sess.TransactionID, sess.UpdatedAt = &transactionID, &now
		sess.Events = append(sess.Events,
			s.event(dintero.SessionEventNameAUTHORIZED, nil, &dintero.SessionEventDetails{Amount: &amount}),
			s.event(dintero.SessionEventNameCOMPLETED, nil, nil))
		rec.locked = false
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("dinterotest: CompletePayment: %w", err)
	}
	return transactionID, nil
}
