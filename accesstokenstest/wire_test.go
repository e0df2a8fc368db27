// Tests of wire.go: the JSON shapes the fake sends.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestUserTokenJSONHasTheRealShape(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pinned)
	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, readBody)
	require.Equal(t, http.StatusOK, res.status)
	tok := res.object(t)

	assert.Equal(t, srv.Now().UnixMilli(), num(t, tok["createdDate"]), "dates are epoch milliseconds")
	assert.NotContains(t, tok, "expiryDate", "omitted when the token never expires")
	assert.NotContains(t, tok, "lastAuthenticated", "omitted until the token is used")
	assert.Equal(t, []any{"PROJECT_READ", "REPO_READ"}, tok["permissions"])

	owner := tok["user"].(map[string]any)
	assert.Equal(t, "alice", owner["name"])
	assert.Equal(t, "alice", owner["slug"])
	assert.Equal(t, "NORMAL", owner["type"])
	assert.Equal(t, "alice@example.com", owner["emailAddress"])
	assert.Equal(t, true, owner["active"])
	assert.NotEmpty(t, owner["displayName"])
	num(t, owner["id"])
	self := owner["links"].(map[string]any)["self"].([]any)[0].(map[string]any)["href"]
	assert.Equal(t, srv.URL+"/users/alice", self)
}

func TestExpiringTokenReportsExpiryDateInMilliseconds(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, `{"name":"x","permissions":["REPO_READ"],"expiryDays":30}`)
	require.Equal(t, http.StatusOK, res.status)
	tok := res.object(t)
	assert.Equal(t, num(t, tok["createdDate"])+30*24*3600*1000, num(t, tok["expiryDate"]))
}

func TestProjectAndRepoTokensAreOwnedByServiceBots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, body, name, slug string
	}{
		{"/projects/PRJ", readBody, "access-token-user/1/1", "access-token-user_1_1"},
		{"/projects/PRJ/repos/repo", repoReadBody, "access-token-user/2/1", "access-token-user_2_1"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodPut, tt.path, asAlice, tt.body)
			require.Equal(t, http.StatusOK, res.status)
			owner := res.object(t)["user"].(map[string]any)
			assert.Equal(t, tt.name, owner["name"])
			assert.Equal(t, tt.slug, owner["slug"])
			assert.Equal(t, "SERVICE", owner["type"])
			assert.Contains(t, owner, "emailAddress")
			assert.Nil(t, owner["emailAddress"], "bots have a null email address")
			self := owner["links"].(map[string]any)["self"].([]any)[0].(map[string]any)["href"]
			assert.Equal(t, srv.URL+"/bots/"+tt.slug, self)
		})
	}
}

// TestRepositoriesAndAdminUsersCarryWhatServersSend: a repository has state, scmId, forkable,
// public and, when it has one, description; an admin user list entry has directoryName.
func TestRepositoriesAndAdminUsersCarryWhatServersSend(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.World{Projects: 1, ReposPerProject: 1, Users: 1, Seed: 1}))
	srv.AddRepo("PLAT", "bare")
	repos := values(t, core(t, srv, "/repos?archived=ALL", asAdmin))
	require.Len(t, repos, 3, "api, bare, and alice's personal scratch")
	for _, r := range repos {
		for _, key := range []string{"slug", "id", "name", "hierarchyId", "scmId", "state", "statusMessage", "forkable", "public", "archived", "project", "links"} {
			assert.Contains(t, r, key, r["slug"])
		}
		assert.Equal(t, "git", r["scmId"])
		assert.Equal(t, "AVAILABLE", r["state"])
		assert.Equal(t, true, r["forkable"])
		assert.Equal(t, false, r["public"])
	}
	require.Equal(t, []string{"api", "bare", "scratch"}, field(repos, "slug"))
	assert.Equal(t, "Generated repository api of PLAT", repos[0]["description"])
	assert.NotContains(t, repos[1], "description", "a repository without one leaves it out")

	for _, u := range values(t, core(t, srv, "/admin/users", asAdmin)) {
		assert.Equal(t, "Bitbucket Internal Directory", u["directoryName"], u["name"])
	}
}
