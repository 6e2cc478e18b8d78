package dinterotest

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The credentials NewServer accepts when no credential option is given. They are obviously not
// real and may appear in test code and logs.
const (
	// DefaultAccountID is the account of a server created without WithClientCredentials or
	// WithAccountID: a test (T) account.
	DefaultAccountID = "T12345678"
	// DefaultClientID is the API client id accepted when no credential option is given.
	DefaultClientID = "dinterotest-client"
	// DefaultClientSecret is the API client secret accepted when no credential option is given.
	DefaultClientSecret = "dinterotest-client-secret-not-real"
	// DefaultAPIKey is the x-api-key accepted when no credential option is given.
	DefaultAPIKey = "dinterotest-api-key-not-real"
)

// DefaultTokenLifetime is the lifetime (expires_in) of the access tokens the fake issues unless
// WithTokenLifetime says otherwise: 24 hours, the value Dintero's documentation shows.
const DefaultTokenLifetime = 24 * time.Hour

var accountIDPattern = regexp.MustCompile(`^[PT]\d{8}$`)

// Option configures a Server in NewServer. An option given a value that cannot work (an empty
// secret, a malformed account id) makes NewServer panic with a message naming the option, the
// way httptest.NewServer panics when it cannot listen: both are mistakes in the test itself.
type Option func(*config) error

// config is what the options set.
type config struct {
	accountID      string
	clientID       string
	clientSecret   string
	apiKey         string
	tokenLifetime  time.Duration
	clock          func() time.Time
	callbackSecret string
	callbackClient *http.Client
	strictAmounts  bool
}

// WithClientCredentials makes the server's account accountID ("T" or "P" and eight digits) and
// its token endpoint accept exactly this API client id and secret (HTTP Basic). Without any
// credential option the server accepts DefaultClientID and DefaultClientSecret.
func WithClientCredentials(accountID, clientID, clientSecret string) Option {
	return func(c *config) error {
		if err := setAccount(c, "WithClientCredentials", accountID); err != nil {
			return err
		}
		if clientID == "" || clientSecret == "" {
			return errors.New("WithClientCredentials: client id and client secret must not be empty")
		}
		if strings.Contains(clientID, ":") {
			return errors.New("WithClientCredentials: a client id cannot contain ':' (it is the HTTP Basic user name)")
		}
		c.clientID, c.clientSecret = clientID, clientSecret
		return nil
	}
}

// WithAPIKey makes the session endpoints accept "x-api-key: key". Given alone (without
// WithClientCredentials), the server accepts only the API key and its token endpoint refuses
// every client; the account is then DefaultAccountID unless WithAccountID says otherwise.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("WithAPIKey: the API key must not be empty")
		}
		c.apiKey = key
		return nil
	}
}

// WithAccountID sets the server's account id ("T" or "P" and eight digits), the prefix of the
// session ids it creates. It is only needed with WithAPIKey alone; WithClientCredentials sets
// the account too, and the two must agree.
func WithAccountID(accountID string) Option {
	return func(c *config) error { return setAccount(c, "WithAccountID", accountID) }
}

func setAccount(c *config, option, accountID string) error {
	if !accountIDPattern.MatchString(accountID) {
		return fmt.Errorf("%s: account id %q is not T or P and eight digits, e.g. T12345678", option, accountID)
	}
	if c.accountID != "" && c.accountID != accountID {
		return fmt.Errorf("%s: account id %q conflicts with account id %q given before", option, accountID, c.accountID)
	}
	c.accountID = accountID
	return nil
}

// WithTokenLifetime sets the lifetime of the access tokens the server issues: their expires_in
// and when the server stops accepting them, by the server's clock (WithClock). It must be at
// least one second. Default: DefaultTokenLifetime.
func WithTokenLifetime(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("WithTokenLifetime: %v is shorter than one second (expires_in counts whole seconds)", d)
		}
		c.tokenLifetime = d
		return nil
	}
}

// WithClock sets the server's clock, used for created_at, updated_at, event times, cancelled_at,
// token expiry and callback timestamps. Advance it to expire tokens without waiting. Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: the clock must not be nil")
		}
		c.clock = now
		return nil
	}
}

// WithStrictAmounts makes the server refuse, on every create and update, an order whose amount is
// not the sum of its items and shipping option (without partial_payment), as Dintero does for a
// request with the feature toggle strict-session-amounts (header Dintero-Feature-Toggles, which
// the server honours without this option too). It finds the orders whose sums are wrong before
// the toggle is turned on in production.
func WithStrictAmounts() Option {
	return func(c *config) error {
		c.strictAmounts = true
		return nil
	}
}

// WithCallbackSecret sets the signature secret (as POST /v1/admin/signature would return it) with
// which CallbackRequest and SendCallback sign callbacks; verify them with a
// dintero.CallbackVerifier holding the same secret and the server's account id.
func WithCallbackSecret(secret string) Option {
	return func(c *config) error {
		if secret == "" {
			return errors.New("WithCallbackSecret: the secret must not be empty")
		}
		c.callbackSecret = secret
		return nil
	}
}

// WithCallbackClient sets the HTTP client SendCallback delivers callbacks with, e.g. the Client
// of an httptest.NewTLSServer that receives them. Default: a client that does not follow
// redirects and gives up after 10 seconds, as Dintero does.
func WithCallbackClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("WithCallbackClient: the client must not be nil")
		}
		c.callbackClient = hc
		return nil
	}
}
