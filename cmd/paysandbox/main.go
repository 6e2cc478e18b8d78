// Command paysandbox runs the SDK's fakes of Dintero Checkout and CyberSource Flex as one local
// sandbox, for tests and manual trials in any language:
//
//	go run github.com/paysession/paysession-go/cmd/paysandbox@latest
//
// It prints the base URLs and the credentials to use (with -json, as one JSON object on the first
// line of standard output), then serves until interrupted (SIGINT or SIGTERM):
//
//   - the Dintero Checkout API (dinterotest) and, at the session URL a create call returns
//     (<base>/v1/view/<session id>), a checkout page with buttons to pay with a test card, leave
//     the payment on hold, decline or cancel. Each sends the browser to the session's return_url
//     with the query Dintero appends and delivers the signed callback to its callback_url, on
//     localhost too;
//   - the CyberSource Flex API v2 (cyberflextest), with JWT and (for older accounts) HTTP Signature authentication;
//   - an admin API under /_sandbox/ on both addresses: state, reset, fault injection, the
//     deliveries to the merchant, and the checkout's actions without a browser.
//
// Every setting is a flag or an environment variable; credentials that are not given are
// generated at random and printed. Flags win over the environment:
//
//	-dintero ADDR                   PAYSANDBOX_DINTERO_ADDR            listen address (default 127.0.0.1:0, a free port)
//	-cybersource ADDR               PAYSANDBOX_CYBERSOURCE_ADDR        listen address (default 127.0.0.1:0)
//	-dintero-url URL                PAYSANDBOX_DINTERO_URL             base URL clients and browsers use (default http://<address>)
//	-cybersource-url URL            PAYSANDBOX_CYBERSOURCE_URL         base URL clients use (default http://<address>)
//	-dintero-account-id ID          PAYSANDBOX_DINTERO_ACCOUNT_ID      T or P and eight digits
//	-dintero-client-id ID           PAYSANDBOX_DINTERO_CLIENT_ID
//	-dintero-client-secret SECRET   PAYSANDBOX_DINTERO_CLIENT_SECRET
//	-dintero-callback-secret SECRET PAYSANDBOX_DINTERO_CALLBACK_SECRET callback signature secret
//	-cybersource-merchant-id ID     PAYSANDBOX_CYBERSOURCE_MERCHANT_ID
//	-cybersource-key-id ID          PAYSANDBOX_CYBERSOURCE_KEY_ID
//	-cybersource-shared-secret B64  PAYSANDBOX_CYBERSOURCE_SHARED_SECRET standard base64 of at least 32 bytes
//	-cybersource-host HOST          PAYSANDBOX_CYBERSOURCE_HOST        host requests are signed for (default apitest.cybersource.com)
//	-json                           the first line of standard output is the settings as JSON
//	-healthcheck                    ask a running sandbox (at -dintero) whether it is up; exit 0 if so
//
// Prefer the environment to flags for secrets: other users of the machine can see a process's
// arguments.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/internal/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "paysandbox:", err)
		os.Exit(1)
	}
}

// errUsage is wrapped by the errors of bad flags (already reported by the flag package).
var errUsage = errors.New("usage")

// shutdownTimeout bounds how long a stop waits for requests and callbacks in progress.
const shutdownTimeout = 5 * time.Second

// run is the whole program: it serves the sandbox until ctx ends (main ends it on SIGINT and
// SIGTERM), then shuts it down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parse(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	if opts.healthcheck {
		return healthcheck(ctx, opts.cfg.DinteroAddr)
	}
	sb, err := sandbox.Start(opts.cfg)
	if err != nil {
		return err
	}
	if opts.json {
		err = printJSON(stdout, sb, opts.cfg)
	} else {
		err = printText(stdout, sb, opts.cfg)
	}
	if err == nil {
		<-ctx.Done()
		fmt.Fprintln(stderr, "paysandbox: stopping")
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if serr := sb.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = fmt.Errorf("stopping: %w", serr)
	}
	return err
}

// options are the parsed flags and environment.
type options struct {
	cfg         sandbox.Config
	json        bool
	healthcheck bool
}

