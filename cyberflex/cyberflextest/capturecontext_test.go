package cyberflextest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
)

// decodeJWS returns the header and claims of a compact JWS as raw JSON members, without
// verifying it.
func decodeJWS(t *testing.T, token string) (header, claims map[string]json.RawMessage) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	for i, dst := range []*map[string]json.RawMessage{&header, &claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
	}
	return header, claims
}

func keysOf(m map[string]json.RawMessage) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func member[T any](t *testing.T, m map[string]json.RawMessage, name string) T {
	t.Helper()
	var v T
	raw, ok := m[name]
	if !ok {
		t.Fatalf("no member %q", name)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("member %q: %v", name, err)
	}
	return v
}

// TestCaptureContextClaims checks every part of a capture context issued to the real client,
// then verifies it with the client, which fetches the served key.
func TestCaptureContextClaims(t *testing.T) {
	csrv := newServer(t)
	c := newClient(t, csrv, cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret))
	req := cardRequest()
	req.Fields.OrderInformation = &cyberflex.OrderInformationFields{
		AmountDetails: &cyberflex.AmountDetailsFields{TotalAmount: cyberflex.Required()},
		BillTo:        &cyberflex.BillToFields{Email: cyberflex.Optional(), PostalCode: cyberflex.Required()},
	}
	ctx := context.Background()
	cc, err := c.GenerateCaptureContext(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	kid, pub := csrv.PublicKey()

	header, claims := decodeJWS(t, cc.Token)
	if got := keysOf(header); !reflect.DeepEqual(got, []string{"alg", "kid"}) {
		t.Errorf("header members %v, want exactly alg and kid (CyberSource sends no typ)", got)
	}
	if alg := member[string](t, header, "alg"); alg != "RS256" {
		t.Errorf("alg %q, want RS256", alg)
	}
	if got := member[string](t, header, "kid"); got != kid || len(got) != 2 {
		t.Errorf("kid %q, want the current two-character kid %q", got, kid)
	}

	if got := keysOf(claims); !reflect.DeepEqual(got, []string{"ctx", "exp", "flx", "iat", "iss", "jti"}) {
		t.Errorf("claims %v, want exactly ctx exp flx iat iss jti", got)
	}
	if iss := member[string](t, claims, "iss"); iss != "Flex API" {
		t.Errorf("iss %q, want \"Flex API\"", iss)
	}
	iat, exp := member[int64](t, claims, "iat"), member[int64](t, claims, "exp")
	if iat != testNow.Unix() || exp != iat+900 {
		t.Errorf("iat %d exp %d, want iat = the server clock %d and exp = iat + 900", iat, exp, testNow.Unix())
	}
	if jti := member[string](t, claims, "jti"); len(jti) != 16 {
		t.Errorf("jti %q, want 16 random characters", jti)
	}

	flx := member[map[string]json.RawMessage](t, claims, "flx")
	if got := keysOf(flx); !reflect.DeepEqual(got, []string{"data", "jwk", "origin", "path"}) {
		t.Errorf("flx members %v", got)
	}
	if p := member[string](t, flx, "path"); p != "/flex/v2/tokens" {
		t.Errorf("flx.path %q", p)
	}
	if o := member[string](t, flx, "origin"); o != csrv.URL {
		t.Errorf("flx.origin %q, want the server URL %q", o, csrv.URL)
	}
	if data, err := base64.StdEncoding.DecodeString(member[string](t, flx, "data")); err != nil || len(data) == 0 {
		t.Errorf("flx.data is not base64: %v", err)
	}
	jwk := member[map[string]json.RawMessage](t, flx, "jwk")
	if got := keysOf(jwk); !reflect.DeepEqual(got, []string{"e", "kid", "kty", "n", "use"}) {
		t.Errorf("flx.jwk members %v", got)
	}
	if member[string](t, jwk, "kty") != "RSA" || member[string](t, jwk, "use") != "enc" || member[string](t, jwk, "e") != "AQAB" {
		t.Errorf("flx.jwk %v, want an RSA encryption key with e AQAB", jwk)
	}
	if n, err := base64.RawURLEncoding.DecodeString(member[string](t, jwk, "n")); err != nil || len(n) != 256 {
		t.Errorf("flx.jwk.n is not a 2048-bit base64url modulus (%d bytes, %v)", len(n), err)
	}
	if k := member[string](t, jwk, "kid"); len(k) != 32 {
		t.Errorf("flx.jwk.kid %q, want 32 characters", k)
	}

	ctxs := member[[]map[string]json.RawMessage](t, claims, "ctx")
	if len(ctxs) != 1 || member[string](t, ctxs[0], "type") != "api-0.1.0" {
		t.Fatalf("ctx %v, want one element of type api-0.1.0", ctxs)
	}
	data := member[map[string]json.RawMessage](t, ctxs[0], "data")
	if got := keysOf(data); !reflect.DeepEqual(got, []string{"optionalFields", "requiredFields"}) {
		t.Errorf("ctx[0].data members %v", got)
	}
	wantRequired := []string{
		"orderInformation.amountDetails.totalAmount",
		"orderInformation.billTo.postalCode",
		"paymentInformation.card.expirationMonth",
		"paymentInformation.card.expirationYear",
		"paymentInformation.card.number",
	}
	wantOptional := []string{"orderInformation.billTo.email", "paymentInformation.card.securityCode"}
	if got := member[[]string](t, data, "requiredFields"); !reflect.DeepEqual(got, wantRequired) {
		t.Errorf("requiredFields %q, want %q", got, wantRequired)
	}
	if got := member[[]string](t, data, "optionalFields"); !reflect.DeepEqual(got, wantOptional) {
		t.Errorf("optionalFields %q, want %q", got, wantOptional)
	}

	// The signature verifies with the key the server reports ...
	jws, err := jose.ParseSignedCompact(cc.Token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(pub); err != nil {
		t.Errorf("signature does not verify with PublicKey(): %v", err)
	}
	// ... and with the one it serves, through the client's own verifier.
	verified, err := c.VerifyCaptureContext(ctx, cc.Token)
	if err != nil {
		t.Fatalf("VerifyCaptureContext: %v", err)
	}
	if !verified.Claims.ExpiresAt.Equal(testNow.Add(15*time.Minute)) || verified.Claims.KeyID != kid {
		t.Errorf("verified claims %+v", verified.Claims)
	}
	if !reflect.DeepEqual(verified.Claims.Settings[0].Data.RequiredFields, wantRequired) {
		t.Errorf("client sees requiredFields %q", verified.Claims.Settings[0].Data.RequiredFields)
	}
}

// TestCaptureContextFieldRules: {} and {"required":true} are required, {"required":false}
// optional, whatever order the client sends them in; fields sit at group.subgroup.field
// (https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/flex-api-2/flex-api-2-generate-capture-context.html).
func TestCaptureContextFieldRules(t *testing.T) {
	csrv := newServer(t)
	// Members the schema does not know (note, extra) are allowed by the spec
	// and list no field; the empty billTo group lists none either.
	body := []byte(`{"fields":{"note":"x","paymentInformation":{"card":{"securityCode":{"required":false},"number":{},"expirationYear":{"required":true},"type":{"required":false},"extra":"x"}},` +
		`"orderInformation":{"shipTo":{"email":{},"phoneNumber":{"required":false}},"amountDetails":{"currency":{}},"billTo":{}}}}`)
	req := newRequest(t, csrv, http.MethodPost, sessions, body)
	s := goodSig()
	s.keyID, s.secret = cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret
	req.Header.Set("v-c-merchant-id", cyberflextest.DefaultMerchantID)
	s.sign(req, body)
	a := send(t, req)
	if a.status != http.StatusCreated || a.header.Get("Content-Type") != "application/jwt" {
		t.Fatalf("status %d Content-Type %q, want 201 application/jwt; body %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	_, claims := decodeJWS(t, string(a.body))
	data := member[map[string]json.RawMessage](t, member[[]map[string]json.RawMessage](t, claims, "ctx")[0], "data")
	wantRequired := []string{"orderInformation.amountDetails.currency", "orderInformation.shipTo.email", "paymentInformation.card.expirationYear", "paymentInformation.card.number"}
	wantOptional := []string{"orderInformation.shipTo.phoneNumber", "paymentInformation.card.securityCode", "paymentInformation.card.type"}
	if got := member[[]string](t, data, "requiredFields"); !reflect.DeepEqual(got, wantRequired) {
		t.Errorf("requiredFields %q, want %q", got, wantRequired)
	}
	if got := member[[]string](t, data, "optionalFields"); !reflect.DeepEqual(got, wantOptional) {
		t.Errorf("optionalFields %q, want %q", got, wantOptional)
	}
}

// TestPublicKeyEndpoint: GET /flex/v2/public-keys/{kid} needs no authentication and serves the
// key as CyberSource does; an unknown kid is a 404 in the error shape.
func TestPublicKeyEndpoint(t *testing.T) {
	csrv := newServer(t, cyberflextest.WithAccessToken(oauthToken))
	kid, pub := csrv.PublicKey()

	a := send(t, newRequest(t, csrv, http.MethodGet, "/flex/v2/public-keys/"+kid, nil))
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d Content-Type %q; body %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatal(err)
	}
	if got := keysOf(m); !reflect.DeepEqual(got, []string{"e", "kid", "kty", "n", "use"}) {
		t.Errorf("JWK members %v, want e kid kty n use", got)
	}
	if member[string](t, m, "kty") != "RSA" || member[string](t, m, "use") != "enc" || member[string](t, m, "kid") != kid {
		t.Errorf("JWK %s", a.body)
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(a.body); err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(jwk.Key) {
		t.Error("served key is not PublicKey()")
	}

	a = send(t, newRequest(t, csrv, http.MethodGet, "/flex/v2/public-keys/zz9", nil))
	if a.status != http.StatusNotFound {
		t.Fatalf("unknown kid: status %d, want 404; body %s", a.status, a.body)
	}
	if e := decodeError(t, a); e.Reason != "NOT_FOUND" || e.Message != `No public key with kid "zz9"` {
		t.Errorf("unknown kid: %+v", e)
	}
	if n := csrv.Calls(cyberflextest.OpGetPublicKey); n != 2 {
		t.Errorf("Calls(OpGetPublicKey) = %d, want 2", n)
	}
}

// TestRotateKey: after RotateKey new capture contexts carry a new kid and key; the old kid is
// still served, so tokens issued before keep verifying, through the client's key cache and
// through a fresh client alike.
func TestRotateKey(t *testing.T) {
	csrv := newServer(t)
	auth := cyberflex.WithJWT(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret)
	c := newClient(t, csrv, auth)
	ctx := context.Background()

	old, err := c.GenerateCaptureContext(ctx, cardRequest())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.VerifyCaptureContext(ctx, old.Token); err != nil {
		t.Fatal(err)
	}
	oldKid, oldKey := csrv.PublicKey()

	csrv.RotateKey()
	newKid, newKey := csrv.PublicKey()
	if newKid == oldKid || newKey.Equal(oldKey) {
		t.Fatalf("RotateKey kept kid %q or its key", oldKid)
	}
	fresh, err := c.GenerateCaptureContext(ctx, cardRequest())
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Claims.KeyID != newKid {
		t.Errorf("new capture context kid %q, want %q", fresh.Claims.KeyID, newKid)
	}
	for _, tok := range []string{fresh.Token, old.Token} {
		if _, err := c.VerifyCaptureContext(ctx, tok); err != nil {
			t.Errorf("VerifyCaptureContext after rotation: %v", err)
		}
	}
	if n := csrv.Calls(cyberflextest.OpGetPublicKey); n != 2 {
		t.Errorf("Calls(OpGetPublicKey) = %d, want 2 (old kid cached, new kid fetched once)", n)
	}
	if _, err := newClient(t, csrv, auth).VerifyCaptureContext(ctx, old.Token); err != nil {
		t.Errorf("a fresh client cannot verify a token of the old key: %v", err)
	}
	if n := csrv.Calls(cyberflextest.OpGetPublicKey); n != 3 {
		t.Errorf("Calls(OpGetPublicKey) = %d, want 3", n)
	}
}

// TestIssueCaptureContext: IssueCaptureContext issues a token without a request, with the lists
// as given; with WithClock it makes one that has expired for the client.
func TestIssueCaptureContext(t *testing.T) {
	csrv := newServer(t)
	token, err := csrv.IssueCaptureContext([]string{"paymentInformation.card.number"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, claims := decodeJWS(t, token)
	data := member[map[string]json.RawMessage](t, member[[]map[string]json.RawMessage](t, claims, "ctx")[0], "data")
	if string(data["requiredFields"]) != `["paymentInformation.card.number"]` || string(data["optionalFields"]) != `[]` {
		t.Errorf("ctx data %s %s", data["requiredFields"], data["optionalFields"])
	}
	auth := cyberflex.WithHTTPSignature(cyberflextest.DefaultMerchantID, cyberflextest.DefaultKeyID, cyberflextest.DefaultSharedSecret)
	ctx := context.Background()
	if _, err := newClient(t, csrv, auth).VerifyCaptureContext(ctx, token); err != nil {
		t.Errorf("VerifyCaptureContext: %v", err)
	}
	late := newClient(t, csrv, auth, cyberflex.WithClock(fixedClock(testNow.Add(16*time.Minute))))
	if _, err := late.VerifyCaptureContext(ctx, token); !errors.Is(err, cyberflex.ErrCaptureContextExpired) {
		t.Errorf("VerifyCaptureContext 16 minutes later: %v, want ErrCaptureContextExpired", err)
	}
}
