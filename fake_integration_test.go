package accesstokens_test

// These tests drive the SDK against the in-memory Bitbucket of accesstokenstest:
// every endpoint, who may do what, the refusals only a server can make, paging,
// expiry by the fake clock, and many goroutines sharing one client. Each test
// starts its own server, so they all run in parallel.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// fiTokenID is what a Bitbucket token id looks like: 12 digits, leading zeros kept.
var fiTokenID = regexp.MustCompile(`^[0-9]{12}$`)

// fiUnknownTokenID is an id the fake never hands out (its ids start above zero).
const fiUnknownTokenID = "000000000000"

// fiClient returns a client for srv without retries, so every SDK call is
// exactly one request the fake records.
func fiClient(t *testing.T, srv *accesstokenstest.Server, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	all := append([]accesstokens.Option{accesstokens.WithRetry(accesstokens.RetryPolicy{})}, opts...)
	c, err := accesstokens.NewClient(srv.URL, all...)
	require.NoError(t, err)
	return c
}

// fiBasic is a client that logs in with a user name and password (or personal token).
func fiBasic(t *testing.T, srv *accesstokenstest.Server, user, password string, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	return fiClient(t, srv, append([]accesstokens.Option{accesstokens.WithBasicAuth(user, password)}, opts...)...)
}

// fiBearer is a client that authenticates with a token as Bearer.
func fiBearer(t *testing.T, srv *accesstokenstest.Server, secret string) *accesstokens.Client {
	t.Helper()
	return fiClient(t, srv, accesstokens.WithToken(secret))
}

// fiNewServer starts a fake that stops with the test.
func fiNewServer(t *testing.T, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	t.Helper()
	srv := accesstokenstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// fiRequireAPIError checks that err is a server answer matching sentinel with
// exception as the first message's exception name, and returns it.
func fiRequireAPIError(t *testing.T, err error, sentinel error, exception string) *accesstokens.Error {
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

// fiCollect drains an All iterator into ids, stopping at the first error.
func fiCollect(t *testing.T, seq func(func(accesstokens.AccessToken, error) bool)) []string {
	t.Helper()
	var ids []string
	for tok, err := range seq {
		require.NoError(t, err)
		ids = append(ids, tok.ID)
	}
	return ids
}

// fiPageIDs lists the ids of a page's values.
func fiPageIDs(p *accesstokens.Page[accesstokens.AccessToken]) []string {
	ids := make([]string, len(p.Values))
	for i, v := range p.Values {
		ids[i] = v.ID
	}
	return ids
}

// fiScopeIDs returns the ids the fake stores in scope, oldest first.
func fiScopeIDs(srv *accesstokenstest.Server, scope string) []string {
	var ids []string
	for _, tok := range srv.Tokens() {
		if tok.Scope == scope {
			ids = append(ids, tok.ID)
		}
	}
	return ids
}

// fiNewestFirst is ids (oldest first) in the order Bitbucket lists them.
func fiNewestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// fiRequestLine is what the fake saw of one request: method and raw path.
func fiRequestLine(r accesstokenstest.Request) string { return r.Method + " " + r.RawPath }

// fiRequestLines is every recorded request as "METHOD rawpath".
func fiRequestLines(srv *accesstokenstest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, fiRequestLine(r))
	}
	return out
}

