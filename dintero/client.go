package dintero

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
	"github.com/paysession/paysession-go/internal/untrusted"
)

// tokenAudience is the audience Dintero expects in a client-credentials grant, whatever host the
// token is fetched from (https://docs.dintero.com/docs/checkout/authentication).
const tokenAudience = "https://api.dintero.com/v1/accounts/" //nolint:gosec // a URL prefix, not a credential

// Client calls the Dintero Checkout sessions API. Create it with New; it is safe for concurrent
// use by many goroutines, and should be reused: it caches the access token and the connections.
type Client struct {
	api     *apicall.Client
	baseURL string // the server URL for the generated request builders, ending in "/"
	cfg     config
	tokens  *tokenSource  // set for WithClientCredentials only
	basic   redact.Secret // the Basic credential of WithClientCredentials, to scrub from answers
}

// New returns a Client configured by opts. Exactly one of WithClientCredentials,
// WithAccessToken and WithAPIKey is required. A bad option makes New fail with an error
// wrapping ErrInvalidInput; nothing is sent until the first call. New never panics.
func New(opts ...Option) (*Client, error) {
	cfg := config{baseURL: DefaultBaseURL, maxRetries: DefaultMaxRetries}
	for _, opt := range opts {
		if opt == nil {
			return nil, invalid("nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	switch len(cfg.authKinds) {
	case 0:
		return nil, invalid("no credentials: use WithClientCredentials, WithAccessToken or WithAPIKey")
	case 1:
	default:
		return nil, invalid("more than one way to authenticate given (%v); choose one", cfg.authKinds)
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// The generated request builders resolve operation paths against the server URL, which keeps
	// its path (/v1) only when it ends in a slash.
	c := &Client{baseURL: strings.TrimSuffix(cfg.baseURL, "/") + "/", cfg: cfg}
	if cfg.clientID != "" {
		c.tokens = &tokenSource{fetch: c.fetchToken}
		c.basic = redact.NewSecret(base64.StdEncoding.EncodeToString([]byte(cfg.clientID + ":" + cfg.clientSecret.Reveal())))
	}
	c.api = &apicall.Client{
		Service: "dintero",
		HTTP:    httpx.ClientFor(cfg.httpClient, cfg.requestTimeout),
		Policy:  retry.Policy{MaxRetries: cfg.maxRetries, MaxRetryAfter: cfg.maxRetryAfter},
		Logger:  log,
		Prepare: c.prepare,
		Secrets: func() []string {
			return []string{cfg.clientSecret.Reveal(), cfg.accessToken.Reveal(), cfg.apiKey.Reveal(), c.basic.Reveal()}
		},
		NewAPIError: newAPIError,
	}
	if c.tokens != nil {
		// A panic value from the token fetch may quote the request (and so a credential).
		c.tokens.scrub = func(b []byte) []byte { return redact.NewScrubber(c.api.Secrets()...).Bytes(b) }
	}
	return c, nil
}

// String describes the client without its credentials. String, GoString and Format have value
// receivers so that printing a Client or a *Client, with any verb, never reaches the credentials
// (fmt would print unexported fields raw).
func (c Client) String() string {
	auth := "none"
	if len(c.cfg.authKinds) > 0 {
		auth = c.cfg.authKinds[0]
	}
	return fmt.Sprintf("dintero.Client{BaseURL: %s, Auth: %s}", c.cfg.baseURL, auth)
}

// GoString is String, so %#v does not print the fields (and with them the credentials).
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb, so no verb reveals a credential.
func (c Client) Format(f fmt.State, verb rune) { redact.Format(f, verb, c.String(), c.GoString()) }

// prepare sets the headers every request carries: the SDK's User-Agent, Accept, and the
// Dintero-System-* headers of WithSystem.
func (c *Client) prepare(req *http.Request) {
	h := req.Header
	h.Set("User-Agent", httpx.UserAgent)
	h.Set("Accept", "application/json")
	for _, sh := range [...]struct{ name, value string }{
		{"Dintero-System-Name", c.cfg.system.Name},
		{"Dintero-System-Version", c.cfg.system.Version},
		{"Dintero-System-Plugin-Name", c.cfg.system.PluginName},
		{"Dintero-System-Plugin-Version", c.cfg.system.PluginVersion},
	} {
		if sh.value != "" {
			h.Set(sh.name, sh.value)
		}
	}
}

// call runs one API operation through the pipeline and decodes a 2xx body into out.
//
// idempotent says whether the operation may be repeated after it could have reached the server.
// The create calls may not: the API has no idempotency key, so a repeated create can make a second
// session. They are retried only when the connection could not even be opened.
//
// check, when not nil, says whether the decoded answer is what the call promises; only an answer
// that passes it is copied to raw (RawResponse is set on success only).
func (c *Client) call(ctx context.Context, op string, idempotent bool, build func() (*http.Request, error), out any, raw *[]byte, check func() error) error {
	if ctx == nil {
		return invalid("%s: nil context", op)
	}
	classify := retry.NotSent
	if idempotent {
		classify = retry.Idempotent
	}
	resp, err := c.api.Do(ctx, apicall.Call{
		Op:          op,
		Retry:       classify,
		Request:     build,
		Authorize:   c.authorize,
		Reauthorize: c.reauthorize,
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return invalidResponse(op, err, "decoding the %s: %s", resp.Describe(), untrusted.Line(err.Error(), 200))
	}
	if check != nil {
		if err := check(); err != nil {
			return err
		}
	}
	if raw != nil {
		*raw = append((*raw)[:0], resp.Body...)
	}
	return nil
}

// authorize sets the request's credentials and returns the access token it used, if any.
func (c *Client) authorize(ctx context.Context, req *http.Request) (string, error) {
	switch {
	case c.tokens != nil:
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return "", err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		return tok, nil
	case !c.cfg.accessToken.IsZero():
		req.Header.Set("Authorization", "Bearer "+c.cfg.accessToken.Reveal())
		return "", nil
	default:
		req.Header.Set("x-api-key", c.cfg.apiKey.Reveal())
		return "", nil
	}
}

// reauthorize answers a 401 to a request sent with a cached access token: the token was revoked
// or expired early, so it is dropped and the request is sent once more with a new one.
func (c *Client) reauthorize(sent string) bool {
	if c.tokens == nil || sent == "" {
		return false
	}
	c.tokens.Invalidate(sent)
	return true
}

// fetchToken exchanges the client credentials for an access token (POST
// {baseURL}/accounts/{aid}/auth/token, Basic auth). The endpoint documents 429 with Retry-After,
// and a token request is safe to repeat, so it is retried like a read: this is the one retry loop
// a token fetch gets (the calls waiting for the token do not retry its failure).
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	body, err := json.Marshal(dinteroapi.AccessTokenRequest{
		GrantType: dinteroapi.AccessTokenRequestGrantTypeClientCredentials,
		Audience:  tokenAudience + c.cfg.accountID,
	})
	if err != nil {
		return "", 0, err
	}
	resp, err := c.api.Do(ctx, apicall.Call{
		Op:    "CreateAccessToken",
		Retry: retry.Idempotent,
		Request: func() (*http.Request, error) {
			return dinteroapi.NewCreateAccessTokenRequestWithBody(c.baseURL, c.cfg.accountID, "application/json", bytes.NewReader(body))
		},
		Authorize: func(_ context.Context, req *http.Request) (string, error) {
			req.SetBasicAuth(c.cfg.clientID, c.cfg.clientSecret.Reveal())
			return "", nil
		},
	})
	if err != nil {
		return "", 0, err
	}
	var tok struct {
		AccessToken string          `json:"access_token"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
	}
	if err := json.Unmarshal(resp.Body, &tok); err != nil {
		return "", 0, invalidResponse("CreateAccessToken", err, "decoding the %s: %s", resp.Describe(), untrusted.Line(err.Error(), 200))
	}
	if tok.AccessToken == "" {
		return "", 0, invalidResponse("CreateAccessToken", nil, "the %s has an empty access token", resp.Describe())
	}
	return tok.AccessToken, tokenLifetime(tok.ExpiresIn), nil
}
