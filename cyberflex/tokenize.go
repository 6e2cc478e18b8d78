package cyberflex

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/paysession/paysession-go/internal/httpx"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/internal/apicall"
	"github.com/paysession/paysession-go/internal/redact"
	"github.com/paysession/paysession-go/internal/retry"
)

// Paths of the card fields in the data tree, as capture contexts list them.
const (
	fieldCardNumber       = "paymentInformation.card.number"
	fieldCardSecurityCode = "paymentInformation.card.securityCode"
	fieldCardMonth        = "paymentInformation.card.expirationMonth"
	fieldCardYear         = "paymentInformation.card.expirationYear"
)

// TokenizeData is the customer's data for Tokenize: card and, where the capture context asks
// for them, amount and addresses. Build it with CardData or NewTokenizeData.
//
// It holds the values so that no printer shows them: fmt with any verb, encoding/json and slog
// print the names of the fields it holds with every value redacted, and the values sit behind a
// func, so that printers which dump fields raw (go-spew with DisableMethods, as testify's diffs
// use; fmt on an unexported field) show an address, never a card number. The zero TokenizeData
// holds nothing, and Tokenize refuses it.
type TokenizeData struct {
	content func() *tokenizeContent
}

// tokenizeContent is what a TokenizeData holds.
type tokenizeContent struct {
	data   []byte   // the "data" member of the JWE plaintext: compact JSON, empty values left out
	paths  []string // the dotted paths of the values it holds, in the order of the tree
	values map[string]string
}

// secrets returns the card number and security code c holds, to scrub from answers.
func (c *tokenizeContent) secrets() []string {
	var out []string
	for _, path := range [...]string{fieldCardNumber, fieldCardSecurityCode} {
		if v, ok := c.values[path]; ok {
			out = append(out, v)
		}
	}
	return out
}

// CardData returns the data of a card: its number (spaces and hyphens are removed), expiry
// month ("1" to "12"; one digit is padded to two), four-digit expiry year and security code.
// Leave securityCode empty when the capture context does not collect it.
func CardData(number, expirationMonth, expirationYear, securityCode string) TokenizeData {
	number = strings.NewReplacer(" ", "", "-", "").Replace(number)
	if len(expirationMonth) == 1 {
		expirationMonth = "0" + expirationMonth
	}
	return NewTokenizeData(TokenizeValues{PaymentInformation: &PaymentInformationValues{Card: &CardValues{
		Number:          number,
		ExpirationMonth: expirationMonth,
		ExpirationYear:  expirationYear,
		SecurityCode:    securityCode,
	}}})
}

// NewTokenizeData returns v as TokenizeData: the tree of a capture context's fields with the
// customer's values, for data beyond the card (amount, billing and shipping address). Empty
// values are left out. v is copied; changing it afterwards changes nothing.
func NewTokenizeData(v TokenizeValues) TokenizeData {
	c := &tokenizeContent{values: map[string]string{}}
	walkValues(reflect.ValueOf(v), "", func(path, value string) {
		c.paths = append(c.paths, path)
		c.values[path] = value
	})
	// The generated types hold strings and pointers to structs of strings only; encoding them
	// cannot fail. Empty strings are left out by their omitempty tags.
	c.data, _ = json.Marshal(v)
	return TokenizeData{content: func() *tokenizeContent { return c }}
}

// walkValues calls visit for every non-empty string leaf of v, with its dotted JSON path. It
// walks the generated structs by reflection, so fields added to the spec need no change here.
func walkValues(v reflect.Value, prefix string, visit func(path, value string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkValues(v.Elem(), prefix, visit)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			walkValues(v.Field(i), prefix+name+".", visit)
		}
	case reflect.String:
		if s := v.String(); s != "" {
			visit(strings.TrimSuffix(prefix, "."), s)
		}
	}
}

func (d TokenizeData) get() *tokenizeContent {
	if d.content == nil {
		return nil
	}
	return d.content()
}

// Fields returns the dotted paths of the fields d holds ("paymentInformation.card.number", …),
// never their values.
func (d TokenizeData) Fields() []string {
	if c := d.get(); c != nil {
		return slices.Clone(c.paths)
	}
	return nil
}

// String names the fields d holds, with every value redacted.
func (d TokenizeData) String() string {
	var b strings.Builder
	b.WriteString("cyberflex.TokenizeData{")
	for i, p := range d.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p + ": " + redact.Placeholder)
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String; used by %#v.
func (d TokenizeData) GoString() string { return d.String() }

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %s, %q, %x, …) prints a value.
func (d TokenizeData) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, d.String(), d.GoString())
}

