package dintero_test

// One Client shared by many goroutines, as the package documents it may be, against the fake:
// run with -race. Goroutines report through channels and counters; the server's call counts
// are compared with what the goroutines did.

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// concOrder is an order whose merchant reference no other goroutine's contains.
func concOrder(i int) dintero.SessionCreateRequest {
	amount := int64(1000 + i)
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: amount, Currency: "NOK", MerchantReference: fmt.Sprintf("conc-%03d-ref", i), Items: []dintero.OrderItem{{
			LineID: dintero.Ptr("1"), Description: dintero.Ptr("Item"), Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(amount), VAT: dintero.Ptr(25.0),
		}}},
		Configuration: dintero.SessionConfiguration{},
	}
}

// concLifecycle runs one session through every call and returns its id, or the first problem.
func concLifecycle(ctx context.Context, c *dintero.Client, i int) (string, error) {
	req := concOrder(i)
	created, err := c.CreateSession(ctx, req, dintero.IncludeSession())
	if err != nil {
		return "", fmt.Errorf("create: %w", err)
	}
	id := *created.ID
	if created.Session == nil || created.Session.Order.MerchantReference != req.Order.MerchantReference {
		return id, fmt.Errorf("create: answered session %+v", created.Session)
	}
	got, err := c.GetSession(ctx, id)
	if err != nil {
		return id, fmt.Errorf("get: %w", err)
	}
	if got.Order.MerchantReference != req.Order.MerchantReference || got.Order.Amount != req.Order.Amount {
		return id, fmt.Errorf("get: another session's order: %s %d", got.Order.MerchantReference, got.Order.Amount)
	}
	newAmount := int64(5000 + i)
	updated, err := c.UpdateSession(ctx, id, dintero.SessionUpdateRequest{Order: dintero.OrderUpdate{
		Amount: &newAmount,
		Items: []dintero.OrderItem{{LineID: dintero.Ptr("1"), Description: dintero.Ptr("Item"), Quantity: dintero.Ptr(1.0),
			Amount: &newAmount, VAT: dintero.Ptr(25.0)}},
	}}, dintero.UpdateWithoutLock())
	if err != nil {
		return id, fmt.Errorf("update: %w", err)
	}
	if updated.Order.Amount != newAmount || updated.Order.MerchantReference != req.Order.MerchantReference {
		return id, fmt.Errorf("update: answered %s %d", updated.Order.MerchantReference, updated.Order.Amount)
	}
	page, err := c.ListSessions(ctx, dintero.Search(req.Order.MerchantReference), dintero.Limit(10))
	if err != nil {
		return id, fmt.Errorf("list: %w", err)
	}
	if len(page) != 1 || *page[0].ID != id {
		return id, fmt.Errorf("list: %d sessions for %s", len(page), req.Order.MerchantReference)
	}
	cancelled, err := c.CancelSession(ctx, id)
	if err != nil {
		return id, fmt.Errorf("cancel: %w", err)
	}
	if cancelled.CancelledAt == nil || *cancelled.ID != id {
		return id, fmt.Errorf("cancel: answered %+v", cancelled)
	}
	return id, nil
}

// TestConcurrentMixedCalls: 64 goroutines share one client and each runs a session through
// create, get, update, list and cancel, all starting at once.
func TestConcurrentMixedCalls(t *testing.T) {
	const n = 64
	srv := dinterotest.NewServer()
	t.Cleanup(srv.Close)
	c, err := dintero.New(
		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
		dintero.WithBaseURL(srv.URL),
	)
	require.NoError(t, err)

	type result struct {
		i   int
		id  string
		err error
	}
	start := make(chan struct{})
	results := make(chan result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			id, err := concLifecycle(context.Background(), c, i)
			results <- result{i, id, err}
		})
	}
	close(start)
	wg.Wait()
	close(results)

	ids := map[string]int{}
	for r := range results {
		if !assert.NoError(t, r.err, "goroutine %d", r.i) {
			continue
		}
		if prev, dup := ids[r.id]; dup {
			t.Errorf("goroutines %d and %d got the same session %s", prev, r.i, r.id)
		}
		ids[r.id] = r.i
	}
	require.Len(t, ids, n)
	for id, i := range ids {
		s, ok := srv.Session(id)
		require.True(t, ok, id)
		assert.Equal(t, fmt.Sprintf("conc-%03d-ref", i), s.Order.MerchantReference, "the store holds each goroutine's own order")
		assert.Equal(t, int64(5000+i), s.Order.Amount)
		assert.NotNil(t, s.CancelledAt)
	}
	for _, op := range []dinterotest.Operation{
		dinterotest.OpCreateSession, dinterotest.OpGetSession, dinterotest.OpUpdateSession,
		dinterotest.OpListSessions, dinterotest.OpCancelSession,
	} {
		assert.Equal(t, n, srv.Calls(op), "%s: one request per goroutine, no retries", op)
	}
	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateAccessToken), "one token for every goroutine")
}

