package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var stubRules = Rules{Now: stubNow}

func TestRunEmitsEveryTokenClassifiedInScopeOrder(t *testing.T) {
	t.Parallel()
	counts := []int{0, 1, 255, 256, 257, 600, 3, 1000, 0, 42}
	stub := &stubTokens{count: func(s accesstokens.Scope) int { return counts[scopeIndex(s)] }}
	targets := scopes(len(counts))
	targets[4] = Target{Scope: accesstokens.UserScope("P4"), OwnerActive: false} // a deactivated user
	c := &collector{t: t}

	sum, err := Run(context.Background(), stub, targets, Options{Concurrency: 4, Rules: stubRules}, c.emit)
	require.NoError(t, err)

	total := 0
	for _, n := range counts {
		total += n
	}
	require.Len(t, c.tokens, total)
	wantCounts := map[Finding]int{}
	next := map[accesstokens.Scope]int{} // the next token index expected per scope
	for _, tok := range c.tokens {
		i := next[tok.Scope]
		next[tok.Scope]++
		ownerActive := tok.Scope.UserSlug == ""
		want := Classify(tok.Scope, stubToken(tok.Scope, i), ownerActive, stubRules)
		require.Equal(t, want, tok, "token %d of %s, in the order the scope listed it", i, tok.Scope)
		for _, f := range tok.Findings {
			wantCounts[f]++
		}
	}
	for _, tg := range targets {
		assert.Equal(t, counts[scopeIndex(tg.Scope)], next[tg.Scope], "every token of %s", tg.Scope)
	}
	assert.Equal(t, total, sum.Tokens)
	assert.Equal(t, len(counts), sum.ScopesRead)
	assert.Empty(t, sum.Failed)
	assert.True(t, sum.Complete())
	for _, f := range AllFindings() {
		assert.Contains(t, sum.Findings, f, "every finding is in the summary")
		assert.Equal(t, wantCounts[f], sum.Findings[f], f)
	}
	assert.Equal(t, counts[4], wantCounts[InactiveOwner], "the deactivated user's tokens, and only they, carry inactive-owner")
	assert.EqualValues(t, len(counts), stub.calls.Load(), "one listing per scope")
	_, sawBigPages := stub.limits.Load(DefaultPageSize)
	assert.True(t, sawBigPages, "scopes are listed with large pages")
}

func TestRunAsksForThePageSizeGiven(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 1 }}
	_, err := Run(context.Background(), stub, scopes(3), Options{PageSize: 50}, func(Token) error { return nil })
	require.NoError(t, err)
	n := 0
	stub.limits.Range(func(k, _ any) bool { n++; assert.Equal(t, 50, k); return true })
	assert.Equal(t, 1, n)
}

func TestRunWithNoTargets(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{}
	sum, err := Run(context.Background(), stub, nil, Options{}, func(Token) error { t.Error("emit called"); return nil })
	require.NoError(t, err)
	assert.Zero(t, sum.Tokens)
	assert.Len(t, sum.Findings, len(AllFindings()))
	assert.Zero(t, stub.calls.Load())
}

// TestRunReadsExactlyConcurrencyScopesAtOnce holds every listing until
// `concurrency` of them run at once: with fewer workers the stub's hang
// guard fails the run, with more the high-water mark shows it.
func TestRunReadsExactlyConcurrencyScopesAtOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ concurrency, want int }{{1, 1}, {3, 3}, {0, DefaultConcurrency}, {16, 16}} {
		t.Run(fmt.Sprint(tc.concurrency), func(t *testing.T) {
			t.Parallel()
			full := make(chan struct{})
			var once sync.Once
			stub := &stubTokens{count: func(accesstokens.Scope) int { return 10 }}
			stub.enter = func(_ context.Context, s accesstokens.Scope) error {
				if scopeIndex(s) == 0 {
					return nil // the first scope is read alone (see TestRunReadsTheFirstScopeAloneUntilItIsAnswered)
				}
				if stub.inflight.Load() >= int64(tc.want) {
					once.Do(func() { close(full) })
				}
				return waitFor(full)
			}
			sum, err := Run(context.Background(), stub, scopes(60), Options{Concurrency: tc.concurrency}, func(Token) error { return nil })
			require.NoError(t, err)
			require.Empty(t, sum.Failed, "no listing hit the hang guard")
			assert.EqualValues(t, tc.want, stub.maxInflight.Load())
			assert.Equal(t, 600, sum.Tokens)
		})
	}
}

