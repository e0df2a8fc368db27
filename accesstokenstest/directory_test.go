// Tests of directory.go: the core REST API's projects, repositories and users.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestApplicationPropertiesNeedNoCredentials(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, root := range []string{accesstokenstest.CoreAPIPath, accesstokenstest.CoreAPIPath10} {
		res := callAt(t, srv.Client(), srv.URL+root+"/application-properties", http.MethodGet, nil, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.JSONEq(t, `{"version":"8.19.1","buildNumber":"8019001","buildDate":"1705913585952","displayName":"Bitbucket"}`, string(res.body))
	}
	res := core(t, srv, "/application-properties", basic("alice", "wrong"))
	assert.Equal(t, http.StatusUnauthorized, res.status, "wrong credentials fail even where none are needed")
}

// TestWhoSeesWhat: system admins see everything, project admins their projects and repositories,
// users without rights nothing, anonymous callers only application-properties.
func TestWhoSeesWhat(t *testing.T) {
	t.Parallel()
	srv := dirServer(t)
	tests := []struct {
		name             string
		c                cred
		projects         []string
		repos            []string // archived=ALL
		adminUsersStatus int
	}{
		{"system admin", asAdmin, []string{"OPS", "PRJ"}, []string{"OPS/infra", "PRJ/old", "PRJ/repo", "~BOB/scratch"}, http.StatusOK},
		{"project admin of PRJ", asAlice, []string{"PRJ"}, []string{"PRJ/old", "PRJ/repo"}, http.StatusUnauthorized},
		{"no rights but a personal project", asBob, nil, []string{"~BOB/scratch"}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.projects, field(values(t, core(t, srv, "/projects", tt.c)), "key"))
			var repos []string
			for _, v := range values(t, core(t, srv, "/repos?archived=ALL", tt.c)) {
				repos = append(repos, v["project"].(map[string]any)["key"].(string)+"/"+v["slug"].(string))
			}
			assert.Equal(t, tt.repos, repos)
			assert.Equal(t, tt.adminUsersStatus, core(t, srv, "/admin/users", tt.c).status)
			assert.Equal(t, http.StatusOK, core(t, srv, "/users", tt.c).status)
		})
	}
	t.Run("no credentials", func(t *testing.T) {
		for _, p := range []string{"/projects", "/repos", "/admin/users", "/users", "/projects/PRJ/repos"} {
			res := core(t, srv, p, nil)
			assert.Equal(t, http.StatusUnauthorized, res.status, p)
			assert.Equal(t, accesstokenstest.ExceptionAuthorisation, res.firstError(t)["exceptionName"], p)
		}
	})
	t.Run("a token acts as its owner, and never as an admin", func(t *testing.T) {
		_, secret := srv.MintToken(accesstokenstest.ProjectScopeString("OPS"), "ci", 0, "PROJECT_READ")
		assert.Equal(t, []string{"OPS"}, field(values(t, core(t, srv, "/projects", bearer(secret))), "key"))
		_, adminSecret := srv.MintToken(accesstokenstest.UserScopeString("admin"), "ci", 0, "PROJECT_ADMIN", "REPO_ADMIN")
		assert.Equal(t, http.StatusUnauthorized, core(t, srv, "/admin/users", bearer(adminSecret)).status)
	})
}

func TestReposArchivedFilter(t *testing.T) {
	t.Parallel()
	srv := dirServer(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"infra", "repo", "scratch"}}, // ACTIVE by default
		{"?archived=ACTIVE", []string{"infra", "repo", "scratch"}},
		{"?archived=archived", []string{"old"}},
		{"?archived=All", []string{"infra", "old", "repo", "scratch"}},
		{"?archived=ALL&projectkey=prj", []string{"old", "repo"}},
		{"?name=SCR", []string{"scratch"}},
	}
	for _, tt := range tests {
		vals := values(t, core(t, srv, "/repos"+tt.query, asAdmin))
		assert.Equal(t, tt.want, field(vals, "slug"), tt.query)
		for _, v := range vals {
			assert.Equal(t, v["slug"] == "old", v["archived"], tt.query)
		}
	}
	for _, q := range []string{"?archived=yes", "?visibility=secret", "?permission=REPO_OWNER", "?limit=-1", "?start=x"} {
		res := core(t, srv, "/repos"+q, asAdmin)
		assert.Equal(t, http.StatusBadRequest, res.status, q)
		assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, res.firstError(t)["exceptionName"], q)
	}
}

