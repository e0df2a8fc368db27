// Rate limiting: Bitbucket's per-user token buckets and their 429 answers.

package accesstokenstest

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is Bitbucket's per-user token bucket: each user's bucket holds at most Burst
// requests and refills at RefillPerSecond; a request that finds it empty is answered 429 with a
// Retry-After of whole seconds (at least 1). Bitbucket's defaults are 60 and 5. Requests without
// credentials, or whose credentials do not authenticate, are not limited, as on Bitbucket.
// The buckets follow the real time, not the fake clock.
type RateLimit struct {
	Burst           int     // bucket size, at least 1
	RefillPerSecond float64 // tokens added a second, more than 0
}

// DefaultRateLimit is Bitbucket's default: buckets of 60, refilled at 5 a second.
var DefaultRateLimit = RateLimit{Burst: 60, RefillPerSecond: 5}

// ParseRateLimit reads "BURST:REFILL_PER_S", such as "60:5" or "10:0.5".
func ParseRateLimit(s string) (RateLimit, error) {
	b, r, ok := strings.Cut(s, ":")
	burst, err1 := strconv.Atoi(b)
	refill, err2 := strconv.ParseFloat(r, 64)
	rl := RateLimit{Burst: burst, RefillPerSecond: refill}
	if !ok || err1 != nil || err2 != nil {
		return RateLimit{}, fmt.Errorf("rate limit %q: want BURST:REFILL_PER_S, such as 60:5", s)
	}
	if err := rl.validate(); err != nil {
		return RateLimit{}, err
	}
	return rl, nil
}

func (rl RateLimit) validate() error {
	if rl.Burst < 1 || !(rl.RefillPerSecond > 0) || math.IsInf(rl.RefillPerSecond, 0) {
		return fmt.Errorf("rate limit %d:%g: the burst must be at least 1 and the refill rate more than 0",
			rl.Burst, rl.RefillPerSecond)
	}
	return nil
}

// WithRateLimit turns on per-user rate limiting (see [RateLimit]). It panics if rl is not valid.
// Without it the limit is off, with Bitbucket's defaults ready, until a system administrator turns
// it on through PUT /rest/api/latest/admin/rate-limit/settings.
func WithRateLimit(rl RateLimit) Option {
	if err := rl.validate(); err != nil {
		panic("accesstokenstest: WithRateLimit: " + err.Error())
	}
	return func(c *config) { c.rateLimit = &rl }
}

// WithClusterNodes makes the fake a cluster of n nodes behind a load balancer: the requests of
// authenticated users go to the nodes in turn, and each node keeps its own bucket per user, as
// Bitbucket Data Center does, so a user gets up to n times the burst before a 429. It panics if n
// is below 1 (1, the default, is one server).
func WithClusterNodes(n int) Option {
	if n < 1 {
		panic("accesstokenstest: WithClusterNodes needs n >= 1")
	}
	return func(c *config) { c.nodes = n }
}

// WithRateLimitHeaders sends, on every answer to a rate-limited request (a 429 included),
// X-RateLimit-Limit (the bucket's size), X-RateLimit-Remaining (the whole requests left in it),
// X-RateLimit-Interval-Seconds (1) and X-RateLimit-FillRate (requests added each interval), as
// other Atlassian Data Center products document. Off by default: whether Bitbucket sends them is
// not known, so a client must work without them.
func WithRateLimitHeaders() Option { return func(c *config) { c.rateLimitHeaders = true } }

// rateLimiter keeps, per cluster node, one bucket per user name, and the settings an admin can
// change: whether limiting is on, the default bucket, and users' own (or their exemption).
type rateLimiter struct {
	now func() time.Time

	mu       sync.Mutex
	enabled  bool
	defaults RateLimit
	own      map[string]userRateLimit // by user name
	nodes    []map[string]*bucket     // per node, by user name
	next     int                      // the node the next request goes to
}

// userRateLimit is a user's own setting: exempt (whitelisted), or their own bucket.
type userRateLimit struct {
	exempt bool
	limit  RateLimit
}

