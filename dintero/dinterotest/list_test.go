package dinterotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

// seed adds n sessions one second apart (session i at base+i s, reference "ref-i") and returns
// their ids, oldest first.
func seed(srv *dinterotest.Server, base time.Time, n int) []string {
	ids := make([]string, n)
	for i := range n {
		at := base.Add(time.Duration(i) * time.Second)
		s := srv.AddSession(dintero.Session{
			CreatedAt: &at,
			URL:       dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
			Order:     dintero.Order{Amount: int64(100 + i), Currency: "NOK", MerchantReference: fmt.Sprintf("ref-%d", i)},
		})
		ids[i] = *s.ID
	}
	return ids
}

func ids(sessions []dintero.Session) []string {
	out := make([]string, len(sessions))
	for i, s := range sessions {
		out[i] = *s.ID
	}
	return out
}

// newestFirst returns ids[lo:hi] reversed.
func newestFirst(ids []string, lo, hi int) []string {
	var out []string
	for i := hi - 1; i >= lo; i-- {
		out = append(out, ids[i])
	}
	return out
}

func TestListPaging(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	all := seed(srv, newClock().Now(), 250)
	c := newClient(t, srv, creds)
	ctx := context.Background()

	var pages [][]string
	params := []dintero.ListOption{dintero.Limit(100)}
	for {
		page, err := c.ListSessions(ctx, params...)
		require.NoError(t, err)
		pages = append(pages, ids(page))
		if len(page) < 100 {
			break
		}
		params = []dintero.ListOption{dintero.Limit(100), dintero.StartingAfter(*page[len(page)-1].ID)}
	}
	require.Len(t, pages, 3)
	assert.Equal(t, newestFirst(all, 150, 250), pages[0])
	assert.Equal(t, newestFirst(all, 50, 150), pages[1])
	assert.Equal(t, newestFirst(all, 0, 50), pages[2])

	// The same walk with the client's iterator.
	before := srv.Calls(dinterotest.OpListSessions)
	var walked []string
	for s, err := range c.Sessions(ctx) {
		require.NoError(t, err)
		walked = append(walked, *s.ID)
	}
	assert.Equal(t, newestFirst(all, 0, 250), walked)
	assert.Equal(t, 3, srv.Calls(dinterotest.OpListSessions)-before)

	// Default limit 10.
	page, err := c.ListSessions(ctx)
	require.NoError(t, err)
	assert.Equal(t, newestFirst(all, 240, 250), ids(page))

	// After the oldest: nothing.
	page, err = c.ListSessions(ctx, dintero.StartingAfter(all[0]))
	require.NoError(t, err)
	assert.Empty(t, page)
}

func TestListUnknownCursor(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	c := newClient(t, srv, creds)
	_, err := c.ListSessions(context.Background(), dintero.StartingAfter("T12345678.gone"))
	apiErr := requireAPIError(t, err, http.StatusBadRequest, dinterotest.CodeInvalidRequest)
	assert.Contains(t, apiErr.Message, `starting_after`)
}

func TestListOrderForEqualTimes(t *testing.T) {
	clk := newClock() // never advances: every session has the same created_at
	srv := dinterotest.NewServer(dinterotest.WithClock(clk.Now))
	defer srv.Close()
	c := newClient(t, srv, creds)
	var created []string
	for i := range 5 {
		created = append(created, create(t, c, newSession(fmt.Sprint(i))))
	}
	ctx := context.Background()
	page, err := c.ListSessions(ctx, dintero.Limit(2))
	require.NoError(t, err)
	assert.Equal(t, newestFirst(created, 3, 5), ids(page), "the later created first")
	page, err = c.ListSessions(ctx, dintero.Limit(2), dintero.StartingAfter(*page[1].ID))
	require.NoError(t, err)
	assert.Equal(t, newestFirst(created, 1, 3), ids(page))

	// A seeded older session sorts into its place, not to the top.
	earlier := clk.Now().Add(-time.Minute)
	ret := dintero.SessionURLs{ReturnURL: "https://shop.example/return"}
	old := srv.AddSession(dintero.Session{CreatedAt: &earlier, URL: ret, Order: dintero.Order{Currency: "NOK", MerchantReference: "old"}})
	later := clk.Now().Add(time.Minute)
	newer := srv.AddSession(dintero.Session{CreatedAt: &later, URL: ret, Order: dintero.Order{Currency: "NOK", MerchantReference: "new"}})
	var all []string
	for s, err := range c.Sessions(ctx) {
		require.NoError(t, err)
		all = append(all, *s.ID)
	}
	want := append(append([]string{*newer.ID}, newestFirst(created, 0, 5)...), *old.ID)
	assert.Equal(t, want, all)
}

