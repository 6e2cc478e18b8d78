package cyberflex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/gen/cyberflexapi"
	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/untrusted"
)

// GenerateCaptureContext issues a Flex API capture context (POST
// /flex/v2/sessions) for the fields in req and returns it decoded: the
// capture context a server uses to send card data with Tokenize (for
// Microform on a web page, see GenerateMicroformContext). The token is
// returned as issued; it comes straight from CyberSource over TLS, so its
// claims are not verified here, and Tokenize uses it as it is (use
// VerifyCaptureContext where a token comes from elsewhere).
//
// req must request at least one field, else the error wraps
// ErrInvalidInput and nothing is sent. The body is marshalled once and each
// attempt sends and signs exactly those bytes, afresh (new Date, Digest and
// Signature, or a new JWT), because CyberSource rejects a replayed
// signature. Connection errors and 429/502/503/504 are retried (see
// WithMaxRetries), honouring Retry-After.
//
// The 201 body (any 2xx is accepted) is the raw JWT (Content-Type: application/jwt). It is never
// JSON-decoded — the bug of cybersource-rest-samples-csharp#139 — only
// trimmed of surrounding whitespace and JSON quotes, which some proxies add.
// A non-2xx answer is returned as *APIError.
func (c *Client) GenerateCaptureContext(ctx context.Context, req CaptureContextRequest) (*CaptureContext, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: %s: nil context", ErrInvalidInput, opGenerate)
	}
	if countFields(reflect.ValueOf(req)) == 0 {
		return nil, fmt.Errorf("%w: %s: the request lists no field; set at least one, e.g. Fields.PaymentInformation.Card.Number = cyberflex.Required()", ErrInvalidInput, opGenerate)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: encoding the request: %v", ErrInvalidInput, opGenerate, err)
	}
	return c.issue(ctx, opGenerate, body, cyberflexapi.NewGenerateCaptureContextRequestWithBody)
}

// issue sends an authenticated request for a capture context, with body exactly the bytes
// signed, and returns the answer decoded and marked as issued by this client: it came from
// the configured API, so Tokenize may use it without verifying it again.
func (c *Client) issue(ctx context.Context, op string, body []byte,
	newRequest func(server, contentType string, body io.Reader) (*http.Request, error),
) (*CaptureContext, error) {
	resp, err := c.api.Do(ctx, apicall.Call{
		Op:    op,
		Retry: retryable,
		Request: func() (*http.Request, error) {
			r, err := newRequest(c.baseURL, "application/json", bytes.NewReader(body))
			if err == nil {
				r.Header.Set("Accept", "application/jwt")
			}
			return r, err
		},
		Authorize: func(_ context.Context, r *http.Request) (string, error) {
			if err := c.auth.sign(r, body, c.now); err != nil {
				return "", err
			}
			return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), nil
		},
	})
	if err != nil {
		return nil, err
	}
	cc, err := parseCaptureContext(string(resp.Body))
	if err != nil {
		return nil, fmt.Errorf("cyberflex: %s: %s is not a capture context JWT: %w", op, resp.Describe(), err)
	}
	return markTrusted(cc), nil
}

// VerifyCaptureContext checks a capture context received from elsewhere
// (a browser, a queue, storage) and returns it with trusted claims: the
// alg is RS256, the RS256 signature verifies with CyberSource's key for the
// token's kid, iss is "Flex API", exp has not passed and iat is not in the
// future, with DefaultLeeway of clock skew and the clock of WithClock.
//
// Keys are fetched with an unauthenticated GET /flex/v2/public-keys/{kid}
// (the key is public; the official utilities send no auth headers either)
// and cached per Client within bounds that a flood of forged tokens cannot
// move: a signature that fails with a cached key fetches that kid again at
// most once per KeyRefetchInterval, and the old key stays until a different
// one arrives; kids the endpoint does not know are remembered for
// UnknownKeyIDTTL; at most MaxKeyFetches key requests per KeyFetchWindow;
// at most MaxCachedKeys keys; a kid that is not a plain id never reaches the
// URL. A token longer than MaxCaptureContextSize is refused unread.
//
// Errors wrap ErrInvalidCaptureContext and a more specific sentinel
// (ErrCaptureContextExpired, ErrCaptureContextSignature, ErrUnknownKeyID for
// a 404, …), or ErrKeyFetch when the key could not be fetched; they never
// contain the token.
func (c *Client) VerifyCaptureContext(ctx context.Context, token string) (*CaptureContext, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: VerifyCaptureContext: nil context", ErrInvalidInput)
	}
	return c.keys.verify(ctx, token, c.now(), DefaultLeeway)
}

// fetchKey is the keyCache's fetcher: GET /flex/v2/public-keys/{kid}, with
// no authentication headers (the key is public; the official utilities send
// none either). A 404 wraps ErrUnknownKeyID; any other error is transient.
func (c *Client) fetchKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	resp, err := c.api.Do(ctx, apicall.Call{
		Op:    opKey,
		Retry: retryable,
		Request: func() (*http.Request, error) {
			r, err := cyberflexapi.NewGetPublicKeyRequest(c.baseURL, kid)
			if err == nil {
				r.Header.Set("Accept", "application/json")
			}
			return r, err
		},
	})
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %w", ErrUnknownKeyID, err)
		}
		return nil, err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(resp.Body); err != nil {
		// go-jose quotes values from the body (an unknown "crv", …): one short line of them.
		return nil, fmt.Errorf("cyberflex: %s: %s is not a JWK: %s", opKey, resp.Describe(), untrusted.Line(err.Error(), 200))
	}
	return &jwk, nil
}
