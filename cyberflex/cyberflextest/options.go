package cyberflextest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
)

// The credentials a Server accepts when NewServer is given no credential option, for both HTTP
// Signature and JWT (HS256) authentication. They are made-up test values, not CyberSource's
// public sandbox credentials, so a test that forgets WithBaseURL fails against the real sandbox
// instead of talking to it.
const (
	// DefaultMerchantID is the merchant (organisation) id accepted by default.
	DefaultMerchantID = "cyberflextest_merchant"
	// DefaultKeyID is the shared-secret key id accepted by default.
	DefaultKeyID = "0f2c4b8e-7d1a-4c3e-9b5f-6a8d2e1c7b40"
	// DefaultSharedSecret is the shared secret accepted by default: standard base64 that decodes
	// to 32 bytes, the shape of a Business Center secret and long enough for HS256. It is not a
	// secret.
	DefaultSharedSecret = "Y3liZXJmbGV4dGVzdCBzaGFyZWQgc2VjcmV0IDAwMDE="
)

// DefaultHost is the API host that signatures must name unless WithHost says otherwise: the
// CyberSource sandbox, which is also the cyberflex client's default environment.
const DefaultHost = string(cyberflex.Sandbox)

// DefaultMaxClockSkew bounds how far the Date header of an HTTP Signature request, and the iat
// claim of a JWT, may be from the server's clock. CyberSource does not document its window
// (5 to 15 minutes is usual for such gateways); five minutes is strict enough to catch a client
// that signs with a wrong or stale clock and lenient enough for any test machine.
const DefaultMaxClockSkew = 5 * time.Minute

// maxJWTLifetime is the longest exp - iat accepted: the official SDKs issue tokens valid for
// 120 s (exp = iat + 120), and the fake refuses longer ones so that a client cannot pass here
// with tokens CyberSource may refuse. The claim set:
// https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-jwt-shared-secret-intro/restgs-jwt-con-shared-secret-intro.html
const maxJWTLifetime = 120 * time.Second

// Option configures a Server in NewServer. An option given a bad value (a secret that is not
// base64, a negative skew, …) makes NewServer panic with a message naming the option, the way
// httptest.NewServer panics when it cannot listen: both are mistakes in the test itself.
type Option func(*config) error

// config is what the options set. Credentials are kept in the authenticator it builds.
type config struct {
	host             string
	skew             time.Duration
	legacy           bool
	replaySignatures bool
	noHTTPSignature  bool
	now              func() time.Time
	creds            authenticator
	anyCredOpt       bool
}

// WithHTTPSignature accepts requests signed with CyberSource's HTTP Signature scheme by the
// shared-secret key keyID of merchantID, exactly as cyberflex.WithHTTPSignature signs them.
// secretB64 is the secret as the Business Center shows it (standard base64); the HMAC key is its
// decoded bytes. May be given more than once, for several keys or merchants.
func WithHTTPSignature(merchantID, keyID, secretB64 string) Option {
	return func(c *config) error {
		key, err := sharedKey("WithHTTPSignature", merchantID, keyID, secretB64, 1)
		if err != nil {
			return err
		}
		c.anyCredOpt = true
		c.creds.signatureKeys = append(c.creds.signatureKeys, sharedSecret{merchantID: merchantID, keyID: keyID, key: key})
		return nil
	}
}

// WithJWT accepts "Authorization: Bearer <JWT>" tokens signed HS256 with the shared secret
// (secretB64, standard base64, decoding to at least 32 bytes as RFC 7518 §3.2 requires) of key
// keyID of merchantID, as cyberflex.WithJWT signs them. May be given more than once.
func WithJWT(merchantID, keyID, secretB64 string) Option {
	return func(c *config) error {
		key, err := sharedKey("WithJWT", merchantID, keyID, secretB64, 32)
		if err != nil {
			return err
		}
		c.anyCredOpt = true
		c.creds.jwtSecrets = append(c.creds.jwtSecrets, sharedSecret{merchantID: merchantID, keyID: keyID, key: key})
		return nil
	}
}

// WithJWTP12 accepts JWTs signed RS256 with the private key of the PKCS#12 file p12, as
// cyberflex.WithJWTP12 signs them: the token's kid must be the subject serialNumber of the
// file's certificate. The file is read with cyberflex.LoadP12, so what the client accepts the
// server accepts; only the certificate is kept, not the private key or the password.
func WithJWTP12(merchantID string, p12 []byte, password string) Option {
	return func(c *config) error {
		key, err := cyberflex.LoadP12(p12, password)
		if err != nil {
			return fmt.Errorf("WithJWTP12: %w", err)
		}
		return WithJWTCertificate(merchantID, key.Certificate())(c)
	}
}

// WithJWTCertificate accepts JWTs signed RS256 with the private key of cert, with kid = the
// certificate's subject serialNumber (not its serial number), as CyberSource reads P12 JWTs.
// Use it when the test has the certificate but not the .p12 file. May be given more than once.
func WithJWTCertificate(merchantID string, cert *x509.Certificate) Option {
	return func(c *config) error {
		if err := checkValue("WithJWTCertificate: merchant id", merchantID); err != nil {
			return err
		}
		if cert == nil {
			return errors.New("WithJWTCertificate: certificate is nil")
		}
		pub, ok := cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("WithJWTCertificate: certificate key is %T, want RSA", cert.PublicKey)
		}
		if err := checkValue("WithJWTCertificate: certificate subject serialNumber (the JWT kid)", cert.Subject.SerialNumber); err != nil {
			return err
		}
		c.anyCredOpt = true
		c.creds.jwtCerts = append(c.creds.jwtCerts, certKey{merchantID: merchantID, keyID: cert.Subject.SerialNumber, key: pub})
		return nil
	}
}

