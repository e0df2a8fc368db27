package accesstokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// paged serves values (raw JSON objects) as Bitbucket pages them, applying
// at most maxLimit per page whatever the request asks, and checks that the
// request carries the Bearer token.
func paged(t *testing.T, maxLimit int, values ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer test-token", r.Header.Get("Authorization"))
		q := r.URL.Query()
		start, _ := strconv.Atoi(q.Get("start"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		if limit == 0 || limit > maxLimit {
			limit = maxLimit
		}
		end := min(start+limit, len(values))
		page := map[string]any{
			"size": end - start, "limit": limit, "start": start, "isLastPage": end == len(values),
			"values": json.RawMessage("[" + strings.Join(values[start:end], ",") + "]"),
		}
		if end < len(values) {
			page["nextPageStart"] = end
		}
		b, err := json.Marshal(page)
		require.NoError(t, err)
		writeJSON(w, http.StatusOK, b)
	}
}

func TestDirectoryProjectsWalksEveryPage(t *testing.T) {
	t.Parallel()
	cs, c := newCoreServer(t)
	cs.on(http.MethodGet, "/projects", paged(t, 2,
		`{"key":"PRJ","id":1,"name":"Demo project","description":"…","public":false,"type":"NORMAL","links":{"self":[{"href":"https://git/projects/PRJ"}]}}`,
		`{"key":"OPS","id":2,"name":"Operations","public":true,"type":"NORMAL"}`,
		`{"key":"~ALICE","id":3,"name":"Alice","type":"PERSONAL"}`,
	))
	projects, err := collect(c.Directory.Projects(testContext(t)))
	require.NoError(t, err)
	assert.Equal(t, []accesstokens.Project{
		{ID: 1, Key: "PRJ", Name: "Demo project", Type: "NORMAL"},
		{ID: 2, Key: "OPS", Name: "Operations", Type: "NORMAL"},
		{ID: 3, Key: "~ALICE", Name: "Alice", Type: "PERSONAL"},
	}, projects)
	assert.Equal(t, []string{"GET /projects?limit=1000", "GET /projects?limit=1000&start=2"}, cs.lines(),
		"pages of up to 1000 asked for, nextPageStart followed")
}

func TestDirectoryRepositoriesIncludeArchivedOnes(t *testing.T) {
	t.Parallel()
	cs, c := newCoreServer(t)
	project := `{"key":"PRJ","id":1,"name":"Demo project","public":false,"type":"NORMAL","links":{}}`
	cs.on(http.MethodGet, "/repos", paged(t, 1,
		`{"slug":"my-repo","id":11,"name":"My repo","hierarchyId":"e3c939f9ef4a7fae272e","scmId":"git","state":"AVAILABLE","statusMessage":"Available","forkable":true,"public":false,"archived":false,"project":`+project+`,"links":{}}`,
		`{"slug":"old","id":12,"name":"Old","archived":true,"project":`+project+`}`,
		`{"slug":"pre-8","id":13,"name":"From a 7.x server","project":{"key":"~BOB","id":9,"name":"Bob","type":"PERSONAL"}}`,
	))
	repos, err := collect(c.Directory.Repositories(testContext(t)))
	require.NoError(t, err)
	prj := accesstokens.Project{ID: 1, Key: "PRJ", Name: "Demo project", Type: "NORMAL"}
	assert.Equal(t, []accesstokens.Repository{
		{ID: 11, Slug: "my-repo", Name: "My repo", Project: prj, State: "AVAILABLE", ScmID: "git", Forkable: true},
		{ID: 12, Slug: "old", Name: "Old", Project: prj, Archived: true},
		{ID: 13, Slug: "pre-8", Name: "From a 7.x server", Project: accesstokens.Project{ID: 9, Key: "~BOB", Name: "Bob", Type: "PERSONAL"}},
	}, repos)
	assert.Equal(t, []string{
		"GET /repos?archived=ALL&limit=1000",
		"GET /repos?archived=ALL&limit=1000&start=1",
		"GET /repos?archived=ALL&limit=1000&start=2",
	}, cs.lines(), "every page asks for archived repositories too")
}

func TestDirectoryUsersReadsTheAdminList(t *testing.T) {
	t.Parallel()
	cs, c := newCoreServer(t)
	cs.on(http.MethodGet, "/admin/users", paged(t, 25,
		`{"name":"alice","emailAddress":"alice@example.com","active":true,"displayName":"Alice","id":3,"slug":"alice","type":"NORMAL","directoryName":"Bitbucket Internal Directory","deletable":true,"lastAuthenticationTimestamp":1705913585952,"mutableDetails":true,"mutableGroups":true,"links":{}}`,
		`{"name":"carol","emailAddress":"carol@example.com","active":false,"displayName":"Carol","id":4,"slug":"carol","type":"NORMAL"}`,
		`{"name":"access-token-user/1/42","emailAddress":null,"active":true,"displayName":"Access Token User - PRJ","id":16771,"slug":"access-token-user_1_42","type":"SERVICE"}`,
	))
	users, err := collect(c.Directory.Users(testContext(t)))
	require.NoError(t, err)
	require.Len(t, users, 3)
	assert.Equal(t, accesstokens.User{ID: 3, Name: "alice", Slug: "alice", DisplayName: "Alice", EmailAddress: "alice@example.com", Active: true, Type: "NORMAL"}, users[0].User)
	require.NotNil(t, users[0].LastAuthentication)
	assert.Equal(t, ms(1705913585952), *users[0].LastAuthentication)
	assert.False(t, users[1].Active, "deactivated users are listed")
	assert.Nil(t, users[1].LastAuthentication, "never logged in")
	assert.Equal(t, "SERVICE", users[2].Type)
	assert.Empty(t, users[2].EmailAddress)
	assert.Equal(t, []string{"GET /admin/users?limit=1000"}, cs.lines())
}

func TestDirectoryUsersFallsBackToThePlainListWhenTheAdminListIsRefused(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			cs, c := newCoreServer(t, accesstokens.WithLogger(logger))
			cs.on(http.MethodGet, "/admin/users", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, status, fixture(t, "error_unauthorized.json"))
			})
			cs.on(http.MethodGet, "/users", paged(t, 1,
				`{"name":"alice","emailAddress":"alice@example.com","active":true,"displayName":"Alice","id":3,"slug":"alice","type":"NORMAL"}`,
				`{"name":"bob","emailAddress":"bob@example.com","active":true,"displayName":"Bob","id":4,"slug":"bob","type":"NORMAL"}`,
			))
			users, err := collect(c.Directory.Users(testContext(t)))
			require.NoError(t, err)
			require.Len(t, users, 2)
			assert.Equal(t, "alice", users[0].Slug)
			assert.Equal(t, "bob", users[1].Slug)
			assert.Nil(t, users[0].LastAuthentication, "the plain list does not report it")
			assert.Equal(t, []string{"GET /admin/users?limit=1000", "GET /users?limit=1000", "GET /users?limit=1000&start=1"}, cs.lines())
			assert.Contains(t, logs.String(), "admin user list was refused")
			assert.Contains(t, logs.String(), "status="+strconv.Itoa(status))
		})
	}
}