func TestPersonalRepositoriesAreListedAndServeTokens(t *testing.T) {
	t.Parallel()
	srv := dirServer(t)
	var personal map[string]any
	for _, v := range values(t, core(t, srv, "/repos", asAdmin)) {
		if v["slug"] == "scratch" {
			personal = v
		}
	}
	require.NotNil(t, personal)
	project := personal["project"].(map[string]any)
	assert.Equal(t, "~BOB", project["key"])
	assert.Equal(t, "PERSONAL", project["type"])
	assert.Equal(t, "bob", project["owner"].(map[string]any)["slug"])
	assert.NotContains(t, field(values(t, core(t, srv, "/projects", asAdmin)), "key"), "~BOB", "personal projects are not in /projects")

	path := "/projects/~BOB/repos/scratch"
	id, _ := create(t, srv, path, asBob, repoReadBody)
	assert.Equal(t, accesstokenstest.RepoScopeString("~BOB", "scratch"), srv.Tokens()[0].Scope)
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, path+"/"+id, asAdmin, "").status, "system admin")
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, path, asAlice, "").status, "someone else")
	assert.Equal(t, []string{"scratch"}, field(values(t, core(t, srv, "/projects/~BOB/repos", asBob)), "slug"))
}

func TestUserLists(t *testing.T) {
	t.Parallel()
	srv := dirServer(t, pinned)
	// alice logs in once; bob never does.
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)

	admin := values(t, core(t, srv, "/admin/users?limit=1000", asAdmin))
	byName := map[string]map[string]any{}
	for _, u := range admin {
		byName[u["name"].(string)] = u
	}
	require.Contains(t, byName, "carol")
	assert.Equal(t, false, byName["carol"]["active"], "deactivated users are listed, inactive")
	assert.Equal(t, srv.Now().UnixMilli(), num(t, byName["alice"]["lastAuthenticationTimestamp"]))
	assert.NotContains(t, byName["carol"], "lastAuthenticationTimestamp", "never logged in")
	assert.Equal(t, "NORMAL", byName["alice"]["type"])
	bot := byName["access-token-user/1/1"]
	require.NotNil(t, bot, "the bots that own project and repository tokens are listed")
	assert.Equal(t, "SERVICE", bot["type"])
	assert.Nil(t, bot["emailAddress"])

	plain := field(values(t, core(t, srv, "/users?limit=1000", asBob)), "name")
	assert.Contains(t, plain, "alice")
	assert.NotContains(t, plain, "carol", "the plain list holds active users only")
	assert.Equal(t, []string{"alice"}, field(values(t, core(t, srv, "/users?filter=ALI", asBob)), "name"))

	// A bot is no personal-token scope.
	res := call(t, srv, http.MethodGet, "/users/"+bot["slug"].(string), asAdmin, "")
	assert.Equal(t, http.StatusNotFound, res.status)

	// A deactivated user cannot authenticate, by password or token.
	_, secret := srv.MintToken(accesstokenstest.UserScopeString("carol"), "old", 0, "REPO_READ")
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, "/users/carol", basic("carol", "carol-pw-1"), "").status)
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, "/users/carol", bearer(secret), "").status)
	toks := srv.Tokens()
	require.Len(t, toks, 1)
	assert.False(t, toks[0].OwnerActive)
}

func TestCoreListsPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.World{Projects: 30, ReposPerProject: 2, Users: 5, Seed: 3}))
	var keys []string
	start := "0"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		res := core(t, srv, "/projects?limit=7&start="+start, asAdmin)
		keys = append(keys, field(values(t, res), "key")...)
		page := res.object(t)
		if page["isLastPage"].(bool) {
			assert.NotContains(t, page, "nextPageStart")
			break
		}
		start = string(page["nextPageStart"].(interface{ String() string }).String())
	}
	assert.Len(t, keys, 30)
	assert.IsIncreasing(t, keys)
	page := core(t, srv, "/repos?start=1000", asAdmin).object(t)
	assert.Equal(t, true, page["isLastPage"])
	assert.Empty(t, page["values"])
}

