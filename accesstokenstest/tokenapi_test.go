// Tests of tokenapi.go: the token endpoints under both API roots, and list paging.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

var tokenIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

func TestEveryTokenEndpointWorksUnderLatestAnd10(t *testing.T) {
	t.Parallel()
	scopes := []struct {
		name, collection, body string
	}{
		{"user", "/users/alice", readBody},
		{"project", "/projects/PRJ", readBody},
		{"repo", "/projects/PRJ/repos/repo", repoReadBody},
	}
	for _, root := range []string{accesstokenstest.APIPath, accesstokenstest.APIPath10} {
		for _, sc := range scopes {
			t.Run(root+sc.collection, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t)
				url := srv.URL + root + sc.collection

				res := callAt(t, srv.Client(), url, http.MethodPut, asAlice, sc.body)
				require.Equal(t, http.StatusOK, res.status, "create: %s", res.body)
				assert.Equal(t, "application/json;charset=UTF-8", res.header.Get("Content-Type"))
				created := res.object(t)
				id := created["id"].(string)
				assert.Regexp(t, tokenIDPattern, id)
				assert.True(t, strings.HasPrefix(created["token"].(string), "BBDC-"), "create shows the secret")

				res = callAt(t, srv.Client(), url, http.MethodGet, asAlice, "")
				require.Equal(t, http.StatusOK, res.status, "list: %s", res.body)
				page := res.object(t)
				assert.Equal(t, []string{id}, ids(t, page))
				assert.NotContains(t, page["values"].([]any)[0], "token", "only create shows the secret")

				res = callAt(t, srv.Client(), url+"/"+id, http.MethodGet, asAlice, "")
				require.Equal(t, http.StatusOK, res.status, "get: %s", res.body)
				got := res.object(t)
				assert.Equal(t, id, got["id"])
				assert.NotContains(t, got, "token")

				res = callAt(t, srv.Client(), url+"/"+id, http.MethodPost, asAlice, `{"name":"renamed"}`)
				require.Equal(t, http.StatusOK, res.status, "update: %s", res.body)
				updated := res.object(t)
				assert.Equal(t, "renamed", updated["name"])
				assert.Equal(t, created["permissions"], updated["permissions"], "absent fields stay")
				assert.NotContains(t, updated, "token")

				res = callAt(t, srv.Client(), url+"/"+id, http.MethodDelete, asAlice, "")
				require.Equal(t, http.StatusNoContent, res.status, "delete: %s", res.body)
				assert.Empty(t, res.body)

				res = callAt(t, srv.Client(), url+"/"+id, http.MethodGet, asAlice, "")
				require.Equal(t, http.StatusNotFound, res.status)
				assert.Equal(t, accesstokenstest.ExceptionNoSuchEntity, res.firstError(t)["exceptionName"])
			})
		}
		t.Run(root+"/admin", func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			url := srv.URL + root + "/admin"

			res := callAt(t, srv.Client(), url, http.MethodGet, asAdmin, "")
			require.Equal(t, http.StatusOK, res.status)
			assert.JSONEq(t, `{}`, string(res.body))

			res = callAt(t, srv.Client(), url, http.MethodPut, asAdmin, `{"maxExpiryDays":90}`)
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			assert.JSONEq(t, `{"maxExpiryDays":90}`, string(res.body))
			assert.Equal(t, 90, srv.ExpiryPolicy())

			res = callAt(t, srv.Client(), url, http.MethodGet, asAdmin, "")
			assert.JSONEq(t, `{"maxExpiryDays":90}`, string(res.body))

			res = callAt(t, srv.Client(), url, http.MethodDelete, asAdmin, "")
			require.Equal(t, http.StatusNoContent, res.status)
			assert.Empty(t, res.body)

			res = callAt(t, srv.Client(), url, http.MethodGet, asAdmin, "")
			assert.JSONEq(t, `{}`, string(res.body))
		})
	}
}

func TestPagingEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []accesstokenstest.Option
		seed      int
		query     string
		size      int
		limit     int
		start     int
		last      bool
		nextStart any // json.Number text, or nil when absent
	}{
		{"defaults", nil, 30, "", 25, 25, 0, false, "25"},
		{"second page", nil, 30, "?start=25", 5, 25, 25, true, nil},
		{"explicit limit", nil, 30, "?limit=10&start=10", 10, 10, 10, false, "20"},
		{"exact fit is last", nil, 10, "?limit=10", 10, 10, 0, true, nil},
		{"limit zero means default", nil, 30, "?limit=0", 25, 25, 0, false, "25"},
		{"limit capped at 1000", nil, 1500, "?limit=5000", 1000, 1000, 0, false, "1000"},
		{"configured cap", []accesstokenstest.Option{accesstokenstest.WithMaxPageLimit(7)}, 30, "?limit=50", 7, 7, 0, false, "7"},
		{"configured default", []accesstokenstest.Option{accesstokenstest.WithDefaultPageLimit(4)}, 30, "", 4, 4, 0, false, "4"},
		{"default above cap", []accesstokenstest.Option{accesstokenstest.WithDefaultPageLimit(50), accesstokenstest.WithMaxPageLimit(20)}, 30, "", 20, 20, 0, false, "20"},
		{"start past the end", nil, 3, "?start=10", 0, 25, 10, true, nil},
		{"empty scope", nil, 0, "", 0, 25, 0, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.opts...)
			srv.SeedTokens(accesstokenstest.ProjectScopeString("PRJ"), tt.seed)
			res := call(t, srv, http.MethodGet, "/projects/PRJ"+tt.query, asAlice, "")
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			page := res.object(t)
			assert.EqualValues(t, tt.size, num(t, page["size"]))
			assert.Len(t, page["values"], tt.size)
			assert.EqualValues(t, tt.limit, num(t, page["limit"]))
			assert.EqualValues(t, tt.start, num(t, page["start"]))
			assert.Equal(t, tt.last, page["isLastPage"])
			if tt.nextStart == nil {
				assert.NotContains(t, page, "nextPageStart", "present only when not the last page")
			} else {
				assert.Equal(t, tt.nextStart, fmt.Sprint(page["nextPageStart"]))
			}
		})
	}
}

func TestServerCapsTheLimitAndThePageSaysSo(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithMaxPageLimit(20))
	scope := accesstokenstest.UserScopeString("alice")
	srv.SeedTokens(scope, 57)
	want := newestFirstIDs(srv, scope)

	var got []string
	var limits, nexts []string
	start := "0"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging does not end")
		res := call(t, srv, http.MethodGet, "/users/alice?limit=500&start="+start, asAlice, "")
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
		page := res.object(t)
		got = append(got, ids(t, page)...)
		limits = append(limits, fmt.Sprint(page["limit"]))
		if page["isLastPage"] == true {
			assert.NotContains(t, page, "nextPageStart")
			break
		}
		start = fmt.Sprint(page["nextPageStart"])
		nexts = append(nexts, start)
	}
	assert.Equal(t, []string{"20", "20", "20"}, limits, "the applied limit, not the requested one: 57 tokens at 20 a page")
	assert.Equal(t, []string{"20", "40"}, nexts)
	assert.Equal(t, want, got, "every token once, newest first")
}

func TestPagingRejectsBadParameters(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"start=-1", "start=x", "limit=-5", "limit=1.5", "start=99999999999999999999"} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodGet, "/users/alice?"+q, asAlice, "")
			require.Equal(t, http.StatusBadRequest, res.status)
			e := res.firstError(t)
			assert.Contains(t, []any{"start", "limit"}, e["context"])
			assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
		})
	}
}

func TestTokenIsOnlyFoundInItsOwnScope(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id, _ := srv.MintToken(accesstokenstest.UserScopeString("alice"), "a", 0, "REPO_READ")
	for _, path := range []string{"/projects/PRJ/" + id, "/projects/PRJ/repos/repo/" + id, "/users/bob/" + id} {
		res := call(t, srv, http.MethodGet, path, asAdmin, "")
		assert.Equal(t, http.StatusNotFound, res.status, path)
		assert.Equal(t, accesstokenstest.ExceptionNoSuchEntity, res.firstError(t)["exceptionName"])
	}
}
