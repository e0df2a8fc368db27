// Tests of validation.go: create and update bodies.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	const (
		user    = "/users/alice"
		project = "/projects/PRJ"
		repo    = "/projects/PRJ/repos/repo"
	)
	tests := []struct {
		name, path, body string
		field            any // the error's context; nil for null
	}{
		{"missing name", user, `{"permissions":["REPO_READ"]}`, "name"},
		{"null name", user, `{"name":null,"permissions":["REPO_READ"]}`, "name"},
		{"blank name", user, `{"name":"  ","permissions":["REPO_READ"]}`, "name"},
		{"name not a string", user, `{"name":3,"permissions":["REPO_READ"]}`, "name"},
		{"empty body", user, ``, "name"},
		{"missing permissions", user, `{"name":"x"}`, "permissions"},
		{"empty permissions", project, `{"name":"x","permissions":[]}`, "permissions"},
		{"unknown permission", repo, `{"name":"x","permissions":["REPO_SUPER"]}`, "permissions"},
		{"lower-case permission", user, `{"name":"x","permissions":["repo_read"]}`, "permissions"},
		{"permissions not strings", user, `{"name":"x","permissions":[1]}`, "permissions"},
		{"duplicate permission", user, `{"name":"x","permissions":["REPO_READ","REPO_READ"]}`, "permissions"},
		{"project permission on repo token", repo, `{"name":"x","permissions":["PROJECT_READ","REPO_READ"]}`, "permissions"},
		{"project-only permission on repo token", repo, `{"name":"x","permissions":["PROJECT_ADMIN"]}`, "permissions"},
		{"repo below project: WRITE/READ", project, `{"name":"x","permissions":["PROJECT_WRITE","REPO_READ"]}`, "permissions"},
		{"repo below project: ADMIN/WRITE", user, `{"name":"x","permissions":["PROJECT_ADMIN","REPO_WRITE"]}`, "permissions"},
		{"repo below project: ADMIN/READ", project, `{"name":"x","permissions":["PROJECT_ADMIN","REPO_READ"]}`, "permissions"},
		{"negative expiry", user, `{"name":"x","permissions":["REPO_READ"],"expiryDays":-1}`, "expiryDays"},
		{"fractional expiry", user, `{"name":"x","permissions":["REPO_READ"],"expiryDays":1.5}`, "expiryDays"},
		{"expiry as a string", user, `{"name":"x","permissions":["REPO_READ"],"expiryDays":"30"}`, "expiryDays"},
		{"expiry past 9999-12-31", project, `{"name":"x","permissions":["PROJECT_READ"],"expiryDays":3000000}`, "expiryDays"},
		{"expiry beyond 32 bits", repo, `{"name":"x","permissions":["REPO_READ"],"expiryDays":1e12}`, "expiryDays"},
		{"malformed JSON", user, `{"name":"x",`, nil},
		{"not an object", user, `["x"]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodPut, tt.path, asAlice, tt.body)
			require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
			e := res.firstError(t)
			assert.Equal(t, tt.field, e["context"])
			assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
			assert.NotEmpty(t, e["message"])
			assert.Empty(t, srv.Tokens(), "nothing was created")
		})
	}
}

func TestCreateAcceptsAllowedPermissionSets(t *testing.T) {
	t.Parallel()
	sets := []struct {
		path, perms string
	}{
		{"/projects/PRJ", `["PROJECT_READ","REPO_READ"]`},
		{"/projects/PRJ", `["PROJECT_READ","REPO_WRITE"]`},
		{"/projects/PRJ", `["PROJECT_READ","REPO_ADMIN"]`},
		{"/projects/PRJ", `["PROJECT_WRITE","REPO_WRITE"]`},
		{"/projects/PRJ", `["PROJECT_WRITE","REPO_ADMIN"]`},
		{"/users/alice", `["PROJECT_ADMIN","REPO_ADMIN"]`},
		{"/users/alice", `["PROJECT_WRITE"]`},
		{"/projects/PRJ", `["REPO_ADMIN"]`},
		{"/projects/PRJ/repos/repo", `["REPO_WRITE"]`},
		{"/projects/PRJ/repos/repo", `["REPO_ADMIN"]`},
	}
	for _, s := range sets {
		t.Run(s.path+s.perms, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodPut, s.path, asAlice, `{"name":"x","permissions":`+s.perms+`}`)
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			assert.JSONEq(t, s.perms, jsonOf(t, res.object(t)["permissions"]))
		})
	}
}

func TestExpiryPolicyIsEnforcedOnCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expiry string // JSON fragment appended to the body
		want   int
	}{
		{"missing", ``, http.StatusBadRequest},
		{"zero", `,"expiryDays":0`, http.StatusBadRequest},
		{"null", `,"expiryDays":null`, http.StatusBadRequest},
		{"too long", `,"expiryDays":31`, http.StatusBadRequest},
		{"at the limit", `,"expiryDays":30`, http.StatusOK},
		{"shorter", `,"expiryDays":1`, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/users/alice", "/projects/PRJ", "/projects/PRJ/repos/repo"} {
			t.Run(tt.name+path, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t)
				res := call(t, srv, http.MethodPut, "/admin", asAdmin, `{"maxExpiryDays":30}`)
				require.Equal(t, http.StatusOK, res.status)
				res = call(t, srv, http.MethodPut, path, asAlice, `{"name":"x","permissions":["REPO_READ"]`+tt.expiry+`}`)
				require.Equal(t, tt.want, res.status, "%s", res.body)
				if tt.want == http.StatusBadRequest {
					e := res.firstError(t)
					assert.Equal(t, "expiryDays", e["context"])
					assert.Contains(t, e["message"], "30", "the message names the limit")
					assert.Empty(t, srv.Tokens(), "a refused create stores nothing")
				}
			})
		}
	}
	t.Run("existing tokens keep no expiry and deleting the policy lifts it", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		id, _ := create(t, srv, "/users/alice", asAlice, readBody)
		srv.SetExpiryPolicy(5)
		res := call(t, srv, http.MethodGet, "/users/alice/"+id, asAlice, "")
		assert.NotContains(t, res.object(t), "expiryDate")
		res = call(t, srv, http.MethodDelete, "/admin", asAdmin, "")
		require.Equal(t, http.StatusNoContent, res.status)
		create(t, srv, "/users/alice", asAlice, readBody)
	})
}

func TestTokenLimitPerOwner(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithTokenLimit(2))
	for _, path := range []string{"/users/alice", "/projects/PRJ", "/projects/PRJ/repos/repo"} {
		body := readBody
		if strings.Contains(path, "/repos/") {
			body = repoReadBody
		}
		create(t, srv, path, asAlice, body)
		create(t, srv, path, asAlice, body)
		res := call(t, srv, http.MethodPut, path, asAlice, body)
		require.Equal(t, http.StatusBadRequest, res.status)
		e := res.firstError(t)
		assert.Contains(t, e["message"], "already has the maximum number of tokens")
		assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
	}
	// Other owners are counted separately, and deleting frees a place.
	create(t, srv, "/users/bob", asBob, readBody)
	srv.AddRepo("PRJ", "other")
	create(t, srv, "/projects/PRJ/repos/other", asAlice, repoReadBody)
	first := srv.Tokens()[0]
	require.Equal(t, http.StatusNoContent, call(t, srv, http.MethodDelete, "/users/alice/"+first.ID, asAlice, "").status)
	create(t, srv, "/users/alice", asAlice, readBody)
}

func TestUpdateChangesOnlyWhatTheBodyNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, body string
		wantName         string
		wantPerms        string
	}{
		{"name only", "/users/alice", `{"name":"new"}`, "new", `["PROJECT_READ","REPO_READ"]`},
		{"permissions only", "/users/alice", `{"permissions":["REPO_WRITE"]}`, "ci", `["REPO_WRITE"]`},
		{"both", "/projects/PRJ", `{"name":"b","permissions":["PROJECT_WRITE","REPO_ADMIN"]}`, "b", `["PROJECT_WRITE","REPO_ADMIN"]`},
		{"nulls change nothing", "/users/alice", `{"name":null,"permissions":null}`, "ci", `["PROJECT_READ","REPO_READ"]`},
		{"empty object", "/users/alice", `{}`, "ci", `["PROJECT_READ","REPO_READ"]`},
		{"expiry is ignored", "/users/alice", `{"expiryDays":3}`, "ci", `["PROJECT_READ","REPO_READ"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			id, _ := create(t, srv, tt.path, asAlice, readBody)
			res := call(t, srv, http.MethodPost, tt.path+"/"+id, asAlice, tt.body)
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			tok := res.object(t)
			assert.Equal(t, tt.wantName, tok["name"])
			assert.JSONEq(t, tt.wantPerms, jsonOf(t, tok["permissions"]))
			assert.NotContains(t, tok, "expiryDate", "an expiry can never be added")
			assert.NotContains(t, tok, "token")
		})
	}
}

func TestUpdateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, body, field string
	}{
		{"blank name", "/users/alice", `{"name":""}`, "name"},
		{"empty permissions", "/users/alice", `{"permissions":[]}`, "permissions"},
		{"unknown permission", "/users/alice", `{"permissions":["ROOT"]}`, "permissions"},
		{"duplicate permission", "/projects/PRJ", `{"permissions":["PROJECT_READ","PROJECT_READ"]}`, "permissions"},
		{"project permission on repo token", "/projects/PRJ/repos/repo", `{"permissions":["PROJECT_READ"]}`, "permissions"},
		{"repo below project", "/projects/PRJ", `{"permissions":["PROJECT_ADMIN","REPO_WRITE"]}`, "permissions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			body := readBody
			if tt.path == "/projects/PRJ/repos/repo" {
				body = repoReadBody
			}
			id, _ := create(t, srv, tt.path, asAlice, body)
			before := srv.Tokens()[0]
			res := call(t, srv, http.MethodPost, tt.path+"/"+id, asAlice, tt.body)
			require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
			assert.Equal(t, tt.field, res.firstError(t)["context"])
			assert.Equal(t, before, srv.Tokens()[0], "a rejected update changes nothing")
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		id, _ := create(t, srv, "/users/alice", asAlice, readBody)
		res := call(t, srv, http.MethodPost, "/users/alice/"+id, asAlice, `{`)
		require.Equal(t, http.StatusBadRequest, res.status)
		assert.Nil(t, res.firstError(t)["context"])
	})
}

