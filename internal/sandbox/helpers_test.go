package sandbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/sandbox"
)

// The credentials of the sandboxes the tests start.
var testConfig = sandbox.Config{
	DinteroAddr:     "127.0.0.1:0",
	CyberSourceAddr: "127.0.0.1:0",
	Dintero: sandbox.DinteroCredentials{
		AccountID: "T12345678", ClientID: "sandbox-client", ClientSecret: "sandbox-client-secret",
		CallbackSecret: "sandbox-callback-secret",
	},
	CyberSource: sandbox.CyberSourceCredentials{
		MerchantID: "sandbox_merchant", KeyID: "4b1f8a52-6c3d-4e7f-9a0b-1c2d3e4f5a6b",
		SharedSecret: "c2FuZGJveCBzaGFyZWQgc2VjcmV0LCAzMiBieXRlcyE=", // 32 bytes
	},
}

// start starts a sandbox with cfg (testConfig when zero) and stops it when the test ends.
func start(t testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	t.Helper()
	if cfg.DinteroAddr == "" {
		cfg = testConfig
	}
	cfg.Log = testLog{t}
	sb, err := sandbox.Start(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, sb.Shutdown(ctx))
	})
	return sb
}

// testLog sends the sandbox's log to the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// client is a dintero client of sb, without retries so that an injected fault shows.
func client(t testing.TB, sb *sandbox.Sandbox) *dintero.Client {
	t.Helper()
	d := testConfig.Dintero
	c, err := dintero.New(
		dintero.WithClientCredentials(d.AccountID, d.ClientID, d.ClientSecret),
		dintero.WithBaseURL(sb.DinteroURL()),
		dintero.WithMaxRetries(0),
	)
	require.NoError(t, err)
	return c
}

// merchant is a shop's server: it verifies the callbacks it receives and hands them to the test.
type merchant struct {
	*httptest.Server
	callbacks chan callback
}

// callback is one callback the merchant received.
type callback struct {
	query    map[string]string
	delivery string // the Event-Delivery header
	verified error
}

func newMerchant(t testing.TB) *merchant {
	t.Helper()
	m := &merchant{callbacks: make(chan callback, 10)}
	v := dintero.CallbackVerifier{AccountID: testConfig.Dintero.AccountID, Secret: testConfig.Dintero.CallbackSecret}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) {
		q := map[string]string{}
		for k := range r.URL.Query() {
			q[k] = r.URL.Query().Get(k)
		}
		m.callbacks <- callback{query: q, delivery: r.Header.Get(dintero.DeliveryHeader), verified: v.Verify(r)}
		_, _ = io.WriteString(w, "thanks")
	})
	mux.HandleFunc("GET /return", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		q := r.URL.Query()
		_, _ = io.WriteString(w, `<!doctype html><title>Shop</title><h1 id="thanks">Order `+
			htmlEscape(q.Get("merchant_reference"))+`</h1><p id="transaction">`+htmlEscape(q.Get("transaction_id"))+
			`</p><p id="error">`+htmlEscape(q.Get("error"))+`</p>`)
	})
	m.Server = httptest.NewServer(mux)
	t.Cleanup(m.Close)
	return m
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// next returns the next callback, failing the test when none arrives in time.
func (m *merchant) next(t testing.TB) callback {
	t.Helper()
	select {
	case cb := <-m.callbacks:
		return cb
	case <-time.After(10 * time.Second):
		t.Fatal("the merchant received no callback")
		return callback{}
	}
}

// order is a session request with two lines whose return and callback URLs point to m.
func order(m *merchant, reference, callbackQuery string) dintero.SessionCreateRequest {
	return dintero.SessionCreateRequest{
		URL: dintero.SessionURLs{
			ReturnURL:   m.URL + "/return",
			CallbackURL: dintero.Ptr(m.URL + "/callback" + callbackQuery),
		},
		Order: dintero.Order{
			Amount: 39700, Currency: "NOK", MerchantReference: reference,
			Items: []dintero.OrderItem{
				{
					LineID: dintero.Ptr("1"), ID: dintero.Ptr("tshirt"), Description: dintero.Ptr("T-shirt"),
					Quantity: dintero.Ptr(1.0), Amount: dintero.Ptr(int64(29900)), VATAmount: dintero.Ptr(int64(5980)), VAT: dintero.Ptr(25.0),
				},
				{
					LineID: dintero.Ptr("2"), ID: dintero.Ptr("socks"), Description: dintero.Ptr("Socks"),
					Quantity: dintero.Ptr(2.0), Amount: dintero.Ptr(int64(9800)), VATAmount: dintero.Ptr(int64(1960)), VAT: dintero.Ptr(25.0),
				},
			},
		},
	}
}

// createSession creates a session and returns its id and checkout URL.
func createSession(t testing.TB, c *dintero.Client, req dintero.SessionCreateRequest) (id, checkoutURL string) {
	t.Helper()
	created, err := c.CreateSession(context.Background(), req)
	require.NoError(t, err)
	return created.GetID(), created.GetURL()
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   string
}

func send(t testing.TB, method, url, body string, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// decode decodes a JSON answer of the admin API.
func decode[T any](t testing.TB, a answer) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(a.body), &v), "body %s", a.body)
	return v
}
