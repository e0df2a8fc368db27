// Tests of tokens.go against the fake Bitbucket of accesstokenstest: every token endpoint of
// the three scopes through the SDK, under both API versions and a context path. Its fixtures
// (clients, the three scopes as SDK calls) serve the other *_fake_test.go files of the package.
// What the fake itself decides (who may do what, expiry, policy, limits) is tested in
// accesstokenstest.

package accesstokens_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// fakeTokenID is what a Bitbucket token id looks like: 12 digits, leading zeros kept.
var fakeTokenID = regexp.MustCompile(`^[0-9]{12}$`)

// fakeClient returns a client for srv without retries, so every SDK call is
// exactly one request the fake records.
func fakeClient(t *testing.T, srv *accesstokenstest.Server, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	all := append([]accesstokens.Option{accesstokens.WithRetry(accesstokens.RetryPolicy{})}, opts...)
	c, err := accesstokens.NewClient(srv.URL, all...)
	require.NoError(t, err)
	return c
}

// fakeClientAs is a client that logs in with a user name and password (or personal token).
func fakeClientAs(t *testing.T, srv *accesstokenstest.Server, user, password string, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	return fakeClient(t, srv, append([]accesstokens.Option{accesstokens.WithBasicAuth(user, password)}, opts...)...)
}

// startFake starts a fake that stops with the test.
func startFake(t *testing.T, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	t.Helper()
	srv := accesstokenstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// requireFakeError checks that err is a server answer matching sentinel with
// exception as the first message's exception name, and returns it.
func requireFakeError(t *testing.T, err error, sentinel error, exception string) *accesstokens.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, sentinel)
	var apiErr *accesstokens.Error
	require.True(t, errors.As(err, &apiErr), "not an *accesstokens.Error: %T %v", err, err)
	require.NotEmpty(t, apiErr.Messages, "no Bitbucket error messages in %v", err)
	assert.Equal(t, exception, apiErr.Messages[0].ExceptionName)
	assert.NotEmpty(t, apiErr.Messages[0].Message)
	return apiErr
}

// collectIDs drains an All iterator into ids, stopping at the first error.
func collectIDs(t *testing.T, seq func(func(accesstokens.AccessToken, error) bool)) []string {
	t.Helper()
	var ids []string
	for tok, err := range seq {
		require.NoError(t, err)
		ids = append(ids, tok.ID)
	}
	return ids
}

// pageIDs lists the ids of a page's values.
func pageIDs(p *accesstokens.Page[accesstokens.AccessToken]) []string {
	ids := make([]string, len(p.Values))
	for i, v := range p.Values {
		ids[i] = v.ID
	}
	return ids
}

// storedIDs returns the ids the fake stores in scope, oldest first.
func storedIDs(srv *accesstokenstest.Server, scope string) []string {
	var ids []string
	for _, tok := range srv.Tokens() {
		if tok.Scope == scope {
			ids = append(ids, tok.ID)
		}
	}
	return ids
}

// newestFirst is ids (oldest first) in the order Bitbucket lists them.
func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// requestLine is what the fake saw of one request: method and raw path.
func requestLine(r accesstokenstest.Request) string { return r.Method + " " + r.RawPath }

// requestLines is every recorded request as "METHOD rawpath".
func requestLines(srv *accesstokenstest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, requestLine(r))
	}
	return out
}

// tokenScope is one of the three token scopes, driven through its SDK service.
type tokenScope struct {
	name      string
	scope     string // the fake's scope string
	rel       string // path below the API root
	ownerType string // the owner's User.Type
	perms     []accesstokens.Permission
	newPerms  []accesstokens.Permission

	list   func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error)
	all    func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool)
	create func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	get    func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error)
	update func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error)
	delete func(ctx context.Context, c *accesstokens.Client, id string) error
}