// fiScope is one of the three token scopes, driven through its SDK service.
type fiScope struct {
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

// fiScopesFor builds the three scopes with the given user, project and repository.
func fiScopesFor(user, project, repo string) []fiScope {
	return []fiScope{
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

// fiDemoScopes are alice's personal tokens and the demo project's and repository's tokens.
func fiDemoScopes() []fiScope {
	return fiScopesFor(accesstokenstest.DemoAlice, accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
}

// fiScopeNamed picks one of the demo scopes.
func fiScopeNamed(name string) fiScope {
	for _, s := range fiDemoScopes() {
		if s.name == name {
			return s
		}
	}
	panic("no scope " + name)
}

// fiVariants are the ways a client can reach the same fake: both API versions,
// with and without a context path.
var fiVariants = []struct {
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
	for _, v := range fiVariants {
		for _, sc := range fiDemoScopes() {
			t.Run(v.name+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				srvOpts := []accesstokenstest.Option{accesstokenstest.WithClock(accesstokenstest.DefaultStartTime())}
				if v.contextPath != "" {
					srvOpts = append(srvOpts, accesstokenstest.WithContextPath(v.contextPath))
				}
				srv := fiNewServer(t, srvOpts...)
				if v.contextPath != "" {
					require.True(t, strings.HasSuffix(srv.URL, v.contextPath), "server URL %q", srv.URL)
				}
				c := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword,
					accesstokens.WithAPIVersion(v.version))
				ctx := testContext(t)
				root := v.contextPath + "/rest/access-tokens/" + v.version + sc.rel

				created, err := sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "ci", Permissions: sc.perms, ExpiryDays: 30})
				require.NoError(t, err)
				assert.True(t, strings.HasPrefix(created.Token.Reveal(), "BBDC-"), "secret does not start with BBDC-")
				require.Regexp(t, fiTokenID, created.ID)
				assert.Equal(t, "ci", created.Name)
				assert.Equal(t, sc.perms, created.Permissions)
				assert.True(t, created.CreatedDate.Equal(srv.Now()), "created %v, fake clock %v", created.CreatedDate, srv.Now())
				require.NotNil(t, created.ExpiryDate)
				assert.True(t, created.ExpiryDate.Equal(created.CreatedDate.AddDate(0, 0, 30)), "expiry %v", created.ExpiryDate)
				assert.Nil(t, created.LastAuthenticated)
				require.NotNil(t, created.User)
				assert.Equal(t, sc.ownerType, created.User.Type)
				assert.Equal(t, []string{created.ID}, fiScopeIDs(srv, sc.scope), "the fake stores the token the SDK was told about")
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
				assert.Equal(t, []string{id}, fiPageIDs(page))
				assert.Equal(t, 1, page.Size)
				assert.Equal(t, 0, page.Start)
				assert.Equal(t, accesstokenstest.DefaultPageLimit, page.Limit)
				assert.True(t, page.IsLastPage)

				assert.Equal(t, []string{id}, fiCollect(t, sc.all(ctx, c, nil)))

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
				assert.Empty(t, fiScopeIDs(srv, sc.scope))
				_, err = sc.get(ctx, c, id)
				apiErr := fiRequireAPIError(t, err, accesstokens.ErrNotFound, accesstokenstest.ExceptionNoSuchEntity)
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
				}, fiRequestLines(srv))
				for _, r := range srv.Requests() {
					assert.Equal(t, accesstokenstest.CredentialBasicPassword, r.Credential, "%s", fiRequestLine(r))
					assert.Equal(t, accesstokenstest.DemoAlice, r.User)
					assert.Empty(t, r.Query, "nil ListOptions send no query")
				}
			})
		}
	}
}

func TestFakeAdminPolicyEndpointsRoundTripThroughTheSDK(t *testing.T) {
	t.Parallel()
	for _, v := range fiVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var srvOpts []accesstokenstest.Option
			if v.contextPath != "" {
				srvOpts = append(srvOpts, accesstokenstest.WithContextPath(v.contextPath))
			}
			srv := fiNewServer(t, srvOpts...)
			c := fiBasic(t, srv, accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword, accesstokens.WithAPIVersion(v.version))
			ctx := testContext(t)
			admin := v.contextPath + "/rest/access-tokens/" + v.version + "/admin"

			p, err := c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, p.MaxExpiryDays, "the demo world has no policy")

			require.NoError(t, c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 45}))
			assert.Equal(t, 45, srv.ExpiryPolicy())
			p, err = c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 45, p.MaxExpiryDays)

			require.NoError(t, c.Admin.DeleteExpiryPolicy(ctx))
			assert.Equal(t, 0, srv.ExpiryPolicy())
			p, err = c.Admin.GetExpiryPolicy(ctx)
			require.NoError(t, err)
			assert.Equal(t, 0, p.MaxExpiryDays)

			assert.Equal(t, []string{
				"GET " + admin, "PUT " + admin, "GET " + admin, "DELETE " + admin, "GET " + admin,
			}, fiRequestLines(srv))
		})
	}
}

