package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func TestDefaultRetryPolicyIsThreeRetriesFrom250msCappedAt5s(t *testing.T) {
	t.Parallel()
	assert.Equal(t, accesstokens.RetryPolicy{MaxRetries: 3, MinWait: 250 * time.Millisecond, MaxWait: 5 * time.Second},
		accesstokens.DefaultRetryPolicy())
}

func TestIdempotentCallsAreRetriedOnTransientFailuresUntilTheySucceed(t *testing.T) {
	t.Parallel()
	faults := []attemptFault{
		{status: http.StatusTooManyRequests}, {status: http.StatusBadGateway},
		{status: http.StatusServiceUnavailable}, {status: http.StatusGatewayTimeout}, {drop: true},
	}
	for _, op := range idempotentOps {
		for _, f := range faults {
			t.Run(op.name+"/"+f.String(), func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
				ts.on(op.method, op.path, failThenServe(op.ok(t), repeatFault(f, 2)...))

				err := op.call(t, testContext(t), c)

				require.NoError(t, err)
				assert.Equal(t, 3, ts.count(op.method, op.path), "two failures, then the success")
			})
		}
	}
}

func TestIdempotentCallsAreNotRetriedOnFinalStatuses(t *testing.T) {
	t.Parallel()
	for _, op := range idempotentOps {
		for _, status := range []int{400, 401, 403, 404, 409, 500} {
			t.Run(fmt.Sprintf("%s/%d", op.name, status), func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
				ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: status}))

				err := op.call(t, testContext(t), c)

				var apiErr *accesstokens.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, status, apiErr.StatusCode)
				assert.Equal(t, 1, ts.count(op.method, op.path))
			})
		}
	}
}

func TestCreateIsRetriedOnlyWhenTheServerCannotHaveActed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault        attemptFault
		wantRequests int
		wantStatus   int // 0: success when retried, or a transport error
		wantRetried  bool
	}{
		{fault: attemptFault{status: http.StatusTooManyRequests, retryAfter: "0"}, wantRequests: 2, wantRetried: true},
		{fault: attemptFault{status: http.StatusServiceUnavailable}, wantRequests: 2, wantRetried: true},
		{fault: attemptFault{status: http.StatusInternalServerError}, wantRequests: 1, wantStatus: 500},
		{fault: attemptFault{status: http.StatusBadGateway}, wantRequests: 1, wantStatus: 502},
		{fault: attemptFault{status: http.StatusGatewayTimeout}, wantRequests: 1, wantStatus: 504},
		{fault: attemptFault{drop: true}, wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			ts.on(createOp.method, createOp.path, failThenServe(createOp.ok(t), tt.fault))

			err := createOp.call(t, testContext(t), c)

			assert.Equal(t, tt.wantRequests, ts.count(createOp.method, createOp.path))
			if tt.wantRetried {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var apiErr *accesstokens.Error
			if tt.wantStatus != 0 {
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantStatus, apiErr.StatusCode)
			} else {
				assert.False(t, errors.As(err, &apiErr), "a dropped connection is not a server answer: %v", err)
			}
		})
	}
}

// proxy503s are 503 answers that are not Bitbucket's own: a proxy or a load
// balancer in front of it may send them after Bitbucket acted.
var proxy503s = []struct {
	name, contentType, body string
}{
	{"HTML page", "text/html", "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"},
	{"empty body", "", ""},
	{"JSON that is not Bitbucket's envelope", "application/json", `{"message":"upstream unavailable"}`},
}

func TestACreateAnsweredAProxys503IsNotRetriedAndItsOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	for _, tc := range proxy503s {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			ts.on(createOp.method, createOp.path, func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, http.StatusServiceUnavailable, tc.contentType, []byte(tc.body))
			})

			err := createOp.call(t, testContext(t), c)

			require.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown)
			require.ErrorIs(t, err, accesstokens.ErrServer)
			assert.Equal(t, http.StatusServiceUnavailable, requireAPIError(t, err).StatusCode)
			assert.Equal(t, 1, ts.count(createOp.method, createOp.path), "a second create could make a second token")
		})
	}
}

