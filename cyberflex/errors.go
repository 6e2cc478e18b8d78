package cyberflex

import (
	"errors"
	"fmt"
	"github.com/paysession/paysession-go/internal/httpx"
)

// ErrInvalidInput is wrapped by every error caused by bad arguments or
// configuration passed to this package (for example an HTTPSignatureSigner without a
// MerchantID, or a SecretKey that is not base64). Such errors are the
// caller's to fix; retrying does not help. Error texts never contain secrets.
var ErrInvalidInput = errors.New("cyberflex: invalid input")

// ErrInvalidCaptureContext is wrapped by every error that rejects a capture
// context JWT. Use errors.Is with one of the more specific sentinels below to
// learn which check failed. A capture context rejected with this error must
// not be used to tokenize card data.
var ErrInvalidCaptureContext = errors.New("cyberflex: invalid capture context")

// The sentinels below each wrap ErrInvalidCaptureContext, so
// errors.Is(err, ErrInvalidCaptureContext) holds for all of them.
var (
	// ErrCaptureContextMalformed: the token is not a compact JWS of three base64url
	// segments with a JSON header and JSON claims, or a required claim
	// (exp) is missing or has the wrong type, or the token is longer than
	// MaxCaptureContextSize, or its "kid" is not a plain key id (see
	// MaxKeyIDLength).
	ErrCaptureContextMalformed = fmt.Errorf("%w: malformed token", ErrInvalidCaptureContext)

	// ErrUnsupportedAlgorithm: the JWS "alg" header is not RS256. CyberSource
	// signs capture contexts with RS256 only; anything else ("none", HS256
	// signed with the public key as an HMAC secret, ...) is an attack or a bug.
	ErrUnsupportedAlgorithm = fmt.Errorf("%w: unsupported signing algorithm", ErrInvalidCaptureContext)

	// ErrMissingKeyID: the JWS header has no "kid", so the verification key
	// cannot be looked up at /flex/v2/public-keys/{kid}.
	ErrMissingKeyID = fmt.Errorf("%w: missing key id", ErrInvalidCaptureContext)

	// ErrUnknownKeyID: the key source reported that no key exists for the
	// token's "kid" (for the HTTP key source: 404 from
	// /flex/v2/public-keys/{kid}). A key fetcher signals this by returning an
	// error that wraps ErrUnknownKeyID, or a nil key and a nil error.
	ErrUnknownKeyID = fmt.Errorf("%w: unknown key id", ErrInvalidCaptureContext)

	// ErrWeakKey: the key published for the token's "kid" is not an RSA key
	// of at least 2048 bits (the minimum the official SDK utilities accept).
	ErrWeakKey = fmt.Errorf("%w: verification key is not an RSA key of at least 2048 bits", ErrInvalidCaptureContext)

	// ErrCaptureContextSignature: the RS256 signature does not verify, even after
	// re-fetching the key in case it was rotated (at most once per
	// KeyRefetchInterval).
	ErrCaptureContextSignature = fmt.Errorf("%w: signature verification failed", ErrInvalidCaptureContext)

	// ErrCaptureContextExpired: "exp" is in the past (beyond the allowed clock leeway).
	// Capture contexts live 15 minutes (exp = iat + 900); request a new one.
	ErrCaptureContextExpired = fmt.Errorf("%w: expired", ErrInvalidCaptureContext)

	// ErrCaptureContextNotYetValid: "iat" (or "nbf") is in the future beyond the allowed
	// clock leeway; usually the local clock is wrong.
	ErrCaptureContextNotYetValid = fmt.Errorf("%w: issued in the future", ErrInvalidCaptureContext)

	// ErrCaptureContextIssuer: the "iss" claim is not "Flex API". Other tokens signed with
	// the same Flex keys (for example transient tokens) are not capture
	// contexts and must not be accepted as one.
	ErrCaptureContextIssuer = fmt.Errorf("%w: unexpected issuer", ErrInvalidCaptureContext)
)

// ErrKeyFetch is wrapped when the verification key could not be fetched for
// a reason other than "no such key" (network failure, 5xx, cancelled
// context, the limit of MaxKeyFetches per KeyFetchWindow, ...). It
// deliberately does NOT wrap ErrInvalidCaptureContext: the token may well be
// valid, and retrying later can succeed. The underlying error is wrapped too.
var ErrKeyFetch = errors.New("cyberflex: fetching capture context verification key failed")

// ErrBodyTooLarge is wrapped by the error of an answer whose body is larger
// than the client reads (8 MiB; every real answer is far smaller).
var ErrBodyTooLarge = httpx.ErrBodyTooLarge

// ErrInvalidTransientToken is wrapped by every error that rejects a transient token, with the
// reason: it does not decode, is not RS256, names or is signed by another key than its capture
// context's flx.jwk, has an issuer other than "Flex/…", has expired or is issued in the future
// or outside its capture context's lifetime, or its capture context does not verify. A token
// rejected with this error must not be used for a payment.
var ErrInvalidTransientToken = errors.New("cyberflex: invalid transient token")

// ErrTransientTokenExpired wraps ErrInvalidTransientToken: the token's "exp" has passed (beyond
// the allowed clock leeway). Transient tokens live 15 minutes; the customer has to enter the
// card again.
var ErrTransientTokenExpired = fmt.Errorf("%w: expired", ErrInvalidTransientToken)
