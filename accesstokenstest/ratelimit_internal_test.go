package accesstokenstest

import (
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