func TestAnUpdateAnsweredAProxys503IsRetriedAndAtLastItsOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	update := idempotentOps[2]
	for _, tc := range proxy503s {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			ts.on(update.method, update.path, func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, http.StatusServiceUnavailable, tc.contentType, []byte(tc.body))
			})

			err := update.call(t, testContext(t), c)

			require.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown, "the proxy may have passed an attempt on")
			assert.Equal(t, quickRetry.MaxRetries+1, ts.count(update.method, update.path), "an update is safe to repeat")
		})
	}
}

func TestCreateIsNotRetriedAfterAnAttemptTimedOutOnceTheRequestWentOut(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry),
		accesstokens.WithHTTPClient(&http.Client{Timeout: 100 * time.Millisecond}))
	ts.on(createOp.method, createOp.path, failThenServe(createOp.ok(t), attemptFault{hang: true}))

	err := createOp.call(t, testContext(t), c)

	require.Error(t, err)
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout())
	assert.Equal(t, 1, ts.count(createOp.method, createOp.path))
}

func TestGetIsRetriedAfterAnAttemptTimedOut(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry),
		accesstokens.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{hang: true}))

	require.NoError(t, op.call(t, testContext(t), c))
	assert.Equal(t, 2, ts.count(op.method, op.path))
}

// refusingDialer counts every dial and refuses it the way a loopback port
// with no listener does. It touches no real port, so a parallel test's
// server can never take the address and answer instead.
type refusingDialer struct {
	dials atomic.Int64
}

func (d *refusingDialer) DialContext(_ context.Context, network, addr string) (net.Conn, error) {
	d.dials.Add(1)
	return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// refusedClient is a client whose every connection is refused.
func refusedClient(t *testing.T, d *refusingDialer) *accesstokens.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	c, err := accesstokens.NewClient("http://127.0.0.1:1", accesstokens.WithToken("test-token"),
		accesstokens.WithRetry(quickRetry), accesstokens.WithHTTPClient(hc))
	require.NoError(t, err)
	return c
}

func TestCreateIsRetriedWhenTheConnectionIsRefused(t *testing.T) {
	t.Parallel()
	for _, op := range []retryOp{createOp, idempotentOps[0]} {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			d := &refusingDialer{}
			c := refusedClient(t, d)

			err := op.call(t, testContext(t), c)

			var opErr *net.OpError
			require.ErrorAs(t, err, &opErr)
			assert.Equal(t, "dial", opErr.Op)
			assert.ErrorIs(t, err, syscall.ECONNREFUSED)
			assert.Equal(t, int64(quickRetry.MaxRetries+1), d.dials.Load(), "the first attempt and every retry dialled")
		})
	}
}

func TestRetryAfterIsHonouredAndCappedAtMaxWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
		policy     accesstokens.RetryPolicy
		atLeast    time.Duration
		below      time.Duration
	}{
		{
			name: "seconds within the cap are waited in full", status: 503,
			retryAfter: func() string { return "1" },
			policy:     accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 2 * time.Second},
			atLeast:    time.Second, below: 1900 * time.Millisecond,
		},
		{
			name: "seconds beyond the cap wait MaxWait", status: 429,
			retryAfter: func() string { return "3600" },
			policy:     accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 30 * time.Millisecond},
			atLeast:    60 * time.Millisecond, below: 2 * time.Second,
		},
		{
			name: "an HTTP date beyond the cap waits MaxWait", status: 503,
			retryAfter: func() string { return time.Now().Add(time.Hour).UTC().Format(http.TimeFormat) },
			policy:     accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 150 * time.Millisecond},
			atLeast:    150 * time.Millisecond, below: 2 * time.Second,
		},
		{
			name: "an HTTP date within the cap is waited", status: 429,
			retryAfter: func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) },
			policy:     accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: 5 * time.Second},
			atLeast:    900 * time.Millisecond, below: 2900 * time.Millisecond,
		},
		{
			name: "a 429 without Retry-After waits the backoff", status: 429,
			retryAfter: func() string { return "" },
			policy:     accesstokens.RetryPolicy{MaxRetries: 1, MinWait: 80 * time.Millisecond, MaxWait: time.Second},
			atLeast:    80 * time.Millisecond, below: 1900 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(tt.policy))
			op := idempotentOps[0]
			faults := repeatFault(attemptFault{status: tt.status, retryAfter: tt.retryAfter()}, tt.policy.MaxRetries)
			ts.on(op.method, op.path, failThenServe(op.ok(t), faults...))

			start := time.Now()
			err := op.call(t, testContext(t), c)
			elapsed := time.Since(start)

			require.NoError(t, err)
			assert.Equal(t, tt.policy.MaxRetries+1, ts.count(op.method, op.path))
			assert.GreaterOrEqual(t, elapsed, tt.atLeast)
			assert.Less(t, elapsed, tt.below)
		})
	}
}