// fiWorld is what a rights case starts from: a fake, the tokens it holds, and
// the clients of everyone involved.
type fiWorld struct {
	srv           *accesstokenstest.Server
	aliceTokenID  string // one of alice's personal tokens
	projectID     string // a token of PRJ
	repoID        string // a token of PRJ/repo
	personalToken string // secret of another of alice's personal tokens
	projectToken  string // secret of a project token of PRJ
	clients       map[string]*accesstokens.Client
}

func fiNewWorld(t *testing.T) *fiWorld {
	t.Helper()
	srv := fiNewServer(t)
	w := &fiWorld{srv: srv}
	w.aliceTokenID, _ = srv.MintToken(accesstokenstest.UserScopeString(accesstokenstest.DemoAlice), "laptop", 0, "REPO_READ")
	w.projectID, w.projectToken = srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), "deploy", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	w.repoID, _ = srv.MintToken(accesstokenstest.RepoScopeString(accesstokenstest.DemoProject, accesstokenstest.DemoRepo), "ci", 0, "REPO_READ")
	_, w.personalToken = srv.MintToken(accesstokenstest.UserScopeString(accesstokenstest.DemoAlice), "script", 0, "PROJECT_READ", "REPO_READ")
	w.clients = map[string]*accesstokens.Client{
		"alice":                   fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword),
		"bob":                     fiBasic(t, srv, accesstokenstest.DemoBob, accesstokenstest.DemoBobPassword),
		"admin":                   fiBasic(t, srv, accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword),
		"alice, wrong password":   fiBasic(t, srv, accesstokenstest.DemoAlice, "not-alice"),
		"alice's token as Bearer": fiBearer(t, srv, w.personalToken),
		"alice's token as Basic":  fiBasic(t, srv, accesstokenstest.DemoAlice, w.personalToken),
		"project token as Bearer": fiBearer(t, srv, w.projectToken),
	}
	return w
}

// fiStateOf is the fake's state a refused request must leave alone: every
// token's id, scope, name and permissions, and the policy.
func fiStateOf(srv *accesstokenstest.Server) string {
	var b strings.Builder
	for _, tok := range srv.Tokens() {
		fmt.Fprintf(&b, "%s %s %q %v\n", tok.ID, tok.Scope, tok.Name, tok.Permissions)
	}
	fmt.Fprintf(&b, "policy %d\n", srv.ExpiryPolicy())
	return b.String()
}

// fiOp is one SDK call on a world.
type fiOp func(ctx context.Context, c *accesstokens.Client, w *fiWorld) error

func fiOnScope(name string, do func(ctx context.Context, c *accesstokens.Client, sc fiScope, w *fiWorld, id string) error) fiOp {
	return func(ctx context.Context, c *accesstokens.Client, w *fiWorld) error {
		sc := fiScopeNamed(name)
		id := map[string]string{"user": w.aliceTokenID, "project": w.projectID, "repo": w.repoID}[name]
		return do(ctx, c, sc, w, id)
	}
}

var fiNewName = "renamed"

func fiListOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, _ *fiWorld, _ string) error {
		p, err := sc.list(ctx, c, nil)
		if err == nil && p.Size == 0 {
			return errors.New("list succeeded but saw no tokens")
		}
		return err
	})
}

func fiCreateOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, w *fiWorld, _ string) error {
		raw, err := sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "new", Permissions: sc.perms})
		if err == nil && !slices.Contains(fiScopeIDs(w.srv, sc.scope), raw.ID) {
			return errors.New("create succeeded but the fake does not hold " + raw.ID)
		}
		return err
	})
}

func fiGetOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, _ *fiWorld, id string) error {
		got, err := sc.get(ctx, c, id)
		if err == nil && got.ID != id {
			return errors.New("get returned " + got.ID + ", want " + id)
		}
		return err
	})
}

func fiUpdateOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, _ *fiWorld, id string) error {
		got, err := sc.update(ctx, c, id, accesstokens.UpdateTokenRequest{Name: &fiNewName})
		if err == nil && got.Name != fiNewName {
			return errors.New("update answered name " + got.Name)
		}
		return err
	})
}

func fiDeleteOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, w *fiWorld, id string) error {
		err := sc.delete(ctx, c, id)
		if err == nil && slices.Contains(fiScopeIDs(w.srv, sc.scope), id) {
			return errors.New("delete succeeded but the fake still holds " + id)
		}
		return err
	})
}