// TestTwoPermissionsOfOneFamilyAreRejected: a token holds at most one PROJECT_* and one REPO_*
// (the SDK refuses anything else before sending), on create and on update.
func TestTwoPermissionsOfOneFamilyAreRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, perms string
	}{
		{"/users/alice", `["PROJECT_READ","PROJECT_WRITE"]`},
		{"/projects/PRJ", `["PROJECT_READ","PROJECT_ADMIN","REPO_ADMIN"]`},
		{"/users/alice", `["REPO_READ","REPO_ADMIN"]`},
		{"/projects/PRJ", `["PROJECT_READ","REPO_WRITE","REPO_READ"]`},
		{"/projects/PRJ/repos/repo", `["REPO_READ","REPO_WRITE"]`},
	}
	for _, tt := range tests {
		t.Run(tt.path+tt.perms, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			check := func(res result) {
				t.Helper()
				require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
				e := res.firstError(t)
				assert.Equal(t, "permissions", e["context"])
				assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
			}
			check(call(t, srv, http.MethodPut, tt.path, asAlice, `{"name":"x","permissions":`+tt.perms+`}`))
			assert.Empty(t, srv.Tokens(), "nothing was created")

			id, _ := create(t, srv, tt.path, asAlice, repoReadBody)
			before := srv.Tokens()[0]
			check(call(t, srv, http.MethodPost, tt.path+"/"+id, asAlice, `{"permissions":`+tt.perms+`}`))
			assert.Equal(t, before, srv.Tokens()[0], "a rejected update changes nothing")
		})
	}
}

func TestNamesAreCappedAt255Characters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ok := strings.Repeat("é", accesstokenstest.MaxNameLength) // characters, not bytes
	id, _ := create(t, srv, "/users/alice", asAlice, `{"name":"`+ok+`","permissions":["REPO_READ"]}`)

	long := ok + "x"
	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, `{"name":"`+long+`","permissions":["REPO_READ"]}`)
	require.Equal(t, http.StatusBadRequest, res.status)
	assert.Equal(t, "name", res.firstError(t)["context"])

	res = call(t, srv, http.MethodPost, "/users/alice/"+id, asAlice, `{"name":"`+long+`"}`)
	require.Equal(t, http.StatusBadRequest, res.status)
	assert.Equal(t, "name", res.firstError(t)["context"])
	assert.Equal(t, ok, srv.Tokens()[0].Name)
}

// TestCreateRefusesAnExpiryPast9999: the longest expiry a create may ask for ends on
// 9999-12-31, the last day JSON dates can show; one day more is a 400 that names the bound, and
// the Go and control API shortcuts refuse it too. The fake used to accept 3,000,000 days and
// then answer with a date no client could read.
func TestCreateRefusesAnExpiryPast9999(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pinned, accesstokenstest.WithControlAPI())
	now := srv.Now()
	most := 0
	for now.AddDate(0, 0, most+1).Year() < 10_000 {
		most++
	}
	require.Greater(t, most, 2_900_000)

	body := func(days int) string {
		return fmt.Sprintf(`{"name":"long","permissions":["REPO_READ"],"expiryDays":%d}`, days)
	}
	res := call(t, srv, http.MethodPut, "/projects/PRJ/repos/repo", asAlice, body(most+1))
	require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
	e := res.firstError(t)
	assert.Equal(t, "expiryDays", e["context"])
	assert.Contains(t, e["message"], "9999-12-31")
	assert.Contains(t, e["message"], strconv.Itoa(most))
	assert.Empty(t, srv.Tokens())

	res = call(t, srv, http.MethodPut, "/projects/PRJ/repos/repo", asAlice, body(most))
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	expiry := time.UnixMilli(num(t, res.object(t)["expiryDate"])).UTC()
	assert.Equal(t, 9999, expiry.Year())
	assert.Equal(t, now.AddDate(0, 0, most), expiry)

	assert.PanicsWithValue(t, "accesstokenstest: MintToken: "+e["message"].(string), func() {
		srv.MintToken(accesstokenstest.UserScopeString("alice"), "long", most+1, "REPO_READ")
	})
	res = ctl(t, srv, http.MethodPost, "/tokens", fmt.Sprintf(`{"scope":"user:alice","name":"long","expiryDays":%d,"permissions":["REPO_READ"]}`, most+1))
	require.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
	assert.Equal(t, "expiryDays", res.firstError(t)["context"])
	assert.Len(t, srv.Tokens(), 1)
}
