package cyberflextest

import (
	"net/http"
	"strings"
)

// CORS of POST /flex/v2/tokens, for the stand-in Microform: its fields are inputs in the
// merchant's page, so the page itself posts the JWE, cross-origin, with Content-Type
// application/jwt, which makes the browser ask first (OPTIONS). Real Microform posts from its own
// iframe on CyberSource's origin and needs no CORS; targetOrigins are what let a page embed it.
// Here they are what let a page post: a browser request is answered with CORS headers only for
// an origin that is a target origin of a Microform capture context the server issued, and the
// token is refused unless the origin is one of the capture context the JWE is for. Requests
// without an Origin header (servers, cyberflex.Tokenize) are not concerned.
const (
	corsAllowMethods  = "POST"
	corsAllowHeaders  = "Content-Type, Accept"
	corsExposeHeaders = headerCorrelationID
	corsMaxAge        = "600"
)

// answerTokensCORS handles CORS for a request to the tokens path: it answers a preflight
// (OPTIONS) itself and returns true; for any other request it adds the CORS headers its answer
// needs and returns false.
func (s *Server) answerTokensCORS(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	allowed := origin != "" && s.contexts.allowsOrigin(origin)
	if r.Method != http.MethodOptions {
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		return false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if !allowed || !strings.EqualFold(r.Header.Get("Access-Control-Request-Method"), http.MethodPost) || !simpleHeaders(r.Header.Get("Access-Control-Request-Headers")) {
		// Invented: what CyberSource answers to a preflight is undocumented (its own iframe
		// needs none). No CORS header, so the browser refuses the request; the body says why.
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("cyberflextest: CORS: only a POST with Content-Type and Accept, from a target origin of a Microform capture context this server issued, is allowed\n"))
		return true
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", corsAllowMethods)
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Max-Age", corsMaxAge)
	// Chrome's Private Network Access asks this when a page on a public address posts to a
	// private one (a sandbox on the LAN): https://wicg.github.io/private-network-access/.
	if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
		h.Set("Access-Control-Allow-Private-Network", "true")
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// simpleHeaders reports whether a preflight's Access-Control-Request-Headers lists only
// Content-Type and Accept.
func simpleHeaders(list string) bool {
	for name := range strings.SplitSeq(list, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "", "content-type", "accept":
		default:
			return false
		}
	}
	return true
}

// allowsOrigin reports whether origin is a target origin of a Microform capture context the
// server remembers.
func (c *issuedContexts) allowsOrigin(origin string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.origins[origin] > 0
}
