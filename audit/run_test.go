package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestRunShowsATokenWithABadDateAndReadsItsScopeOn: one token of a scope
// whose expiry cannot be read neither ends the scope nor hides its other
// tokens: all three are emitted in the server's order, the bad one flagged
// bad-date (and not no-expiry), and the scope counts as read.
func TestRunShowsATokenWithABadDateAndReadsItsScopeOn(t *testing.T) {
	t.Parallel()
	client := badDateClient(t)
	c := &collector{t: t}
	sum, err := Run(context.Background(), client.Tokens, TargetsOf(accesstokens.ProjectScope("PRJ"), accesstokens.ProjectScope("OK")),
		Options{Concurrency: 1, Rules: Rules{Now: fakeStart}}, c.emit)
	require.NoError(t, err)
	assert.True(t, sum.Complete(), "every scope was read: %v", sum.Failed)
	assert.Equal(t, 2, sum.ScopesRead)
	require.Len(t, c.tokens, 4)
	var names []string
	for _, tok := range c.tokens {
		names = append(names, tok.Name)
	}
	assert.Equal(t, []string{"first", "far-future", "third", "ok"}, names)
	bad := c.tokens[1]
	assert.Equal(t, []Finding{NeverUsed, BadDate}, bad.Findings)
	assert.Equal(t, []string{ExpiryDateField}, bad.UnreadDates)
	assert.Nil(t, bad.ExpiryDate)
	assert.Nil(t, bad.DaysLeft)
	assert.Equal(t, []Finding{NoExpiry, NeverUsed, Admin}, c.tokens[2].Findings, "the token after it is judged as usual")
	assert.Equal(t, 1, sum.Findings[BadDate])
	assert.Equal(t, 2, sum.Findings[NoExpiry], "third and ok; not far-future")
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
	// What was handed over when the reads stopped is still emitted: the
	// rest of the batch, the batches in the channel (one per worker), and
	// any a worker was handing over.
	assert.GreaterOrEqual(t, emitted, 100)
	assert.LessOrEqual(t, emitted, 100+(1+2*4)*batchSize, "no token read after the cancel")
	assert.Equal(t, emitted, sum.Tokens)
	assert.Empty(t, sum.Failed)
	assert.Equal(t, 100, sum.ScopesRead+len(sum.Unread), "every scope is either read or unread")
	assert.GreaterOrEqual(t, len(sum.Unread), 96, "no more than the batches in flight finish a scope")
	assert.False(t, sum.Complete(), "a stopped run is not complete")
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

// TestRunJudgesTheOwnerOfANamedUserScopeByItsTokens: TargetsOf knows
// nothing of the owners of the scopes it is given, so a personal token is
// inactive-owner when the token's own user is deactivated, as the server
// says in it (the same answer Targets gets from the directory).
func TestRunJudgesTheOwnerOfANamedUserScopeByItsTokens(t *testing.T) {
	t.Parallel()
	zed, amy, prj := accesstokens.UserScope("zed"), accesstokens.UserScope("amy"), accesstokens.ProjectScope("PRJ")
	token := func(id string, owner *accesstokens.User) accesstokens.AccessToken {
		return accesstokens.AccessToken{ID: id, Name: id, CreatedDate: stubNow, Permissions: []accesstokens.Permission{accesstokens.RepoRead}, User: owner}
	}
	tokens := fixedTokens{tokens: map[accesstokens.Scope][]accesstokens.AccessToken{
		zed: {token("1", &accesstokens.User{Slug: "zed", Type: "NORMAL", Active: false})},
		amy: {token("2", &accesstokens.User{Slug: "amy", Type: "NORMAL", Active: true}), token("3", nil)},
		prj: {token("4", &accesstokens.User{Slug: "bot", Type: "SERVICE", Active: false})},
	}}
	inactive := map[string]bool{}
	_, err := Run(context.Background(), tokens, TargetsOf(zed, amy, prj), Options{Rules: Rules{Now: stubNow}}, func(tok Token) error {
		inactive[tok.ID] = tok.Has(InactiveOwner)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"1": true, "2": false, "3": false, "4": false}, inactive)
}

// TestRunOnTheFakeMatchesWhatTheFakeHolds plays tokens of every kind out on
// the demo world's clock, audits it through the real SDK, and compares each
// token with the fake's own record.
func TestRunOnTheFakeMatchesWhatTheFakeHolds(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(fakeStart))
	defer srv.Close()
	prj := accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject)
	repo := accesstokenstest.RepoScopeString(accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
	alice := accesstokenstest.UserScopeString(accesstokenstest.DemoAlice)

	_, usedLongAgo := srv.MintToken(prj, "used-long-ago", 365, "PROJECT_READ", "REPO_READ")
	_, usedLately := srv.MintToken(repo, "used-lately", 365, "REPO_WRITE")
	srv.MintToken(prj, "expires-soon", 110, "PROJECT_ADMIN", "REPO_ADMIN")
	srv.MintToken(prj, "expired", 30, "PROJECT_READ", "REPO_READ")
	srv.MintToken(repo, "forever", 0, "REPO_ADMIN")
	srv.MintToken(alice, "alice-laptop", 0, "PROJECT_WRITE", "REPO_WRITE")
	srv.SeedTokens(repo, 1200) // more than a page of 1000
	useToken(t, srv, usedLongAgo)
	srv.Advance(100 * day)
	useToken(t, srv, usedLately)

	client := adminClient(t, srv)
	targets := TargetsOf(accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo),
		accesstokens.UserScope(accesstokenstest.DemoAlice), accesstokens.UserScope(accesstokenstest.DemoBob))
	rules := Rules{Now: srv.Now(), Expiring: 30 * day, Unused: 90 * day}
	var got []Token
	sum, err := Run(context.Background(), client.Tokens, targets, Options{Rules: rules}, func(tok Token) error {
		got = append(got, tok)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 4, sum.ScopesRead)
	assert.Empty(t, sum.Failed)
	compareWithFake(t, srv.Tokens(), got, rules)

	byName := map[string]Token{}
	for _, tok := range got {
		byName[tok.Name] = tok
	}
	assert.Equal(t, []Finding{Unused}, byName["used-long-ago"].Findings)
	assert.Equal(t, []Finding{}, byName["used-lately"].Findings)
	assert.Equal(t, []Finding{Expiring, NeverUsed, Admin}, byName["expires-soon"].Findings)
	assert.Equal(t, 10, *byName["expires-soon"].DaysLeft)
	assert.Equal(t, []Finding{Expired, NeverUsed}, byName["expired"].Findings)
	assert.Equal(t, -70, *byName["expired"].DaysLeft)
	assert.Equal(t, []Finding{NoExpiry, NeverUsed, Admin}, byName["forever"].Findings)
	assert.Equal(t, accesstokenstest.DemoAlice, byName["alice-laptop"].Owner())
	assert.Equal(t, 1206, sum.Tokens)
	assert.Equal(t, 1202, sum.Findings[NoExpiry])
}

