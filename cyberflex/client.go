package cyberflex

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/gen/cyberflexapi"
	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
	"github.com/paysession/paysession-go/internal/untrusted"
)

// Operation names, used in errors and log lines.
const (
	opGenerate = "GenerateCaptureContext"
	opKey      = "GetPublicKey"
)

// retryable is CyberSource's retry rule for both calls of this client:
// connection errors and the "try again later" statuses. 408 is left out
// (CyberSource does not send it) and 500 too: it usually means the request
// itself made the server fail and would fail again.
var retryable = retry.Any(retry.ConnectionErrors, retry.Statuses(
	http.StatusTooManyRequests,
	http.StatusBadGateway,
	http.StatusServiceUnavailable,
	http.StatusGatewayTimeout,
))

// Client calls the CyberSource Flex API v2: it issues capture contexts
// (POST /flex/v2/sessions) and verifies them with CyberSource's published
// keys (GET /flex/v2/public-keys/{kid}). Create it with New.
//
// A Client is safe for concurrent use and should be reused: it caches
// verification keys. Formatting a Client with fmt never prints a credential.
type Client struct {
	api     *apicall.Client
	host    string // the API host every request carries and is signed for
	baseURL string // where requests go
	auth    credentials
	now     func() time.Time
	keys    *keyCache
}

// New returns a Client configured by opts. Exactly one authentication
// option (WithHTTPSignature, WithJWT, WithJWTP12 or WithAccessToken) must be
// given. Every error wraps ErrInvalidInput and never contains a credential.
// New never panics.
func New(opts ...Option) (*Client, error) {
	cfg := config{env: Sandbox, maxRetries: DefaultMaxRetries}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil Option", ErrInvalidInput)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	switch len(cfg.authKinds) {
	case 0:
		return nil, fmt.Errorf("%w: no authentication: give one of WithHTTPSignature, WithJWT, WithJWTP12 or WithAccessToken", ErrInvalidInput)
	case 1:
	default:
		return nil, fmt.Errorf("%w: more than one authentication option (%s); give exactly one", ErrInvalidInput, strings.Join(cfg.authKinds, ", "))
	}

	base := cfg.baseURL
	if base == "" {
		base = "https://" + string(cfg.env)
	}
	// The generated request builders resolve operation paths against the server URL, which keeps
	// its path (a proxy prefix) only when it ends in a slash.
	base = strings.TrimSuffix(base, "/") + "/"
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	policy := cfg.policy
	policy.MaxRetries = cfg.maxRetries
	if cfg.maxRetryAfter > 0 {
		policy.MaxRetryAfter = cfg.maxRetryAfter
	}

	c := &Client{
		host:    string(cfg.env),
		baseURL: base,
		auth:    cfg.auth,
		now:     cfg.now,
	}
	c.api = &apicall.Client{
		Service:        "cyberflex",
		HTTP:           httpx.ClientFor(cfg.httpClient),
		Policy:         policy,
		RequestTimeout: cfg.requestTimeout,
		Logger:         cfg.logger,
		Prepare:        c.prepare,
		Secrets:        func() []string { return []string{cfg.auth.secret.Reveal(), cfg.auth.token.Reveal()} },
		NewAPIError:    newAPIError,
		Now:            cfg.now,
	}
	c.keys = newKeyCacheWithClock(c.fetchKey, c.now)
	return c, nil
}

// prepare sets what every request carries: the host it is signed for
// (whatever WithBaseURL says; the signers read req.Host, so this runs before
// them) and the SDK's User-Agent.
func (c *Client) prepare(r *http.Request) {
	r.Host = c.host
	r.Header.Set("User-Agent", httpx.UserAgent)
}

// GenerateCaptureContext issues a capture context (POST /flex/v2/sessions)
// for the fields in req and returns it decoded. The token is returned as
// issued; it comes straight from CyberSource over TLS, so its claims are not
// verified here (use VerifyCaptureContext where a token comes from
// elsewhere).
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

	resp, err := c.api.Do(ctx, apicall.Call{
		Op:    opGenerate,
		Retry: retryable,
		Request: func() (*http.Request, error) {
			r, err := cyberflexapi.NewGenerateCaptureContextRequestWithBody(c.baseURL, "application/json", bytes.NewReader(body))
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
		return nil, fmt.Errorf("cyberflex: %s: %s is not a capture context JWT: %w", opGenerate, resp.Describe(), err)
	}
	return cc, nil
}

// VerifyCaptureContext checks a capture context received from elsewhere
// (a browser, a queue, storage) and returns it with trusted claims: the
// alg is RS256, the RS256 signature verifies with CyberSource's key for the
// token's kid, iss is "Flex API", exp has not passed and iat is not in the
// future, with DefaultLeeway of clock skew and the clock of WithClock.
//
// Keys are fetched with an unauthenticated GET /flex/v2/public-keys/{kid}
// (the key is public; the official utilities send no auth headers either)
// and cached per Client; a key that fails to verify is fetched once more in
// case it was rotated. Errors wrap ErrInvalidCaptureContext and a more
// specific sentinel (ErrExpired, ErrSignature, ErrUnknownKeyID for a 404,
// …), or ErrKeyFetch when the key could not be fetched; they never contain
// the token.
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

// sign authenticates r, whose body is exactly body, according to the mode.
func (a credentials) sign(r *http.Request, body []byte, now func() time.Time) error {
	switch a.mode {
	case authHTTPSignature:
		return HTTPSignatureSigner{MerchantID: a.merchantID, KeyID: a.keyID, SecretKey: a.secret.Reveal(), Now: now}.Sign(r, body)
	case authJWT:
		return JWTSigner{MerchantID: a.merchantID, KeyID: a.keyID, SecretKey: a.secret.Reveal(), Now: now}.Sign(r, body)
	case authJWTP12:
		return JWTSigner{MerchantID: a.merchantID, P12: a.p12, Now: now}.Sign(r, body)
	case authBearer:
		r.Header.Set("Authorization", "Bearer "+a.token.Reveal())
		return nil
	default:
		return errors.New("cyberflex: no authentication configured")
	}
}

// String describes c without any credential. String, GoString and Format have value receivers
// so that printing a Client as well as a *Client goes through them: fmt prints unexported fields
// raw, credentials included, when a value has no formatting method of its own.
func (c Client) String() string {
	s := "cyberflex.Client{host: " + c.host + ", baseURL: " + c.baseURL + ", auth: " + c.auth.mode.String()
	if c.auth.merchantID != "" {
		s += ", merchant: " + c.auth.merchantID
	}
	if c.auth.keyID != "" {
		s += ", key id: " + c.auth.keyID
	}
	if c.auth.p12 != nil {
		s += ", kid: " + c.auth.p12.KeyID()
	}
	return s + ", secret: " + redact.Placeholder + "}"
}

// GoString is String; used by %#v.
func (c Client) GoString() string { return c.String() }

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %q,
// %x, …) can print a credential.
func (c Client) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, c.String(), c.GoString())
}
