package cyberflextest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// p12Password protects the throwaway PKCS#12 files of the tests.
const p12Password = "p12-password-of-the-tests"

// TestClientAuthSchemes runs the real cyberflex client, with each authentication scheme,
// against a server configured for it: the capture context is issued and verifies.
func TestClientAuthSchemes(t *testing.T) {
	key, cert := certificate(t, "9876543210987654321098")
	p12 := p12File(t, key, cert, p12Password)
	tests := []struct {
		name   string
		server []cyberflextest.Option
		client cyberflex.Option
		extra  []cyberflex.Option
	}{
		{"HTTP Signature", []cyberflextest.Option{cyberflextest.WithHTTPSignature(merchant, keyID, secret)}, cyberflex.WithHTTPSignature(merchant, keyID, secret), nil},
		{"JWT HS256", []cyberflextest.Option{cyberflextest.WithJWT(merchant, keyID, secret)}, cyberflex.WithJWT(merchant, keyID, secret), nil},
		{"JWT RS256 from a P12", []cyberflextest.Option{cyberflextest.WithJWTP12(merchant, p12, p12Password)}, cyberflex.WithJWTP12(merchant, p12, p12Password), nil},
		{"JWT RS256 from a certificate", []cyberflextest.Option{cyberflextest.WithJWTCertificate(merchant, cert)}, cyberflex.WithJWTP12(merchant, p12, p12Password), nil},
		{"OAuth bearer token", []cyberflextest.Option{cyberflextest.WithAccessToken(oauthToken)}, cyberflex.WithAccessToken(oauthToken), nil},
		{"default credentials, HTTP Signature", nil, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret), nil},
		{"default credentials, JWT", nil, cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret), nil},
		{"production host", []cyberflextest.Option{cyberflextest.WithHost(string(cyberflex.Production)), cyberflextest.WithHTTPSignature(merchant, keyID, secret)},
			cyberflex.WithHTTPSignature(merchant, keyID, secret), []cyberflex.Option{cyberflex.WithEnvironment(cyberflex.Production)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csrv := newServer(t, tt.server...)
			c := newClient(t, csrv, tt.client, tt.extra...)
			ctx := context.Background()
			cc, err := c.GenerateCaptureContext(ctx, cardRequest())
			if err != nil {
				t.Fatalf("GenerateCaptureContext: %v", err)
			}
			if _, err := c.VerifyCaptureContext(ctx, cc.Token); err != nil {
				t.Fatalf("VerifyCaptureContext: %v", err)
			}
			if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 1 {
				t.Errorf("Calls(OpGenerateCaptureContext) = %d, want 1", n)
			}
			if n := csrv.Calls(cyberflextest.OpGetPublicKey); n != 1 {
				t.Errorf("Calls(OpGetPublicKey) = %d, want 1", n)
			}
		})
	}
}

// TestClientSchemesCombined: a server configured with several schemes accepts a client of
// each, and keys of several merchants.
func TestClientSchemesCombined(t *testing.T) {
	key, cert := certificate(t, "1111122222333334444455")
	p12 := p12File(t, key, cert, p12Password)
	csrv := newServer(t,
		cyberflextest.WithHTTPSignature(merchant, keyID, secret),
		cyberflextest.WithHTTPSignature("merchant_b", "key-b", otherSecret),
		cyberflextest.WithJWTP12(merchant, p12, p12Password),
		cyberflextest.WithAccessToken(oauthToken),
	)
	for _, auth := range []cyberflex.Option{
		cyberflex.WithHTTPSignature(merchant, keyID, secret),
		cyberflex.WithHTTPSignature("merchant_b", "key-b", otherSecret),
		cyberflex.WithJWTP12(merchant, p12, p12Password),
		cyberflex.WithAccessToken(oauthToken),
	} {
		if _, err := newClient(t, csrv, auth).GenerateCaptureContext(context.Background(), cardRequest()); err != nil {
			t.Errorf("GenerateCaptureContext: %v", err)
		}
	}
	// Configured schemes replace the defaults.
	_, err := newClient(t, csrv, cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret)).
		GenerateCaptureContext(context.Background(), cardRequest())
	wantAuthFailure(t, err, `JWT: unexpected signature algorithm "HS256"; expected ["RS256"]`)
}

