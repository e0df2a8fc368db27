package accesstokens_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// Directory against the fake's core REST endpoints, in its documented demo
// world (accesstokenstest.DemoWorld): users admin and alice … heidi (carol and
// grace deactivated, grace never logged in), projects PLAT, WEB, DATA and OPS
// of 3 repositories each, personal projects ~ALICE and ~ERIN with one
// repository each, 3 of the 14 repositories archived.

func demoWorld(t *testing.T, user string, opts ...accesstokenstest.Option) (*accesstokenstest.Server, *accesstokens.Client) {
	t.Helper()
	srv := accesstokenstest.NewServer(append([]accesstokenstest.Option{accesstokenstest.WithWorld(accesstokenstest.DemoWorld())}, opts...)...)
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, user))
	require.NoError(t, err)
	return srv, c
}

// people are the NORMAL users by slug.
func people(users []accesstokens.DirectoryUser) map[string]accesstokens.DirectoryUser {
	out := map[string]accesstokens.DirectoryUser{}
	for _, u := range users {
		if u.Type == "NORMAL" {
			out[u.Slug] = u
		}
	}
	return out
}

func TestDirectoryAgainstTheFakeReadsTheWholeServerAsAnAdmin(t *testing.T) {
	t.Parallel()
	_, c := demoWorld(t, "admin")
	ctx := testContext(t)

	info, err := c.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.ServerVersion, info.Version)

	projects, err := collect(c.Directory.Projects(ctx))
	require.NoError(t, err)
	var keys []string
	for _, p := range projects {
		keys = append(keys, p.Key)
		assert.Equal(t, "NORMAL", p.Type)
	}
	assert.ElementsMatch(t, []string{"PLAT", "WEB", "DATA", "OPS"}, keys)

	repos, err := collect(c.Directory.Repositories(ctx))
	require.NoError(t, err)
	assert.Len(t, repos, 14)
	archived, personal := 0, 0
	for _, r := range repos {
		if r.Archived {
			archived++
		}
		if r.Project.Type == "PERSONAL" {
			personal++
			assert.True(t, strings.HasPrefix(r.Project.Key, "~"), r.Project.Key)
		}
	}
	assert.Equal(t, 3, archived, "archived repositories are listed")
	assert.Equal(t, 2, personal, "personal projects' repositories are listed")

	users, err := collect(c.Directory.Users(ctx))
	require.NoError(t, err)
	byName := people(users)
	assert.Len(t, byName, 9)
	assert.False(t, byName["carol"].Active, "deactivated users are in the admin list")
	assert.NotNil(t, byName["carol"].LastAuthentication)
	assert.Nil(t, byName["grace"].LastAuthentication, "grace never logged in")
	assert.Less(t, len(byName), len(users), "SERVICE users are listed too")
}

// TestDirectoryAgainstTheFakeFallsBackForAUserWhoIsNoAdmin: alice may not
// read the admin user list; Users gives the plain one (active users, no last
// authentication), and she sees only the projects she may.
func TestDirectoryAgainstTheFakeFallsBackForAUserWhoIsNoAdmin(t *testing.T) {
	t.Parallel()
	srv, c := demoWorld(t, "alice")
	ctx := testContext(t)
	users, err := collect(c.Directory.Users(ctx))
	require.NoError(t, err)
	byName := people(users)
	assert.Len(t, byName, 7, "deactivated carol and grace are not in the plain list")
	for slug, u := range byName {
		assert.True(t, u.Active, slug)
		assert.Nil(t, u.LastAuthentication, slug)
	}
	refused := slices.ContainsFunc(srv.Requests(), func(r accesstokenstest.Request) bool {
		return strings.HasSuffix(r.RawPath, "/rest/api/latest/admin/users") && r.Status == 401
	})
	assert.True(t, refused, "the admin list was asked first")

	projects, err := collect(c.Directory.Projects(ctx))
	require.NoError(t, err)
	assert.NotEmpty(t, projects)
	assert.Less(t, len(projects), 4)
}

// TestDirectoryAgainstTheFakeWalksSmallPages: a server capping pages at 2
// gives the same lists, page after page.
func TestDirectoryAgainstTheFakeWalksSmallPages(t *testing.T) {
	t.Parallel()
	_, whole := demoWorld(t, "admin")
	srv, paged := demoWorld(t, "admin", accesstokenstest.WithMaxPageLimit(2))
	ctx := testContext(t)
	want, err := collect(whole.Directory.Repositories(ctx))
	require.NoError(t, err)
	got, err := collect(paged.Directory.Repositories(ctx))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Len(t, srv.Requests(), 7, "14 repositories in pages of 2")
	for _, r := range srv.Requests() {
		assert.Contains(t, r.Query, "archived=ALL")
	}
}

func TestDirectoryAgainstTheFakeStopsWithTheContext(t *testing.T) {
	t.Parallel()
	_, c := demoWorld(t, "admin")
	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	_, err := collect(c.Directory.Users(ctx))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestDirectoryUsersDoesNotAskAgainWithWrongCredentials: a 401 saying the
// credentials are wrong is not a refusal to fall back from; asking the plain
// list with them would be a second failed login.
func TestDirectoryUsersDoesNotAskAgainWithWrongCredentials(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "wrong-password"))
	require.NoError(t, err)

	_, err = collect(c.Directory.Users(testContext(t)))
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Len(t, srv.Requests(), 1, "one failed login, not two")
}
