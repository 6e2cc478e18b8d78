package cyberflex

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/paysession/paysession-go/internal/redact"
	"software.sslmate.com/src/go-pkcs12"
)

// jwtLifetime is exp - iat of the authentication JWT. The official SDKs use
// 120 s (node JWTSigToken.js, python Token.py) and a verifier may reject
// tokens with exp - iat > 120.
const jwtLifetime = 120 * time.Second

// JWTSigner authenticates requests to the CyberSource REST API with
// "Authorization: Bearer <JWS>", using the current ("v2") claim set that
// CyberSource requires for JWT authentication from September 2026 (node
// cybersource-rest-client >= 0.0.77, src/authentication/jwt/JWTSigToken.js;
// python authenticationsdk/jwt/Token.py).
//
// Two key types are supported, exactly one must be configured:
//
//   - shared secret (KeyID + SecretKey): header
//     {"alg":"HS256","kid":<KeyID>,"typ":"JWT"}, HMAC key base64decode(SecretKey);
//   - P12 (P12, from LoadP12): header
//     {"alg":"RS256","kid":<certificate subject serialNumber>,"typ":"JWT"}.
//
// A JWTSigner holds no mutable state and may be used by many goroutines at
// once. Formatting it with fmt never prints SecretKey or the private key.
type JWTSigner struct {
	// MerchantID is sent as the v-c-merchant-id header and used as the "iss"
	// and "v-c-merchant-id" claims.
	MerchantID string
	// KeyID is the shared-secret key id, used as "kid". Ignored with P12.
	KeyID string
	// SecretKey is the shared secret as shown in the Business Center
	// (standard base64). It must decode to at least 32 bytes: RFC 7518 §3.2
	// requires an HS256 key at least as long as the hash, and go-jose enforces it.
	SecretKey string
	// P12 selects RS256 signing with the merchant's P12 key. Mutually
	// exclusive with SecretKey.
	P12 *P12Key
	// Now returns the time used for "iat" and "exp". nil means time.Now.
	Now func() time.Time
	// NewID returns the "jti" claim. nil means a random UUID (version 4), as
	// the official SDKs send. Tests inject a fixed id.
	NewID func() string
}

// jwtClaims is the v2 claim set, in the order node's JWTSigToken.js builds it.
// digest and digest-algorithm are present only when there is a body.
type jwtClaims struct {
	Digest              string `json:"digest,omitempty"`
	DigestAlgorithm     string `json:"digest-algorithm,omitempty"`
	IssuedAt            int64  `json:"iat"`
	Expires             int64  `json:"exp"`
	RequestHost         string `json:"request-host"`
	RequestResourcePath string `json:"request-resource-path"`
	RequestMethod       string `json:"request-method"`
	Issuer              string `json:"iss"`
	ID                  string `json:"jti"`
	JWTVersion          string `json:"v-c-jwt-version"`
	MerchantID          string `json:"v-c-merchant-id"`
}

