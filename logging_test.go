package accesstokens_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

func TestLogsNeverShowCredentialsSecretsQueriesOrBodies(t *testing.T) {
	t.Parallel()
	const (
		bearer       = "BBDC-bearer-value-never-logged"
		basicUser    = "alice"
		basicPass    = "basic-password-never-logged"
		reqMarker    = "request-body-marker"
		errMarker    = "error-body-marker"
		headerMarker = "header-marker"
	)
	secret := string(fixture(t, "token_created.json"))
	secret = secret[strings.Index(secret, `"token":"`)+len(`"token":"`):]
	secret = secret[:strings.IndexByte(secret, '"')]
	require.NotEmpty(t, secret)

	var buf syncBuffer
	logger := jsonLogger(&buf)
	ts, bearerClient := newTestServer(t, accesstokens.WithToken(bearer),
		accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(logger))
	basicClient, err := accesstokens.NewClient(ts.URL, accesstokens.WithBasicAuth(basicUser, basicPass),
		accesstokens.WithRetry(quickRetry), accesstokens.WithLogger(logger))
	require.NoError(t, err)

	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "limit=7", r.URL.RawQuery)
		w.Header().Set("X-Echo", headerMarker)
		writeJSON(w, http.StatusOK, fixture(t, "page_last.json"))
	})
	ts.on(http.MethodPut, "/projects/PRJ", failThenServe(respond(t, http.StatusOK, "token_created.json"),
		attemptFault{status: 503}))
	failing := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", headerMarker)
		writeJSON(w, http.StatusServiceUnavailable, []byte(`{"errors":[{"message":"`+errMarker+`"}]}`))
	}
	ts.on(http.MethodPost, "/projects/PRJ/"+retryTokenID, failing)
	ts.on(http.MethodGet, "/users/alice/"+retryTokenID, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"errors":[{"message":"`+errMarker+`"}]}`))
	})

	ctx := testContext(t)
	for _, c := range []*accesstokens.Client{bearerClient, basicClient} {
		_, err := c.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: 7})
		require.NoError(t, err)
		created, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
			Name: reqMarker, Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		})
		require.NoError(t, err)
		require.Equal(t, secret, created.Token.Reveal())
		name := reqMarker
		_, err = c.ProjectTokens.Update(ctx, "PRJ", retryTokenID, accesstokens.UpdateTokenRequest{Name: &name})
		require.ErrorIs(t, err, accesstokens.ErrServer)
		_, err = c.UserTokens.Get(ctx, "alice", retryTokenID)
		require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	}

	logs := buf.String()
	require.NotEmpty(t, logs)
	basicB64 := base64.StdEncoding.EncodeToString([]byte(basicUser + ":" + basicPass))
	for _, leak := range []string{bearer, basicPass, basicB64, secret, "limit=", "?", reqMarker, errMarker,
		headerMarker, "Authorization", "Bearer", "Basic", "Demo 3", `"errors"`} {
		assert.NotContains(t, logs, leak)
	}
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

// shortContentLength answers every request with a create answer whose
// Content-Length stops before the secret, then waits for the client to close
// the connection (10 s at most) and reports on closed. net/http logs bytes it
// finds after a body on an idle connection, as they come, before it closes
// the connection: once closed is reported, anything it would print is printed.
func shortContentLength(t *testing.T, body []byte, closed chan<- struct{}) string {
	return newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer func() { closed <- struct{}{} }()
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", 20, body)
		_ = buf.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, conn)
	}))
}

// Not parallel: it takes over the process's stdout, stderr and default loggers.
func TestACreateAnswerLongerThanItsContentLengthPrintsNothing(t *testing.T) {
	body := fixture(t, "token_created.json")
	require.Contains(t, string(body[20:]), createdSecret)
	for _, withLogger := range []bool{false, true} {
		t.Run(fmt.Sprintf("logger=%v", withLogger), func(t *testing.T) {
			closed := make(chan struct{}, 1)
			var logs syncBuffer
			opts := []accesstokens.Option{accesstokens.WithBasicAuth("alice", "alice"), accesstokens.WithRetry(accesstokens.RetryPolicy{})}
			if withLogger {
				opts = append(opts, accesstokens.WithLogger(jsonLogger(&logs)))
			}
			c, err := accesstokens.NewClient(shortContentLength(t, body, closed), opts...)
			require.NoError(t, err)

			var created *accesstokens.RawAccessToken
			out := captureProcessOutput(t, func() {
				created, err = c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
					Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
				})
				select {
				case <-closed:
				case <-time.After(15 * time.Second): // a hang guard only
					t.Error("the server never saw the connection close")
				}
			})

			require.Error(t, err, "20 bytes of a token are not a token")
			assert.Nil(t, created)
			assertNoLeak(t, out+logs.String()+err.Error(), createdSecret)
			assert.NotContains(t, out, "Unsolicited response")
		})
	}
}
