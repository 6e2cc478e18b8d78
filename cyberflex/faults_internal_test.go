package cyberflex

import (
	"time"

	"github.com/paysession/paysession-go/internal/retry"
)

// FaultSuiteFastRetries shortens the waits between retries to microseconds while keeping how
// many retries are made (WithMaxRetries still decides). The fault suite (faults_test.go) lives
// in package cyberflex_test, to use the client as a user does, and counts attempts on the
// server; without this its retry rows would wait the real backoff. Retry-After is still
// honoured when it asks for longer. Exported only to this package's tests: it is defined in a
// _test.go file.
var FaultSuiteFastRetries = withRetryPolicy(retry.Policy{
	BaseDelay: time.Microsecond,
	MaxDelay:  time.Microsecond,
	Jitter:    func() float64 { return 0 },
})