// concGate holds the token requests of a client until released, so that every caller of a
// cold client arrives while the first token fetch is still in flight.
type concGate struct {
	next    http.RoundTripper
	release chan struct{}
	held    atomic.Int32
}

func (g *concGate) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/auth/token") {
		g.held.Add(1)
		select {
		case <-g.release:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return g.next.RoundTrip(r)
}

// TestColdClientFetchesOneToken: 100 calls of every kind hit a client that has no token yet.
// The token request is held until all 100 goroutines have started their calls, so they all
// need the token while it is being fetched; exactly one token request reaches the server, and
// every call then succeeds with that token.
func TestColdClientFetchesOneToken(t *testing.T) {
	const n = 100
	srv := dinterotest.NewServer()
	t.Cleanup(srv.Close)
	gate := &concGate{next: http.DefaultTransport.(*http.Transport).Clone(), release: make(chan struct{})}
	c, err := dintero.New(
		dintero.WithClientCredentials(dinterotest.DefaultAccountID, dinterotest.DefaultClientID, dinterotest.DefaultClientSecret),
		dintero.WithBaseURL(srv.URL),
		dintero.WithHTTPClient(&http.Client{Transport: gate}),
	)
	require.NoError(t, err)
	// Sessions for the reads, stored directly (not through the client, which must stay cold).
	ids := make([]string, n)
	for i := range ids {
		ids[i] = *srv.AddSession(dintero.Session{
			Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: fmt.Sprintf("cold-%03d-ref", i)},
			URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		}).ID
	}

	ctx := context.Background()
	calls := []func(i int) error{
		func(i int) error {
			s, err := c.GetSession(ctx, ids[i])
			if err == nil && s.Order.MerchantReference != fmt.Sprintf("cold-%03d-ref", i) {
				err = fmt.Errorf("got session %s", *s.ID)
			}
			return err
		},
		func(i int) error {
			page, err := c.ListSessions(ctx, dintero.Search(fmt.Sprintf("cold-%03d-ref", i)))
			if err == nil && (len(page) != 1 || *page[0].ID != ids[i]) {
				err = fmt.Errorf("list found %d sessions", len(page))
			}
			return err
		},
		func(i int) error {
			s, err := c.CancelSession(ctx, ids[i])
			if err == nil && s.CancelledAt == nil {
				err = fmt.Errorf("not cancelled")
			}
			return err
		},
		func(i int) error {
			created, err := c.CreateSession(ctx, concOrder(1000+i))
			if err == nil && (created.ID == nil || !strings.HasPrefix(*created.ID, dinterotest.DefaultAccountID+".")) {
				err = fmt.Errorf("created %v", created.ID)
			}
			return err
		},
	}
	var started, done sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		started.Add(1)
		done.Go(func() {
			started.Done()
			if err := calls[i%len(calls)](i); err != nil {
				errs <- fmt.Errorf("call %d: %w", i, err)
			}
		})
	}
	started.Wait()
	close(gate.release)
	done.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	assert.Equal(t, 1, srv.Calls(dinterotest.OpCreateAccessToken), "token requests that reached the server")
	assert.EqualValues(t, 1, gate.held.Load(), "token requests the client made")
	assert.Equal(t, n/4, srv.Calls(dinterotest.OpGetSession))
	assert.Equal(t, n/4, srv.Calls(dinterotest.OpListSessions))
	assert.Equal(t, n/4, srv.Calls(dinterotest.OpCancelSession))
	assert.Equal(t, n/4, srv.Calls(dinterotest.OpCreateSession))
}