func TestDeleteReportsSuccessWhenARetryFindsTheTokenGoneAfterAnAttemptThatMayHaveDeletedIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		first        []attemptFault // applied in order; the handler deletes on the first attempt
		deleteFirst  bool           // the first attempt really deletes before failing
		wantNotFound bool
		wantRequests int
	}{
		{name: "502 then 404", first: []attemptFault{{status: 502}}, deleteFirst: true, wantRequests: 2},
		{name: "504 then 404", first: []attemptFault{{status: 504}}, deleteFirst: true, wantRequests: 2},
		{name: "dropped connection then 404", first: []attemptFault{{drop: true}}, deleteFirst: true, wantRequests: 2},
		{name: "502, 503 then 404", first: []attemptFault{{status: 502}, {status: 503}}, deleteFirst: true, wantRequests: 3},
		{name: "404 at once", wantNotFound: true, wantRequests: 1},
		{name: "429 then 404", first: []attemptFault{{status: 429}}, wantNotFound: true, wantRequests: 2},
		{name: "503 then 404", first: []attemptFault{{status: 503}}, wantNotFound: true, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			var exists atomic.Bool // the token is there only if the first attempt is to delete it
			exists.Store(tt.deleteFirst)
			var n atomic.Int64
			path := "/projects/PRJ/repos/repo/" + retryTokenID
			ts.on(http.MethodDelete, path, func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1) - 1)
				if i == 0 && tt.deleteFirst {
					exists.Store(false)
				}
				if i < len(tt.first) {
					tt.first[i].serve(w, r)
					return
				}
				if !exists.CompareAndSwap(true, false) {
					writeJSON(w, http.StatusNotFound, []byte(`{"errors":[{"message":"No such token"}]}`))
					return
				}
				noContent(w, r)
			})

			err := c.RepoTokens.Delete(testContext(t), "PRJ", "repo", retryTokenID)

			if tt.wantNotFound {
				assert.ErrorIs(t, err, accesstokens.ErrNotFound)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantRequests, ts.count(http.MethodDelete, path))
		})
	}
}

// signalHandler is a slog.Handler that reports each record's message.
type signalHandler struct{ msgs chan<- slog.Record }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.msgs <- r:
	default:
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// retryDecided reports whether r is a decision to retry.
func retryDecided(r slog.Record) bool {
	retry := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry" {
			retry = a.Value.Bool()
			return false
		}
		return true
	})
	return strings.Contains(r.Message, "retry decision") && retry
}

func TestCancellingTheContextEndsALongRetryAfterWait(t *testing.T) {
	t.Parallel()
	long := accesstokens.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Second}

	t.Run("cancel", func(t *testing.T) {
		t.Parallel()
		records := make(chan slog.Record, 16)
		ts, c := newTestServer(t, accesstokens.WithRetry(long), accesstokens.WithLogger(slog.New(signalHandler{records})))
		op := idempotentOps[0]
		ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: 503, retryAfter: "10"}))
		ctx, cancel := context.WithCancel(testContext(t))
		defer cancel()

		done := make(chan error, 1)
		go func() { done <- op.call(t, ctx, c) }()
		for r := range records {
			if retryDecided(r) {
				break // the client is about to wait 10 s
			}
		}
		cancelled := time.Now()
		cancel()
		var err error
		select {
		case err = <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the call did not return after its context was cancelled")
		}

		assert.Less(t, time.Since(cancelled), 500*time.Millisecond)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1, ts.count(op.method, op.path))
	})

	t.Run("deadline", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t, accesstokens.WithRetry(long))
		ts.on(createOp.method, createOp.path, failThenServe(createOp.ok(t), attemptFault{status: 429, retryAfter: "10"}))
		ctx, cancel := context.WithTimeout(testContext(t), 300*time.Millisecond)
		defer cancel()

		start := time.Now()
		err := createOp.call(t, ctx, c)

		assert.Less(t, time.Since(start), 2*time.Second)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1, ts.count(createOp.method, createOp.path))
	})
}