// fiListOf lists a scope that need not exist in the demo world.
func fiListOf(user, project, repo, which string) fiOp {
	return func(ctx context.Context, c *accesstokens.Client, _ *fiWorld) error {
		for _, sc := range fiScopesFor(user, project, repo) {
			if sc.name == which {
				_, err := sc.list(ctx, c, nil)
				return err
			}
		}
		panic("no scope " + which)
	}
}

func fiGetUnknownOp(scope string) fiOp {
	return fiOnScope(scope, func(ctx context.Context, c *accesstokens.Client, sc fiScope, _ *fiWorld, _ string) error {
		_, err := sc.get(ctx, c, fiUnknownTokenID)
		return err
	})
}

func fiAdminGetOp(ctx context.Context, c *accesstokens.Client, _ *fiWorld) error {
	_, err := c.Admin.GetExpiryPolicy(ctx)
	return err
}

func fiAdminSetOp(ctx context.Context, c *accesstokens.Client, w *fiWorld) error {
	err := c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 7})
	if err == nil && w.srv.ExpiryPolicy() != 7 {
		return errors.New("set policy succeeded but the fake did not change")
	}
	return err
}

func fiAdminDeleteOp(ctx context.Context, c *accesstokens.Client, w *fiWorld) error {
	w.srv.SetExpiryPolicy(3)
	err := c.Admin.DeleteExpiryPolicy(ctx)
	if err == nil && w.srv.ExpiryPolicy() != 0 {
		return errors.New("delete policy succeeded but the fake still has one")
	}
	if err != nil {
		w.srv.SetExpiryPolicy(0) // so the state check sees only what the request did
	}
	return err
}

func TestFakeRightsDecideWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	const (
		authz   = accesstokenstest.ExceptionAuthorisation
		authn   = accesstokenstest.ExceptionAuthentication
		noUser  = accesstokenstest.ExceptionNoSuchUser
		noProj  = accesstokenstest.ExceptionNoSuchProject
		noRepo  = accesstokenstest.ExceptionNoSuchRepository
		noToken = accesstokenstest.ExceptionNoSuchEntity
	)
	type op struct {
		name string
		do   fiOp
	}
	crud := func(scope string) []op {
		return []op{
			{"list " + scope, fiListOp(scope)},
			{"create " + scope, fiCreateOp(scope)},
			{"get " + scope, fiGetOp(scope)},
			{"update " + scope, fiUpdateOp(scope)},
			{"delete " + scope, fiDeleteOp(scope)},
		}
	}
	adminOps := []op{{"get policy", fiAdminGetOp}, {"set policy", fiAdminSetOp}, {"delete policy", fiAdminDeleteOp}}
	ops := map[string]op{}
	for _, o := range append(append(append(crud("user"), crud("project")...), crud("repo")...), adminOps...) {
		ops[o.name] = o
	}
	ops["list unknown user"] = op{"list unknown user", fiListOf("nobody", "PRJ", "repo", "user")}
	ops["list unknown project"] = op{"list unknown project", fiListOf("alice", "NOPE", "repo", "project")}
	ops["list repo of unknown project"] = op{"list repo of unknown project", fiListOf("alice", "NOPE", "repo", "repo")}
	ops["list unknown repo"] = op{"list unknown repo", fiListOf("alice", "PRJ", "nope", "repo")}
	for _, s := range []string{"user", "project", "repo"} {
		ops["get unknown "+s+" token"] = op{"get unknown " + s + " token", fiGetUnknownOp(s)}
	}

	type rule struct {
		who       string
		ops       []string
		wantErr   error  // nil: success
		exception string // with wantErr
	}
	all := func(scope string) []string {
		return []string{"list " + scope, "create " + scope, "get " + scope, "update " + scope, "delete " + scope}
	}
	policy := []string{"get policy", "set policy", "delete policy"}
	rules := []rule{
		{who: "alice", ops: all("user")},
		{who: "admin", ops: []string{"list user", "get user", "update user", "delete user"}},
		{who: "admin", ops: []string{"create user"}, wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "bob", ops: append(all("project"), all("repo")...), wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "bob", ops: all("user"), wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "alice", ops: append(all("project"), all("repo")...)},
		{who: "admin", ops: append(all("project"), all("repo")...)},
		{who: "admin", ops: policy},
		{who: "alice", ops: policy, wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "bob", ops: policy, wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "alice's token as Bearer", ops: []string{"list user", "get user"}},
		{who: "alice's token as Basic", ops: []string{"list user", "get user"}},
		{who: "alice's token as Bearer", ops: append([]string{"create user", "update user", "delete user"}, policy...),
			wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "alice's token as Basic", ops: append([]string{"create user", "update user", "delete user"}, policy...),
			wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "alice's token as Bearer", ops: []string{"list project", "create project", "list repo", "create repo"},
			wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "project token as Bearer", ops: append(append(all("project"), all("repo")...), policy...),
			wantErr: accesstokens.ErrUnauthorized, exception: authz},
		{who: "alice, wrong password", ops: []string{"list user", "create user", "list project", "get policy"},
			wantErr: accesstokens.ErrUnauthorized, exception: authn},
		{who: "alice", ops: []string{"list unknown user"}, wantErr: accesstokens.ErrNotFound, exception: noUser},
		{who: "bob", ops: []string{"list unknown user"}, wantErr: accesstokens.ErrNotFound, exception: noUser},
		{who: "alice", ops: []string{"list unknown project", "list repo of unknown project"}, wantErr: accesstokens.ErrNotFound, exception: noProj},
		{who: "alice", ops: []string{"list unknown repo"}, wantErr: accesstokens.ErrNotFound, exception: noRepo},
		{who: "alice", ops: []string{"get unknown user token", "get unknown project token", "get unknown repo token"},
			wantErr: accesstokens.ErrNotFound, exception: noToken},
		{who: "admin", ops: []string{"get unknown user token"}, wantErr: accesstokens.ErrNotFound, exception: noToken},
	}

	for _, r := range rules {
		for _, name := range r.ops {
			o, ok := ops[name]
			require.True(t, ok, "no op %q", name)
			want := "succeeds"
			if r.wantErr != nil {
				want = "fails"
			}
			t.Run(r.who+"/"+name+"/"+want, func(t *testing.T) {
				t.Parallel()
				w := fiNewWorld(t)
				c := w.clients[r.who]
				require.NotNil(t, c, "no client %q", r.who)
				before := fiStateOf(w.srv)

				err := o.do(testContext(t), c, w)

				if r.wantErr == nil {
					require.NoError(t, err)
					return
				}
				apiErr := fiRequireAPIError(t, err, r.wantErr, r.exception)
				assert.Equal(t, apiErr.Method, w.srv.Requests()[0].Method)
				assert.Equal(t, apiErr.Path, w.srv.Requests()[0].RawPath, "the error names the path the SDK used")
				assert.Equal(t, before, fiStateOf(w.srv), "a refused request changed the fake")
			})
		}
	}
}

