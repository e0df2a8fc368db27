package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// tkScope is one of the three token scopes, seen through the public API with
// fixed owner names, plus the raw path the server must see for it.
type tkScope struct {
	name   string
	prefix string                    // raw path of the collection below the API root
	perms  []accesstokens.Permission // valid permissions for a create in this scope
	list   func(context.Context, *accesstokens.Client, *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error)
	create func(context.Context, *accesstokens.Client, accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	get    func(context.Context, *accesstokens.Client, string) (*accesstokens.AccessToken, error)
	update func(context.Context, *accesstokens.Client, string, accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error)
	del    func(context.Context, *accesstokens.Client, string) error
}

var tkScopes = []tkScope{
	{
		name: "user", prefix: "/users/alice",
		perms: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
			return c.UserTokens.List(ctx, "alice", o)
		},
		create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
			return c.UserTokens.Create(ctx, "alice", r)
		},
		get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
			return c.UserTokens.Get(ctx, "alice", id)
		},
		update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
			return c.UserTokens.Update(ctx, "alice", id, r)
		},
		del: func(ctx context.Context, c *accesstokens.Client, id string) error {
			return c.UserTokens.Delete(ctx, "alice", id)
		},
	},
	{
		name: "project", prefix: "/projects/PRJ",
		perms: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
			return c.ProjectTokens.List(ctx, "PRJ", o)
		},
		create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
			return c.ProjectTokens.Create(ctx, "PRJ", r)
		},
		get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
			return c.ProjectTokens.Get(ctx, "PRJ", id)
		},
		update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
			return c.ProjectTokens.Update(ctx, "PRJ", id, r)
		},
		del: func(ctx context.Context, c *accesstokens.Client, id string) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", id)
		},
	},
	{
		name: "repository", prefix: "/projects/PRJ/repos/repo",
		perms: []accesstokens.Permission{accesstokens.RepoWrite},
		list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
			return c.RepoTokens.List(ctx, "PRJ", "repo", o)
		},
		create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
			return c.RepoTokens.Create(ctx, "PRJ", "repo", r)
		},
		get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
			return c.RepoTokens.Get(ctx, "PRJ", "repo", id)
		},
		update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
			return c.RepoTokens.Update(ctx, "PRJ", "repo", id, r)
		},
		del: func(ctx context.Context, c *accesstokens.Client, id string) error {
			return c.RepoTokens.Delete(ctx, "PRJ", "repo", id)
		},
	},
}

// endpointCase is one call through the public API and the exact request it
// must produce.
type endpointCase struct {
	name    string
	method  string
	rel     string // raw path below the API root
	query   string // raw query, "" for none
	body    string // expected JSON body, "" for none
	status  int
	fixture string // answer body, "" for none
	call    func(context.Context, *accesstokens.Client) (any, error)
	check   func(*testing.T, any)
}

func checkRepoPage(t *testing.T, got any) {
	page := got.(*accesstokens.Page[accesstokens.AccessToken])
	require.Len(t, page.Values, 2)
	assert.Equal(t, 2, page.Size)
	assert.Equal(t, 25, page.Limit)
	assert.Equal(t, 0, page.Start)
	assert.True(t, page.IsLastPage)
	assert.Equal(t, "848894838086", page.Values[0].ID)
	assert.Equal(t, "demo expire", page.Values[0].Name)
	require.NotNil(t, page.Values[0].ExpiryDate)
	assert.Equal(t, ms(1680769857717), *page.Values[0].ExpiryDate)
	assert.Equal(t, "373646823580", page.Values[1].ID)
	assert.Nil(t, page.Values[1].ExpiryDate)
}

func checkCreated(t *testing.T, got any) {
	raw := got.(*accesstokens.RawAccessToken)
	assert.Equal(t, "786587856882", raw.ID)
	assert.Equal(t, "Demo 3", raw.Name)
	assert.Equal(t, "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw", raw.Token.Reveal())
	assert.Equal(t, ms(1673273224446), raw.CreatedDate)
	require.NotNil(t, raw.ExpiryDate)
	assert.Equal(t, ms(1684328824446), *raw.ExpiryDate)
}

func checkToken(t *testing.T, got any) {
	tok := got.(*accesstokens.AccessToken)
	assert.Equal(t, "075905477751", tok.ID)
	assert.Equal(t, "ci deploy", tok.Name)
	assert.Equal(t, []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite}, tok.Permissions)
}

// noValueCall is what the cases of calls that return no value (Delete, the
// policy writes) hand to checkNoValue: the call itself, to run again.
type noValueCall func(context.Context, *accesstokens.Client) error

// noValue runs call and returns it along with its error, for checkNoValue.
func noValue(ctx context.Context, c *accesstokens.Client, call noValueCall) (any, error) {
	return call, call(ctx, c)
}

