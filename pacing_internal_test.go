package accesstokens

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func answer429(retryAfter string) *http.Response {
	req, _ := http.NewRequest(http.MethodGet, "https://bitbucket.example.com/rest/api/latest/repos", nil)
	resp := &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{}, Request: req}
	if retryAfter != "" {
		resp.Header.Set("Retry-After", retryAfter)
	}
	return resp
}

// TestOverlapping429sHoldOnceNotOncePerAnswer: many goroutines meeting 429s
// at once hold the Client until the latest Retry-After ends, not their sum.
func TestOverlapping429sHoldOnceNotOncePerAnswer(t *testing.T) {
	t.Parallel()
	p := newPacer(0, 0, false, time.Minute, nil)
	before := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() { defer wg.Done(); p.pause(time.Now(), answer429("2")) }()
	}
	wg.Wait()
	hold := p.heldUntil().Sub(before)
	assert.GreaterOrEqual(t, hold, 2*time.Second)
	assert.Less(t, hold, 3*time.Second, "the holds added up")

	held := p.heldUntil()
	p.pause(time.Now(), answer429("1"))
	assert.True(t, held.Equal(p.heldUntil()), "a shorter Retry-After does not shorten the hold")
}

func TestA429HoldIsCappedAndHasADefault(t *testing.T) {
	t.Parallel()
	for retryAfter, want := range map[string]time.Duration{
		"":      defaultRateLimitPause,
		"soon":  defaultRateLimitPause,
		"86400": 5 * time.Second,
		"3":     3 * time.Second,
		"0":     0,
	} {
		p := newPacer(0, 0, false, 5*time.Second, nil)
		now := time.Now()
		assert.Equal(t, want, p.pause(now, answer429(retryAfter)), "Retry-After %q", retryAfter)
		assert.True(t, now.Add(want).Equal(p.heldUntil()), "Retry-After %q: held until %v", retryAfter, p.heldUntil())
	}
}

// heldUntil is when the 429 gate opens.
func (p *pacer) heldUntil() time.Time { return time.Unix(0, p.until.Load()) }

// limitedBy is a 429 whose X-RateLimit headers say the server refills fill
// requests a second into a bucket of size.
func limitedBy(fill, size string) *http.Response {
	resp := answer429("1")
	resp.Header.Set("X-RateLimit-FillRate", fill)
	resp.Header.Set("X-RateLimit-Interval-Seconds", "1")
	resp.Header.Set("X-RateLimit-Limit", size)
	return resp
}

func TestWithRateLimitAndTheLearnedPaceTogetherTheLowerRateWins(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cases := []struct {
		name     string
		fixed    float64 // WithRateLimit's rps, burst 1
		learned  string  // the server's X-RateLimit-FillRate
		size     string  // and X-RateLimit-Limit
		wantWait time.Duration
		wantDue  bool // the learned pace's turn came: the wait is the ceiling's
	}{
		{"the ceiling is lower", 10, "1000", "10", 100 * time.Millisecond, true},
		{"the learned pace is lower", 1000, "5", "1", 200 * time.Millisecond, false},
	}
	for _, tc := range cases {
		p := newPacer(tc.fixed, 1, true, time.Minute, nil)
		p.learned.observe(now, now, http.StatusTooManyRequests, limitedBy(tc.learned, tc.size).Header, time.Second)
		first, _, due := p.turn(now.Add(time.Second))
		assert.Zero(t, first, "%s: a second later a turn of both is due", tc.name)
		assert.True(t, due, tc.name)
		second, _, due := p.turn(now.Add(time.Second))
		assert.Equal(t, tc.wantWait, second, tc.name)
		assert.Equal(t, tc.wantDue, due, tc.name)
	}
}

func TestTheLearnedPaceCostsNothingUntilTheFirst429(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := newPacer(0, 0, true, time.Minute, nil)
	ok := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"X-RateLimit-FillRate": {"1"}}}
	for i := range 1000 {
		p.learned.observe(now, now.Add(time.Duration(i)*time.Millisecond), ok.StatusCode, ok.Header, 0)
		d, ceiling, due := p.turn(now)
		require.Zero(t, d)
		require.Nil(t, ceiling)
		require.True(t, due)
	}
	assert.False(t, p.learned.engaged.Load())
	assert.Nil(t, p.learned.limiter, "nothing is learned from answers before a 429, the headers included")
	assert.EqualValues(t, 1000, p.learned.firstBurst.Load(), "only counted")

	p.learned.observe(now, now, http.StatusTooManyRequests, answer429("1").Header, time.Second)
	assert.True(t, p.learned.engaged.Load())
	for range 2 {
		p.turn(now)
	}
	d, _, due := p.turn(now)
	assert.False(t, due, "after a 429 the pace holds requests back")
	assert.Greater(t, d, time.Duration(0))
}
