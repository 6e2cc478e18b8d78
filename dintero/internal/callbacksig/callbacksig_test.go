package callbacksig

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestPayload(t *testing.T) {
	// Expected pathnames and hostnames from Node 20's WHATWG URL.
	tests := []struct{ method, target, want string }{
		{"GET", "https://ex.com/a%20b/%7e/~?", "1\nA\nGET\nex.com\n/a%20b/%7e/~\n"},
		{"GET", "https://EXAMPLE.com:443", "1\nA\nGET\nexample.com\n/\n"},
		{"GET", "https://[::1]:8443/p?b=1&a=2", "1\nA\nGET\n[::1]\n/p\na=2&b=1"},
		{"POST", "https://ex.com/cb?method=POST", "1\nA\nPOST\nex.com\n/cb\nmethod=POST"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		if got := Payload(1, "A", r, RequestHost(r)); got != tt.want {
			t.Errorf("%s %s: payload %q, want %q", tt.method, tt.target, got, tt.want)
		}
	}
	// An empty client method means GET, an empty path "/".
	r := &http.Request{Host: "ex.com", URL: nil}
	if got := Payload(1, "A", r, RequestHost(r)); got != "1\nA\nGET\nex.com\n/\n" {
		t.Errorf("payload of a request without URL: %q", got)
	}
}

func TestRequestHost(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "https://url.example/cb", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = "host.example"
	if got := RequestHost(r); got != "host.example" {
		t.Errorf("RequestHost = %q, want r.Host", got)
	}
	r.Host = ""
	if got := RequestHost(r); got != "url.example" {
		t.Errorf("RequestHost = %q, want r.URL.Host", got)
	}
	if got := RequestHost(&http.Request{}); got != "" {
		t.Errorf("RequestHost of an empty request = %q", got)
	}
}

// TestDocsExample checks the worked example of
// https://docs.dintero.com/checkout-api/secrets/admin_signature_post.
// printf '%s' $'1582236537\nP00000000\nGET\nexample.com\n/callback\nA=992&B=123' | openssl dgst -sha256 -hmac '123'
func TestDocsExample(t *testing.T) {
	const want = "t=1582236537,v0-hmac-sha256=6bed2ab1b919d460ef7465a20dc6c97260dca73fab6647106ca525f0908df64a"
	r := httptest.NewRequest(http.MethodGet, "https://example.com/callback?B=123&A=992", nil)
	if got := Header(1582236537, Sum("123", 1582236537, "P00000000", r, RequestHost(r))); got != want {
		t.Errorf("header %q, want %q", got, want)
	}
}

func TestTarget(t *testing.T) {
	tests := []struct {
		name       string
		r          *http.Request
		path, qery string
	}{
		{"origin form", &http.Request{RequestURI: "/cb/a%2Fb?b=1&a=2"}, "/cb/a%2Fb", "b=1&a=2"},
		{"absolute form", &http.Request{RequestURI: "https://Shop.example:8443/cb?x=1"}, "/cb", "x=1"},
		{"absolute form without path", &http.Request{RequestURI: "https://shop.example?x=1"}, "/", "x=1"},
		{"absolute form, host only", &http.Request{RequestURI: "https://shop.example"}, "/", ""},
		{"empty query", &http.Request{RequestURI: "/cb?"}, "/cb", ""},
		{"RequestURI wins over a rewritten URL", &http.Request{RequestURI: "/shop/cb?x=1", URL: &url.URL{Path: "/cb", RawQuery: "y=2"}}, "/shop/cb", "x=1"},
		{"client request: the URL", &http.Request{URL: &url.URL{Path: "/a b", RawQuery: "x=1"}}, "/a%20b", "x=1"},
		{"no URL, no RequestURI", &http.Request{}, "/", ""},
	}
	for _, tt := range tests {
		path, query := Target(tt.r)
		if path != tt.path || query != tt.qery {
			t.Errorf("%s: Target = %q, %q; want %q, %q", tt.name, path, query, tt.path, tt.qery)
		}
	}
}