// checkNoValue proves that the success just seen came from reading the
// answer: the same call, answered 404 or 200 with an HTML page, fails.
func checkNoValue(t *testing.T, got any) {
	t.Helper()
	call := got.(noValueCall)
	answers := []struct {
		name   string
		answer http.HandlerFunc
		want   error
	}{
		{"404", answerFixture(t, http.StatusNotFound, "error_no_such_project.json"), accesstokens.ErrNotFound},
		{"HTML 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html><body>Log in</body></html>")
		}, nil},
	}
	for _, a := range answers {
		rs := newRecServer(t, a.answer)
		c, err := accesstokens.NewClient(rs.URL, accesstokens.WithToken("test-token"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
		require.NoError(t, err)
		err = call(testContext(t), c)
		require.Error(t, err, a.name)
		if a.want != nil {
			assert.ErrorIs(t, err, a.want, a.name)
		}
		assert.Len(t, rs.requests(), 1, a.name)
	}
}

// allEndpointCases covers the 16 endpoints, with the body and query variants
// each one has.
func allEndpointCases() []endpointCase {
	var cases []endpointCase
	for _, sc := range tkScopes {
		permsJSON := `["` + strings.Join(permStrings(sc.perms), `","`) + `"]`
		cases = append(cases,
			endpointCase{
				name: sc.name + " list", method: http.MethodGet, rel: sc.prefix,
				status: 200, fixture: "token_list_repo.json", check: checkRepoPage,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) { return sc.list(ctx, c, nil) },
			},
			endpointCase{
				name: sc.name + " list with start and limit", method: http.MethodGet, rel: sc.prefix, query: "limit=50&start=25",
				status: 200, fixture: "token_list_repo.json", check: checkRepoPage,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return sc.list(ctx, c, &accesstokens.ListOptions{Start: 25, Limit: 50})
				},
			},
			endpointCase{
				name: sc.name + " list with zero options sends no query", method: http.MethodGet, rel: sc.prefix,
				status: 200, fixture: "token_list_repo.json", check: checkRepoPage,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return sc.list(ctx, c, &accesstokens.ListOptions{})
				},
			},
			endpointCase{
				name: sc.name + " create without expiry omits expiryDays", method: http.MethodPut, rel: sc.prefix,
				body:   `{"name":"ci","permissions":` + permsJSON + `}`,
				status: 200, fixture: "token_created.json", check: checkCreated,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "ci", Permissions: sc.perms})
				},
			},
			endpointCase{
				name: sc.name + " create with expiry sends expiryDays", method: http.MethodPut, rel: sc.prefix,
				body:   `{"name":"ci","permissions":` + permsJSON + `,"expiryDays":30}`,
				status: 200, fixture: "token_created.json", check: checkCreated,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return sc.create(ctx, c, accesstokens.CreateTokenRequest{Name: "ci", Permissions: sc.perms, ExpiryDays: 30})
				},
			},
			endpointCase{
				name: sc.name + " get", method: http.MethodGet, rel: sc.prefix + "/075905477751",
				status: 200, fixture: "token.json", check: checkToken,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) { return sc.get(ctx, c, "075905477751") },
			},
			endpointCase{
				name: sc.name + " update name only", method: http.MethodPost, rel: sc.prefix + "/075905477751",
				body:   `{"name":"renamed"}`,
				status: 200, fixture: "token.json", check: checkToken,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					name := "renamed"
					return sc.update(ctx, c, "075905477751", accesstokens.UpdateTokenRequest{Name: &name})
				},
			},
			endpointCase{
				name: sc.name + " update permissions only", method: http.MethodPost, rel: sc.prefix + "/075905477751",
				body:   `{"permissions":["REPO_ADMIN"]}`,
				status: 200, fixture: "token.json", check: checkToken,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return sc.update(ctx, c, "075905477751", accesstokens.UpdateTokenRequest{Permissions: []accesstokens.Permission{accesstokens.RepoAdmin}})
				},
			},
			endpointCase{
				name: sc.name + " update name and permissions", method: http.MethodPost, rel: sc.prefix + "/075905477751",
				body:   `{"name":"renamed","permissions":` + permsJSON + `}`,
				status: 200, fixture: "token.json", check: checkToken,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					name := "renamed"
					return sc.update(ctx, c, "075905477751", accesstokens.UpdateTokenRequest{Name: &name, Permissions: sc.perms})
				},
			},
			endpointCase{
				name: sc.name + " delete", method: http.MethodDelete, rel: sc.prefix + "/075905477751",
				status: 204, check: checkNoValue,
				call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
					return noValue(ctx, c, func(ctx context.Context, c *accesstokens.Client) error {
						return sc.del(ctx, c, "075905477751")
					})
				},
			},
		)
	}
	cases = append(cases,
		endpointCase{
			name: "admin get policy", method: http.MethodGet, rel: "/admin",
			status: 200, fixture: "policy.json",
			check: func(t *testing.T, got any) {
				assert.Equal(t, &accesstokens.ExpiryPolicy{MaxExpiryDays: 90}, got.(*accesstokens.ExpiryPolicy))
			},
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) { return c.Admin.GetExpiryPolicy(ctx) },
		},
		endpointCase{
			name: "admin set policy", method: http.MethodPut, rel: "/admin", body: `{"maxExpiryDays":30}`,
			status: 204, check: checkNoValue,
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return noValue(ctx, c, func(ctx context.Context, c *accesstokens.Client) error {
					return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
				})
			},
		},
		endpointCase{
			name: "admin delete policy", method: http.MethodDelete, rel: "/admin",
			status: 204, check: checkNoValue,
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return noValue(ctx, c, func(ctx context.Context, c *accesstokens.Client) error {
					return c.Admin.DeleteExpiryPolicy(ctx)
				})
			},
		},
	)
	return cases
}

