// Package node_test runs the official CyberSource Node SDK (npm cybersource-rest-client, pinned
// in package-lock.json) against the sandbox, to show that what the sandbox accepts and answers is
// what a real client of another language sends and expects. Install it with
//
//	npm ci --prefix internal/interop/node
//
// which .ci/run and the GitHub workflow do.
package node_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/internal/sandbox"
)

// The sandbox's CyberSource credentials.
const (
	merchantID   = "node_merchant"
	keyID        = "6f1c2d3e-4b5a-4968-8a7b-0c1d2e3f4a5b"
	sharedSecret = "bm9kZSBzaGFyZWQgc2VjcmV0OiAzMiBieXRlcyBsb25n" // 32 bytes
)

// requireSDK fails under CI and skips elsewhere when node or the installed SDK is missing.
func requireSDK(t *testing.T) string {
	t.Helper()
	missing := ""
	node, err := exec.LookPath("node")
	if err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat("node_modules/cybersource-rest-client/package.json"); err != nil {
		missing = "the SDK is not installed: run npm ci --prefix internal/interop/node"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(missing + " (CI installs it)")
		}
		t.Skip(missing)
	}
	return node
}

// captureContext runs capture-context.js against the sandbox with the given shared secret.
func captureContext(t *testing.T, node string, sb *sandbox.Sandbox, secret string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "capture-context.js")
	cmd.Env = append(os.Environ(),
		"PAYSANDBOX_CYBERSOURCE_URL="+sb.CyberSourceURL(),
		"PAYSANDBOX_CYBERSOURCE_MERCHANT_ID="+merchantID,
		"PAYSANDBOX_CYBERSOURCE_KEY_ID="+keyID,
		"PAYSANDBOX_CYBERSOURCE_SHARED_SECRET="+secret,
	)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return strings.TrimSpace(out.String()), errOut.String(), err
}

// The Node SDK generates a capture context with JWT (HS256 shared secret) authentication; the
// Go client verifies it with the key the sandbox publishes. A wrong secret is refused.
func TestNodeSDKGeneratesCaptureContext(t *testing.T) {
	node := requireSDK(t)
	sb, err := sandbox.Start(sandbox.Config{
		DinteroAddr: "127.0.0.1:0", CyberSourceAddr: "127.0.0.1:0",
		Dintero: sandbox.DinteroCredentials{
			AccountID: "T12345678", ClientID: "node-client", ClientSecret: "node-secret", CallbackSecret: "node-callback-secret",
		},
		CyberSource: sandbox.CyberSourceCredentials{MerchantID: merchantID, KeyID: keyID, SharedSecret: sharedSecret},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sb.Shutdown(context.Background()) })

	token, stderr, err := captureContext(t, node, sb, sharedSecret)
	require.NoError(t, err, "stderr: %s", stderr)
	c, err := cyberflex.New(cyberflex.WithJWT(merchantID, keyID, sharedSecret), cyberflex.WithBaseURL(sb.CyberSourceURL()))
	require.NoError(t, err)
	verified, err := c.VerifyCaptureContext(context.Background(), token)
	require.NoError(t, err)
	claims := verified.Claims
	assert.Equal(t, sb.CyberSourceURL(), claims.Tokenization.Origin)
	require.Len(t, claims.Settings, 1)
	assert.Equal(t, []string{"paymentInformation.card.number"}, claims.Settings[0].Data.RequiredFields)
	assert.Equal(t, []string{"paymentInformation.card.securityCode"}, claims.Settings[0].Data.OptionalFields)

	_, stderr, err = captureContext(t, node, sb, "d3Jvbmcgc2VjcmV0LCB0aGlydHktdHdvIGJ5dGVzISE=")
	require.Error(t, err, "a JWT signed with another secret")
	assert.Contains(t, stderr, "401")
	assert.Equal(t, 2, sb.CyberSource().Calls(cyberflextest.OpGenerateCaptureContext))
}