// Sign sets "v-c-merchant-id" and "Authorization: Bearer <JWS>" on req. The
// JWS claims bind the token to this request:
//
//	digest                 base64(sha256(body)), no "SHA-256=" prefix   (only when len(body) > 0)
//	digest-algorithm       "SHA-256"                                     (only with digest)
//	iat, exp               now and now+120 s, integer seconds
//	request-host           req.Host, else req.URL.Host
//	request-resource-path  req.URL.RequestURI() (escaped path and query)
//	request-method         lowercase method, as node sends it ("post")
//	iss, v-c-merchant-id   MerchantID
//	jti                    NewID(), default a random UUID
//	v-c-jwt-version        "2"
//
// body must be exactly the bytes that will be sent. As with HTTPSignatureSigner, the
// digest is keyed on the body (len(body) > 0) rather than on the method
// (the SDKs: POST/PUT/PATCH); for real CyberSource calls the rules agree.
// "digest-algorithm" is node's spelling; python and the docs write
// "digestAlgorithm" and CyberSource accepts either.
//
// Unlike HTTPSignatureSigner, Sign does not touch req.Host: JWT authentication signs no
// Host header, and the node SDK sends the socket's real Host while the
// request-host claim names the API host.
//
// Errors wrap ErrInvalidInput and never contain SecretKey or key material.
func (s JWTSigner) Sign(req *http.Request, body []byte) error {
	if req == nil {
		return fmt.Errorf("%w: JWTSigner.Sign: nil *http.Request", ErrInvalidInput)
	}
	if err := checkHeaderValue("JWTSigner.MerchantID", s.MerchantID); err != nil {
		return err
	}
	host, method, path, err := requestParts(req, "JWTSigner.Sign")
	if err != nil {
		return err
	}

	signingKey, kid, err := s.key()
	if err != nil {
		return err
	}

	jti := ""
	if s.NewID != nil {
		jti = s.NewID()
	} else if jti, err = randomUUID(); err != nil {
		return fmt.Errorf("cyberflex: JWTSigner.Sign: generating jti: %w", err)
	}
	if jti == "" {
		return fmt.Errorf("%w: JWTSigner.NewID returned an empty jti", ErrInvalidInput)
	}

	iat := now(s.Now).Unix()
	claims := jwtClaims{
		IssuedAt:            iat,
		Expires:             iat + int64(jwtLifetime/time.Second),
		RequestHost:         host,
		RequestResourcePath: path,
		RequestMethod:       method,
		Issuer:              s.MerchantID,
		ID:                  jti,
		JWTVersion:          "2",
		MerchantID:          s.MerchantID,
	}
	if len(body) > 0 {
		claims.Digest = bodyDigest(body)
		claims.DigestAlgorithm = "SHA-256"
	}
	payload, err := json.Marshal(claims) //nolint:gosec // v-c-jwt-version is a version number, not a secret
	if err != nil {
		return fmt.Errorf("cyberflex: JWTSigner.Sign: encoding claims: %w", err)
	}

	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader(jose.HeaderKey("kid"), kid)
	signer, err := jose.NewSigner(signingKey, opts)
	if err != nil {
		// go-jose errors describe the key type or size, never key bytes.
		return fmt.Errorf("%w: JWTSigner.Sign: %v", ErrInvalidInput, err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return fmt.Errorf("%w: JWTSigner.Sign: %v", ErrInvalidInput, err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return fmt.Errorf("cyberflex: JWTSigner.Sign: serialising JWS: %w", err)
	}

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	setHeader(req.Header, headerMerchantID, s.MerchantID)
	setHeader(req.Header, "Authorization", "Bearer "+token)
	return nil
}

// key returns the go-jose signing key and the "kid" header value.
func (s JWTSigner) key() (jose.SigningKey, string, error) {
	switch {
	case s.P12 != nil && s.SecretKey != "":
		return jose.SigningKey{}, "", fmt.Errorf("%w: JWTSigner: set either SecretKey or P12, not both", ErrInvalidInput)
	case s.P12 != nil:
		if s.P12.key == nil || s.P12.keyID == "" {
			return jose.SigningKey{}, "", fmt.Errorf("%w: JWTSigner.P12 was not created by LoadP12", ErrInvalidInput)
		}
		return jose.SigningKey{Algorithm: jose.RS256, Key: s.P12.key()}, s.P12.keyID, nil
	default:
		if err := checkHeaderValue("JWTSigner.KeyID", s.KeyID); err != nil {
			return jose.SigningKey{}, "", err
		}
		secret, err := decodeSecret("JWTSigner.SecretKey", s.SecretKey)
		if err != nil {
			return jose.SigningKey{}, "", err
		}
		if len(secret) < 32 {
			return jose.SigningKey{}, "", fmt.Errorf("%w: JWTSigner.SecretKey decodes to %d bytes; HS256 needs at least 32", ErrInvalidInput, len(secret))
		}
		return jose.SigningKey{Algorithm: jose.HS256, Key: secret}, s.KeyID, nil
	}
}

// String returns a description of s with SecretKey and the P12 key redacted.
func (s JWTSigner) String() string {
	return "{MerchantID:" + s.MerchantID + " KeyID:" + s.KeyID + " SecretKey:" + redacted + " P12:" + p12String(s.P12, false) + "}"
}

// GoString returns a Go-syntax-like description of s with secrets redacted
// (used by %#v).
func (s JWTSigner) GoString() string {
	return fmt.Sprintf("cyberflex.JWTSigner{MerchantID:%q, KeyID:%q, SecretKey:%s, P12:%s}", s.MerchantID, s.KeyID, redacted, p12String(s.P12, true))
}

// Format implements fmt.Formatter so that no verb prints SecretKey or the
// private key: %#v prints GoString, every other verb String.
func (s JWTSigner) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, s.String(), s.GoString())
}

