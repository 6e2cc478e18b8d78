package cyberflextest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Pseudo-header names of the Signature headers list.
const (
	requestTarget       = "request-target"
	legacyRequestTarget = "(request-target)"
)

// verifyHTTPSignature checks CyberSource's HTTP Signature, in this order: the Signature header
// parses; algorithm is HmacSHA256; keyid is a configured key; the headers list names host, date,
// request-target, v-c-merchant-id and, with a body, digest; the Host header names the API host;
// Date is an IMF-fixdate within the allowed skew; v-c-merchant-id is the key's merchant; Digest
// is the SHA-256 of the body received; the signature is the HMAC-SHA256, keyed with the decoded
// secret, of the signing string built from the headers list in its order (compared in constant
// time); and, with WithSignatureReplayCheck, the signature was not accepted before. The scheme:
// https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-http-message-intro.html
func (a *authenticator) verifyHTTPSignature(r *http.Request, body []byte) error {
	if a.noHTTPSignature {
		return reject("HTTP Signature is not accepted for this merchant any more (cyberflextest.WithoutHTTPSignature): CyberSource requires JWT from September 2026; use cyberflex.WithJWT with the same key id and shared secret")
	}
	if len(a.signatureKeys) == 0 {
		return reject("HTTP Signature authentication is not enabled on this server (see cyberflextest.WithHTTPSignature)")
	}
	values := r.Header.Values("Signature")
	if len(values) != 1 {
		return reject("the request has %d Signature headers, want one", len(values))
	}
	p, err := parseSignature(values[0])
	if err != nil {
		return reject("Signature header: %v", err)
	}
	if p.algorithm != "HmacSHA256" {
		return reject("Signature algorithm %s is not supported; CyberSource's shared-secret signatures use \"HmacSHA256\"", quote(p.algorithm))
	}
	var cred *sharedSecret
	for i := range a.signatureKeys {
		if a.signatureKeys[i].keyID == p.keyID {
			cred = &a.signatureKeys[i]
			break
		}
	}
	if cred == nil {
		return reject("Signature keyid %s is not a shared-secret key of this server", quote(p.keyID))
	}
	names, err := a.signedHeaders(p.headers, len(body) > 0)
	if err != nil {
		return err
	}

	if !strings.EqualFold(r.Host, a.host) {
		return reject("the request's Host header %s is not the API host %s that requests must be signed for: is the client configured for another environment? (cyberflex.WithEnvironment; the server's host is set with cyberflextest.WithHost)",
			quote(r.Host), quote(a.host))
	}
	date, err := singleHeader(r, "Date")
	if err != nil {
		return err
	}
	t, err := time.Parse(http.TimeFormat, date)
	if err != nil {
		return reject("Date %s is not an IMF-fixdate in GMT such as %q", quote(date), "Sat, 21 Nov 2026 12:17:15 GMT")
	}
	now := a.now()
	if off := now.Sub(t); off > a.skew || off < -a.skew {
		return reject("Date %s is %s away from the server's clock (%s), more than the %s allowed",
			quote(date), off.Abs().Round(time.Second), now.UTC().Format(http.TimeFormat), a.skew)
	}
	merchant, err := singleHeader(r, "v-c-merchant-id")
	if err != nil {
		return err
	}
	if merchant != cred.merchantID {
		return reject("v-c-merchant-id %s is not the merchant of key %s", quote(merchant), quote(cred.keyID))
	}
	if len(body) > 0 || slices.Contains(names, "digest") {
		digest, err := singleHeader(r, "Digest")
		if err != nil {
			return err
		}
		if digest != "SHA-256="+bodyDigest(body) {
			return reject("the Digest header does not match the body: it must be \"SHA-256=\" + base64(SHA-256) of the exact %d bytes sent (was the body changed after signing?)", len(body))
		}
	}

	signingString, err := a.signingString(r, names)
	if err != nil {
		return err
	}
	got, err := base64.StdEncoding.DecodeString(p.signature)
	if err != nil {
		return reject("the Signature signature parameter is not standard base64")
	}
	mac := hmac.New(sha256.New, cred.key)
	mac.Write([]byte(signingString))
	if !hmac.Equal(got, mac.Sum(nil)) {
		return reject("the signature does not match: wrong shared secret, or the client signed another string than the server's %q", signingString)
	}
	// The signature covers the Date, so it could pass again until Date + skew.
	if a.replaySignatures && a.replays.seen("signature\x00"+string(got), now, t.Add(a.skew)) {
		return reject("replayed: a request with this signature was accepted before, and its Date %s is still within the %s allowed; sign every request afresh", quote(date), a.skew)
	}
	return nil
}

