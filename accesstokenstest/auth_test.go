// Tests of auth.go: who authenticates with what, and who may manage which tokens.

package accesstokenstest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	type setup struct {
		srv                       *accesstokenstest.Server
		alice, bob, project, repo string // secrets
	}
	tests := []struct {
		name       string
		cred       func(s setup) cred
		path       string
		want       int
		exception  string
		credential accesstokenstest.CredentialKind
		user       string
	}{
		{"no credentials", func(setup) cred { return nil }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthorisation, accesstokenstest.CredentialNone, ""},
		{"password", func(setup) cred { return asAlice }, "/users/alice", 200,
			"", accesstokenstest.CredentialBasicPassword, "alice"},
		{"wrong password", func(setup) cred { return basic("alice", "nope") }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"unknown user", func(setup) cred { return basic("mallory", "x") }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"personal token as Bearer", func(s setup) cred { return bearer(s.alice) }, "/users/alice", 200,
			"", accesstokenstest.CredentialBearer, "alice"},
		{"personal token as Basic password", func(s setup) cred { return basic("alice", s.alice) }, "/users/alice", 200,
			"", accesstokenstest.CredentialBasicToken, "alice"},
		{"personal token with another user's name", func(s setup) cred { return basic("bob", s.alice) }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"personal token reads only its owner's tokens", func(s setup) cred { return bearer(s.bob) }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthorisation, accesstokenstest.CredentialBearer, "bob"},
		{"project token as Bearer authenticates", func(s setup) cred { return bearer(s.project) }, "/projects/PRJ", 401,
			accesstokenstest.ExceptionAuthorisation, accesstokenstest.CredentialBearer, "access-token-user/1/1"},
		{"repo token as Bearer authenticates", func(s setup) cred { return bearer(s.repo) }, "/projects/PRJ/repos/repo", 401,
			accesstokenstest.ExceptionAuthorisation, accesstokenstest.CredentialBearer, "access-token-user/2/1"},
		{"project token as Basic password fails", func(s setup) cred { return basic("alice", s.project) }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"bot name with project token as Basic fails", func(s setup) cred { return basic("access-token-user/1/1", s.project) }, "/projects/PRJ", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"unknown Bearer", func(setup) cred { return bearer("BBDC-nope") }, "/users/alice", 401,
			accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"malformed Basic", func(setup) cred {
			return func(r *http.Request) { r.Header.Set("Authorization", "Basic !!!") }
		}, "/users/alice", 401, accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
		{"unknown scheme", func(setup) cred {
			return func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }
		}, "/users/alice", 401, accesstokenstest.ExceptionAuthentication, accesstokenstest.CredentialInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			s := setup{srv: srv}
			_, s.alice = srv.MintToken(accesstokenstest.UserScopeString("alice"), "a", 0, "REPO_READ")
			_, s.bob = srv.MintToken(accesstokenstest.UserScopeString("bob"), "b", 0, "REPO_READ")
			_, s.project = srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "p", 0, "PROJECT_ADMIN", "REPO_ADMIN")
			_, s.repo = srv.MintToken(accesstokenstest.RepoScopeString("PRJ", "repo"), "r", 0, "REPO_ADMIN")

			res := call(t, srv, http.MethodGet, tt.path, tt.cred(s), "")
			require.Equal(t, tt.want, res.status, "%s", res.body)
			if tt.exception != "" {
				assert.Equal(t, tt.exception, res.firstError(t)["exceptionName"])
			}
			reqs := srv.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.credential, reqs[0].Credential)
			assert.Equal(t, tt.user, reqs[0].User)
			assert.Equal(t, tt.want, reqs[0].Status)

			// Whoever authenticated is named on the answer, as Bitbucket does, with their id.
			if tt.user == "" {
				assert.NotContains(t, res.header, "X-Ausername")
				assert.NotContains(t, res.header, "X-Auserid")
				return
			}
			assert.Equal(t, []string{tt.user}, res.header.Values("X-AUSERNAME"))
			assert.Equal(t, []string{userID(t, srv, tt.user)}, res.header.Values("X-AUSERID"))
		})
	}
}

// userID is a user's id as the admin user list shows it.
func userID(t *testing.T, srv *accesstokenstest.Server, name string) string {
	t.Helper()
	for _, u := range values(t, core(t, srv, "/admin/users?limit=1000", asAdmin)) {
		if u["name"] == name {
			return u["id"].(json.Number).String()
		}
	}
	t.Fatalf("no user %q", name)
	return ""
}