// TestClientRejected: misconfigured clients get CyberSource's 401, with the reason in the
// message.
func TestClientRejected(t *testing.T) {
	_, cert := certificate(t, "2222233333444445555566")
	otherKey, otherCert := certificate(t, "2222233333444445555566") // same kid, other key
	otherP12 := p12File(t, otherKey, otherCert, p12Password)
	if otherKey.PublicKey.Equal(cert.PublicKey) {
		t.Fatal("test setup: the two certificates share a key")
	}
	sig := cyberflextest.WithHTTPSignature(merchant, keyID, secret)
	hs := cyberflextest.WithJWT(merchant, keyID, secret)
	tests := []struct {
		name   string
		server []cyberflextest.Option
		client []cyberflex.Option
		want   string
	}{
		{"HTTP Signature, wrong secret", []cyberflextest.Option{sig}, []cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, otherSecret)},
			"the signature does not match"},
		{"HTTP Signature, wrong key id", []cyberflextest.Option{sig}, []cyberflex.Option{cyberflex.WithHTTPSignature(merchant, "wrong-key", secret)},
			`Signature keyid "wrong-key" is not a shared-secret key of this server`},
		{"HTTP Signature, wrong merchant", []cyberflextest.Option{sig}, []cyberflex.Option{cyberflex.WithHTTPSignature("merchant_b", keyID, secret)},
			`v-c-merchant-id "merchant_b" is not the merchant of key`},
		{"HTTP Signature, client for production", []cyberflextest.Option{sig},
			[]cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret), cyberflex.WithEnvironment(cyberflex.Production)},
			`the request's Host header "api.cybersource.com" is not the API host "apitest.cybersource.com"`},
		{"HTTP Signature, Date older than the skew", []cyberflextest.Option{sig, cyberflextest.WithClock(fixedClock(testNow.Add(10 * time.Minute)))},
			[]cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret)},
			`Date "Sat, 21 Nov 2026 12:17:15 GMT" is 10m0s away from the server's clock (Sat, 21 Nov 2026 12:27:15 GMT), more than the 5m0s allowed`},
		{"HTTP Signature, Date in the future beyond the skew", []cyberflextest.Option{sig, cyberflextest.WithClock(fixedClock(testNow.Add(-10 * time.Minute)))},
			[]cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret)},
			`is 10m0s away from the server's clock`},
		{"HTTP Signature, tighter skew", []cyberflextest.Option{sig, cyberflextest.WithMaxClockSkew(30 * time.Second), cyberflextest.WithClock(fixedClock(testNow.Add(31 * time.Second)))},
			[]cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret)},
			`is 31s away from the server's clock (Sat, 21 Nov 2026 12:17:46 GMT), more than the 30s allowed`},
		{"HTTP Signature, body changed on the way", []cyberflextest.Option{sig},
			[]cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret), cyberflex.WithHTTPClient(&http.Client{Transport: tamper{}})},
			`the Digest header does not match the body`},
		{"HTTP Signature against a JWT-only server", []cyberflextest.Option{hs}, []cyberflex.Option{cyberflex.WithHTTPSignature(merchant, keyID, secret)},
			`HTTP Signature authentication is not enabled on this server`},
		{"JWT, wrong secret", []cyberflextest.Option{hs}, []cyberflex.Option{cyberflex.WithJWT(merchant, keyID, otherSecret)},
			`JWT signature does not verify with the key of kid "` + keyID + `"`},
		{"JWT, wrong merchant", []cyberflextest.Option{hs}, []cyberflex.Option{cyberflex.WithJWT("merchant_b", keyID, secret)},
			`JWT claim v-c-merchant-id is "merchant_b", not the merchant of this key`},
		{"JWT, client for production", []cyberflextest.Option{hs},
			[]cyberflex.Option{cyberflex.WithJWT(merchant, keyID, secret), cyberflex.WithEnvironment(cyberflex.Production)},
			`JWT claim request-host is "api.cybersource.com", not the API host "apitest.cybersource.com"`},
		{"JWT, expired on arrival", []cyberflextest.Option{hs, cyberflextest.WithClock(fixedClock(testNow.Add(3 * time.Minute)))},
			[]cyberflex.Option{cyberflex.WithJWT(merchant, keyID, secret)},
			`JWT expired at 2026-11-21T12:19:15Z (server clock 2026-11-21T12:20:15Z)`},
		{"JWT, body changed on the way", []cyberflextest.Option{hs},
			[]cyberflex.Option{cyberflex.WithJWT(merchant, keyID, secret), cyberflex.WithHTTPClient(&http.Client{Transport: tamper{}})},
			`JWT claim digest is`},
		{"JWT HS256 against an RS256-only server", []cyberflextest.Option{cyberflextest.WithJWTCertificate(merchant, cert)},
			[]cyberflex.Option{cyberflex.WithJWT(merchant, keyID, secret)},
			`JWT: unexpected signature algorithm "HS256"; expected ["RS256"]`},
		{"JWT P12 with another key under the same kid", []cyberflextest.Option{cyberflextest.WithJWTCertificate(merchant, cert)},
			[]cyberflex.Option{cyberflex.WithJWTP12(merchant, otherP12, p12Password)},
			`JWT signature does not verify with the key of kid "2222233333444445555566"`},
		{"OAuth, wrong token", []cyberflextest.Option{cyberflextest.WithAccessToken(oauthToken)}, []cyberflex.Option{cyberflex.WithAccessToken("another-token")},
			`the bearer token is not an OAuth access token of this server`},
		{"OAuth token against a JWT server", []cyberflextest.Option{hs}, []cyberflex.Option{cyberflex.WithAccessToken(oauthToken)},
			`JWT: go-jose/go-jose: compact JWS format must have three parts`},
		{"JWT against an OAuth and JWT server", []cyberflextest.Option{hs, cyberflextest.WithAccessToken(oauthToken)}, []cyberflex.Option{cyberflex.WithJWT(merchant, keyID, otherSecret)},
			`the bearer token is not an OAuth access token of this server, nor a valid JWT: JWT signature does not verify`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csrv := newServer(t, tt.server...)
			c := newClient(t, csrv, tt.client[0], tt.client[1:]...)
			_, err := c.GenerateCaptureContext(context.Background(), cardRequest())
			wantAuthFailure(t, err, tt.want)
			if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 1 {
				t.Errorf("Calls = %d, want 1", n)
			}
		})
	}
}