// TestRunReadsTheFirstScopeAloneUntilItIsAnswered: with wrong credentials,
// a run of 8 workers over 100 scopes makes one request, not eight.
func TestRunReadsTheFirstScopeAloneUntilItIsAnswered(t *testing.T) {
	t.Parallel()
	authErr := fmt.Errorf("GET /projects/P0: 401: %w", accesstokens.ErrAuthentication)
	var calls atomic.Int64
	second := make(chan struct{})
	var secondOnce sync.Once
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 3 }}
	stub.enter = func(context.Context, accesstokens.Scope) error {
		if calls.Add(1) == 1 {
			// Hold the first listing a moment: any other worker that is
			// not waiting for its answer starts meanwhile (and is counted).
			select {
			case <-second:
			case <-time.After(100 * time.Millisecond):
			}
		} else {
			secondOnce.Do(func() { close(second) })
		}
		return authErr
	}
	_, err := Run(context.Background(), stub, scopes(100), Options{Concurrency: 8}, func(Token) error { return nil })
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.EqualValues(t, 1, calls.Load(), "listings made with wrong credentials")
}

func TestRunNeverStartsMoreWorkersThanScopes(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 1 }}
	_, err := Run(context.Background(), stub, scopes(2), Options{Concurrency: 50}, func(Token) error { return nil })
	require.NoError(t, err)
	assert.LessOrEqual(t, stub.maxInflight.Load(), int64(2))
}

func TestRunRecordsUnreadableScopesAndGoesOn(t *testing.T) {
	t.Parallel()
	notFound := &accesstokens.Error{StatusCode: 404, Method: "GET", Path: "/projects/P3"}
	notPermitted := &accesstokens.Error{StatusCode: 401, Method: "GET", Path: "/projects/P7"}
	serverErr := &accesstokens.Error{StatusCode: 503, Method: "GET", Path: "/projects/P5"}
	stub := &stubTokens{
		count: func(accesstokens.Scope) int { return 700 },
		fail: func(s accesstokens.Scope) error {
			switch scopeIndex(s) {
			case 3:
				return notFound
			case 5:
				return serverErr // on a later page, after 300 tokens were read
			case 7:
				return notPermitted
			}
			return nil
		},
		failAfter: func(s accesstokens.Scope) int {
			if scopeIndex(s) == 5 {
				return 300
			}
			return 0
		},
	}
	c := &collector{t: t}
	sum, err := Run(context.Background(), stub, scopes(20), Options{Concurrency: 4, Rules: stubRules}, c.emit)
	require.NoError(t, err, "unreadable scopes do not fail the run")
	assert.Equal(t, 17, sum.ScopesRead)
	assert.False(t, sum.Complete())
	require.Len(t, sum.Failed, 3)
	failed := map[accesstokens.Scope]error{}
	for _, f := range sum.Failed {
		failed[f.Scope] = f.Err
	}
	assert.ErrorIs(t, failed[accesstokens.ProjectScope("P3")], accesstokens.ErrNotFound)
	assert.ErrorIs(t, failed[accesstokens.ProjectScope("P5")], accesstokens.ErrServer)
	assert.ErrorIs(t, failed[accesstokens.ProjectScope("P7")], accesstokens.ErrUnauthorized)
	assert.Equal(t, 17*700+300, sum.Tokens, "the tokens read before a failure are reported")
	assert.Len(t, c.tokens, sum.Tokens)
	assert.EqualValues(t, 20, stub.calls.Load(), "every scope was tried once")
}

// TestRunStopsAtOnceOnAuthenticationFailure: once a listing fails
// authentication, every listing that starts afterwards blocks until the run
// cancels it, so each worker can start at most one more: the bound is
// deterministic, and a run that did not cancel would hang into the guard.
func TestRunStopsAtOnceOnAuthenticationFailure(t *testing.T) {
	t.Parallel()
	const concurrency = 4
	authErr := fmt.Errorf("GET /projects/P10: 401: %w", accesstokens.ErrAuthentication)
	var failed atomic.Bool
	var after atomic.Int64
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 3 }}
	stub.enter = func(ctx context.Context, s accesstokens.Scope) error {
		if failed.Load() {
			after.Add(1)
			return waitForCancel(ctx)
		}
		if scopeIndex(s) == 10 {
			failed.Store(true)
			return authErr
		}
		return nil
	}
	c := &collector{t: t}
	sum, err := Run(context.Background(), stub, scopes(500), Options{Concurrency: concurrency}, c.emit)
	require.Error(t, err)
	assert.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Contains(t, err.Error(), "project:P10")
	assert.LessOrEqual(t, after.Load(), int64(concurrency-1), "listings started after the authentication failure")
	assert.Empty(t, sum.Failed, "scopes cut short by the stop are not reported as unreadable")
	assert.Contains(t, sum.Unread, accesstokens.ProjectScope("P10"), "the scope that met the failure was not read")
	assert.Equal(t, 500, sum.ScopesRead+len(sum.Unread), "every scope is either read or unread")
	assert.Len(t, c.tokens, sum.Tokens)
	assert.Zero(t, stub.inflight.Load(), "no listing runs on after Run returns")
}

func TestRunStopsWhenTheContextIsCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 1000 }}
	emitted := 0
	sum, err := Run(ctx, stub, scopes(100), Options{Concurrency: 4}, func(Token) error {
		emitted++
		if emitted == 100 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 100, emitted, "nothing is emitted after the cancel")
	assert.Equal(t, 100, sum.Tokens)
	assert.Empty(t, sum.Failed)
	assert.Len(t, sum.Unread, 100, "no scope of 1000 tokens was read to its end")
	assert.Zero(t, stub.inflight.Load())
	assert.Less(t, stub.calls.Load(), int64(100))
}

func TestRunStopsWhenTheContextIsCancelledDuringSlowReads(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 1 }}
	stub.enter = func(ctx context.Context, _ accesstokens.Scope) error {
		once.Do(func() { close(started) })
		return waitForCancel(ctx) // a server that does not answer
	}
	go func() {
		<-started
		cancel()
	}()
	sum, err := Run(ctx, stub, scopes(50), Options{Concurrency: 3}, func(Token) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, sum.Failed, "no listing hit the hang guard, and cancelled ones are not failures")
	assert.LessOrEqual(t, stub.calls.Load(), int64(3), "no listing starts after the cancel")
}

func TestRunReturnsEmitsError(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 500 }}
	boom := errors.New("disk full")
	emitted := 0
	sum, err := Run(context.Background(), stub, scopes(30), Options{Concurrency: 4}, func(Token) error {
		emitted++
		if emitted == 50 {
			return boom
		}
		return nil
	})
	assert.Same(t, boom, err, "emit's error as it is")
	assert.Equal(t, 50, emitted, "emit is not called again")
	assert.Equal(t, 49, sum.Tokens)
	assert.Equal(t, 30, sum.ScopesRead+len(sum.Unread), "every scope is either read or unread")
	assert.Equal(t, accesstokens.ProjectScope("P0"), sum.Unread[0], "in target order, the scope cut short first")
	assert.Zero(t, stub.inflight.Load())
}

func TestRunSucceedsWhenEverythingWasReadBeforeACancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 2 }}
	sum, err := Run(ctx, stub, scopes(1), Options{Progress: func(p Progress) {
		if p.ScopesDone == p.ScopesTotal {
			cancel()
		}
	}}, func(Token) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Tokens)
	assert.Empty(t, sum.Unread)
}

func TestRunReportsProgressAfterEachScope(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{
		count: func(s accesstokens.Scope) int { return scopeIndex(s) * 10 },
		fail: func(s accesstokens.Scope) error {
			if scopeIndex(s)%10 == 9 {
				return &accesstokens.Error{StatusCode: 404}
			}
			return nil
		},
		failAfter: func(accesstokens.Scope) int { return 0 },
	}
	var reports []Progress
	var running atomic.Int32
	emitted := 0
	sum, err := Run(context.Background(), stub, scopes(40), Options{Concurrency: 6, Progress: func(p Progress) {
		if running.Add(1) != 1 {
			t.Error("progress called concurrently")
		}
		reports = append(reports, p)
		assert.Equal(t, emitted, p.Tokens, "progress counts the tokens emitted so far")
		running.Add(-1)
	}}, func(Token) error { emitted++; return nil })
	require.NoError(t, err)
	require.Len(t, reports, 40, "one report per scope")
	for i, p := range reports {
		assert.Equal(t, i+1, p.ScopesDone)
		assert.Equal(t, 40, p.ScopesTotal)
		if i > 0 {
			assert.GreaterOrEqual(t, p.Tokens, reports[i-1].Tokens)
			assert.GreaterOrEqual(t, p.Failed, reports[i-1].Failed)
			assert.GreaterOrEqual(t, p.Elapsed, reports[i-1].Elapsed)
		}
	}
	last := reports[39]
	assert.Equal(t, sum.Tokens, last.Tokens)
	assert.Equal(t, 4, last.Failed)
	assert.Len(t, sum.Failed, 4)
}