// TestAnswersNameTheUserWhateverTheOutcome: X-AUSERNAME and X-AUSERID come with every answer to
// a request that authenticated (a 404 route, a 405, a refusal, a core read), and with none that
// did not (application-properties without credentials, a wrong password).
func TestAnswersNameTheUserWhateverTheOutcome(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name, method, url string
		as                cred
		status            int
		user              string
	}{
		{"route that does not exist", http.MethodGet, accesstokenstest.APIPath + "/nope", asBob, 404, "bob"},
		{"method not allowed", http.MethodPatch, accesstokenstest.APIPath + "/users/bob", asBob, 405, "bob"},
		{"refused", http.MethodGet, accesstokenstest.APIPath + "/admin", asBob, 401, "bob"},
		{"core read", http.MethodGet, accesstokenstest.CoreAPIPath + "/projects", asAlice, 200, "alice"},
		{"HEAD", http.MethodHead, accesstokenstest.APIPath + "/users/alice", asAlice, 200, "alice"},
		{"no credentials", http.MethodGet, accesstokenstest.CoreAPIPath + "/application-properties", nil, 200, ""},
		{"wrong password", http.MethodGet, accesstokenstest.CoreAPIPath + "/projects", basic("alice", "x"), 401, ""},
	}
	for _, tt := range tests {
		res := callAt(t, srv.Client(), srv.URL+tt.url, tt.method, tt.as, "")
		require.Equal(t, tt.status, res.status, "%s: %s", tt.name, res.body)
		if tt.user == "" {
			assert.Empty(t, res.header.Get("X-AUSERNAME"), tt.name)
			continue
		}
		assert.Equal(t, tt.user, res.header.Get("X-AUSERNAME"), tt.name)
		assert.Equal(t, userID(t, srv, tt.user), res.header.Get("X-AUSERID"), tt.name)
	}
}

func TestTokensCannotManageTokensOrCallAdmin(t *testing.T) {
	t.Parallel()
	type req struct{ method, path, body string }
	writes := []req{
		{"PUT", "/users/alice", readBody},
		{"POST", "/users/alice/{id}", `{"name":"x"}`},
		{"DELETE", "/users/alice/{id}", ""},
		{"GET", "/admin", ""},
		{"PUT", "/admin", `{"maxExpiryDays":3}`},
		{"DELETE", "/admin", ""},
		{"GET", "/projects/PRJ", ""},
		{"PUT", "/projects/PRJ", readBody},
	}
	for _, kind := range []string{"bearer", "basic"} {
		for _, w := range writes {
			t.Run(kind+" "+w.method+" "+w.path, func(t *testing.T) {
				t.Parallel()
				srv := newServer(t)
				srv.AddUser("root", "root", true)
				id, secret := srv.MintToken(accesstokenstest.UserScopeString("root"), "t", 0, "PROJECT_ADMIN", "REPO_ADMIN")
				c := bearer(secret)
				if kind == "basic" {
					c = basic("root", secret)
				}
				path := w.path
				if path == "/users/alice/{id}" {
					path = "/users/root/" + id
				} else if path == "/users/alice" {
					path = "/users/root"
				}
				before := srv.Tokens()
				res := call(t, srv, w.method, path, c, w.body)
				require.Equal(t, http.StatusUnauthorized, res.status, "%s", res.body)
				assert.Equal(t, accesstokenstest.ExceptionAuthorisation, res.firstError(t)["exceptionName"])
				after := srv.Tokens()
				require.Len(t, after, len(before))
				assert.Equal(t, before[0].Name, after[0].Name)
				assert.Zero(t, srv.ExpiryPolicy())
			})
		}
	}
}

func TestPersonalTokenReadsItsOwnersTokens(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id, secret := srv.MintToken(accesstokenstest.UserScopeString("alice"), "t", 0, "REPO_READ")
	for _, c := range []cred{bearer(secret), basic("alice", secret)} {
		res := call(t, srv, http.MethodGet, "/users/alice", c, "")
		require.Equal(t, http.StatusOK, res.status)
		assert.Equal(t, []string{id}, ids(t, res.object(t)))
		res = call(t, srv, http.MethodGet, "/users/alice/"+id, c, "")
		require.Equal(t, http.StatusOK, res.status)
	}
}

