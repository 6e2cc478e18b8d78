package dintero_test

// Benchmarks of the Dintero client against hand-written net/http + encoding/json baselines doing
// the same job against the same local server, in the same run. See BENCHMARKS.md for how to run
// them and the results; the sub-benchmark names (impl=sdk, impl=baseline) let benchstat pair them:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./dintero > bench.txt
//	benchstat -col /impl bench.txt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	paysession "github.com/paysession/paysession-go"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysession/paysession-go/dintero"
)

const (
	// benchPath mounts the fake API under a path, like the real base URL's /v1.
	benchPath  = "/base/v1"
	benchToken = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.bench-access-token.c2lnbmF0dXJl"
	benchUA    = "paysession-go/" + paysession.Version
	// benchMaxBody is the body limit the SDK reads through (httpx.MaxBodySize, 8 MiB); the
	// baseline reads through the same limit.
	benchMaxBody = 8 << 20
	benchTotal   = 10000 // sessions in the list the server pages through
	benchPage    = 100   // the page size Sessions asks for
)

// benchSessionJSON renders a realistic session as Dintero returns it from GET /sessions/{id}:
// three order lines, a shipping option, both addresses, a customer, a payment configuration,
// metadata and the event history of an authorized session. It is about 3.5 KB, like real ones.
func benchSessionJSON(n int) []byte {
	id := benchSessionID(n)
	ts := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).Add(-time.Duration(n) * time.Minute)
	at := func(d time.Duration) string { return ts.Add(d).Format(time.RFC3339Nano) }
	ref := fmt.Sprintf("order-%06d", n)
	addr := `{"first_name":"Kari","last_name":"Nordmann","address_line":"Storgata 1","address_line_2":"H0301",` +
		`"postal_code":"0155","postal_place":"Oslo","country":"NO","email":"kari.nordmann@example.no","phone_number":"+4799999999"}`
	event := func(name string, d time.Duration, details string) string {
		s := fmt.Sprintf(`{"id":"e%06d-%s","name":%q,"created_at":%q,"request_id":"req-%06d-%d"`, n, strings.ToLower(name), name, at(d), n, d/time.Second)
		if details != "" {
			s += `,"details":` + details
		}
		return s + "}"
	}
	s := `{"id":"` + id + `",` +
		`"created_at":"` + at(0) + `","updated_at":"` + at(95*time.Second) + `","expires_at":"` + at(24*time.Hour) + `",` +
		`"transaction_id":"T12345678.4VfSsD9Jq8tYkE5nQfRZa` + strconv.Itoa(n%10) + `",` +
		`"customer_ip":"203.0.113.42","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",` +
		`"url":{"return_url":"https://shop.example/checkout/return?order=` + ref + `","callback_url":"https://shop.example/api/dintero/callback?method=POST&order=` + ref + `","merchant_terms_url":"https://shop.example/terms"},` +
		`"customer":{"customer_id":"cust-` + strconv.Itoa(n) + `","email":"kari.nordmann@example.no","phone_number":"+4799999999"},` +
		`"order":{"amount":52900,"currency":"NOK","merchant_reference":"` + ref + `","merchant_reference_2":"web","vat_amount":10580,` +
		`"shipping_address":` + addr + `,"billing_address":` + addr + `,` +
		`"items":[` +
		`{"id":"sku-1001","line_id":"1","type":"physical","description":"Merino wool sweater, navy, M","quantity":1,"amount":39900,"vat":25,"vat_amount":7980,"unit_weight":0.45,"thumbnail_url":"https://cdn.shop.example/img/sku-1001.jpg","eligible_for_discount":true},` +
		`{"id":"sku-2002","line_id":"2","type":"physical","description":"Wool socks, 2-pack","quantity":2,"amount":9000,"vat":25,"vat_amount":1800,"unit_weight":0.1,"thumbnail_url":"https://cdn.shop.example/img/sku-2002.jpg","eligible_for_discount":true},` +
		`{"id":"gift-wrap","line_id":"3","type":"service","description":"Gift wrap","quantity":1,"amount":4000,"vat":25,"vat_amount":800}` +
		`],` +
		`"shipping_option":{"id":"posten-servicepakke","line_id":"posten-servicepakke-1","amount":0,"vat":25,"vat_amount":0,"operator":"Posten","operator_product_id":"3067","title":"Servicepakke","description":"Pick up at your nearest post office","delivery_method":"pick_up"}` +
		`},` +
		`"configuration":{"auto_capture":false,"default_payment_type":"vipps","payex":{"creditcard":{"enabled":true}},"vipps":{"enabled":true},` +
		`"merchant":{"id":"T12345678","name":"Example Shop AS","logo_url":"https://cdn.shop.example/logo.png"}},` +
		`"metadata":{"shop_session":"sess-` + strconv.Itoa(n) + `","campaign":"black-friday","cart_weight":0.65},` +
		`"events":[` +
		event("INITIATED", 0, "") + "," +
		event("SET_SHIPPING_ADDRESS", 40*time.Second, "") + "," +
		event("SET_SHIPPING_OPTION", 55*time.Second, "") + "," +
		event("PAY_LOCK_START", 70*time.Second, `{"payment_product_type":"vipps"}`) + "," +
		event("AUTHORIZED", 90*time.Second, `{"amount":52900,"payment_product_type":"vipps"}`) + "," +
		event("AUTH_CALLBACK_SENT", 95*time.Second, "") +
		`]}`
	return []byte(s)
}