func TestRetriesRunningOutReturnTheLastAnswer(t *testing.T) {
	t.Parallel()
	for _, op := range []retryOp{idempotentOps[0], idempotentOps[3], createOp} {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "2")
				writeJSON(w, http.StatusServiceUnavailable,
					[]byte(`{"errors":[{"context":null,"message":"Bitbucket is starting up","exceptionName":"StartupException"}]}`))
			})

			err := op.call(t, testContext(t), c)

			var apiErr *accesstokens.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
			assert.Equal(t, op.method, apiErr.Method)
			assert.Equal(t, apiRoot+op.path, apiErr.Path)
			require.Len(t, apiErr.Messages, 1)
			assert.Equal(t, "Bitbucket is starting up", apiErr.Messages[0].Message)
			assert.Equal(t, 2*time.Second, apiErr.RetryAfter)
			assert.ErrorIs(t, err, accesstokens.ErrServer)
			assert.NotContains(t, err.Error(), "giving up")
			assert.Equal(t, quickRetry.MaxRetries+1, ts.count(op.method, op.path))
		})
	}
}

func TestZeroRetryPolicyDisablesRetries(t *testing.T) {
	t.Parallel()
	for _, op := range []retryOp{idempotentOps[0], idempotentOps[3], createOp} {
		for _, f := range []attemptFault{{status: 503}, {status: 429}, {drop: true}} {
			t.Run(op.name+"/"+f.String(), func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
				ts.on(op.method, op.path, failThenServe(op.ok(t), f))

				require.Error(t, op.call(t, testContext(t), c))
				assert.Equal(t, 1, ts.count(op.method, op.path))
			})
		}
	}
}

func TestNewClientRejectsBadRetryPolicies(t *testing.T) {
	t.Parallel()
	tests := map[string]accesstokens.RetryPolicy{
		"negative MaxRetries":   {MaxRetries: -1, MinWait: time.Millisecond, MaxWait: time.Second},
		"negative MinWait":      {MaxRetries: 1, MinWait: -time.Millisecond, MaxWait: time.Second},
		"negative MaxWait":      {MaxRetries: 1, MinWait: time.Millisecond, MaxWait: -time.Second},
		"MaxWait below MinWait": {MaxRetries: 1, MinWait: 2 * time.Second, MaxWait: time.Second},
	}
	for name, p := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithRetry(p))
			assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			assert.Nil(t, c)
		})
	}
	t.Run("zero and default are fine", func(t *testing.T) {
		t.Parallel()
		for _, p := range []accesstokens.RetryPolicy{{}, accesstokens.DefaultRetryPolicy(), {MaxRetries: 2, MinWait: time.Second}} {
			_, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithRetry(p))
			assert.NoError(t, err, "%+v", p)
		}
	})
}

// cancelOnAnswer cancels a context as soon as an answer has arrived, before
// the client has decided anything about it.
type cancelOnAnswer struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelOnAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	c.cancel()
	return resp, err
}

func TestContextEndingAsAnAnswerArrives(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		status     int
		body       string
		wantStatus error
		canceled   bool // context.Canceled is in the chain
	}{
		// A retryable answer: the caller learns what the server said and why no retry followed.
		{"503 would have been retried", http.StatusServiceUnavailable, "", accesstokens.ErrServer, true},
		// A final answer stands, whatever the context does as it arrives.
		{"404 is final", http.StatusNotFound, "error_no_such_project.json", accesstokens.ErrNotFound, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			hc := &http.Client{Transport: cancelOnAnswer{next: http.DefaultTransport, cancel: cancel}}
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry), accesstokens.WithHTTPClient(hc))
			ts.on(http.MethodGet, "/projects/PRJ/"+retryTokenID, func(w http.ResponseWriter, r *http.Request) {
				body := faultErrorBody(tc.status)
				if tc.body != "" {
					body = fixture(t, tc.body)
				}
				writeJSON(w, tc.status, body)
			})

			_, err := c.ProjectTokens.Get(ctx, "PRJ", retryTokenID)

			var apiErr *accesstokens.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.ErrorIs(t, err, tc.wantStatus)
			if tc.canceled {
				assert.ErrorIs(t, err, context.Canceled)
			} else {
				assert.NotErrorIs(t, err, context.Canceled)
			}
			assert.Equal(t, 1, ts.count(http.MethodGet, "/projects/PRJ/"+retryTokenID), "no retry after the context ended")
		})
	}
}

