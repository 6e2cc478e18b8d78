package dintero_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// findClock is the fake's clock in the FindCreatedSession tests: sessions get the created_at the
// test sets.
type findClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *findClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *findClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var findBase = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

func findSetup(t *testing.T) (*dinterotest.Server, *dintero.Client, *findClock) {
	t.Helper()
	clock := &findClock{now: findBase}
	srv, c := e2eSetup(t, dinterotest.WithClock(clock.Now))
	return srv, c, clock
}

func createAt(t *testing.T, c *dintero.Client, clock *findClock, at time.Time, ref string) string {
	t.Helper()
	clock.Set(at)
	created, err := c.CreateSession(context.Background(), e2eOrder(ref, 10000))
	require.NoError(t, err)
	return *created.ID
}

func TestFindCreatedSessionExactReference(t *testing.T) {
	_, c, clock := findSetup(t)
	// The search is a case-insensitive substring match: all of these are listed for "order-1".
	createAt(t, c, clock, findBase.Add(1*time.Second), "order-10")
	want := createAt(t, c, clock, findBase.Add(2*time.Second), "order-1")
	createAt(t, c, clock, findBase.Add(3*time.Second), "ORDER-1")
	createAt(t, c, clock, findBase.Add(4*time.Second), "xorder-1")
	createAt(t, c, clock, findBase.Add(5*time.Second), "order-11")

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	require.NoError(t, err)
	assert.Equal(t, want, *s.ID)
	assert.Equal(t, "order-1", s.Order.MerchantReference)
}

func TestFindCreatedSessionNone(t *testing.T) {
	_, c, clock := findSetup(t)
	createAt(t, c, clock, findBase, "order-10")

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	require.ErrorIs(t, err, dintero.ErrSessionNotFound)
	assert.Nil(t, s)
	assert.Contains(t, err.Error(), `"order-1"`)
}

func TestFindCreatedSessionSeveral(t *testing.T) {
	_, c, clock := findSetup(t)
	first := createAt(t, c, clock, findBase.Add(time.Second), "order-1")
	second := createAt(t, c, clock, findBase.Add(2*time.Second), "order-1")

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	assert.Nil(t, s)
	var multi *dintero.MultipleSessionsError
	require.ErrorAs(t, err, &multi)
	assert.Equal(t, "order-1", multi.MerchantReference)
	require.Len(t, multi.Sessions, 2)
	assert.Equal(t, second, *multi.Sessions[0].ID, "newest first")
	assert.Equal(t, first, *multi.Sessions[1].ID)
	assert.Contains(t, err.Error(), `2 sessions have merchant reference "order-1"`)
}

func TestFindCreatedSessionOnlySinceCreatedFrom(t *testing.T) {
	_, c, clock := findSetup(t)
	createAt(t, c, clock, findBase.Add(-time.Hour), "order-1") // an earlier attempt for the same order
	want := createAt(t, c, clock, findBase.Add(time.Second), "order-1")

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	require.NoError(t, err)
	assert.Equal(t, want, *s.ID)

	s, err = c.FindCreatedSession(context.Background(), "order-1", findBase.Add(-2*time.Hour))
	assert.Nil(t, s)
	var multi *dintero.MultipleSessionsError
	require.ErrorAs(t, err, &multi, "both, with an earlier createdFrom")
}

// TestFindCreatedSessionPages: the session is found on a later page when the fuzzy search lists
// more than a page of other sessions first.
func TestFindCreatedSessionPages(t *testing.T) {
	srv, c, clock := findSetup(t)
	want := createAt(t, c, clock, findBase.Add(time.Second), "order-1")
	for i := range 150 { // newer, so listed first
		at := findBase.Add(time.Minute + time.Duration(i)*time.Second)
		srv.AddSession(dintero.Session{CreatedAt: &at, URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: fmt.Sprintf("order-1%03d", i)}})
	}
	before := srv.Calls(dinterotest.OpListSessions)

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	require.NoError(t, err)
	assert.Equal(t, want, *s.ID)
	assert.Equal(t, 2, srv.Calls(dinterotest.OpListSessions)-before, "two pages of 100")
}

