package accesstokens_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

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

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// jsonLogger logs everything at Debug and above into buf as JSON lines.
func jsonLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logRecords parses the JSON lines in buf.
func logRecords(t *testing.T, buf *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(buf.String()))
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), "line %q", sc.Text())
		out = append(out, rec)
	}
	require.NoError(t, sc.Err())
	return out
}

// recordsWith keeps the records whose message contains msg.
func recordsWith(recs []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if m, _ := r["msg"].(string); strings.Contains(m, msg) {
			out = append(out, r)
		}
	}
	return out
}

func TestLoggerRecordsEveryAttemptAndRetryDecisionAtDebug(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(jsonLogger(&buf)))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: 503}, attemptFault{status: 429}))

	require.NoError(t, op.call(t, testContext(t), c))

	recs := logRecords(t, &buf)
	for _, r := range recs {
		assert.Equal(t, "DEBUG", r["level"], "%v", r)
	}
	attempts := recordsWith(recs, "attempt")
	attempts = recordsWith(attempts, "accesstokens: attempt")
	require.Len(t, attempts, 3)
	for i, want := range []float64{503, 429, 200} {
		a := attempts[i]
		assert.Equal(t, "GET", a["method"])
		assert.Equal(t, apiRoot+op.path, a["path"])
		assert.Equal(t, float64(i+1), a["attempt"])
		assert.Equal(t, want, a["status"])
		assert.Contains(t, a, "duration")
		if i == 0 {
			assert.NotContains(t, a, "wait", "the first attempt waited for nothing")
		} else {
			assert.Contains(t, a, "wait")
		}
	}
	decisions := recordsWith(recs, "retry decision")
	require.Len(t, decisions, 3)
	wantDecisions := []struct {
		retry  bool
		reason string
	}{{true, "503"}, {true, "429"}, {false, "success"}}
	for i, want := range wantDecisions {
		d := decisions[i]
		assert.Equal(t, "GET", d["method"])
		assert.Equal(t, apiRoot+op.path, d["path"])
		assert.Equal(t, float64(i+1), d["attempt"])
		assert.Equal(t, want.retry, d["retry"])
		assert.Contains(t, d["reason"], want.reason)
	}
}

func TestLoggerSaysWhenRetriesRunOut(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(jsonLogger(&buf)))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), repeatFault(attemptFault{status: 503}, quickRetry.MaxRetries+1)...))

	require.ErrorIs(t, op.call(t, testContext(t), c), accesstokens.ErrServer)

	decisions := recordsWith(logRecords(t, &buf), "retry decision")
	require.Len(t, decisions, quickRetry.MaxRetries+1)
	for _, d := range decisions[:quickRetry.MaxRetries] {
		assert.Equal(t, true, d["retry"])
	}
	last := decisions[quickRetry.MaxRetries]
	assert.Equal(t, false, last["retry"], "the last attempt is not followed by a retry, and the log says so")
	assert.Contains(t, last["reason"], "no retries left")
	assert.Equal(t, quickRetry.MaxRetries+1, ts.count(op.method, op.path))
}

func TestLoggerExplainsWhyACreateIsNotRetried(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(jsonLogger(&buf)))
	ts.on(createOp.method, createOp.path, failThenServe(createOp.ok(t), attemptFault{drop: true}))

	require.Error(t, createOp.call(t, testContext(t), c))

	recs := logRecords(t, &buf)
	attempts := recordsWith(recs, "accesstokens: attempt")
	require.Len(t, attempts, 1)
	assert.Equal(t, "PUT", attempts[0]["method"])
	assert.NotContains(t, attempts[0], "status")
	assert.Equal(t, "connection closed by the server", attempts[0]["error"])
	decisions := recordsWith(recs, "retry decision")
	require.Len(t, decisions, 1)
	assert.Equal(t, false, decisions[0]["retry"])
	assert.Contains(t, decisions[0]["reason"], "create not retried")
}

// captureProcessOutput redirects os.Stdout, os.Stderr, the log package and
// slog's default logger while fn runs, and returns everything written.
func captureProcessOutput(t *testing.T, fn func()) string {
	t.Helper()
	oldOut, oldErr := os.Stdout, os.Stderr
	oldSlog := slog.Default()
	oldLogOut, oldLogFlags := log.Writer(), log.Flags()

	r, w, err := os.Pipe()
	require.NoError(t, err)
	var piped bytes.Buffer
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(&piped, r)
		close(copied)
	}()
	var slogBuf, logBuf syncBuffer
	os.Stdout, os.Stderr = w, w
	slog.SetDefault(slog.New(slog.NewTextHandler(&slogBuf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log.SetOutput(&logBuf)

	func() {
		defer func() {
			os.Stdout, os.Stderr = oldOut, oldErr
			slog.SetDefault(oldSlog)
			log.SetOutput(oldLogOut)
			log.SetFlags(oldLogFlags)
			_ = w.Close()
			<-copied
			_ = r.Close()
		}()
		fn()
	}()
	return piped.String() + slogBuf.String() + logBuf.String()
}

// Not parallel: it takes over the process's stdout, stderr and default loggers.
func TestWithoutALoggerNothingIsPrintedAnywhere(t *testing.T) {
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
	op := idempotentOps[0]
	ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusServiceUnavailable, faultErrorBody(503))
	})
	ts.on(createOp.method, createOp.path, failThenServe(createOp.ok(t), attemptFault{status: 502}))
	ts.on(http.MethodDelete, "/projects/PRJ/"+retryTokenID, failThenServe(noContent,
		attemptFault{drop: true}, attemptFault{status: 429}))
	refused := refusedClient(t, &refusingDialer{})

	var errs []error
	out := captureProcessOutput(t, func() {
		ctx := testContext(t)
		errs = append(errs, op.call(t, ctx, c))
		errs = append(errs, createOp.call(t, ctx, c))
		errs = append(errs, c.ProjectTokens.Delete(ctx, "PRJ", retryTokenID))
		errs = append(errs, op.call(t, ctx, refused))
	})

	assert.Empty(t, out)
	assert.ErrorIs(t, errs[0], accesstokens.ErrServer)
	assert.ErrorIs(t, errs[1], accesstokens.ErrServer)
	assert.NoError(t, errs[2])
	assert.Error(t, errs[3])
	assert.Equal(t, quickRetry.MaxRetries+1, ts.count(op.method, op.path), "the calls did retry")
	assert.Equal(t, 3, ts.count(http.MethodDelete, "/projects/PRJ/"+retryTokenID))
}