func permStrings(ps []accesstokens.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// baseVariants are the ways a base URL and API version can be given, with the
// API root each must reach on the server.
var baseVariants = []struct {
	name   string
	suffix string // appended to the server's address to form the base URL
	opts   []accesstokens.Option
	root   string
}{
	{"context path", "/bitbucket", nil, "/bitbucket/rest/access-tokens/latest"},
	{"context path with trailing slash", "/bitbucket/", nil, "/bitbucket/rest/access-tokens/latest"},
	{"explicit latest", "/bitbucket", []accesstokens.Option{accesstokens.WithAPIVersion("latest")}, "/bitbucket/rest/access-tokens/latest"},
	{"version 1.0", "/bitbucket", []accesstokens.Option{accesstokens.WithAPIVersion("1.0")}, "/bitbucket/rest/access-tokens/1.0"},
	{"version 1.0 with trailing slash", "/bitbucket/", []accesstokens.Option{accesstokens.WithAPIVersion("1.0")}, "/bitbucket/rest/access-tokens/1.0"},
	{"nested context path", "/tools/git", nil, "/tools/git/rest/access-tokens/latest"},
	{"no context path", "", nil, "/rest/access-tokens/latest"},
	{"bare slash", "/", nil, "/rest/access-tokens/latest"},
}

func TestEveryEndpointSendsExactRequestAndDecodesAnswer(t *testing.T) {
	t.Parallel()
	cases := allEndpointCases()
	// The 16 endpoints of the API reference: 5 per token scope (15) and the
	// admin policy resource, which answers GET, PUT and DELETE: 18 distinct
	// method and path pairs in all.
	seen := map[string]bool{}
	for _, tc := range cases {
		key := tc.method + " " + tc.rel
		seen[key] = true
	}
	require.Len(t, seen, 18, "the table must cover every endpoint and verb")

	for _, bv := range baseVariants {
		t.Run(bv.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					rs := newRecServer(t, answerFixture(t, tc.status, tc.fixture))
					opts := append([]accesstokens.Option{
						accesstokens.WithToken("test-token"), accesstokens.WithRetry(accesstokens.RetryPolicy{}),
					}, bv.opts...)
					c, err := accesstokens.NewClient(rs.URL+bv.suffix, opts...)
					require.NoError(t, err)

					got, err := tc.call(testContext(t), c)
					require.NoError(t, err)

					reqs := rs.requests()
					require.Len(t, reqs, 1, "exactly one request")
					r := reqs[0]
					assert.Equal(t, tc.method, r.Method)
					wantURI := bv.root + tc.rel
					if tc.query != "" {
						wantURI += "?" + tc.query
					}
					assert.Equal(t, wantURI, r.RequestURI)
					assert.Equal(t, tc.query, r.RawQuery)
					assert.Equal(t, "Bearer test-token", r.Header.Get("Authorization"))
					assert.Equal(t, "application/json", r.Header.Get("Accept"))
					assert.Equal(t, "accesstokens-go/"+accesstokens.Version, r.Header.Get("User-Agent"))
					if tc.body == "" {
						assert.Empty(t, r.Body)
						assert.Empty(t, r.Header.Get("Content-Type"))
					} else {
						assert.JSONEq(t, tc.body, string(r.Body))
						assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
					}
					tc.check(t, got)
				})
			}
		})
	}
}

