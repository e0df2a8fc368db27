package accesstokenstest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestWhoMayDoWhat runs every endpoint as every kind of user: admin (system admin), alice (project
// admin of PRJ), carol (repository admin of PRJ/repo only) and bob (no rights).
func TestWhoMayDoWhat(t *testing.T) {
	t.Parallel()
	const (
		ok   = http.StatusOK
		gone = http.StatusNoContent
		no   = http.StatusUnauthorized
	)
	type want map[string]int // who -> status
	ops := []struct {
		name, method, path, body string
		want                     want
	}{
		{"create own personal", "PUT", "/users/{me}", readBody, want{"admin": ok, "alice": ok, "carol": ok, "bob": ok}},
		{"create for alice", "PUT", "/users/alice", readBody, want{"admin": no, "alice": ok, "carol": no, "bob": no}},
		{"list alice's", "GET", "/users/alice", "", want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"get alice's", "GET", "/users/alice/{user}", "", want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"update alice's", "POST", "/users/alice/{user}", `{"name":"n"}`, want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"delete alice's", "DELETE", "/users/alice/{user}", "", want{"admin": gone, "alice": gone, "carol": no, "bob": no}},
		{"list project", "GET", "/projects/PRJ", "", want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"create project", "PUT", "/projects/PRJ", readBody, want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"get project", "GET", "/projects/PRJ/{project}", "", want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"update project", "POST", "/projects/PRJ/{project}", `{"name":"n"}`, want{"admin": ok, "alice": ok, "carol": no, "bob": no}},
		{"delete project", "DELETE", "/projects/PRJ/{project}", "", want{"admin": gone, "alice": gone, "carol": no, "bob": no}},
		{"list repo", "GET", "/projects/PRJ/repos/repo", "", want{"admin": ok, "alice": ok, "carol": ok, "bob": no}},
		{"create repo", "PUT", "/projects/PRJ/repos/repo", repoReadBody, want{"admin": ok, "alice": ok, "carol": ok, "bob": no}},
		{"get repo", "GET", "/projects/PRJ/repos/repo/{repo}", "", want{"admin": ok, "alice": ok, "carol": ok, "bob": no}},
		{"update repo", "POST", "/projects/PRJ/repos/repo/{repo}", `{"name":"n"}`, want{"admin": ok, "alice": ok, "carol": ok, "bob": no}},
		{"delete repo", "DELETE", "/projects/PRJ/repos/repo/{repo}", "", want{"admin": gone, "alice": gone, "carol": gone, "bob": no}},
		{"get policy", "GET", "/admin", "", want{"admin": ok, "alice": no, "carol": no, "bob": no}},
		{"set policy", "PUT", "/admin", `{"maxExpiryDays":7}`, want{"admin": ok, "alice": no, "carol": no, "bob": no}},
		{"delete policy", "DELETE", "/admin", "", want{"admin": gone, "alice": no, "carol": no, "bob": no}},
	}
	for _, op := range ops {
		for _, who := range []string{"admin", "alice", "carol", "bob"} {
			t.Run(op.name+"/"+who, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t)
				srv.AddUser("carol", "carol", false)
				srv.GrantRepoAdmin(accesstokenstest.DemoProject, accesstokenstest.DemoRepo, "carol")
				userID, _ := srv.IssueToken(accesstokenstest.UserScope("alice"), "a", 0, "REPO_READ")
				projectID, _ := srv.IssueToken(accesstokenstest.ProjectScope("PRJ"), "p", 0, "REPO_READ")
				repoID, _ := srv.IssueToken(accesstokenstest.RepoScope("PRJ", "repo"), "r", 0, "REPO_READ")
				path := strings.NewReplacer("{me}", who, "{user}", userID, "{project}", projectID, "{repo}", repoID).
					Replace(op.path)

				res := call(t, srv, op.method, path, basic(who, who), op.body)
				require.Equal(t, op.want[who], res.status, "%s %s as %s: %s", op.method, path, who, res.body)
				if res.status == no {
					e := res.firstError(t)
					assert.Equal(t, accesstokenstest.ExceptionAuthorisation, e["exceptionName"])
					assert.Nil(t, e["context"])
				}
			})
		}
	}
}

func TestUnknownThingsAre404WithTheirException(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path string
		as         cred
		want       int
		exception  string
	}{
		{"user", "/users/nobody", asBob, 404, accesstokenstest.ExceptionNoSuchUser},
		{"user token", "/users/nobody/000000000001", asAdmin, 404, accesstokenstest.ExceptionNoSuchUser},
		{"project, even for bob", "/projects/NOPE", asBob, 404, accesstokenstest.ExceptionNoSuchProject},
		{"repo", "/projects/PRJ/repos/nope", asAlice, 404, accesstokenstest.ExceptionNoSuchRepository},
		{"repo of unknown project", "/projects/NOPE/repos/repo", asAlice, 404, accesstokenstest.ExceptionNoSuchProject},
		{"token", "/projects/PRJ/000000000001", asAlice, 404, accesstokenstest.ExceptionNoSuchEntity},
		{"repo token", "/projects/PRJ/repos/repo/000000000001", asAlice, 404, accesstokenstest.ExceptionNoSuchEntity},
		{"own token", "/users/alice/000000000001", asAlice, 404, accesstokenstest.ExceptionNoSuchEntity},
		{"token of a project bob cannot see", "/projects/PRJ/000000000001", asBob, 401, accesstokenstest.ExceptionAuthorisation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodGet, tt.path, tt.as, "")
			require.Equal(t, tt.want, res.status, "%s", res.body)
			e := res.firstError(t)
			assert.Equal(t, tt.exception, e["exceptionName"])
			assert.Nil(t, e["context"])
			assert.NotEmpty(t, e["message"])
		})
	}
}

func TestTokenIsOnlyFoundInItsOwnScope(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id, _ := srv.IssueToken(accesstokenstest.UserScope("alice"), "a", 0, "REPO_READ")
	for _, path := range []string{"/projects/PRJ/" + id, "/projects/PRJ/repos/repo/" + id, "/users/bob/" + id} {
		res := call(t, srv, http.MethodGet, path, asAdmin, "")
		assert.Equal(t, http.StatusNotFound, res.status, path)
		assert.Equal(t, accesstokenstest.ExceptionNoSuchEntity, res.firstError(t)["exceptionName"])
	}
}
