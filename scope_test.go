package accesstokens_test

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func TestScopeConstructorsWriteWhatParseScopeReads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scope accesstokens.Scope
		want  string
	}{
		{accesstokens.UserScope("alice"), "user:alice"},
		{accesstokens.ProjectScope("PRJ"), "project:PRJ"},
		{accesstokens.RepoScope("PRJ", "my-repo"), "repo:PRJ/my-repo"},
		{accesstokens.UserScope("jane.doe@example.com"), "user:jane.doe@example.com"},
		{accesstokens.UserScope("a:b"), "user:a:b"},
		{accesstokens.RepoScope("~ALICE", "dots.in.slug"), "repo:~ALICE/dots.in.slug"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.scope.String())
			parsed, err := accesstokens.ParseScope(tc.want)
			require.NoError(t, err)
			assert.Equal(t, tc.scope, parsed)
		})
	}
}

func TestScopeConstructorsFillExactlyTheirFields(t *testing.T) {
	t.Parallel()
	assert.Equal(t, accesstokens.Scope{UserSlug: "alice"}, accesstokens.UserScope("alice"))
	assert.Equal(t, accesstokens.Scope{ProjectKey: "PRJ"}, accesstokens.ProjectScope("PRJ"))
	assert.Equal(t, accesstokens.Scope{ProjectKey: "PRJ", RepoSlug: "repo"}, accesstokens.RepoScope("PRJ", "repo"))
}

func TestParseScopeKindIsCaseInsensitiveButTheRestIsKept(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]accesstokens.Scope{
		"USER:Alice":       accesstokens.UserScope("Alice"),
		"Project:prj":      accesstokens.ProjectScope("prj"),
		"REPO:PRJ/My-Repo": accesstokens.RepoScope("PRJ", "My-Repo"),
	} {
		got, err := accesstokens.ParseScope(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func TestParseScopeRejectsMalformedInputNamingTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, field string
	}{
		{"", "scope"},
		{"alice", "scope"},
		{"team:x", "scope"},
		{":x", "scope"},
		{"user:", "userSlug"},
		{"user:..", "userSlug"},
		{"project:", "projectKey"},
		{"project:.", "projectKey"},
		{"project:PRJ/repo", "projectKey"}, // a repository written as a project
		{"repo:PRJ", "scope"},
		{"repo:PRJ/", "repoSlug"}, // not, by its shape, the project scope of PRJ
		{"repo:/repo", "projectKey"},
		{"repo:/", "projectKey"},
		{"repo:PRJ/..", "repoSlug"},
		{"repo:PRJ/repo/extra", "repoSlug"},           // no slug holds a "/"
		{"user:access-token-user/2/1405", "userSlug"}, // a bot's name, not its slug
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			sc, err := accesstokens.ParseScope(tc.in)
			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			var argErr *accesstokens.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tc.field, argErr.Field, "error: %v", err)
			assert.Equal(t, accesstokens.Scope{}, sc)
		})
	}
}

func TestStringOfAnInvalidScopeShowsEveryField(t *testing.T) {
	t.Parallel()
	got := accesstokens.Scope{UserSlug: "alice", ProjectKey: "PRJ"}.String()
	assert.Contains(t, got, "invalid")
	assert.Contains(t, got, "alice")
	assert.Contains(t, got, "PRJ")
	_, err := accesstokens.ParseScope(got)
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}

