package cyberflextest

import (
	"crypto/sha256"
	_ "embed" // microform.js
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/paysession/paysession-go/internal/httpx"

	"github.com/paysession/paysession-go/internal/fakeapi"
)

// Microform capture contexts, as CyberSource issues them: ctx[0].type "mf-2.0.0" and the
// settings the page needs in ctx[0].data (a decoded example is in the npm package
// cybersource-auth's README; the fields are the Microform Integration v2 guide's:
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex-api/developer/ctv/rest/flex-api/microform-integ-v2/microform-integ-getting-started-v2.html).
const (
	// microformType is ctx[0].type of a Microform Integration v2 capture context.
	microformType = "mf-2.0.0"
	// microformScriptPath is where the server serves its stand-in Microform script, the
	// capture context's clientLibrary (CyberSource's is
	// https://testflex.cybersource.com/microform/bundle/v2.0.2/flex-microform.min.js).
	microformScriptPath = "/microform/bundle/v2.0/flex-microform.min.js"
)

// microformScript is microform.js, the stand-in Microform script the server serves, and
// microformIntegrity its Subresource Integrity hash. The server uses these, not the exported
// copies, so that changing those changes nothing it serves.
var (
	//go:embed microform.js
	microformScript    string
	microformIntegrity = sriHash(microformScript)
)

// MicroformScript is the stand-in for CyberSource's Microform script that the server serves at
// the clientLibrary URL of its Microform capture contexts, whose clientLibraryIntegrity is
// MicroformScriptIntegrity, so that a merchant's page loads it as it loads the real one. It
// offers the part of the Microform v2 API a card page calls, with the fields as plain inputs in
// the page; see "Microform stand-in" in the package documentation. It is a copy: changing it
// changes nothing the server serves.
var MicroformScript = microformScript

// MicroformScriptIntegrity is the Subresource Integrity hash of MicroformScript, "sha256-…", as
// the clientLibraryIntegrity of the server's Microform capture contexts gives it. It is a copy:
// changing it changes nothing the server serves.
var MicroformScriptIntegrity = microformIntegrity

// sriHash returns the Subresource Integrity hash of script with SHA-256:
// https://www.w3.org/TR/SRI/#the-integrity-attribute.
func sriHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// serveMicroformScript answers GET (or HEAD) of the stand-in script, with the CORS header a
// script loaded with crossorigin="anonymous" and an integrity attribute needs, and the
// Cross-Origin-Resource-Policy that lets a page with Cross-Origin-Embedder-Policy load it.
func serveMicroformScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/javascript")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
	w.Header().Set("Content-Length", strconv.Itoa(len(microformScript)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = io.WriteString(w, microformScript)
	}
}

// microformData is ctx[0].data of a Microform capture context, members in CyberSource's order.
type microformData struct {
	ClientLibraryIntegrity string   `json:"clientLibraryIntegrity"`
	ClientLibrary          string   `json:"clientLibrary"`
	AllowedCardNetworks    []string `json:"allowedCardNetworks"`
	AllowedPaymentTypes    []string `json:"allowedPaymentTypes"`
	TargetOrigins          []string `json:"targetOrigins"`
	MfOrigin               string   `json:"mfOrigin"`
}

// generateMicroformContext answers POST /microform/v2/sessions (already checked against the
// spec): 201 with an mf-2.0.0 capture context, or 400 in the responseStatus shape when a target
// origin or the card networks break the documented rules.
func (s *Server) generateMicroformContext(w http.ResponseWriter, route *fakeapi.Route) {
	var req struct {
		TargetOrigins                 []string `json:"targetOrigins"`
		AllowedCardNetworks           []string `json:"allowedCardNetworks"`
		AllowedPaymentTypes           []string `json:"allowedPaymentTypes"`
		TransientTokenResponseOptions struct {
			IncludeCardPrefix *bool `json:"includeCardPrefix"`
		} `json:"transientTokenResponseOptions"`
	}
	_ = json.Unmarshal(route.Body, &req)
	var details []errorDetail
	for i, o := range req.TargetOrigins {
		if msg := targetOriginProblem(o); msg != "" {
			details = append(details, errorDetail{Location: "targetOrigin", Message: fmt.Sprintf("Target Origin[%d] %s", i, msg)})
		}
	}
	types := req.AllowedPaymentTypes
	if len(types) == 0 {
		types = []string{"CARD"}
	}
	if slices.Contains(types, "CARD") && len(req.AllowedCardNetworks) == 0 {
		// Invented wording; the rule is the SDK model docs'.
		details = append(details, errorDetail{Location: "allowedCardNetworks", Message: "At least one card network is required when CARD is an allowed payment type"})
	}
	if len(details) > 0 {
		writeValidationFailed(w, details)
		return
	}
	rec := &issuedContext{ctxType: microformType, networks: slices.Clone(req.AllowedCardNetworks), binDigits: 6,
		targetOrigins: slices.Clone(req.TargetOrigins)}
	if p := req.TransientTokenResponseOptions.IncludeCardPrefix; p != nil {
		rec.binDigits = map[bool]int{true: 8, false: 0}[*p]
	}
	token, err := s.mintContext(rec, microformData{
		ClientLibraryIntegrity: microformIntegrity,
		ClientLibrary:          s.URL + microformScriptPath,
		AllowedCardNetworks:    nonNil(req.AllowedCardNetworks),
		AllowedPaymentTypes:    types,
		TargetOrigins:          req.TargetOrigins,
		MfOrigin:               s.URL,
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, statusReason(http.StatusInternalServerError), "Internal error.", nil)
		return
	}
	w.Header().Set("Content-Type", "application/jwt")
	w.WriteHeader(http.StatusCreated)
	_, _ = io.WriteString(w, token)
}

// targetOriginProblem says what is wrong with a target origin, after "Target Origin[i] ", or ""
// when nothing is. The http rule's wording is CyberSource's (overhangio/tutor-ecommerce#65);
// the others are invented. Loopback addresses are accepted like localhost, as browsers treat
// them alike; CyberSource's wording names localhost only.
func targetOriginProblem(o string) string {
	if strings.Contains(o, "*") {
		return "cannot contain a wildcard"
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "is not an origin"
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "must be scheme, host and optional port only"
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return ""
	case "http":
		host := u.Hostname()
		if httpx.IsLoopback(host) {
			return ""
		}
		return "cannot use http protocol unless the host is localhost"
	default:
		return "must use the https protocol"
	}
}

// responseStatusError is the older Flex error body (api/cyberflex.yaml ResponseStatusError),
// which POST /microform/v2/sessions answers.
type responseStatusError struct {
	ResponseStatus struct {
		Status        int           `json:"status"`
		Reason        string        `json:"reason"`
		Message       string        `json:"message"`
		CorrelationID string        `json:"correlationId"`
		Details       []errorDetail `json:"details"`
	} `json:"responseStatus"`
}

// writeValidationFailed answers 400 {"responseStatus": {"status": 400, "reason":
// "VALIDATION_ERROR", "message": "One or more validation errors occurred", "details": […]}}, as
// CyberSource answers a Microform session request it refuses.
func writeValidationFailed(w http.ResponseWriter, details []errorDetail) {
	var body responseStatusError
	rs := &body.ResponseStatus
	rs.Status, rs.Reason, rs.Message = http.StatusBadRequest, "VALIDATION_ERROR", "One or more validation errors occurred"
	rs.CorrelationID, rs.Details = w.Header().Get(headerCorrelationID), nonNilDetails(details)
	fakeapi.WriteJSON(w, http.StatusBadRequest, body)
}
