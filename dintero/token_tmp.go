package dintero

import (
	"encoding/json"
	"time"
)

// TEMPORARY until the token work lands.
func tokenLifetime(raw json.RawMessage) time.Duration {
	var n int64
	if json.Unmarshal(raw, &n) != nil || n <= 0 {
		return 5 * time.Minute
	}
	return time.Duration(min(n, 86400)) * time.Second
}
