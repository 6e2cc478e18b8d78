package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/internal/sandbox"
)

// The checkout page shows the order, and paying sends the browser to return_url with Dintero's
// query while the signed callback reaches the merchant.
func TestCheckoutPay(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, checkoutURL := createSession(t, c, order(m, "order-1", ""))
	assert.Equal(t, sb.DinteroURL()+"/view/"+id, checkoutURL)

	page := send(t, http.MethodGet, checkoutURL, "")
	require.Equal(t, http.StatusOK, page.status)
	assert.Equal(t, "text/html; charset=utf-8", page.header.Get("Content-Type"))
	for _, want := range []string{"order-1", "T-shirt", "Socks", "299.00", "98.00", "397.00 NOK", `id="pay"`, `id="hold"`, `id="decline"`, `id="cancel"`} {
		assert.Contains(t, page.body, want)
	}
	assert.Contains(t, page.body, `<code id="callback-url">`+m.URL+`/callback</code> (for a transaction only`)

	paid := send(t, http.MethodPost, checkoutURL+"/pay", "")
	require.Equal(t, http.StatusSeeOther, paid.status, paid.body)
	sess, err := c.GetSession(context.Background(), id)
	require.NoError(t, err)
	require.NotNil(t, sess.TransactionID)
	tx := *sess.TransactionID
	assert.Equal(t, dintero.StatusAuthorized, dintero.StatusOf(sess, sess.CreatedAt.Add(1)))
	assert.Equal(t, m.URL+"/return?"+url.Values{
		"transaction_id": {tx}, "merchant_reference": {"order-1"}, "session_id": {id},
	}.Encode(), paid.header.Get("Location"))

	cb := m.next(t)
	require.NoError(t, cb.verified)
	assert.Equal(t, tx, cb.query["transaction_id"])
	assert.Equal(t, id, cb.query["session_id"])
	assert.Equal(t, "order-1", cb.query["merchant_reference"])

	// The page of a paid session offers no more buttons, and paying again is refused.
	page = send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, "authorized")
	assert.NotContains(t, page.body, `id="pay"`)
	again := send(t, http.MethodPost, checkoutURL+"/pay", "")
	assert.Equal(t, http.StatusConflict, again.status)
	assert.Contains(t, again.body, "can no longer be paid")
	assert.Equal(t, tx, must(c.GetSession(context.Background(), id)).GetTransactionID(), "nothing changed")

	// The merchant has the callback; the sandbox logs it once the answer is in.
	deliveries := decode[[]sandbox.Delivery](t, send(t, http.MethodGet, sb.AdminURL()+"deliveries?min=1", ""))
	require.Len(t, deliveries, 1)
	d := deliveries[0]
	assert.Equal(t, "callback", d.Kind)
	assert.Equal(t, id, d.SessionID)
	assert.Equal(t, http.StatusOK, d.Status)
	assert.Equal(t, "thanks", d.ResponseBody)
	assert.True(t, d.Signed)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Decline and cancel return with Dintero's error codes; the callback carries them only when
