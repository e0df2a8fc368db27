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
	l := newRateLimiter(&RateLimit{Burst: 2, RefillPerSecond: 4}, 1)
	l.now = func() time.Time { return now }

	for range 2 {
		assert.True(t, l.allow("alice").allowed)
	}
	q := l.allow("alice")
	assert.False(t, q.allowed)
	assert.Equal(t, 250*time.Millisecond, q.wait)

	now = now.Add(250 * time.Millisecond)
	assert.True(t, l.allow("alice").allowed, "one token back after 1/4 s")

	now = now.Add(time.Hour)
	for range 2 {
		assert.True(t, l.allow("alice").allowed)
	}
	assert.False(t, l.allow("alice").allowed, "a bucket never holds more than its burst")
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
		_, e := f.rateLimit(alice)
		assert.Nil(t, e)
	}
	now = now.Add(333_333_333 * time.Nanosecond) // 0.999999999 of a request back
	_, e := f.rateLimit(alice)
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
	_, e := f.rateLimit(alice)
	assert.Nil(t, e)
	_, e = f.rateLimit(alice)
	if assert.NotNil(t, e) {
		assert.Equal(t, "2147483647", e.header.Get("Retry-After"))
	}
}

// TestEachNodeKeepsItsOwnBucket: with two nodes, requests alternate between them, and a user
// gets two bursts before a 429, which the next request, on the other node, may not get.
func TestEachNodeKeepsItsOwnBucket(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(&RateLimit{Burst: 2, RefillPerSecond: 1}, 2)
	l.now = func() time.Time { return now }
	for i := range 4 {
		q := l.allow("alice")
		assert.True(t, q.allowed, "request %d", i)
		assert.Equal(t, 1-i/2, q.remaining, "request %d: node %d's bucket", i, i%2)
	}
	assert.False(t, l.allow("alice").allowed, "node 0 is empty")
	assert.False(t, l.allow("alice").allowed, "node 1 is empty")
	now = now.Add(time.Second)
	assert.True(t, l.allow("alice").allowed, "node 0 has one back")
	assert.True(t, l.allow("alice").allowed, "node 1 has one back")
	assert.True(t, l.allow("bob").allowed, "bob has buckets of his own on every node")
}

// TestLimitingIsOffUntilTurnedOn: without WithRateLimit nothing is limited, though the default
// bucket is ready for an admin to turn on.
func TestLimitingIsOffUntilTurnedOn(t *testing.T) {
	t.Parallel()
	l := newRateLimiter(nil, 1)
	for range 100 {
		q := l.allow("alice")
		assert.True(t, q.allowed)
		assert.False(t, q.limited)
	}
	assert.Equal(t, DefaultRateLimit, l.defaults)
}
