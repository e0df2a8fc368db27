// Tests of routes.go: paths, roots and context paths.

package accesstokenstest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestDotSegmentsAreRejectedNotReadAsATokenID(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, p := range []string{"/users/alice/..", "/users/alice/.", "/users/alice/%2E%2E", "/projects/PRJ/repos/%2e%2E", "/users/../users/alice"} {
		// Handler-level too, as Go's client would clean the path before sending it.
		rec := serve(srv.Fake, http.MethodGet, accesstokenstest.APIPath+p, "alice", "alice", "")
		assert.Equal(t, http.StatusBadRequest, rec.Code, p)
		assert.Contains(t, rec.Body.String(), `"errors"`, p)
		assert.NotContains(t, rec.Body.String(), "No access token", p)
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
	assert.Equal(t, accesstokenstest.UserScopeString("svc/ci"), srv.Tokens()[0].Scope)

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
