package cyberflextest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/paysession/paysession-go/cyberflex"
)

// Capture context constants, as CyberSource issues them (the example capture contexts of
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/flex-api-2/flex-api-2-generate-capture-context.html).
const (
	// captureContextLifetime is exp - iat in seconds: 15 minutes.
	captureContextLifetime = 900
	// tokensPath is flx.path, where the browser posts the encrypted card data.
	tokensPath = "/flex/v2/tokens"
	// ctxType is ctx[0].type of a Flex API (not Microform, not Unified Checkout) session.
	ctxType = "api-0.1.0"
	// rsaBits is the size of every key the server makes, as CyberSource's.
	rsaBits = 2048
)

// keyring holds every signing key the server has had, by kid, and which one signs now. Old keys
// stay published after RotateKey, as CyberSource keeps serving a kid while tokens signed with it
// are alive.
type keyring struct {
	mu      sync.Mutex
	keys    map[string]*rsa.PrivateKey
	current string
}

// rotate makes a new signing key under a new kid and makes it current.
func (k *keyring) rotate() {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		panic("cyberflextest: generating an RSA key: " + err.Error()) // crypto/rand does not fail
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]*rsa.PrivateKey{}
	}
	kid := newKeyID(func(kid string) bool { return k.keys[kid] != nil })
	k.keys[kid] = key
	k.current = kid
}

// signing returns the current kid and key.
func (k *keyring) signing() (string, *rsa.PrivateKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.current, k.keys[k.current]
}

// lookup returns the key published under kid, or nil.
func (k *keyring) lookup(kid string) *rsa.PrivateKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[kid]
}

// newKeyID returns a kid not yet taken: two lowercase letters or digits like CyberSource's
// ("sn", "3g", "zu"), or longer once two characters run short.
func newKeyID(taken func(string) bool) string {
	for n := 2; ; n++ {
		for range 64 {
			if kid := randomString(n, "abcdefghijklmnopqrstuvwxyz0123456789"); !taken(kid) {
				return kid
			}
		}
	}
}

// encryptionKey is the RSA key behind every flx.jwk: it decrypts the JWEs of POST
// /flex/v2/tokens and signs the transient tokens. CyberSource makes a one-time key per capture
// context; one key for the whole process keeps each capture context from costing a key
// generation, while each still names it with a fresh kid, by which the server finds the capture
// context a JWE or a transient token belongs to.
var encryptionKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		panic("cyberflextest: generating an RSA key: " + err.Error())
	}
	return key
})

// The capture context claims, in the order CyberSource writes them.
type (
	captureContextClaims struct {
		Tokenization flx        `json:"flx"`
		Ctx          []ctxEntry `json:"ctx"`
		Iss          string     `json:"iss"`
		Exp          int64      `json:"exp"`
		Iat          int64      `json:"iat"`
		Jti          string     `json:"jti"`
	}
	flx struct {
		Path   string `json:"path"`
		Data   string `json:"data"`
		Origin string `json:"origin"`
		JWK    flxJWK `json:"jwk"`
	}
	flxJWK struct {
		Kty string `json:"kty"`
		E   string `json:"e"`
		Use string `json:"use"`
		N   string `json:"n"`
		Kid string `json:"kid"`
	}
	ctxEntry struct {
		Data any    `json:"data"` // ctxData (Flex API) or microformData
		Type string `json:"type"`
	}
	ctxData struct {
		RequiredFields []string `json:"requiredFields"`
		OptionalFields []string `json:"optionalFields"`
	}
)

// publicKeyJWK is the body of GET /flex/v2/public-keys/{kid}, member order as CyberSource's:
// {"kty":"RSA","use":"enc","kid":"3g","n":"…","e":"AQAB"}. ("use" says "enc" although the key
// verifies signatures; that is what CyberSource publishes.)
type publicKeyJWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

func newPublicKeyJWK(kid string, key *rsa.PublicKey) publicKeyJWK {
	return publicKeyJWK{Kty: "RSA", Use: "enc", Kid: kid, N: b64url(key.N.Bytes()), E: b64url(big.NewInt(int64(key.E)).Bytes())}
}

// mint issues a Flex API capture context for the given field paths, signed RS256 with the
// current key.
func (s *Server) mint(required, optional []string) (string, error) {
	return s.mintContext(&issuedContext{ctxType: ctxType, required: nonNil(required), optional: nonNil(optional), binDigits: 6},
		ctxData{RequiredFields: nonNil(required), OptionalFields: nonNil(optional)})
}