func TestDirectoryUsersFallsBackOnlyWhenTheFirstAdminPageIsRefused(t *testing.T) {
	t.Parallel()
	t.Run("a server error is an error", func(t *testing.T) {
		t.Parallel()
		cs, c := newCoreServer(t)
		cs.on(http.MethodGet, "/admin/users", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusInternalServerError, []byte(`{"errors":[{"message":"boom"}]}`))
		})
		users, err := collect(c.Directory.Users(testContext(t)))
		assert.ErrorIs(t, err, accesstokens.ErrServer)
		assert.Empty(t, users)
		assert.Len(t, cs.lines(), 1, "the plain list is not asked")
	})
	t.Run("a refusal on a later page is an error", func(t *testing.T) {
		t.Parallel()
		cs, c := newCoreServer(t)
		first := paged(t, 1, `{"name":"alice","id":3,"slug":"alice","type":"NORMAL","active":true}`, `{"name":"bob","id":4,"slug":"bob","type":"NORMAL","active":true}`)
		cs.on(http.MethodGet, "/admin/users", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("start") == "" {
				first(w, r)
				return
			}
			writeJSON(w, http.StatusUnauthorized, fixture(t, "error_unauthorized.json"))
		})
		users, err := collect(c.Directory.Users(testContext(t)))
		assert.ErrorIs(t, err, accesstokens.ErrUnauthorized)
		require.Len(t, users, 1)
		assert.Len(t, cs.lines(), 2, "no switch to the plain list half-way")
	})
	t.Run("an empty admin list is the answer", func(t *testing.T) {
		t.Parallel()
		cs, c := newCoreServer(t)
		cs.on(http.MethodGet, "/admin/users", paged(t, 25))
		users, err := collect(c.Directory.Users(testContext(t)))
		require.NoError(t, err)
		assert.Empty(t, users)
		assert.Len(t, cs.lines(), 1)
	})
	t.Run("the plain list refused too", func(t *testing.T) {
		t.Parallel()
		cs, c := newCoreServer(t)
		refuse := func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusUnauthorized, fixture(t, "error_unauthorized.json"))
		}
		cs.on(http.MethodGet, "/admin/users", refuse)
		cs.on(http.MethodGet, "/users", refuse)
		_, err := collect(c.Directory.Users(testContext(t)))
		require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
		var apiErr *accesstokens.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, coreRoot+"/users", apiErr.Path, "the error is the plain list's")
	})
}

