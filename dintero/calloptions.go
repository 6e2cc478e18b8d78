package dintero

import (
	"errors"
	"fmt"
	"time"

	"github.com/paysession/paysession-go/gen/dinteroapi"
)

// Per-call options. Each call takes its own option interface, so that an option a call does not
// take does not compile: IncludeSession() is a CreateOption and a PaymentTokenOption, not a
// GetOption. Query parameters and headers of a call are all set this way; the client-wide
// headers (Dintero-System-*, WithSystem) are set by the client on every request.

// CreateOption is an option of CreateSession and CreateSessionFromProfile.
type CreateOption interface{ applyCreate(*callOptions) }

// PaymentTokenOption is an option of CreatePaymentTokenSession.
type PaymentTokenOption interface{ applyPaymentToken(*callOptions) }

// GetOption is an option of GetSession.
type GetOption interface{ applyGet(*callOptions) }

// UpdateOption is an option of UpdateSession.
type UpdateOption interface{ applyUpdate(*callOptions) }

// CancelOption is an option of CancelSession.
type CancelOption interface{ applyCancel(*callOptions) }

// ListOption is an option of ListSessions and Sessions: a filter or a paging parameter.
type ListOption interface{ applyList(*callOptions) }

// callOptions holds what the options of one call set, typed as the generated parameter structs
// want them.
type callOptions struct {
	includeSession               *bool
	includes                     []SessionInclude
	forceShippingAddressCallback *bool
	updateWithoutLock            *bool
	featureToggles               []FeatureToggle
	rawResponse                  *[]byte
	list                         dinteroapi.ListSessionsParams
	err                          error // the first bad option value
}

// fail records the first bad option value.
func (o *callOptions) fail(err error) {
	if o.err == nil {
		o.err = err
	}
}

func boolPtr(b bool) *bool { return &b }

// IncludeSessionOption is the option IncludeSession returns.
type IncludeSessionOption struct{}

// IncludeSession makes a create call answer with the whole session (SessionCreated.Session), not
// only its id and URL (query include_session=true).
func IncludeSession() IncludeSessionOption { return IncludeSessionOption{} }

func (IncludeSessionOption) applyCreate(o *callOptions)       { o.includeSession = boolPtr(true) }
func (IncludeSessionOption) applyPaymentToken(o *callOptions) { o.includeSession = boolPtr(true) }

// IncludeOption is the option Include returns.
type IncludeOption struct{ what []SessionInclude }

// Include asks GetSession for details it leaves out by default (query includes=…), e.g.
// SessionIncludeEventsRequestHeaders.
func Include(what ...SessionInclude) IncludeOption { return IncludeOption{what} }

func (i IncludeOption) applyGet(o *callOptions) { o.includes = append(o.includes, i.what...) }

// UpdateFlagOption is the option ForceShippingAddressCallback and UpdateWithoutLock return.
type UpdateFlagOption struct{ set func(*callOptions) }

// ForceShippingAddressCallback makes Dintero call the session's shipping_address_callback_url
// even when the update sets express.shipping_options (query force_shipping_address_callback=true).
func ForceShippingAddressCallback() UpdateFlagOption {
	return UpdateFlagOption{func(o *callOptions) { o.forceShippingAddressCallback = boolPtr(true) }}
}

// UpdateWithoutLock updates a session that has not been locked (query update_without_lock=true):
// server to server, before the checkout is shown to the customer.
func UpdateWithoutLock() UpdateFlagOption {
	return UpdateFlagOption{func(o *callOptions) { o.updateWithoutLock = boolPtr(true) }}
}

func (u UpdateFlagOption) applyUpdate(o *callOptions) {
	if u.set == nil {
		o.fail(errors.New("zero UpdateFlagOption; use ForceShippingAddressCallback() or UpdateWithoutLock()"))
		return
	}
	u.set(o)
}

// FeatureTogglesOption is the option FeatureToggles returns.
type FeatureTogglesOption struct{ toggles []FeatureToggle }

// FeatureToggles turns on Dintero features for one call (header Dintero-Feature-Toggles), e.g.
// FeatureToggleStrictSessionAmounts.
func FeatureToggles(toggles ...FeatureToggle) FeatureTogglesOption {
	return FeatureTogglesOption{toggles}
}

