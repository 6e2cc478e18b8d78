package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadBody(t *testing.T) {
	data, err := ReadBody(strings.NewReader("12345"), 5)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(data), "a body of exactly the limit is whole")

	data, err = ReadBody(strings.NewReader("123456"), 5)
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, "12345", string(data))

	broken := io.MultiReader(strings.NewReader("{\"id\":"), iotest.ErrReader(io.ErrUnexpectedEOF))
	data, err = ReadBody(broken, 100)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, `{"id":`, string(data))
}

type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

func TestReadResponseAlwaysCloses(t *testing.T) {
	body := &closeCounter{Reader: strings.NewReader(strings.Repeat("x", MaxBodySize+1))}
	_, err := ReadResponse(&http.Response{Body: body})
	assert.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, 1, body.closed)
}

func TestNoRedirectsKeepsCredentialsHome(t *testing.T) {
	var leaked bool
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = true
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/steal", http.StatusFound)
	}))
	defer api.Close()

	for name, c := range map[string]*http.Client{
		"default client":           NewHTTPClient(),
		"caller's client, wrapped": NoRedirects(&http.Client{}),
	} {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, api.URL, nil)
			require.NoError(t, err)
			req.Header.Set("x-api-key", "secret")
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusFound, resp.StatusCode, "the redirect is returned, not followed")
			assert.False(t, leaked, "the request never reached the redirect target")
		})
	}
}

func TestNoRedirectsDoesNotChangeTheCallersClient(t *testing.T) {
	mine := &http.Client{}
	_ = NoRedirects(mine)
	assert.Nil(t, mine.CheckRedirect)
}

func TestReadResponseDrainsABoundedRemainder(t *testing.T) {
	// Over the limit by less than MaxDrain: read to the end, so net/http can reuse the connection.
	over := strings.NewReader(strings.Repeat("x", MaxBodySize+MaxDrain/2))
	_, err := ReadResponse(&http.Response{Body: io.NopCloser(over)})
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Zero(t, over.Len(), "a body just over the limit is drained")

	// Far over: only MaxDrain more is read, then the body is closed with the rest unread.
	far := strings.NewReader(strings.Repeat("x", MaxBodySize+3*MaxDrain))
	_, err = ReadResponse(&http.Response{Body: io.NopCloser(far)})
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Equal(t, 3*MaxDrain-1-MaxDrain, far.Len(), "at most MaxDrain is drained past the limit")
}

func TestClientForBoundsEveryAttempt(t *testing.T) {
	assert.Equal(t, DefaultRequestTimeout, ClientFor(nil, 0).Timeout, "the default client")
	assert.Equal(t, 5*time.Second, ClientFor(nil, 5*time.Second).Timeout)
	mine := &http.Client{}
	assert.Equal(t, 5*time.Second, ClientFor(mine, 5*time.Second).Timeout, "a caller's client without a timeout gets one")
	assert.Zero(t, mine.Timeout, "the caller's client is not changed")
	assert.Equal(t, 2*time.Second, ClientFor(&http.Client{Timeout: 2 * time.Second}, 5*time.Second).Timeout, "a shorter timeout of the caller's stays")
	assert.Equal(t, 5*time.Second, ClientFor(&http.Client{Timeout: time.Hour}, 5*time.Second).Timeout, "a longer one is cut")
}
