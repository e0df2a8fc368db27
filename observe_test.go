package accesstokens_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// waitLog collects what WithWaitObserver reports, from any goroutine.
type waitLog struct {
	mu    sync.Mutex
	waits []accesstokens.Wait
}

func (l *waitLog) observe(w accesstokens.Wait) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, w)
}

func (l *waitLog) all() []accesstokens.Wait {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]accesstokens.Wait(nil), l.waits...)
}

func TestWaitObserverHearsOfEachRetrysBackoffAndWhy(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithWaitObserver(log.observe))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: 503}, attemptFault{status: 429, retryAfter: "0"}))

	require.NoError(t, op.call(t, testContext(t), c))

	waits := log.all()
	require.Len(t, waits, 2, "one wait before each retry: %+v", waits)
	for i, detail := range []string{"503 service unavailable", "429 rate limited"} {
		w := waits[i]
		assert.Equal(t, accesstokens.WaitRetry, w.Reason)
		assert.Equal(t, http.MethodGet, w.Method)
		assert.Equal(t, apiRoot+op.path, w.Path)
		assert.Equal(t, i+2, w.Attempt, "the attempt that waits")
		assert.Equal(t, detail, w.Detail)
		assert.LessOrEqual(t, w.Duration, quickRetry.MaxWait)
	}
	assert.Zero(t, waits[1].Duration, "Retry-After 0 is waited as said")
}

func TestWaitObserverHearsOfA429HoldingEveryRequest(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithRateLimit(20, 1), accesstokens.WithWaitObserver(log.observe))
	var mu sync.Mutex
	limited := true
	ts.on(http.MethodGet, "/projects/PRJ/075905477751", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := limited
		limited = false
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, faultErrorBody(429))
			return
		}
		respond(t, http.StatusOK, "token.json")(w, r)
	})
	ctx := testContext(t)
	scope := accesstokens.ProjectScope("PRJ")

	_, err := c.Tokens.Get(ctx, scope, "075905477751") // 429: the Client holds for 1 s
	require.ErrorIs(t, err, accesstokens.ErrRateLimited)
	_, err = c.Tokens.Get(ctx, scope, "075905477751")
	require.NoError(t, err)

	var reasons []accesstokens.WaitReason
	for _, w := range log.all() {
		reasons = append(reasons, w.Reason)
		assert.Equal(t, 1, w.Attempt)
		assert.Greater(t, w.Duration, time.Duration(0))
		assert.LessOrEqual(t, w.Duration, time.Second)
		assert.Empty(t, w.Detail)
	}
	assert.Contains(t, reasons, accesstokens.WaitRateLimited, "the second call was held by the first one's 429")
	assert.NotContains(t, reasons, accesstokens.WaitRetry, "retries are off")
}

func TestWaitObserverHearsOfThePaceOfWithRateLimit(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithRateLimit(20, 1), accesstokens.WithWaitObserver(log.observe))
	ts.on(http.MethodGet, "/users/alice", respond(t, http.StatusOK, "page_first.json"))
	ctx := testContext(t)

	for range 2 {
		_, err := c.UserTokens.List(ctx, "alice", &accesstokens.ListOptions{Limit: 2})
		require.NoError(t, err)
	}

	waits := log.all()
	require.Len(t, waits, 1, "the burst of 1 lets the first call go at once")
	assert.Equal(t, accesstokens.WaitPaced, waits[0].Reason)
	assert.Equal(t, apiRoot+"/users/alice", waits[0].Path, "never the query string")
	assert.False(t, strings.ContainsAny(waits[0].Path, "?"))
	assert.LessOrEqual(t, waits[0].Duration, 50*time.Millisecond)
}

func TestWithoutWaitsTheObserverHearsNothing(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithWaitObserver(log.observe), accesstokens.WithRetry(quickRetry))
	ts.on(http.MethodGet, "/users/alice", respond(t, http.StatusOK, "page_first.json"))

	_, err := c.UserTokens.List(testContext(t), "alice", nil)

	require.NoError(t, err)
	assert.Empty(t, log.all())
}