// P12Key is a merchant's RSA private key and certificate loaded from the
// PKCS#12 (.p12) file generated in the Business Center, for RS256 JWT
// authentication. Create it with LoadP12. Formatting a P12Key never prints the
// private key.
type P12Key struct {
	// key returns the private key. A func, not a *rsa.PrivateKey field: printers that dump
	// fields without calling Format (fmt on an unexported field, go-spew with DisableMethods)
	// would print D and the primes; a func prints as an address.
	key   func() *rsa.PrivateKey
	cert  *x509.Certificate
	keyID string
}

// LoadP12 decodes a PKCS#12 file and returns the RSA private key with its
// certificate. CyberSource .p12 files hold the merchant's key and certificate
// plus CyberSource CA certificates; the merchant certificate is the one whose
// public key matches the private key (the official SDKs select it by the
// alias = merchant id, which identifies the same entry). The JWT "kid" is that
// certificate's subject serialNumber attribute (node JWTSigToken.js,
// python Token.py).
//
// Errors wrap ErrInvalidInput and never contain the password or key material.
func LoadP12(data []byte, password string) (*P12Key, error) {
	priv, leaf, caCerts, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		// go-pkcs12 errors describe structure ("decryption password
		// incorrect", unsupported algorithm), never the password.
		return nil, fmt.Errorf("%w: LoadP12: %v", ErrInvalidInput, err)
	}
	rsaKey, ok := priv.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: LoadP12: private key is %T, want RSA", ErrInvalidInput, priv)
	}
	if rsaKey.N.BitLen() < 2048 {
		return nil, fmt.Errorf("%w: LoadP12: RSA key is %d bits, want at least 2048", ErrInvalidInput, rsaKey.N.BitLen())
	}
	var cert *x509.Certificate
	for _, c := range append([]*x509.Certificate{leaf}, caCerts...) {
		if pub, ok := c.PublicKey.(*rsa.PublicKey); ok && pub.Equal(&rsaKey.PublicKey) {
			cert = c
			break
		}
	}
	if cert == nil {
		return nil, fmt.Errorf("%w: LoadP12: no certificate in the file matches the private key", ErrInvalidInput)
	}
	kid := certKeyID(cert)
	if kid == "" {
		return nil, fmt.Errorf("%w: LoadP12: certificate %q has no subject serialNumber (the JWT kid)", ErrInvalidInput, cert.Subject.CommonName)
	}
	if hasCtl(kid) || len(kid) > 256 {
		return nil, fmt.Errorf("%w: LoadP12: certificate subject serialNumber is not usable as a kid", ErrInvalidInput)
	}
	return &P12Key{key: func() *rsa.PrivateKey { return rsaKey }, cert: cert, keyID: kid}, nil
}

// certKeyID returns the subject serialNumber attribute (OID 2.5.4.5) — not
// the certificate's serial number — which CyberSource uses as the JWT kid.
func certKeyID(cert *x509.Certificate) string {
	return cert.Subject.SerialNumber
}

// KeyID returns the JWT "kid": the certificate's subject serialNumber.
func (k *P12Key) KeyID() string {
	if k == nil {
		return ""
	}
	return k.keyID
}

// Certificate returns the merchant certificate that matches the private key.
func (k *P12Key) Certificate() *x509.Certificate {
	if k == nil {
		return nil
	}
	return k.cert
}

// String describes k by its kid; the private key is redacted.
func (k P12Key) String() string {
	return "{KeyID:" + k.keyID + " PrivateKey:" + redacted + "}"
}

// GoString is like String in Go-like syntax (used by %#v).
func (k P12Key) GoString() string {
	return fmt.Sprintf("cyberflex.P12Key{KeyID:%q, PrivateKey:%s}", k.keyID, redacted)
}

// Format implements fmt.Formatter so that no verb prints the private key.
// (Value receiver: both P12Key and *P12Key are covered; fmt prints a nil
// *P12Key as <nil>.)
func (k P12Key) Format(f fmt.State, verb rune) {
	redact.Format(f, verb, k.String(), k.GoString())
}

// p12String formats a possibly nil *P12Key for the JWTSigner formatters.
func p12String(k *P12Key, goSyntax bool) string {
	switch {
	case k == nil && goSyntax:
		return "(*cyberflex.P12Key)(nil)"
	case k == nil:
		return "<nil>"
	case goSyntax:
		return "&" + k.GoString()
	default:
		return k.String()
	}
}

// randomUUID returns a random (version 4) UUID, the jti the SDKs send.
func randomUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}