// scopesFor builds the three scopes with the given user, project and repository.
func scopesFor(user, project, repo string) []tokenScope {
	return []tokenScope{
		{
			name: "user", scope: accesstokenstest.UserScopeString(user), rel: "/users/" + url.PathEscape(user), ownerType: "NORMAL",
			perms:    []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead},
			newPerms: []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoWrite},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.UserTokens.List(ctx, user, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.UserTokens.All(ctx, user, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.UserTokens.Create(ctx, user, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.UserTokens.Get(ctx, user, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.UserTokens.Update(ctx, user, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.UserTokens.Delete(ctx, user, id)
			},
		},
		{
			name: "project", scope: accesstokenstest.ProjectScopeString(project), rel: "/projects/" + url.PathEscape(project), ownerType: "SERVICE",
			perms:    []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
			newPerms: []accesstokens.Permission{accesstokens.ProjectAdmin, accesstokens.RepoAdmin},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.ProjectTokens.List(ctx, project, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.ProjectTokens.All(ctx, project, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.ProjectTokens.Create(ctx, project, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.ProjectTokens.Get(ctx, project, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.ProjectTokens.Update(ctx, project, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.ProjectTokens.Delete(ctx, project, id)
			},
		},
		{
			name: "repo", scope: accesstokenstest.RepoScopeString(project, repo),
			rel: "/projects/" + url.PathEscape(project) + "/repos/" + url.PathEscape(repo), ownerType: "SERVICE",
			perms:    []accesstokens.Permission{accesstokens.RepoRead},
			newPerms: []accesstokens.Permission{accesstokens.RepoAdmin},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.RepoTokens.List(ctx, project, repo, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.RepoTokens.All(ctx, project, repo, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.RepoTokens.Create(ctx, project, repo, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.RepoTokens.Get(ctx, project, repo, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.RepoTokens.Update(ctx, project, repo, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.RepoTokens.Delete(ctx, project, repo, id)
			},
		},
	}
}

// demoScopes are alice's personal tokens and the demo project's and repository's tokens.
func demoScopes() []tokenScope {
	return scopesFor(accesstokenstest.DemoAlice, accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
}

// demoScope picks one of the demo scopes.
func demoScope(name string) tokenScope {
	for _, s := range demoScopes() {
		if s.name == name {
			return s
		}
	}
	panic("no scope " + name)
}

// fakeVariants are the ways a client can reach the same fake: both API versions,
// with and without a context path.
var fakeVariants = []struct {
	name        string
	version     string
	contextPath string
}{
	{"latest", "latest", ""},
	{"1.0", "1.0", ""},
	{"latest under context path", "latest", "/bitbucket"},
	{"1.0 under context path", "1.0", "/bitbucket"},
}

func TestFakeEveryTokenEndpointRoundTripsThroughTheSDK(t *testing.T) {
	t.Parallel()
	for _, v := range fakeVariants {
		for _, sc := range demoScopes() {
			t.Run(v.name+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				srvOpts := []accesstokenstest.Option{accesstokenstest.WithClock(accesstokenstest.DefaultStartTime())}
				if v.contextPath != "" {
					srvOpts = append(srvOpts, accesstokenstest.WithContextPath(v.contextPath))
				}
				srv := startFake(t, srvOpts...)
				if v.contextPath != "" {
					require.True(t, strings.HasSuffix(srv.URL, v.contextPath), "server URL %q", srv.URL)
				}
				c := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword,
					accesstokens.WithAPIVersion(v.version))
				ctx := testContext(t)
				root := v.contextPath + "/rest/access-tokens/" + v.version + sc.rel

				created, err := sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "ci", Permissions: sc.perms, ExpiryDays: 30})
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(created.Token.Reveal(), "BBDC-"), "secret does not start with BBDC-")
				require.Regexp(t, fakeTokenID, created.ID)
				assert.Equal(t, "ci", created.Name)
				assert.Equal(t, sc.perms, created.Permissions)
				assert.True(t, created.CreatedDate.Equal(srv.Now()), "created %v, fake clock %v", created.CreatedDate, srv.Now())
				require.NotNil(t, created.ExpiryDate)
				assert.True(t, created.ExpiryDate.Equal(created.CreatedDate.AddDate(0, 0, 30)), "expiry %v", created.ExpiryDate)
				assert.Nil(t, created.LastAuthenticated)
				require.NotNil(t, created.User)
				assert.Equal(t, sc.ownerType, created.User.Type)
				assert.Equal(t, []string{created.ID}, storedIDs(srv, sc.scope), "the fake stores the token the SDK was told about")
				id := created.ID

				got, err := sc.get(ctx, c, id)
				require.NoError(t, err)
				assert.Equal(t, id, got.ID)
				assert.Equal(t, "ci", got.Name)
				assert.Equal(t, sc.perms, got.Permissions)
				require.NotNil(t, got.ExpiryDate)
				assert.True(t, got.ExpiryDate.Equal(*created.ExpiryDate))
				assert.True(t, got.CreatedDate.Equal(created.CreatedDate))
				assert.Equal(t, created.User, got.User)

				page, err := sc.list(ctx, c, nil)
				require.NoError(t, err)
				assert.Equal(t, []string{id}, pageIDs(page))
				assert.Equal(t, 1, page.Size)
				assert.Equal(t, 0, page.Start)
				assert.Equal(t, accesstokenstest.DefaultPageLimit, page.Limit)
				assert.True(t, page.IsLastPage)

				assert.Equal(t, []string{id}, collectIDs(t, sc.all(ctx, c, nil)))

				newName := "ci-renamed"
				updated, err := sc.update(ctx, c, id, accesstokens.UpdateTokenRequest{Name: &newName, Permissions: sc.newPerms})
				require.NoError(t, err)
				assert.Equal(t, id, updated.ID)
				assert.Equal(t, newName, updated.Name)
				assert.Equal(t, sc.newPerms, updated.Permissions)
				require.NotNil(t, updated.ExpiryDate, "an update must not drop the expiry")
				assert.True(t, updated.ExpiryDate.Equal(*created.ExpiryDate), "expiry changed to %v", updated.ExpiryDate)

				reread, err := sc.get(ctx, c, id)
				require.NoError(t, err)
				assert.Equal(t, newName, reread.Name)
				assert.Equal(t, sc.newPerms, reread.Permissions)
				require.NotNil(t, reread.ExpiryDate)
				assert.True(t, reread.ExpiryDate.Equal(*created.ExpiryDate))

				require.NoError(t, sc.delete(ctx, c, id))
				assert.Empty(t, storedIDs(srv, sc.scope))
				_, err = sc.get(ctx, c, id)
				apiErr := requireFakeError(t, err, accesstokens.ErrNotFound, accesstokenstest.ExceptionNoSuchEntity)
				assert.Equal(t, root+"/"+id, apiErr.Path)

				assert.Equal(t, []string{
					"PUT " + root,
					"GET " + root + "/" + id,
					"GET " + root,
					"GET " + root,
					"POST " + root + "/" + id,
					"GET " + root + "/" + id,
					"DELETE " + root + "/" + id,
					"GET " + root + "/" + id,
				}, requestLines(srv))
				for _, r := range srv.Requests() {
					assert.Equal(t, accesstokenstest.CredentialBasicPassword, r.Credential, "%s", requestLine(r))
					assert.Equal(t, accesstokenstest.DemoAlice, r.User)
					assert.Empty(t, r.Query, "nil ListOptions send no query")
				}
			})
		}
	}
}
