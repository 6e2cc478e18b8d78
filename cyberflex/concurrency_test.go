package cyberflex_test

// Clients shared by many goroutines, as the package documents they may be, against the fake:
// run with -race. Goroutines report through a channel; the server's call counts are compared
// with what the goroutines did.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// concFields returns the request of goroutine i and the dotted paths it makes required and
// optional, so each goroutine can recognise its own capture context.
func concFields(i int) (cyberflex.CaptureContextRequest, []string, []string) {
	card := cyberflex.CardFields{Number: cyberflex.Required()}
	required := []string{"paymentInformation.card.number"}
	var optional []string
	if i%2 == 0 {
		card.SecurityCode = cyberflex.Optional()
		optional = append(optional, "paymentInformation.card.securityCode")
	} else {
		card.SecurityCode = cyberflex.Required()
		required = append(required, "paymentInformation.card.securityCode")
	}
	if i%3 == 0 {
		card.ExpirationMonth = cyberflex.Required()
		required = append(required, "paymentInformation.card.expirationMonth")
	}
	if i%5 == 0 {
		card.Type = cyberflex.Optional()
		optional = append(optional, "paymentInformation.card.type")
	}
	slices.Sort(required)
	slices.Sort(optional)
	return cyberflex.CardRequest(card), required, optional
}

// concRound issues goroutine i's capture context, checks it is its own, verifies it, and checks
// that an unsigned copy of it is refused.
func concRound(ctx context.Context, c *cyberflex.Client, i int) error {
	req, required, optional := concFields(i)
	cc, err := c.GenerateCaptureContext(ctx, req)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if len(cc.Claims.Settings) != 1 || !slices.Equal(cc.Claims.Settings[0].Data.RequiredFields, required) ||
		!slices.Equal(cc.Claims.Settings[0].Data.OptionalFields, optional) {
		return fmt.Errorf("generate: got another request's capture context: %+v", cc.Claims.Settings)
	}
	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if verified.Claims.ID != cc.Claims.ID || verified.Token != cc.Token {
		return fmt.Errorf("verify: jti %q, issued %q", verified.Claims.ID, cc.Claims.ID)
	}
	parts := strings.Split(cc.Token, ".")
	unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+cc.Claims.KeyID+`"}`)) + "." + parts[1] + "."
	if _, err := c.VerifyCaptureContext(ctx, unsigned); !errors.Is(err, cyberflex.ErrUnsupportedAlgorithm) {
		return fmt.Errorf("verify unsigned: %v", err)
	}
	return nil
}

// TestConcurrentClients: 64 goroutines, started at once, share three clients (HTTP Signature,
// JWT and OAuth bearer authentication); each issues, verifies and checks a capture context.
// Each client's key cache starts cold and fetches the key once, however many verify at once.
func TestConcurrentClients(t *testing.T) {
	const n = 64
	const bearer = "concurrency-oauth-token"
	srv := cyberflextest.NewServer(
		cyberflextest.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflextest.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflextest.WithAccessToken(bearer),
	)
	t.Cleanup(srv.Close)
	var clients []*cyberflex.Client
	for _, auth := range []cyberflex.Option{
		cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithAccessToken(bearer),
	} {
		c, err := cyberflex.New(auth, cyberflex.WithBaseURL(srv.URL))
		require.NoError(t, err)
		clients = append(clients, c)
	}

	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			if err := concRound(context.Background(), clients[i%len(clients)], i); err != nil {
				errs <- fmt.Errorf("goroutine %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, n, srv.Calls(cyberflextest.OpGenerateCaptureContext), "one request per goroutine, no retries")
	assert.Equal(t, len(clients), srv.Calls(cyberflextest.OpGetPublicKey), "one key fetch per client")
}

// TestConcurrentVerifyAfterRotation: the fake rotates its key while 64 goroutines verify
// capture contexts signed before and after, through one client that cached the old key. Every
// token verifies; the new kid is fetched once.
func TestConcurrentVerifyAfterRotation(t *testing.T) {
	const n = 64
	srv := cyberflextest.NewServer()
	t.Cleanup(srv.Close)
	c, err := cyberflex.New(
		cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret),
		cyberflex.WithBaseURL(srv.URL),
	)
	require.NoError(t, err)
	fields := []string{"paymentInformation.card.number"}
	oldTok, err := srv.IssueCaptureContext(fields, nil)
	require.NoError(t, err)
	_, err = c.VerifyCaptureContext(context.Background(), oldTok) // caches the old key
	require.NoError(t, err)
	oldKid, _ := srv.PublicKey()
	srv.RotateKey()
	newKid, _ := srv.PublicKey()
	require.NotEqual(t, oldKid, newKid)
	newTok, err := srv.IssueCaptureContext(fields, nil)
	require.NoError(t, err)

	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			tok, kid := oldTok, oldKid
			if i%2 == 1 {
				tok, kid = newTok, newKid
			}
			cc, err := c.VerifyCaptureContext(context.Background(), tok)
			switch {
			case err != nil:
				errs <- fmt.Errorf("goroutine %d: %w", i, err)
			case cc.Claims.KeyID != kid:
				errs <- fmt.Errorf("goroutine %d: kid %s, want %s", i, cc.Claims.KeyID, kid)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, 2, srv.Calls(cyberflextest.OpGetPublicKey), "the old kid once before, the new kid once")
}
