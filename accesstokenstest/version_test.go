// Tests of version.go, secrets.go and the policy endpoint option: what differs between Bitbucket
// versions on the wire.

package accesstokenstest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestApplicationPropertiesReportTheServerVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		opts                 []accesstokenstest.Option
		version, buildNumber string
	}{
		{nil, accesstokenstest.ServerVersion, accesstokenstest.ServerBuildNumber},
		{[]accesstokenstest.Option{accesstokenstest.WithServerVersion("8.19.1")}, "8.19.1", "8019001"},
		{[]accesstokenstest.Option{accesstokenstest.WithServerVersion("9.4.0")}, "9.4.0", "9004000"},
		{[]accesstokenstest.Option{accesstokenstest.WithServerVersion("10.1")}, "10.1", "10001000"},
	}
	for _, tt := range tests {
		srv := newServer(t, tt.opts...)
		res := core(t, srv, "/application-properties", nil)
		require.Equal(t, http.StatusOK, res.status)
		var props map[string]any
		require.NoError(t, json.Unmarshal(res.body, &props))
		assert.Equal(t, map[string]any{"version": tt.version, "buildNumber": tt.buildNumber,
			"buildDate": accesstokenstest.ServerBuildDate, "displayName": "Bitbucket"}, props)
	}
	assert.Regexp(t, `^[0-9]{13}$`, accesstokenstest.ServerBuildDate, "epoch milliseconds, as a string")
}

func TestCheckServerVersion(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"8.19.1", "9.4.0", "10.0", "7.21.22"} {
		assert.NoError(t, accesstokenstest.CheckServerVersion(ok), ok)
	}
	for _, bad := range []string{"", "9", "9.x", "v9.4.0", "9.4.0.1", "0.1", "9.-1", "9.04", "1000.0"} {
		err := accesstokenstest.CheckServerVersion(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "MAJOR.MINOR", bad)
		assert.Panics(t, func() { accesstokenstest.WithServerVersion(bad) }, bad)
	}
}

// rawKeys decodes a JSON object and returns it with its values kept raw, so a test can tell a
// null from a field left out.
func rawKeys(t *testing.T, b []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m), "%s", b)
	return m
}

// TestNullFieldsAreSentOn8AndLeftOutOn9: a bot's emailAddress and an error's context are null on
// 8.x, as its servers send them, and absent on 9.x and later, as captures from 9.4 show.
func TestNullFieldsAreSentOn8AndLeftOutOn9(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		version  string
		leftOut  bool
		wantNull string
	}{{"8.19.1", false, "null"}, {"9.4.0", true, ""}, {"10.0.0", true, ""}} {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, accesstokenstest.WithServerVersion(tt.version))
			srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "ci", 0, "PROJECT_READ")
			srv.MintToken(accesstokenstest.UserScopeString("alice"), "mine", 0, "REPO_READ")

			for path, wantEmail := range map[string]string{"/projects/PRJ": tt.wantNull, "/users/alice": `"alice@example.com"`} {
				page := call(t, srv, http.MethodGet, path, asAlice, "")
				require.Equal(t, http.StatusOK, page.status)
				var p struct{ Values []map[string]json.RawMessage }
				require.NoError(t, json.Unmarshal(page.body, &p))
				require.Len(t, p.Values, 1)
				owner := rawKeys(t, p.Values[0]["user"])
				email, present := owner["emailAddress"]
				if wantEmail == "" {
					assert.False(t, present, "%s: emailAddress is left out: %s", path, p.Values[0]["user"])
				} else {
					assert.Equal(t, wantEmail, string(email), path)
				}
			}

			res := call(t, srv, http.MethodGet, "/projects/NOPE", asAlice, "")
			require.Equal(t, http.StatusNotFound, res.status)
			var env struct{ Errors []map[string]json.RawMessage }
			require.NoError(t, json.Unmarshal(res.body, &env))
			require.Len(t, env.Errors, 1)
			context, present := env.Errors[0]["context"]
			assert.Equal(t, !tt.leftOut, present, "%s", res.body)
			if present {
				assert.Equal(t, "null", string(context))
			}
			assert.Contains(t, env.Errors[0], "exceptionName")

			res = call(t, srv, http.MethodGet, "/nope", asAlice, "")
			require.Equal(t, http.StatusNotFound, res.status)
			var routeEnv struct{ Errors []map[string]json.RawMessage }
			require.NoError(t, json.Unmarshal(res.body, &routeEnv))
			_, present = routeEnv.Errors[0]["exceptionName"]
			assert.Equal(t, !tt.leftOut, present, "a route error has no exception name: %s", res.body)
		})
	}
}

// TestTokenIDsOf9HaveNoLeadingZeroAndVaryInLength: 9.x ids have 10 to 12 digits and no leading
// zero, and lists stay newest first, by creation, though the ids are in no order.
func TestTokenIDsOf9HaveNoLeadingZeroAndVaryInLength(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithServerVersion("9.4.0"))
	scope := accesstokenstest.UserScopeString("alice")
	var created []string
	lengths := map[int]bool{}
	for range 60 {
		id, _ := srv.MintToken(scope, "t", 0, "REPO_READ")
		assert.Regexp(t, `^[1-9][0-9]{9,11}$`, id)
		lengths[len(id)] = true
		created = append(created, id)
	}
	assert.Len(t, lengths, 3, "10, 11 and 12 digits")
	id, _ := create(t, srv, "/users/alice", asAlice, repoReadBody)
	assert.Regexp(t, `^[1-9][0-9]{9,11}$`, id, "over HTTP too")
	created = append(created, id)

	// Delete one in the middle: the rest keep their order.
	res := call(t, srv, http.MethodDelete, "/users/alice/"+created[30], asAlice, "")
	require.Equal(t, http.StatusNoContent, res.status)
	created = append(created[:30], created[31:]...)

	page := call(t, srv, http.MethodGet, "/users/alice?limit=1000", asAlice, "").object(t)
	want := make([]string, len(created))
	for i, id := range created {
		want[len(created)-1-i] = id
	}
	assert.Equal(t, want, ids(t, page), "newest first")
	var stored []string
	for _, tok := range srv.Tokens() {
		stored = append(stored, tok.ID)
	}
	assert.Equal(t, created, stored, "Tokens lists oldest first")
}

