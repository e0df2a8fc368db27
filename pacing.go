package accesstokens

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacing (WithRateLimit): one pacer per Client paces every attempt of every
// goroutine, and holds them all while a 429's Retry-After runs. An attempt
// waits for its turn before it is sent (call.beforeAttempt), before
// http.Client.Do starts the attempt's timeout; pacingTransport, under the
// HTTP client, sees every answer (the 429s) and paces the redirects that
// net/http follows within an attempt. A Client without WithRateLimit has no
// pacer at all, and pays nothing.

// defaultRateLimitPause is how long a 429 without a usable Retry-After holds
// the Client's requests.
const defaultRateLimitPause = time.Second

// pacer is the pacing state one Client shares between its goroutines.
type pacer struct {
	limiter  *rate.Limiter // nil: no pacing, only the 429 gate
	maxPause time.Duration // cap on one 429's hold, like any wait (RetryPolicy.MaxWait)
	logger   *slog.Logger

	mu    sync.Mutex
	until time.Time // no request leaves before this (set by 429 answers)
}

func newPacer(rps float64, burst int, maxPause time.Duration, logger *slog.Logger) *pacer {
	p := &pacer{maxPause: maxPause, logger: logger}
	if rps > 0 {
		p.limiter = rate.NewLimiter(rate.Limit(rps), burst)
	}
	return p
}

// wait returns when c's attempt may leave: the 429 gate is open and the
// limiter grants a slot. It gives up, returning c's error, when c's context
// ends. Each wait is reported to the Client's wait observer.
func (p *pacer) wait(c *call) error {
	for {
		if err := p.waitGate(c); err != nil {
			return err
		}
		if err := p.waitLimiter(c); err != nil {
			return err
		}
		if !p.held(time.Now()) {
			return nil
		}
		// A 429 closed the gate while this request waited for its slot.
	}
}

func (p *pacer) held(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return now.Before(p.until)
}

func (p *pacer) waitGate(c *call) error {
	for {
		p.mu.Lock()
		d := time.Until(p.until)
		p.mu.Unlock()
		if d <= 0 {
			return nil
		}
		c.report(c.attempt, WaitRateLimited, d, "")
		if err := sleep(c, d); err != nil {
			return err
		}
	}
}

func (p *pacer) waitLimiter(c *call) error {
	if p.limiter == nil {
		return nil
	}
	// Reserve, not Wait: Wait fails at once when the slot lies beyond ctx's
	// deadline, with an error that is not ctx's and that the retry loop
	// would take for a transport failure worth retrying.
	r := p.limiter.Reserve()
	d := r.Delay()
	if d > 0 {
		c.report(c.attempt, WaitPaced, d, "")
	}
	if err := sleep(c, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// pause holds every request of the Client for a 429's Retry-After (capped at
// maxPause). Overlapping 429s hold until the latest end, not the sum.
func (p *pacer) pause(resp *http.Response) {
	now := time.Now()
	d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now)
	if !ok {
		d = defaultRateLimitPause
	}
	d = min(d, p.maxPause)
	p.mu.Lock()
	until := now.Add(d)
	extended := until.After(p.until)
	if extended {
		p.until = until
	}
	p.mu.Unlock()
	if extended && p.logger != nil {
		p.logger.LogAttrs(resp.Request.Context(), slog.LevelDebug, "accesstokens: rate limited; holding every request of this client",
			slog.String("method", resp.Request.Method), slog.String("path", resp.Request.URL.EscapedPath()), slog.Duration("wait", d))
	}
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

// pacingTransport, under the HTTP client, tells the pacer of every 429
// answer, and paces the redirects that net/http follows within an attempt
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
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.pacer.pause(resp)
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