// TestExpiredTokenStopsAuthenticating: a token of any scope authenticates until the millisecond
// of its expiry by the fake clock (a project or repository token is then refused as not
// permitted on alice's tokens, having authenticated), and fails authentication from then on,
// while it is still listed.
func TestExpiredTokenStopsAuthenticating(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		path, perms string
		whileValid  int
	}{
		{"/users/alice", `["REPO_READ"]`, http.StatusOK},
		{"/projects/PRJ", `["PROJECT_READ"]`, http.StatusUnauthorized},
		{"/projects/PRJ/repos/repo", `["REPO_READ"]`, http.StatusUnauthorized},
	} {
		t.Run(sc.path, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, pinned) // the real clock would move past the millisecond this test aims at
			_, secret := create(t, srv, sc.path, asAlice, `{"name":"x","permissions":`+sc.perms+`,"expiryDays":2}`)
			useIt := func() result { return call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "") }
			res := useIt()
			require.Equal(t, sc.whileValid, res.status)
			reqs := srv.Requests()
			assert.Equal(t, accesstokenstest.CredentialBearer, reqs[len(reqs)-1].Credential)

			srv.Advance(48*time.Hour - time.Millisecond)
			require.Equal(t, sc.whileValid, useIt().status, "still valid a millisecond before expiry")

			srv.Advance(time.Millisecond)
			creds := []cred{bearer(secret)}
			if sc.path == "/users/alice" {
				creds = append(creds, basic("alice", secret))
			}
			for _, c := range creds {
				res := call(t, srv, http.MethodGet, "/users/alice", c, "")
				require.Equal(t, http.StatusUnauthorized, res.status)
				assert.Equal(t, accesstokenstest.ExceptionAuthentication, res.firstError(t)["exceptionName"])
			}
			reqs = srv.Requests()
			assert.Equal(t, accesstokenstest.CredentialInvalid, reqs[len(reqs)-1].Credential)
			// The expired token is still listed, with its expiry.
			res = call(t, srv, http.MethodGet, sc.path, asAlice, "")
			assert.Len(t, ids(t, res.object(t)), 1)
			assert.Equal(t, srv.Now().UnixMilli(), num(t, res.object(t)["values"].([]any)[0].(map[string]any)["expiryDate"]))
		})
	}
}

func TestDeletedTokenStopsAuthenticating(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	id, secret := create(t, srv, "/projects/PRJ", asAlice, readBody)
	require.Equal(t, http.StatusNoContent, call(t, srv, http.MethodDelete, "/projects/PRJ/"+id, asAlice, "").status)
	res := call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "")
	require.Equal(t, http.StatusUnauthorized, res.status)
	assert.Equal(t, accesstokenstest.ExceptionAuthentication, res.firstError(t)["exceptionName"])
}

func TestTokenUseSetsLastAuthenticated(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pinned)
	id, secret := create(t, srv, "/users/alice", asAlice, readBody)
	require.Nil(t, srv.Tokens()[0].LastAuthenticated)

	srv.Advance(time.Hour)
	used := srv.Now()
	// Even a use that is then refused authenticated the token.
	require.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodPut, "/users/alice", bearer(secret), readBody).status)
	srv.Advance(time.Hour)

	res := call(t, srv, http.MethodGet, "/users/alice/"+id, asAlice, "")
	require.Equal(t, http.StatusOK, res.status)
	assert.Equal(t, used.UnixMilli(), num(t, res.object(t)["lastAuthenticated"]))
	require.NotNil(t, srv.Tokens()[0].LastAuthenticated)
	assert.True(t, used.Equal(*srv.Tokens()[0].LastAuthenticated))

	// Password use does not touch it; a new token use moves it.
	call(t, srv, http.MethodGet, "/users/alice", basic("alice", secret), "")
	assert.True(t, srv.Now().Equal(*srv.Tokens()[0].LastAuthenticated))
}

