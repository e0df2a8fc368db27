// Tests of world.go: generated worlds.

package accesstokenstest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// findings classifies a token as the accesstokens command's audit does, at now.
func findings(tok accesstokenstest.TokenInfo, now time.Time) []string {
	var out []string
	switch {
	case tok.Expiry == nil:
		out = append(out, "no-expiry")
	case !now.Before(*tok.Expiry):
		out = append(out, "expired")
	case tok.Expiry.Sub(now) <= 30*24*time.Hour:
		out = append(out, "expiring")
	}
	switch {
	case tok.LastAuthenticated == nil:
		out = append(out, "never-used")
	case now.Sub(*tok.LastAuthenticated) > 90*24*time.Hour:
		out = append(out, "unused")
	}
	if slices.Contains(tok.Permissions, "PROJECT_ADMIN") || slices.Contains(tok.Permissions, "REPO_ADMIN") {
		out = append(out, "admin")
	}
	if strings.HasPrefix(tok.Scope, "user:") && !tok.OwnerActive {
		out = append(out, "inactive-owner")
	}
	return out
}

func TestDemoWorldHasEveryFindingWithTheRealClock(t *testing.T) {
	t.Parallel()
	before := time.Now()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	toks := srv.Tokens()
	require.Len(t, toks, 54)

	counts := map[string]int{}
	kinds := map[string]int{}
	for _, tok := range toks {
		for _, f := range findings(tok, time.Now()) {
			counts[f]++
		}
		kinds[strings.SplitN(tok.Scope, ":", 2)[0]]++
		assert.True(t, tok.Created.Before(before), "%s created in the past", tok.ID)
		if tok.LastAuthenticated != nil {
			assert.False(t, tok.LastAuthenticated.Before(tok.Created), "%s used before it was created", tok.ID)
			assert.False(t, tok.LastAuthenticated.After(time.Now()), "%s used in the future", tok.ID)
			if tok.Expiry != nil {
				assert.False(t, tok.LastAuthenticated.After(*tok.Expiry), "%s used after it expired", tok.ID)
			}
		}
		if tok.Expiry != nil {
			days := tok.Expiry.Sub(tok.Created) / (24 * time.Hour)
			assert.Equal(t, tok.Created.Add(days*24*time.Hour), *tok.Expiry, "%s: expiry is created + whole days", tok.ID)
		}
	}
	for _, f := range []string{"expired", "expiring", "no-expiry", "never-used", "unused", "admin", "inactive-owner"} {
		assert.Positive(t, counts[f], "the demo world has %s tokens: %v", f, counts)
	}
	assert.Equal(t, map[string]int{"user": 18, "project": 8, "repo": 28}, kinds)

	// admin/admin is a system administrator who sees all of it.
	assert.Len(t, values(t, core(t, srv, "/projects", asAdmin)), 4)
	repos := values(t, core(t, srv, "/repos?archived=ALL&limit=100", asAdmin))
	assert.Len(t, repos, 14)
	archived, personal := 0, 0
	for _, r := range repos {
		if r["archived"].(bool) {
			archived++
		}
		if r["project"].(map[string]any)["type"] == "PERSONAL" {
			personal++
		}
	}
	assert.Equal(t, 3, archived)
	assert.Equal(t, 2, personal)
	inactive := 0
	for _, u := range values(t, core(t, srv, "/admin/users?limit=1000", asAdmin)) {
		if u["active"] == false {
			inactive++
		}
	}
	assert.Equal(t, 2, inactive)
}

func TestWorldsAreDeterministic(t *testing.T) {
	t.Parallel()
	w := accesstokenstest.World{Projects: 5, ReposPerProject: 4, Users: 30, TokensPerScope: 3, Seed: 42}
	clock := accesstokenstest.WithClock(accesstokenstest.DefaultStartTime())
	a := accesstokenstest.NewFake(accesstokenstest.WithWorld(w), clock).Tokens()
	b := accesstokenstest.NewFake(accesstokenstest.WithWorld(w), clock).Tokens()
	assert.Equal(t, a, b)
	w.Seed = 43
	c := accesstokenstest.NewFake(accesstokenstest.WithWorld(w), clock).Tokens()
	assert.NotEqual(t, a, c, "another seed, another world")
	assert.Len(t, a, (31+5+20+share(30, 0.05))*3)
}