// MarshalText keeps the values out of encoding/json, encoding/xml and slog output: they get
// String.
func (d TokenizeData) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// check refuses values that cannot be a card's, naming the field and never the value.
func (c *tokenizeContent) check() error {
	digits := func(path string, minLen, maxLen int) error {
		v, ok := c.values[path]
		if !ok {
			return nil
		}
		if len(v) < minLen || len(v) > maxLen || strings.Trim(v, "0123456789") != "" {
			if minLen == maxLen {
				return fmt.Errorf("%s must be %d digits", path, minLen)
			}
			return fmt.Errorf("%s must be %d to %d digits", path, minLen, maxLen)
		}
		return nil
	}
	if err := digits(fieldCardNumber, 12, 19); err != nil {
		return err
	}
	if err := digits(fieldCardSecurityCode, 3, 4); err != nil {
		return err
	}
	if err := digits(fieldCardMonth, 2, 2); err != nil {
		return err
	}
	if m, ok := c.values[fieldCardMonth]; ok && (m < "01" || m > "12") {
		return fmt.Errorf("%s must be a month from 01 to 12", fieldCardMonth)
	}
	return digits(fieldCardYear, 4, 4)
}

// Tokenize sends the customer's data to CyberSource with a Flex API capture context
// (GenerateCaptureContext) and returns the transient token it answers, verified like
// VerifyTransientToken does. Pass the transient token on to a payment (TokenInformation); the
// data itself reaches no other party. The wire is that of the developer guide,
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/da-flex-api-intro/da-flex-api-populate-intro.html:
// the plaintext {"context": <cc.Token>, "data": <data>, "index": 0} is encrypted as a compact JWE
// (alg RSA-OAEP-256, enc A256GCM, header kid = flx.jwk.kid) to the capture context's one-time
// key flx.jwk and POSTed to flx.origin + flx.path with Content-Type application/jwt, without any
// CyberSource credential: the JWE, bound to the capture context, is what authorises it.
//
// Card data goes only where a trusted capture context says. cc must be one this Client issued or
// verified, unchanged; any other is verified first with VerifyCaptureContext (which fetches
// CyberSource's key). flx.origin must be https, or http on a loopback address (tests, local
// fakes). Before anything is sent, the data must hold every field the capture context requires
// and no field it does not list, and card values must look like card values; these errors wrap
// ErrInvalidInput and name fields, never values. The card number and security code never
// appear in an error or a log line, also when a peer echoes them.
//
// The request is repeated only when the connection could not be made at all (retry.NotSent):
// once the JWE may have reached CyberSource, an error is returned instead, and a new attempt
// needs a new capture context.
func (c *Client) Tokenize(ctx context.Context, cc *CaptureContext, data TokenizeData) (*TransientToken, error) {
	if ctx == nil {
		return nil, fmt.Errorf("%w: %s: nil context", ErrInvalidInput, opTokenize)
	}
	if cc == nil {
		return nil, fmt.Errorf("%w: %s: nil capture context", ErrInvalidInput, opTokenize)
	}
	content := data.get()
	if content == nil || len(content.paths) == 0 {
		return nil, fmt.Errorf("%w: %s: no data; build it with CardData or NewTokenizeData", ErrInvalidInput, opTokenize)
	}
	if err := content.check(); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidInput, opTokenize, err)
	}
	now := c.now()
	t, err := c.trusted(ctx, cc, now)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(t.ctxType, "api-") {
		return nil, fmt.Errorf("%w: %s: the capture context is of type %s, not a Flex API one (api-…); Microform and Unified Checkout contexts are for a web page: get one with GenerateCaptureContext",
			ErrInvalidInput, opTokenize, quoteShort(t.ctxType))
	}
	if err := checkFields(t, content.paths); err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidInput, opTokenize, err)
	}
	if exp := t.expiresAt; !exp.IsZero() && !now.Before(exp.Add(DefaultLeeway)) {
		return nil, fmt.Errorf("%w: %s: exp %s is not after now %s; generate a new capture context",
			ErrCaptureContextExpired, opTokenize, exp.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	target, err := t.target()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s", ErrInvalidCaptureContext, opTokenize, err)
	}
	_, enc, err := t.encryptionKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: flx.jwk: %s", ErrInvalidCaptureContext, opTokenize, err)
	}
	jwe, err := encrypt(enc, t.token, content.data)
	if err != nil {
		return nil, fmt.Errorf("cyberflex: %s: encrypting the data: %w", opTokenize, err)
	}

	resp, err := c.flex.Do(ctx, apicall.Call{
		Op:    opTokenize,
		Retry: retry.NotSent,
		Request: func() (*http.Request, error) {
			// The pipeline gives each attempt its own context (apicall.Client.Do).
			r, err := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(jwe))
			if err == nil {
				r.Header.Set("Content-Type", "application/jwt")
				r.Header.Set("Accept", "application/jwt")
			}
			return r, err
		},
		Secrets: content.secrets,
	})
	if err != nil {
		return nil, err
	}
	tt, err := verifyTransientToken(t, string(resp.Body), now, DefaultLeeway)
	if err != nil {
		return nil, fmt.Errorf("cyberflex: %s: the %s is not a transient token of this capture context: %w", opTokenize, resp.Describe(), err)
	}
	return tt, nil
}