// callback_url asks with report_error=true.
func TestCheckoutDeclineAndCancel(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	for _, tc := range []struct{ action, code string }{{"decline", "authorization"}, {"cancel", "cancelled"}} {
		t.Run(tc.action, func(t *testing.T) {
			id, checkoutURL := createSession(t, c, order(m, "order-"+tc.action, "?report_error=true"))
			assert.NotContains(t, send(t, http.MethodGet, checkoutURL, "").body, "for a transaction only")
			a := send(t, http.MethodPost, checkoutURL+"/"+tc.action, "")
			require.Equal(t, http.StatusSeeOther, a.status, a.body)
			assert.Equal(t, m.URL+"/return?"+url.Values{
				"error": {tc.code}, "merchant_reference": {"order-" + tc.action}, "session_id": {id},
			}.Encode(), a.header.Get("Location"))

			cb := m.next(t)
			require.NoError(t, cb.verified)
			assert.Equal(t, tc.code, cb.query["error"])
			assert.Equal(t, id, cb.query["session_id"])
			assert.NotContains(t, cb.query, "transaction_id")

			sess := must(c.GetSession(context.Background(), id))
			assert.Nil(t, sess.TransactionID)
			assert.Equal(t, http.StatusOK, send(t, http.MethodGet, checkoutURL, "").status, "the customer may come back and pay")

			// Without report_error=true there is no callback.
			id, _ = createSession(t, c, order(m, "order-quiet-"+tc.action, ""))
			out := decode[sandbox.Outcome](t, send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/"+tc.action, ""))
			assert.Equal(t, tc.code, out.Error)
			assert.Nil(t, out.Callback)
		})
	}
}

// A payment left on hold returns with its transaction and a callback; the admin API ends the
// hold, which calls back again.
func TestHoldThenAuthorizeOrFail(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	for _, tc := range []struct {
		action string
		status dintero.Status
	}{{"authorize", dintero.StatusAuthorized}, {"fail", dintero.StatusFailed}} {
		t.Run(tc.action, func(t *testing.T) {
			id, checkoutURL := createSession(t, c, order(m, "order-hold-"+tc.action, ""))
			a := send(t, http.MethodPost, checkoutURL+"/hold", "")
			require.Equal(t, http.StatusSeeOther, a.status, a.body)
			sess := must(c.GetSession(context.Background(), id))
			tx := sess.GetTransactionID()
			require.NotEmpty(t, tx)
			assert.Contains(t, a.header.Get("Location"), "transaction_id="+url.QueryEscape(tx))
			assert.Equal(t, dintero.StatusOnHold, dintero.StatusOf(sess, *sess.CreatedAt))
			cb := m.next(t)
			require.NoError(t, cb.verified)
			assert.Equal(t, tx, cb.query["transaction_id"])

			out := decode[sandbox.Outcome](t, send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/"+tc.action, ""))
			assert.Equal(t, tc.status, out.Status)
			assert.Equal(t, tx, out.TransactionID)
			assert.Empty(t, out.RedirectURL)
			require.NotNil(t, out.Callback, "the admin API waits for the callback")
			assert.Equal(t, http.StatusOK, out.Callback.Status)
			cb = m.next(t)
			require.NoError(t, cb.verified)
			assert.Equal(t, tx, cb.query["transaction_id"])

			again := send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/"+tc.action, "")
			assert.Equal(t, http.StatusConflict, again.status)
			assert.Contains(t, decode[map[string]string](t, again)["error"], "not on hold")
		})
	}
}

// The admin API pays without a browser and resends a callback on request.
func TestAdminActions(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, _ := createSession(t, c, order(m, "order-admin", ""))
	admin := sb.AdminURL() + "dintero/sessions/" + id + "/"

	a := send(t, http.MethodPost, admin+"callback", "")
	assert.Equal(t, http.StatusConflict, a.status, "no transaction yet")

	out := decode[sandbox.Outcome](t, send(t, http.MethodPost, admin+"pay", ""))
	assert.Equal(t, dintero.StatusAuthorized, out.Status)
	assert.Contains(t, out.RedirectURL, m.URL+"/return?")
	require.NotNil(t, out.Callback)
	assert.Equal(t, http.StatusOK, out.Callback.Status)
	first := m.next(t)

	out = decode[sandbox.Outcome](t, send(t, http.MethodPost, admin+"callback", ""))
	assert.Equal(t, 2, out.Callback.ID)
	second := m.next(t)
	require.NoError(t, second.verified)
	assert.Equal(t, first.query["transaction_id"], second.query["transaction_id"])

	for path, status := range map[string]int{
		admin + "refund": http.StatusNotFound,
		sb.AdminURL() + "dintero/sessions/T12345678.nosuchsession/pay": http.StatusNotFound,
	} {
		a := send(t, http.MethodPost, path, "")
		assert.Equal(t, status, a.status, path)
		assert.NotEmpty(t, decode[map[string]string](t, a)["error"], path)
	}
}

// A callback whose answer is lost comes again with the same Event-Delivery, as Dintero retries.
func TestCallbackRetriedWithTheSameDeliveryID(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	id, _ := createSession(t, client(t, sb), order(m, "order-retried", ""))
	a := send(t, http.MethodPost, sb.AdminURL()+"dintero/drop-answers", `{"n":1}`)
	require.Equal(t, http.StatusOK, a.status, a.body)
	out := decode[sandbox.Outcome](t, send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/pay", ""))
	first, second := m.next(t), m.next(t)
	require.NoError(t, first.verified)
	require.NoError(t, second.verified)
	assert.NotEmpty(t, first.delivery)
	assert.Equal(t, first.delivery, second.delivery)
	assert.Equal(t, first.query["transaction_id"], second.query["transaction_id"])
	require.NotNil(t, out.Callback)
	assert.Equal(t, 2, out.Callback.ID, "the outcome shows the last attempt")
	assert.Equal(t, first.delivery, out.Callback.EventDelivery)
	log := sb.State().Deliveries
	require.Len(t, log, 2)
	assert.Equal(t, log[0].EventDelivery, log[1].EventDelivery)

	for _, body := range []string{`{"n":-1}`, `{"n":1001}`, `{"count":1}`} {
		assert.Equal(t, http.StatusBadRequest, send(t, http.MethodPost, sb.AdminURL()+"dintero/drop-answers", body).status, body)
	}
}

// A callback the merchant cannot take is logged with why.
func TestDeliveryFailureIsLogged(t *testing.T) {
	sb := start(t, sandbox.Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + l.Addr().String()
	require.NoError(t, l.Close())
	c := client(t, sb)
	id, _ := createSession(t, c, dintero.SessionCreateRequest{
		URL:   dintero.SessionURLs{ReturnURL: closed + "/return", CallbackURL: dintero.Ptr(closed + "/callback")},
		Order: dintero.Order{Amount: 100, Currency: "NOK", MerchantReference: "order-nobody-home"},
	})
	out := decode[sandbox.Outcome](t, send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/pay", ""))
	require.NotNil(t, out.Callback)
	assert.Zero(t, out.Callback.Status)
	assert.Contains(t, out.Callback.Error, "refused")
	assert.Equal(t, dintero.StatusAuthorized, out.Status, "the payment stands; only the delivery failed")
	log := sb.State().Deliveries
	assert.Len(t, log, 21, "the first attempt and Dintero's 20 retries")
}

func TestAdminState(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, _ := createSession(t, c, order(m, "order-state", ""))

	a := send(t, http.MethodGet, sb.AdminURL()+"state", "")
	require.Equal(t, http.StatusOK, a.status)
	st := decode[sandbox.State](t, a)
	assert.Equal(t, sb.DinteroURL(), st.Dintero.BaseURL)
	assert.Equal(t, "T12345678", st.Dintero.AccountID)
	require.Len(t, st.Dintero.Sessions, 1)
	assert.Equal(t, id, st.Dintero.Sessions[0].Session.GetID())
	assert.Equal(t, dintero.StatusCreated, st.Dintero.Sessions[0].Status)
	assert.Equal(t, 1, st.Dintero.Calls["CreateSession"])
	assert.Equal(t, 1, st.Dintero.Calls["CreateAccessToken"])
	assert.Equal(t, "sandbox_merchant", st.CyberSource.MerchantID)
	assert.Equal(t, "apitest.cybersource.com", st.CyberSource.Host)
	assert.NotEmpty(t, st.CyberSource.SigningKeyID)
	for _, secret := range []string{testConfig.Dintero.ClientSecret, testConfig.Dintero.CallbackSecret, testConfig.CyberSource.SharedSecret} {
		assert.NotContains(t, a.body, secret)
	}

	// The admin API is on the CyberSource address too.
	b := send(t, http.MethodGet, sb.CyberSourceURL()+sandbox.AdminPrefix+"state", "")
	assert.Equal(t, http.StatusOK, b.status)
	assert.Contains(t, b.body, id)
}

// A reset empties both fakes and the log and keeps the credentials.
func TestAdminReset(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	id, checkoutURL := createSession(t, c, order(m, "order-before-reset", ""))
	send(t, http.MethodPost, sb.AdminURL()+"dintero/sessions/"+id+"/pay", "")
	m.next(t)
	fault := send(t, http.MethodPost, sb.AdminURL()+"faults", `{"api":"dintero","operation":"CreateSession","status":503}`)
	require.Equal(t, http.StatusCreated, fault.status, fault.body)
	kid := sb.State().CyberSource.SigningKeyID

	a := send(t, http.MethodPost, sb.AdminURL()+"reset", "")
	require.Equal(t, http.StatusOK, a.status, a.body)
	st := sb.State()
	assert.Empty(t, st.Dintero.Sessions)
	assert.Empty(t, st.Deliveries)
	assert.Zero(t, st.Dintero.Calls["CreateSession"])
	assert.NotEqual(t, kid, st.CyberSource.SigningKeyID, "a new signing key")
	assert.Equal(t, http.StatusNotFound, send(t, http.MethodGet, checkoutURL, "").status)

	// The same credentials work (with a new token: the fake forgot the old one), and the
	// injected fault is gone.
	c = client(t, sb)
	_, err := c.GetSession(context.Background(), id)
	var apiErr *dintero.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	createSession(t, c, order(m, "order-after-reset", ""))
}

func TestAdminFaults(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	c := client(t, sb)
	a := send(t, http.MethodPost, sb.AdminURL()+"faults",
		`{"api":"dintero","operation":"CreateSession","status":429,"header":{"Retry-After":"7"},"times":2}`)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	for range 2 {
		_, err := c.CreateSession(context.Background(), order(m, "order-faulted", ""))
		var apiErr *dintero.APIError
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
	}
	createSession(t, c, order(m, "order-after-fault", ""))

	a = send(t, http.MethodPost, sb.AdminURL()+"faults", `{"api":"cybersource","operation":"GenerateCaptureContext","status":500}`)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	send(t, http.MethodDelete, sb.AdminURL()+"faults", "")
	cc := cyberClient(t, sb)
	_, err := cc.GenerateCaptureContext(context.Background(), cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	require.NoError(t, err, "DELETE dropped the fault")

	for body, want := range map[string]string{
		`{"api":"stripe","operation":"CreateSession","status":500}`:  `api "stripe"`,
		`{"api":"dintero","operation":"Refund","status":500}`:        `no operation "Refund"`,
		`{"api":"dintero","operation":"CreateSession","status":700}`: "not an HTTP status",
		`{"api":"dintero","operation":"CreateSession","delay":"1y"}`: "not a Go duration",
		`{"api":"dintero","operation":"CreateSession","delay":"6m"}`: "not a Go duration",
		`{"api":"dintero","operation":"CreateSession","times":-1}`:   "times -1",
		`{"api":"dintero","operation":"CreateSession"}`:              "does nothing",
		`{"api":"dintero","operation":"CreateSession","stauts":500}`: "unknown field",
		`{"api":"dintero"} {}`: "more than one",
		`[`:                    "request body",
	} {
		a := send(t, http.MethodPost, sb.AdminURL()+"faults", body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Contains(t, decode[map[string]string](t, a)["error"], want, body)
	}
	assert.Equal(t, 1, sb.State().Dintero.Calls["CreateSession"]-2, "no refused fault was queued")
}

func cyberClient(t testing.TB, sb *sandbox.Sandbox) *cyberflex.Client {
	t.Helper()
	cs := testConfig.CyberSource
	c, err := cyberflex.New(cyberflex.WithHTTPSignature(cs.MerchantID, cs.KeyID, cs.SharedSecret),
		cyberflex.WithBaseURL(sb.CyberSourceURL()), cyberflex.WithMaxRetries(0))
	require.NoError(t, err)
	return c
}

// The CyberSource fake answers on its address with the configured credentials, by HTTP
// Signature and JWT.
func TestCyberSource(t *testing.T) {
	sb := start(t, sandbox.Config{})
	cs := testConfig.CyberSource
	jwt, err := cyberflex.New(cyberflex.WithJWT(cs.MerchantID, cs.KeyID, cs.SharedSecret), cyberflex.WithBaseURL(sb.CyberSourceURL()))
	require.NoError(t, err)
	for name, c := range map[string]*cyberflex.Client{"HTTP Signature": cyberClient(t, sb), "JWT": jwt} {
		ctx := context.Background()
		cc, err := c.GenerateCaptureContext(ctx, cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
		require.NoError(t, err, name)
		verified, err := c.VerifyCaptureContext(ctx, cc.Token)
		require.NoError(t, err, name)
		assert.Equal(t, sb.CyberSourceURL(), verified.Claims.Tokenization.Origin, name)
	}
	other, err := cyberflex.New(cyberflex.WithHTTPSignature(cs.MerchantID, cs.KeyID, "b3RoZXIgc2VjcmV0IG90aGVyIHNlY3JldCBvdGhlciE="),
		cyberflex.WithBaseURL(sb.CyberSourceURL()), cyberflex.WithMaxRetries(0))
	require.NoError(t, err)
	_, err = other.GenerateCaptureContext(context.Background(), cyberflex.CardRequest(cyberflex.CardFields{Number: cyberflex.Required()}))
	var apiErr *cyberflex.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusUnauthorized, apiErr.StatusCode)
}

// Behind a published port the session URLs use the configured base URL.
func TestPublicURL(t *testing.T) {
	cfg := testConfig
	cfg.DinteroURL = "http://sandbox.test:8080/"
	cfg.CyberSourceURL = "https://cybersource.test"
	sb := start(t, cfg)
	assert.Equal(t, "http://sandbox.test:8080/v1", sb.DinteroURL())
	assert.Equal(t, "https://cybersource.test", sb.CyberSourceURL())
	assert.Equal(t, "http://sandbox.test:8080/_sandbox/", sb.AdminURL())
}

func TestStartRefusesBadConfig(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	for name, tc := range map[string]struct {
		change func(*sandbox.Config)
		want   string
	}{
		"address in use":     {func(c *sandbox.Config) { c.CyberSourceAddr = busy.Addr().String() }, "CyberSource address"},
		"bad address":        {func(c *sandbox.Config) { c.DinteroAddr = "nowhere" }, "Dintero address"},
		"bad public URL":     {func(c *sandbox.Config) { c.DinteroURL = "localhost:8080" }, `base URL "localhost:8080"`},
		"URL with a path":    {func(c *sandbox.Config) { c.CyberSourceURL = "http://h/flex" }, `base URL "http://h/flex"`},
		"bad account id":     {func(c *sandbox.Config) { c.Dintero.AccountID = "12345678" }, "WithClientCredentials: account id"},
		"short secret":       {func(c *sandbox.Config) { c.CyberSource.SharedSecret = "c2hvcnQ=" }, "WithJWT: the shared secret decodes to 5 bytes"},
		"empty client id":    {func(c *sandbox.Config) { c.Dintero.ClientID = "" }, "client id and client secret must not be empty"},
		"secret not base64":  {func(c *sandbox.Config) { c.CyberSource.SharedSecret = "not base64!" }, "not non-empty standard base64"},
		"bad signature host": {func(c *sandbox.Config) { c.CyberSource.Host = "https://x" }, "WithHost"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig
			tc.change(&cfg)
			sb, err := sandbox.Start(cfg)
			require.Error(t, err)
			assert.Nil(t, sb)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), cfg.CyberSource.SharedSecret)
			assert.NotContains(t, err.Error(), cfg.Dintero.ClientSecret)
		})
	}
	// The addresses of a refused start are free again.
	sb := start(t, sandbox.Config{})
	assert.NotNil(t, sb)
}

// The checkout's buttons and the admin API refuse requests from other sites' pages; the fakes'
// APIs do not look at the origin.
func TestCrossSiteRequestsRefused(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	id, checkoutURL := createSession(t, client(t, sb), order(m, "order-csrf", ""))
	for _, u := range []string{checkoutURL + "/pay", sb.AdminURL() + "reset", sb.AdminURL() + "dintero/sessions/" + id + "/pay"} {
		a := send(t, http.MethodPost, u, "", "Sec-Fetch-Site: cross-site")
		assert.Equal(t, http.StatusForbidden, a.status, u)
		a = send(t, http.MethodPost, u, "", "Origin: https://evil.example")
		assert.Equal(t, http.StatusForbidden, a.status, u)
	}
	assert.Len(t, sb.State().Dintero.Sessions, 1)
	assert.Equal(t, dintero.StatusCreated, sb.State().Dintero.Sessions[0].Status)
	same := send(t, http.MethodPost, checkoutURL+"/pay", "", "Sec-Fetch-Site: same-origin")
	assert.Equal(t, http.StatusSeeOther, same.status, "the page's own form")
}

func TestCheckoutPageErrors(t *testing.T) {
	sb := start(t, sandbox.Config{})
	a := send(t, http.MethodGet, sb.DinteroURL()+"/view/T12345678.unknown", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Contains(t, a.body, "There is no session")
	m := newMerchant(t)
	_, checkoutURL := createSession(t, client(t, sb), order(m, "order-<script>", ""))
	page := send(t, http.MethodGet, checkoutURL, "")
	assert.Contains(t, page.body, "order-&lt;script&gt;")
	assert.NotContains(t, page.body, "<script>")
	a = send(t, http.MethodPost, checkoutURL+"/refund", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Contains(t, a.body, "no button")
	a = send(t, http.MethodPost, checkoutURL+"/authorize", "")
	assert.Equal(t, http.StatusNotFound, a.status, "admin-only actions are not buttons")
}

// The return URL keeps its own query, and a callback_url asking for sid gets sid.
func TestReturnAndCallbackURLShapes(t *testing.T) {
	sb := start(t, sandbox.Config{})
	m := newMerchant(t)
	req := order(m, "order shapes", "?sid_parameter_name=sid&shop=7")
	req.URL.ReturnURL = m.URL + "/return?lang=nb"
	id, checkoutURL := createSession(t, client(t, sb), req)
	a := send(t, http.MethodPost, checkoutURL+"/pay", "")
	loc, err := url.Parse(a.header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "nb", loc.Query().Get("lang"))
	assert.Equal(t, "order shapes", loc.Query().Get("merchant_reference"))
	cb := m.next(t)
	require.NoError(t, cb.verified)
	assert.Equal(t, id, cb.query["sid"])
	assert.NotContains(t, cb.query, "session_id")
	assert.Equal(t, "7", cb.query["shop"])
}

func TestAdminDeliveriesWait(t *testing.T) {
	sb := start(t, sandbox.Config{})
	a := send(t, http.MethodGet, sb.AdminURL()+"deliveries?min=1&timeout=0s", "")
	assert.Equal(t, http.StatusRequestTimeout, a.status)
	assert.Contains(t, decode[map[string]string](t, a)["error"], "0 of the 1 deliveries")
	a = send(t, http.MethodGet, sb.AdminURL()+"deliveries?min=0", "")
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "[]\n", a.body)
	for _, q := range []string{"min=-1", "min=x", "min=1001", "timeout=2m", "timeout=soon"} {
		assert.Equal(t, http.StatusBadRequest, send(t, http.MethodGet, sb.AdminURL()+"deliveries?"+q, "").status, q)
	}

	m := newMerchant(t)
	id, checkoutURL := createSession(t, client(t, sb), order(m, "order-wait", ""))
	send(t, http.MethodPost, checkoutURL+"/pay", "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := sb.Deliveries(ctx, 1)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, id, list[0].SessionID)
}

func TestAdminUnknownEndpoint(t *testing.T) {
	sb := start(t, sandbox.Config{})
	a := send(t, http.MethodGet, sb.AdminURL()+"nothing", "")
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Contains(t, decode[map[string]string](t, a)["error"], "GET /_sandbox/ lists them")
	index := decode[map[string]any](t, send(t, http.MethodGet, sb.AdminURL(), ""))
	assert.Contains(t, fmt.Sprint(index["endpoints"]), "POST /_sandbox/reset")
	assert.Contains(t, fmt.Sprint(index["dintero_operations"]), "CreateSession")
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, sb.AdminURL()+"health", "").status)
}

func TestShutdownClosesListeners(t *testing.T) {
	cfg := testConfig
	cfg.Log = testLog{t}
	sb, err := sandbox.Start(cfg)
	require.NoError(t, err)
	u := sb.AdminURL() + "health"
	assert.Equal(t, http.StatusOK, send(t, http.MethodGet, u, "").status)
	require.NoError(t, sb.Shutdown(context.Background()))
	_, err = http.Get(u)
	require.Error(t, err)
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr) || strings.Contains(err.Error(), "refused"), "%v", err)
}

// A connection that sent no request, as browsers open ahead of time, does not hold up Shutdown
// (http.Server alone waits five seconds for such a connection).
func TestShutdownClosesUnusedConnections(t *testing.T) {
	cfg := testConfig
	cfg.Log = testLog{t}
	sb, err := sandbox.Start(cfg)
	require.NoError(t, err)
	addr := strings.TrimPrefix(strings.TrimSuffix(sb.DinteroURL(), "/v1"), "http://")
	idle, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer idle.Close()
	// The server accepts in order: once a later connection is answered, the idle one is known.
	later := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := later.Get(sb.AdminURL() + "health")
	require.NoError(t, err)
	resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.NoError(t, sb.Shutdown(ctx))
	_, err = idle.Read(make([]byte, 1))
	assert.Error(t, err, "the server closed the unused connection")
}
