package dinterotest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/fakeapi"
)

// tokenAudience prefixes the audience Dintero expects in a client-credentials grant, whatever
// host the token is fetched from (https://docs.dintero.com/docs/checkout/authentication).
const tokenAudience = "https://api.dintero.com/v1/accounts/"

// issuedToken is an access token the server handed out.
type issuedToken struct {
	expiresAt time.Time
	clientID  string
}

// authenticate checks the credentials of a session call: a Bearer token the server issued and
// that has not expired, or the configured API key. Either one suffices, as the document's
// security requirement (apiKeyAuth OR bearerAuth) says. It returns who is calling: the client id
// of the token, or "api_key".
func (s *Server) authenticate(r *http.Request) (string, *apiError) {
	authz, key := r.Header.Get("Authorization"), r.Header.Get("x-api-key")
	if authz == "" && key == "" {
		return "", newError(http.StatusUnauthorized, CodeUnauthorized,
			`missing credentials: send "Authorization: Bearer <access token>" or "x-api-key: <API key>"`)
	}
	var reasons []string
	if authz != "" {
		principal, reason := s.checkBearer(authz)
		if reason == "" {
			return principal, nil
		}
		reasons = append(reasons, reason)
	}
	if key != "" {
		switch {
		case s.cfg.apiKey == "":
			reasons = append(reasons, "API keys are not accepted by this server (it has no WithAPIKey)")
		case !equal(key, s.cfg.apiKey):
			reasons = append(reasons, "the x-api-key is not valid")
		default:
			return "api_key", nil
		}
	}
	return "", newError(http.StatusUnauthorized, CodeUnauthorized, "%s", strings.Join(reasons, "; "))
}

// checkBearer returns the client id of a valid Authorization header, or why it is not valid.
func (s *Server) checkBearer(authz string) (string, string) {
	scheme, token, _ := strings.Cut(authz, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", `the Authorization header is not "Bearer <access token>"`
	}
	s.mu.Lock()
	t, ok := s.tokens[sha256.Sum256([]byte(token))]
	s.mu.Unlock()
	switch {
	case !ok:
		return "", "the access token is not valid (this server did not issue it)"
	case !s.cfg.clock().Before(t.expiresAt):
		return "", fmt.Sprintf("the access token expired at %s", t.expiresAt.UTC().Format(time.RFC3339))
	}
	return t.clientID, ""
}

// createAccessToken serves POST /accounts/{aid}/auth/token: HTTP Basic client credentials,
// then the document's checks, then the account and the audience.
func (s *Server) createAccessToken(req *request, invalid error) {
	w := req.w
	id, secret, ok := req.r.BasicAuth()
	switch {
	case !ok:
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"missing HTTP Basic credentials: send the client id and client secret as user name and password"))
		return
	case s.cfg.clientID == "":
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"this server accepts no client credentials (it was configured with WithAPIKey only)"))
		return
	case !equal(id, s.cfg.clientID) || !equal(secret, s.cfg.clientSecret):
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized, "invalid client id or client secret"))
		return
	}
	if invalid != nil {
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "%s", invalid))
		return
	}
	aid, _ := url.PathUnescape(req.route.PathParams["aid"])
	if aid != s.cfg.accountID {
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"the client credentials are not valid for account %q", aid))
		return
	}
	var body tokenRequest
	if err := json.Unmarshal(req.route.Body, &body); err != nil {
		writeError(w, newError(http.StatusBadRequest, CodeInvalidRequest, "request body: %v", err))
		return
	}
	if want := tokenAudience + s.cfg.accountID; body.Audience != want {
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized,
			"audience %q is not allowed: want %q", body.Audience, want))
		return
	}
	token := randomString(43)
	s.mu.Lock()
	s.tokens[sha256.Sum256([]byte(token))] = issuedToken{expiresAt: s.cfg.clock().Add(s.cfg.tokenLifetime), clientID: id}
	s.mu.Unlock()
	fakeapi.WriteJSON(w, http.StatusOK, tokenAnswer{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int(s.cfg.tokenLifetime / time.Second),
	})
}

// equal compares two credentials in constant time (for equal lengths).
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// tokenRequest and tokenAnswer are the wire shapes of POST /accounts/{aid}/auth/token
// (api/dintero-checkout.yaml, AccessTokenRequest and AccessToken); the responses are checked
// against the spec like every other answer of the fake.
type tokenRequest struct {
	GrantType string `json:"grant_type"`
	Audience  string `json:"audience"`
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
}