// setting is one string setting: its flag, its environment variable, and how to make it up
// when neither gives it.
type setting struct {
	flag, env, usage string
	dst              *string
	generate         func() string
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	cfg := &o.cfg
	cfg.Log = stderr
	settings := []setting{
		{"dintero", "PAYSANDBOX_DINTERO_ADDR", "`address` the Dintero API and checkout listen on", &cfg.DinteroAddr, constant("127.0.0.1:0")},
		{"cybersource", "PAYSANDBOX_CYBERSOURCE_ADDR", "`address` the CyberSource API listens on", &cfg.CyberSourceAddr, constant("127.0.0.1:0")},
		{"dintero-url", "PAYSANDBOX_DINTERO_URL", "base `URL` under which clients and browsers reach the Dintero address (default http://<address>)", &cfg.DinteroURL, nil},
		{"cybersource-url", "PAYSANDBOX_CYBERSOURCE_URL", "base `URL` under which clients reach the CyberSource address (default http://<address>)", &cfg.CyberSourceURL, nil},
		{"dintero-account-id", "PAYSANDBOX_DINTERO_ACCOUNT_ID", "Dintero account `id`, T or P and eight digits (default: generated)", &cfg.Dintero.AccountID, accountID},
		{"dintero-client-id", "PAYSANDBOX_DINTERO_CLIENT_ID", "Dintero API client `id` (default: generated)", &cfg.Dintero.ClientID, func() string { return "paysandbox-" + random(8) }},
		{"dintero-client-secret", "PAYSANDBOX_DINTERO_CLIENT_SECRET", "Dintero API client `secret` (default: generated)", &cfg.Dintero.ClientSecret, func() string { return random(24) }},
		{"dintero-callback-secret", "PAYSANDBOX_DINTERO_CALLBACK_SECRET", "`secret` that signs the callbacks (default: generated)", &cfg.Dintero.CallbackSecret, func() string { return random(24) }},
		{"cybersource-merchant-id", "PAYSANDBOX_CYBERSOURCE_MERCHANT_ID", "CyberSource merchant `id` (default: generated)", &cfg.CyberSource.MerchantID, func() string { return "paysandbox_" + strings.ToLower(random(8)) }},
		{"cybersource-key-id", "PAYSANDBOX_CYBERSOURCE_KEY_ID", "CyberSource shared-secret key `id` (default: generated)", &cfg.CyberSource.KeyID, uuid},
		{"cybersource-shared-secret", "PAYSANDBOX_CYBERSOURCE_SHARED_SECRET", "CyberSource shared `secret`, standard base64 of at least 32 bytes (default: generated)", &cfg.CyberSource.SharedSecret, sharedSecret},
		{"cybersource-host", "PAYSANDBOX_CYBERSOURCE_HOST", "`host` CyberSource requests are signed for", &cfg.CyberSource.Host, constant(cyberflextest.DefaultHost)},
	}
	fs := flag.NewFlagSet("paysandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: paysandbox [flags]\n\nRuns the Dintero Checkout and CyberSource Flex fakes as a local sandbox.\nEvery flag but -json and -healthcheck can also be set by the environment variable named in brackets.\n\n")
		fs.PrintDefaults()
	}
	for _, st := range settings {
		fs.StringVar(st.dst, st.flag, "", st.usage+" ["+st.env+"]")
	}
	fs.BoolVar(&o.json, "json", false, "print the settings as one JSON object on the first line of standard output")
	fs.BoolVar(&o.healthcheck, "healthcheck", false, "check that a sandbox listening on the -dintero address is up, and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paysandbox takes no arguments, only flags: %q\n", fs.Args())
		fs.Usage()
		return o, fmt.Errorf("%w: unexpected arguments", errUsage)
	}
	for _, st := range settings {
		if *st.dst == "" {
			*st.dst = strings.TrimSpace(getenv(st.env))
		}
		if *st.dst == "" && st.generate != nil {
			*st.dst = st.generate()
		}
	}
	return o, nil
}

func constant(v string) func() string { return func() string { return v } }