func TestRunOnTheFakeReportsAMissingScopeAndGoesOn(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), "ci", 30, "PROJECT_READ", "REPO_READ")
	targets := TargetsOf(accesstokens.ProjectScope("NOPE"), accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.UserScope("ghost"))
	sum, err := Run(context.Background(), adminClient(t, srv).Tokens, targets, Options{}, func(Token) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Tokens)
	assert.Equal(t, 1, sum.ScopesRead)
	require.Len(t, sum.Failed, 2)
	for _, f := range sum.Failed {
		assert.ErrorIs(t, f.Err, accesstokens.ErrNotFound, f.Scope.String())
	}
}

// TestRunOnTheFakeStopsAtOnceOnBadCredentials: a wrong password must not be
// tried on every scope (servers lock accounts after a few failed logins).
func TestRunOnTheFakeStopsAtOnceOnBadCredentials(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, "wrong"))
	require.NoError(t, err)
	scopes := make([]accesstokens.Scope, 300)
	for i := range scopes {
		scopes[i] = accesstokens.UserScope(fmt.Sprintf("user%03d", i))
	}
	const concurrency = 4
	srv.ResetRequests()
	sum, err := Run(context.Background(), client.Tokens, TargetsOf(scopes...), Options{Concurrency: concurrency}, func(Token) error { return nil })
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Empty(t, sum.Failed)
	assert.LessOrEqual(t, len(srv.Requests()), concurrency, "at most the requests already under way when the first failed")
}