// trusted returns what can be trusted of cc: what this package recorded when it issued or
// verified cc, or else what verifying cc.Token now says, with the time at taken as the current
// time.
func (c *Client) trusted(ctx context.Context, cc *CaptureContext, at time.Time) (*trustedContext, error) {
	if t := cc.trust(); t != nil {
		return t, nil
	}
	verified, err := c.keys.verify(ctx, cc.Token, at, DefaultLeeway)
	if err != nil {
		return nil, err
	}
	return verified.trust(), nil
}

// checkFields reports required fields of the capture context that paths lacks, and paths that
// the capture context does not list. CyberSource requires the former; whether it refuses the
// latter is undocumented, so they are not sent.
func checkFields(t *trustedContext, paths []string) error {
	var missing, unlisted []string
	for _, r := range t.required {
		if !slices.Contains(paths, r) {
			missing = append(missing, r)
		}
	}
	for _, p := range paths {
		if !slices.Contains(t.required, p) && !slices.Contains(t.optional, p) {
			unlisted = append(unlisted, p)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the data lacks %s, which the capture context requires", strings.Join(missing, ", "))
	}
	if len(unlisted) > 0 {
		return fmt.Errorf("the data holds %s, which the capture context does not list; request it in the capture context (Required or Optional) or leave it out",
			strings.Join(unlisted, ", "))
	}
	return nil
}

// tokensURL is flx.origin + flx.path, where the JWE goes. The origin must be https, or http on a
// loopback address, with no path, user info, query or fragment; the path an absolute path.
func tokensURL(flx Tokenization) (string, error) {
	u, err := url.Parse(flx.Origin)
	if err != nil || u.Opaque != "" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("flx.origin %s is not an origin (scheme://host[:port])", quoteShort(flx.Origin))
	}
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "https":
	case scheme == "http" && httpx.IsLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("flx.origin %s is not https; card data is sent over https only (http only to a loopback address)", quoteShort(flx.Origin))
	}
	p := flx.Path
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "?#\\%") || hasCtl(p) ||
		slices.Contains(strings.Split(p, "/"), "..") || slices.Contains(strings.Split(p, "/"), ".") {
		return "", fmt.Errorf("flx.path %s is not a plain absolute path such as %q", quoteShort(p), "/flex/v2/tokens")
	}
	return strings.ToLower(u.Scheme) + "://" + u.Host + p, nil
}

// encryptionKey decodes flx.jwk: an RSA public key of at least 2048 bits with a key id.
func encryptionKey(k EncryptionKey) (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("kty %s, want \"RSA\"", quoteShort(k.Kty))
	}
	if k.KeyID == "" {
		return nil, fmt.Errorf("no kid")
	}
	if k.Use != "" && k.Use != "enc" {
		return nil, fmt.Errorf("use %s, want \"enc\"", quoteShort(k.Use))
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil || len(n) == 0 {
		return nil, fmt.Errorf("n is not base64url")
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("e is not a base64url exponent")
	}
	exp := int(new(big.Int).SetBytes(e).Int64())
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	if key.N.BitLen() < minRSABits || exp < 3 || exp%2 == 0 {
		return nil, fmt.Errorf("not an RSA key of at least %d bits with an odd exponent", minRSABits)
	}
	return key, nil
}

// base64URLAlphabet is the alphabet of base64url (RFC 4648 §5).
const base64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// minRSABits is the smallest RSA key accepted, for signatures and for encryption alike, as in the
// official SDK utilities (node JWTUtility.js: RSA >= 2048 bits).
const minRSABits = 2048

// encrypt builds, with enc, the compact JWE of the plaintext {"context": token, "data": data,
// "index": 0}, and wipes the plaintext from memory once it is encrypted.
func encrypt(enc jose.Encrypter, token string, data []byte) (string, error) {
	var plain bytes.Buffer
	plain.Grow(len(token) + len(data) + 40)
	plain.WriteString(`{"context":`)
	// A compact JWS is base64url segments and dots, which JSON takes as they are; anything else
	// (base64 decoding skips line breaks) is quoted by encoding/json.
	if strings.Trim(token, base64URLAlphabet+".") == "" {
		plain.WriteByte('"')
		plain.WriteString(token)
		plain.WriteByte('"')
	} else {
		quoted, err := json.Marshal(token)
		if err != nil {
			return "", err
		}
		plain.Write(quoted)
	}
	plain.WriteString(`,"data":`)
	plain.Write(data)
	plain.WriteString(`,"index":0}`)
	defer clear(plain.Bytes())

	obj, err := enc.Encrypt(plain.Bytes())
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}
