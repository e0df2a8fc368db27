package accesstokens

import (
	"math"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// backoffSamples is how many draws each backoff test makes: enough that a
// jitter outside its bounds, or no jitter at all, shows up.
const backoffSamples = 2000

func TestBackoffGrowsExponentiallyWithJitterWithinHalfTheWait(t *testing.T) {
	t.Parallel()
	const minWait, maxWait = 100 * time.Millisecond, time.Hour
	for attempt := 0; attempt <= 6; attempt++ {
		base := minWait << attempt // 100 ms, 200 ms, 400 ms, …
		seen := map[time.Duration]bool{}
		for range backoffSamples {
			d := backoff(minWait, maxWait, attempt, nil)
			assert.GreaterOrEqual(t, d, base, "attempt %d waits at least MinWait·2^attempt", attempt)
			assert.LessOrEqual(t, d, base+base/2, "attempt %d adds at most 50%% jitter", attempt)
			seen[d] = true
		}
		assert.Greater(t, len(seen), backoffSamples/2, "attempt %d: the jitter varies", attempt)
	}
}

func TestBackoffNeverExceedsMaxWait(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name             string
		minWait, maxWait time.Duration
		attempts         []int
	}{
		{"default policy", 250 * time.Millisecond, 5 * time.Second, []int{0, 1, 2, 3, 4, 5, 10, 100}},
		{"MinWait equal to MaxWait", time.Second, time.Second, []int{0, 1, 7}},
		{"cap reached by the jitter only", 100 * time.Millisecond, 120 * time.Millisecond, []int{0}},
		// Doubling must stop before it overflows, however long the cap.
		{"the longest MaxWait there is", time.Second, math.MaxInt64, []int{40, 62, 63, 64, 1000}},
	}
	for _, tc := range cases {
		for _, attempt := range tc.attempts {
			t.Run(tc.name+"/"+strconv.Itoa(attempt), func(t *testing.T) {
				t.Parallel()
				for range backoffSamples / 10 {
					d := backoff(tc.minWait, tc.maxWait, attempt, nil)
					assert.LessOrEqual(t, d, tc.maxWait)
					assert.GreaterOrEqual(t, d, tc.minWait)
				}
			})
		}
	}
	// Far past the cap every wait is the cap itself.
	for range backoffSamples {
		assert.Equal(t, 5*time.Second, backoff(250*time.Millisecond, 5*time.Second, 10, nil))
	}
}

func TestBackoffHonoursRetryAfterOnlyOn429And503WithinMaxWait(t *testing.T) {
	t.Parallel()
	answer := func(status int, retryAfter string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}
	}
	const minWait, maxWait = 10 * time.Millisecond, 5 * time.Second
	assert.Equal(t, 2*time.Second, backoff(minWait, maxWait, 0, answer(http.StatusTooManyRequests, "2")))
	assert.Equal(t, 3*time.Second, backoff(minWait, maxWait, 3, answer(http.StatusServiceUnavailable, "3")))
	assert.Equal(t, time.Duration(0), backoff(minWait, maxWait, 0, answer(http.StatusTooManyRequests, "0")))
	assert.Equal(t, maxWait, backoff(minWait, maxWait, 0, answer(http.StatusTooManyRequests, "3600")), "capped")
	for _, resp := range []*http.Response{
		answer(http.StatusBadGateway, "2"),       // a gateway's Retry-After is not the server's
		answer(http.StatusTooManyRequests, "x"),  // unreadable: the backoff
		answer(http.StatusTooManyRequests, "-1"), // negative: the backoff
	} {
		d := backoff(minWait, maxWait, 0, resp)
		assert.GreaterOrEqual(t, d, minWait, "status %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		assert.LessOrEqual(t, d, minWait+minWait/2)
	}
}

func TestBackoffWithoutMinWaitDoesNotWait(t *testing.T) {
	t.Parallel()
	for _, attempt := range []int{0, 1, 5} {
		assert.Equal(t, time.Duration(0), backoff(0, time.Second, attempt, nil))
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "120", 120 * time.Second, true},
		{"zero seconds", "0", 0, true},
		{"surrounding space", "  7 ", 7 * time.Second, true},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"RFC 850 date", now.Add(time.Hour).Format(time.RFC850), time.Hour, true},
		{"date in the past is no wait", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge seconds are capped at a day", strconv.FormatInt(1<<40, 10), 24 * time.Hour, true},
		{"negative", "-5", 0, false},
		{"empty", "", 0, false},
		{"garbage", "soon", 0, false},
		{"fraction", "1.5", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRetryAfter(tc.in, now)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}
