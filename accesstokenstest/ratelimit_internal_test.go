// Internal tests of ratelimit.go: buckets and Retry-After.

package accesstokenstest

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBucketsRefillAtTheirRate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(RateLimit{Burst: 2, RefillPerSecond: 4})
	l.now = func() time.Time { return now }

	for range 2 {
		ok, _ := l.take("alice")
		assert.True(t, ok)
	}
	ok, wait := l.take("alice")
	assert.False(t, ok)
	assert.Equal(t, 250*time.Millisecond, wait)

	now = now.Add(250 * time.Millisecond)
	ok, _ = l.take("alice")
	assert.True(t, ok, "one token back after 1/4 s")

	now = now.Add(time.Hour)
	for range 2 {
		ok, _ = l.take("alice")
		assert.True(t, ok)
	}
	ok, _ = l.take("alice")
	assert.False(t, ok, "a bucket never holds more than its burst")
}

// TestRetryAfterIsAtLeastOneSecond: a bucket a hair short of one request answers Retry-After 1,
// never 0 (which tells a client to retry at once, into the same 429).
func TestRetryAfterIsAtLeastOneSecond(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(WithRateLimit(RateLimit{Burst: 3, RefillPerSecond: 3}))
	f.limiter.now = func() time.Time { return now }
	alice := authResult{kind: CredentialBasicPassword, user: f.users[DemoAlice]}
	for range 3 {
		assert.Nil(t, f.rateLimit(alice))
	}
	now = now.Add(333_333_333 * time.Nanosecond) // 0.999999999 of a request back
	e := f.rateLimit(alice)
	if assert.NotNil(t, e) {
		assert.Equal(t, http.StatusTooManyRequests, e.status)
		assert.Equal(t, "1", e.header.Get("Retry-After"))
	}
}

// TestRetryAfterOfAVerySlowRefillStaysLong: a refill so slow that the wait overflows a
// time.Duration still answers a long Retry-After (capped at MaxInt32 seconds), not a short or
// negative one.
func TestRetryAfterOfAVerySlowRefillStaysLong(t *testing.T) {
	t.Parallel()
	f := NewFake(WithRateLimit(RateLimit{Burst: 1, RefillPerSecond: 1e-300}))
	alice := authResult{kind: CredentialBasicPassword, user: f.users[DemoAlice]}
	assert.Nil(t, f.rateLimit(alice))
	e := f.rateLimit(alice)
	if assert.NotNil(t, e) {
		assert.Equal(t, "2147483647", e.header.Get("Retry-After"))
	}
}
