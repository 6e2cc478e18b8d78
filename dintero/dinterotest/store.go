package dinterotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/paysession/paysession-go/dintero"
)

// record is one stored session.
type record struct {
	seq     uint64    // creation sequence: orders sessions created at the same time
	created time.Time // the session's created_at, the list order
	// session is never modified once stored: a change stores a changed copy, so a reader may use
	// the pointer after releasing the lock.
	session *dintero.Session
	// locked says the customer's checkout has locked the session for paying (Server.Lock).
	locked bool
}

// before is the list order, oldest first: by created_at, then by creation sequence.
func (r *record) before(o *record) bool {
	if !r.created.Equal(o.created) {
		return r.created.Before(o.created)
	}
	return r.seq < o.seq
}

// store holds the sessions. It is safe for concurrent use.
type store struct {
	mu     sync.RWMutex
	seq    uint64
	byID   map[string]*record
	sorted []*record // oldest first (record.before); lists walk it backwards
}

func (st *store) init() { st.byID = map[string]*record{} }

// errDuplicateID is wrapped by add's error when the id is taken.
var errDuplicateID = errors.New("a session with this id exists already")

// add stores s, which must have an id and created_at, and fails if the id is taken.
func (st *store) add(s *dintero.Session) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, dup := st.byID[*s.ID]; dup {
		return fmt.Errorf("%w: %q", errDuplicateID, *s.ID)
	}
	st.seq++
	rec := &record{seq: st.seq, created: *s.CreatedAt, session: s}
	// Sessions normally arrive in time order and are appended; seeded ones may be older.
	i := sort.Search(len(st.sorted), func(i int) bool { return rec.before(st.sorted[i]) })
	st.sorted = append(st.sorted, nil)
	copy(st.sorted[i+1:], st.sorted[i:])
	st.sorted[i] = rec
	st.byID[*s.ID] = rec
	return nil
}

// get returns the stored session, which the caller must not modify.
func (st *store) get(id string) (*dintero.Session, bool) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	rec, ok := st.byID[id]
	if !ok {
		return nil, false
	}
	return rec.session, true
}

// change applies fn to a copy of the session with the given id and stores the copy, unless fn
// fails. fn may also change rec.locked, on success only.
func (st *store) change(id string, fn func(rec *record, s *dintero.Session) error) (*dintero.Session, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	rec, ok := st.byID[id]
	if !ok {
		return nil, errNoSession(id)
	}
	s := clone(rec.session)
	if err := fn(rec, s); err != nil {
		return nil, err
	}
	rec.session = s
	return s, nil
}

func errNoSession(id string) *apiError {
	return newError(http.StatusNotFound, CodeNotFound, "no session with id %q", id)
}

// filter selects the sessions of a list call. Empty sets select everything.
type filter struct {
	ids, transactionIDs, storeIDs map[string]bool
	search                        string // lower case
	gte, lte                      *time.Time
	startingAfter                 string
}

func (f *filter) match(s *dintero.Session) bool {
	if len(f.ids) > 0 && !f.ids[deref(s.ID)] {
		return false
	}
	if len(f.transactionIDs) > 0 && !f.transactionIDs[deref(s.TransactionID)] {
		return false
	}
	if len(f.storeIDs) > 0 && (s.Order.Store == nil || !f.storeIDs[s.Order.Store.ID]) {
		return false
	}
	if f.search != "" && !matchesSearch(s, f.search) {
		return false
	}
	return true
}

// matchesSearch implements the list's search parameter: a case-insensitive substring of the
// session id, order.merchant_reference, order.merchant_reference_2, customer.email, or the
// "{first_name} {last_name}" of the shipping or billing address. (Dintero documents the
// references and the customer name; the id and email are the fake's additions.)
func matchesSearch(s *dintero.Session, search string) bool {
	fields := []string{deref(s.ID), s.Order.MerchantReference, deref(s.Order.MerchantReference2)}
	if s.Customer != nil {
		fields = append(fields, deref(s.Customer.Email))
	}
	for _, a := range []*dintero.OrderAddress{s.Order.ShippingAddress, s.Order.BillingAddress} {
		if a != nil {
			fields = append(fields, deref(a.FirstName)+" "+deref(a.LastName))
		}
	}
	for _, v := range fields {
		if v != "" && strings.Contains(strings.ToLower(v), search) {
			return true
		}
	}
	return false
}

// list returns up to limit sessions that f selects, newest first. It walks back from the
// cursor (or the newest session within created_at.lte) and stops at limit or at created_at.gte,
// so a page costs O(log n) plus the sessions it looks at.
func (st *store) list(f *filter, limit int) ([]*dintero.Session, error) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	hi := len(st.sorted) // the walk looks at sorted[lo:hi], backwards
	if f.startingAfter != "" {
		rec, ok := st.byID[f.startingAfter]
		if !ok {
			return nil, newError(http.StatusBadRequest, CodeInvalidRequest,
				"query parameter \"starting_after\": no session with id %q", f.startingAfter)
		}
		hi = sort.Search(len(st.sorted), func(i int) bool { return !st.sorted[i].before(rec) })
	}
	if f.lte != nil {
		hi = min(hi, sort.Search(len(st.sorted), func(i int) bool { return st.sorted[i].created.After(*f.lte) }))
	}
	lo := 0
	if f.gte != nil {
		lo = sort.Search(len(st.sorted), func(i int) bool { return !st.sorted[i].created.Before(*f.gte) })
	}
	out := make([]*dintero.Session, 0, limit)
	for i := hi - 1; i >= lo && len(out) < limit; i-- {
		if s := st.sorted[i].session; f.match(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// clone returns a deep copy of s, by a JSON round trip.
func clone(s *dintero.Session) *dintero.Session {
	var out dintero.Session
	if err := convert(s, &out); err != nil {
		panic(fmt.Sprintf("dinterotest: copying a session: %v", err))
	}
	return &out
}

// convert copies the JSON fields of from that to has, by a JSON round trip.
func convert(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