// TestUnprefixedSecretsCarryTheirIDAndStillAuthenticateAndAreRedacted: without the prefix, a
// secret is the base64 of "<id>:" and 20 bytes; it authenticates, and recorded requests blank it
// wherever it appears, even inside other text or cut off by the length cap.
func TestUnprefixedSecretsCarryTheirIDAndStillAuthenticateAndAreRedacted(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithUnprefixedSecrets(), accesstokenstest.WithServerVersion("9.4.0"))
	id, secret := create(t, srv, "/users/alice", asAlice, repoReadBody)
	assert.Len(t, secret, 44)
	assert.False(t, strings.HasPrefix(secret, "BBDC-"))
	raw, err := base64.StdEncoding.DecodeString(secret)
	require.NoError(t, err)
	require.Len(t, raw, len(id)+1+20)
	assert.Equal(t, id+":", string(raw[:len(id)+1]))
	assert.Equal(t, []string{secret}, srv.MintedSecrets())

	res := call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "")
	assert.Equal(t, http.StatusOK, res.status, "%s", res.body)

	srv.ResetRequests()
	escaped := strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(secret)
	call(t, srv, http.MethodGet, "/users/alice?a=x"+escaped+"y&b="+secret, asAlice, "")
	cut := strings.Repeat("a", 256-len("q=")-10) + escaped // the cap cuts the secret
	call(t, srv, http.MethodGet, "/users/alice?q="+cut+strings.Repeat("z", accesstokenstest.MaxRequestTarget), asAlice, "")
	recs := srv.Requests()
	require.Len(t, recs, 2)
	assert.Equal(t, "a=x"+accesstokenstest.Redacted+"y&b="+accesstokenstest.Redacted, recs[0].Query)
	assert.True(t, strings.HasSuffix(recs[1].Query, accesstokenstest.Truncated), recs[1].Query)
	for i, piece := range []string{secret[:8], escaped[:8]} {
		assert.NotContains(t, recs[1].Query, piece, "piece %d of the cut secret", i)
	}
}

// TestWithoutExpiryPolicyEndpointAdminIs404: every method of /admin is a 404, as a route the
// server does not serve, under both roots; a policy set in Go still applies.
func TestWithoutExpiryPolicyEndpointAdminIs404(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithoutExpiryPolicyEndpoint())
	for _, root := range []string{accesstokenstest.APIPath, accesstokenstest.APIPath10} {
		for _, m := range []struct{ method, body string }{{"GET", ""}, {"PUT", `{"maxExpiryDays":30}`}, {"DELETE", ""}} {
			res := callAt(t, srv.Client(), srv.URL+root+"/admin", m.method, asAdmin, m.body)
			assert.Equal(t, http.StatusNotFound, res.status, "%s %s", m.method, root)
			assert.Contains(t, res.firstError(t)["message"], "/admin")
		}
	}
	assert.Zero(t, srv.ExpiryPolicy())
	srv.SetExpiryPolicy(30)
	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, repoReadBody)
	assert.Equal(t, http.StatusBadRequest, res.status)
	assert.Equal(t, "expiryDays", res.firstError(t)["context"])
}

// TestBotsAreNamedAfterTheRealIDsOfTheirProjectAndRepository: a project token's owner is
// access-token-user/1/<the project's id> and a repository token's access-token-user/2/<the
// repository's id>, the ids /rest/api/latest shows.
func TestBotsAreNamedAfterTheRealIDsOfTheirProjectAndRepository(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	projects := map[string]string{}
	for _, p := range values(t, core(t, srv, "/projects?limit=1000", asAdmin)) {
		projects[p["key"].(string)] = p["id"].(json.Number).String()
	}
	repos := map[string]string{}
	for _, r := range values(t, core(t, srv, "/repos?archived=ALL&limit=1000", asAdmin)) {
		key := r["project"].(map[string]any)["key"].(string) + "/" + r["slug"].(string)
		repos[key] = r["id"].(json.Number).String()
	}
	require.Len(t, projects, 4)
	require.Len(t, repos, 14)
	seen := 0
	bot := regexp.MustCompile(`^access-token-user/([12])/([0-9]+)$`)
	for _, tok := range srv.Tokens() {
		kind, rest, _ := strings.Cut(tok.Scope, ":")
		var want string
		switch kind {
		case "project":
			want = "access-token-user/1/" + projects[rest]
		case "repo":
			want = "access-token-user/2/" + repos[rest]
		default:
			continue
		}
		assert.Regexp(t, bot, tok.Owner)
		assert.Equal(t, want, tok.Owner, tok.Scope)
		seen++
	}
	assert.Equal(t, 2*(4+14), seen)
}
