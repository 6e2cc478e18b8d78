package dintero_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func jsonAnswer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

func answeringClient(t *testing.T, rt rtFunc, opts ...dintero.Option) *dintero.Client {
	t.Helper()
	c, err := dintero.New(append([]dintero.Option{dintero.WithBaseURL("http://127.0.0.1:1/v1"),
		dintero.WithAPIKey("answers-api-key"), dintero.WithHTTPClient(&http.Client{Transport: rt})}, opts...)...)
	require.NoError(t, err)
	return c
}

// TestAnswersWithoutWhatTheCallPromisesAreErrors: a 2xx body of null, {} or without the session
// id (and, for a create, the checkout URL) is ErrInvalidResponse, never a zero value.
func TestAnswersWithoutWhatTheCallPromisesAreErrors(t *testing.T) {
	ctx := context.Background()
	req := dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "r"},
	}
	calls := map[string]func(c *dintero.Client) error{
		"GetSession": func(c *dintero.Client) error { _, err := c.GetSession(ctx, "T12345678.abc"); return err },
		"UpdateSession": func(c *dintero.Client) error {
			_, err := c.UpdateSession(ctx, "T12345678.abc", dintero.SessionUpdateRequest{})
			return err
		},
		"CancelSession": func(c *dintero.Client) error { _, err := c.CancelSession(ctx, "T12345678.abc"); return err },
		"CreateSession": func(c *dintero.Client) error { _, err := c.CreateSession(ctx, req); return err },
		"ListSessions":  func(c *dintero.Client) error { _, err := c.ListSessions(ctx); return err },
	}
	bodies := map[string][]string{
		"GetSession":    {`null`, `{}`, `{"id":""}`, `{"order":{"amount":1}}`},
		"UpdateSession": {`null`, `{}`},
		"CancelSession": {`null`, `{}`},
		"CreateSession": {`null`, `{}`, `{"id":"T12345678.abc"}`, `{"url":"https://checkout.example/x"}`, `{"id":"T12345678.abc","url":""}`},
		"ListSessions":  {`null`},
	}
	for op, call := range calls {
		for _, body := range bodies[op] {
			t.Run(op+" "+body, func(t *testing.T) {
				c := answeringClient(t, func(*http.Request) (*http.Response, error) { return jsonAnswer(200, body), nil })
				err := call(c)
				require.ErrorIs(t, err, dintero.ErrInvalidResponse)
				assert.True(t, strings.HasPrefix(err.Error(), "dintero: "+op+": "), err.Error())
			})
		}
	}
	t.Run("an empty list is a list", func(t *testing.T) {
		c := answeringClient(t, func(*http.Request) (*http.Response, error) { return jsonAnswer(200, `[]`), nil })
		page, err := c.ListSessions(ctx)
		require.NoError(t, err)
		assert.Empty(t, page)
	})
}

// TestSessionsStopsWhenTheCursorDoesNotAdvance: a proxy that drops starting_after answers the
// first page again and again; Sessions must end with an error, not loop.
func TestSessionsStopsWhenTheCursorDoesNotAdvance(t *testing.T) {
	var requests atomic.Int32
	page := `[{"id":"T12345678.a"},{"id":"T12345678.b"}]`
	c := answeringClient(t, func(*http.Request) (*http.Response, error) {
		requests.Add(1)
		return jsonAnswer(200, page), nil
	})
	var got []string
	var last error
	for s, err := range c.Sessions(context.Background(), dintero.Limit(2)) {
		if err != nil {
			last = err
			break
		}
		got = append(got, *s.ID)
	}
	require.ErrorIs(t, last, dintero.ErrInvalidResponse)
	assert.Contains(t, last.Error(), "cursor does not advance")
	assert.EqualValues(t, 2, requests.Load(), "the repeated page is recognised at once")
	assert.Equal(t, []string{"T12345678.a", "T12345678.b", "T12345678.a", "T12345678.b"}, got)
}

// TestATokenEndpointFailureIsRetriedByOnePolicy: a token endpoint that keeps failing costs one
// call at most MaxRetries+1 token requests, not the product of two nested retry loops.
func TestATokenEndpointFailureIsRetriedByOnePolicy(t *testing.T) {
	for _, maxRetries := range []int{0, 1, 2} {
		t.Run(fmt.Sprint("MaxRetries ", maxRetries), func(t *testing.T) {
			var token, api atomic.Int32
			rt := rtFunc(func(r *http.Request) (*http.Response, error) {
				if strings.HasSuffix(r.URL.Path, "/auth/token") {
					token.Add(1)
					return jsonAnswer(http.StatusServiceUnavailable, `{}`), nil
				}
				api.Add(1)
				return jsonAnswer(200, `{"id":"T12345678.abc"}`), nil
			})
			c, err := dintero.New(dintero.WithBaseURL("http://127.0.0.1:1/v1"),
				dintero.WithClientCredentials("T12345678", "client-id", "client-secret-value"),
				dintero.WithHTTPClient(&http.Client{Transport: rt}), dintero.WithMaxRetries(maxRetries),
				dintero.WithMaxRetryAfter(1))
			require.NoError(t, err)
			dintero.FaultSuiteFastRetries(c)
			_, err = c.GetSession(context.Background(), "T12345678.abc")
			var apiErr *dintero.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
			assert.EqualValues(t, maxRetries+1, token.Load(), "token requests")
			assert.Zero(t, api.Load(), "no API request without a token")
		})
	}
}

// TestCreateFailuresSayWhetherTheOutcomeIsUnknown: a create that failed after its request may
// have been processed wraps ErrOutcomeUnknown (find the session before creating it again); one
// that certainly made nothing does not.
func TestCreateFailuresSayWhetherTheOutcomeIsUnknown(t *testing.T) {
	req := dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "r"},
	}
	for _, tc := range []struct {
		name    string
		answer  func() (*http.Response, error)
		unknown bool
	}{
		{"connection refused", func() (*http.Response, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
		}, false},
		{"connection reset after sending", func() (*http.Response, error) {
			return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
		}, true},
		{"400", func() (*http.Response, error) { return jsonAnswer(400, `{"error":{"message":"bad"}}`), nil }, false},
		{"500", func() (*http.Response, error) { return jsonAnswer(500, `{}`), nil }, false},
		{"503", func() (*http.Response, error) { return jsonAnswer(503, `{}`), nil }, false},
		{"502 from a gateway", func() (*http.Response, error) { return jsonAnswer(502, `<html>`), nil }, true},
		{"504 from a gateway", func() (*http.Response, error) { return jsonAnswer(504, `<html>`), nil }, true},
		{"200 that is not JSON", func() (*http.Response, error) { return jsonAnswer(200, `<html>`), nil }, true},
		{"200 without an id", func() (*http.Response, error) { return jsonAnswer(200, `{}`), nil }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := answeringClient(t, func(*http.Request) (*http.Response, error) { return tc.answer() }, dintero.WithMaxRetries(0))
			_, err := c.CreateSession(context.Background(), req)
			require.Error(t, err)
			assert.Equal(t, tc.unknown, errors.Is(err, dintero.ErrOutcomeUnknown), "%v", err)
			if tc.unknown {
				assert.Contains(t, err.Error(), "FindCreatedSession")
			}
		})
	}
	_, err := answeringClient(t, nil).CreateSession(context.Background(), dintero.SessionCreateRequest{})
	assert.ErrorIs(t, err, dintero.ErrInvalidInput)
	assert.NotErrorIs(t, err, dintero.ErrOutcomeUnknown, "refused before sending")
}
