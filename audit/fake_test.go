package audit_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const day = 24 * time.Hour

// fakeStart pins the fake's clock, so that days left are exact.
var fakeStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// useToken authenticates once with a token's secret, which the fake records
// as the token's last use (whatever the answer).
func useToken(t *testing.T, srv *accesstokenstest.Server, secret string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+accesstokenstest.APIPath+"/projects/"+accesstokenstest.DemoProject, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
}

// adminClient is the real SDK client on the fake, as the demo's admin.
func adminClient(t testing.TB, srv *accesstokenstest.Server) *accesstokens.Client {
	t.Helper()
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	require.NoError(t, err)
	return c
}

// wantFindings recomputes a stored token's findings from the fake's own
// record, independently of the audit package, by the contract's table.
func wantFindings(info accesstokenstest.TokenInfo, r audit.Rules) []audit.Finding {
	now := r.Now
	out := []audit.Finding{}
	if info.Expiry != nil && !info.Expiry.After(now) {
		out = append(out, audit.Expired)
	}
	if info.Expiry != nil && info.Expiry.After(now) && !info.Expiry.After(now.Add(r.Expiring)) {
		out = append(out, audit.Expiring)
	}
	if info.Expiry == nil {
		out = append(out, audit.NoExpiry)
	}
	if info.LastAuthenticated == nil {
		out = append(out, audit.NeverUsed)
	} else if now.Sub(*info.LastAuthenticated) > r.Unused {
		out = append(out, audit.Unused)
	}
	if slices.Contains(info.Permissions, "PROJECT_ADMIN") || slices.Contains(info.Permissions, "REPO_ADMIN") {
		out = append(out, audit.Admin)
	}
	if !info.OwnerActive && strings.HasPrefix(info.Scope, "user:") {
		out = append(out, audit.InactiveOwner)
	}
	return out
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// compareWithFake checks that the audit saw every token the fake holds, and
// only those, each exactly: scope, id, name, dates, permissions, owner and
// findings (which the fake does not know: they are recomputed from its record).
func compareWithFake(t *testing.T, stored []accesstokenstest.TokenInfo, got []audit.Token, r audit.Rules) {
	t.Helper()
	require.Equal(t, len(stored), len(got), "the audit saw as many tokens as the fake holds")
	type key struct{ scope, id string }
	seen := make(map[key]audit.Token, len(got))
	for _, tok := range got {
		k := key{tok.Scope.String(), tok.ID}
		_, dup := seen[k]
		require.False(t, dup, "token %v emitted twice", k)
		seen[k] = tok
	}
	for _, info := range stored {
		tok, ok := seen[key{info.Scope, info.ID}]
		require.True(t, ok, "token %s of %s missing from the audit", info.ID, info.Scope)
		ok = tok.Name == info.Name &&
			tok.CreatedDate.Equal(info.Created) &&
			timesEqual(tok.ExpiryDate, info.Expiry) &&
			timesEqual(tok.LastAuthenticated, info.LastAuthenticated) &&
			tok.User != nil && tok.User.Name == info.Owner && tok.Owner() == info.OwnerSlug &&
			slices.Equal(permissionNames(tok.Permissions), info.Permissions) &&
			slices.Equal(tok.Findings, wantFindings(info, r))
		if !ok {
			require.Failf(t, "token differs from the fake's", "token %s of %s:\naudit: %+v\nfake:  %+v\nwant findings %v",
				info.ID, info.Scope, tok, info, wantFindings(info, r))
		}
		if tok.ExpiryDate == nil {
			require.Nil(t, tok.DaysLeft)
		} else {
			require.NotNil(t, tok.DaysLeft)
			left, d := tok.ExpiryDate.Sub(r.Now), time.Duration(*tok.DaysLeft)
			if left == 0 {
				require.Equal(t, -1, *tok.DaysLeft, "expired this instant")
			} else {
				require.True(t, d*day <= left && left < (d+1)*day, "daysLeft %d for %v left", d, left)
			}
		}
	}
}

func permissionNames(ps []accesstokens.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// TestRunOnTheFakeMatchesWhatTheFakeHolds plays tokens of every kind out on
// the demo world's clock, audits it through the real SDK, and compares each
// token with the fake's own record.
func TestRunOnTheFakeMatchesWhatTheFakeHolds(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(fakeStart))
	defer srv.Close()
	prj := accesstokenstest.ProjectScope(accesstokenstest.DemoProject)
	repo := accesstokenstest.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
	alice := accesstokenstest.UserScope(accesstokenstest.DemoAlice)

	_, usedLongAgo := srv.IssueToken(prj, "used-long-ago", 365, "PROJECT_READ", "REPO_READ")
	_, usedLately := srv.IssueToken(repo, "used-lately", 365, "REPO_WRITE")
	srv.IssueToken(prj, "expires-soon", 110, "PROJECT_ADMIN", "REPO_ADMIN")
	srv.IssueToken(prj, "expired", 30, "PROJECT_READ", "REPO_READ")
	srv.IssueToken(repo, "forever", 0, "REPO_ADMIN")
	srv.IssueToken(alice, "alice-laptop", 0, "PROJECT_WRITE", "REPO_WRITE")
	srv.SeedTokens(repo, 1200) // more than a page of 1000
	useToken(t, srv, usedLongAgo)
	srv.Advance(100 * day)
	useToken(t, srv, usedLately)

	client := adminClient(t, srv)
	targets := audit.TargetsOf(accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo),
		accesstokens.UserScope(accesstokenstest.DemoAlice), accesstokens.UserScope(accesstokenstest.DemoBob))
	rules := audit.Rules{Now: srv.Now(), Expiring: 30 * day, Unused: 90 * day}
	var got []audit.Token
	sum, err := audit.Run(context.Background(), client.Tokens, targets, audit.Options{Rules: rules}, func(tok audit.Token) error {
		got = append(got, tok)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 4, sum.ScopesRead)
	assert.Empty(t, sum.Failed)
	compareWithFake(t, srv.Tokens(), got, rules)

	byName := map[string]audit.Token{}
	for _, tok := range got {
		byName[tok.Name] = tok
	}
	assert.Equal(t, []audit.Finding{audit.Unused}, byName["used-long-ago"].Findings)
	assert.Equal(t, []audit.Finding{}, byName["used-lately"].Findings)
	assert.Equal(t, []audit.Finding{audit.Expiring, audit.NeverUsed, audit.Admin}, byName["expires-soon"].Findings)
	assert.Equal(t, 10, *byName["expires-soon"].DaysLeft)
	assert.Equal(t, []audit.Finding{audit.Expired, audit.NeverUsed}, byName["expired"].Findings)
	assert.Equal(t, -70, *byName["expired"].DaysLeft)
	assert.Equal(t, []audit.Finding{audit.NoExpiry, audit.NeverUsed, audit.Admin}, byName["forever"].Findings)
	assert.Equal(t, accesstokenstest.DemoAlice, byName["alice-laptop"].Owner())
	assert.Equal(t, 1206, sum.Tokens)
	assert.Equal(t, 1202, sum.Findings[audit.NoExpiry])
}

func TestRunOnTheFakeReportsAMissingScopeAndGoesOn(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.IssueToken(accesstokenstest.ProjectScope(accesstokenstest.DemoProject), "ci", 30, "PROJECT_READ", "REPO_READ")
	targets := audit.TargetsOf(accesstokens.ProjectScope("NOPE"), accesstokens.ProjectScope(accesstokenstest.DemoProject),
		accesstokens.UserScope("ghost"))
	sum, err := audit.Run(context.Background(), adminClient(t, srv).Tokens, targets, audit.Options{}, func(audit.Token) error { return nil })
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
	sum, err := audit.Run(context.Background(), client.Tokens, audit.TargetsOf(scopes...), audit.Options{Concurrency: concurrency}, func(audit.Token) error { return nil })
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Empty(t, sum.Failed)
	assert.LessOrEqual(t, len(srv.Requests()), concurrency, "at most the requests already under way when the first failed")
}