// wantAuthFailure checks that err is the client's *APIError for a 401 whose message (the rmsg)
// is "Authentication Failed: …" containing want.
func wantAuthFailure(t *testing.T, err error, want string) {
	t.Helper()
	var apiErr *cyberflex.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v, want a *cyberflex.APIError", err)
	}
	if apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401: %v", apiErr.StatusCode, err)
	}
	if !strings.HasPrefix(apiErr.Message, "Authentication Failed: ") || !strings.Contains(apiErr.Message, want) {
		t.Errorf("message\n%q\nwant \"Authentication Failed: …%s…\"", apiErr.Message, want)
	}
	if apiErr.CorrelationID == "" {
		t.Error("no correlation id")
	}
}

// tamper is a transport that changes the request body after the client signed it, as a
// misbehaving proxy would: an optional field becomes required, same length.
type tamper struct{}

func (tamper) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	changed := bytes.Replace(body, []byte(`"required":false`), []byte(`"required":true `), 1)
	if bytes.Equal(changed, body) {
		return nil, errors.New("tamper: nothing to change")
	}
	req = req.Clone(req.Context())
	req.Body = io.NopCloser(bytes.NewReader(changed))
	return http.DefaultTransport.RoundTrip(req)
}

// TestConcurrentClients: many clients at once, with -race, while the key rotates.
func TestConcurrentClients(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithHTTPSignature(merchant, keyID, secret), cyberflextest.WithJWT(merchant, keyID, secret))
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		auth := cyberflex.WithHTTPSignature(merchant, keyID, secret)
		if i%2 == 1 {
			auth = cyberflex.WithJWT(merchant, keyID, secret)
		}
		c := newClient(t, csrv, auth)
		wg.Go(func() {
			cc, err := c.GenerateCaptureContext(ctx, cardRequest())
			if err == nil {
				_, err = c.VerifyCaptureContext(ctx, cc.Token)
			}
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	wg.Go(csrv.RotateKey)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := csrv.Calls(cyberflextest.OpGenerateCaptureContext); n != 10 {
		t.Errorf("Calls = %d, want 10", n)
	}
}
