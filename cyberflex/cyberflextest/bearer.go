package cyberflextest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// verifyBearer checks "Authorization: Bearer <token>": an OAuth access token of this server
// (constant-time comparison), else a JWT.
func (a *authenticator) verifyBearer(r *http.Request, body []byte) error {
	value, err := singleHeader(r, "Authorization")
	if err != nil {
		return err
	}
	scheme, token, ok := strings.Cut(value, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return reject("the Authorization header is not \"Bearer <token>\"")
	}
	hasJWT := len(a.jwtSecrets)+len(a.jwtCerts) > 0
	if len(a.bearerTokens) == 0 && !hasJWT {
		return reject("bearer authentication is not enabled on this server (see cyberflextest.WithJWT, WithJWTP12, WithJWTCertificate, WithAccessToken)")
	}
	match := 0
	for _, t := range a.bearerTokens {
		match |= subtle.ConstantTimeCompare([]byte(token), t)
	}
	if match == 1 {
		return nil
	}
	if !hasJWT {
		return reject("the bearer token is not an OAuth access token of this server")
	}
	if err := a.verifyJWT(r, body, token); err != nil {
		if len(a.bearerTokens) > 0 {
			return reject("the bearer token is not an OAuth access token of this server, nor a valid JWT: %v", err)
		}
		return err
	}
	return nil
}
