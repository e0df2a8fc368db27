// The fake's clock: the real time or a pinned one, moved only forward.

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

// DefaultStartTime is 2026-01-01T00:00:00Z, the time every fake clock was pinned to before 0.2.
// Pass it to [WithClock] for tests that want that fixed date again; without [WithClock] the fake
// uses the real time.
func DefaultStartTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// WithClock pins the fake clock at start: it then moves only through [Fake.Advance] and
// [Fake.SetNow]. Without it the fake clock is the real time (and Advance shifts it), so code that
// compares dates with time.Now() sees what it would see on a real server. Dates are reported in
// milliseconds, so anything finer is dropped.
func WithClock(start time.Time) Option {
	at := start.UTC().Truncate(time.Millisecond)
	return func(c *config) { c.pinnedAt = &at }
}

// Now returns the fake clock's time: the real time unless [WithClock] pinned it, plus whatever
// [Fake.Advance] and [Fake.SetNow] added.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock.now()
}

// Advance moves the fake clock forward by d, whether it follows the real time or is pinned; tokens
// whose expiry date is reached stop authenticating. It panics if d is negative, as the clock never
// goes back (which keeps listings in creation order), or if it would take the clock past
// 9999-12-31T23:59:59.999Z, the last time the wire's RFC 3339 dates can show.
func (f *Fake) Advance(d time.Duration) {
	if err := f.advance(d); err != nil {
		panic(err.Error())
	}
}

// advance is Advance with an error instead of a panic.
func (f *Fake) advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("accesstokenstest: Advance needs d >= 0, got %s", d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock.moveTo(f.clock.now().Add(d))
}

// SetNow moves the fake clock forward to t (a real clock keeps running from there). It returns an
// error, and changes nothing, if t is before the fake's current time (the clock never goes back)
// or after 9999-12-31T23:59:59.999Z.
func (f *Fake) SetNow(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.now()
	t = t.Truncate(time.Millisecond)
	if t.Before(now) {
		return fmt.Errorf("accesstokenstest: the clock cannot go back from %s to %s",
			now.Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano))
	}
	return f.clock.moveTo(t)
}
