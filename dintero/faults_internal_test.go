package dintero

import "time"

// FaultSuiteFastRetries shortens c's waits between retries to microseconds while keeping how
// many retries it makes. The fault suite (faults_test.go) lives in package dintero_test, to use
// the client as a user does, and counts attempts on the server; without this its retry rows
// would wait the real backoff (hundreds of milliseconds each). Call it right after New, before
// the client is used. Exported only to this package's tests: it is defined in a _test.go file.
func FaultSuiteFastRetries(c *Client) {
	c.api.Policy.BaseDelay = time.Microsecond
	c.api.Policy.MaxDelay = time.Microsecond
	c.api.Policy.Jitter = func() float64 { return 0 }
}