func benchSessionID(n int) string { return fmt.Sprintf("T12345678.bench%06d", n) }

// benchCreateRequest is a realistic CreateSession body: the order of benchSessionJSON.
func benchCreateRequest() dintero.SessionCreateRequest {
	addr := &dintero.OrderAddress{
		FirstName: dintero.Ptr("Kari"), LastName: dintero.Ptr("Nordmann"), AddressLine: dintero.Ptr("Storgata 1"),
		PostalCode: dintero.Ptr("0155"), PostalPlace: dintero.Ptr("Oslo"), Country: dintero.Ptr("NO"),
		Email: dintero.Ptr("kari.nordmann@example.no"), PhoneNumber: dintero.Ptr("+4799999999"),
	}
	item := func(id, line, desc string, qty float64, amount int64) dintero.OrderItem {
		return dintero.OrderItem{
			ID: dintero.Ptr(id), LineID: dintero.Ptr(line), Description: dintero.Ptr(desc),
			Type: dintero.Ptr(dintero.OrderItemTypePhysical), Quantity: dintero.Ptr(qty),
			Amount: dintero.Ptr(amount), VAT: dintero.Ptr(25.0), VATAmount: dintero.Ptr(amount / 5),
			ThumbnailURL: dintero.Ptr("https://cdn.shop.example/img/" + id + ".jpg"),
		}
	}
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{
			ReturnURL:        "https://shop.example/checkout/return?order=order-000001",
			CallbackURL:      dintero.Ptr("https://shop.example/api/dintero/callback?method=POST&order=order-000001"),
			MerchantTermsURL: dintero.Ptr("https://shop.example/terms"),
		},
		Customer: &dintero.SessionCustomer{Email: dintero.Ptr("kari.nordmann@example.no"), PhoneNumber: dintero.Ptr("+4799999999")},
		Order: dintero.Order{
			Amount: 52900, Currency: "NOK", MerchantReference: "order-000001", VATAmount: dintero.Ptr(int64(10580)),
			ShippingAddress: addr, BillingAddress: addr,
			Items: []dintero.OrderItem{
				item("sku-1001", "1", "Merino wool sweater, navy, M", 1, 39900),
				item("sku-2002", "2", "Wool socks, 2-pack", 2, 9000),
				item("gift-wrap", "3", "Gift wrap", 1, 4000),
			},
			ShippingOption: &dintero.ShippingOption{
				ID: "posten-servicepakke", LineID: "posten-servicepakke-1", Amount: 0, Operator: "Posten", Title: "Servicepakke",
				Description: dintero.Ptr("Pick up at your nearest post office"),
			},
		},
		Configuration: dintero.SessionConfiguration{
			AutoCapture: dintero.Ptr(false),
			Vipps:       &dintero.VippsConfiguration{Enabled: true},
			Payex:       &dintero.PayExConfiguration{Creditcard: &dintero.PayExCreditcardConfiguration{Enabled: true}},
		},
		Metadata: dintero.Metadata{"shop_session": "sess-1", "campaign": "black-friday"},
	}
}

