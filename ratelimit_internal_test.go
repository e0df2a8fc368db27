package accesstokens

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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
	p := newPacer(0, 0, time.Minute, nil)
	before := time.Now()
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() { defer wg.Done(); p.pause(answer429("2")) }()
	}
	wg.Wait()
	hold := p.until.Sub(before)
	assert.GreaterOrEqual(t, hold, 2*time.Second)
	assert.Less(t, hold, 3*time.Second, "the holds added up")

	held := p.until
	p.pause(answer429("1"))
	assert.True(t, held.Equal(p.until), "a shorter Retry-After does not shorten the hold")
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
		p := newPacer(0, 0, 5*time.Second, nil)
		before := time.Now()
		p.pause(answer429(retryAfter))
		after := time.Now()
		assert.True(t, !p.until.Before(before.Add(want)) && !p.until.After(after.Add(want)),
			"Retry-After %q: held until +%v, want +%v", retryAfter, p.until.Sub(before), want)
	}
}