// TestAllWalksPagesOnEveryScope checks the iterator of each scope sends the
// same requests as List, following nextPageStart.
func TestAllWalksPagesOnEveryScope(t *testing.T) {
	t.Parallel()
	collect := func(seq func(func(accesstokens.AccessToken, error) bool), t *testing.T) []string {
		var ids []string
		seq(func(tok accesstokens.AccessToken, err error) bool {
			require.NoError(t, err)
			ids = append(ids, tok.ID)
			return true
		})
		return ids
	}
	cases := []struct {
		prefix string
		all    func(context.Context, *accesstokens.Client, *testing.T) []string
	}{
		{"/users/alice", func(ctx context.Context, c *accesstokens.Client, t *testing.T) []string {
			return collect(c.UserTokens.All(ctx, "alice", &accesstokens.ListOptions{Limit: 1}), t)
		}},
		{"/projects/PRJ", func(ctx context.Context, c *accesstokens.Client, t *testing.T) []string {
			return collect(c.ProjectTokens.All(ctx, "PRJ", &accesstokens.ListOptions{Limit: 1}), t)
		}},
		{"/projects/PRJ/repos/repo", func(ctx context.Context, c *accesstokens.Client, t *testing.T) []string {
			return collect(c.RepoTokens.All(ctx, "PRJ", "repo", &accesstokens.ListOptions{Limit: 1}), t)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.prefix, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			first, last := fixture(t, "page_first.json"), fixture(t, "page_last.json")
			ts.on(http.MethodGet, tc.prefix, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.RawQuery {
				case "limit=1":
					writeJSON(w, 200, first)
				case "limit=1&start=7":
					writeJSON(w, 200, last)
				default:
					t.Errorf("unexpected query %q", r.URL.RawQuery)
					w.WriteHeader(http.StatusTeapot)
				}
			})
			assert.Equal(t, []string{"000000000003", "000000000001"}, tc.all(testContext(t), c, t))
			assert.Equal(t, 2, ts.count(http.MethodGet, tc.prefix))
		})
	}
}

// TestPathSegmentsAreEscapedOnTheWire proves a slug cannot change which
// resource a request reaches: every segment travels percent-encoded.
func TestPathSegmentsAreEscapedOnTheWire(t *testing.T) {
	t.Parallel()
	const root = "/bitbucket/rest/access-tokens/latest"
	cases := []struct {
		name    string
		call    func(context.Context, *accesstokens.Client) error
		wantURI string
	}{
		{"slash in user slug", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "a/b", "1")
			return err
		}, "/users/a%2Fb/1"},
		{"question mark in user slug", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.List(ctx, "who?limit=1000", &accesstokens.ListOptions{Limit: 5})
			return err
		}, "/users/who%3Flimit=1000?limit=5"},
		{"percent in user slug", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "100%", "1")
			return err
		}, "/users/100%25/1"},
		{"encoded dots stay literal", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "%2e%2e", "1")
			return err
		}, "/users/%252e%252e/1"},
		{"hash and space in user slug", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "a b#c", "1")
			return err
		}, "/users/a%20b%23c/1"},
		{"traversal in token id", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "alice", "1/../../../admin")
			return err
		}, "/users/alice/1%2F..%2F..%2F..%2Fadmin"},
		{"slash in project key", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Get(ctx, "PRJ/repos/x", "1")
			return err
		}, "/projects/PRJ%2Frepos%2Fx/1"},
		{"slash in repo slug on update", func(ctx context.Context, c *accesstokens.Client) error {
			name := "n"
			_, err := c.RepoTokens.Update(ctx, "PRJ", "repo/../other", "7", accesstokens.UpdateTokenRequest{Name: &name})
			return err
		}, "/projects/PRJ/repos/repo%2F..%2Fother/7"},
		{"question mark in repo slug on create", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Create(ctx, "P?K", "r%s", accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
			return err
		}, "/projects/P%3FK/repos/r%25s"},
		{"slash in token id on delete", func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1/2")
		}, "/projects/PRJ/1%2F2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := newRecServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.Method {
				case http.MethodDelete:
					w.WriteHeader(http.StatusNoContent)
				case http.MethodPut:
					writeJSON(w, 200, fixture(t, "token_created.json"))
				default:
					if strings.HasSuffix(r.URL.Path, "/1") || strings.HasSuffix(r.URL.Path, "/7") || strings.HasSuffix(r.URL.Path, "admin") {
						writeJSON(w, 200, fixture(t, "token.json"))
						return
					}
					writeJSON(w, 200, fixture(t, "token_list_repo.json"))
				}
			})
			c, err := accesstokens.NewClient(rs.URL+"/bitbucket", accesstokens.WithToken("x"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
			require.NoError(t, err)
			require.NoError(t, tc.call(testContext(t), c))
			reqs := rs.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, root+tc.wantURI, reqs[0].RequestURI)
			path, _, _ := strings.Cut(root+tc.wantURI, "?")
			assert.Equal(t, path, reqs[0].EscapedPath)
		})
	}
}