func TestListFilters(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	base := newClock().Now()
	at := func(i int) *time.Time { t := base.Add(time.Duration(i) * time.Minute); return &t }
	add := func(i int, s dintero.Session) string {
		s.CreatedAt = at(i)
		s.URL = dintero.SessionURLs{ReturnURL: "https://shop.example/return"}
		if s.Order.Currency == "" {
			s.Order.Currency = "NOK"
		}
		return *srv.AddSession(s).ID
	}
	s0 := add(0, dintero.Session{Order: dintero.Order{MerchantReference: "Order-Alpha", Store: &dintero.Store{ID: "oslo"}}})
	s1 := add(1, dintero.Session{Order: dintero.Order{MerchantReference: "order-beta", MerchantReference2: dintero.Ptr("INV-77"), Store: &dintero.Store{ID: "bergen"}}})
	s2 := add(2, dintero.Session{Order: dintero.Order{MerchantReference: "order-gamma", Store: &dintero.Store{ID: "oslo"},
		ShippingAddress: &dintero.OrderAddress{FirstName: dintero.Ptr("Kari"), LastName: dintero.Ptr("Nordmann")}}})
	s3 := add(3, dintero.Session{Order: dintero.Order{MerchantReference: "order-delta"}, Customer: &dintero.SessionCustomer{Email: dintero.Ptr("Ola@Example.com")}})
	tx1, err := srv.CompletePayment(s1)
	require.NoError(t, err)
	tx3, err := srv.CompletePayment(s3)
	require.NoError(t, err)

	c := newClient(t, srv, creds)
	list := func(p []dintero.ListOption) []string {
		t.Helper()
		page, err := c.ListSessions(context.Background(), p...)
		require.NoError(t, err)
		return ids(page)
	}
	for _, tt := range []struct {
		name   string
		params []dintero.ListOption
		want   []string
	}{
		{"no filter", []dintero.ListOption{}, []string{s3, s2, s1, s0}},
		{"one id", []dintero.ListOption{dintero.SessionIDs(s1)}, []string{s1}},
		{"several ids", []dintero.ListOption{dintero.SessionIDs(s0, s2, "T12345678.unknown")}, []string{s2, s0}},
		{"transaction ids", []dintero.ListOption{dintero.TransactionIDs(tx1, tx3)}, []string{s3, s1}},
		{"one transaction id", []dintero.ListOption{dintero.TransactionIDs(tx3)}, []string{s3}},
		{"store id", []dintero.ListOption{dintero.StoreIDs("oslo")}, []string{s2, s0}},
		{"store ids", []dintero.ListOption{dintero.StoreIDs("oslo", "bergen")}, []string{s2, s1, s0}},
		{"search merchant_reference, any case", []dintero.ListOption{dintero.Search("ALPHA")}, []string{s0}},
		{"search substring", []dintero.ListOption{dintero.Search("order-")}, []string{s3, s2, s1, s0}},
		{"search merchant_reference_2", []dintero.ListOption{dintero.Search("inv-77")}, []string{s1}},
		{"search customer name", []dintero.ListOption{dintero.Search("kari nordmann")}, []string{s2}},
		{"search email", []dintero.ListOption{dintero.Search("ola@example")}, []string{s3}},
		{"search id", []dintero.ListOption{dintero.Search(s2[10:])}, []string{s2}},
		{"search nothing", []dintero.ListOption{dintero.Search("zzz")}, []string{}},
		{"created_at.gte inclusive", []dintero.ListOption{dintero.CreatedFrom(*at(2))}, []string{s3, s2}},
		{"created_at.lte inclusive", []dintero.ListOption{dintero.CreatedUntil(*at(1))}, []string{s1, s0}},
		{"created_at range", []dintero.ListOption{dintero.CreatedFrom(*at(1)), dintero.CreatedUntil(*at(2))}, []string{s2, s1}},
		{"empty range", []dintero.ListOption{dintero.CreatedFrom(*at(3)), dintero.CreatedUntil(*at(2))}, []string{}},
		{"filters combine", []dintero.ListOption{dintero.StoreIDs("oslo"), dintero.CreatedFrom(*at(1))}, []string{s2}},
		{"filter and cursor", []dintero.ListOption{dintero.StoreIDs("oslo"), dintero.StartingAfter(s2)}, []string{s0}},
		{"filter and limit", []dintero.ListOption{dintero.Search("order"), dintero.Limit(2)}, []string{s3, s2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, list(tt.params))
		})
	}

	// A time in another zone means the same instant.
	oslo := time.FixedZone("CET", 3600)
	a := do(t, srv, http.MethodGet, "/sessions?created_at.gte="+url.QueryEscape(at(2).In(oslo).Format(time.RFC3339)), "", apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	var got []dintero.Session
	require.NoError(t, json.Unmarshal(a.Body, &got))
	assert.Equal(t, []string{s3, s2}, ids(got))

	// Repeated keys on the wire.
	a = do(t, srv, http.MethodGet, "/sessions?store_id=bergen&store_id=oslo&limit=2", "", apiKey)
	require.Equal(t, http.StatusOK, a.Status, "body %s", a.Body)
	require.NoError(t, json.Unmarshal(a.Body, &got))
	assert.Equal(t, []string{s2, s1}, ids(got))

	// A time without a zone breaks the document's date-time format.
	a = do(t, srv, http.MethodGet, "/sessions?created_at.gte=2025-03-14T09:00:00", "", apiKey)
	require.Equal(t, http.StatusBadRequest, a.Status)
	_, msg := a.errorBody(t)
	assert.Contains(t, msg, `query parameter "created_at.gte"`)
}

// TestListTenThousand walks 10,000 sessions in pages of 100: each page costs a binary search and
// the sessions it returns, not a scan of the store.
func TestListTenThousand(t *testing.T) {
	srv := dinterotest.NewServer()
	defer srv.Close()
	const n = 10000
	all := seed(srv, newClock().Now(), n)
	c := newClient(t, srv, creds)
	i := n
	for s, err := range c.Sessions(context.Background(), dintero.Limit(100)) {
		require.NoError(t, err)
		i--
		if *s.ID != all[i] {
			require.Equal(t, all[i], *s.ID, "session %d of the walk", n-1-i)
		}
	}
	assert.Equal(t, 0, i)
	assert.Equal(t, n/100+1, srv.Calls(dinterotest.OpListSessions), "100 full pages and an empty one")
}
