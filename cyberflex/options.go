package cyberflex

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
)

// Environment is a CyberSource REST API host. It decides both where
// requests go (https://<host>, unless WithBaseURL says otherwise) and which
// host every request is signed for.
type Environment string

const (
	// Sandbox is the CyberSource test environment, apitest.cybersource.com.
	// It is the default.
	Sandbox Environment = "apitest.cybersource.com"
	// Production is the CyberSource live environment, api.cybersource.com.
	// (Other regional hosts, e.g. India's "api.in.cybersource.com", can be
	// given as Environment("api.in.cybersource.com").)
	Production Environment = "api.cybersource.com"
)

// DefaultMaxRetries is how often GenerateCaptureContext (and the public key
// fetch) is retried after a connection error or a 429, 502, 503 or 504 when
// WithMaxRetries is not given.
const DefaultMaxRetries = 2

// DefaultRequestTimeout bounds each attempt of a call unless WithRequestTimeout
// says otherwise.
const DefaultRequestTimeout = httpx.DefaultRequestTimeout

// DefaultMaxRetryAfter is the longest Retry-After wait a call honours unless
// WithMaxRetryAfter says otherwise.
const DefaultMaxRetryAfter = retry.DefaultMaxRetryAfter

// Option configures a Client in New. Every option checks its own argument:
// a bad value makes New fail with an error wrapping ErrInvalidInput, never
// the first call.
type Option func(*config) error

// config is what the options set; New turns it into a Client. Every
// credential is held as a redact.Secret (or a *P12Key, which formats
// redacted), so printing a config never shows one.
type config struct {
	env        Environment
	baseURL    string
	httpClient *http.Client
	maxRetries int
	logger     *slog.Logger
	now        func() time.Time

	authKinds []string // names of the auth options given, to refuse none or two
	auth      credentials

	// policy overrides the retry timing (tests use tiny delays); its
	// MaxRetries is always replaced by maxRetries.
	policy retry.Policy

	requestTimeout time.Duration // 0: DefaultRequestTimeout
	maxRetryAfter  time.Duration // 0: DefaultMaxRetryAfter
}

// authMode is the authentication scheme a Client uses.
type authMode int

const (
	authHTTPSignature authMode = iota + 1
	authJWT
	authJWTP12
	authBearer
)

func (m authMode) String() string {
	switch m {
	case authHTTPSignature:
		return "HTTP Signature"
	case authJWT:
		return "JWT (HS256)"
	case authJWTP12:
		return "JWT (RS256, P12)"
	case authBearer:
		return "OAuth bearer token"
	default:
		return "none"
	}
}

// credentials is the configured authentication. Secrets are redact.Secret;
// Reveal is called only in sign, to build the per-request signer.
type credentials struct {
	mode       authMode
	merchantID string
	keyID      string
	secret     redact.Secret // shared secret (base64), HTTP Signature and JWT HS256
	p12        *P12Key       // JWT RS256
	token      redact.Secret // OAuth access token
}

// WithHTTPSignature authenticates every request with CyberSource's HTTP
// Signature scheme (HmacSHA256 over host, date, request-target, digest and
// v-c-merchant-id, as the official SDKs sign:
// https://github.com/CyberSource/cybersource-rest-client-node/tree/master/src/authentication/http),
// using the shared secret key created in the
// Business Center: merchantID is the organisation id, keyID the key's UUID,
// sharedSecretBase64 the secret exactly as shown (standard base64).
//
// Deprecated: CyberSource retires HTTP Signature: "By September 2026, all
// merchants using HTTP signature messaging must migrate to JSON Web Token
// (JWT) messaging"
// (https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-http-message-intro.html).
// Use WithJWT with the same merchant id, key id and shared secret. This
// option stays for accounts that have not moved yet.
func WithHTTPSignature(merchantID, keyID, sharedSecretBase64 string) Option {
	return func(c *config) error {
		s := HTTPSignatureSigner{MerchantID: merchantID, KeyID: keyID, SecretKey: sharedSecretBase64}
		if _, err := s.validate(); err != nil {
			return err
		}
		c.authKinds = append(c.authKinds, "WithHTTPSignature")
		c.auth = credentials{mode: authHTTPSignature, merchantID: merchantID, keyID: keyID, secret: redact.NewSecret(sharedSecretBase64)}
		return nil
	}
}

// WithJWT authenticates every request with "Authorization: Bearer <JWS>",
// a JWT signed HS256 with the shared secret (the v2 claim set CyberSource
// requires from September 2026, as the official SDKs build it:
// https://github.com/CyberSource/cybersource-rest-client-node/tree/master/src/authentication/jwt).
// It is the authentication to use: merchantID, keyID and sharedSecretBase64
// are the same values an HTTP Signature key uses (the shared secret key
// created in the Business Center).
// The secret must decode to at
// least 32 bytes (RFC 7518 §3.2), which Business Center secrets do.
func WithJWT(merchantID, keyID, sharedSecretBase64 string) Option {
	return func(c *config) error {
		s := JWTSigner{MerchantID: merchantID, KeyID: keyID, SecretKey: sharedSecretBase64}
		if err := checkHeaderValue("merchant id", merchantID); err != nil {
			return err
		}
		if _, _, err := s.key(); err != nil {
			return err
		}
		c.authKinds = append(c.authKinds, "WithJWT")
		c.auth = credentials{mode: authJWT, merchantID: merchantID, keyID: keyID, secret: redact.NewSecret(sharedSecretBase64)}
		return nil
	}
}