// TestDirectoryUsersFallsBackOnlyWhenTheAnswerSaysNotPermitted: Bitbucket
// answers both a failed login and a refusal with 401, and a failed login (or
// a proxy in front of it) may answer with a page that says neither. Only a
// 401 that says "not permitted", or a 403, is a refusal to fall back from: a
// 401 that does not say so may be wrong credentials, and asking the plain
// list with them would be a second failed login towards Bitbucket's CAPTCHA.
func TestDirectoryUsersFallsBackOnlyWhenTheAnswerSaysNotPermitted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		fallsBack   bool
	}{
		{"401 not permitted", http.StatusUnauthorized, "application/json", string(fixture(t, "error_unauthorized.json")), true},
		{"403 without a body", http.StatusForbidden, "", "", true},
		{"401 authentication failed", http.StatusUnauthorized, "application/json",
			`{"errors":[{"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`, false},
		{"401 login page", http.StatusUnauthorized, "text/html", "<html><head><title>Log in</title></head><body>Please log in</body></html>", false},
		{"401 without a body", http.StatusUnauthorized, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs, c := newCoreServer(t)
			cs.on(http.MethodGet, "/admin/users", func(w http.ResponseWriter, r *http.Request) {
				if tc.contentType != "" {
					w.Header().Set("Content-Type", tc.contentType)
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			cs.on(http.MethodGet, "/users", paged(t, 25, `{"name":"alice","id":3,"slug":"alice","type":"NORMAL","active":true}`))
			users, err := collect(c.Directory.Users(testContext(t)))
			if tc.fallsBack {
				require.NoError(t, err)
				assert.Len(t, users, 1)
				assert.Len(t, cs.lines(), 2)
				return
			}
			require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
			assert.Empty(t, users)
			assert.Equal(t, []string{"GET /admin/users?limit=1000"}, cs.lines(), "asked again with credentials that may be wrong")
		})
	}
}

func TestDirectoryServerInfoNeedsNoCredentials(t *testing.T) {
	t.Parallel()
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, coreRoot+"/application-properties", r.URL.Path)
		assert.Empty(t, r.Header.Get("Authorization"))
		writeJSON(w, http.StatusOK, []byte(`{"version":"8.19.1","buildNumber":"8019001","buildDate":"1705913585952","displayName":"Bitbucket"}`))
	}))
	c, err := accesstokens.NewClient(srvURL + contextPath)
	require.NoError(t, err)
	info, err := c.Directory.ServerInfo(testContext(t))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), info.ServerTime, time.Minute, "net/http's server sends its clock in Date")
	info.ServerTime = time.Time{}
	assert.Equal(t, &accesstokens.ServerInfo{Version: "8.19.1", BuildNumber: "8019001", BuildDate: time.UnixMilli(1705913585952).UTC(), DisplayName: "Bitbucket"}, info)
}

