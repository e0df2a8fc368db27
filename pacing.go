package accesstokens

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Pacing (WithRateLimit, WithAdaptiveRateLimit): one pacer per Client paces
// every attempt of every goroutine, and holds them all while a 429's
// Retry-After runs. An attempt waits for its turn before it is sent
// (call.beforeAttempt), before http.Client.Do starts the attempt's timeout;
// pacingTransport, under the HTTP client, shows the pacer every answer (429s
// hold; the adaptive pace learns, adaptive.go) and paces the redirects that
// net/http follows within an attempt. A Client with neither option has no
// pacer at all, and pays nothing.

// defaultRateLimitPause is how long a 429 without a usable Retry-After holds
// the Client's requests.
const defaultRateLimitPause = time.Second

// pacer is the pacing state one Client shares between its goroutines.
type pacer struct {
	fixed    *rate.Limiter // WithRateLimit's ceiling; nil: none
	learned  *learner      // WithAdaptiveRateLimit's pace; nil: none
	maxPause time.Duration // cap on one 429's hold, like any wait (RetryPolicy.MaxWait)
	logger   *slog.Logger
	until    atomic.Int64 // Unix nanoseconds: no request leaves before this (set by 429 answers)
}

// newPacer paces at most rps requests a second in bursts of burst (rps <=
// 0: no ceiling) and, when adaptive, at the rate the server is seen to
// sustain: the lower of the two wins.
func newPacer(rps float64, burst int, adaptive bool, maxPause time.Duration, logger *slog.Logger) *pacer {
	p := &pacer{maxPause: maxPause, logger: logger}
	if rps > 0 {
		p.fixed = rate.NewLimiter(rate.Limit(rps), burst)
	}
	if adaptive {
		p.learned = &learner{}
	}
	return p
}

// wait returns when c's attempt may leave: the 429 gate is open and the
// pace grants a turn. It gives up, returning c's error, when c's context
// ends. Each wait is reported to the Client's wait observer.
func (p *pacer) wait(c *call) error {
	for {
		if err := p.waitGate(c); err != nil {
			return err
		}
		if err := p.waitTurn(c); err != nil {
			return err
		}
		if !p.held(time.Now()) {
			return nil
		}
		// A 429 closed the gate while this request waited for its turn.
	}
}

func (p *pacer) held(now time.Time) bool { return now.UnixNano() < p.until.Load() }

func (p *pacer) waitGate(c *call) error {
	for {
		d := time.Until(time.Unix(0, p.until.Load()))
		if d <= 0 {
			return nil
		}
		c.report(c.attempt, WaitRateLimited, d, "")
		if err := sleep(c, d); err != nil {
			return err
		}
	}
}

// waitTurn waits for the attempt's turn (see turn). A wait the context cuts
// short gives the turn back.
func (p *pacer) waitTurn(c *call) error {
	reported := false
	for {
		d, ceiling, due := p.turn(time.Now())
		if d > 0 && !reported {
			c.report(c.attempt, WaitPaced, d, "")
			reported = true
		}
		if err := sleep(c, d); err != nil {
			if ceiling != nil {
				ceiling.Cancel()
			}
			return err
		}
		if due {
			return nil
		}
	}
}

// turn is one step of waitTurn at now. The learned pace's turn comes
// first, taken only once it is due (the pace may rise while a request
// waits, and a turn booked ahead at a slow pace would not come sooner):
// until it is, turn says how long to wait before asking again (due is
// false). Then the fixed ceiling's turn is booked, and turn says how long
// until it comes (due is true). The lower rate wins. Reserve, not Wait:
// Wait fails at once when the turn lies beyond the context's deadline, with
// an error that is not the context's and that the retry loop would take for
// a transport failure worth retrying.
func (p *pacer) turn(now time.Time) (d time.Duration, ceiling *rate.Reservation, due bool) {
	if p.learned != nil {
		if wait := p.learned.tryTurn(now); wait > 0 {
			return wait, nil, false
		}
	}
	if p.fixed == nil {
		return 0, nil, true
	}
	ceiling = p.fixed.ReserveN(now, 1)
	return ceiling.DelayFrom(now), ceiling, true
}

// observe shows the pacer an answer to a request sent at sentAt: a 429
// holds every request of the Client for its Retry-After (capped at
// maxPause; overlapping 429s hold until the latest end, not the sum), and
// the learned pace learns from every answer.
func (p *pacer) observe(sentAt time.Time, resp *http.Response) {
	now := time.Now()
	var hold time.Duration
	if resp.StatusCode == http.StatusTooManyRequests {
		hold = p.pause(now, resp)
	}
	if p.learned != nil {
		p.learned.observe(sentAt, now, resp.StatusCode, resp.Header, hold)
	}
}

// pause holds every request for a 429's Retry-After, capped, and returns
// the hold.
func (p *pacer) pause(now time.Time, resp *http.Response) time.Duration {
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		d = defaultRateLimitPause
	}
	d = min(d, p.maxPause)
	until := now.Add(d).UnixNano()
	extended := false
	for held := p.until.Load(); until > held; held = p.until.Load() {
		if p.until.CompareAndSwap(held, until) {
			extended = true
			break
		}
	}
	if extended && p.logger != nil {
		p.logger.LogAttrs(resp.Request.Context(), slog.LevelDebug, "accesstokens: rate limited; holding every request of this client",
			slog.String("method", resp.Request.Method), slog.String("path", resp.Request.URL.EscapedPath()), slog.Duration("wait", d))
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacingTransport, under the HTTP client, shows the pacer every answer, and
// paces the redirects that net/http follows within an attempt
// (the attempt itself was paced by call.beforeAttempt).
type pacingTransport struct {
	next  http.RoundTripper
	pacer *pacer
}

// RoundTrip implements http.RoundTripper.
func (t pacingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Response != nil { // a redirect
		var err error
		if c := callOf(req.Context()); c != nil {
			err = t.pacer.wait(c)
		}
		if err != nil {
			if req.Body != nil {
				_ = req.Body.Close() // a RoundTripper closes the body, even on error
			}
			return nil, notSentError{err}
		}
	}
	sentAt := time.Now()
	resp, err := t.next.RoundTrip(req)
	if err == nil {
		t.pacer.observe(sentAt, resp)
	}
	return resp, err
}

// CloseIdleConnections passes on to the wrapped transport, if it has any.
func (t pacingTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// notSentError is a request given up while it waited for the pacer: it never
// left the client, so the server cannot have acted on it.
type notSentError struct{ err error }

func (e notSentError) Error() string { return "waiting for the rate limit: " + e.err.Error() }
func (e notSentError) Unwrap() error { return e.err }
