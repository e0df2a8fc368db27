package accesstokens_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// rateLimited turns on the fake's rate limiting, as an administrator may set
// it: buckets of burst requests per user, refilled at rps a second; a request
// over the limit gets 429 with Retry-After.
func rateLimited(rps float64, burst int) accesstokenstest.Option {
	return accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: burst, RefillPerSecond: rps})
}

// statuses counts the fake's answers by status.
func statuses(srv *accesstokenstest.Server) map[int]int {
	n := map[int]int{}
	for _, r := range srv.Requests() {
		n[r.Status]++
	}
	return n
}

// hammer makes calls calls in each of goroutines goroutines at once, as
// admin listing project PRJ's tokens, and returns the failures.
func hammer(t *testing.T, c *accesstokens.Client, goroutines, calls int) []error {
	t.Helper()
	ctx := testContext(t)
	var mu sync.Mutex
	var failures []error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range calls {
				if _, err := c.Tokens.List(ctx, accesstokens.ProjectScope("PRJ"), nil); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	return failures
}

// TestRateLimitKeeps32GoroutinesWithinTheServersLimit: 32 goroutines share
// one Client paced like the server's own limit (burst 20, 10 a second). The
// server answers at most a handful of 429s and every call succeeds.
func TestRateLimitKeeps32GoroutinesWithinTheServersLimit(t *testing.T) {
	t.Parallel()
	srv := newFake(t, rateLimited(10, 20))
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"), accesstokens.WithRateLimit(10, 20))
	require.NoError(t, err)
	failures := hammer(t, c, 32, 2)
	answers := statuses(srv)
	t.Logf("answers by status: %v", answers)
	assert.Empty(t, failures)
	assert.Equal(t, 64, answers[http.StatusOK])
	assert.LessOrEqual(t, answers[http.StatusTooManyRequests], 5, "more than a handful of 429s")
}

// TestWithoutRateLimitTheSameLoadMeetsTheServersLimit shows that the server
// above does limit: the same load without WithRateLimit (and without
// retries, to count the refusals) gets many 429s.
func TestWithoutRateLimitTheSameLoadMeetsTheServersLimit(t *testing.T) {
	t.Parallel()
	srv := newFake(t, rateLimited(10, 20))
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	failures := hammer(t, c, 32, 2)
	t.Logf("answers by status: %v", statuses(srv))
	assert.Greater(t, len(failures), 5)
	for _, err := range failures {
		assert.ErrorIs(t, err, accesstokens.ErrRateLimited)
	}
}

// TestWaitingForTheRateLimitDoesNotCountAgainstTheAttemptTimeout: a request
// queued behind others waits its turn before its attempt starts, so the
// attempt's timeout (http.Client.Timeout) does not run out while nothing has
// been sent. Here 6 goroutines share 4 requests a second with no burst to
// speak of: the last waits about 1.25 s, four times the 300 ms timeout.
func TestWaitingForTheRateLimitDoesNotCountAgainstTheAttemptTimeout(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRateLimit(4, 1),
		accesstokens.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
	ts.on(http.MethodGet, "/projects/PRJ/075905477751", respond(t, http.StatusOK, "token.json"))
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Tokens.Get(testContext(t), accesstokens.ProjectScope("PRJ"), "075905477751")
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 6, ts.count(http.MethodGet, "/projects/PRJ/075905477751"))
}

// TestRateLimitPacesRedirectsToo: a redirect net/http follows is a request
// to the server like any other, and waits for its turn. Here the burst lets
// the first request through and the redirect would wait 1000 s: the call
// ends with its context, and the server never sees the redirected request.
func TestRateLimitPacesRedirectsToo(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRateLimit(0.001, 1))
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, apiRoot+"/projects/PRJ/2", http.StatusTemporaryRedirect)
	})
	ctx, cancel := context.WithTimeout(testContext(t), 100*time.Millisecond)
	defer cancel()
	_, err := c.Tokens.Get(ctx, accesstokens.ProjectScope("PRJ"), "1")
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, []string{"GET /projects/PRJ/1?"}, ts.lines(), "the redirect waited for its turn")
}

// TestA429HoldsEveryGoroutineOfTheClientForItsRetryAfter: after one call met
// a 429 with Retry-After: 1, no request of the same Client reaches the
// server before that second is over, whichever goroutine sends it.
func TestA429HoldsEveryGoroutineOfTheClientForItsRetryAfter(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var refusedAt time.Time
	var early, served int
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		defer mu.Unlock()
		if refusedAt.IsZero() {
			refusedAt = now
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, []byte(`{"errors":[{"message":"slow down"}]}`))
			return
		}
		if now.Before(refusedAt.Add(time.Second)) {
			early++
		}
		served++
		writeJSON(w, http.StatusOK, []byte(`{"version":"8.19.1","buildNumber":"8019001","displayName":"Bitbucket"}`))
	}))
	// No pacing, only the gate; no retries, so the first call returns the 429.
	c, err := accesstokens.NewClient(srvURL, accesstokens.WithRateLimit(0, 0), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	ctx := testContext(t)
	_, err = c.Directory.ServerInfo(ctx)
	require.ErrorIs(t, err, accesstokens.ErrRateLimited)

	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Directory.ServerInfo(ctx)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 8, served)
	assert.Zero(t, early, "requests reached the server inside the Retry-After")
}