// TestUnsafePathSegmentsAreRefusedBeforeSending covers "", "." and ".." for
// every path argument of every method.
func TestUnsafePathSegmentsAreRefusedBeforeSending(t *testing.T) {
	t.Parallel()
	type callFn func(ctx context.Context, c *accesstokens.Client, v string) error
	create := accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.RepoRead}}
	name := "n"
	update := accesstokens.UpdateTokenRequest{Name: &name}
	drain := func(seq func(func(accesstokens.AccessToken, error) bool)) error {
		var first error
		seq(func(_ accesstokens.AccessToken, err error) bool {
			first = err
			return false
		})
		return first
	}
	calls := []struct {
		name, field string
		call        callFn
	}{
		{"user list", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.List(ctx, v, nil)
			return err
		}},
		{"user all", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return drain(c.UserTokens.All(ctx, v, nil))
		}},
		{"user create", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.Create(ctx, v, create)
			return err
		}},
		{"user get", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.Get(ctx, v, "1")
			return err
		}},
		{"user update", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.Update(ctx, v, "1", update)
			return err
		}},
		{"user delete", "userSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.UserTokens.Delete(ctx, v, "1")
		}},
		{"user get token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.Get(ctx, "alice", v)
			return err
		}},
		{"user update token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.UserTokens.Update(ctx, "alice", v, update)
			return err
		}},
		{"user delete token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.UserTokens.Delete(ctx, "alice", v)
		}},
		{"project list", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.List(ctx, v, nil)
			return err
		}},
		{"project all", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return drain(c.ProjectTokens.All(ctx, v, nil))
		}},
		{"project create", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.Create(ctx, v, create)
			return err
		}},
		{"project get", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.Get(ctx, v, "1")
			return err
		}},
		{"project update", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.Update(ctx, v, "1", update)
			return err
		}},
		{"project delete", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.ProjectTokens.Delete(ctx, v, "1")
		}},
		{"project get token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.Get(ctx, "PRJ", v)
			return err
		}},
		{"project update token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.ProjectTokens.Update(ctx, "PRJ", v, update)
			return err
		}},
		{"project delete token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", v)
		}},
		{"repo list project key", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.List(ctx, v, "repo", nil)
			return err
		}},
		{"repo list repo slug", "repoSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.List(ctx, "PRJ", v, nil)
			return err
		}},
		{"repo all repo slug", "repoSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return drain(c.RepoTokens.All(ctx, "PRJ", v, nil))
		}},
		{"repo create project key", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Create(ctx, v, "repo", create)
			return err
		}},
		{"repo create repo slug", "repoSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Create(ctx, "PRJ", v, create)
			return err
		}},
		{"repo get repo slug", "repoSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Get(ctx, "PRJ", v, "1")
			return err
		}},
		{"repo get token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Get(ctx, "PRJ", "repo", v)
			return err
		}},
		{"repo update project key", "projectKey", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Update(ctx, v, "repo", "1", update)
			return err
		}},
		{"repo update token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			_, err := c.RepoTokens.Update(ctx, "PRJ", "repo", v, update)
			return err
		}},
		{"repo delete repo slug", "repoSlug", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.RepoTokens.Delete(ctx, "PRJ", v, "1")
		}},
		{"repo delete token id", "tokenID", func(ctx context.Context, c *accesstokens.Client, v string) error {
			return c.RepoTokens.Delete(ctx, "PRJ", "repo", v)
		}},
	}
	rs := newRecServer(t, answerFixture(t, http.StatusTeapot, ""))
	c, err := accesstokens.NewClient(rs.URL+"/bitbucket", accesstokens.WithToken("x"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	t.Run("cases", func(t *testing.T) {
		for _, tc := range calls {
			for _, bad := range []string{"", ".", ".."} {
				t.Run(fmt.Sprintf("%s %q", tc.name, bad), func(t *testing.T) {
					t.Parallel()
					requireInvalidArgument(t, tc.call(testContext(t), c, bad), tc.field)
				})
			}
		}
	})
	assert.Empty(t, rs.requests(), "nothing may reach the server")
}

func TestRealResponsesDecode(t *testing.T) {
	t.Parallel()

	t.Run("service-owned token with leading-zero id and epoch-ms dates", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/projects/PRJ/075905477751", respond(t, 200, "token.json"))
		tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "075905477751")
		require.NoError(t, err)
		assert.Equal(t, "075905477751", tok.ID, "ids are strings; leading zeros survive")
		assert.Equal(t, "ci deploy", tok.Name)
		assert.Equal(t, time.UTC, tok.CreatedDate.Location())
		assert.True(t, tok.CreatedDate.Equal(time.Date(2023, 1, 6, 9, 12, 31, 30e6, time.UTC)), "got %v", tok.CreatedDate)
		assert.Equal(t, int64(1672996351030), tok.CreatedDate.UnixMilli())
		assert.Nil(t, tok.ExpiryDate, "absent expiryDate means never expires")
		require.NotNil(t, tok.LastAuthenticated)
		assert.Equal(t, time.UTC, tok.LastAuthenticated.Location())
		assert.Equal(t, int64(1673000000123), tok.LastAuthenticated.UnixMilli())
		assert.Equal(t, []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite}, tok.Permissions)
		assert.Equal(t, &accesstokens.User{
			ID: 16771, Name: "access-token-user/1/42", Slug: "access-token-user_1_42",
			DisplayName: "Access Token User - PRJ", EmailAddress: "", Active: true, Type: "SERVICE",
		}, tok.User)
	})

	t.Run("create answer with normal owner, expiry and secret", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t)
		ts.on(http.MethodPut, "/users/api-user", respond(t, 200, "token_created.json"))
		raw, err := c.UserTokens.Create(testContext(t), "api-user", accesstokens.CreateTokenRequest{
			Name: "Demo 3", Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead}, ExpiryDays: 128,
		})
		require.NoError(t, err)
		assert.Equal(t, "786587856882", raw.ID)
		assert.Equal(t, time.Date(2023, 1, 9, 14, 7, 4, 446e6, time.UTC), raw.CreatedDate)
		require.NotNil(t, raw.ExpiryDate)
		assert.Equal(t, time.UTC, raw.ExpiryDate.Location())
		assert.Equal(t, int64(1684328824446), raw.ExpiryDate.UnixMilli())
		assert.Nil(t, raw.LastAuthenticated, "absent lastAuthenticated means never used")
		assert.Equal(t, &accesstokens.User{
			ID: 12910, Name: "api-user", Slug: "api-user", DisplayName: "Api User",
			EmailAddress: "api-user@e.mail", Active: true, Type: "NORMAL",
		}, raw.User)
		assert.Equal(t, "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw", raw.Token.Reveal())
	})

	t.Run("ISO-8601 dates as the published spec has them", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/users/alice/252973515069", respond(t, 200, "token_iso_dates.json"))
		tok, err := c.UserTokens.Get(testContext(t), "alice", "252973515069")
		require.NoError(t, err)
		assert.Equal(t, time.UTC, tok.CreatedDate.Location())
		assert.Equal(t, time.Date(2023, 1, 6, 9, 30, 57, 717e6, time.UTC), tok.CreatedDate)
		require.NotNil(t, tok.ExpiryDate)
		assert.Equal(t, time.UTC, tok.ExpiryDate.Location())
		assert.Equal(t, time.Date(2023, 4, 6, 8, 30, 57, 717e6, time.UTC), *tok.ExpiryDate)
		assert.Nil(t, tok.LastAuthenticated)
		assert.Nil(t, tok.User, "a token without an owner object has no User")
		assert.Equal(t, []accesstokens.Permission{accesstokens.RepoAdmin, accesstokens.ProjectRead}, tok.Permissions, "order is kept")
	})

	t.Run("ISO-8601 date with an offset becomes the same instant in UTC", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/users/alice/1", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, []byte(`{"id":"1","name":"n","createdDate":"2023-01-06T11:30:57.717+02:00","lastAuthenticated":"1673000000123","permissions":[]}`))
		})
		tok, err := c.UserTokens.Get(testContext(t), "alice", "1")
		require.NoError(t, err)
		assert.Equal(t, time.UTC, tok.CreatedDate.Location())
		assert.Equal(t, time.Date(2023, 1, 6, 9, 30, 57, 717e6, time.UTC), tok.CreatedDate)
		require.NotNil(t, tok.LastAuthenticated)
		assert.Equal(t, ms(1673000000123), *tok.LastAuthenticated)
	})

	t.Run("repository page with bot owner and an empty owner object", func(t *testing.T) {
		t.Parallel()
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/projects/PRJ/repos/demo", respond(t, 200, "token_list_repo.json"))
		page, err := c.RepoTokens.List(testContext(t), "PRJ", "demo", nil)
		require.NoError(t, err)
		require.Len(t, page.Values, 2)
		first, second := page.Values[0], page.Values[1]
		assert.Equal(t, ms(1672997457717), first.CreatedDate)
		assert.Equal(t, time.UTC, first.CreatedDate.Location())
		require.NotNil(t, first.ExpiryDate)
		assert.Equal(t, ms(1680769857717), *first.ExpiryDate)
		assert.Nil(t, first.LastAuthenticated)
		require.NotNil(t, first.User)
		assert.Equal(t, "SERVICE", first.User.Type)
		assert.Equal(t, 16772, first.User.ID)
		assert.Equal(t, "access-token-user_2_1405", first.User.Slug)
		assert.Equal(t, "", first.User.EmailAddress, "emailAddress null decodes to empty")
		assert.Nil(t, second.ExpiryDate)
		require.NotNil(t, second.User)
		assert.Equal(t, accesstokens.User{}, *second.User)
		assert.Equal(t, ms(1672996351030), second.CreatedDate)
	})
}

