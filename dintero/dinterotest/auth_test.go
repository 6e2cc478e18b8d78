package dinterotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

const (
	account  = "T87654321"
	clientID = "shop-client"
	secret   = "shop-secret-value"
)

func tokenBody(audienceAccount string) string {
	return `{"grant_type":"client_credentials","audience":"https://api.dintero.com/v1/accounts/` + audienceAccount + `"}`
}

func TestTokenEndpoint(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithClientCredentials(account, clientID, secret))
	defer srv.Close()
	path := "/accounts/" + account + "/auth/token"

	a := do(t, srv, http.MethodPost, path, tokenBody(account), basic(clientID, secret))
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &tok))
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, 86400, tok.ExpiresIn)
	assert.GreaterOrEqual(t, len(tok.AccessToken), 40)
	assert.NotEqual(t, tok.AccessToken, token2(t, srv, path), "every token is new")

	a = do(t, srv, http.MethodGet, "/sessions", "", "Authorization: Bearer "+tok.AccessToken)
	assert.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)

	for _, tt := range []struct {
		name, path, body, auth string
		status                 int
		message                string
	}{
		{"wrong secret", path, tokenBody(account), basic(clientID, "wrong-secret-xyz"), 401, "invalid client id or client secret"},
		{"wrong client", path, tokenBody(account), basic("other", secret), 401, "invalid client id or client secret"},
		{"no credentials", path, tokenBody(account), "X-Nothing: 1", 401, "missing HTTP Basic credentials"},
		{"bearer instead of basic", path, tokenBody(account), "Authorization: Bearer abc", 401, "missing HTTP Basic credentials"},
		{"wrong audience", path, tokenBody("T00000000"), basic(clientID, secret), 401, `audience "https://api.dintero.com/v1/accounts/T00000000" is not allowed`},
		{"audience of another host", path, `{"grant_type":"client_credentials","audience":"https://checkout.dintero.com/v1/accounts/` + account + `"}`, basic(clientID, secret), 401, "is not allowed"},
		{"other account in the path", "/accounts/T00000000/auth/token", tokenBody("T00000000"), basic(clientID, secret), 401, `not valid for account "T00000000"`},
		{"wrong grant type", path, `{"grant_type":"password","audience":"x"}`, basic(clientID, secret), 400, "/grant_type"},
		{"missing audience", path, `{"grant_type":"client_credentials"}`, basic(clientID, secret), 400, `property "audience" is missing`},
		{"malformed account", "/accounts/T-1234/auth/token", tokenBody(account), basic(clientID, secret), 400, `path parameter "aid"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, srv, http.MethodPost, tt.path, tt.body, tt.auth)
			require.Equal(t, tt.status, a.Status, "body %s", a.Body)
			code, msg := a.errorBody(t)
			if tt.status == 401 {
				assert.Equal(t, dinterotest.CodeUnauthorized, code)
			} else {
				assert.Equal(t, dinterotest.CodeInvalidRequest, code)
			}
			assert.Contains(t, msg, tt.message)
			assert.NotContains(t, string(a.Body), secret)
			assert.NotContains(t, string(a.Body), "wrong-secret-xyz", "the secret sent is never echoed")
		})
	}
}

func token2(t *testing.T, srv *dinterotest.Server, path string) string {
	a := do(t, srv, http.MethodPost, path, tokenBody(account), basic(clientID, secret))
	require.Equal(t, http.StatusOK, a.Status)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &tok))
	return tok.AccessToken
}

func TestClientCredentialsThroughClient(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithClientCredentials(account, clientID, secret))
	defer srv.Close()
	ctx := context.Background()

	c := newClient(t, srv, dintero.WithClientCredentials(account, clientID, secret))
	created, err := c.CreateSession(ctx, newSession("order-1"))
	require.NoError(t, err)
	assert.Regexp(t, `^T87654321\.`, *created.ID, "ids carry the server's account")
	_, err = c.GetSession(ctx, *created.ID)
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateAccessToken), "the token is cached")

	bad := newClient(t, srv, dintero.WithClientCredentials(account, clientID, "not-the-secret"))
	_, err = bad.GetSession(ctx, *created.ID)
	apiErr := requireAPIError(t, err, http.StatusUnauthorized, dinterotest.CodeUnauthorized)
	assert.Equal(t, "CreateAccessToken", apiErr.Operation)
	assert.NotContains(t, err.Error(), "not-the-secret")

	other := newClient(t, srv, dintero.WithClientCredentials("T00000000", clientID, secret))
	_, err = other.GetSession(ctx, *created.ID)
	apiErr = requireAPIError(t, err, http.StatusUnauthorized, dinterotest.CodeUnauthorized)
	assert.Contains(t, apiErr.Message, "T00000000")
}

func TestExpiredToken(t *testing.T) {
	clk := newClock()
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now), dinterotest.WithTokenLifetime(time.Hour))
	defer srv.Close()

	a := do(t, srv, http.MethodPost, "/accounts/"+dinterotest.DefaultAccountID+"/auth/token", tokenBody(dinterotest.DefaultAccountID),
		basic(dinterotest.DefaultClientID, dinterotest.DefaultClientSecret))
	require.Equal(t, http.StatusOK, a.Status)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	require.NoError(t, json.Unmarshal(a.Body, &tok))
	assert.Equal(t, 3600, tok.ExpiresIn)
	bearer := "Authorization: Bearer " + tok.AccessToken

	clk.Advance(time.Hour - time.Second)
	assert.Equal(t, http.StatusOK, do(t, srv, http.MethodGet, "/sessions", "", bearer).Status)
	clk.Advance(time.Second)
	a = do(t, srv, http.MethodGet, "/sessions", "", bearer)
	require.Equal(t, http.StatusUnauthorized, a.Status)
	code, msg := a.errorBody(t)
	assert.Equal(t, dinterotest.CodeUnauthorized, code)
	assert.Contains(t, msg, "expired at 2025-03-14T10:26:53Z")
	assert.NotContains(t, msg, tok.AccessToken)

	// The client caches its token by its own clock; after a 401 it fetches a new one and
	// sends the call once more.
	c := newClient(t, srv, creds)
	ctx := context.Background()
	id := create(t, c, newSession("order-1"))
	assert.Equal(t, 2, srv.Calls(dinterotest.OpCreateAccessToken))
	clk.Advance(2 * time.Hour)
	_, err := c.GetSession(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 3, srv.Calls(dinterotest.OpCreateAccessToken), "a new token after the 401")
	assert.Equal(t, 2, srv.Calls(dinterotest.OpGetSession), "the 401 and the repeat")
}

func TestBearerAndAPIKeyErrors(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	for _, tt := range []struct {
		name    string
		headers []string
		status  int
		message string
	}{
		{"no credentials", nil, 401, `missing credentials: send "Authorization: Bearer <access token>" or "x-api-key: <API key>"`},
		{"unknown token", []string{"Authorization: Bearer made-up"}, 401, "this server did not issue it"},
		{"basic instead of bearer", []string{basic(dinterotest.DefaultClientID, dinterotest.DefaultClientSecret)}, 401, `not "Bearer <access token>"`},
		{"empty bearer", []string{"Authorization: Bearer "}, 401, `not "Bearer <access token>"`},
		{"wrong API key", []string{"x-api-key: guessed-key"}, 401, "the x-api-key is not valid"},
		{"both wrong", []string{"Authorization: Bearer made-up", "x-api-key: guessed-key"}, 401, "did not issue it); the x-api-key is not valid"},
		{"API key", []string{apiKey}, 200, ""},
		{"bad token, good key", []string{"Authorization: Bearer made-up", apiKey}, 200, ""},
		{"lower-case scheme", []string{"Authorization: bearer " + token(t, srv)}, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, srv, http.MethodGet, "/sessions", "", tt.headers...)
			require.Equal(t, tt.status, a.Status, "body %s", a.Body)
			if tt.status == 200 {
				return
			}
			code, msg := a.errorBody(t)
			assert.Equal(t, dinterotest.CodeUnauthorized, code)
			assert.Contains(t, msg, tt.message)
			assert.NotContains(t, msg, "guessed-key")
			assert.NotContains(t, msg, dinterotest.DefaultClientSecret)
		})
	}
}

func TestAPIKeyOnly(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithAPIKey("key-123"), dinterotest.WithAccountID("P11112222"))
	defer srv.Close()
	ctx := context.Background()
	assert.Equal(t, "P11112222", srv.AccountID())

	c := newClient(t, srv, dintero.WithAPIKey("key-123"))
	id := create(t, c, newSession("order-1"))
	assert.Regexp(t, `^P11112222\.`, id)

	wrong := newClient(t, srv, dintero.WithAPIKey(dinterotest.DefaultAPIKey))
	_, err := wrong.GetSession(ctx, id)
	requireAPIError(t, err, http.StatusUnauthorized, dinterotest.CodeUnauthorized)

	// No client credentials on this server, not even the defaults.
	a := do(t, srv, http.MethodPost, "/accounts/P11112222/auth/token", tokenBody("P11112222"),
		basic(dinterotest.DefaultClientID, dinterotest.DefaultClientSecret))
	require.Equal(t, http.StatusUnauthorized, a.Status)
	_, msg := a.errorBody(t)
	assert.Contains(t, msg, "WithAPIKey only")
}

func TestAPIKeyNotConfigured(t *testing.T) {
	srv := dinterotest.NewServer(dinterotest.WithClientCredentials(account, clientID, secret))
	defer srv.Close()
	a := do(t, srv, http.MethodGet, "/sessions", "", apiKey)
	require.Equal(t, http.StatusUnauthorized, a.Status)
	_, msg := a.errorBody(t)
	assert.Contains(t, msg, "API keys are not accepted")
}

func TestDefaultCredentials(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	assert.Equal(t, dinterotest.DefaultAccountID, srv.AccountID())
	for _, auth := range []dintero.Option{creds, dintero.WithAPIKey(dinterotest.DefaultAPIKey), dintero.WithAccessToken(token(t, srv))} {
		c := newClient(t, srv, auth)
		create(t, c, newSession("order-1"))
	}
}

func TestOptionsPanicOnBadValues(t *testing.T) {
	for _, tt := range []struct {
		name    string
		opts    []dinterotest.Option
		message string
	}{
		{"malformed account", []dinterotest.Option{dinterotest.WithClientCredentials("T-12345678", "a", "b")}, `account id "T-12345678" is not T or P and eight digits`},
		{"empty secret", []dinterotest.Option{dinterotest.WithClientCredentials(account, "a", "")}, "must not be empty"},
		{"colon in client id", []dinterotest.Option{dinterotest.WithClientCredentials(account, "a:b", "c")}, "':'"},
		{"conflicting accounts", []dinterotest.Option{dinterotest.WithAccountID("T11111111"), dinterotest.WithClientCredentials(account, "a", "b")}, "conflicts"},
		{"empty API key", []dinterotest.Option{dinterotest.WithAPIKey(" ")}, "must not be empty"},
		{"short token lifetime", []dinterotest.Option{dinterotest.WithTokenLifetime(time.Millisecond)}, "shorter than one second"},
		{"nil clock", []dinterotest.Option{dinterotest.WithClock(nil)}, "nil"},
		{"empty callback secret", []dinterotest.Option{dinterotest.WithCallbackSecret("")}, "must not be empty"},
		{"nil callback client", []dinterotest.Option{dinterotest.WithCallbackClient(nil)}, "nil"},
		{"nil option", []dinterotest.Option{nil}, "nil Option"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "want a panic")
				assert.Contains(t, r, tt.message)
			}()
			srv := dinterotest.NewServer(tt.opts...)
			srv.Close()
		})
	}
	// The same account twice is fine.
	srv := dinterotest.NewServer(dinterotest.WithAccountID(account), dinterotest.WithClientCredentials(account, "a", "b"))
	srv.Close()
}

// TestServerPrintsNoSecret: no fmt verb shows a secret of the server.
func TestServerPrintsNoSecret(t *testing.T) {
	const (
		clientSecret = "client-secret-of-the-print-test"
		apiKey       = "api-key-of-the-print-test"
		signing      = "callback-secret-of-the-print-test"
	)
	srv := dinterotest.NewServer(dinterotest.WithClientCredentials(account, "print-client", clientSecret),
		dinterotest.WithAPIKey(apiKey), dinterotest.WithCallbackSecret(signing))
	defer srv.Close()
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, srv)
		for _, s := range []string{clientSecret, apiKey, signing, fmt.Sprintf("%x", clientSecret), fmt.Sprintf("%x", apiKey)} {
			assert.NotContains(t, out, s, "%s prints a secret", verb)
		}
	}
	got := srv.String()
	for _, want := range []string{srv.URL, account, "client print-client", "API key", "callbacks: signed"} {
		assert.Contains(t, got, want)
	}
}
