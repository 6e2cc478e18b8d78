package retry

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ParseRetryAfter parses the Retry-After header of h (RFC 9110, section 10.2.3)
// and returns how long the server asked the client to wait, measured from
// now. It is exported so that clients can also report the wait in their own
// error types when Do gives up, e.g. on a 429 asking for too long a wait.
//
// Both forms are accepted: delta-seconds ("120") and an HTTP-date in any of
// the three formats http.ParseTime knows. A date in the past yields 0 with
// ok true: the server's wait is over, not invalid. A missing, empty or
// malformed value (a negative or fractional number, an unknown date format)
// yields ok false so that the caller falls back to its own backoff instead of
// trusting garbage. A number of seconds too large for a time.Duration is
// returned as the largest Duration, which every sane limit rejects.
func ParseRetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if isDigits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(math.MaxInt64/time.Second) {
			return math.MaxInt64, true // only digits, so the error is overflow
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// isDigits reports whether s is non-empty and made only of ASCII digits, the
// delta-seconds grammar (1*DIGIT): no sign, no fraction, no spaces inside.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
