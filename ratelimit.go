package accesstokens

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limits (WithRateLimit): one pacer per Client paces every attempt of
// every goroutine, and holds them all while a 429's Retry-After runs. An
// attempt waits for its turn in the retry loop (beforeAttempt), before
// http.Client.Do starts the attempt's timeout; the HTTP transport paces the
// redirects that net/http follows within an attempt, and sees the 429s. A
// Client without WithRateLimit has no pacer at all, and pays nothing.

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

// wait returns when a request may leave: the 429 gate is open and the
// limiter grants a slot. It gives up, returning ctx's error, when ctx ends.
func (p *pacer) wait(ctx context.Context) error {
	for {
		if err := p.waitGate(ctx); err != nil {
			return err
		}
		if err := p.waitLimiter(ctx); err != nil {
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

func (p *pacer) waitGate(ctx context.Context) error {
	for {
		p.mu.Lock()
		d := time.Until(p.until)
		p.mu.Unlock()
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (p *pacer) waitLimiter(ctx context.Context) error {
	if p.limiter == nil {
		return nil
	}
	// Reserve, not Wait: Wait fails at once when the slot lies beyond ctx's
	// deadline, with an error that is not ctx's and that the retry loop
	// would take for a transport failure worth retrying.
	r := p.limiter.Reserve()
	if err := sleep(ctx, r.Delay()); err != nil {
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

// pacedTransport tells the pacer of 429s, sends nothing for an attempt whose
// wait for the pacer (beforeAttempt) the context cut short, and waits for
// the pacer before a redirect.
type pacedTransport struct {
	next  http.RoundTripper
	pacer *pacer
}

// RoundTrip implements http.RoundTripper.
func (t pacedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var err error
	switch st := stateOf(req.Context()); {
	case st != nil && req.Response == nil: // an attempt, paced by beforeAttempt
		err = st.notSent
	default: // a redirect net/http follows
		err = t.pacer.wait(req.Context())
	}
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, notSentError{err}
	}
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		t.pacer.pause(resp)
	}
	return resp, err
}

// CloseIdleConnections passes on to the wrapped transport, if it has any.
func (t pacedTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// notSentError is a request given up while it waited for the pacer: it never
// left the client, so the server cannot have acted on it.
type notSentError struct{ err error }

func (e notSentError) Error() string { return "waiting for the rate limit: " + e.err.Error() }
func (e notSentError) Unwrap() error { return e.err }