func TestFakeTokenLastAuthenticatedIsSetOnceAPersonalTokenIsUsed(t *testing.T) {
	t.Parallel()
	srv := fiNewServer(t, accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	ctx := testContext(t)
	alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)

	raw, err := alice.UserTokens.Create(ctx, accesstokenstest.DemoAlice, accesstokens.CreateTokenRequest{
		Name: "script", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	require.NoError(t, err)
	before, err := alice.UserTokens.Get(ctx, accesstokenstest.DemoAlice, raw.ID)
	require.NoError(t, err)
	assert.Nil(t, before.LastAuthenticated, "a token nobody used has no lastAuthenticated")

	srv.Advance(90 * time.Minute)
	asToken := fiBearer(t, srv, raw.Token.Reveal())
	page, err := asToken.UserTokens.List(ctx, accesstokenstest.DemoAlice, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{raw.ID}, fiPageIDs(page), "a personal token lists its owner's tokens")

	after, err := alice.UserTokens.Get(ctx, accesstokenstest.DemoAlice, raw.ID)
	require.NoError(t, err)
	require.NotNil(t, after.LastAuthenticated)
	assert.True(t, after.LastAuthenticated.Equal(srv.Now()), "lastAuthenticated %v, fake clock %v", after.LastAuthenticated, srv.Now())
	assert.True(t, after.LastAuthenticated.After(after.CreatedDate))
}

func TestFakeExpiredTokensNoLongerAuthenticate(t *testing.T) {
	t.Parallel()
	for _, sc := range fiDemoScopes() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			srv := fiNewServer(t)
			ctx := testContext(t)
			alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)

			raw, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "short", Permissions: sc.perms, ExpiryDays: 1})
			require.NoError(t, err)
			require.NotNil(t, raw.ExpiryDate)
			assert.True(t, raw.ExpiryDate.Equal(raw.CreatedDate.Add(24*time.Hour)), "expiry %v", raw.ExpiryDate)
			asToken := fiBearer(t, srv, raw.Token.Reveal())

			// Before expiry the token authenticates: a personal token may list its
			// owner's tokens; project and repository tokens are authenticated but
			// not permitted.
			_, err = asToken.UserTokens.List(ctx, accesstokenstest.DemoAlice, nil)
			if sc.name == "user" {
				require.NoError(t, err)
			} else {
				fiRequireAPIError(t, err, accesstokens.ErrUnauthorized, accesstokenstest.ExceptionAuthorisation)
			}
			reqs := srv.Requests()
			assert.Equal(t, accesstokenstest.CredentialBearer, reqs[len(reqs)-1].Credential)

			srv.Advance(48 * time.Hour)
			_, err = asToken.UserTokens.List(ctx, accesstokenstest.DemoAlice, nil)
			fiRequireAPIError(t, err, accesstokens.ErrUnauthorized, accesstokenstest.ExceptionAuthentication)
			reqs = srv.Requests()
			assert.Equal(t, accesstokenstest.CredentialInvalid, reqs[len(reqs)-1].Credential)

			// The token still exists, with its expiry; only its use is refused.
			got, err := sc.get(ctx, alice, raw.ID)
			require.NoError(t, err)
			require.NotNil(t, got.ExpiryDate)
			assert.True(t, got.ExpiryDate.Before(srv.Now()))
		})
	}
}

func TestFakeExpiryPolicyRefusesCreatesWithoutAFittingExpiry(t *testing.T) {
	t.Parallel()
	setByFake := func(t *testing.T, srv *accesstokenstest.Server) { srv.SetExpiryPolicy(30) }
	setByAdmin := func(t *testing.T, srv *accesstokenstest.Server) {
		admin := fiBasic(t, srv, accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword)
		require.NoError(t, admin.Admin.SetExpiryPolicy(testContext(t), accesstokens.ExpiryPolicy{MaxExpiryDays: 30}))
	}
	for _, set := range []struct {
		name string
		set  func(*testing.T, *accesstokenstest.Server)
	}{{"policy set on the fake", setByFake}, {"policy set through Admin", setByAdmin}} {
		for _, sc := range fiDemoScopes() {
			t.Run(set.name+"/"+sc.name, func(t *testing.T) {
				t.Parallel()
				srv := fiNewServer(t)
				ctx := testContext(t)
				alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
				_, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "free", Permissions: sc.perms})
				require.NoError(t, err, "without a policy, no expiry is fine")

				set.set(t, srv)
				require.Equal(t, 30, srv.ExpiryPolicy())

				for _, days := range []int{0, 31, 365} {
					_, err = sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "bad", Permissions: sc.perms, ExpiryDays: days})
					apiErr := fiRequireAPIError(t, err, accesstokens.ErrBadRequest, accesstokenstest.ExceptionArgumentValidation)
					assert.Equal(t, "expiryDays", apiErr.Messages[0].Context, "days %d", days)
					assert.Contains(t, apiErr.Messages[0].Message, "30", "days %d: the message names the limit", days)
					assert.Contains(t, err.Error(), apiErr.Messages[0].Message, "the error repeats the server's message")
				}
				assert.Len(t, fiScopeIDs(srv, sc.scope), 1, "refused creates stored nothing")

				for _, days := range []int{1, 30} {
					raw, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "ok", Permissions: sc.perms, ExpiryDays: days})
					require.NoError(t, err, "days %d", days)
					require.NotNil(t, raw.ExpiryDate)
					assert.True(t, raw.ExpiryDate.Equal(raw.CreatedDate.AddDate(0, 0, days)))
				}

				admin := fiBasic(t, srv, accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword)
				require.NoError(t, admin.Admin.DeleteExpiryPolicy(ctx))
				_, err = sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "free again", Permissions: sc.perms})
				require.NoError(t, err, "once the policy is gone, no expiry is fine again")
			})
		}
	}
}