// WithJWTP12 authenticates every request with a JWT signed RS256 with the
// merchant's private key from the PKCS#12 (.p12) file generated in the
// Business Center; the JWT kid is the certificate's subject serialNumber.
// The file is decoded here, so a wrong password fails New. The password is
// not kept.
func WithJWTP12(merchantID string, p12 []byte, password string) Option {
	return func(c *config) error {
		if err := checkHeaderValue("merchant id", merchantID); err != nil {
			return err
		}
		key, err := LoadP12(p12, password)
		if err != nil {
			return err
		}
		c.authKinds = append(c.authKinds, "WithJWTP12")
		c.auth = credentials{mode: authJWTP12, merchantID: merchantID, p12: key}
		return nil
	}
}

// WithAccessToken authenticates every request with an OAuth access token
// you obtained yourself (POST /oauth2/v3/token), sent verbatim as
// "Authorization: Bearer <token>" as the official SDKs do (node
// OAuthToken.js). It is never refreshed; build a new Client when it
// expires. A leading "Bearer " is accepted and removed.
func WithAccessToken(token string) Option {
	return func(c *config) error {
		token = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(token), "Bearer "))
		if token == "" {
			return fmt.Errorf("%w: bearer token is empty", ErrInvalidInput)
		}
		if hasCtl(token) {
			return fmt.Errorf("%w: bearer token contains a control character", ErrInvalidInput)
		}
		c.authKinds = append(c.authKinds, "WithAccessToken")
		c.auth = credentials{mode: authBearer, token: redact.NewSecret(token)}
		return nil
	}
}

// WithEnvironment selects Sandbox (the default) or Production, or another
// CyberSource API host given as a bare host name.
func WithEnvironment(env Environment) Option {
	return func(c *config) error {
		h := string(env)
		if h == "" || strings.ContainsAny(h, "/?#@ ") || hasCtl(h) {
			return fmt.Errorf("%w: environment %q is not a host name such as %q", ErrInvalidInput, h, Sandbox)
		}
		c.env = env
		return nil
	}
}

// WithBaseURL sends requests to baseURL (a proxy, a test server) instead of
// https://<environment host>. The API paths are appended to it, so
// "http://127.0.0.1:8080/proxy" sends POST /proxy/flex/v2/sessions.
//
// What is signed stays tied to the environment, not to baseURL: every
// request carries, and is signed for, Host: <environment host>
// (apitest.cybersource.com by default) — the HTTP Signature "host" line and
// the JWT "request-host" claim — exactly as the official SDKs do with their
// intermediateHost setting
// (https://github.com/CyberSource/cybersource-rest-client-node). The signed request-target (HTTP
// Signature) and request-resource-path (JWT) are the path actually sent,
// prefix included, because that is what a server verifying the request sees
// on the request line. A proxy in front of CyberSource must therefore keep
// the path unchanged (mount it at the root); one that strips a prefix
// breaks the signature.
func WithBaseURL(baseURL string) Option {
	return func(c *config) error {
		if err := httpx.CheckBaseURL(baseURL); err != nil {
			return fmt.Errorf("%w: base URL: %v", ErrInvalidInput, err)
		}
		c.baseURL = baseURL
		return nil
	}
}

// WithHTTPClient sends requests through hc (for its transport, proxy or TLS
// settings). The Client uses a copy of hc that does not follow redirects, so
// signed requests and bearer tokens never go elsewhere; hc itself is not
// changed. Default: a client with bounded dial, TLS and header waits; every
// attempt is bounded by WithRequestTimeout whichever client is used.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return fmt.Errorf("%w: HTTP client is nil", ErrInvalidInput)
		}
		c.httpClient = hc
		return nil
	}
}

// WithClock sets the clock used for the Date header and JWT iat/exp of
// every request and for checking the exp/iat of capture contexts
// (VerifyCaptureContext, Tokenize) and transient tokens
// (VerifyTransientToken). Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: clock is nil", ErrInvalidInput)
		}
		c.now = now
		return nil
	}
}

// WithLogger logs every HTTP attempt (method, path, status, duration,
// attempt number) and every retry at debug level to l. Nothing secret is
// logged, and neither is a capture context. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: logger is nil", ErrInvalidInput)
		}
		c.logger = l
		return nil
	}
}

// WithRequestTimeout bounds each attempt of a call (sending the request and reading the whole
// answer) to d, also when WithHTTPClient gives a client without a timeout; an attempt that runs
// out of time is retried like a lost connection. It is the Timeout of the client's copy of the
// http.Client (a shorter Timeout of your own client stays), and a shorter deadline of the
// caller's context still wins. Default: DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: request timeout must be positive, got %v", ErrInvalidInput, d)
		}
		c.requestTimeout = d
		return nil
	}
}

// WithMaxRetryAfter caps how long a call waits when CyberSource answers 429
// or 503 with a Retry-After header. A longer wait is not waited: the call
// returns the *APIError at once, with RetryAfter set. Default:
// DefaultMaxRetryAfter.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: max Retry-After wait must be positive, got %v", ErrInvalidInput, d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithMaxRetries sets how often a request is retried after a connection
// error or a 429, 502, 503 or 504. Retrying is safe for both calls of this
// client: issuing a capture context has no side effect beyond the token an
// unused attempt leaves to expire, and fetching a public key is a GET. Every
// attempt is signed afresh (new Date, new JWT). Zero disables retries.
// Default: DefaultMaxRetries.
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: max retries must not be negative, got %d", ErrInvalidInput, n)
		}
		c.maxRetries = n
		return nil
	}
}

// withRetryPolicy overrides the retry timing; tests use it for tiny delays.
func withRetryPolicy(p retry.Policy) Option {
	return func(c *config) error {
		c.policy = p
		return nil
	}
}