// TestAuditOfTheFakesWorldIsCorrectTokenByToken is the audit's correctness
// test: it audits the whole world through the real SDK (Targets, then Run)
// and compares every token with what the fake holds. Without -race it audits
// largeWorld (about 3 s); with -race, raceWorld. The CI runs it both ways.
func TestAuditOfTheFakesWorldIsCorrectTokenByToken(t *testing.T) {
	t.Parallel()
	world, wantTokens := largeWorld, 39_303
	if raceDetector {
		world, wantTokens = raceWorld, 7_863
	}
	start := time.Now()
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(world), accesstokenstest.WithClock(fakeStart))
	defer srv.Close()
	t.Logf("world: %d tokens, built in %v", srv.TokenCount(), time.Since(start))

	client := adminClient(t, srv)
	ctx := context.Background()
	start = time.Now()
	targets, err := Targets(ctx, client.Directory)
	require.NoError(t, err)
	t.Logf("targets: %d scopes in %v", len(targets), time.Since(start))

	rules := Rules{Now: srv.Now(), Expiring: 30 * day, Unused: 90 * day}
	got := make([]Token, 0, srv.TokenCount())
	start = time.Now()
	sum, err := Run(ctx, client.Tokens, targets, Options{Rules: rules}, func(tok Token) error {
		got = append(got, tok)
		return nil
	})
	require.NoError(t, err)
	t.Logf("run: %d tokens in %v", sum.Tokens, time.Since(start))
	require.Empty(t, sum.Failed)
	assert.Equal(t, len(targets), sum.ScopesRead)

	stored := srv.Tokens()
	start = time.Now()
	compareWithFake(t, stored, got, rules)
	t.Logf("compare: %v", time.Since(start))
	assert.Equal(t, wantTokens, len(stored))
	for _, f := range AllFindings() {
		if f != BadDate { // the fake stores dates it can write back
			assert.Positive(t, sum.Findings[f], "the world has %s tokens", f)
		}
	}
}

// streamJSONL audits `total` generated tokens (1000 per scope) through Run
// and the jsonl Writer into io.Discard, and returns the largest live heap
// seen: after a full GC at every tenth of the tokens.
func streamJSONL(t testing.TB, total int) (peak uint64) {
	const perScope = 1000
	stub := &stubTokens{count: func(accesstokens.Scope) int { return perScope }}
	w, err := NewWriter("jsonl", io.Discard, Meta{})
	require.NoError(t, err)
	every, n := total/10, 0
	var ms runtime.MemStats
	sum, err := Run(context.Background(), stub, scopes(total/perScope), Options{Concurrency: 8, Rules: stubRules}, func(tok Token) error {
		n++
		if n%every == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return w.Write(tok)
	})
	require.NoError(t, err)
	require.NoError(t, w.Close(*sum))
	require.Equal(t, total, sum.Tokens)
	return peak
}

// TestJSONLAuditMemoryDoesNotGrowWithTokens streams 20k and then 200k tokens
// and compares the live heap: kept tokens would cost some 300 bytes each,
// tens of megabytes at 200k; a streaming run holds the same few batches at
// any size. Deterministic: it measures bytes after GC, not time.
func TestJSONLAuditMemoryDoesNotGrowWithTokens(t *testing.T) {
	// Not parallel: other tests' allocations would blur the heap it reads.
	small := streamJSONL(t, 20_000)
	large := streamJSONL(t, 200_000)
	t.Logf("live heap: %d KiB at 20k tokens, %d KiB at 200k tokens", small>>10, large>>10)
	assert.Less(t, large, small+4<<20, "the live heap grew with the number of tokens")
}

// BenchmarkRunJSONL measures the engine alone (stub service, jsonl to
// io.Discard): time and allocations per token.
func BenchmarkRunJSONL(b *testing.B) {
	const perScope, nScopes = 1000, 20
	stub := &stubTokens{count: func(accesstokens.Scope) int { return perScope }}
	targets := scopes(nScopes)
	b.ReportAllocs()
	for range b.N {
		w, _ := NewWriter("jsonl", io.Discard, Meta{})
		sum, err := Run(context.Background(), stub, targets, Options{Rules: stubRules}, w.Write)
		if err != nil || sum.Tokens != perScope*nScopes {
			b.Fatal(err, sum.Tokens)
		}
		_ = w.Close(*sum)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perScope*nScopes), "ns/token")
}

// benchWorld is a fake with 200 projects of 3 tokens each; its scopes repeat
// to make n targets, one request each.
func benchWorld(b *testing.B, n int) (*accesstokenstest.Server, []Target) {
	b.Helper()
	srv := accesstokenstest.NewServer(accesstokenstest.WithRequestHistory(10))
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprintf("P%03d", i)
		srv.AddProject(keys[i], "Project "+keys[i])
		srv.SeedTokens(accesstokenstest.ProjectScopeString(keys[i]), 3)
	}
	targets := make([]Target, n)
	for i := range targets {
		targets[i] = TargetsOf(accesstokens.ProjectScope(keys[i%len(keys)]))[0]
	}
	return srv, targets
}