// TestFindCreatedSessionBounded: a search that lists more than 1000 sessions is refused after
// at most 11 pages, however many the server has.
func TestFindCreatedSessionBounded(t *testing.T) {
	srv, c, _ := findSetup(t)
	for i := range 1001 {
		at := findBase.Add(time.Duration(i) * time.Millisecond)
		srv.AddSession(dintero.Session{CreatedAt: &at, URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: fmt.Sprintf("order-1-%d", i)}})
	}
	before := srv.Calls(dinterotest.OpListSessions)

	s, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	assert.Nil(t, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 1000 sessions match")
	assert.LessOrEqual(t, srv.Calls(dinterotest.OpListSessions)-before, 11)
}

func TestFindCreatedSessionRefusesBadInput(t *testing.T) {
	srv, c, _ := findSetup(t)
	_, err := c.FindCreatedSession(context.Background(), "", findBase)
	assert.ErrorIs(t, err, dintero.ErrInvalidInput)
	_, err = c.FindCreatedSession(context.Background(), "order-1", time.Time{})
	assert.ErrorIs(t, err, dintero.ErrInvalidInput)
	assert.Zero(t, srv.Calls(dinterotest.OpListSessions), "nothing was sent")
}

func TestFindCreatedSessionListError(t *testing.T) {
	srv, c, _ := findSetup(t)
	srv.Inject(dinterotest.OpListSessions, dinterotest.Fault{Status: http.StatusInternalServerError})

	_, err := c.FindCreatedSession(context.Background(), "order-1", findBase)
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.NotErrorIs(t, err, dintero.ErrSessionNotFound, "a failed search is not an empty one")
}

// TestFindCreatedSessionQueryAndOwnFilter: the list call asks for what FindCreatedSession needs,
// and a session created before createdFrom is not taken even when the server ignores the filter.
func TestFindCreatedSessionQueryAndOwnFilter(t *testing.T) {
	var query string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[
			{"id": "T12345678.new", "created_at": "2026-05-04T12:00:00Z", "order": {"amount": 100, "currency": "NOK", "merchant_reference": "order 1"}},
			{"id": "T12345678.old", "created_at": "2026-05-04T11:59:59Z", "order": {"amount": 100, "currency": "NOK", "merchant_reference": "order 1"}}
		]`)
	}))
	defer api.Close()
	c, err := dintero.New(dintero.WithAPIKey("key"), dintero.WithBaseURL(api.URL+"/v1"))
	require.NoError(t, err)

	s, err := c.FindCreatedSession(context.Background(), "order 1", findBase)
	require.NoError(t, err)
	assert.Equal(t, "T12345678.new", *s.ID, "the one created at createdFrom; the older one is left out")
	for _, want := range []string{"search=order+1", "limit=100", "created_at.gte=2026-05-04T12%3A00%3A00Z"} {
		assert.Contains(t, query, want)
	}
}

// answerLosingTransport sends every request, but loses the answer to a create: the session is
// made, the client does not learn it.
type answerLosingTransport struct{ next http.RoundTripper }

func (t answerLosingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/sessions") {
		return resp, err
	}
	resp.Body.Close()
	return nil, errors.New("read: connection reset by peer")
}

// TestFindCreatedSessionAfterLostAnswer: the flow FindCreatedSession is for. A create whose
// answer is lost fails, is not retried (that would make a second session), and the session it
// made is found.
func TestFindCreatedSessionAfterLostAnswer(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c, err := dintero.New(
		dintero.WithAPIKey(dinterotest.DefaultAPIKey),
		dintero.WithBaseURL(srv.URL),
		dintero.WithHTTPClient(&http.Client{Transport: answerLosingTransport{srv.HTTPServer().Client().Transport}}),
	)
	require.NoError(t, err)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)

	created, err := c.CreateSession(ctx, e2eOrder("order-lost-answer", 10000))
	require.ErrorIs(t, err, dintero.ErrOutcomeUnknown)
	assert.Nil(t, created)
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateSession), "not retried")

	s, err := c.FindCreatedSession(ctx, "order-lost-answer", start)
	require.NoError(t, err)
	assert.Equal(t, "order-lost-answer", s.Order.MerchantReference)
	assert.Equal(t, dintero.StatusCreated, dintero.StatusOf(s, time.Now()))
}
