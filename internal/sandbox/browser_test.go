package sandbox_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/internal/sandbox"
)

// browserTimeout bounds a whole browser test, browser start included.
const browserTimeout = 30 * time.Second

// browser starts a headless Chromium for the test, which ends with the test or after
// browserTimeout. Without a browser the test fails under CI (.ci/run installs the Debian package
// chromium, so a missing one is a broken CI) and is skipped elsewhere, saying how to get one.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium on PATH under CI=true: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("no Chromium on PATH: install it (Debian: apt-get install chromium) to run the browser tests")
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelBrowser)
	return browserCtx
}

// A person opens the session URL in a real browser and pays: the browser lands on the shop's
// return page with the transaction, and the shop's server receives the callback and verifies
// its signature with dintero.CallbackVerifier.
func TestBrowserPay(t *testing.T) {
	ctx := browser(t)
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, checkoutURL := createSession(t, c, order(m, "order-browser", ""))

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(checkoutURL), chromedp.WaitVisible(chromedp.ID("pay"))))
	total, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("amount")))
	require.NoError(t, err)
	assert.Equal(t, "397.00 NOK", total)
	lines, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("order-lines")))
	require.NoError(t, err)
	assert.Contains(t, lines, "T-shirt")
	assert.Contains(t, lines, "Socks")

	// Click and wait for the page the click leads to: the shop's return page.
	_, err = chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("pay"))))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("thanks"))))
	location, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("transaction")))
	require.NoError(t, err)

	sess := must(c.GetSession(context.Background(), id))
	tx := sess.GetTransactionID()
	require.NotEmpty(t, tx, "the session is paid")
	landed, err := url.Parse(location)
	require.NoError(t, err)
	assert.Equal(t, m.URL+"/return", landed.Scheme+"://"+landed.Host+landed.Path)
	assert.Equal(t, url.Values{"transaction_id": {tx}, "merchant_reference": {"order-browser"}, "session_id": {id}}, landed.Query())
	assert.Equal(t, tx, shown)

	cb := m.next(t)
	require.NoError(t, cb.verified, "the callback's signature verifies")
	assert.Equal(t, tx, cb.query["transaction_id"])
	assert.Equal(t, id, cb.query["session_id"])
}

// Cancelling in the browser returns to the shop with error=cancelled and leaves the session
// unpaid.
func TestBrowserCancel(t *testing.T) {
	ctx := browser(t)
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, checkoutURL := createSession(t, c, order(m, "order-browser-cancel", ""))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(checkoutURL), chromedp.WaitVisible(chromedp.ID("cancel"))))
	_, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.ID("cancel"))))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("thanks"))))
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error")))
	require.NoError(t, err)
	assert.Equal(t, "cancelled", shown)
	assert.Nil(t, must(c.GetSession(context.Background(), id)).TransactionID)
}