func TestDirectoryServerInfoReadsTheServersClockFromItsDateHeader(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		date string
		want time.Time
	}{
		"an HTTP date":           {"Tue, 03 Feb 2026 04:05:06 GMT", time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)},
		"the obsolete RFC 850":   {"Tuesday, 03-Feb-26 04:05:06 GMT", time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)},
		"no Date":                {"", time.Time{}},
		"a Date nobody can read": {"yesterday", time.Time{}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cs, c := newCoreServer(t)
			cs.on(http.MethodGet, "/application-properties", func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Date"] = []string{tc.date} // net/http adds its own only when none is set
				if tc.date == "" {
					w.Header()["Date"] = nil
				}
				writeJSON(w, http.StatusOK, []byte(`{"version":"9.4.0"}`))
			})
			info, err := c.Directory.ServerInfo(testContext(t))
			require.NoError(t, err)
			assert.True(t, tc.want.Equal(info.ServerTime), "ServerTime %v, want %v", info.ServerTime, tc.want)
			assert.Equal(t, time.UTC, info.ServerTime.Location())
		})
	}
}

func TestDirectoryServerInfoRefusesAnAnswerThatIsNotBitbucket(t *testing.T) {
	t.Parallel()
	for name, answer := range map[string]struct {
		contentType, body string
	}{
		"no version":      {"application/json", `{"displayName":"Jira"}`},
		"empty object":    {"application/json", `{}`},
		"an HTML page":    {"text/html", `<html><body>Welcome to nginx!</body></html>`},
		"a number string": {"application/json", `{"version":8}`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cs, c := newCoreServer(t)
			cs.on(http.MethodGet, "/application-properties", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", answer.contentType)
				_, _ = w.Write([]byte(answer.body))
			})
			info, err := c.Directory.ServerInfo(testContext(t))
			require.Error(t, err)
			assert.Nil(t, info)
			assert.Contains(t, err.Error(), coreRoot+"/application-properties")
		})
	}
}