type bucket struct {
	tokens float64
	at     time.Time
}

// newRateLimiter starts with the limit rl, or off with Bitbucket's defaults when rl is nil.
func newRateLimiter(rl *RateLimit, nodes int) *rateLimiter {
	l := &rateLimiter{now: time.Now, nodes: make([]map[string]*bucket, max(nodes, 1))}
	l.reset(rl)
	return l
}

// reset puts back the settings rl describes, with no user's own and every bucket full.
func (l *rateLimiter) reset(rl *RateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.enabled, l.defaults = rl != nil, DefaultRateLimit
	if rl != nil {
		l.defaults = *rl
	}
	l.own = map[string]userRateLimit{}
	for i := range l.nodes {
		l.nodes[i] = map[string]*bucket{}
	}
	l.next = 0
}

// quota is what one request found in its user's bucket.
type quota struct {
	limited   bool          // limiting applied: on, and the user not exempt
	allowed   bool          // a request was left, and is now used
	wait      time.Duration // when not allowed: until one is back
	limit     RateLimit     // the bucket's settings
	remaining int           // whole requests left after this one
}

// allow says whether a request of the user's may go on: it sends the request to the next node
// and uses up one request of the user's bucket there; when that is empty, the quota says how long
// until one is back instead.
func (l *rateLimiter) allow(userName string) quota {
	l.mu.Lock()
	defer l.mu.Unlock()
	rl, limited := l.limitOfLocked(userName)
	if !limited {
		return quota{allowed: true}
	}
	node := l.nodes[l.next]
	l.next = (l.next + 1) % len(l.nodes)
	now := l.now()
	b := node[userName]
	if b == nil {
		b = &bucket{tokens: float64(rl.Burst), at: now}
		node[userName] = b
	}
	b.tokens = math.Min(float64(rl.Burst), b.tokens+now.Sub(b.at).Seconds()*rl.RefillPerSecond)
	b.at = now
	q := quota{limited: true, limit: rl}
	if b.tokens >= 1 {
		b.tokens--
		q.allowed, q.remaining = true, int(b.tokens)
		return q
	}
	// Capped at MaxInt32 seconds (68 years), which a time.Duration holds: a very slow refill
	// must not overflow into a short or negative wait.
	secs := min((1-b.tokens)/rl.RefillPerSecond, math.MaxInt32)
	q.wait = time.Duration(secs * float64(time.Second))
	return q
}

// limitOfLocked is the bucket a user's requests fill, and false when they are not limited.
func (l *rateLimiter) limitOfLocked(userName string) (RateLimit, bool) {
	own, ok := l.own[userName]
	switch {
	case !l.enabled || (ok && own.exempt):
		return RateLimit{}, false
	case ok:
		return own.limit, true
	}
	return l.defaults, true
}

// rateLimit takes one request from the authenticated user's bucket. It answers 429 when the
// bucket is empty (nil lets the request on), and says what the X-RateLimit headers report.
func (f *Fake) rateLimit(a authResult) (quota, *apiError) {
	if a.user == nil {
		return quota{allowed: true}, nil
	}
	q := f.limiter.allow(a.user.name)
	if q.allowed {
		return q, nil
	}
	// Whole seconds, rounded up, and at least 1: "0" would send a client straight into another 429.
	secs := max(1, int64(math.Ceil(q.wait.Seconds())))
	return q, &apiError{status: http.StatusTooManyRequests,
		message: "You have been rate limited: too many requests in a short time. Wait " +
			strconv.FormatInt(secs, 10) + " s before trying again.",
		header: http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}}
}

// headers adds the X-RateLimit headers (WithRateLimitHeaders) of a limited request to h, which
// may be nil; it returns h unchanged when there are none.
func (q quota) headers(on bool, h http.Header) http.Header {
	if !on || !q.limited {
		return h
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit.Burst))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(q.remaining))
	h.Set("X-RateLimit-Interval-Seconds", "1")
	h.Set("X-RateLimit-FillRate", strconv.FormatFloat(q.limit.RefillPerSecond, 'g', -1, 64))
	return h
}