// BenchmarkAuditOnFake is the audit through the real SDK at 8 workers; one
// iteration is one scope (one request). Compare its scopes/s with
// BenchmarkHandWrittenLoopOnFake's:
//
//	go test -run '^$' -bench OnFake -benchtime 20000x ./audit/
//
// "default" is the SDK's own transport (a clone of http.DefaultTransport,
// which keeps 2 idle connections per host: 6 of the 8 workers' connections
// are closed and dialled again all the time); "pooled" gives the SDK the
// hand-written loop's transport, which keeps 8.
func BenchmarkAuditOnFake(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []accesstokens.Option
	}{
		{"default", nil},
		{"pooled", []accesstokens.Option{accesstokens.WithHTTPClient(&http.Client{Transport: pooledTransport()})}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv, targets := benchWorld(b, b.N)
			defer srv.Close()
			client, err := accesstokens.NewClient(srv.URL, append(tc.opts, accesstokens.WithBasicAuth("admin", "admin"))...)
			if err != nil {
				b.Fatal(err)
			}
			w, _ := NewWriter("jsonl", io.Discard, Meta{})
			b.ReportAllocs()
			b.ResetTimer()
			sum, err := Run(context.Background(), client.Tokens, targets, Options{Concurrency: 8}, w.Write)
			b.StopTimer()
			if err != nil || len(sum.Failed) > 0 || sum.Tokens != 3*b.N {
				b.Fatal(err, sum.Failed, sum.Tokens)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scopes/s")
		})
	}
}

// pooledTransport keeps an idle connection for each of 8 workers.
func pooledTransport() *http.Transport { return &http.Transport{MaxIdleConnsPerHost: 8} }

// BenchmarkHandWrittenLoopOnFake is the baseline: 8 goroutines taking scopes
// from a channel, one net/http GET per scope, the page decoded into a
// minimal struct.
func BenchmarkHandWrittenLoopOnFake(b *testing.B) {
	srv, targets := benchWorld(b, b.N)
	defer srv.Close()
	hc := &http.Client{Transport: pooledTransport()}
	queue := make(chan string, len(targets))
	for _, t := range targets {
		queue <- srv.URL + accesstokenstest.APIPath + "/projects/" + t.Scope.ProjectKey + "?limit=1000"
	}
	close(queue)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for url := range queue {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.SetBasicAuth("admin", "admin")
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var page struct {
					Values []struct {
						ID   string `json:"id"`
						Name string `json:"name"`
					} `json:"values"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Error(err, resp.Status)
					return
				}
				mu.Lock()
				tokens += len(page.Values)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if tokens != 3*b.N {
		b.Fatal(tokens)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scopes/s")
}

// TestRunEmitsAndCountsOnlyWhatKeepKeeps: with a filter (the command's
// --where), the tokens it drops are read but neither emitted nor counted
// in the summary; progress still counts every token read.
func TestRunEmitsAndCountsOnlyWhatKeepKeeps(t *testing.T) {
	t.Parallel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 100 }}
	where, err := ParseWhere("admin,expired")
	require.NoError(t, err)
	c := &collector{t: t}
	var last Progress
	sum, err := Run(context.Background(), stub, scopes(10), Options{Rules: stubRules, Keep: where.Match,
		Progress: func(p Progress) { last = p }}, c.emit)
	require.NoError(t, err)
	require.NotEmpty(t, c.tokens)
	for _, tok := range c.tokens {
		require.True(t, tok.Has(Admin) && tok.Has(Expired), "token %s kept", tok.ID)
	}
	assert.Equal(t, len(c.tokens), sum.Tokens)
	assert.Equal(t, sum.Tokens, sum.Findings[Admin], "the summary counts the kept tokens only")
	assert.Equal(t, sum.Tokens, sum.Findings[Expired])
	assert.Zero(t, sum.Findings[NoExpiry], "no kept token never expires")
	assert.Equal(t, 1000, last.Tokens, "progress counts what was read")
	assert.Equal(t, 10, sum.ScopesRead)
}

// TestRunEmitsWhatWasReadBeforeTheCancel: an interrupted audit keeps every
// token read before the interrupt, even those still on their way to emit:
// here the emitting side is behind (still on the first token) while the
// worker has read two scopes and is waiting for the third when ctx ends.
func TestRunEmitsWhatWasReadBeforeTheCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	entered := make(chan struct{})
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 10 }}
	stub.enter = func(ctx context.Context, s accesstokens.Scope) error {
		if scopeIndex(s) < 2 {
			return nil
		}
		cancel()
		close(entered)
		return waitForCancel(ctx)
	}
	c := &collector{t: t}
	sum, err := Run(ctx, stub, scopes(5), Options{Concurrency: 1, Rules: stubRules}, func(tok Token) error {
		if len(c.tokens) == 0 {
			require.NoError(t, waitFor(entered), "the worker reaches the third scope")
		}
		return c.emit(tok)
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Len(t, c.tokens, 20, "the tokens of the two scopes read")
	assert.Equal(t, 2, sum.ScopesRead)
	assert.Equal(t, []accesstokens.Scope{accesstokens.ProjectScope("P2"), accesstokens.ProjectScope("P3"), accesstokens.ProjectScope("P4")}, sum.Unread)
}
