package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0 tokens", progressLine(audit.Progress{}))
	assert.Equal(t, "1500 tokens, 500/s, 2 scopes failed",
		progressLine(audit.Progress{Tokens: 1500, Elapsed: 3e9, Failed: 2}))
}

// TestWaitLineSaysWhatTheClientWaitsFor: each wait the client reports, as
// the progress line says it while it lasts (counting down, or up for an
// attempt without an answer), and nothing once it is over; short retry and
// pacing waits are not worth a word.
func TestWaitLineSaysWhatTheClientWaitsFor(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const path = "/rest/access-tokens/latest/projects/PRJ"
	for _, tc := range []struct {
		name  string
		wait  accesstokens.Wait
		after time.Duration // since the wait was reported
		want  string
	}{
		{"a 429 holding every request", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRateLimited, Duration: 12 * time.Second}, 0,
			"waiting 12s: rate limited (429)"},
		{"counting down", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRateLimited, Duration: 12 * time.Second}, 4500 * time.Millisecond,
			"waiting 8s: rate limited (429)"},
		{"over", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRateLimited, Duration: 12 * time.Second}, 12 * time.Second, ""},
		{"a retry after a 429", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRetry, Duration: 3 * time.Second, Detail: "429 rate limited"}, 0,
			"waiting 3s: rate limited (429)"},
		{"a retry after a server error", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRetry, Duration: 2 * time.Second, Detail: "503 service unavailable"}, 0,
			"waiting 2s to retry GET " + path + ": 503 service unavailable"},
		{"a short retry", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRetry, Duration: 300 * time.Millisecond, Detail: "503"}, 0, ""},
		{"a long turn under the pace", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitPaced, Duration: 2 * time.Second}, 0,
			"waiting 2s: paced to the server's rate limit"},
		{"a short turn", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitPaced, Duration: 200 * time.Millisecond}, 0, ""},
		{"no answer yet", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitStalled, Duration: 5 * time.Second}, 25 * time.Second,
			"waiting: no answer for 30s from GET " + path},
		{"no answer past the attempt's limit", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitStalled, Duration: 5 * time.Second}, 55 * time.Second, ""},
		{"server text escaped", accesstokens.Wait{Method: "GET", Path: path, Reason: accesstokens.WaitRetry, Duration: 2 * time.Second, Detail: "500 \x1b[2K\rdone"}, 0,
			"waiting 2s to retry GET " + path + `: 500 \x1b[2K\rdone`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newWaitBoard(time.Minute)
			b.record(tc.wait, start)
			assert.Equal(t, tc.want, b.line(start.Add(tc.after)))
		})
	}
}

// TestWaitLineForgetsAStallOnceAScopeIsRead: the client does not say when a
// stalled attempt answers; a scope read since shows that answers come.
func TestWaitLineForgetsAStallOnceAScopeIsRead(t *testing.T) {
	t.Parallel()
	now := time.Now()
	b := newWaitBoard(time.Minute)
	b.record(accesstokens.Wait{Method: "GET", Path: "/x", Reason: accesstokens.WaitStalled, Duration: 5 * time.Second}, now)
	require.NotEmpty(t, b.line(now))
	b.settled()
	assert.Empty(t, b.line(now))
	b.record(accesstokens.Wait{Reason: accesstokens.WaitRateLimited, Duration: 5 * time.Second}, now)
	b.settled()
	assert.Equal(t, "waiting 5s: rate limited (429)", b.line(now), "a 429's hold does not end with a scope")
}

// watchedBuffer is a stderr that many goroutines may write, and that
// closes seen once what was written holds want.
type watchedBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func newWatchedBuffer(want string) *watchedBuffer {
	return &watchedBuffer{want: want, seen: make(chan struct{})}
}

func (w *watchedBuffer) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	n, err := w.buf.Write(b)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return n, err
}

func (w *watchedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestProgressShowsA429sWait: audit on a terminal, against a fake that
// answers a scope's reads 429 with Retry-After 1 twice: while the client
// waits, the progress line says so; the audit then completes.
func TestProgressShowsA429sWait(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/projects/" + accesstokenstest.DemoProject, Status: http.StatusTooManyRequests, RetryAfter: "1", Times: 2})
	errOut := newWatchedBuffer("rate limited (429)")
	var out bytes.Buffer
	io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: errOut, ErrTTY: true}
	code := run(context.Background(), []string{"audit", "--scope", "project:" + accesstokenstest.DemoProject, "-o", "jsonl"}, io, fakeEnv(srv))
	require.Equal(t, exitOK, code, errOut.String())
	assert.Regexp(t, `reading scopes; waiting [12]s: rate limited \(429\)`, errOut.String())
	assert.Contains(t, out.String(), `"read":1,"failed":[]`)
}

// TestProgressShowsAServerThatDoesNotAnswer: list on a terminal, against a
// server that holds the scope's read until the progress line says it has
// had no answer (the client reports an attempt after 5 s without one).
func TestProgressShowsAServerThatDoesNotAnswer(t *testing.T) {
	t.Parallel()
	const want = "waiting: no answer for 5s from GET /rest/access-tokens/latest/projects/PRJ"
	errOut := newWatchedBuffer(want)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/latest/application-properties", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.4.0","buildNumber":"9004000","displayName":"Bitbucket"}`))
	})
	mux.HandleFunc("GET /rest/access-tokens/latest/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-errOut.seen:
		case <-r.Context().Done():
		case <-time.After(15 * time.Second): // then answers: the line never said it
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"size":0,"limit":1000,"start":0,"isLastPage":true,"values":[]}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	env := map[string]string{"BITBUCKET_URL": srv.URL, "BITBUCKET_USERNAME": "admin", "BITBUCKET_PASSWORD": "pw"}
	var out bytes.Buffer
	io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: errOut, ErrTTY: true}
	code := run(context.Background(), []string{"list", "project:PRJ", "-o", "json"}, io, func(k string) string { return env[k] })
	require.Equal(t, exitOK, code, errOut.String())
	assert.Contains(t, errOut.String(), want)
	assert.Equal(t, "[]\n", out.String())
}
