// What the client is waiting for, as the progress line says it: the waits
// accesstokens.WithWaitObserver reports (a 429 holding every request, a
// retry's backoff, an attempt with no answer yet, a long turn under the
// pace), each shown while it lasts.

package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// minShownWait is the shortest retry or pacing wait the line mentions:
// shorter ones are over before anyone could read them.
const minShownWait = time.Second

// waitBoard keeps the latest wait of a run's client worth showing. Its
// observe is the client's wait observer, called on any request's goroutine.
type waitBoard struct {
	timeout time.Duration // one attempt's limit (--timeout): no stall outlasts it

	mu      sync.Mutex
	wait    *shownWait
	changed func() // tells the progress shown now of a new wait; nil for none
}

// shownWait is a wait and when it began and ends, as far as is known.
type shownWait struct {
	accesstokens.Wait
	since, until time.Time
}

// newWaitBoard is the board of a client whose attempts last at most timeout.
func newWaitBoard(timeout time.Duration) *waitBoard { return &waitBoard{timeout: timeout} }

// observe is the client's wait observer (accesstokens.WithWaitObserver).
func (b *waitBoard) observe(w accesstokens.Wait) { b.record(w, time.Now()) }

// record keeps w, begun at now, when it is worth showing, and says so.
func (b *waitBoard) record(w accesstokens.Wait, now time.Time) {
	if (w.Reason == accesstokens.WaitPaced || w.Reason == accesstokens.WaitRetry) && w.Duration < minShownWait {
		return
	}
	s := &shownWait{Wait: w, since: now, until: now.Add(w.Duration)}
	if w.Reason == accesstokens.WaitStalled {
		// Duration is how long the attempt has gone unanswered; it ends
		// when the answer comes (unseen here) or the attempt times out.
		s.since = now.Add(-w.Duration)
		s.until = s.since.Add(b.timeout)
	}
	b.mu.Lock()
	b.wait = s
	changed := b.changed
	b.mu.Unlock()
	if changed != nil {
		changed()
	}
}

// follow makes changed the function told of new waits (nil: none).
func (b *waitBoard) follow(changed func()) {
	b.mu.Lock()
	b.changed = changed
	b.mu.Unlock()
}

// settled forgets a stalled attempt once answers have come in since (a
// scope was read): the client does not say when a stalled attempt answers.
func (b *waitBoard) settled() {
	b.mu.Lock()
	if b.wait != nil && b.wait.Reason == accesstokens.WaitStalled {
		b.wait = nil
	}
	b.mu.Unlock()
}

// line says what the client waits for at now; "" when it waits for nothing
// worth showing.
func (b *waitBoard) line(now time.Time) string {
	b.mu.Lock()
	s := b.wait
	b.mu.Unlock()
	if s == nil || !now.Before(s.until) {
		return ""
	}
	return s.text(now)
}

// text is the wait as the line says it at now:
//
//	waiting 12s: rate limited (429)
//	waiting 3s to retry GET /rest/…: 503 service unavailable
//	waiting 2s: paced to the server's rate limit
//	waiting: no answer for 30s from GET /rest/…
func (s *shownWait) text(now time.Time) string {
	left := roundUp(s.until.Sub(now))
	request := s.Method + " " + s.Path
	switch {
	case s.Reason == accesstokens.WaitStalled:
		return oneLine(fmt.Sprintf("waiting: no answer for %s from %s", now.Sub(s.since).Truncate(time.Second), request))
	case s.Reason == accesstokens.WaitRateLimited,
		s.Reason == accesstokens.WaitRetry && strings.HasPrefix(s.Detail, "429"):
		return fmt.Sprintf("waiting %s: rate limited (429)", left)
	case s.Reason == accesstokens.WaitRetry:
		return oneLine(fmt.Sprintf("waiting %s to retry %s: %s", left, request, textsafe.Terminal(s.Detail)))
	}
	return fmt.Sprintf("waiting %s: paced to the server's rate limit", left)
}

// roundUp is d in whole seconds, rounded up: a wait of 0.2 s left is "1s".
func roundUp(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}