func TestFakeTokenLimitRefusesOneTokenTooMany(t *testing.T) {
	t.Parallel()
	for _, sc := range fiDemoScopes() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			srv := fiNewServer(t, accesstokenstest.WithTokenLimit(2))
			ctx := testContext(t)
			alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
			for i := range 2 {
				_, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: fmt.Sprintf("t%d", i), Permissions: sc.perms})
				require.NoError(t, err)
			}
			_, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "t3", Permissions: sc.perms})
			apiErr := fiRequireAPIError(t, err, accesstokens.ErrBadRequest, accesstokenstest.ExceptionArgumentValidation)
			assert.Contains(t, apiErr.Messages[0].Message, "maximum number of tokens")
			assert.Len(t, fiScopeIDs(srv, sc.scope), 2)

			// The limit is per owner: deleting one makes room again.
			ids := fiScopeIDs(srv, sc.scope)
			require.NoError(t, sc.delete(ctx, alice, ids[0]))
			_, err = sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: "t3", Permissions: sc.perms})
			require.NoError(t, err)
		})
	}
}

func TestFakeAllYieldsEverySparselyPositionedTokenOnceNewestFirst(t *testing.T) {
	t.Parallel()
	const seeded = 57
	for _, sc := range fiDemoScopes() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			srv := fiNewServer(t, accesstokenstest.WithSparsePositions())
			srv.SeedTokens(sc.scope, seeded)
			want := fiNewestFirst(fiScopeIDs(srv, sc.scope))
			require.Len(t, want, seeded)
			alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
			ctx := testContext(t)

			opts := &accesstokens.ListOptions{Limit: 10}
			got := fiCollect(t, sc.all(ctx, alice, opts))
			assert.Equal(t, want, got, "every token once, newest first")
			assert.Equal(t, accesstokens.ListOptions{Limit: 10}, *opts, "All must not change the caller's options")

			// Six pages, each starting where the previous said the next one does.
			var starts []string
			for _, r := range srv.Requests() {
				q, err := url.ParseQuery(r.Query)
				require.NoError(t, err)
				assert.Equal(t, "10", q.Get("limit"))
				starts = append(starts, q.Get("start"))
			}
			stride := accesstokenstest.SparseStride
			assert.Equal(t, []string{"", fmt.Sprint(10 * stride), fmt.Sprint(20 * stride), fmt.Sprint(30 * stride),
				fmt.Sprint(40 * stride), fmt.Sprint(50 * stride)}, starts)
		})
	}
}

func TestFakeListPagesReportTheirPosition(t *testing.T) {
	t.Parallel()
	srv := fiNewServer(t, accesstokenstest.WithSparsePositions())
	sc := fiScopeNamed("project")
	srv.SeedTokens(sc.scope, 57)
	want := fiNewestFirst(fiScopeIDs(srv, sc.scope))
	alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)
	stride := accesstokenstest.SparseStride

	first, err := sc.list(ctx, alice, &accesstokens.ListOptions{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[:10], fiPageIDs(first))
	assert.Equal(t, 10, first.Size)
	assert.Equal(t, 0, first.Start)
	assert.Equal(t, 10, first.Limit)
	assert.False(t, first.IsLastPage)
	assert.Equal(t, 10*stride, first.NextPageStart, "positions are sparse: not start+size")

	second, err := sc.list(ctx, alice, &accesstokens.ListOptions{Start: first.NextPageStart, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[10:20], fiPageIDs(second))
	assert.Equal(t, first.NextPageStart, second.Start)
	assert.Equal(t, 20*stride, second.NextPageStart)

	last, err := sc.list(ctx, alice, &accesstokens.ListOptions{Start: 50 * stride, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[50:], fiPageIDs(last))
	assert.Equal(t, 7, last.Size)
	assert.Equal(t, 50*stride, last.Start)
	assert.Equal(t, 10, last.Limit)
	assert.True(t, last.IsLastPage)
	assert.Zero(t, last.NextPageStart, "no nextPageStart on the last page")

	defaults, err := sc.list(ctx, alice, nil)
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.DefaultPageLimit, defaults.Limit)
	assert.Equal(t, want[:accesstokenstest.DefaultPageLimit], fiPageIDs(defaults))
}

func TestFakeServerCapsTheLimitAndThePageSaysSo(t *testing.T) {
	t.Parallel()
	srv := fiNewServer(t, accesstokenstest.WithMaxPageLimit(20))
	sc := fiScopeNamed("user")
	srv.SeedTokens(sc.scope, 57)
	want := fiNewestFirst(fiScopeIDs(srv, sc.scope))
	alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)

	page, err := sc.list(ctx, alice, &accesstokens.ListOptions{Limit: 500})
	require.NoError(t, err)
	assert.Equal(t, 20, page.Limit, "the applied limit, not the requested one")
	assert.Equal(t, 20, page.Size)
	assert.Equal(t, want[:20], fiPageIDs(page))
	assert.False(t, page.IsLastPage)
	assert.Equal(t, 20, page.NextPageStart)

	srv.ResetRequests()
	assert.Equal(t, want, fiCollect(t, sc.all(ctx, alice, &accesstokens.ListOptions{Limit: 500})))
	assert.Len(t, srv.Requests(), 3, "57 tokens at 20 a page")
}