// TestCoreRightsMatrix: every kind of caller against every core list, status and what it sees
// (project keys; repositories as KEY/slug with archived=ALL; for /projects/PRJ/repos, slugs).
func TestCoreRightsMatrix(t *testing.T) {
	t.Parallel()
	srv := dirServer(t)
	_, projectToken := srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "p", 0, "PROJECT_READ")
	_, repoToken := srv.MintToken(accesstokenstest.RepoScopeString("OPS", "infra"), "r", 0, "REPO_READ")
	_, aliceToken := srv.MintToken(accesstokenstest.UserScopeString("alice"), "a", 0, "REPO_READ")
	_, bobToken := srv.MintToken(accesstokenstest.UserScopeString("bob"), "b", 0, "REPO_READ")
	type want struct {
		projects, repos, prjRepos []string
		prjReposStatus            int
		adminUsers                int
	}
	all := []string{"OPS/infra", "PRJ/old", "PRJ/repo", "~BOB/scratch"}
	tests := []struct {
		name string
		c    cred
		want want
	}{
		{"system admin", asAdmin, want{[]string{"OPS", "PRJ"}, all, []string{"old", "repo"}, 200, 200}},
		{"project admin of PRJ", asAlice, want{[]string{"PRJ"}, []string{"PRJ/old", "PRJ/repo"}, []string{"old", "repo"}, 200, 401}},
		{"alice's personal token", bearer(aliceToken), want{[]string{"PRJ"}, []string{"PRJ/old", "PRJ/repo"}, []string{"old", "repo"}, 200, 401}},
		{"alice's token as Basic password", basic("alice", aliceToken), want{[]string{"PRJ"}, []string{"PRJ/old", "PRJ/repo"}, []string{"old", "repo"}, 200, 401}},
		{"no rights", asBob, want{nil, []string{"~BOB/scratch"}, nil, 401, 401}},
		{"bob's personal token", bearer(bobToken), want{nil, []string{"~BOB/scratch"}, nil, 401, 401}},
		{"PRJ's project token", bearer(projectToken), want{[]string{"PRJ"}, []string{"PRJ/old", "PRJ/repo"}, []string{"old", "repo"}, 200, 401}},
		{"OPS/infra's repository token", bearer(repoToken), want{[]string{"OPS"}, []string{"OPS/infra"}, nil, 401, 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want.projects, field(values(t, core(t, srv, "/projects", tt.c)), "key"))
			var repos []string
			for _, v := range values(t, core(t, srv, "/repos?archived=ALL", tt.c)) {
				repos = append(repos, v["project"].(map[string]any)["key"].(string)+"/"+v["slug"].(string))
			}
			assert.Equal(t, tt.want.repos, repos)
			res := core(t, srv, "/projects/PRJ/repos", tt.c)
			require.Equal(t, tt.want.prjReposStatus, res.status, "%s", res.body)
			if res.status == http.StatusOK {
				assert.Equal(t, tt.want.prjRepos, field(values(t, res), "slug"))
			} else {
				assert.Equal(t, accesstokenstest.ExceptionAuthorisation, res.firstError(t)["exceptionName"])
			}
			res = core(t, srv, "/admin/users", tt.c)
			assert.Equal(t, tt.want.adminUsers, res.status)
			if res.status != http.StatusOK {
				assert.Equal(t, accesstokenstest.ExceptionAuthorisation, res.firstError(t)["exceptionName"])
			}
			assert.Equal(t, http.StatusOK, core(t, srv, "/users", tt.c).status, "any authenticated caller")
			assert.Equal(t, http.StatusOK, core(t, srv, "/application-properties", tt.c).status)
		})
	}
	for _, c := range []cred{nil, basic("alice", "wrong"), bearer("BBDC-not-a-token"), basic("bob", aliceToken)} {
		for _, p := range []string{"/projects", "/repos", "/projects/PRJ/repos", "/admin/users", "/users"} {
			assert.Equal(t, http.StatusUnauthorized, core(t, srv, p, c).status, p)
		}
	}
}

// TestCorePagingEdges: the core lists page as the token lists do (30 projects, as admin).
func TestCorePagingEdges(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.World{Projects: 30, Seed: 5}),
		accesstokenstest.WithMaxPageLimit(20))
	tests := []struct {
		query              string
		size, limit, start int
		last               bool
		nextStart          any
	}{
		{"", 20, 20, 0, false, "20"}, // the default 25, capped at 20
		{"?limit=0", 20, 20, 0, false, "20"},
		{"?limit=5000", 20, 20, 0, false, "20"},
		{"?limit=7&start=21", 7, 7, 21, false, "28"},
		{"?limit=2&start=28", 2, 2, 28, true, nil}, // an exact fit is the last page
		{"?start=30", 0, 20, 30, true, nil},
		{"?start=9223372036854775807", 0, 20, 9223372036854775807, true, nil},
	}
	for _, tt := range tests {
		res := core(t, srv, "/projects"+tt.query, asAdmin)
		vals := values(t, res)
		page := res.object(t)
		assert.Len(t, vals, tt.size, tt.query)
		assert.EqualValues(t, tt.limit, num(t, page["limit"]), tt.query)
		assert.EqualValues(t, tt.start, num(t, page["start"]), tt.query)
		assert.Equal(t, tt.last, page["isLastPage"], tt.query)
		if tt.nextStart == nil {
			assert.NotContains(t, page, "nextPageStart", tt.query)
		} else {
			assert.Equal(t, tt.nextStart, fmt.Sprint(page["nextPageStart"]), tt.query)
		}
	}
	for _, q := range []string{"limit=-1", "start=-1", "limit=ten", "start=1.5", "limit=99999999999999999999", "limit=%zz"} {
		for _, p := range []string{"/projects", "/repos", "/users", "/admin/users", "/projects/PLAT/repos"} {
			res := core(t, srv, p+"?"+q, asAdmin)
			assert.Equal(t, http.StatusBadRequest, res.status, "%s?%s", p, q)
			assert.NotEmpty(t, res.firstError(t)["message"], "%s?%s", p, q)
		}
	}
}
