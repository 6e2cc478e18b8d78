package sandbox_test

import (
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/internal/sandbox"
)

// cardPage is a merchant's card page as the Microform v2 guide builds one: the script named by
// the capture context with its integrity, the two fields mounted in containers, the expiry in
// the page's own inputs, and a button that creates the transient token and posts it to the
// merchant's server. It writes what happens into #loaded, #card, #result and #error.
var cardPage = template.Must(template.New("card").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Card</title>
<script src="{{.Script}}" integrity="{{.Integrity}}" crossorigin="anonymous"></script>
</head><body>
<div id="number-container"></div>
<div id="securityCode-container"></div>
<input id="expMonth" placeholder="MM"> <input id="expYear" placeholder="YYYY">
<button id="pay" type="button">Pay</button>
<p id="loaded"></p><p id="card"></p><p id="result"></p><p id="error"></p>
<script>
function show(id, text) { document.getElementById(id).textContent = text; }
window.onerror = function (message) { show("error", "page error: " + message); };
var flex = new Flex({{.CaptureContext}});
var microform = flex.microform({ styles: { input: { "font-size": "16px" }, valid: { color: "green" }, invalid: { color: "red" } } });
var number = microform.createField("number", { placeholder: "Card number" });
var securityCode = microform.createField("securityCode", { placeholder: "CVV" });
var loaded = 0;
function fieldLoaded() { if (++loaded === 2) { show("loaded", "loaded"); } }
number.on("load", fieldLoaded);
securityCode.on("load", fieldLoaded);
number.on("change", function (e) {
  show("card", e.card.map(function (c) { return c.name + " " + c.cybsCardType; }).join(",") + (e.valid ? " valid" : ""));
});
number.load("#number-container");
securityCode.load("#securityCode-container");
document.getElementById("pay").addEventListener("click", function () {
  show("result", ""); show("error", "");
  var options = { expirationMonth: document.getElementById("expMonth").value, expirationYear: document.getElementById("expYear").value };
  microform.createToken(options, function (err, token) {
    if (err) {
      show("error", err.reason + (err.details ? " " + err.details.map(function (d) { return d.location; }).join(",") : "") + ": " + err.message);
      return;
    }
    fetch("/token", { method: "POST", body: token }).then(function (r) { return r.text(); }).then(function (t) { show("result", t); });
  });
});
</script>
</body></html>
`))

// cardShop is the merchant's server of cardPage: GET / asks the sandbox for a Microform capture
// context for the shop's own origin and serves the page; POST /token verifies the transient
// token against that capture context and hands it to the test.
type cardShop struct {
	*httptest.Server
	mu       sync.Mutex
	cc       *cyberflex.CaptureContext
	verified chan verifiedToken
}

type verifiedToken struct {
	token *cyberflex.TransientToken
	err   error
}

// next returns the next token the shop verified. The page shows the shop's answer first, so it
// is there already.
func (shop *cardShop) next(t *testing.T) verifiedToken {
	t.Helper()
	select {
	case v := <-shop.verified:
		return v
	default:
		t.Fatal("the shop received no token")
		return verifiedToken{}
	}
}

func newCardShop(t *testing.T, c *cyberflex.Client) *cardShop {
	t.Helper()
	shop := &cardShop{verified: make(chan verifiedToken, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		cc, err := c.GenerateMicroformContext(r.Context(), cyberflex.MicroformRequest{
			TargetOrigins:       []string{shop.URL},
			AllowedCardNetworks: []cyberflex.CardNetwork{cyberflex.CardNetworkVisa, cyberflex.CardNetworkMastercard},
			ClientVersion:       "v2.0",
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		shop.mu.Lock()
		shop.cc = cc
		shop.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = cardPage.Execute(w, map[string]string{
			"Script": cc.ClientLibrary(), "Integrity": cc.ClientLibraryIntegrity(), "CaptureContext": cc.Token,
		})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		shop.mu.Lock()
		cc := shop.cc
		shop.mu.Unlock()
		tt, err := c.VerifyTransientToken(r.Context(), cc, string(body))
		shop.verified <- verifiedToken{tt, err}
		if err != nil {
			http.Error(w, "not verified", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, "paid with "+tt.Claims.Card.MaskedNumber)
	})
	shop.Server = httptest.NewServer(mux)
	t.Cleanup(shop.Close)
	return shop
}

// A merchant's card page loads the sandbox's Microform stand-in with its SRI hash, a person
// types a test card into its fields, and the transient token the page gets verifies on the
// merchant's server with cyberflex.VerifyTransientToken, showing the card's masked number and
// BIN. A card that is not valid is refused on the page, and an error answer of the sandbox
// reaches the page's callback.
func TestBrowserMicroform(t *testing.T) {
	ctx := browser(t)
	sb := start(t, sandbox.Config{})
	cs := testConfig.CyberSource
	c, err := cyberflex.New(cyberflex.WithJWT(cs.MerchantID, cs.KeyID, cs.SharedSecret),
		cyberflex.WithBaseURL(sb.CyberSourceURL()), cyberflex.WithMaxRetries(0))
	require.NoError(t, err)
	shop := newCardShop(t, c)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(shop.URL)))
	shown, err := chromedp.Run(ctx, pollText("loaded", "error"))
	require.NoError(t, err)
	require.Equal(t, "loaded", shown, "the script loads with its integrity and mounts both fields")
	shop.mu.Lock()
	cc := shop.cc
	shop.mu.Unlock()
	assert.Equal(t, sb.CyberSourceURL()+"/microform/bundle/v2.0/flex-microform.min.js", cc.ClientLibrary())
	assert.Equal(t, []string{shop.URL}, cc.TargetOrigins())

	numberInput := chromedp.CSS(`#number-container input`)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(numberInput, "4111 1111 1111 1111"),
		chromedp.SendKeys(chromedp.CSS(`#securityCode-container input`), "123"),
		chromedp.SendKeys(chromedp.ID("expMonth"), "12"),
		chromedp.SendKeys(chromedp.ID("expYear"), "2031"),
	))
	card, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("card")))
	require.NoError(t, err)
	assert.Equal(t, "visa 001 valid", card, "the change event detects the card")
	class, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("number-container"), "class"))
	require.NoError(t, err)
	assert.Contains(t, strings.Fields(class.Value), "flex-microform-valid")

	// Record what the stand-in posts, to check the JWE header.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`window.sentJWEs = []; (function (fetch) {
		window.fetch = function (url, init) {
			if (String(url).endsWith("/flex/v2/tokens")) { window.sentJWEs.push(init.body); }
			return fetch.apply(this, arguments);
		};
	})(window.fetch);`))
	require.NoError(t, err)

	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("pay"))))
	result, err := chromedp.Run(ctx, pollText("result", "error"))
	require.NoError(t, err)
	require.Equal(t, "paid with XXXXXXXXXXXX1111", result)
	v := shop.next(t)
	require.NoError(t, v.err, "the transient token verifies against the capture context")
	assert.Equal(t, cyberflex.CardSummary{MaskedNumber: "XXXXXXXXXXXX1111", BIN: "411111", ExpirationMonth: "12", ExpirationYear: "2031", Type: "001"}, v.token.Claims.Card)
	assert.Equal(t, "mf-2.0.0", v.token.Claims.Type)
	assert.Equal(t, cc.Claims.Tokenization.JWK.KeyID, v.token.Claims.KeyID)

	sent, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.sentJWEs`))
	require.NoError(t, err)
	require.Len(t, sent, 1)
	parts := strings.Split(sent[0], ".")
	require.Len(t, parts, 5, "a compact JWE")
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"`+cc.Claims.Tokenization.JWK.KeyID+`"}`, string(header))
	assert.NotContains(t, sent[0], "4111111111111111")

	// A number that fails the Luhn check is refused on the page; nothing is posted.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`number.clear()`),
		chromedp.SendKeys(numberInput, "4111111111111112"),
		chromedp.Click(chromedp.ID("pay")),
	))
	refused, err := chromedp.Run(ctx, pollText("error", "result"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(refused, "CREATE_TOKEN_VALIDATION_FIELDS number:"), refused)

	// An error answer of the sandbox reaches the callback: the answer carries the CORS headers
	// the browser needs to show it to the page.
	sb.CyberSource().Inject(cyberflextest.OpTokenize, cyberflextest.Fault{Status: http.StatusServiceUnavailable})
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`number.clear()`),
		chromedp.SendKeys(numberInput, "4111111111111111"),
		chromedp.Click(chromedp.ID("pay")),
	))
	failed, err := chromedp.Run(ctx, pollText("error", "result"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(failed, "API_INTERNAL_ERROR: HTTP 503"), failed)
	posted, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.sentJWEs.length`))
	require.NoError(t, err)
	assert.Equal(t, 2, posted, "the refused card was not posted")
	assert.Empty(t, shop.verified, "no token reached the shop after the first")

	// Misuses of the API get Microform's reasons.
	reasons, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(async function () {
		function reason(f) { try { f(); return "no error"; } catch (e) { return e.reason; } }
		function tokenReason(m, options) {
			return new Promise(function (resolve) {
				m.createToken(options, function (err) {
					resolve(err.reason + (err.details ? " " + err.details.map(function (d) { return d.location; }).join(",") : ""));
				});
			});
		}
		var other = flex.microform({});
		return {
			fieldType: reason(function () { other.createField("cardholder"); }),
			duplicate: reason(function () { microform.createField("number"); }),
			selector: reason(function () { other.createField("number").load("#nowhere"); }),
			event: reason(function () { number.on("hover", function () {}); }),
			callback: reason(function () { number.on("change", "not a function"); }),
			loadedTwice: reason(function () { number.load("#number-container"); }),
			context: reason(function () { new Flex("not.a.jwt"); }),
			noFields: await tokenReason(other, {}),
			params: await tokenReason(microform, { expirationMonth: "13", expirationYear: "31" }),
		};
	})()`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"fieldType":   "CREATE_FIELD_INVALID_FIELD_TYPE",
		"duplicate":   "CREATE_FIELD_DUPLICATE",
		"selector":    "FIELD_LOAD_CONTAINER_SELECTOR",
		"event":       "FIELD_SUBSCRIBE_UNSUPPORTED_EVENT",
		"callback":    "FIELD_SUBSCRIBE_INVALID_CALLBACK",
		"loadedTwice": "FIELD_ALREADY_LOADED",
		"context":     "CAPTURE_CONTEXT_INVALID",
		"noFields":    "CREATE_TOKEN_NO_FIELDS_LOADED",
		"params":      "CREATE_TOKEN_VALIDATION_PARAMS expirationMonth,expirationYear",
	}, reasons)

	// The same page on an origin that is not a target origin of its capture context (localhost
	// is not 127.0.0.1) gets no token.
	elsewhere := strings.Replace(shop.URL, "127.0.0.1", "localhost", 1)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(elsewhere)))
	shown, err = chromedp.Run(ctx, pollText("loaded", "error"))
	require.NoError(t, err)
	require.Equal(t, "loaded", shown)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(numberInput, "4111111111111111"),
		chromedp.SendKeys(chromedp.CSS(`#securityCode-container input`), "123"),
		chromedp.Click(chromedp.ID("pay")),
	))
	wrongOrigin, err := chromedp.Run(ctx, pollText("error", "result"))
	require.NoError(t, err)
	assert.Equal(t, "CAPTURE_CONTEXT_INVALID: This page's origin "+elsewhere+" is not one of the capture context's targetOrigins ("+shop.URL+").", wrongOrigin)
	assert.Empty(t, shop.verified)
}

// pollText waits until the element with id first, or else the one with id other, has text,
// and returns that text.
func pollText(first, other string) chromedp.Action[string] {
	return chromedp.Poll[string](`document.getElementById("` + first + `").textContent || document.getElementById("` + other + `").textContent`)
}