// TestValidationRefusesBadInputBeforeSending lists every input the client
// must refuse itself, with the field its error names.
func TestValidationRefusesBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	type P = accesstokens.Permission
	const (
		PR, PW, PA = accesstokens.ProjectRead, accesstokens.ProjectWrite, accesstokens.ProjectAdmin
		RR, RW, RA = accesstokens.RepoRead, accesstokens.RepoWrite, accesstokens.RepoAdmin
	)
	str := func(s string) *string { return &s }
	createUser := func(req accesstokens.CreateTokenRequest) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Create(ctx, "alice", req)
			return err
		}
	}
	createProject := func(req accesstokens.CreateTokenRequest) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Create(ctx, "PRJ", req)
			return err
		}
	}
	createRepo := func(req accesstokens.CreateTokenRequest) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Create(ctx, "PRJ", "repo", req)
			return err
		}
	}
	updateProject := func(req accesstokens.UpdateTokenRequest) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Update(ctx, "PRJ", "1", req)
			return err
		}
	}
	updateRepo := func(req accesstokens.UpdateTokenRequest) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Update(ctx, "PRJ", "repo", "1", req)
			return err
		}
	}
	listOpts := func(o accesstokens.ListOptions) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.List(ctx, "alice", &o)
			return err
		}
	}
	allOpts := func(o accesstokens.ListOptions) func(context.Context, *accesstokens.Client) error {
		return func(ctx context.Context, c *accesstokens.Client) error {
			var first error
			c.ProjectTokens.All(ctx, "PRJ", &o)(func(_ accesstokens.AccessToken, err error) bool {
				first = err
				return false
			})
			return first
		}
	}
	ok := []P{PR}
	cases := []struct {
		name  string
		field string
		call  func(context.Context, *accesstokens.Client) error
	}{
		{"create empty name", "Name", createUser(accesstokens.CreateTokenRequest{Permissions: ok})},
		{"create blank name", "Name", createUser(accesstokens.CreateTokenRequest{Name: " \t\n", Permissions: ok})},
		{"create nil permissions", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n"})},
		{"create empty permissions", "Permissions", createProject(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{}})},
		{"create unknown permission", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{"REPO_DELETE"}})},
		{"create lower-case permission", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{"repo_read"}})},
		{"create empty permission string", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{""}})},
		{"create repeated permission", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{RR, RR}})},
		{"create two project permissions", "Permissions", createProject(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{PR, PW}})},
		{"create two repo permissions", "Permissions", createProject(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{RW, RR}})},
		{"create repo read below project write", "Permissions", createProject(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{PW, RR}})},
		{"create repo read below project admin", "Permissions", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{PA, RR}})},
		{"create repo write below project admin", "Permissions", createProject(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{RW, PA}})},
		{"create project permission on a repository token", "Permissions", createRepo(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{PR}})},
		{"create project and repo permission on a repository token", "Permissions", createRepo(accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{RA, PA}})},
		{"create negative expiry", "ExpiryDays", createUser(accesstokens.CreateTokenRequest{Name: "n", Permissions: ok, ExpiryDays: -1})},
		{"update empty name", "Name", updateProject(accesstokens.UpdateTokenRequest{Name: str("")})},
		{"update blank name", "Name", updateProject(accesstokens.UpdateTokenRequest{Name: str("   ")})},
		{"update empty non-nil permissions", "Permissions", updateProject(accesstokens.UpdateTokenRequest{Permissions: []P{}})},
		{"update unknown permission", "Permissions", updateProject(accesstokens.UpdateTokenRequest{Permissions: []P{"PROJECT_OWNER"}})},
		{"update repeated permission", "Permissions", updateProject(accesstokens.UpdateTokenRequest{Permissions: []P{PR, RW, PR}})},
		{"update two project permissions", "Permissions", updateProject(accesstokens.UpdateTokenRequest{Permissions: []P{PA, PR}})},
		{"update two repo permissions", "Permissions", updateRepo(accesstokens.UpdateTokenRequest{Permissions: []P{RA, RW}})},
		{"update repo below project", "Permissions", updateProject(accesstokens.UpdateTokenRequest{Permissions: []P{PA, RW}})},
		{"update project permission on a repository token", "Permissions", updateRepo(accesstokens.UpdateTokenRequest{Permissions: []P{PW}})},
		{"update valid name with bad permissions", "Permissions", updateRepo(accesstokens.UpdateTokenRequest{Name: str("ok"), Permissions: []P{RR, RR}})},
		{"list negative limit", "Limit", listOpts(accesstokens.ListOptions{Limit: -1})},
		{"list negative start", "Start", listOpts(accesstokens.ListOptions{Start: -25})},
		{"all negative limit", "Limit", allOpts(accesstokens.ListOptions{Limit: -5})},
		{"all negative start", "Start", allOpts(accesstokens.ListOptions{Start: -1})},
		{"admin policy below one", "MaxExpiryDays", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{})
		}},
	}
	rs := newRecServer(t, answerFixture(t, http.StatusTeapot, ""))
	c, err := accesstokens.NewClient(rs.URL+"/bitbucket", accesstokens.WithToken("x"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	t.Run("cases", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				requireInvalidArgument(t, tc.call(testContext(t), c), tc.field)
			})
		}
	})
	assert.Empty(t, rs.requests(), "nothing may reach the server")
}

