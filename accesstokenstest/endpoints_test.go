package accesstokenstest_test

import (
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

func TestAdminPolicyBelowOneIsRejected(t *testing.T) {
	t.Parallel()
	for _, body := range []string{`{"maxExpiryDays":0}`, `{"maxExpiryDays":-3}`, `{}`, `{"maxExpiryDays":"x"}`} {
		t.Run(body, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodPut, "/admin", asAdmin, body)
			require.Equal(t, http.StatusBadRequest, res.status)
			e := res.firstError(t)
			assert.Equal(t, "maxExpiryDays", e["context"])
			assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
			assert.Zero(t, srv.ExpiryPolicy())
		})
	}
}

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

func TestTokenIDsAreTwelveDigitStringsWithLeadingZeros(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	seen := map[string]bool{}
	for range 20 {
		res := call(t, srv, http.MethodPut, "/users/alice", asAlice, readBody)
		require.Equal(t, http.StatusOK, res.status)
		id, ok := res.object(t)["id"].(string)
		require.True(t, ok, "id is a JSON string")
		assert.Regexp(t, tokenIDPattern, id)
		assert.True(t, strings.HasPrefix(id, "0"), "id %s has a leading zero", id)
		assert.False(t, seen[id], "id %s repeated", id)
		seen[id] = true
	}
}

func TestRouteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string
		want               int
		allow              string
	}{
		{"unknown collection", http.MethodGet, "/groups/x", http.StatusNotFound, ""},
		{"API root", http.MethodGet, "", http.StatusNotFound, ""},
		{"too deep", http.MethodGet, "/users/alice/1/2", http.StatusNotFound, ""},
		{"trailing slash", http.MethodGet, "/users/alice/", http.StatusNotFound, ""},
		{"POST to a collection", http.MethodPost, "/users/alice", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"PUT to a token", http.MethodPut, "/projects/PRJ/1", http.StatusMethodNotAllowed, "GET, HEAD, POST, DELETE"},
		{"DELETE a collection", http.MethodDelete, "/projects/PRJ/repos/repo", http.StatusMethodNotAllowed, "GET, HEAD, PUT"},
		{"POST to admin", http.MethodPost, "/admin", http.StatusMethodNotAllowed, "GET, HEAD, PUT, DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, tt.method, tt.path, asAdmin, "")
			require.Equal(t, tt.want, res.status)
			assert.Equal(t, "application/json;charset=UTF-8", res.header.Get("Content-Type"))
			assert.NotEmpty(t, res.firstError(t)["message"])
			assert.Equal(t, tt.allow, res.header.Get("Allow"))
		})
	}
	t.Run("outside the API", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		for _, p := range []string{"/rest/api/1.0/groups", "/rest/other/1.0/users", "/"} {
			res := callAt(t, srv.Client(), srv.URL+p, http.MethodGet, asAdmin, "")
			assert.Equal(t, http.StatusNotFound, res.status, p)
			assert.NotEmpty(t, res.firstError(t)["message"], p)
		}
	})
}

func TestEncodedSlashStaysInsideOneSegment(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddUser("svc/ci", "pw", false)
	res := call(t, srv, http.MethodPut, "/users/svc%2Fci", basic("svc/ci", "pw"), readBody)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, "svc/ci", res.object(t)["user"].(map[string]any)["name"])
	assert.Equal(t, accesstokenstest.UserScope("svc/ci"), srv.Tokens()[0].Scope)

	res = call(t, srv, http.MethodGet, "/users/svc/ci", basic("svc/ci", "pw"), "")
	assert.Equal(t, http.StatusNotFound, res.status, "an unescaped slash is two segments")
	assert.Equal(t, accesstokenstest.ExceptionNoSuchUser, res.firstError(t)["exceptionName"])
}

func TestContextPathIsRequired(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithContextPath("/bitbucket/"))
	require.True(t, strings.HasSuffix(srv.URL, "/bitbucket"), srv.URL)

	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, readBody)
	require.Equal(t, http.StatusOK, res.status)
	self := res.object(t)["user"].(map[string]any)["links"].(map[string]any)["self"].([]any)[0].(map[string]any)["href"]
	assert.Equal(t, srv.URL+"/users/alice", self, "links keep the context path")

	bare := strings.TrimSuffix(srv.URL, "/bitbucket")
	res = callAt(t, srv.Client(), bare+accesstokenstest.APIPath+"/users/alice", http.MethodGet, asAlice, "")
	assert.Equal(t, http.StatusNotFound, res.status)
}

func TestBodyMustBeJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	res := callAt(t, srv.Client(), srv.URL+accesstokenstest.APIPath+"/users/alice", http.MethodPut,
		func(r *http.Request) { asAlice(r); r.Header.Set("Content-Type", "text/plain") }, readBody)
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)

	res = call(t, srv, http.MethodPut, "/users/alice", asAlice, `{"name":`)
	require.Equal(t, http.StatusBadRequest, res.status, "malformed JSON")
	assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, res.firstError(t)["exceptionName"])
	assert.Empty(t, srv.Tokens())
}

func TestTLSServer(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewTLSServer()
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusOK, res.status)
}