// accountID makes up a test account id: "T" and eight random digits.
func accountID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(100_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return fmt.Sprintf("T%08d", n)
}

// random returns n random bytes as unpadded base64url: letters, digits, '-' and '_'.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// uuid returns a random (version 4) UUID, the shape of a CyberSource key id.
func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sharedSecret returns 32 random bytes in standard base64, the shape of a Business Center secret.
func sharedSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Settings is what -json prints on the first line of standard output.
type Settings struct {
	Dintero     DinteroSettings     `json:"dintero"`
	CyberSource CyberSourceSettings `json:"cybersource"`
}

// DinteroSettings are the Dintero part of Settings.
type DinteroSettings struct {
	BaseURL        string `json:"base_url"`
	AccountID      string `json:"account_id"`
	ClientID       string `json:"client_id"`
	ClientSecret   string `json:"client_secret"`
	CallbackSecret string `json:"callback_secret"`
}

// CyberSourceSettings are the CyberSource part of Settings.
type CyberSourceSettings struct {
	BaseURL      string `json:"base_url"`
	MerchantID   string `json:"merchant_id"`
	KeyID        string `json:"key_id"`
	SharedSecret string `json:"shared_secret"`
}

func settingsOf(sb *sandbox.Sandbox, cfg sandbox.Config) Settings {
	return Settings{
		Dintero: DinteroSettings{
			BaseURL: sb.DinteroURL(), AccountID: cfg.Dintero.AccountID, ClientID: cfg.Dintero.ClientID,
			ClientSecret: cfg.Dintero.ClientSecret, CallbackSecret: cfg.Dintero.CallbackSecret,
		},
		CyberSource: CyberSourceSettings{
			BaseURL: sb.CyberSourceURL(), MerchantID: cfg.CyberSource.MerchantID, KeyID: cfg.CyberSource.KeyID,
			SharedSecret: cfg.CyberSource.SharedSecret,
		},
	}
}

func printJSON(w io.Writer, sb *sandbox.Sandbox, cfg sandbox.Config) error {
	b, err := json.Marshal(settingsOf(sb, cfg))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func printText(w io.Writer, sb *sandbox.Sandbox, cfg sandbox.Config) error {
	s := settingsOf(sb, cfg)
	_, err := fmt.Fprintf(w, `paysandbox is running. Stop it with Ctrl-C.

Dintero Checkout
  base URL         %s
  account id       %s
  client id        %s
  client secret    %s
  callback secret  %s
  checkout pages   %s/view/<session id>  (the url of every created session)

CyberSource Flex API v2
  base URL         %s
  merchant id      %s
  key id           %s
  shared secret    %s
  signed for host  %s  (JWT, or HTTP Signature for old accounts)

Admin API          %s  (state, reset, faults, deliveries)

Go:  dintero.New(dintero.WithClientCredentials(account, client, secret), dintero.WithBaseURL(%q))
     cyberflex.New(cyberflex.WithJWT(merchant, key, secret), cyberflex.WithBaseURL(%q))
     dintero.CallbackVerifier{AccountID: account, Secret: callbackSecret}.Parse(r)
`,
		s.Dintero.BaseURL, s.Dintero.AccountID, s.Dintero.ClientID, s.Dintero.ClientSecret, s.Dintero.CallbackSecret, s.Dintero.BaseURL,
		s.CyberSource.BaseURL, s.CyberSource.MerchantID, s.CyberSource.KeyID, s.CyberSource.SharedSecret, cfg.CyberSource.Host,
		sb.AdminURL(), s.Dintero.BaseURL, s.CyberSource.BaseURL)
	return err
}

// healthcheck asks the sandbox listening on addr (an unspecified host meaning this machine)
// for GET /_sandbox/health, for container health checks, where the image has no curl.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: address %q: %w", addr, err)
	}
	if port == "0" {
		return errors.New("healthcheck: give the address of the running sandbox (-dintero or PAYSANDBOX_DINTERO_ADDR), not port 0")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+sandbox.AdminPrefix+"health", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", req.URL, resp.Status)
	}
	return nil
}
