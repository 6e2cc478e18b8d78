package paysession_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// topLevelDecl matches a block that starts, after its comment lines, with a declaration.
var topLevelDecl = regexp.MustCompile(`^(?:\s*//[^\n]*\n)*(func|type|var|const) `)

// readmeGoBlock matches a ```go block of README.md.
var readmeGoBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```")

// readmeBlocks returns a Go file of the consumer module (TestConsumerModule) holding every ```go
// block of README.md, so that the module's build fails while any README snippet does not compile
// against the SDK as a user gets it. A block of top-level declarations (starting with func, type,
// var or const) is kept as it is; any other block becomes the body of a function of its own, in
// which the placeholders the README uses (clientID, merchantID, r, w, …) are declared.
func readmeBlocks(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	blocks := readmeGoBlock.FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, blocks, "README.md has Go examples")

	var b strings.Builder
	b.WriteString(`package readme

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/paysession/paysession-go/cyberflex"
	"github.com/paysession/paysession-go/cyberflex/cyberflextest"
	"github.com/paysession/paysession-go/dintero"
	"github.com/paysession/paysession-go/dintero/dinterotest"
)

var (
	_ = context.Background
	_ = json.Marshal
	_ = errors.New
	_ = fmt.Sprint
	_ = io.EOF
	_ = log.Println
	_ = slog.Default
	_ = http.StatusOK
	_ = httptest.NewServer
	_ sync.Mutex
	_ testing.T
	_ = os.Getenv
	_ = time.Second
	_ = cyberflex.New
	_ = cyberflextest.NewServer
	_ = dintero.New
	_ = dinterotest.NewServer
)
`)
	for i, m := range blocks {
		code := m[1]
		fmt.Fprintf(&b, "\n// README block %d\n", i+1)
		if topLevelDecl.MatchString(code) {
			b.WriteString(code)
			continue
		}
		fmt.Fprintf(&b, `func readmeBlock%d(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	accountID, clientID, clientSecret, apiKey := "T12345678", "client-id", "client-secret", "api-key"
	merchantID, keyID, sharedSecretBase64 := "merchant", "key-id", "c2VjcmV0"
	signatureSecret, sessionID, token := "signature-secret", "T12345678.abc", "token"
	_, _, _, _, _, _, _, _, _, _ = accountID, clientID, clientSecret, apiKey, merchantID, keyID, sharedSecretBase64, signatureSecret, sessionID, token
%s	return nil
}
`, i+1, code)
	}
	return b.String()
}
