package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTargetsOnTheFakeFindEveryScope enumerates the demo world through the
// real Directory and compares the scopes with those of the fake's tokens
// (every scope of a generated world holds tokens).
func TestTargetsOnTheFakeFindEveryScope(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	defer srv.Close()
	targets, err := audit.Targets(context.Background(), adminClient(t, srv).Directory)
	require.NoError(t, err)

	want := map[string]bool{} // scope → owner active
	archived := 0
	for _, info := range srv.Tokens() {
		want[info.Scope] = info.OwnerActive
		if info.RepoArchived {
			archived++
		}
	}
	got := map[string]bool{}
	for _, tg := range targets {
		s := tg.Scope.String()
		require.NotContains(t, got, s, "scope listed twice")
		got[s] = tg.OwnerActive
	}
	assert.Equal(t, want, got)
	assert.Positive(t, archived, "the world has archived repositories, and they are audited")
	assert.Contains(t, got, "repo:~ALICE/scratch", "personal projects' repositories are audited")
	assert.NotContains(t, got, "project:~ALICE", "personal projects are no project scopes")
	assert.False(t, got["user:carol"], "a deactivated user's scope says so")
	assert.True(t, got["user:alice"])
	services := 0
	for u, err := range adminClient(t, srv).Directory.Users(context.Background()) {
		require.NoError(t, err)
		if u.Type == "SERVICE" {
			services++
		}
	}
	require.Positive(t, services, "the directory lists SERVICE users, so skipping them is put to the test")
	for s := range got {
		assert.NotContains(t, s, "access-token-user", "SERVICE users are skipped")
	}
}

// issueWorld is issue 12's world: 1,000 projects of 10 repositories, 2,000
// users, 3 tokens in every scope: 13,101 scopes (with 100 personal
// projects' repositories) and 39,303 tokens.
var issueWorld = accesstokenstest.World{Projects: 1000, ReposPerProject: 10, Users: 2000, TokensPerScope: 3, Seed: 12}

// raceWorld is a fifth of it, for runs under the race detector (the whole
// world takes some 15 s there, on two cores, alone): 2,621 scopes, 7,863 tokens.
var raceWorld = accesstokenstest.World{Projects: 200, ReposPerProject: 10, Users: 400, TokensPerScope: 3, Seed: 12}

// TestAuditOfTheFakesWorldIsCorrectTokenByToken is issue 12's correctness
// test: it audits the whole world through the real SDK (Targets, then Run)
// and compares every token with what the fake holds. Without -race it audits
// issueWorld (about 3 s); with -race, raceWorld. The CI runs it both ways.
func TestAuditOfTheFakesWorldIsCorrectTokenByToken(t *testing.T) {
	t.Parallel()
	world, wantTokens := issueWorld, 39_303
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
	targets, err := audit.Targets(ctx, client.Directory)
	require.NoError(t, err)
	t.Logf("targets: %d scopes in %v", len(targets), time.Since(start))

	rules := audit.Rules{Now: srv.Now(), Expiring: 30 * day, Unused: 90 * day}
	got := make([]audit.Token, 0, srv.TokenCount())
	start = time.Now()
	sum, err := audit.Run(ctx, client.Tokens, targets, audit.Options{Rules: rules}, func(tok audit.Token) error {
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
	for _, f := range audit.AllFindings() {
		assert.Positive(t, sum.Findings[f], "the world has %s tokens", f)
	}
}