func (f FeatureTogglesOption) applyCreate(o *callOptions) {
	o.featureToggles = append(o.featureToggles, f.toggles...)
}

func (f FeatureTogglesOption) applyUpdate(o *callOptions) {
	o.featureToggles = append(o.featureToggles, f.toggles...)
}

// RawResponseOption is the option RawResponse returns; every call takes it.
type RawResponseOption struct{ dst *[]byte }

// RawResponse copies the body of a successful answer, byte for byte, into *dst (reusing its
// capacity), beside decoding it: for fields Dintero adds before this SDK knows them.
func RawResponse(dst *[]byte) RawResponseOption { return RawResponseOption{dst} }

func (r RawResponseOption) set(o *callOptions) {
	if r.dst == nil {
		o.fail(errors.New("RawResponse(nil): give a pointer to a []byte"))
		return
	}
	o.rawResponse = r.dst
}

func (r RawResponseOption) applyCreate(o *callOptions)       { r.set(o) }
func (r RawResponseOption) applyPaymentToken(o *callOptions) { r.set(o) }
func (r RawResponseOption) applyGet(o *callOptions)          { r.set(o) }
func (r RawResponseOption) applyUpdate(o *callOptions)       { r.set(o) }
func (r RawResponseOption) applyCancel(o *callOptions)       { r.set(o) }
func (r RawResponseOption) applyList(o *callOptions)         { r.set(o) }

// ListFilter is a filter or paging parameter of ListSessions and Sessions.
type ListFilter struct {
	set func(*dinteroapi.ListSessionsParams) error
}

func (f ListFilter) applyList(o *callOptions) {
	if f.set == nil {
		o.fail(errors.New("zero ListFilter; use Limit, StartingAfter, Search, … to make one"))
		return
	}
	if err := f.set(&o.list); err != nil {
		o.fail(err)
	}
}

// Limit sets how many sessions one page holds, 1 to 100 (query limit). Sessions asks for pages
// of 100 unless given a Limit.
func Limit(n int) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("limit %d is outside 1..100", n)
		}
		p.Limit = &n
		return nil
	}}
}

// StartingAfter asks for the page after the session with this id (query starting_after).
// Sessions pages by itself; ListSessions needs it for the second page on.
func StartingAfter(sessionID string) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		if err := checkSessionID(sessionID); err != nil {
			return err
		}
		p.StartingAfter = &sessionID
		return nil
	}}
}

// SessionIDs keeps only the sessions with these ids (query id, repeated).
func SessionIDs(ids ...string) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.ID = append(p.ID, ids...)
		return nil
	}}
}

// Search keeps the sessions whose id, merchant reference, customer or other text fields match s
// (query search).
func Search(s string) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.Search = &s
		return nil
	}}
}

// TransactionIDs keeps the sessions that led to these transactions (query transaction_id,
// repeated).
func TransactionIDs(ids ...string) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.TransactionID = append(p.TransactionID, ids...)
		return nil
	}}
}

// StoreIDs keeps the sessions of these stores (query store_id, repeated).
func StoreIDs(ids ...string) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.StoreID = append(p.StoreID, ids...)
		return nil
	}}
}

// CreatedFrom keeps the sessions created at or after t (query created_at.gte).
func CreatedFrom(t time.Time) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.CreatedAtGte = &t
		return nil
	}}
}

// CreatedUntil keeps the sessions created at or before t (query created_at.lte).
func CreatedUntil(t time.Time) ListFilter {
	return ListFilter{func(p *dinteroapi.ListSessionsParams) error {
		p.CreatedAtLte = &t
		return nil
	}}
}

// collect applies opts, refusing a nil option or a bad value.
func collect[O any](op string, opts []O, apply func(O, *callOptions)) (callOptions, error) {
	var o callOptions
	for _, opt := range opts {
		if any(opt) == nil {
			return o, invalid("%s: nil option", op)
		}
		apply(opt, &o)
		if o.err != nil {
			return o, invalid("%s: %v", op, o.err)
		}
	}
	return o, nil
}
