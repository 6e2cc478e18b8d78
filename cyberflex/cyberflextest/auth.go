package cyberflextest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/untrusted"
)

// authenticator checks a request's credentials against those the Server was configured with.
// Everything in it but replays is set before the Server starts and never changed, so it needs
// no lock; replays has its own.
type authenticator struct {
	host    string           // the API host requests must be signed for
	skew    time.Duration    // bound on |now − Date| and |now − iat|
	legacy  bool             // accept "(request-target)"
	now     func() time.Time // the server's clock
	replays *replays         // JWT ids (and signatures) accepted, to refuse them again
	// replaySignatures refuses a repeated HTTP Signature, or JWT without jti, too.
	replaySignatures bool
	// noHTTPSignature refuses every HTTP Signature (WithoutHTTPSignature).
	noHTTPSignature bool

	signatureKeys []sharedSecret // HTTP Signature
	jwtSecrets    []sharedSecret // JWT HS256
	jwtCerts      []certKey      // JWT RS256 (P12)
	bearerTokens  [][]byte       // OAuth access tokens
}

// sharedSecret is one shared-secret key of the Business Center: its id, its merchant and the
// decoded HMAC key.
type sharedSecret struct {
	merchantID, keyID string
	key               []byte
}

// authError is why a request failed authentication. Its text is appended to the rmsg of the 401
// ("Authentication Failed: <reason>"); it never contains a secret or an expected signature.
type authError struct{ reason string }

func (e *authError) Error() string { return e.reason }

func reject(format string, args ...any) error {
	return &authError{reason: fmt.Sprintf(format, args...)}
}

// authenticate accepts r when it passes any configured scheme: an HTTP Signature when it
// carries a Signature header, a JWT or OAuth token when it carries Authorization. A request
// carrying both is accepted if either verifies; the reasons of both failures are reported.
func (a *authenticator) authenticate(r *http.Request, body []byte) error {
	var reasons []string
	if len(r.Header.Values("Signature")) > 0 {
		err := a.verifyHTTPSignature(r, body)
		if err == nil {
			return nil
		}
		reasons = append(reasons, err.Error())
	}
	if len(r.Header.Values("Authorization")) > 0 {
		err := a.verifyBearer(r, body)
		if err == nil {
			return nil
		}
		reasons = append(reasons, err.Error())
	}
	if len(reasons) == 0 {
		return reject("the request has neither a Signature header (HTTP Signature) nor an Authorization header (JWT or OAuth)")
	}
	return reject("%s", strings.Join(reasons, "; "))
}

// singleHeader returns the one value of header name, or a rejection when it is missing or
// repeated.
func singleHeader(r *http.Request, name string) (string, error) {
	values := r.Header.Values(name)
	switch len(values) {
	case 0:
		return "", reject("the request has no %s header", name)
	case 1:
		return values[0], nil
	default:
		return "", reject("the request has %d %s headers, want one", len(values), name)
	}
}

// bodyDigest is base64(SHA-256(body)), the digest both schemes bind the body with.
func bodyDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// quote quotes a value taken from the request for an error message, cut to 60 bytes.
func quote(s string) string { return untrusted.Quote(s, 60) }
