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
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
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
	api     *cyberflexapi.Client
	host    string // the API host every request carries and is signed for
	baseURL string // where requests go
	auth    credentials
	policy  retry.Policy
	logger  *slog.Logger
	now     func() time.Time
	keys    *keyCache
}

// New returns a Client configured by opts. Exactly one authentication
// option (WithHTTPSignature, WithJWT, WithJWTP12 or WithBearerToken) must be
// given. Every error wraps ErrInvalidInput and never contains a credential.
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
		return nil, fmt.Errorf("%w: no authentication: give one of WithHTTPSignature, WithJWT, WithJWTP12 or WithBearerToken", ErrInvalidInput)
	case 1:
	default:
		return nil, fmt.Errorf("%w: more than one authentication option (%s); give exactly one", ErrInvalidInput, strings.Join(cfg.authKinds, ", "))
	}

	hc := httpx.NewHTTPClient()
	if cfg.httpClient != nil {
		hc = httpx.NoRedirects(cfg.httpClient)
	}
	base := cfg.baseURL
	if base == "" {
		base = "https://" + string(cfg.env)
	}
	api, err := cyberflexapi.NewClient(base, cyberflexapi.WithHTTPClient(hc))
	if err != nil {
		return nil, fmt.Errorf("%w: base URL: %v", ErrInvalidInput, err)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	policy := cfg.policy
	policy.MaxRetries = cfg.maxRetries

	c := &Client{
		api:     api,
		host:    string(cfg.env),
		baseURL: base,
		auth:    cfg.auth,
		policy:  policy,
		logger:  cfg.logger,
		now:     cfg.now,
	}
	c.keys = newKeyCache(c.fetchKey)
	return c, nil
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

	var sentAuth []string // Authorization values sent, to scrub echoes from error bodies
	resp, err := c.do(ctx, opGenerate, func(ctx context.Context, edit cyberflexapi.RequestEditorFn) (*http.Response, error) {
		return c.api.GenerateCaptureContextWithBody(ctx, "application/json", bytes.NewReader(body), edit,
			func(_ context.Context, r *http.Request) error {
				r.Header.Set("Accept", "application/jwt")
				if err := c.auth.sign(r, body, c.now); err != nil {
					return err
				}
				if a := r.Header.Get("Authorization"); a != "" {
					sentAuth = append(sentAuth, a)
				}
				return nil
			})
	})
	if err != nil {
		return nil, err
	}
	data, readErr := httpx.ReadResponse(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.scrubAPIError(newAPIError(opGenerate, resp, c.scrub(data, sentAuth...)), sentAuth...)
	}
	if readErr != nil {
		return nil, fmt.Errorf("cyberflex: %s: HTTP %d: %w", opGenerate, resp.StatusCode, readErr)
	}
	cc, err := parseCaptureContext(string(data))
	if err != nil {
		return nil, fmt.Errorf("cyberflex: %s: HTTP %d body (%d bytes, Content-Type %q) is not a capture context JWT: %w",
			opGenerate, resp.StatusCode, len(data), oneLine(string(c.scrub([]byte(resp.Header.Get("Content-Type")), sentAuth...)), 80), err)
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

// fetchKey is the keyCache's fetcher: GET /flex/v2/public-keys/{kid}
// through the generated client, with no authentication headers.
func (c *Client) fetchKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	resp, err := c.do(ctx, opKey, func(ctx context.Context, edit cyberflexapi.RequestEditorFn) (*http.Response, error) {
		return c.api.GetPublicKey(ctx, kid, edit, func(_ context.Context, r *http.Request) error {
			r.Header.Set("Accept", "application/json")
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	data, readErr := httpx.ReadResponse(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Nothing secret is sent here, but the same server saw the credentials of the other
		// calls: scrub them as GenerateCaptureContext does.
		e := c.scrubAPIError(newAPIError(opKey, resp, c.scrub(data)))
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: %w", ErrUnknownKeyID, e)
		}
		return nil, e
	}
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("cyberflex: %s: HTTP %d: %w", opKey, resp.StatusCode, readErr)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		// go-jose quotes values from the body (an unknown "crv", …): one short line of them.
		return nil, fmt.Errorf("cyberflex: %s: HTTP %d body is not a JWK: %s", opKey, resp.StatusCode, oneLine(err.Error(), 200))
	}
	return &jwk, nil
}

// do runs send under the retry policy. send must build a fresh request per
// attempt, passing edit (which sets Host and User-Agent) before its own
// editors. do logs each attempt and wraps transport errors with op.
func (c *Client) do(ctx context.Context, op string, send func(context.Context, cyberflexapi.RequestEditorFn) (*http.Response, error)) (*http.Response, error) {
	attempt := 0
	policy := c.policy
	policy.OnRetry = func(a retry.Attempt) {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "cyberflex: retrying",
			slog.String("op", op), slog.Int("attempt", a.Number), slog.Int("status", a.StatusCode),
			slog.Duration("delay", a.Delay), slog.Bool("retry_after", a.RetryAfter))
	}
	resp, err := retry.Do(ctx, policy, retryable, func(ctx context.Context) (*http.Response, error) {
		attempt++
		var method, path string
		start := time.Now()
		resp, err := send(ctx, func(_ context.Context, r *http.Request) error {
			// The host every request is signed for and carries, whatever
			// WithBaseURL says (see there). The signers read req.Host, so
			// this must run before them.
			r.Host = c.host
			r.Header.Set("User-Agent", httpx.UserAgent)
			method, path = r.Method, r.URL.Path
			return nil
		})
		// Building the attributes allocates even when the handler drops them: skip that unless
		// debug logging is on (it is off by default).
		if !c.logger.Enabled(ctx, slog.LevelDebug) {
			return resp, err
		}
		attrs := []slog.Attr{
			slog.String("op", op), slog.String("method", method), slog.String("path", path),
			slog.Int("attempt", attempt), slog.Duration("duration", time.Since(start)),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		} else {
			attrs = append(attrs, slog.Int("status", resp.StatusCode))
		}
		c.logger.LogAttrs(ctx, slog.LevelDebug, "cyberflex: request", attrs...)
		return resp, err
	})
	if err != nil {
		return nil, fmt.Errorf("cyberflex: %s: %w", op, err)
	}
	return resp, nil
}

// scrub replaces every credential of c, and the extra values given (the
// Authorization headers sent), in an error body (or a header value that goes
// into an error) with "[redacted]", so that a proxy echoing the request cannot
// put a credential into an APIError.
func (c *Client) scrub(body []byte, extra ...string) []byte {
	secrets := append([]string{c.auth.secret.Reveal(), c.auth.token.Reveal()}, extra...)
	for i, s := range secrets {
		secrets[i] = strings.TrimPrefix(s, "Bearer ")
	}
	return redact.Scrub(body, secrets...)
}

// scrubAPIError scrubs (see scrub) the text fields of e that do not come straight from its
// already scrubbed Body: the correlation id, which may come from a header, and the fields
// decoded from the body, where a JSON escape hides a credential from the byte scrub.
func (c *Client) scrubAPIError(e *APIError, extra ...string) *APIError {
	for _, f := range []*string{&e.CorrelationID, &e.Reason, &e.Message, &e.InformationLink} {
		*f = string(c.scrub([]byte(*f), extra...))
	}
	return e
}

// sign authenticates r, whose body is exactly body, according to the mode.
func (a credentials) sign(r *http.Request, body []byte, now func() time.Time) error {
	switch a.mode {
	case authHTTPSignature:
		return Signer{MerchantID: a.merchantID, KeyID: a.keyID, SecretKey: a.secret.Reveal(), Now: now}.Sign(r, body)
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
