package accesstokenstest

import (
	"fmt"
	"time"
)

// latestTime is the last millisecond RFC 3339, and so JSON and the control API, can show: the
// fake clock never passes it.
var latestTime = time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC)

// clock is the fake's time: the real time (advancing with it) or a pinned instant, moved forward
// by Advance and SetNow. It never goes back, which keeps listings in creation order, and never
// passes latestTime. Guarded by Fake.mu.
type clock struct {
	pinned bool
	at     time.Time // pinned: the time; real: the fake time at since
	since  time.Time // real: when at was the fake time, with its monotonic reading, so wall-clock jumps do not show
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
	if t.After(latestTime) {
		return latestTime
	}
	return t.Truncate(time.Millisecond)
}

// moveTo makes t (not before now) the fake time; a real clock keeps running from there. Moving
// the clock's origin, rather than adding up a time.Duration of shifts, lets it go further than
// 292 years and cannot overflow into the past.
func (c *clock) moveTo(t time.Time) error {
	if t.After(latestTime) {
		return fmt.Errorf("accesstokenstest: the clock cannot pass %s", latestTime.Format(time.RFC3339Nano))
	}
	c.at = t.UTC()
	if !c.pinned {
		c.since = time.Now()
	}
	return nil
}
