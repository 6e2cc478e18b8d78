package cyberflex

import (
	"bytes"
	"context"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// DefaultLeeway is the clock skew tolerated when checking a capture context's
// "exp" and "iat": one minute, small against the 15-minute lifetime of a
// capture context (exp = iat + 900) but enough for ordinary clock drift.
const DefaultLeeway = 60 * time.Second

// captureContextAlgorithm is the only accepted JWS algorithm. CyberSource
// signs capture contexts with RS256 (header {"kid":"..","alg":"RS256"}); the
// official SDK utilities also allow RS384/RS512 (node JWTUtility.js), but no
// such token has been seen and pinning one algorithm leaves no room for
// algorithm confusion.
const captureContextAlgorithm = "RS256"

// verify checks a capture context and returns it with trusted claims:
//
//  1. the token is at most MaxCaptureContextSize bytes and decodes (ErrCaptureContextMalformed);
//  2. alg is RS256 (ErrUnsupportedAlgorithm) — rejects "none" and HS256
//     "key confusion" tokens MACed with the public key;
//  3. a kid is present (ErrMissingKeyID) and is a plain id (ErrCaptureContextMalformed);
//  4. the key for kid is taken from the cache or fetched (ErrUnknownKeyID,
//     ErrKeyFetch) and is RSA >= 2048 bits (ErrWeakKey);
//  5. the signature verifies; if it does not, the key is fetched once more in
//     case CyberSource rotated it, as the official utilities do (node
//     CaptureContextParsingUtility.js), but at most once per KeyRefetchInterval
//     per kid, and the check repeated with the new key if it differs (ErrCaptureContextSignature);
//  6. iss is "Flex API" (ErrCaptureContextIssuer);
//  7. exp is present (ErrCaptureContextMalformed) and not passed (ErrCaptureContextExpired), and iat and
//     nbf, when present, are not in the future (ErrCaptureContextNotYetValid), each with
//     leeway of clock skew allowed. The official SDK utilities check none of
//     iss/exp/iat; this verifier does.
//
// now is the current time (time.Now when zero); leeway < 0 counts as 0.
// Callers normally pass DefaultLeeway. Errors never contain the token.
func (c *keyCache) verify(ctx context.Context, token string, now time.Time, leeway time.Duration) (*CaptureContext, error) {
	p, err := parseToken(token)
	if err != nil {
		return nil, err
	}
	if p.header.Alg != captureContextAlgorithm {
		return nil, fmt.Errorf("%w: alg %s (only %s is accepted)", ErrUnsupportedAlgorithm, quoteShort(p.header.Alg), captureContextAlgorithm)
	}
	if p.header.Kid == "" {
		return nil, fmt.Errorf("%w: the JWS header has no kid", ErrMissingKeyID)
	}
	kid := p.header.Kid
	if err := checkKeyID(kid); err != nil {
		return nil, err
	}

	// go-jose re-parses the token with the algorithm pinned to RS256, so an
	// alg that encoding/json and go-jose read differently (e.g. duplicate
	// "alg" members) cannot slip through.
	jws, err := jose.ParseSignedCompact(p.cc.Token, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCaptureContextMalformed, err)
	}

	key, err := c.get(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		fresh, err := c.refresh(ctx, kid, key)
		if err != nil {
			return nil, err
		}
		if fresh == nil {
			return nil, fmt.Errorf("%w: kid %s", ErrCaptureContextSignature, quoteShort(kid))
		}
		if payload, err = jws.Verify(fresh); err != nil {
			return nil, fmt.Errorf("%w: kid %s", ErrCaptureContextSignature, quoteShort(kid))
		}
	}

	// The claims must come from the verified payload bytes. parseToken decoded them from the
	// payload segment, which for a compact JWS are the very bytes go-jose verified; decode
	// again only if they differ (decoding the same bytes twice doubled the cost of a verify).
	raw := p.raw
	if !bytes.Equal(payload, p.payload) {
		if raw, err = decodeClaims(payload); err != nil {
			return nil, err
		}
	}
	cc := &CaptureContext{Token: p.cc.Token, Claims: claimsFrom(kid, raw)}

	if raw.Iss != CaptureContextIssuer {
		return nil, fmt.Errorf("%w: iss %s, want %q", ErrCaptureContextIssuer, quoteShort(raw.Iss), CaptureContextIssuer)
	}
	if now.IsZero() {
		now = time.Now()
	}
	if leeway < 0 {
		leeway = 0
	}
	if raw.Exp == nil {
		return nil, fmt.Errorf("%w: missing exp claim", ErrCaptureContextMalformed)
	}
	if exp := raw.Exp.time(); !now.Before(exp.Add(leeway)) {
		return nil, fmt.Errorf("%w: exp %s is not after now %s (leeway %s)", ErrCaptureContextExpired, exp.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
	}
	if raw.Iat != nil {
		if iat := raw.Iat.time(); iat.After(now.Add(leeway)) {
			return nil, fmt.Errorf("%w: iat %s is after now %s (leeway %s)", ErrCaptureContextNotYetValid, iat.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
	}
	if raw.Nbf != nil {
		if nbf := raw.Nbf.time(); nbf.After(now.Add(leeway)) {
			return nil, fmt.Errorf("%w: nbf %s is after now %s (leeway %s)", ErrCaptureContextNotYetValid, nbf.Format(time.RFC3339), now.UTC().Format(time.RFC3339), leeway)
		}
	}
	return markTrusted(cc), nil
}
