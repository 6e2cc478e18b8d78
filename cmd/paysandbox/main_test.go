package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
)

// fixedCredentials are flags that set every credential.
var fixedCredentials = []string{
	"-dintero-account-id", "T87654321",
	"-dintero-client-id", "cli-client",
	"-dintero-client-secret", "cli-client-secret",
	"-dintero-callback-secret", "cli-callback-secret",
	"-cybersource-merchant-id", "cli_merchant",
	"-cybersource-key-id", "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6",
	"-cybersource-shared-secret", "Y2xpIHNoYXJlZCBzZWNyZXQgb2YgMzIgYnl0ZXMhISE=",
}

// running is a run of the program in this process.
type running struct {
	cancel context.CancelFunc
	done   chan error
	stdout *bufio.Reader
	stderr *syncBuffer
}

// startRun calls run with args in a goroutine; stop ends it as a signal would.
func startRun(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	r := &running{cancel: cancel, done: make(chan error, 1), stdout: bufio.NewReader(pr), stderr: &syncBuffer{}}
	go func() {
		err := run(ctx, args, pw, r.stderr)
		pw.Close()
		r.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop cancels the run and returns its error.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
		return nil
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// firstJSONLine reads the first line of standard output as the settings, checking that it is
// exactly one JSON object with exactly the documented keys.
func firstJSONLine(t *testing.T, r *bufio.Reader) Settings {
	t.Helper()
	line, err := r.ReadString('\n')
	require.NoError(t, err)
	var shape map[string]map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(line))
	require.NoError(t, dec.Decode(&shape), "line %q", line)
	_, err = dec.Token()
	require.ErrorIs(t, err, io.EOF, "one JSON object and nothing else on the line")
	keys := map[string][]string{}
	for api, fields := range shape {
		for k := range fields {
			keys[api] = append(keys[api], k)
		}
	}
	assert.ElementsMatch(t, []string{"base_url", "account_id", "client_id", "client_secret", "callback_secret"}, keys["dintero"])
	assert.ElementsMatch(t, []string{"base_url", "merchant_id", "key_id", "shared_secret"}, keys["cybersource"])
	assert.Len(t, keys, 2)
	var s Settings
	require.NoError(t, json.Unmarshal([]byte(line), &s))
	return s
}

func TestRunJSON(t *testing.T) {
	r := startRun(t, append([]string{"-json"}, fixedCredentials...)...)
	s := firstJSONLine(t, r.stdout)
	assert.Equal(t, DinteroSettings{
		BaseURL: s.Dintero.BaseURL, AccountID: "T87654321", ClientID: "cli-client",
		ClientSecret: "cli-client-secret", CallbackSecret: "cli-callback-secret",
	}, s.Dintero)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+/v1$`, s.Dintero.BaseURL)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, s.CyberSource.BaseURL)
	assert.Equal(t, "cli_merchant", s.CyberSource.MerchantID)

	// The printed settings work with the SDK's clients.
	ctx := context.Background()
	d, err := dintero.New(dintero.WithClientCredentials(s.Dintero.AccountID, s.Dintero.ClientID, s.Dintero.ClientSecret),
		dintero.WithBaseURL(s.Dintero.BaseURL))
	require.NoError(t, err)
	created, err := d.CreateSession(ctx, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: "https://shop.example/return"},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "cli-1"},
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(created.GetURL(), s.Dintero.BaseURL+"/view/"), created.GetURL())
	c, err := cyberflex.New(cyberflex.WithJWT(s.CyberSource.MerchantID, s.CyberSource.KeyID, s.CyberSource.SharedSecret),
		cyberflex.WithBaseURL(s.CyberSource.BaseURL))
	require.NoError(t, err)
	_, err = c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	require.NoError(t, err)

	require.NoError(t, r.stop(t))
	rest, _ := io.ReadAll(r.stdout)
	assert.Empty(t, rest, "nothing but the JSON line on standard output")
	assert.Contains(t, r.stderr.String(), "paysandbox: stopping")
	_, err = http.Get(s.Dintero.BaseURL + "/sessions")
	assert.Error(t, err, "the listener is closed")
}

func TestRunText(t *testing.T) {
	r := startRun(t, fixedCredentials...)
	var out strings.Builder
	for !strings.Contains(out.String(), "Admin API") {
		line, err := r.stdout.ReadString('\n')
		require.NoError(t, err, "output so far: %s", out.String())
		out.WriteString(line)
	}
	for _, want := range []string{
		"T87654321", "cli-client", "cli-client-secret", "cli-callback-secret",
		"cli_merchant", "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6", "Y2xpIHNoYXJlZCBzZWNyZXQgb2YgMzIgYnl0ZXMhISE=",
		"apitest.cybersource.com", "/v1/view/<session id>", "/_sandbox/",
	} {
		assert.Contains(t, out.String(), want)
	}
	require.NoError(t, r.stop(t))
}

func TestRunRefusesBadSettings(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-dintero-account-id", "X1"}, io.Discard, &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `account id "X1"`)

	err = run(context.Background(), []string{"-no-such-flag"}, io.Discard, &stderr)
	require.ErrorIs(t, err, errUsage)
	assert.Contains(t, stderr.String(), "Usage: paysandbox")

	err = run(context.Background(), []string{"serve"}, io.Discard, &stderr)
	require.ErrorIs(t, err, errUsage)

	err = run(context.Background(), []string{"-h"}, io.Discard, &stderr)
	require.ErrorIs(t, err, flag.ErrHelp)
}

// Flags win over the environment, which wins over generated values.
func TestSettingsPrecedence(t *testing.T) {
	env := map[string]string{
		"PAYSANDBOX_DINTERO_CLIENT_ID":       "from-env",
		"PAYSANDBOX_DINTERO_CLIENT_SECRET":   "secret-from-env",
		"PAYSANDBOX_CYBERSOURCE_MERCHANT_ID": "env_merchant",
		"PAYSANDBOX_DINTERO_ADDR":            "127.0.0.1:18080",
	}
	o, err := parse([]string{"-dintero-client-id", "from-flag"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	cfg := o.cfg
	assert.Equal(t, "from-flag", cfg.Dintero.ClientID)
	assert.Equal(t, "secret-from-env", cfg.Dintero.ClientSecret)
	assert.Equal(t, "env_merchant", cfg.CyberSource.MerchantID)
	assert.Equal(t, "127.0.0.1:18080", cfg.DinteroAddr)
	assert.Equal(t, "127.0.0.1:0", cfg.CyberSourceAddr)
	assert.Empty(t, cfg.DinteroURL)
	assert.Equal(t, "apitest.cybersource.com", cfg.CyberSource.Host)

	// Generated: valid for the fakes, and different every time.
	assert.Regexp(t, `^T\d{8}$`, cfg.Dintero.AccountID)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, cfg.CyberSource.KeyID)
	secret, err := base64.StdEncoding.DecodeString(cfg.CyberSource.SharedSecret)
	require.NoError(t, err)
	assert.Len(t, secret, 32)
	assert.Len(t, cfg.Dintero.CallbackSecret, 32)
	again, err := parse(nil, func(string) string { return "" }, io.Discard)
	require.NoError(t, err)
	assert.NotEqual(t, cfg.Dintero.CallbackSecret, again.cfg.Dintero.CallbackSecret)
	assert.NotEqual(t, cfg.CyberSource.SharedSecret, again.cfg.CyberSource.SharedSecret)
	assert.NotEqual(t, cfg.Dintero.ClientID, again.cfg.Dintero.ClientID)
}

func TestHealthcheck(t *testing.T) {
	r := startRun(t, "-json")
	s := firstJSONLine(t, r.stdout)
	addr := strings.TrimSuffix(strings.TrimPrefix(s.Dintero.BaseURL, "http://"), "/v1")
	require.NoError(t, run(context.Background(), []string{"-healthcheck", "-dintero", addr}, io.Discard, io.Discard))
	_, port, _ := strings.Cut(addr, ":")
	require.NoError(t, run(context.Background(), []string{"-healthcheck", "-dintero", "0.0.0.0:" + port}, io.Discard, io.Discard),
		"an unspecified host means this machine")
	require.NoError(t, r.stop(t))
	assert.Error(t, run(context.Background(), []string{"-healthcheck", "-dintero", addr}, io.Discard, io.Discard), "stopped")
	err := run(context.Background(), []string{"-healthcheck"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "not port 0")
}

// The built program stops cleanly, with exit status 0, on SIGINT and on SIGTERM.
func TestSignals(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "paysandbox")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "-json")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
				}
			}()
			s := firstJSONLine(t, bufio.NewReader(stdout))
			resp, err := http.Get(s.Dintero.BaseURL[:len(s.Dintero.BaseURL)-len("/v1")] + "/_sandbox/health")
			require.NoError(t, err)
			resp.Body.Close()

			require.NoError(t, cmd.Process.Signal(sig))
			select {
			case err := <-exited:
				require.NoError(t, err, "exit status; stderr: %s", stderr.String())
			case <-time.After(10 * time.Second):
				t.Fatalf("still running 10 s after %v", sig)
			}
			assert.Contains(t, stderr.String(), "paysandbox: stopping")
			_, err = http.Get(s.CyberSource.BaseURL)
			assert.Error(t, err, "the CyberSource listener is closed")
		})
	}
}