// TestA429WithoutRateLimitHoldsNobodyElse: the gate is part of WithRateLimit;
// a Client without it lets other goroutines go on (the 0.1 behaviour).
func TestA429WithoutRateLimitHoldsNobodyElse(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var answers []int
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := len(answers) == 0
		if first {
			answers = append(answers, http.StatusTooManyRequests)
		} else {
			answers = append(answers, http.StatusOK)
		}
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "3600")
			writeJSON(w, http.StatusTooManyRequests, []byte(`{"errors":[{"message":"slow down"}]}`))
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"version":"8.19.1"}`))
	}))
	c, err := accesstokens.NewClient(srvURL, accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	ctx := testContext(t) // a held request would run into this deadline
	_, err = c.Directory.ServerInfo(ctx)
	require.ErrorIs(t, err, accesstokens.ErrRateLimited)
	_, err = c.Directory.ServerInfo(ctx)
	require.NoError(t, err)
}

// TestRateLimitWaitEndsWithTheContext: a request queued behind the limiter
// gives up when its context ends, without reaching the server, and a create
// given up so is known not to have been sent (no ErrOutcomeUnknown).
func TestRateLimitWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRateLimit(0.001, 1)) // one request, then one every 1000 s
	ts.on(http.MethodGet, "/projects/PRJ/075905477751", respond(t, http.StatusOK, "token.json"))
	_, err := c.Tokens.Get(testContext(t), accesstokens.ProjectScope("PRJ"), "075905477751")
	require.NoError(t, err, "the burst lets the first request through")

	createGivesUpUnsent(t, ts, c)
}

// TestA429HoldEndsWithTheContext: a request held behind another's 429 gives
// up when its own context ends, without reaching the server, and a create
// given up so is known not to have been sent.
func TestA429HoldEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRateLimit(0, 0)) // the gate only; without retries it holds up to 5 s
	ts.on(http.MethodGet, "/projects/PRJ/075905477751", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		writeJSON(w, http.StatusTooManyRequests, []byte(`{"errors":[{"message":"slow down"}]}`))
	})
	_, err := c.Tokens.Get(testContext(t), accesstokens.ProjectScope("PRJ"), "075905477751")
	require.ErrorIs(t, err, accesstokens.ErrRateLimited)

	createGivesUpUnsent(t, ts, c)
}

// createGivesUpUnsent makes a create with a context that ends while the
// create waits for the Client's pacer: the create gives up with the
// context's error, never reaches the server, and is known not to have acted.
func createGivesUpUnsent(t *testing.T, ts *testServer, c *accesstokens.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	_, err := c.Tokens.Create(ctx, accesstokens.ProjectScope("PRJ"), accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, accesstokens.ErrOutcomeUnknown, "a create that never left did nothing")
	assert.Zero(t, ts.count(http.MethodPut, "/projects/PRJ"), "the create never left")
}

func TestWithRateLimitRefusesBadArguments(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		rps   float64
		burst int
		field string
	}{
		"no burst":       {10, 0, "burst"},
		"negative burst": {10, -1, "burst"},
		"NaN":            {math.NaN(), 5, "rps"},
	} {
		_, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithRateLimit(tc.rps, tc.burst))
		var argErr *accesstokens.InvalidArgumentError
		require.True(t, errors.As(err, &argErr), name)
		assert.Equal(t, tc.field, argErr.Field, name)
	}
	for _, rps := range []float64{0, -1, math.Inf(1)} {
		_, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithRateLimit(rps, 0))
		assert.NoError(t, err, "rps %v needs no burst", rps)
	}
}

// TestAdaptivePacingMeetsFarFewer429sThanTheHoldAlone: 8 goroutines share a
// Client behind the fake's bucket of 10 requests refilled at 20 a second.
// With the hold alone (WithRateLimit(0, 1)) every hold ends with a
// goroutine's worth of 429s; with the learned pace, once it knows the
// server, hardly any. Both wait their 429s out (read patience): every read
// succeeds.
func TestAdaptivePacingMeetsFarFewer429sThanTheHoldAlone(t *testing.T) {
	t.Parallel()
	limited := func(name string, pacing accesstokens.Option) int {
		srv := newFake(t, rateLimited(20, 10))
		c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"),
			accesstokens.WithReadPatience(time.Minute), pacing)
		require.NoError(t, err)
		assert.Empty(t, hammer(t, c, 8, 10), name)
		answers := statuses(srv)
		assert.Equal(t, 80, answers[http.StatusOK], name)
		return answers[http.StatusTooManyRequests]
	}
	var adaptive, holdOnly int
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); adaptive = limited("adaptive", accesstokens.WithAdaptiveRateLimit()) }()
	go func() { defer wg.Done(); holdOnly = limited("hold", accesstokens.WithRateLimit(0, 1)) }()
	wg.Wait()
	t.Logf("429s: %d with the learned pace, %d with the hold alone", adaptive, holdOnly)
	assert.Less(t, 2*adaptive, holdOnly)
}

// TestAdaptivePacingWaitsForNothingWhileNo429Comes: the learned pace is off
// until the server says 429, so a Client with it waits for nothing.
func TestAdaptivePacingWaitsForNothingWhileNo429Comes(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithAdaptiveRateLimit(), accesstokens.WithWaitObserver(log.observe))
	ts.on(http.MethodGet, "/projects/PRJ/075905477751", respond(t, http.StatusOK, "token.json"))
	for range 50 {
		_, err := c.Tokens.Get(testContext(t), accesstokens.ProjectScope("PRJ"), "075905477751")
		require.NoError(t, err)
	}
	assert.Empty(t, log.all())
}

// WithRateLimit as published: this stops compiling if it is renamed or
// changes shape.
var _ func(float64, int) accesstokens.Option = accesstokens.WithRateLimit