// TestContextEndingDuringARetryWaitKeepsTheAnswer: the context may end while
// the client waits to retry a retryable answer, or while the retry is under
// way. Either way the caller gets that answer's *Error (RetryAfter included)
// joined with the context's error, as when it ends just as the answer
// arrives (TestContextEndingAsAnAnswerArrives).
func TestContextEndingDuringARetryWaitKeepsTheAnswer(t *testing.T) {
	t.Parallel()
	long := accesstokens.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Second}
	cases := []struct {
		name       string
		op         retryOp
		faults     []attemptFault
		wantStatus int
		sentinel   error
		retryAfter time.Duration
		requests   int
		unknown    bool // ErrOutcomeUnknown
	}{
		{"503 then waiting", idempotentOps[0], []attemptFault{{status: 503, retryAfter: "10"}}, 503, accesstokens.ErrServer, 10 * time.Second, 1, false},
		{"429 on a create then waiting", createOp, []attemptFault{{status: 429, retryAfter: "5"}}, 429, accesstokens.ErrRateLimited, 5 * time.Second, 1, false},
		{"503 then a retry that never answers", idempotentOps[1], []attemptFault{{status: 503, retryAfter: "0"}, {hang: true}}, 503, accesstokens.ErrServer, 0, 2, false},
		// The retried create reached the server: it may have acted.
		{"429 on a create then a retry that never answers", createOp, []attemptFault{{status: 429, retryAfter: "0"}, {hang: true}}, 429, accesstokens.ErrRateLimited, 0, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(long))
			ts.on(tc.op.method, tc.op.path, failThenServe(tc.op.ok(t), tc.faults...))
			ctx, cancel := context.WithTimeout(testContext(t), 300*time.Millisecond)
			defer cancel()

			start := time.Now()
			err := tc.op.call(t, ctx, c)

			assert.Less(t, time.Since(start), 3*time.Second)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			var apiErr *accesstokens.Error
			require.ErrorAs(t, err, &apiErr, "the answer is kept: %v", err)
			assert.Equal(t, tc.wantStatus, apiErr.StatusCode)
			assert.Equal(t, tc.retryAfter, apiErr.RetryAfter)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.Equal(t, tc.requests, ts.count(tc.op.method, tc.op.path))
			assert.Equal(t, tc.unknown, errors.Is(err, accesstokens.ErrOutcomeUnknown), "ErrOutcomeUnknown: %v", err)
			assert.Equal(t, tc.unknown, strings.Contains(err.Error(), "outcome unknown"), "the text says what errors.Is says: %v", err)
			if tc.requests > 1 {
				assert.NotContains(t, err.Error(), "before retrying", "the retry was sent: %v", err)
			}
		})
	}
}

// cutOff answers 200 with the Content-Length of body and only half of it,
// then closes the connection.
func cutOff(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		_, _ = buf.Write(body[:len(body)/2])
		_ = buf.Flush()
	}
}

// stalled answers 200 with the Content-Length of body and half of it, then
// sends nothing more until the client goes away.
func stalled(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}
}

