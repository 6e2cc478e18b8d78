package dintero_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/wiretest"
)

// TestSessionsMemoryIndependentOfTotal walks lists of 1,000 and 10,000 sessions (pages of 100)
// and samples the live heap (after a forced GC) in the middle of pages along the way. Sessions
// holds one page at a time, so the peak must not grow with the total: a walk that kept every
// page would hold ~90 more pages (tens of MiB) at the end of the 10,000 walk than at the end of
// the 1,000 walk. The bound (4 MiB, a few pages) is far below that and far above GC noise. It
// also checks that the bytes allocated per session do not grow with the total.
func TestSessionsMemoryIndependentOfTotal(t *testing.T) {
	ctx := context.Background()
	type result struct {
		peak            uint64  // highest live heap sampled during the walk
		allocPerSession float64 // bytes allocated per session walked
	}
	walk := func(total int) result {
		srv := benchServer(t, total)
		c := benchSDK(t, srv)
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		startAlloc, allocated := ms.TotalAlloc, uint64(0)
		var r result
		n := 0
		for s, err := range c.Sessions(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if s.ID == nil {
				t.Fatal("session without id")
			}
			n++
			if n%500 == 50 { // mid-page, so the current page is certainly live
				runtime.ReadMemStats(&ms)
				allocated += ms.TotalAlloc - startAlloc
				runtime.GC()
				runtime.ReadMemStats(&ms)
				r.peak = max(r.peak, ms.HeapAlloc)
				startAlloc = ms.TotalAlloc
			}
		}
		if n != total {
			t.Fatalf("walked %d sessions, want %d", n, total)
		}
		runtime.ReadMemStats(&ms)
		allocated += ms.TotalAlloc - startAlloc
		r.allocPerSession = float64(allocated) / float64(total)
		return r
	}
	loadBenchData() // the server's list is live in both walks; build it before measuring
	small := walk(1000)
	large := walk(benchTotal)
	t.Logf("peak live heap: %.1f MiB walking 1,000, %.1f MiB walking 10,000; allocated %.0f vs %.0f B/session",
		float64(small.peak)/(1<<20), float64(large.peak)/(1<<20), small.allocPerSession, large.allocPerSession)
	if large.peak > small.peak+4<<20 {
		t.Errorf("peak live heap grows with the total: %d B walking 1,000 sessions, %d B walking 10,000", small.peak, large.peak)
	}
	if large.allocPerSession > 1.25*small.allocPerSession {
		t.Errorf("allocation per session grows with the total: %.0f B walking 1,000, %.0f B walking 10,000", small.allocPerSession, large.allocPerSession)
	}
}

// TestOneConnectionFor1000Calls makes 1,000 sequential calls of every kind, answered with 200s,
// JSON and HTML errors, empty error bodies, bodies larger than the SDK's 8 MiB read limit (by
// less than the bounded drain) and 503s that are retried, and checks that they all went over
// one TCP connection: every body is read to its end (or drained) and closed.
func TestOneConnectionFor1000Calls(t *testing.T) {
	srv := wiretest.NewConnServer(t)
	// Default retries: only the 503s below are retried (404, 400, 401, 500 are not, and creates
	// are never retried on a status). The two retried calls each wait one backoff (< 0.5 s).
	c, err := dintero.New(dintero.WithBaseURL(srv.URL+benchPath), dintero.WithAccessToken(benchToken))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	session := benchSessionJSON(1)
	page := []byte("[" + string(benchSessionJSON(2)) + "," + string(benchSessionJSON(3)) + "]")
	notFound := []byte(`{"error":{"code":"NOT_FOUND","message":"Session not found"}}`)
	html := []byte("<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1>" + strings.Repeat("<p>upstream failed</p>", 200) + "</body></html>")
	huge := bytes.Repeat([]byte("x"), benchMaxBody+16<<10) // over the read limit, within the drain
	retriedOnce := func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			wiretest.Reply(http.StatusServiceUnavailable, "text/plain", []byte("try again later"))(w, r, attempt)
			return
		}
		wiretest.Reply(http.StatusOK, "application/json", session)(w, r, attempt)
	}

	type call struct {
		name   string
		answer func(http.ResponseWriter, *http.Request, int)
		do     func() error
		status int // the APIError status wanted; 0 for success
	}
	get := func() error { _, err := c.GetSession(ctx, benchSessionID(1)); return err }
	create := func() error { _, err := c.CreateSession(ctx, benchCreateRequest()); return err }
	list := func() error {
		_, err := c.ListSessions(ctx, dintero.Limit(10))
		return err
	}
	common := []call{
		{"get 200", wiretest.Reply(200, "application/json", session), get, 0},
		{"get 404", wiretest.Reply(404, "application/json", notFound), get, 404},
		{"create 200", wiretest.Reply(200, "application/json", benchCreated), create, 0},
		{"create 400", wiretest.Reply(400, "application/json", []byte(`{"error":{"code":"BAD_REQUEST","message":"order.amount must equal the sum of the items","errors":[{"path":"order.amount"}]}}`)), create, 400},
		{"list 200", wiretest.Reply(200, "application/json", page), list, 0},
		{"get 500 html", wiretest.Reply(500, "text/html", html), get, 500},
		{"get 401", wiretest.Reply(401, "application/json", []byte(`{"error":{"code":"UNAUTHORIZED","message":"token expired"}}`)), get, 401},
		{"list 400 empty", wiretest.Reply(400, "", nil), list, 400},
		{"get 200 chunked", func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(session[:100])
			w.(http.Flusher).Flush() // no Content-Length: the body is chunked
			_, _ = w.Write(session[100:])
		}, get, 0},
	}
	special := map[int]call{
		100: {"get 503 retried", retriedOnce, get, 0},
		600: {"get 503 retried", retriedOnce, get, 0},
	}
	for i := 25; i < 1000; i += 50 { // 20 oversized bodies, errors and a 200
		switch i % 150 {
		case 25:
			special[i] = call{"get 404 oversized", wiretest.Reply(404, "text/html", huge), get, 404}
		case 75:
			special[i] = call{"create 500 oversized", wiretest.Reply(500, "text/plain", huge), create, 500}
		default:
			special[i] = call{"get 200 oversized", wiretest.Reply(200, "application/json", huge), get, -1}
		}
	}

	for i := range 1000 {
		cl, ok := special[i]
		if !ok {
			cl = common[i%len(common)]
		}
		srv.Answer(cl.answer)
		err := cl.do()
		var apiErr *dintero.APIError
		switch {
		case cl.status == 0 && err != nil:
			t.Fatalf("call %d (%s): %v", i, cl.name, err)
		case cl.status > 0 && (!errors.As(err, &apiErr) || apiErr.StatusCode != cl.status):
			t.Fatalf("call %d (%s): err = %v, want an APIError %d", i, cl.name, err, cl.status)
		case cl.status < 0 && (err == nil || !strings.Contains(err.Error(), "too large")):
			t.Fatalf("call %d (%s): err = %v, want a body-too-large error", i, cl.name, err)
		}
		if n := srv.Conns(); n != 1 {
			t.Fatalf("after call %d (%s): %d TCP connections opened, want 1", i, cl.name, n)
		}
	}
}
