package accesstokenstest

import "time"

// clock is the fake's time: the real time (advancing with it) or a pinned instant, either shifted
// by what Advance and SetNow added. It never goes back, which keeps listings in creation order.
// Guarded by Fake.mu.
type clock struct {
	pinned bool
	at     time.Time // pinned: the time; real: the wall time when the clock was started
	since  time.Time // real: the same instant with its monotonic reading, so wall-clock jumps do not show
	shift  time.Duration
}

func newClock(pinnedAt *time.Time) clock {
	if pinnedAt != nil {
		return clock{pinned: true, at: *pinnedAt}
	}
	now := time.Now()
	return clock{at: now.UTC().Round(0), since: now}
}

// now returns the fake time, to the millisecond (Bitbucket's resolution).
func (c *clock) now() time.Time {
	t := c.at
	if !c.pinned {
		t = t.Add(time.Since(c.since))
	}
	return t.Add(c.shift).Truncate(time.Millisecond)
}

func (c *clock) advance(d time.Duration) { c.shift += d }
