package dintero

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/paysession/paysession-go/internal/httpx"
	"github.com/paysession/paysession-go/internal/redact"
)

// fuzzCredential is a credential the fuzzed answers may echo; it must never reach an error.
// It is no shorter than the placeholder that replaces it, so scrubbing never grows a body.
const fuzzCredential = "fuzz-credential-0123456789"

// FuzzDecodeResponse feeds the client arbitrary answers, through an http.RoundTripper: any
// status, Content-Type, Request-Id and body, for each kind of call.
//
// It must never panic; a non-2xx answer is always an *APIError with the status and at most
// MaxBodySize of the body, whose message is one short line; a 2xx answer either decodes or
// fails with a one-line error that is not an *APIError; and no credential reaches an error.
// When target is 0xff the body is repeated past the size limit (rarely, as it costs 8 MiB).
func FuzzDecodeResponse(f *testing.F) {
	session := `{"id":"T12345678.abc","created_at":"2026-11-21T12:00:00Z","url":{"return_url":"https://x"},` +
		`"order":{"amount":100,"currency":"NOK","merchant_reference":"r"},"configuration":{"channel":"in_orbit"},` +
		`"payment_operation":"future_op","events":[{"name":"FUTURE","details":{"x":1}}],"future":{"a":[1]}}`
	for _, seed := range []struct {
		status int
		ct, id string
		body   string
		target uint8
	}{
		{200, "application/json", "", session, 0},
		{200, "application/json", "", `{"id":"T12345678.abc","url":"https://x","session":` + session + `}`, 1},
		{200, "application/json", "", "[" + session + "," + session + "]", 2},
		{200, "application/json", "", `{"access_token":"t","token_type":"Bearer","expires_in":3600}`, 3},
		{200, "application/json", "", session, 4},
		{200, "text/html", "", "<html>maintenance</html>", 0},
		{200, "application/json", "", `{"id":"T12345678.abc","order":{"amount":1`, 0},
		{200, "application/json", "", `{"id":42}`, 0},
		{200, "application/json", "", `{"order":{"amount":1e999}}`, 0},
		{200, "application/json", "", `null`, 2},
		{204, "", "", "", 0},
		{400, "application/json", "req-1", `{"error":{"code":"INVALID","message":"order.amount","errors":[{"path":"order"}]}}`, 0},
		{401, "application/json", "", `{"error":{"message":"Access forbidden, invalid JWT token was used"}}`, 0},
		{404, "application/json", "", `{"error":{"code":"NOT FOUND","message":"Session not found"}}`, 0},
		{500, "text/html", "edge-1", "<html>\n<body>502 Bad Gateway</body>\n</html>", 0},
		{500, "application/json", "", `{"error":{"message":"line one\nline two\r\n` + strings.Repeat("é", 200) + `"}}`, 0},
		{502, "application/json", "", `{"error":{"code":"` + strings.Repeat("C", 300) + `"}}`, 0},
		{503, "", fuzzCredential, `{"error":{"message":"you sent Bearer ` + fuzzCredential + `"}}`, 0},
		{429, "text/plain; " + fuzzCredential, "", "echo " + fuzzCredential, 0},
		{401, "application/json", "", `{"error":{"code":"\u0066` + fuzzCredential[1:] + `","message":"Bearer \u0066` + fuzzCredential[1:] + `"}}`, 0},
		{200, "text/plain; " + fuzzCredential, "", "echo " + fuzzCredential, 1},
		{500, "", "", "x", 0xff},
		{200, "", "", " ", 0xff},
		{302, "", "", "", 0},
		{-7, "", "", "", 0},
	} {
		f.Add(seed.status, seed.ct, seed.id, []byte(seed.body), seed.target)
	}
	f.Fuzz(func(t *testing.T, status int, contentType, requestID string, body []byte, target uint8) {
		if status < 100 || status > 599 {
			status = 100 + (status%500+500)%500
		}
		input := body
		if target == 0xff && len(body) > 0 {
			input = bytes.Repeat(body, httpx.MaxBodySize/len(body)+2)
		}
		rt := roundTripFunc(func(req *http.Request) (*http.Response, error) {
			return &http.Response{
				StatusCode: status,
				Header:     http.Header{"Content-Type": {contentType}, "Request-Id": {requestID}},
				Body:       io.NopCloser(bytes.NewReader(input)),
				Request:    req,
			}, nil
		})
		c, cerr := New(WithAccessToken(fuzzCredential), WithMaxRetries(0), WithHTTPClient(&http.Client{Transport: rt}))
		if cerr != nil {
			t.Fatal(cerr)
		}
		ctx := context.Background()
		var raw []byte
		var err error
		var op string
		switch target % 5 {
		case 0:
			op = "GetSession"
			_, err = c.GetSession(ctx, "T12345678.abc")
		case 1:
			op = "CreateSession"
			_, err = c.CreateSession(ctx, fuzzCreateRequest)
		case 2:
			op = "ListSessions"
			_, err = c.ListSessions(ctx)
		case 3:
			op = "CancelSession"
			_, err = c.CancelSession(ctx, "T12345678.abc")
		default:
			op = "GetSession"
			_, err = c.GetSession(ctx, "T12345678.abc", RawResponse(&raw))
		}

		read := input[:min(len(input), httpx.MaxBodySize)]
		var apiErr *APIError
		isAPIErr := errors.As(err, &apiErr)
		if status < 200 || status > 299 {
			if !isAPIErr {
				t.Fatalf("a %d answer gave %T %v, want *APIError", status, err, err)
			}
			if apiErr.StatusCode != status || apiErr.Operation != op {
				t.Fatalf("APIError has status %d, operation %q", apiErr.StatusCode, apiErr.Operation)
			}
			if len(apiErr.Body) > httpx.MaxBodySize {
				t.Fatalf("APIError.Body is %d bytes, over the %d limit", len(apiErr.Body), httpx.MaxBodySize)
			}
			if want := redact.Scrub(read, fuzzCredential); len(input) <= httpx.MaxBodySize && !bytes.Equal(apiErr.Body, want) {
				t.Fatalf("APIError.Body is not the body as read and scrubbed (%d bytes, want %d)", len(apiErr.Body), len(want))
			}
			for _, s := range []string{apiErr.Code, apiErr.Message, apiErr.RequestID, string(apiErr.Body)} {
				if strings.Contains(s, fuzzCredential) {
					t.Fatalf("APIError shows the credential: %q", s)
				}
			}
			for _, e := range apiErr.Errors {
				if !json.Valid(e) {
					t.Fatalf("APIError.Errors holds invalid JSON %q", e)
				}
			}
			checkErrorText(t, err, fmt.Sprintf("dintero: %s: HTTP %d", op, status), 640)
			return
		}
		if isAPIErr {
			t.Fatalf("a %d answer gave an APIError: %v", status, err)
		}
		if err == nil {
			if len(input) > httpx.MaxBodySize {
				t.Fatalf("a %d-byte body over the limit was accepted", len(input))
			}
			if !json.Valid(input) {
				t.Fatalf("invalid JSON %q accepted", input)
			}
			if target%5 == 4 && !bytes.Equal(raw, input) {
				t.Fatalf("RawResponse kept %q, want %q", raw, input)
			}
			return
		}
		if len(input) > httpx.MaxBodySize && !errors.Is(err, httpx.ErrBodyTooLarge) {
			t.Fatalf("a body over the limit gave %v, want ErrBodyTooLarge", err)
		}
		if target%5 == 4 && raw != nil {
			t.Fatalf("RawResponse set on a failed call: %q", raw)
		}
		// A decoding error may quote a JSON number of the body, so its length is bounded by
		// the input's rather than by a constant: what matters is that it does not grow with it.
		checkErrorText(t, err, "dintero: ", 640)
	})
}

// checkErrorText checks that err's message starts with prefix, is one line of valid UTF-8 of
// at most maxLen bytes, and shows no credential.
func checkErrorText(t *testing.T, err error, prefix string, maxLen int) {
	t.Helper()
	msg := err.Error()
	switch {
	case !strings.HasPrefix(msg, prefix):
		t.Fatalf("error %q does not start with %q", msg, prefix)
	case strings.ContainsAny(msg, "\r\n"):
		t.Fatalf("error is more than one line: %q", msg)
	case !utf8.ValidString(msg):
		t.Fatalf("error is not valid UTF-8: %q", msg)
	case len(msg) > maxLen:
		t.Fatalf("error of %d bytes (limit %d): %.300q…", len(msg), maxLen, msg)
	case strings.Contains(msg, fuzzCredential):
		t.Fatalf("error shows the credential: %q", msg)
	}
}

// fuzzCreateRequest is a create request that passes the client's checks.
var fuzzCreateRequest = SessionCreateRequest{
	URL:   SessionURLs{ReturnURL: "https://shop.example/return"},
	Order: Order{Amount: 100, Currency: "NOK", MerchantReference: "r"},
}
