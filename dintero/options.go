package dintero

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
)

// DefaultBaseURL is the Checkout API. Test (T…) and production (P…) accounts use the same host:
// the account id, not the host, selects the environment.
const DefaultBaseURL = "https://checkout.dintero.com/v1"

// DefaultMaxRetries is how often a call that is safe to repeat is retried when WithMaxRetries is
// not given.
const DefaultMaxRetries = 2

// DefaultRequestTimeout bounds each attempt of a call unless WithRequestTimeout says otherwise.
const DefaultRequestTimeout = httpx.DefaultRequestTimeout

// DefaultMaxRetryAfter is the longest Retry-After wait a call honours unless WithMaxRetryAfter
// says otherwise.
const DefaultMaxRetryAfter = retry.DefaultMaxRetryAfter

// accountIDPattern is Dintero's account id: T (test) or P (production) and eight digits, with no
// hyphen (https://docs.dintero.com/docs/checkout/authentication; "T-12345678", seen in some
// third-party SDKs, is wrong).
var accountIDPattern = regexp.MustCompile(`^[PT]\d{8}$`)

// Option configures a Client in New. An option that is given a bad value makes New fail with an
// error wrapping ErrInvalidInput, rather than the client failing later.
type Option func(*config) error

// config is what the options set; New turns it into a Client.
type config struct {
	baseURL    string
	httpClient *http.Client
	maxRetries int
	logger     *slog.Logger

	requestTimeout time.Duration // 0: DefaultRequestTimeout
	maxRetryAfter  time.Duration // 0: retry.DefaultMaxRetryAfter
	system         SystemInfo

	authKinds    []string // which auth options were given, to refuse two
	accountID    string
	clientID     string
	clientSecret redact.Secret
	accessToken  redact.Secret
	apiKey       redact.Secret
}

// SystemInfo names the system that calls Dintero. Dintero shows it in its back office and asks
// integrations (plugins, platforms) to send it; it goes out as the Dintero-System-Name,
// Dintero-System-Version, Dintero-System-Plugin-Name and Dintero-System-Plugin-Version headers.
// Empty fields are not sent.
type SystemInfo struct {
	Name, Version, PluginName, PluginVersion string
}

// WithClientCredentials authenticates with an API client's id and secret: the client fetches an
// access token from {baseURL}/accounts/{accountID}/auth/token (Basic auth, client_credentials
// grant), sends it as "Authorization: Bearer …", caches it until shortly before it expires, and
// fetches a new one after a 401. accountID is "T" (test) or "P" (production) and eight digits.
func WithClientCredentials(accountID, clientID, clientSecret string) Option {
	return func(c *config) error {
		if !accountIDPattern.MatchString(accountID) {
			return invalid("account id %q: want T or P and eight digits, e.g. T12345678", accountID)
		}
		if clientID == "" || clientSecret == "" {
			return invalid("client credentials: client id and client secret must not be empty")
		}
		c.authKinds = append(c.authKinds, "WithClientCredentials")
		c.accountID, c.clientID, c.clientSecret = accountID, clientID, redact.NewSecret(clientSecret)
		return nil
	}
}

// WithAccessToken authenticates with an access token you obtained yourself; it is sent as
// "Authorization: Bearer …" and never refreshed.
func WithAccessToken(token string) Option {
	return func(c *config) error {
		token = strings.TrimSpace(strings.TrimPrefix(token, "Bearer "))
		if token == "" {
			return invalid("access token must not be empty")
		}
		c.authKinds = append(c.authKinds, "WithAccessToken")
		c.accessToken = redact.NewSecret(token)
		return nil
	}
}

// WithAPIKey authenticates with a static API key (created with POST /v1/admin/api-keys), sent
// in the x-api-key header.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return invalid("API key must not be empty")
		}
		c.authKinds = append(c.authKinds, "WithAPIKey")
		c.apiKey = redact.NewSecret(key)
		return nil
	}
}

// WithBaseURL points the client at another base URL (a proxy, a test server). The API paths
// (/sessions, …) are appended to it, so keep its path prefix (…/v1). Default: DefaultBaseURL.
func WithBaseURL(baseURL string) Option {
	return func(c *config) error {
		if err := httpx.CheckBaseURL(baseURL); err != nil {
			return invalid("base URL: %v", err)
		}
		c.baseURL = strings.TrimSuffix(baseURL, "/")
		return nil
	}
}

// WithHTTPClient sends requests through hc (for its transport, proxy or TLS settings). The client
// uses a copy of hc that does not follow redirects, so credentials never go to another host; hc
// itself is not changed. Default: a client with a 60 s timeout per attempt.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return invalid("HTTP client must not be nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithMaxRetries sets how often a call that is safe to repeat (get, update, cancel, list, and a
// create whose connection could not even be opened) is retried after a connection error or a
// 408, 429, 502, 503 or 504. Zero disables retries. Default: DefaultMaxRetries.
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("max retries must not be negative, got %d", n)
		}
		c.maxRetries = n
		return nil
	}
}

// WithRequestTimeout bounds each attempt of a call (sending the request and reading the whole
// answer) to d, also when WithHTTPClient gives a client without a timeout; an attempt that runs
// out of time is retried like a lost connection where the call may be retried. It is the Timeout
// of the client's copy of the http.Client (a shorter Timeout of your own client stays), and a
// shorter deadline of the caller's context still wins. Default: DefaultRequestTimeout.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return invalid("request timeout must be positive, got %v", d)
		}
		c.requestTimeout = d
		return nil
	}
}

// WithMaxRetryAfter caps how long a call waits when Dintero answers 429 or 503 with a
// Retry-After header. A longer wait is not waited: the call returns the *APIError at once, with
// RetryAfter set, so that the caller can decide. Default: DefaultMaxRetryAfter.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return invalid("max Retry-After wait must be positive, got %v", d)
		}
		c.maxRetryAfter = d
		return nil
	}
}

// WithLogger logs each request, retry and token fetch at debug level, and failures at warn level,
// to l. Nothing secret is logged. Default: no logging.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("logger must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithSystem sends the Dintero-System-* headers describing your system on every call.
func WithSystem(s SystemInfo) Option {
	return func(c *config) error {
		c.system = s
		return nil
	}
}