// TestTokensSendsEveryMethodToTheScopesPath: Client.Tokens addresses the same
// endpoints as the three scope services, picked by the Scope's shape.
func TestTokensSendsEveryMethodToTheScopesPath(t *testing.T) {
	t.Parallel()
	scopes := []struct {
		scope accesstokens.Scope
		path  string
	}{
		{accesstokens.UserScope("alice"), "/users/alice"},
		{accesstokens.ProjectScope("PRJ"), "/projects/PRJ"},
		{accesstokens.RepoScope("PRJ", "my repo"), "/projects/PRJ/repos/my%20repo"},
	}
	for _, sc := range scopes {
		t.Run(sc.scope.String(), func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ctx := testContext(t)
			ts.on(http.MethodGet, sc.path, respond(t, http.StatusOK, "token_list_repo.json"))
			ts.on(http.MethodPut, sc.path, func(w http.ResponseWriter, r *http.Request) {
				assertJSONBody(t, r, `{"name":"ci","permissions":["REPO_READ"],"expiryDays":30}`)
				writeJSON(w, http.StatusOK, fixture(t, "token_created.json"))
			})
			item := sc.path + "/075905477751"
			ts.on(http.MethodGet, item, respond(t, http.StatusOK, "token.json"))
			ts.on(http.MethodPost, item, func(w http.ResponseWriter, r *http.Request) {
				assertJSONBody(t, r, `{"name":"renamed"}`)
				writeJSON(w, http.StatusOK, fixture(t, "token.json"))
			})
			ts.on(http.MethodDelete, item, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

			page, err := c.Tokens.List(ctx, sc.scope, nil)
			require.NoError(t, err)
			assert.Len(t, page.Values, 2)
			n := 0
			for _, err := range c.Tokens.All(ctx, sc.scope, nil) {
				require.NoError(t, err)
				n++
			}
			assert.Equal(t, 2, n)
			created, err := c.Tokens.Create(ctx, sc.scope, accesstokens.CreateTokenRequest{
				Name: "ci", Permissions: []accesstokens.Permission{accesstokens.RepoRead}, ExpiryDays: 30,
			})
			require.NoError(t, err)
			assert.Equal(t, "786587856882", created.ID)
			got, err := c.Tokens.Get(ctx, sc.scope, "075905477751")
			require.NoError(t, err)
			assert.Equal(t, "ci deploy", got.Name)
			name := "renamed"
			_, err = c.Tokens.Update(ctx, sc.scope, "075905477751", accesstokens.UpdateTokenRequest{Name: &name})
			require.NoError(t, err)
			require.NoError(t, c.Tokens.Delete(ctx, sc.scope, "075905477751"))

			assert.Equal(t, 2, ts.count(http.MethodGet, sc.path), "List and All")
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
				assert.Equal(t, 1, ts.count(m, item), m)
			}
		})
	}
}

// TestTokensAndTheScopeServicesAnswerAlike: the same request through
// Client.Tokens and through the scope's own service gives the same value.
func TestTokensAndTheScopeServicesAnswerAlike(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ctx := testContext(t)
	ts.on(http.MethodGet, "/projects/PRJ/repos/repo/075905477751", respond(t, http.StatusOK, "token.json"))
	viaTokens, err := c.Tokens.Get(ctx, accesstokens.RepoScope("PRJ", "repo"), "075905477751")
	require.NoError(t, err)
	viaRepo, err := c.RepoTokens.Get(ctx, "PRJ", "repo", "075905477751")
	require.NoError(t, err)
	assert.Equal(t, viaRepo, viaTokens)
}