// TestAReadCutOffMidBodyIsRetried: a reset or a timeout while a 2xx body is
// read happens after the status arrived; for a call that is safe to repeat it
// is retried like a reset before the answer, within the same policy.
func TestAReadCutOffMidBodyIsRetried(t *testing.T) {
	t.Parallel()
	mid := func(t *testing.T, op retryOp, fault func([]byte) http.HandlerFunc) http.HandlerFunc {
		good := fixture(t, map[string]string{"/users/alice/" + retryTokenID: "token.json", "/projects/PRJ": "page_last.json",
			"/admin": "policy.json", "/projects/PRJ/repos/repo/" + retryTokenID: "token.json"}[op.path])
		return fault(good)
	}
	for _, op := range []retryOp{idempotentOps[0], idempotentOps[1], idempotentOps[2], idempotentOps[4]} {
		for _, f := range []struct {
			name  string
			fault func([]byte) http.HandlerFunc
		}{{"reset", cutOff}, {"attempt timeout", stalled}} {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry),
					accesstokens.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
				bad := mid(t, op, f.fault)
				var n atomic.Int64
				ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) <= 2 {
						bad(w, r)
						return
					}
					op.ok(t)(w, r)
				})

				require.NoError(t, op.call(t, testContext(t), c))
				assert.Equal(t, 3, ts.count(op.method, op.path), "two cut-off answers, then the whole one")
			})
		}
	}

	t.Run("within the policy", func(t *testing.T) {
		t.Parallel()
		op := idempotentOps[0]
		ts, c := newTestServer(t, accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
		ts.on(op.method, op.path, cutOff(fixture(t, "token.json")))

		err := op.call(t, testContext(t), c)

		require.Error(t, err)
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.NotErrorIs(t, err, accesstokens.ErrOutcomeUnknown, "a read never has an unknown outcome")
		assert.Equal(t, 2, ts.count(op.method, op.path), "one retry, as the policy says")
	})

	t.Run("never a create", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
		ts.on(createOp.method, createOp.path, cutOff(fixture(t, "token_created.json")))

		err := createOp.call(t, testContext(t), c)

		require.Error(t, err)
		assert.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown, "the token exists, its secret is lost")
		assert.Equal(t, 1, ts.count(createOp.method, createOp.path))
	})
}

