package dintero

import (
	"errors"
	"fmt"
)

// CallOption sets an optional query parameter or header of one call, e.g. IncludeSession() for
// the create calls or UpdateWithoutLock() for UpdateSession. Giving a call an option it does not
// take is an error wrapping ErrInvalidInput, so a misplaced option never goes unnoticed.
type CallOption struct {
	kind  optKind
	apply func(*callOptions)
}

type optKind uint

const (
	optIncludeSession optKind = 1 << iota
	optIncludes
	optForceShippingAddressCallback
	optUpdateWithoutLock
	optFeatureToggles
	optRawResponse
)

var optNames = map[optKind]string{
	optIncludeSession:               "IncludeSession",
	optIncludes:                     "Include",
	optForceShippingAddressCallback: "ForceShippingAddressCallback",
	optUpdateWithoutLock:            "UpdateWithoutLock",
	optFeatureToggles:               "WithFeatureToggles",
	optRawResponse:                  "RawResponse",
}

// callOptions holds the values the options set, typed as the generated parameter structs want them.
type callOptions struct {
	includeSession               *bool
	includes                     []SessionInclude
	forceShippingAddressCallback *bool
	updateWithoutLock            *bool
	featureToggles               []FeatureToggle
	rawResponse                  *[]byte
	err                          error // a bad option value, reported by collect
}

// collect applies opts, refusing the ones op does not take.
func collect(op string, opts []CallOption, allowed optKind) (callOptions, error) {
	var o callOptions
	for _, opt := range opts {
		if opt.apply == nil {
			return o, invalid("%s: zero CallOption", op)
		}
		if opt.kind&allowed == 0 {
			return o, invalid("%s does not take the %s option", op, optNames[opt.kind])
		}
		opt.apply(&o)
		if o.err != nil {
			return o, invalid("%s: %v", op, o.err)
		}
	}
	return o, nil
}

func boolPtr(b bool) *bool { return &b }

// IncludeSession asks a create call to return the whole created session in
// SessionCreated.Session (include_session=true); without it, Session is nil.
func IncludeSession() CallOption {
	return CallOption{optIncludeSession, func(o *callOptions) { o.includeSession = boolPtr(true) }}
}

// Include asks GetSession for details that are left out by default (includes=…, repeated):
// SessionIncludeEventsRequestHeaders, SessionIncludeInitiatingSystemRequestHeaders.
func Include(what ...SessionInclude) CallOption {
	return CallOption{optIncludes, func(o *callOptions) { o.includes = append(o.includes, what...) }}
}

// ForceShippingAddressCallback makes UpdateSession call the session's shipping address callback
// even when the address did not change (force_shipping_address_callback=true).
func ForceShippingAddressCallback() CallOption {
	return CallOption{optForceShippingAddressCallback, func(o *callOptions) { o.forceShippingAddressCallback = boolPtr(true) }}
}

// UpdateWithoutLock lets UpdateSession change a session that the customer's checkout has not
// locked (update_without_lock=true). Dintero requires the lock by default so that the order does
// not change under a customer who is paying; use this only server to server.
func UpdateWithoutLock() CallOption {
	return CallOption{optUpdateWithoutLock, func(o *callOptions) { o.updateWithoutLock = boolPtr(true) }}
}

// WithFeatureToggles sends the Dintero-Feature-Toggles header, e.g.
// FeatureToggleStrictSessionAmounts, on the calls that take it (the create calls and
// UpdateSession).
func WithFeatureToggles(toggles ...FeatureToggle) CallOption {
	return CallOption{optFeatureToggles, func(o *callOptions) { o.featureToggles = append(o.featureToggles, toggles...) }}
}

// RawResponse stores the body of the call's successful answer in *dst, byte for byte (reusing
// dst's memory). Every call takes it. The returned types hold the fields of
// api/dintero-checkout.yaml; Dintero adds fields without notice, and RawResponse is how to read
// one before the SDK knows it, without the SDK failing on it or dropping it for good. *dst is
// left unchanged when the call fails (an *APIError keeps its body in Body).
func RawResponse(dst *[]byte) CallOption {
	return CallOption{optRawResponse, func(o *callOptions) {
		if dst == nil {
			o.err = errors.New("RawResponse(nil): give a pointer to a []byte")
			return
		}
		o.rawResponse = dst
	}}
}

// rawTarget is what call decodes into when RawResponse was given: the body is copied to dst and
// then decoded into v as usual.
type rawTarget struct {
	dst *[]byte
	v   any
}

// decodeTarget returns out, wrapped so that the body is kept when RawResponse was given.
func (o callOptions) decodeTarget(out any) any {
	if o.rawResponse == nil {
		return out
	}
	return rawTarget{dst: o.rawResponse, v: out}
}

// String names the option, for test failures and logs.
func (o CallOption) String() string { return fmt.Sprintf("dintero.%s()", optNames[o.kind]) }

// systemValues are the Dintero-System-* header values as the generated parameters take them.
type systemValues struct{ name, version, pluginName, pluginVersion *string }

// systemHeaders returns the WithSystem values, nil where empty (so the header is not sent).
func (c *Client) systemHeaders() systemValues {
	s := c.cfg.system
	ptr := func(v string) *string {
		if v == "" {
			return nil
		}
		p := new(string) // not &v: that would move v to the heap even when it is empty
		*p = v
		return p
	}
	return systemValues{ptr(s.Name), ptr(s.Version), ptr(s.PluginName), ptr(s.PluginVersion)}
}