// TestTokenUseOnAnyRouteSetsLastAuthenticated: a live token that authenticates sets the date
// whatever the route's answer (404, 405, 401 "not permitted"); a status fault answering instead
// of the fake, an unknown secret and an expired token do not.
func TestTokenUseOnAnyRouteSetsLastAuthenticated(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path string // path below the server URL
		want               int
	}{
		{"unknown API route", http.MethodGet, accesstokenstest.APIPath + "/nothing/here", http.StatusNotFound},
		{"outside the APIs", http.MethodGet, "/rest/nothing/here", http.StatusNotFound},
		{"core API", http.MethodGet, "/rest/api/latest/projects", http.StatusOK},
		{"method not allowed", http.MethodDelete, accesstokenstest.APIPath + "/users/alice", http.StatusMethodNotAllowed},
		{"not permitted", http.MethodGet, accesstokenstest.APIPath + "/projects/PRJ", http.StatusUnauthorized},
		{"allowed", http.MethodGet, accesstokenstest.APIPath + "/users/alice", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, pinned)
			_, secret := srv.MintToken(accesstokenstest.UserScopeString("alice"), "ci", 2, "REPO_READ")
			srv.Advance(time.Hour)
			res := callAt(t, srv.Client(), srv.URL+tt.path, tt.method, bearer(secret), "")
			require.Equal(t, tt.want, res.status, "%s", res.body)
			last := srv.Tokens()[0].LastAuthenticated
			require.NotNil(t, last, "the token authenticated, so it was used")
			assert.True(t, srv.Now().Equal(*last))
		})
	}
	t.Run("not by a fault answering instead, an unknown secret or an expired token", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t)
		_, secret := srv.MintToken(accesstokenstest.UserScopeString("alice"), "ci", 1, "REPO_READ")
		srv.InjectFault(accesstokenstest.Fault{Status: http.StatusServiceUnavailable})
		require.Equal(t, http.StatusServiceUnavailable,
			call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "").status)
		// The route is checked first (404), but only a live token counts as used.
		require.Equal(t, http.StatusNotFound,
			call(t, srv, http.MethodGet, "/nothing", bearer(secret+"x"), "").status)
		srv.Advance(48 * time.Hour)
		require.Equal(t, http.StatusNotFound,
			call(t, srv, http.MethodGet, "/nothing", bearer(secret), "").status)
		assert.Nil(t, srv.Tokens()[0].LastAuthenticated)
	})
}

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
	// Tokens may only read their own owner's personal tokens, and only a personal token can; a
	// wrong password is refused before anything is looked at.
	tokenReads := map[string]bool{"list alice's": true, "get alice's": true}
	type who struct {
		name, me  string // me: the user {me} stands for
		cred      func(w world) cred
		want      func(op string, byPassword want) int
		exception string // of a refusal
	}
	byPassword := func(name string) who {
		return who{name, name, func(world) cred { return basic(name, name) },
			func(_ string, w want) int { return w[name] }, accesstokenstest.ExceptionAuthorisation}
	}
	personalToken := func(op string, _ want) int {
		if tokenReads[op] {
			return ok
		}
		return no
	}
	whos := []who{
		byPassword("admin"), byPassword("alice"), byPassword("carol"), byPassword("bob"),
		{"alice's token as Bearer", "alice", func(w world) cred { return bearer(w.aliceSecret) }, personalToken, accesstokenstest.ExceptionAuthorisation},
		{"alice's token as Basic", "alice", func(w world) cred { return basic("alice", w.aliceSecret) }, personalToken, accesstokenstest.ExceptionAuthorisation},
		{"project token as Bearer", "alice", func(w world) cred { return bearer(w.projectSecret) },
			func(string, want) int { return no }, accesstokenstest.ExceptionAuthorisation},
		{"alice with a wrong password", "alice", func(world) cred { return basic("alice", "not-alice") },
			func(string, want) int { return no }, accesstokenstest.ExceptionAuthentication},
	}
	for _, op := range ops {
		for _, who := range whos {
			t.Run(op.name+"/"+who.name, func(t *testing.T) {
				t.Parallel()
				w := newRightsWorld(t)
				path := strings.NewReplacer("{me}", who.me, "{user}", w.userID, "{project}", w.projectID, "{repo}", w.repoID).
					Replace(op.path)
				before := stateOf(w.srv)

				res := call(t, w.srv, op.method, path, who.cred(w), op.body)
				wantStatus := who.want(op.name, op.want)
				require.Equal(t, wantStatus, res.status, "%s %s as %s: %s", op.method, path, who.name, res.body)
				if res.status == no {
					e := res.firstError(t)
					assert.Equal(t, who.exception, e["exceptionName"])
					assert.Nil(t, e["context"])
					assert.Equal(t, before, stateOf(w.srv), "a refused request changed the fake")
				}
			})
		}
	}
}

// world is what a rights case starts from: the demo world with carol, repository admin of
// PRJ/repo, and a token in each scope.
type world struct {
	srv                        *accesstokenstest.Server
	userID, projectID, repoID  string // a token of alice's, of PRJ and of PRJ/repo
	aliceSecret, projectSecret string // secrets of another of alice's tokens and of a PRJ token
}

func newRightsWorld(t *testing.T) world {
	t.Helper()
	w := world{srv: newServer(t)}
	w.srv.AddUser("carol", "carol", false)
	w.srv.GrantRepoAdmin(accesstokenstest.DemoProject, accesstokenstest.DemoRepo, "carol")
	w.userID, _ = w.srv.MintToken(accesstokenstest.UserScopeString("alice"), "a", 0, "REPO_READ")
	w.projectID, _ = w.srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "p", 0, "REPO_READ")
	w.repoID, _ = w.srv.MintToken(accesstokenstest.RepoScopeString("PRJ", "repo"), "r", 0, "REPO_READ")
	_, w.aliceSecret = w.srv.MintToken(accesstokenstest.UserScopeString("alice"), "script", 0, "PROJECT_READ", "REPO_READ")
	_, w.projectSecret = w.srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	return w
}

// stateOf is what a refused request must leave alone: every token's id, scope, name and
// permissions, and the expiry policy.
func stateOf(srv *accesstokenstest.Server) string {
	var b strings.Builder
	for _, tok := range srv.Tokens() {
		fmt.Fprintf(&b, "%s %s %q %v\n", tok.ID, tok.Scope, tok.Name, tok.Permissions)
	}
	fmt.Fprintf(&b, "policy %d\n", srv.ExpiryPolicy())
	return b.String()
}