// share mirrors the generator's default count: 5% of users with a personal project, at least one.
func share(n int, s float64) int { return max(1, int(float64(n)*s+0.5)) }

// TestWorldTokensMatchTheWire lists every scope of a small world over HTTP, as admin, and finds
// exactly the tokens Tokens reports.
func TestWorldTokensMatchTheWire(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.World{Projects: 3, ReposPerProject: 2, Users: 6, TokensPerScope: 2, Seed: 7}))
	want := map[string]accesstokenstest.TokenInfo{}
	for _, tok := range srv.Tokens() {
		want[tok.ID] = tok
	}
	got := 0
	for _, u := range values(t, core(t, srv, "/admin/users?limit=1000", asAdmin)) {
		if u["type"] == "SERVICE" {
			continue
		}
		got += len(checkScope(t, srv, "/users/"+u["slug"].(string), want))
	}
	for _, p := range values(t, core(t, srv, "/projects?limit=1000", asAdmin)) {
		got += len(checkScope(t, srv, "/projects/"+p["key"].(string), want))
	}
	for _, r := range values(t, core(t, srv, "/repos?archived=ALL&limit=1000", asAdmin)) {
		got += len(checkScope(t, srv, "/projects/"+r["project"].(map[string]any)["key"].(string)+"/repos/"+r["slug"].(string), want))
	}
	assert.Equal(t, len(want), got)
}

func checkScope(t *testing.T, srv *accesstokenstest.Server, path string, want map[string]accesstokenstest.TokenInfo) []string {
	t.Helper()
	res := call(t, srv, http.MethodGet, path+"?limit=1000", asAdmin, "")
	vals := values(t, res)
	for _, v := range vals {
		w, ok := want[v["id"].(string)]
		require.True(t, ok, "unknown token %v in %s", v["id"], path)
		assert.Equal(t, w.Created.UnixMilli(), num(t, v["createdDate"]))
		assert.Equal(t, w.OwnerSlug, v["user"].(map[string]any)["slug"])
		if w.Expiry == nil {
			assert.NotContains(t, v, "expiryDate")
		} else {
			assert.Equal(t, w.Expiry.UnixMilli(), num(t, v["expiryDate"]))
		}
	}
	return field(vals, "id")
}

// TestAuditSizedWorld builds an audit-sized world: 1,000 projects of 10 repositories, 2,000
// users, 3 tokens a scope (about 40k tokens). The start-up goal (< 2 s, < 200 MB) is measured by
// BenchmarkWorldStartup and cmd/accesstokens-fake; this checks its shape.
func TestAuditSizedWorld(t *testing.T) {
	t.Parallel()
	f := accesstokenstest.NewFake(accesstokenstest.WithWorld(accesstokenstest.World{
		Projects: 1000, ReposPerProject: 10, Users: 2000, TokensPerScope: 3, Seed: 1}))
	// admin + 2000 users, 1000 projects, 10,000 repositories + 100 personal ones.
	assert.Equal(t, (2001+1000+10_100)*3, f.TokenCount())
}

func TestResetRestoresTheSeededWorld(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.DemoWorld()), pinned)
	before := srv.Tokens()
	create(t, srv, "/users/alice", basic("alice", "alice"), repoReadBody)
	call(t, srv, http.MethodDelete, "/projects/PLAT/"+tokenOf(before, "project:PLAT"), asAdmin, "")
	srv.Advance(time.Hour)
	srv.SetExpiryPolicy(30)
	srv.InjectFault(accesstokenstest.Fault{Status: 500})

	srv.Reset()
	assert.Equal(t, before, srv.Tokens())
	assert.Equal(t, accesstokenstest.DefaultStartTime(), srv.Now())
	assert.Zero(t, srv.ExpiryPolicy())
	assert.Zero(t, srv.PendingFaults())
	assert.Empty(t, srv.Requests())
}

func tokenOf(toks []accesstokenstest.TokenInfo, scope string) string {
	for _, t := range toks {
		if t.Scope == scope {
			return t.ID
		}
	}
	return ""
}