// WithAccessToken accepts "Authorization: Bearer <token>" with exactly this OAuth access token
// (compared in constant time), as cyberflex.WithAccessToken sends it. May be given more than
// once.
func WithAccessToken(token string) Option {
	return func(c *config) error {
		if err := checkValue("WithAccessToken: token", token); err != nil {
			return err
		}
		c.anyCredOpt = true
		c.creds.bearerTokens = append(c.creds.bearerTokens, []byte(token))
		return nil
	}
}

// WithHost sets the API host that requests must be signed for (the HTTP Signature "host" line
// and Host header, the JWT "request-host" claim). Default: DefaultHost, the sandbox. A cyberflex
// client with cyberflex.WithEnvironment(cyberflex.Production) needs
// WithHost(string(cyberflex.Production)).
func WithHost(host string) Option {
	return func(c *config) error {
		if err := checkValue("WithHost", host); err != nil {
			return err
		}
		if strings.ContainsAny(host, "/?#@ ") {
			return fmt.Errorf("WithHost: %q is not a host name such as %q", host, DefaultHost)
		}
		c.host = host
		return nil
	}
}

// WithMaxClockSkew bounds |now − Date| of HTTP Signature requests and |now − iat| of JWTs.
// Default: DefaultMaxClockSkew. CyberSource's real window is undocumented. It must not be
// negative; zero demands the exact second, which suits tests with a fixed clock.
func WithMaxClockSkew(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("WithMaxClockSkew: %s is negative", d)
		}
		c.skew = d
		return nil
	}
}

// WithLegacyRequestTarget also accepts HTTP Signatures that list and sign the parenthesised
// "(request-target)" of draft-cavage instead of "request-target". CyberSource stopped accepting
// that spelling in production on 2024-03-22 ("REST API Digest Parentheses Removal"), so by
// default the server refuses it, as the real API does; enable this only to test a client that
// must still talk to a system that has not moved on. The release note:
// https://developer.cybersource.com/docs/cybs/en-us/platform/relnote/all/na/rn-2024-01-05/rn-announce.html
func WithLegacyRequestTarget() Option {
	return func(c *config) error {
		c.legacy = true
		return nil
	}
}

// WithSignatureReplayCheck also refuses (401, "replayed") an HTTP Signature request whose
// signature the server accepted before while its Date is still within WithMaxClockSkew, and
// likewise a JWT without a jti claim. A JWT with a jti is refused when its jti was accepted
// before, with or without this option.
//
// It is off by default because the HTTP Signature scheme has no nonce: the signature covers the
// host, the Date in whole seconds, the method and path, the body digest and the merchant, so two
// identical requests signed in the same second, such as two capture contexts for the same fields,
// or any two identical requests under a clock that stands still, carry the same signature,
// whether cyberflex or an official SDK signs them, and are not replays.
func WithSignatureReplayCheck() Option {
	return func(c *config) error {
		c.replaySignatures = true
		return nil
	}
}

// WithoutHTTPSignature refuses (401) every request signed with HTTP Signature, whatever its
// key, as CyberSource does for merchants once they must use JWT: "By September 2026, all
// merchants using HTTP signature messaging must migrate to JSON Web Token (JWT) messaging"
// (https://developer.cybersource.com/docs/cybs/en-us/platform/developer/all/rest/rest-getting-started/restgs-http-message-intro.html).
// Use it to rehearse the switch: a client still on cyberflex.WithHTTPSignature fails, one on
// cyberflex.WithJWT with the same key id and secret passes. Without credential options the
// default credentials are then accepted for JWT only.
func WithoutHTTPSignature() Option {
	return func(c *config) error {
		c.noHTTPSignature = true
		return nil
	}
}

// WithClock sets the server's clock: the time Date headers and JWT iat/exp are checked against
// and the iat of the capture contexts it issues. Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("WithClock: clock is nil")
		}
		c.now = now
		return nil
	}
}

// sharedKey checks a shared-secret credential and returns the decoded key. Errors name the
// option and never contain the secret.
func sharedKey(opt, merchantID, keyID, secretB64 string, minLen int) ([]byte, error) {
	if err := checkValue(opt+": merchant id", merchantID); err != nil {
		return nil, err
	}
	if err := checkValue(opt+": key id", keyID); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(secretB64))
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%s: the shared secret is not non-empty standard base64", opt)
	}
	if len(key) < minLen {
		return nil, fmt.Errorf("%s: the shared secret decodes to %d bytes; HS256 needs at least %d", opt, len(key), minLen)
	}
	return key, nil
}

// checkValue refuses empty values and values no client can send in a header or a quoted
// Signature parameter.
func checkValue(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f || c == '"' {
			return fmt.Errorf("%s contains a control character or a double quote", what)
		}
	}
	return nil
}
