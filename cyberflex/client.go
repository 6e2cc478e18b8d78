package cyberflex

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
)

// Operation names, used in errors and log lines.
const (
	opGenerate  = "GenerateCaptureContext"
	opMicroform = "GenerateMicroformContext"
	opKey       = "GetPublicKey"
	opTokenize  = "Tokenize"
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

// Client calls the CyberSource Flex API v2: it issues capture contexts for a
// server (POST /flex/v2/sessions) and for Microform on a web page (POST
// /microform/v2/sessions), verifies them with CyberSource's published keys
// (GET /flex/v2/public-keys/{kid}), tokenizes card data on the server (POST
// /flex/v2/tokens) and verifies the transient tokens that come back. Create it
// with New.
//
// A Client is safe for concurrent use and should be reused: it caches
// verification keys. Formatting a Client with fmt never prints a credential.
type Client struct {
	api     *apicall.Client // calls to the REST API host, authenticated
	flex    *apicall.Client // calls to a capture context's flx.origin, never authenticated
	host    string          // the API host every request carries and is signed for
	baseURL string          // where requests go
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
		Service:     "cyberflex",
		HTTP:        httpx.ClientFor(cfg.httpClient, cfg.requestTimeout),
		Policy:      policy,
		Logger:      cfg.logger,
		Prepare:     c.prepare,
		Secrets:     func() []string { return []string{cfg.auth.secret.Reveal(), cfg.auth.token.Reveal()} },
		NewAPIError: newAPIError,
		Now:         cfg.now,
	}
	// The same pipeline for the tokenization call, which goes to the capture context's
	// flx.origin: not to the API host, so its Host header is the origin's own, and without
	// credentials, which that call must never carry.
	flex := *c.api
	flex.Prepare = setUserAgent
	c.flex = &flex
	c.keys = newKeyCacheWithClock(c.fetchKey, c.now)
	return c, nil
}

// setUserAgent is the Prepare of the tokenization pipeline: the SDK's User-Agent and nothing
// else.
func setUserAgent(r *http.Request) { r.Header.Set("User-Agent", httpx.UserAgent) }

// prepare sets what every request carries: the host it is signed for
// (whatever WithBaseURL says; the signers read req.Host, so this runs before
// them) and the SDK's User-Agent.
func (c *Client) prepare(r *http.Request) {
	r.Host = c.host
	r.Header.Set("User-Agent", httpx.UserAgent)
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
