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
func WithRateLimit(rl RateLimit) Option {
	if err := rl.validate(); err != nil {
		panic("accesstokenstest: WithRateLimit: " + err.Error())
	}
	return func(c *config) { c.rateLimit = &rl }
}

// rateLimiter keeps one bucket per user name.
type rateLimiter struct {
	rl      RateLimit
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(rl RateLimit) *rateLimiter {
	return &rateLimiter{rl: rl, now: time.Now, buckets: map[string]*bucket{}}
}

// take uses up one request of the user's bucket; when it is empty, it says how long until one is
// back instead.
func (l *rateLimiter) take(userName string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[userName]
	if b == nil {
		b = &bucket{tokens: float64(l.rl.Burst), at: now}
		l.buckets[userName] = b
	}
	b.tokens = math.Min(float64(l.rl.Burst), b.tokens+now.Sub(b.at).Seconds()*l.rl.RefillPerSecond)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	// Capped at MaxInt32 seconds (68 years), which a time.Duration holds: a very slow refill
	// must not overflow into a short or negative wait.
	secs := min((1-b.tokens)/l.rl.RefillPerSecond, math.MaxInt32)
	return false, time.Duration(secs * float64(time.Second))
}

func (l *rateLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buckets = map[string]*bucket{}
}

// rateLimit answers 429 when the authenticated user's bucket is empty; nil lets the request on.
func (f *Fake) rateLimit(a authResult) *apiError {
	if f.limiter == nil || a.user == nil {
		return nil
	}
	ok, wait := f.limiter.take(a.user.name)
	if ok {
		return nil
	}
	// Whole seconds, rounded up, and at least 1: "0" would send a client straight into another 429.
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	return &apiError{status: http.StatusTooManyRequests,
		message: "You have been rate limited: too many requests in a short time. Wait " +
			strconv.FormatInt(secs, 10) + " s before trying again.",
		header: http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}}
}
