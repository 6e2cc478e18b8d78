package cyberflextest

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxRemembered bounds how many signatures and JWT ids the server remembers to refuse replays.
// Past it the oldest is forgotten first, so memory stays bounded however many requests a test
// sends; a test would need that many requests within one validity window to notice.
const maxRemembered = 1 << 16

// replays remembers the requests the server accepted, each until its signature or token could
// no longer pass the time checks anyway, so that an exact copy sent again within that window is
// refused. It is safe for concurrent use. A nil *replays remembers nothing.
type replays struct {
	mu    sync.Mutex
	max   int
	until map[[sha256.Size]byte]time.Time // by key hash: the end of the key's window
	order []remembered                    // insertion order, oldest first
}

// remembered is one entry of replays.order.
type remembered struct {
	key   [sha256.Size]byte
	until time.Time
}

func newReplays(limit int) *replays {
	return &replays{max: limit, until: map[[sha256.Size]byte]time.Time{}}
}

// seen reports whether key was accepted before and its window, which ends at the until given
// then, has not passed by now. If not, it remembers key until until. Entries whose window has
// passed are forgotten as the clock moves on.
func (r *replays) seen(key string, now, until time.Time) bool {
	if r == nil {
		return false
	}
	h := sha256.Sum256([]byte(key))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forget(now)
	if end, ok := r.until[h]; ok && !now.After(end) {
		return true
	}
	if len(r.until) >= r.max {
		r.evictOldest()
	}
	r.until[h] = until
	r.order = append(r.order, remembered{key: h, until: until})
	return false
}

// forget drops the entries whose window has passed by now, from the oldest, up to the first
// that is still open. Windows differ in length and the clock may be set back, so an expired
// entry can wait behind an open one; seen ignores it, and maxRemembered bounds the wait.
func (r *replays) forget(now time.Time) {
	for len(r.order) > 0 {
		e := r.order[0]
		if r.live(e) {
			if !now.After(e.until) {
				return
			}
			delete(r.until, e.key)
		}
		r.pop()
	}
}

// evictOldest drops the oldest entry, whatever its window.
func (r *replays) evictOldest() {
	for len(r.order) > 0 {
		e := r.order[0]
		r.pop()
		if r.live(e) {
			delete(r.until, e.key)
			return
		}
	}
}

// live reports whether e is the current entry of its key: a key remembered again after its
// window passed leaves an older entry in order that the map no longer refers to.
func (r *replays) live(e remembered) bool {
	end, ok := r.until[e.key]
	return ok && end.Equal(e.until)
}

func (r *replays) pop() {
	r.order[0] = remembered{}
	r.order = r.order[1:]
}

// len returns how many keys are remembered.
func (r *replays) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.until)
}