// signatureParams are the parameters of a Signature header.
type signatureParams struct {
	keyID, algorithm, headers, signature string
}

// parseSignature parses `keyid="…", algorithm="…", headers="…", signature="…"`: parameter names
// are case-insensitive, values must be quoted (CyberSource's values never contain a quote, so no
// escapes), spaces and tabs around the commas are allowed, each parameter appears at most once
// and unknown parameters are ignored. It never panics, whatever s is.
func parseSignature(s string) (signatureParams, error) {
	params := map[string]string{}
	i := 0
	skipSpace := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipSpace()
		if i == len(s) {
			if len(params) > 0 {
				return signatureParams{}, fmt.Errorf("ends with a comma")
			}
			return signatureParams{}, fmt.Errorf("is empty")
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		name := strings.ToLower(s[start:i])
		if name == "" {
			return signatureParams{}, fmt.Errorf("has a parameter without a name")
		}
		if i == len(s) || s[i] != '=' {
			return signatureParams{}, fmt.Errorf("parameter %s has no =\"value\"", quote(name))
		}
		i++
		if i == len(s) || s[i] != '"' {
			return signatureParams{}, fmt.Errorf("parameter %s is not a quoted string", quote(name))
		}
		i++
		end := strings.IndexByte(s[i:], '"')
		if end < 0 {
			return signatureParams{}, fmt.Errorf("parameter %s has no closing quote", quote(name))
		}
		if _, dup := params[name]; dup {
			return signatureParams{}, fmt.Errorf("parameter %s appears twice", quote(name))
		}
		params[name] = s[i : i+end]
		i += end + 1
		skipSpace()
		if i == len(s) {
			break
		}
		if s[i] != ',' {
			return signatureParams{}, fmt.Errorf("expected a comma after parameter %s", quote(name))
		}
		i++
	}
	for _, name := range []string{"keyid", "algorithm", "headers", "signature"} {
		if _, ok := params[name]; !ok {
			return signatureParams{}, fmt.Errorf("has no %s parameter", name)
		}
	}
	return signatureParams{keyID: params["keyid"], algorithm: params["algorithm"], headers: params["headers"], signature: params["signature"]}, nil
}

// signedHeaders splits the headers list (names case-insensitive, separated by spaces), refuses
// duplicates, the legacy "(request-target)" unless enabled and other pseudo-headers, and checks
// that the headers CyberSource requires are all listed.
func (a *authenticator) signedHeaders(list string, hasBody bool) ([]string, error) {
	names := strings.Fields(strings.ToLower(list))
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			return nil, reject("the Signature headers list names %s twice", quote(n))
		}
		seen[n] = true
		switch {
		case n == legacyRequestTarget && !a.legacy:
			return nil, reject("the Signature headers list names %q, the parenthesised spelling CyberSource stopped accepting on 2024-03-22 (release note rn-2024-01-05); sign %q instead (cyberflextest.WithLegacyRequestTarget accepts the old form)", legacyRequestTarget, requestTarget)
		case n == legacyRequestTarget:
		case strings.HasPrefix(n, "("):
			return nil, reject("the Signature headers list names the pseudo-header %s, which CyberSource does not use", quote(n))
		}
	}
	required := []string{"host", "date", requestTarget, "v-c-merchant-id"}
	if hasBody {
		required = append(required, "digest")
	}
	for _, n := range required {
		if seen[n] || n == requestTarget && a.legacy && seen[legacyRequestTarget] {
			continue
		}
		return nil, reject("the Signature headers list %s lacks %s: CyberSource requires host, date, request-target, v-c-merchant-id and, for a request with a body, digest", quote(list), quote(n))
	}
	if seen[requestTarget] && seen[legacyRequestTarget] {
		return nil, reject("the Signature headers list names both %q and %q", requestTarget, legacyRequestTarget)
	}
	return names, nil
}

// signingString builds the string the client must have signed: one "name: value" line per name
// of the headers list, in the list's order, joined by "\n". host is the configured API host;
// request-target is the lowercase method, a space and the request URI (path[?query]); every
// other name is the request's header of that name (several values joined by ", ").
func (a *authenticator) signingString(r *http.Request, names []string) (string, error) {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('\n')
		}
		var value string
		switch n {
		case "host":
			value = a.host
		case requestTarget, legacyRequestTarget:
			value = strings.ToLower(r.Method) + " " + r.URL.RequestURI()
		default:
			values := r.Header.Values(n)
			if len(values) == 0 {
				return "", reject("the Signature headers list names %s, but the request has no such header", quote(n))
			}
			value = strings.Join(values, ", ")
		}
		b.WriteString(n)
		b.WriteString(": ")
		b.WriteString(value)
	}
	return b.String(), nil
}