// TestAllowedPermissionSetsAreSent is the other half of the permission rules:
// every allowed project/repository pair, in either order, reaches the server
// exactly as given.
func TestAllowedPermissionSetsAreSent(t *testing.T) {
	t.Parallel()
	type P = accesstokens.Permission
	const (
		PR, PW, PA = accesstokens.ProjectRead, accesstokens.ProjectWrite, accesstokens.ProjectAdmin
		RR, RW, RA = accesstokens.RepoRead, accesstokens.RepoWrite, accesstokens.RepoAdmin
	)
	sets := [][]P{
		{PR}, {PW}, {PA}, {RR}, {RW}, {RA},
		{PR, RR}, {PR, RW}, {PR, RA}, {PW, RW}, {PW, RA}, {PA, RA},
		{RA, PR}, {RW, PW},
	}
	for _, perms := range sets {
		t.Run(strings.Join(permStrings(perms), "+"), func(t *testing.T) {
			t.Parallel()
			rs := newRecServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					writeJSON(w, 200, fixture(t, "token_created.json"))
					return
				}
				writeJSON(w, 200, fixture(t, "token.json"))
			})
			c, err := accesstokens.NewClient(rs.URL, accesstokens.WithToken("x"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
			require.NoError(t, err)
			ctx := testContext(t)
			_, err = c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "n", Permissions: perms})
			require.NoError(t, err)
			_, err = c.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{Name: "n", Permissions: perms})
			require.NoError(t, err)
			_, err = c.ProjectTokens.Update(ctx, "PRJ", "1", accesstokens.UpdateTokenRequest{Permissions: perms})
			require.NoError(t, err)
			want := `["` + strings.Join(permStrings(perms), `","`) + `"]`
			reqs := rs.requests()
			require.Len(t, reqs, 3)
			assert.JSONEq(t, `{"name":"n","permissions":`+want+`}`, string(reqs[0].Body))
			assert.JSONEq(t, `{"name":"n","permissions":`+want+`}`, string(reqs[1].Body))
			assert.JSONEq(t, `{"permissions":`+want+`}`, string(reqs[2].Body))
		})
	}

	t.Run("repository token with a single repo permission", func(t *testing.T) {
		t.Parallel()
		for _, p := range []P{RR, RW, RA} {
			ts, c := newTestServer(t)
			ts.on(http.MethodPut, "/projects/PRJ/repos/repo", func(w http.ResponseWriter, r *http.Request) {
				assertJSONBody(t, r, `{"name":"n","permissions":["`+string(p)+`"]}`)
				writeJSON(w, 200, fixture(t, "token_created.json"))
			})
			_, err := c.RepoTokens.Create(testContext(t), "PRJ", "repo", accesstokens.CreateTokenRequest{Name: "n", Permissions: []P{p}})
			require.NoError(t, err)
			assert.Equal(t, 1, ts.count(http.MethodPut, "/projects/PRJ/repos/repo"))
		}
	})
}