// benchCreated is the 200 answer of POST /sessions (without include_session).
var benchCreated = []byte(`{"id":"T12345678.4VfSpqnprujVvsa8sHhXjf","url":"https://checkout.dintero.com/v1/view/T12345678.4VfSpqnprujVvsa8sHhXjf"}`)

// benchData is the server's pre-built list of sessions, newest first, shared by every server.
type benchData struct {
	sessions [][]byte       // the JSON of each session
	index    map[string]int // id → position
}

var loadBenchData = sync.OnceValue(func() *benchData {
	d := &benchData{sessions: make([][]byte, benchTotal), index: make(map[string]int, benchTotal)}
	for i := range d.sessions {
		d.sessions[i] = benchSessionJSON(i)
		d.index[benchSessionID(i)] = i
	}
	return d
})

// benchServer is the local Dintero (benchHandler) on a fresh httptest server.
func benchServer(tb testing.TB, total int) *httptest.Server {
	tb.Helper()
	srv := httptest.NewServer(benchHandler(total))
	tb.Cleanup(srv.Close)
	return srv
}

// benchHandler answers GET /sessions/{id}, POST /sessions and GET /sessions paged by limit and
// starting_after over the first total sessions of benchData. Everything it sends is canned; it
// reads and discards request bodies.
func benchHandler(total int) http.Handler {
	d := loadBenchData()
	single := d.sessions[1]
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+benchPath+"/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		benchWrite(w, http.StatusOK, single)
	})
	mux.HandleFunc("POST "+benchPath+"/sessions", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		benchWrite(w, http.StatusOK, benchCreated)
	})
	mux.HandleFunc("GET "+benchPath+"/sessions", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit < 1 || limit > 100 {
			limit = 10
		}
		start := 0
		if after := q.Get("starting_after"); after != "" {
			i, ok := d.index[after]
			if !ok || i >= total {
				benchWrite(w, http.StatusBadRequest, []byte(`{"error":{"code":"BAD_REQUEST","message":"unknown starting_after"}}`))
				return
			}
			start = i + 1
		}
		page := d.sessions[start:min(start+limit, total)]
		n := 2 + max(len(page)-1, 0)
		for _, s := range page {
			n += len(s)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "[")
		for i, s := range page {
			if i > 0 {
				_, _ = io.WriteString(w, ",")
			}
			_, _ = w.Write(s)
		}
		_, _ = io.WriteString(w, "]")
	})
	return mux
}