func TestDirectoryListsStopOnBrokenPagesAndBadValues(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path, body, want string
	}{
		"no nextPageStart":    {"/projects", `{"size":1,"start":0,"limit":1,"isLastPage":false,"values":[{"key":"A","id":1}]}`, "no nextPageStart"},
		"not moving forward":  {"/projects", `{"size":1,"start":0,"limit":1,"isLastPage":false,"nextPageStart":0,"values":[{"key":"A","id":1}]}`, "does not move forward"},
		"not a page":          {"/projects", `{"values":[]}`, "isLastPage"},
		"a project sans key":  {"/projects", `{"size":1,"start":0,"limit":1,"isLastPage":true,"values":[{"id":1,"name":"x"}]}`, `no "key"`},
		"a repo sans project": {"/repos", `{"size":1,"start":0,"limit":1,"isLastPage":true,"values":[{"slug":"r","id":1}]}`, `no "key" in the repository's project`},
		"a user sans slug":    {"/admin/users", `{"size":1,"start":0,"limit":1,"isLastPage":true,"values":[{"name":"x","id":1}]}`, `no "slug"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cs, c := newCoreServer(t)
			cs.on(http.MethodGet, tc.path, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, []byte(tc.body)) })
			ctx := testContext(t)
			var err error
			switch tc.path {
			case "/projects":
				_, err = collect(c.Directory.Projects(ctx))
			case "/repos":
				_, err = collect(c.Directory.Repositories(ctx))
			default:
				_, err = collect(c.Directory.Users(ctx))
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Len(t, cs.lines(), 1, "the walk stopped")
		})
	}
}

func TestDirectoryStopsAskingWhenTheCallerStops(t *testing.T) {
	t.Parallel()
	cs, c := newCoreServer(t)
	cs.on(http.MethodGet, "/projects", paged(t, 1, `{"key":"A","id":1}`, `{"key":"B","id":2}`, `{"key":"C","id":3}`))
	for p, err := range c.Directory.Projects(testContext(t)) {
		require.NoError(t, err)
		assert.Equal(t, "A", p.Key)
		break
	}
	assert.Len(t, cs.lines(), 1)
}

func TestDirectoryUsesTheClientsAPIVersionRetriesAndContext(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var paths []string
	failures := 1
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		fail := failures > 0
		failures--
		mu.Unlock()
		if fail {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusServiceUnavailable, []byte(`{"errors":[{"message":"busy"}]}`))
			return
		}
		writeJSON(w, http.StatusOK, []byte(`{"size":1,"start":0,"limit":1000,"isLastPage":true,"values":[{"key":"PRJ","id":1}]}`))
	}))
	c, err := accesstokens.NewClient(srvURL+"/bitbucket/", accesstokens.WithAPIVersion("1.0"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	require.NoError(t, err)
	projects, err := collect(c.Directory.Projects(testContext(t)))
	require.NoError(t, err)
	assert.Len(t, projects, 1)
	assert.Equal(t, []string{"/bitbucket/rest/api/1.0/projects", "/bitbucket/rest/api/1.0/projects"}, paths, "retried after the 503")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = collect(c.Directory.Repositories(ctx))
	assert.ErrorIs(t, err, context.Canceled)
	var noContext context.Context // nil: refused before sending
	_, err = c.Directory.ServerInfo(noContext)
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}

// TestDirectoryErrorsNameTheCoreAPIPath: an *Error from Directory carries the
// core API's path, so a reader can tell it from a token request.
func TestDirectoryErrorsNameTheCoreAPIPath(t *testing.T) {
	t.Parallel()
	cs, c := newCoreServer(t)
	cs.on(http.MethodGet, "/repos", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, fixture(t, "error_no_such_project.json"))
	})
	_, err := collect(c.Directory.Repositories(testContext(t)))
	var apiErr *accesstokens.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, coreRoot+"/repos", apiErr.Path)
	assert.Equal(t, fmt.Sprintf("accesstokens: GET %s/repos: 404 Not Found: Project PRJX does not exist.", coreRoot), err.Error())
}

// Directory against the fake's core REST endpoints, in its documented demo
// world (accesstokenstest.DemoWorld): users admin and alice … heidi (carol and
// grace deactivated, grace never logged in), projects PLAT, WEB, DATA and OPS
// of 3 repositories each, personal projects ~ALICE and ~ERIN with one
// repository each, 3 of the 14 repositories archived.

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
	srv := newFake(t, accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "wrong-password"))
	require.NoError(t, err)

	_, err = collect(c.Directory.Users(testContext(t)))
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Len(t, srv.Requests(), 1, "one failed login, not two")
}

// The exported names of the directory, as published: this stops compiling if one of
// them is renamed or changes shape (fields by composite literals, methods by
// method values).
var (
	_ *accesstokens.DirectoryService = &new(accesstokens.Client).Directory
	_                                = accesstokens.Project{ID: 0, Key: "", Name: "", Type: ""}
	_                                = accesstokens.Repository{ID: 0, Slug: "", Name: "", Project: accesstokens.Project{}, Archived: false}
	_                                = accesstokens.DirectoryUser{User: accesstokens.User{}, LastAuthentication: (*time.Time)(nil)}
	_                                = accesstokens.ServerInfo{Version: "", BuildNumber: "", DisplayName: ""}
)

// directorySignatures spells DirectoryService out.
type directorySignatures interface {
	Projects(ctx context.Context) iter.Seq2[accesstokens.Project, error]
	Repositories(ctx context.Context) iter.Seq2[accesstokens.Repository, error]
	Users(ctx context.Context) iter.Seq2[accesstokens.DirectoryUser, error]
	ServerInfo(ctx context.Context) (*accesstokens.ServerInfo, error)
}

// Each way round: the interface has exactly these methods.
var (
	_ directorySignatures           = accesstokens.DirectoryService(nil)
	_ accesstokens.DirectoryService = directorySignatures(nil)
)
