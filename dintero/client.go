package dintero

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/paysession/paysession-go/gen/dinteroapi"
	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
)

// tokenAudience is the audience Dintero expects in a client-credentials grant, whatever host the
// token is fetched from (https://docs.dintero.com/docs/checkout/authentication).
const tokenAudience = "https://api.dintero.com/v1/accounts/"

// Client calls the Dintero Checkout sessions API. Create it with New; it is safe for concurrent
// use by many goroutines, and should be reused: it caches the access token and the connections.
type Client struct {
	raw    *dinteroapi.Client
	cfg    config
	tokens *tokenSource  // set for WithClientCredentials only
	basic  redact.Secret // the Basic credential of WithClientCredentials, to scrub from answers
	policy retry.Policy
	log    *slog.Logger
}

// New returns a Client configured by opts. Exactly one of WithClientCredentials,
// WithAccessToken and WithAPIKey is required. A bad option makes New fail with an error
// wrapping ErrInvalidInput; nothing is sent until the first call.
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
	hc := httpx.NewHTTPClient()
	if cfg.httpClient != nil {
		hc = httpx.NoRedirects(cfg.httpClient)
	}
	raw, err := dinteroapi.NewClient(cfg.baseURL, dinteroapi.WithHTTPClient(hc))
	if err != nil {
		return nil, invalid("base URL: %v", err)
	}
	c := &Client{
		raw:    raw,
		cfg:    cfg,
		policy: retry.Policy{MaxRetries: cfg.maxRetries},
		log:    cfg.logger,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if cfg.clientID != "" {
		c.tokens = &tokenSource{fetch: c.fetchToken}
		c.basic = redact.NewSecret(base64.StdEncoding.EncodeToString([]byte(cfg.clientID + ":" + cfg.clientSecret.Reveal())))
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

// sender performs one attempt of an operation: it builds a fresh request with the generated
// client, applying edit (which authenticates it), and sends it.
type sender func(ctx context.Context, edit dinteroapi.RequestEditorFn) (*http.Response, error)

// call runs one API operation with retries, authentication and error decoding, and decodes a
// 2xx body into out.
//
// idempotent says whether the operation may be repeated after it could have reached the server.
// The create calls may not: the API has no idempotency key, so a repeated create can make a second
// session. They are retried only when the connection could not even be opened.
func (c *Client) call(ctx context.Context, op string, idempotent bool, send sender, out any) error {
	if ctx == nil {
		return invalid("%s: nil context", op)
	}
	classify := retry.NotSent
	if idempotent {
		classify = retry.Idempotent
	}
	policy := c.policy
	policy.OnRetry = func(a retry.Attempt) {
		c.log.DebugContext(ctx, "dintero: retrying", "op", op, "attempt", a.Number, "status", a.StatusCode,
			"error", a.Err, "delay", a.Delay, "retry_after", a.RetryAfter)
	}
	reauthorized := false
	var sentToken string // the access token the answer is to, which it must not echo
	// Building a log line's arguments allocates even when the handler drops it: skip that
	// unless debug logging is on (it is off by default).
	debug := c.log.Enabled(ctx, slog.LevelDebug)
	resp, err := retry.Do(ctx, policy, classify, func(ctx context.Context) (*http.Response, error) {
		for {
			var used string
			edit := func(ctx context.Context, req *http.Request) error {
				req.Header.Set("User-Agent", httpx.UserAgent)
				req.Header.Set("Accept", "application/json")
				var err error
				used, err = c.authorize(ctx, req)
				return err
			}
			start := time.Now()
			resp, err := send(ctx, edit)
			sentToken = used
			if err != nil {
				if debug {
					c.log.DebugContext(ctx, "dintero: request failed", "op", op, "error", err, "duration", time.Since(start))
				}
				return nil, err
			}
			if debug {
				c.log.DebugContext(ctx, "dintero: response", "op", op, "status", resp.StatusCode, "duration", time.Since(start))
			}
			// A 401 with a cached token usually means the token was revoked or expired early:
			// fetch a new one and send once more. The server rejected the request before doing
			// anything, so this is safe even for the create calls.
			if resp.StatusCode == http.StatusUnauthorized && c.tokens != nil && !reauthorized {
				reauthorized = true
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
				resp.Body.Close()
				c.tokens.Invalidate(used)
				continue
			}
			return resp, nil
		}
	})
	if err != nil {
		c.log.WarnContext(ctx, "dintero: call failed", "op", op, "error", err)
		return fmt.Errorf("dintero: %s: %w", op, err)
	}
	return decodeResponse(op, resp, out, c.scrubber(sentToken))
}

// decodeResponse turns a response into out or an *APIError. A non-2xx answer is an *APIError
// even when its body is truncated, oversized or not JSON: the status is never lost.
//
// The credentials of s are scrubbed from what the answer puts into the error (its body,
// Request-Id and Content-Type), so that a server or proxy that echoes the request cannot make
// an error, or a log line with it, show a credential.
func decodeResponse(op string, resp *http.Response, out any, s scrubber) error {
	body, readErr := httpx.ReadResponse(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newAPIError(op, resp, s.scrub(body))
		// The fields decoded from the body (a JSON escape hides a credential from the byte
		// scrub above) and the Request-Id header.
		for _, f := range []*string{&e.Code, &e.Message, &e.RequestID} {
			*f = string(s.scrub([]byte(*f)))
		}
		return e
	}
	if readErr != nil {
		return fmt.Errorf("dintero: %s: %d answer: %w", op, resp.StatusCode, readErr)
	}
	if out == nil {
		return nil
	}
	raw, keepRaw := out.(rawTarget)
	if keepRaw {
		out = raw.v
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("dintero: %s: decoding the %d answer (%d bytes, Content-Type %q): %w",
			op, resp.StatusCode, len(body), excerpt(s.scrub([]byte(resp.Header.Get("Content-Type"))), 80), err)
	}
	if keepRaw {
		*raw.dst = append((*raw.dst)[:0], body...)
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
		return c.cfg.accessToken.Reveal(), nil
	default:
		req.Header.Set("x-api-key", c.cfg.apiKey.Reveal())
		return "", nil
	}
}

// fetchToken exchanges the client credentials for an access token (POST
// {baseURL}/accounts/{aid}/auth/token, Basic auth). The endpoint documents 429 with Retry-After,
// and a token request is safe to repeat, so it is retried like a read.
func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	const op = "CreateAccessToken"
	body := dinteroapi.AccessTokenRequest{
		GrantType: dinteroapi.AccessTokenRequestGrantTypeClientCredentials,
		Audience:  tokenAudience + c.cfg.accountID,
	}
	basic := func(_ context.Context, req *http.Request) error {
		req.SetBasicAuth(c.cfg.clientID, c.cfg.clientSecret.Reveal())
		req.Header.Set("User-Agent", httpx.UserAgent)
		req.Header.Set("Accept", "application/json")
		return nil
	}
	c.log.DebugContext(ctx, "dintero: fetching access token", "account", c.cfg.accountID)
	resp, err := retry.Do(ctx, c.policy, retry.Idempotent, func(ctx context.Context) (*http.Response, error) {
		return c.raw.CreateAccessToken(ctx, c.cfg.accountID, body, basic)
	})
	if err != nil {
		return "", 0, fmt.Errorf("dintero: %s: %w", op, err)
	}
	var tok dinteroapi.AccessToken
	if err := decodeResponse(op, resp, &tok, c.scrubber("")); err != nil {
		return "", 0, err
	}
	return tok.AccessToken, time.Duration(tok.ExpiresIn) * time.Second, nil
}

// scrubber holds every credential an answer could echo back: the configured ones, the Basic
// encoding of the client credentials, and the access token that was sent. It is a value, so
// building one for each call costs nothing; only scrubbing does, on the error path.
type scrubber [5]string

func (c *Client) scrubber(token string) scrubber {
	return scrubber{c.cfg.clientSecret.Reveal(), c.cfg.accessToken.Reveal(), c.cfg.apiKey.Reveal(), c.basic.Reveal(), token}
}

// scrub replaces each credential of s in b with redact.Placeholder.
func (s scrubber) scrub(b []byte) []byte { return redact.Scrub(b, s[:]...) }
