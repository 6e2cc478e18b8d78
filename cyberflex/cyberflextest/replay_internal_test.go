package cyberflextest

import (
	"fmt"
	"testing"
	"time"
)

// TestReplaysWindow: a key is refused while its window is open, accepted again once it has
// passed, and forgotten as the clock moves on.
func TestReplaysWindow(t *testing.T) {
	r := newReplays(10)
	t0 := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	end := t0.Add(time.Minute)
	if r.seen("a", t0, end) {
		t.Fatal("a key never seen is reported as seen")
	}
	if !r.seen("a", t0.Add(30*time.Second), end) {
		t.Error("a key within its window is not reported as seen")
	}
	if !r.seen("a", end, end) {
		t.Error("the window includes its end")
	}
	if r.seen("b", t0, end) {
		t.Error("another key is reported as seen")
	}
	later := end.Add(time.Nanosecond)
	if r.seen("c", later, later.Add(time.Minute)) {
		t.Error("c was never seen")
	}
	if n := r.len(); n != 1 {
		t.Errorf("%d keys remembered after their windows passed, want 1 (c)", n)
	}
	if r.seen("a", later, later.Add(time.Minute)) {
		t.Error("a key whose window passed is reported as seen")
	}
	if !r.seen("a", later, later.Add(time.Minute)) {
		t.Error("a key remembered again is not reported as seen")
	}
}

// TestReplaysBounded: past its size the oldest key is forgotten first, whatever its window.
func TestReplaysBounded(t *testing.T) {
	r := newReplays(3)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	end := now.Add(time.Hour)
	for i := range 5 {
		r.seen(fmt.Sprint(i), now, end)
	}
	if n := r.len(); n != 3 {
		t.Fatalf("%d keys remembered, want the bound 3", n)
	}
	for _, i := range []int{4, 3, 2} {
		if !r.seen(fmt.Sprint(i), now, end) {
			t.Errorf("key %d, among the 3 newest, is not reported as seen", i)
		}
	}
	if r.seen("0", now, end) {
		t.Error("key 0, the oldest, was not forgotten")
	}
	if n := r.len(); n != 3 {
		t.Errorf("%d keys remembered, want 3", n)
	}
	var none *replays
	if none.seen("x", now, end) {
		t.Error("a nil *replays remembers")
	}
	if none.seen("x", now, end) {
		t.Error("a nil *replays remembers")
	}
}

// TestReplaysWindowsOutOfOrder: an expired key waiting behind one whose window is still open is
// not reported as seen, and is forgotten once the keys before it go.
func TestReplaysWindowsOutOfOrder(t *testing.T) {
	r := newReplays(10)
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	r.seen("long", now, now.Add(time.Hour))
	r.seen("short", now, now.Add(time.Second))
	if r.seen("short", now.Add(2*time.Second), now.Add(3*time.Second)) {
		t.Error("an expired key behind an open one is reported as seen")
	}
	r.seen("probe", now.Add(2*time.Hour), now.Add(2*time.Hour))
	if n := r.len(); n != 1 {
		t.Errorf("%d keys remembered once every other window passed, want 1", n)
	}
}