// TestTokensRefusesInvalidScopesBeforeSending: every method checks the
// Scope's shape and segments first; the test server fails on any request.
func TestTokensRefusesInvalidScopesBeforeSending(t *testing.T) {
	t.Parallel()
	_, c := newTestServer(t)
	ctx := context.Background()
	scopes := []struct {
		name  string
		scope accesstokens.Scope
		field string
	}{
		{"empty", accesstokens.Scope{}, "scope"},
		{"user and project", accesstokens.Scope{UserSlug: "alice", ProjectKey: "PRJ"}, "scope"},
		{"user and repo", accesstokens.Scope{UserSlug: "alice", RepoSlug: "repo"}, "scope"},
		{"repo without project", accesstokens.Scope{RepoSlug: "repo"}, "projectKey"},
		{"dot-dot user", accesstokens.UserScope(".."), "userSlug"},
		{"dot project", accesstokens.ProjectScope("."), "projectKey"},
		{"dot-dot repo", accesstokens.RepoScope("PRJ", ".."), "repoSlug"},
	}
	req := accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.RepoRead}}
	name := "y"
	calls := map[string]func(accesstokens.Scope) error{
		"List": func(s accesstokens.Scope) error { _, err := c.Tokens.List(ctx, s, nil); return err },
		"All": func(s accesstokens.Scope) error {
			for _, err := range c.Tokens.All(ctx, s, nil) {
				return err
			}
			return errors.New("All yielded nothing")
		},
		"Create": func(s accesstokens.Scope) error { _, err := c.Tokens.Create(ctx, s, req); return err },
		"Get":    func(s accesstokens.Scope) error { _, err := c.Tokens.Get(ctx, s, "1"); return err },
		"Update": func(s accesstokens.Scope) error {
			_, err := c.Tokens.Update(ctx, s, "1", accesstokens.UpdateTokenRequest{Name: &name})
			return err
		},
		"Delete": func(s accesstokens.Scope) error { return c.Tokens.Delete(ctx, s, "1") },
	}
	for _, sc := range scopes {
		for method, call := range calls {
			t.Run(sc.name+"/"+method, func(t *testing.T) {
				err := call(sc.scope)
				require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
				var argErr *accesstokens.InvalidArgumentError
				require.ErrorAs(t, err, &argErr)
				assert.Equal(t, sc.field, argErr.Field, "error: %v", err)
			})
		}
	}
}

func TestTokensChecksPermissionsForTheScopesKind(t *testing.T) {
	t.Parallel()
	_, c := newTestServer(t)
	_, err := c.Tokens.Create(context.Background(), accesstokens.RepoScope("PRJ", "repo"), accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead},
	})
	var argErr *accesstokens.InvalidArgumentError
	require.ErrorAs(t, err, &argErr)
	assert.Equal(t, "Permissions", argErr.Field)
	assert.Contains(t, argErr.Reason, "repository token")
}

func TestTokensRefusesABadTokenIDBeforeSending(t *testing.T) {
	t.Parallel()
	_, c := newTestServer(t)
	for _, id := range []string{"", ".", ".."} {
		_, err := c.Tokens.Get(context.Background(), accesstokens.ProjectScope("PRJ"), id)
		var argErr *accesstokens.InvalidArgumentError
		require.ErrorAs(t, err, &argErr, "id %q", id)
		assert.Equal(t, "tokenID", argErr.Field)
	}
}

// The exported names of scopes and Client.Tokens, as published: this stops compiling if one of
// them is renamed or changes shape (fields by composite literals, methods by
// method values).
var (
	_                                          = accesstokens.Scope{UserSlug: "", ProjectKey: "", RepoSlug: ""}
	_ func(string) accesstokens.Scope          = accesstokens.UserScope
	_ func(string) accesstokens.Scope          = accesstokens.ProjectScope
	_ func(string, string) accesstokens.Scope  = accesstokens.RepoScope
	_ func(string) (accesstokens.Scope, error) = accesstokens.ParseScope
	_ func(accesstokens.Scope) string          = accesstokens.Scope.String
	_ *accesstokens.TokensService              = &new(accesstokens.Client).Tokens
)

// tokensSignatures spells TokensService out.
type tokensSignatures interface {
	List(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error)
	All(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error]
	Create(ctx context.Context, scope accesstokens.Scope, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	Get(ctx context.Context, scope accesstokens.Scope, tokenID string) (*accesstokens.AccessToken, error)
	Update(ctx context.Context, scope accesstokens.Scope, tokenID string, req accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error)
	Delete(ctx context.Context, scope accesstokens.Scope, tokenID string) error
}

// Each way round: the interface has exactly these methods.
var (
	_ tokensSignatures           = accesstokens.TokensService(nil)
	_ accesstokens.TokensService = tokensSignatures(nil)
)
