package cyberflex_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/internal/wiretest"
)

// TestOneConnectionFor1000Calls makes 1,000 sequential calls: capture contexts answered 201, 400,
// 401, 500 (HTML), with empty and chunked bodies, bodies larger than the SDK's 8 MiB read limit
// (by less than the bounded drain) and 503s that are retried; verifications that fetch a key
// (200), find none (404) or fail (500), or use the cached key. It checks that all of them went
// over one TCP connection: every body is read to its end (or drained) and closed.
func TestOneConnectionFor1000Calls(t *testing.T) {
	srv := wiretest.NewConnServer(t)
	// Default retries: only the 503s below are retried (400, 401, 404 and 500 are not). The two
	// retried calls each wait one backoff (< 0.5 s).
	c, err := cyberflex.New(cyberflex.WithBaseURL(srv.URL), cyberflex.WithHTTPSignature(benchMerchantID, benchKeyID, benchSecret))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token := benchToken(t, benchKid)
	unknownKid, brokenKid := benchToken(t, "zz"), benchToken(t, "yy")
	jwk, err := jose.JSONWebKey{Key: &benchRSAKey().PublicKey, KeyID: benchKid, Use: "enc"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	html := []byte("<html><head><title>500 Internal Server Error</title></head><body><h1>500 Internal Server Error</h1>" + strings.Repeat("<p>upstream failed</p>", 200) + "</body></html>")
	huge := bytes.Repeat([]byte("x"), benchMaxBody+16<<10) // over the read limit, within the drain
	created := wiretest.Reply(http.StatusCreated, "application/jwt", []byte(token))
	retriedOnce := func(w http.ResponseWriter, r *http.Request, attempt int) {
		if attempt == 1 {
			wiretest.Reply(http.StatusServiceUnavailable, "text/plain", []byte("try again later"))(w, r, attempt)
			return
		}
		created(w, r, attempt)
	}

	type call struct {
		name   string
		answer func(http.ResponseWriter, *http.Request, int)
		do     func() error
		check  func(error) bool
	}
	generate := func() error { _, err := c.GenerateCaptureContext(ctx, benchRequest()); return err }
	verify := func(tok string) func() error {
		return func() error { _, err := c.VerifyCaptureContext(ctx, tok); return err }
	}
	ok := func(err error) bool { return err == nil }
	status := func(code int) func(error) bool {
		return func(err error) bool {
			var apiErr *cyberflex.APIError
			return errors.As(err, &apiErr) && apiErr.StatusCode == code
		}
	}
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	tooLarge := func(err error) bool { return err != nil && strings.Contains(err.Error(), "too large") }

	common := []call{
		{"generate 201", created, generate, ok},
		{"generate 400", wiretest.Reply(400, "application/json", []byte(`{"correlationId":"6f1c3b2a-88e1-4d55-9a57-0d2c3c1e9f10","details":[{"location":"fields","message":"At least one field is required"}],"informationLink":"https://developer.cybersource.com/api/errors","message":"Declined - One or more fields in the request contains invalid data","reason":"INVALID_DATA"}`)), generate, status(400)},
		{"verify cached key", nil, verify(token), ok},
		{"generate 401", wiretest.Reply(401, "application/json", []byte(`{"response":{"rmsg":"Authentication Failed"}}`)), generate, status(401)},
		{"verify unknown kid 404", wiretest.Reply(404, "application/json", []byte(`{"message":"Key not found","reason":"NOT_FOUND"}`)), verify(unknownKid), is(cyberflex.ErrUnknownKeyID)},
		{"generate 500 html", wiretest.Reply(500, "text/html", html), generate, status(500)},
		{"verify key fetch 500", wiretest.Reply(500, "text/html", html), verify(brokenKid), is(cyberflex.ErrKeyFetch)},
		{"generate 400 empty", wiretest.Reply(400, "", nil), generate, status(400)},
		{"generate 201 chunked", func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/jwt")
			_, _ = io.WriteString(w, token[:100])
			w.(http.Flusher).Flush() // no Content-Length: the body is chunked
			_, _ = io.WriteString(w, token[100:])
		}, generate, ok},
	}
	special := map[int]call{
		0:   {"verify fetches the key", wiretest.Reply(200, "application/json", jwk), verify(token), ok},
		100: {"generate 503 retried", retriedOnce, generate, ok},
		600: {"generate 503 retried", retriedOnce, generate, ok},
	}
	for i := 25; i < 1000; i += 50 { // 20 oversized bodies: errors, a key 404 and a 201
		switch i % 150 {
		case 25:
			special[i] = call{"generate 400 oversized", wiretest.Reply(400, "text/html", huge), generate, status(400)}
		case 75:
			special[i] = call{"verify key 404 oversized", wiretest.Reply(404, "text/html", huge), verify(unknownKid), is(cyberflex.ErrUnknownKeyID)}
		default:
			special[i] = call{"generate 201 oversized", wiretest.Reply(201, "application/jwt", huge), generate, tooLarge}
		}
	}

	for i := range 1000 {
		cl, found := special[i]
		if !found {
			cl = common[i%len(common)]
		}
		srv.Answer(cl.answer)
		if err := cl.do(); !cl.check(err) {
			t.Fatalf("call %d (%s): unexpected outcome %v", i, cl.name, err)
		}
		if cl.answer == nil && srv.Requests() != 0 {
			t.Fatalf("call %d (%s): %d requests, want none (the key is cached)", i, cl.name, srv.Requests())
		}
		if n := srv.Conns(); n != 1 {
			t.Fatalf("after call %d (%s): %d TCP connections opened, want 1", i, cl.name, n)
		}
	}
}