func benchWrite(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// benchHTTPClient is the *http.Client both implementations use: a 60 s timeout per request (as
// the SDK's default client has) over a transport of its own, so neither inherits the other's
// idle connections.
func benchHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

func benchSDK(tb testing.TB, srv *httptest.Server) *dintero.Client {
	tb.Helper()
	c, err := dintero.New(dintero.WithBaseURL(srv.URL+benchPath), dintero.WithAccessToken(benchToken),
		dintero.WithHTTPClient(benchHTTPClient()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// benchBaseline is the hand-written client: what a careful integration would write with
// net/http and encoding/json, decoding into the same generated types the SDK returns. It sets
// the same headers, reads every body through the same 8 MiB limit, closes every body, does not
// follow redirects and turns a non-2xx answer into an error carrying the status and the body.
type benchBaseline struct {
	hc   *http.Client
	base string
}

func newBenchBaseline(srv *httptest.Server) *benchBaseline {
	hc := benchHTTPClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &benchBaseline{hc: hc, base: srv.URL + benchPath}
}

type benchBaselineError struct {
	status int
	body   []byte
}

func (e *benchBaselineError) Error() string {
	return fmt.Sprintf("dintero: HTTP %d: %.120s", e.status, e.body)
}

func (b *benchBaseline) do(ctx context.Context, method, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", benchUA)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, benchMaxBody+1))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &benchBaselineError{resp.StatusCode, data}
	}
	if err != nil {
		return err
	}
	if len(data) > benchMaxBody {
		return errors.New("dintero: response body too large")
	}
	return json.Unmarshal(data, out)
}

func (b *benchBaseline) getSession(ctx context.Context, id string) (*dintero.Session, error) {
	var s dintero.Session
	if err := b.do(ctx, http.MethodGet, "/sessions/"+url.PathEscape(id), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func (b *benchBaseline) createSession(ctx context.Context, req dintero.SessionCreateRequest) (*dintero.SessionCreated, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out dintero.SessionCreated
	if err := b.do(ctx, http.MethodPost, "/sessions", body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (b *benchBaseline) listSessions(ctx context.Context, limit int, startingAfter string) ([]dintero.Session, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if startingAfter != "" {
		q.Set("starting_after", startingAfter)
	}
	var out []dintero.Session
	if err := b.do(ctx, http.MethodGet, "/sessions?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// walk calls fn for every session, page by page (starting_after = the last id of the page
// before), holding one page at a time, and stops after a short page.
func (b *benchBaseline) walk(ctx context.Context, fn func(*dintero.Session)) error {
	after := ""
	for {
		page, err := b.listSessions(ctx, benchPage, after)
		if err != nil {
			return err
		}
		for i := range page {
			fn(&page[i])
		}
		if len(page) < benchPage {
			return nil
		}
		after = *page[len(page)-1].ID
	}
}

var benchSink any

func BenchmarkGetSession(b *testing.B) {
	srv := benchServer(b, benchTotal)
	ctx := context.Background()
	id := benchSessionID(1)
	b.Run("impl=sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.GetSession(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = s
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(srv)
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.getSession(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = s
		}
	})
}

func BenchmarkCreateSession(b *testing.B) {
	srv := benchServer(b, benchTotal)
	ctx := context.Background()
	req := benchCreateRequest()
	b.Run("impl=sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.CreateSession(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = s
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(srv)
		b.ReportAllocs()
		for b.Loop() {
			s, err := c.createSession(ctx, req)
			if err != nil {
				b.Fatal(err)
			}
			benchSink = s
		}
	})
}

// BenchmarkListSessions is one page of 100 sessions.
func BenchmarkListSessions(b *testing.B) {
	srv := benchServer(b, benchTotal)
	ctx := context.Background()
	b.Run("impl=sdk", func(b *testing.B) {
		c := benchSDK(b, srv)
		b.ReportAllocs()
		for b.Loop() {
			page, err := c.ListSessions(ctx, dintero.Limit(benchPage))
			if err != nil || len(page) != benchPage {
				b.Fatal(len(page), err)
			}
			benchSink = page
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		c := newBenchBaseline(srv)
		b.ReportAllocs()
		for b.Loop() {
			page, err := c.listSessions(ctx, benchPage, "")
			if err != nil || len(page) != benchPage {
				b.Fatal(len(page), err)
			}
			benchSink = page
		}
	})
}

// BenchmarkSessions walks every session of lists of 1,000 and 10,000 in pages of 100; one op is
// one whole walk. B/session and allocs/session should not depend on the total (one page is
// held at a time); TestSessionsMemoryIndependentOfTotal checks the live heap.
func BenchmarkSessions(b *testing.B) {
	ctx := context.Background()
	for _, total := range []int{1000, benchTotal} {
		srv := benchServer(b, total)
		b.Run(fmt.Sprintf("total=%d/impl=sdk", total), func(b *testing.B) {
			c := benchSDK(b, srv)
			b.ReportAllocs()
			m := measureBenchPerSession(b, total)
			for b.Loop() {
				n := 0
				for s, err := range c.Sessions(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					benchSink = s.ID
					n++
				}
				if n != total {
					b.Fatalf("walked %d sessions, want %d", n, total)
				}
			}
			m.report()
		})
		b.Run(fmt.Sprintf("total=%d/impl=baseline", total), func(b *testing.B) {
			c := newBenchBaseline(srv)
			b.ReportAllocs()
			m := measureBenchPerSession(b, total)
			for b.Loop() {
				n := 0
				err := c.walk(ctx, func(s *dintero.Session) {
					benchSink = s.ID
					n++
				})
				if err != nil {
					b.Fatal(err)
				}
				if n != total {
					b.Fatalf("walked %d sessions, want %d", n, total)
				}
			}
			m.report()
		})
	}
}

// benchPerSession measures what a benchmark allocates per session walked, like -benchmem does (from
// the runtime's counters, so the server's side is included, for both implementations alike).
type benchPerSession struct {
	b     *testing.B
	total int
	start runtime.MemStats
}

func measureBenchPerSession(b *testing.B, total int) *benchPerSession {
	p := &benchPerSession{b: b, total: total}
	runtime.ReadMemStats(&p.start)
	return p
}

// report adds B/session and allocs/session; call it after the b.Loop loop.
func (p *benchPerSession) report() {
	var end runtime.MemStats
	runtime.ReadMemStats(&end)
	n := float64(p.b.N) * float64(p.total)
	p.b.ReportMetric(float64(end.TotalAlloc-p.start.TotalAlloc)/n, "B/session")
	p.b.ReportMetric(float64(end.Mallocs-p.start.Mallocs)/n, "allocs/session")
}

// TestBenchBaselineDoesTheSameJob keeps the comparison honest: for each benchmarked call the SDK
// and the baseline send the same method, path, query, body and headers that matter, and decode
// the same value.
func TestBenchBaselineDoesTheSameJob(t *testing.T) {
	type seen struct {
		Method, Path, Query, Body                         string
		Authorization, Accept, ContentType, UA, APIKeyHdr string
	}
	var (
		mu   sync.Mutex
		last seen
	)
	h := benchHandler(250)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{r.Method, r.URL.Path, r.URL.RawQuery, string(body),
			r.Header.Get("Authorization"), r.Header.Get("Accept"), r.Header.Get("Content-Type"), r.Header.Get("User-Agent"), r.Header.Get("X-Api-Key")}
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ctx := context.Background()
	sdk, base := benchSDK(t, srv), newBenchBaseline(srv)
	lastSeen := func() seen { mu.Lock(); defer mu.Unlock(); return last }

	compare := func(name string, sdkCall, baseCall func() (any, error)) {
		t.Helper()
		got, err := sdkCall()
		if err != nil {
			t.Fatalf("%s sdk: %v", name, err)
		}
		sdkSeen := lastSeen()
		want, err := baseCall()
		if err != nil {
			t.Fatalf("%s baseline: %v", name, err)
		}
		if baseSeen := lastSeen(); sdkSeen != baseSeen {
			t.Errorf("%s: requests differ\n sdk      %+v\n baseline %+v", name, sdkSeen, baseSeen)
		}
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		if !bytes.Equal(gj, wj) {
			t.Errorf("%s: results differ\n sdk      %s\n baseline %s", name, gj, wj)
		}
	}
	id := benchSessionID(1)
	compare("GetSession",
		func() (any, error) { return sdk.GetSession(ctx, id) },
		func() (any, error) { return base.getSession(ctx, id) })
	req := benchCreateRequest()
	compare("CreateSession",
		func() (any, error) { return sdk.CreateSession(ctx, req) },
		func() (any, error) { return base.createSession(ctx, req) })
	compare("ListSessions",
		func() (any, error) {
			return sdk.ListSessions(ctx, dintero.Limit(benchPage), dintero.StartingAfter(benchSessionID(99)))
		},
		func() (any, error) { return base.listSessions(ctx, benchPage, benchSessionID(99)) })

	var sdkIDs, baseIDs []string
	for s, err := range sdk.Sessions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		sdkIDs = append(sdkIDs, *s.ID)
	}
	if err := base.walk(ctx, func(s *dintero.Session) { baseIDs = append(baseIDs, *s.ID) }); err != nil {
		t.Fatal(err)
	}
	if len(sdkIDs) != 250 || strings.Join(sdkIDs, ",") != strings.Join(baseIDs, ",") {
		t.Errorf("walks differ: sdk %d sessions, baseline %d", len(sdkIDs), len(baseIDs))
	}
}
