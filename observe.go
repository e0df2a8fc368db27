package accesstokens

// What a Client tells about its requests while they run: WithLogger's
// records of attempts and retry decisions, and WithWaitObserver's waits.
// Neither ever carries a credential, a query string or a body.

import (
	"log/slog"
	"net/http"
	"time"
)

// Wait is one wait of a request, as WithWaitObserver reports it.
type Wait struct {
	Method  string // GET, PUT, POST or DELETE
	Path    string // the request path, escaped, without the query string
	Attempt int    // the attempt that waits: 1 for the first, 2 for the first retry, …
	Reason  WaitReason
	// Duration is how long the wait lasts, as far as the client knows
	// when it begins; for WaitStalled, how long the attempt has gone
	// without an answer.
	Duration time.Duration
	// Detail says, for WaitRetry, what is retried ("429 rate limited",
	// "connection error: timeout"); it is empty for the other reasons.
	Detail string
}

// WaitReason says what a request waits for.
type WaitReason string

// The reasons a request waits.
const (
	// WaitRateLimited: a 429 holds every request of the Client for its
	// Retry-After (WithRateLimit or WithAdaptiveRateLimit).
	WaitRateLimited WaitReason = "rate limited"
	// WaitPaced: the request waits for its turn under the pace of
	// WithRateLimit or WithAdaptiveRateLimit.
	WaitPaced WaitReason = "paced"
	// WaitRetry: the request waits before a retry: its backoff, or a 429's
	// Retry-After.
	WaitRetry WaitReason = "retry"
	// WaitStalled: an attempt has had no answer for a while (reported once
	// per attempt, stallReportAfter after it was sent).
	WaitStalled WaitReason = "stalled"
)

// stallReportAfter is how long an attempt goes without an answer before
// WithWaitObserver hears of it.
const stallReportAfter = 5 * time.Second

// report tells the Client's wait observer, if any, that c's attempt waits d.
func (c *call) report(attempt int, reason WaitReason, d time.Duration, detail string) {
	if observe := c.t.observe; observe != nil {
		observe(Wait{Method: c.method, Path: c.path, Attempt: attempt, Reason: reason, Duration: d, Detail: detail})
	}
}

// stallWatch reports an attempt whose answer has not begun after
// stallReportAfter (the attempt timeout, 60 s by default, ends it later).
// Only a Client with a wait observer has one.
type stallWatch struct {
	next    http.RoundTripper
	after   time.Duration
	observe func(Wait)
}

// RoundTrip implements http.RoundTripper.
func (s stallWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	c := callOf(req.Context())
	if c == nil {
		return s.next.RoundTrip(req)
	}
	// Copied here: the timer's goroutine must not read the call, whose
	// next attempt may already be counting.
	w := Wait{Method: c.method, Path: c.path, Attempt: c.attempt, Reason: WaitStalled, Duration: s.after}
	timer := time.AfterFunc(s.after, func() { s.observe(w) })
	resp, err := s.next.RoundTrip(req)
	timer.Stop()
	return resp, err
}

// CloseIdleConnections passes on to the wrapped transport, if it has any.
func (s stallWatch) CloseIdleConnections() {
	if c, ok := s.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// logAttempt records one attempt's outcome, with a logger.
func (c *call) logAttempt(resp *http.Response, err error) {
	l := c.t.logger
	if l == nil {
		return
	}
	now := time.Now()
	attrs := []slog.Attr{
		slog.String("method", c.method), slog.String("path", c.path), slog.Int("attempt", c.attempt),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	} else if err != nil {
		attrs = append(attrs, slog.String("error", errorClass(err)))
	}
	if !c.lastEnded.IsZero() {
		attrs = append(attrs, slog.Duration("wait", c.started.Sub(c.lastEnded)))
	}
	attrs = append(attrs, slog.Duration("duration", now.Sub(c.started)))
	c.lastEnded = now
	l.LogAttrs(c.Context, slog.LevelDebug, "accesstokens: attempt", attrs...)
}

// logDecision records a retry decision, with a logger.
func (c *call) logDecision(retry bool, reason string) {
	if l := c.t.logger; l != nil {
		l.LogAttrs(c.Context, slog.LevelDebug, "accesstokens: retry decision",
			slog.String("method", c.method), slog.String("path", c.path),
			slog.Int("attempt", c.attempt), slog.Bool("retry", retry), slog.String("reason", reason))
	}
}

// logDeleteDone records a delete whose 404 counts as done, with a logger.
func (c *call) logDeleteDone() {
	if l := c.t.logger; l != nil {
		l.LogAttrs(c.Context, slog.LevelDebug, "accesstokens: delete treated as done",
			slog.String("method", c.method), slog.String("path", c.path),
			slog.String("reason", "404 after an earlier attempt that may have deleted the token"))
	}
}