// mintContext issues a capture context whose ctx[0] is {data, rec.ctxType}, signed RS256 with
// the current key, and remembers rec under the fresh kid of its flx.jwk, for POST
// /flex/v2/tokens and TokenizeCard.
func (s *Server) mintContext(rec *issuedContext, data any) (string, error) {
	kid, key := s.keys.signing()
	enc := &encryptionKey().PublicKey
	iat := s.now().Unix()
	jwkKid := s.contexts.newKeyID()
	claims := captureContextClaims{
		Tokenization: flx{
			Path:   tokensPath,
			Data:   base64.StdEncoding.EncodeToString(randomBytes(96)),
			Origin: s.URL,
			JWK: flxJWK{
				Kty: "RSA",
				E:   b64url(big.NewInt(int64(enc.E)).Bytes()),
				Use: "enc",
				N:   b64url(enc.N.Bytes()),
				Kid: jwkKid,
			},
		},
		Ctx: []ctxEntry{{Data: data, Type: rec.ctxType}},
		Iss: cyberflex.CaptureContextIssuer,
		Iat: iat,
		Exp: iat + captureContextLifetime,
		Jti: randomString(16, alphanumeric),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("cyberflextest: encoding capture context claims: %w", err)
	}
	// No "typ": CyberSource's header is exactly {"kid":"..","alg":"RS256"}.
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), kid))
	if err != nil {
		return "", fmt.Errorf("cyberflextest: capture context signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("cyberflextest: signing capture context: %w", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", err
	}
	rec.token, rec.jwkKid, rec.issuedAt, rec.expiresAt = token, jwkKid, time.Unix(iat, 0), time.Unix(iat+captureContextLifetime, 0)
	s.contexts.add(rec)
	return token, nil
}

// issuedContext is what the server remembers of a capture context it issued.
type issuedContext struct {
	token               string
	jwkKid              string // flx.jwk.kid
	ctxType             string // ctx[0].type
	issuedAt, expiresAt time.Time
	required, optional  []string // Flex API contexts: the fields of the session
	// Microform contexts: the card networks allowed (nil: any), the BIN length the
	// transient token shows (6, 8 or 0), and the origins of the pages that may use it.
	networks      []string
	binDigits     int
	targetOrigins []string
}

// issuedContexts remembers the capture contexts the server issued, by the kid of their flx.jwk,
// at most maxRemembered of them (the oldest is forgotten first). It is safe for concurrent use.
type issuedContexts struct {
	mu    sync.Mutex
	byKid map[string]*issuedContext
	order []string
	// origins counts the target origins of the contexts remembered, for CORS (cors.go).
	origins map[string]int
}

// newKeyID returns a fresh 32-character kid for a flx.jwk, like CyberSource's
// ("00SvIaGIfyaw897rDeG9eFdODKaCKc1q").
func (c *issuedContexts) newKeyID() string {
	for {
		kid := randomString(32, alphanumeric)
		c.mu.Lock()
		_, taken := c.byKid[kid]
		c.mu.Unlock()
		if !taken {
			return kid
		}
	}
}

func (c *issuedContexts) add(rec *issuedContext) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKid == nil {
		c.byKid, c.origins = map[string]*issuedContext{}, map[string]int{}
	}
	if len(c.order) >= maxRemembered {
		for _, o := range c.byKid[c.order[0]].targetOrigins {
			if c.origins[o]--; c.origins[o] <= 0 {
				delete(c.origins, o)
			}
		}
		delete(c.byKid, c.order[0])
		c.order = c.order[1:]
	}
	c.byKid[rec.jwkKid] = rec
	c.order = append(c.order, rec.jwkKid)
	for _, o := range rec.targetOrigins {
		c.origins[o]++
	}
}

// lookup returns the capture context whose flx.jwk has kid, or nil.
func (c *issuedContexts) lookup(kid string) *issuedContext {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byKid[kid]
}

// requestedFields reads the "fields" of a POST /flex/v2/sessions body (already checked against
// the spec) and returns the dotted paths of the fields it lists, each list sorted so the
// capture context does not depend on the client's member order. Fields sit at depth three,
// group.subgroup.field ("paymentInformation.card.number"), in every version of CyberSource's
// schema; an empty group lists nothing. A listed field is required unless its "required" is
// false, so {} is required (CyberSource's minimum request lists "number": {}:
// https://developer.cybersource.com/docs/cybs/en-us/digital-accept-flex/developer/all/rest/digital-accept-flex/flex-api-2/flex-api-2-generate-capture-context.html).
// Members that are not objects are ignored.
func requestedFields(body []byte) (required, optional []string) {
	var req struct {
		Fields json.RawMessage `json:"fields"`
	}
	_ = json.Unmarshal(body, &req)
	for group, groupRaw := range members(req.Fields) {
		for subgroup, subRaw := range members(groupRaw) {
			for name, raw := range members(subRaw) {
				var field struct {
					Required *bool `json:"required"`
				}
				if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &field) != nil {
					continue
				}
				path := group + "." + subgroup + "." + name
				if field.Required != nil && !*field.Required {
					optional = append(optional, path)
				} else {
					required = append(required, path)
				}
			}
		}
	}
	slices.Sort(required)
	slices.Sort(optional)
	return required, optional
}

// members returns the members of a JSON object, or nothing when raw is not one.
func members(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[randomInt(len(alphabet))]
	}
	return string(b)
}

func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("cyberflextest: crypto/rand: " + err.Error())
	}
	return int(v.Int64())
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// newUUID returns a random version-4 UUID, the shape of CyberSource's correlation ids.
func newUUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