// TestValidationErrorsAreNotServerErrors guards the error taxonomy: a refused
// argument is never mistaken for a server answer.
func TestValidationErrorsAreNotServerErrors(t *testing.T) {
	t.Parallel()
	c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithToken("x"))
	require.NoError(t, err)
	_, err = c.UserTokens.Get(testContext(t), "", "1")
	require.Error(t, err)
	var apiErr *accesstokens.Error
	assert.False(t, errors.As(err, &apiErr))
	for _, s := range []error{accesstokens.ErrBadRequest, accesstokens.ErrNotFound, accesstokens.ErrServer} {
		assert.NotErrorIs(t, err, s)
	}
}

// TestRepeatedPermissionIsReportedAsRepeated: a repeated permission would
// also break the one-per-family rule; the error must say what is really wrong.
func TestRepeatedPermissionIsReportedAsRepeated(t *testing.T) {
	t.Parallel()
	rs := newRecServer(t, answerFixture(t, http.StatusTeapot, ""))
	c, err := accesstokens.NewClient(rs.URL, accesstokens.WithToken("x"))
	require.NoError(t, err)
	ctx := testContext(t)
	twice := []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoAdmin, accesstokens.ProjectWrite}

	_, createErr := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "n", Permissions: twice})
	_, updateErr := c.UserTokens.Update(ctx, "alice", "1", accesstokens.UpdateTokenRequest{Permissions: twice})
	for _, err := range []error{createErr, updateErr} {
		requireInvalidArgument(t, err, "Permissions")
		var ia *accesstokens.InvalidArgumentError
		require.ErrorAs(t, err, &ia)
		assert.Contains(t, ia.Reason, "repeated")
		assert.Contains(t, ia.Reason, "PROJECT_WRITE")
	}
	assert.Empty(t, rs.requests())
}