// TestAWriteWhoseAnswerWasLostMatchesErrOutcomeUnknown: a write that was sent
// and whose answer never arrived whole may or may not have taken effect; the
// error says so. A write the server cannot have acted on, and any read, does not.
func TestAWriteWhoseAnswerWasLostMatchesErrOutcomeUnknown(t *testing.T) {
	t.Parallel()
	garbage := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"id":`))
	}
	update, del, setPolicy := idempotentOps[2], idempotentOps[3], idempotentOps[5]
	cases := []struct {
		name    string
		op      retryOp
		answer  http.HandlerFunc
		timeout bool // the client gives each attempt 300 ms
		unknown bool
		status  int // 0: not an *Error
	}{
		{"create: connection dropped", createOp, hangUpAfterReading, false, true, 0},
		{"create: attempt timed out", createOp, attemptFault{hang: true}.serve, true, true, 0},
		{"create: 502", createOp, attemptFault{status: 502}.serve, false, true, 502},
		{"create: 504", createOp, attemptFault{status: 504}.serve, false, true, 504},
		{"create: 200 cut off", createOp, cutOff([]byte(`{"id":"1","token":"BBDC-x"}`)), false, true, 0},
		{"create: 200 that is not a token", createOp, garbage, false, true, 0},
		{"create: 503 every time", createOp, attemptFault{status: 503}.serve, false, false, 503},
		{"create: 429 every time", createOp, attemptFault{status: 429}.serve, false, false, 429},
		{"create: 400", createOp, attemptFault{status: 400}.serve, false, false, 400},
		{"update: 502 every time", update, attemptFault{status: 502}.serve, false, true, 502},
		{"update: connection dropped every time", update, hangUpAfterReading, false, true, 0},
		{"update: 200 that is not a token", update, garbage, false, true, 0},
		{"update: 409", update, attemptFault{status: 409}.serve, false, false, 409},
		{"delete: 504 every time", del, attemptFault{status: 504}.serve, false, true, 504},
		{"delete: connection dropped every time", del, hangUpAfterReading, false, true, 0},
		{"policy: 502 every time", setPolicy, attemptFault{status: 502}.serve, false, true, 502},
		{"get: connection dropped every time", idempotentOps[0], hangUpAfterReading, false, false, 0},
		{"get: 502 every time", idempotentOps[0], attemptFault{status: 502}.serve, false, false, 502},
		{"get: 200 that is not a token", idempotentOps[0], garbage, false, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []accesstokens.Option{accesstokens.WithRetry(quickRetry)}
			if tc.timeout {
				opts = append(opts, accesstokens.WithHTTPClient(&http.Client{Timeout: 300 * time.Millisecond}))
			}
			ts, c := newTestServer(t, opts...)
			ts.on(tc.op.method, tc.op.path, tc.answer)

			err := tc.op.call(t, testContext(t), c)

			require.Error(t, err)
			if tc.unknown {
				assert.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown)
				assert.Contains(t, err.Error(), "outcome unknown")
			} else {
				assert.NotErrorIs(t, err, accesstokens.ErrOutcomeUnknown)
				assert.NotContains(t, err.Error(), "outcome unknown")
			}
			var apiErr *accesstokens.Error
			if tc.status != 0 {
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tc.status, apiErr.StatusCode)
				if tc.status >= 500 {
					assert.ErrorIs(t, err, accesstokens.ErrServer, "still matches its status")
				}
			} else {
				assert.False(t, errors.As(err, &apiErr), "%v", err)
			}
		})
	}
}

// Read patience: a GET's 429s are waited out beyond MaxRetries, within the
// time the caller allows; nothing else changes.

func TestReadPatienceWaitsOutAReadsRateLimitBeyondMaxRetries(t *testing.T) {
	t.Parallel()
	var log waitLog
	ts, c := newTestServer(t, accesstokens.WithRetry(accesstokens.RetryPolicy{}), // no retries at all
		accesstokens.WithReadPatience(time.Minute), accesstokens.WithWaitObserver(log.observe))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: 429, retryAfter: "1"}))

	require.NoError(t, op.call(t, testContext(t), c))

	assert.Equal(t, 2, ts.count(op.method, op.path), "the 429, then the read")
	require.Len(t, log.all(), 1)
	assert.Equal(t, accesstokens.Wait{Method: http.MethodGet, Path: apiRoot + op.path, Attempt: 2,
		Reason: accesstokens.WaitRetry, Duration: time.Second, Detail: "429 rate limited"}, log.all()[0])
}

func TestReadPatienceGivesUpWhenTheNextWaitWouldPassIt(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRetry(accesstokens.RetryPolicy{}), accesstokens.WithReadPatience(1500*time.Millisecond))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), repeatFault(attemptFault{status: 429, retryAfter: "1"}, 2)...))

	err := op.call(t, testContext(t), c)

	require.ErrorIs(t, err, accesstokens.ErrRateLimited)
	assert.Equal(t, time.Second, requireAPIError(t, err).RetryAfter)
	assert.Equal(t, 2, ts.count(op.method, op.path), "1 s waited; another second would pass 1.5 s")
}

func TestReadPatienceDoesNotWaitARetryAfterLongerThanItself(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t, accesstokens.WithRetry(accesstokens.RetryPolicy{}), accesstokens.WithReadPatience(time.Minute))
	op := idempotentOps[0]
	ts.on(op.method, op.path, failThenServe(op.ok(t), attemptFault{status: 429, retryAfter: "3600"}))

	err := op.call(t, testContext(t), c) // the test's context would end long before an hour

	require.ErrorIs(t, err, accesstokens.ErrRateLimited)
	assert.Equal(t, 1, ts.count(op.method, op.path))
}

func TestReadPatienceLeavesWritesAndOtherAnswersToTheRetryPolicy(t *testing.T) {
	t.Parallel()
	authFailed := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusUnauthorized, []byte(`{"errors":[{"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`))
	}
	cases := []struct {
		name   string
		op     retryOp
		answer http.HandlerFunc
		want   error
	}{
		{"a create's 429", createOp, attemptFault{status: 429, retryAfter: "0"}.serve, accesstokens.ErrRateLimited},
		{"a delete's 429", idempotentOps[3], attemptFault{status: 429, retryAfter: "0"}.serve, accesstokens.ErrRateLimited},
		{"a read's 503", idempotentOps[0], attemptFault{status: 503, retryAfter: "0"}.serve, accesstokens.ErrServer},
		{"a read's failed login", idempotentOps[0], authFailed, accesstokens.ErrAuthentication},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(accesstokens.RetryPolicy{}), accesstokens.WithReadPatience(time.Minute))
			ts.on(tc.op.method, tc.op.path, tc.answer)

			err := tc.op.call(t, testContext(t), c)

			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, 1, ts.count(tc.op.method, tc.op.path), "no retries in the policy, none made")
		})
	}
}

func TestWithReadPatienceRefusesANegativeBound(t *testing.T) {
	t.Parallel()
	_, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithReadPatience(-time.Second))
	requireInvalidArgument(t, err, "maxWait")
}