func TestFakeOneClientSharedByManyGoroutinesKeepsTheFakeConsistent(t *testing.T) {
	t.Parallel()
	const (
		workers   = 16
		perWorker = 3
	)
	srv := fiNewServer(t)
	alice := fiBasic(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)
	scopes := fiDemoScopes()

	type result struct {
		scope   string
		kept    map[string]string // id → name, what the worker was told still exists
		deleted []string
		err     error
	}
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scopes[w%len(scopes)]
			res := result{scope: sc.scope, kept: map[string]string{}}
			defer func() { results <- res }()
			var ids []string
			for i := range perWorker {
				name := fmt.Sprintf("w%02d-%d", w, i)
				raw, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: name, Permissions: sc.perms})
				if err != nil {
					res.err = fmt.Errorf("create %s: %w", name, err)
					return
				}
				if !fiTokenID.MatchString(raw.ID) || raw.Name != name {
					res.err = fmt.Errorf("create %s answered id %q name %q", name, raw.ID, raw.Name)
					return
				}
				ids = append(ids, raw.ID)
				res.kept[raw.ID] = name
			}
			// One page holds the whole scope (at most 6 workers × 3 tokens): paging by
			// position while other goroutines delete would legitimately skip tokens.
			seen := map[string]bool{}
			for tok, err := range sc.all(ctx, alice, nil) {
				if err != nil {
					res.err = fmt.Errorf("all: %w", err)
					return
				}
				seen[tok.ID] = true
			}
			for _, id := range ids {
				if !seen[id] {
					res.err = fmt.Errorf("all did not list %s, created by this worker", id)
					return
				}
			}
			if err := sc.delete(ctx, alice, ids[0]); err != nil {
				res.err = fmt.Errorf("delete %s: %w", ids[0], err)
				return
			}
			delete(res.kept, ids[0])
			res.deleted = append(res.deleted, ids[0])
			if _, err := sc.get(ctx, alice, ids[0]); !errors.Is(err, accesstokens.ErrNotFound) {
				res.err = fmt.Errorf("get after delete: want ErrNotFound, got %v", err)
			}
		}()
	}
	wg.Wait()
	close(results)

	want := map[string]string{} // id → scope + name
	var deleted []string
	for res := range results {
		require.NoError(t, res.err)
		for id, name := range res.kept {
			_, dup := want[id]
			require.False(t, dup, "id %s handed out twice", id)
			want[id] = res.scope + " " + name
		}
		deleted = append(deleted, res.deleted...)
	}
	require.Len(t, want, workers*(perWorker-1))
	require.Len(t, deleted, workers)

	got := map[string]string{}
	for _, tok := range srv.Tokens() {
		got[tok.ID] = tok.Scope + " " + tok.Name
	}
	assert.Equal(t, want, got, "the fake holds exactly what the goroutines were told")

	var creates, deletes int
	for _, r := range srv.Requests() {
		switch r.Method {
		case "PUT":
			creates++
		case "DELETE":
			deletes++
			assert.Equal(t, 204, r.Status)
		}
	}
	assert.Equal(t, workers*perWorker, creates, "each create was one request: no retries, no duplicates")
	assert.Equal(t, workers, deletes)
}
