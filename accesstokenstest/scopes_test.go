// Tests of scopes.go: scopes that do not exist.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

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

// TestDeprecatedScopeHelpersWriteWhatTheNewNamesWrite: the old names, kept for one release, are
// the new ones under the SDK's names.
func TestDeprecatedScopeHelpersWriteWhatTheNewNamesWrite(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "user:alice", accesstokenstest.UserScopeString("alice"))
	assert.Equal(t, "project:PRJ", accesstokenstest.ProjectScopeString("PRJ"))
	assert.Equal(t, "repo:PRJ/repo", accesstokenstest.RepoScopeString("PRJ", "repo"))
	assert.Equal(t, accesstokenstest.UserScopeString("alice"), accesstokenstest.UserScope("alice"))             //nolint:staticcheck // the deprecated name is what is tested
	assert.Equal(t, accesstokenstest.ProjectScopeString("PRJ"), accesstokenstest.ProjectScope("PRJ"))           //nolint:staticcheck // as above
	assert.Equal(t, accesstokenstest.RepoScopeString("PRJ", "repo"), accesstokenstest.RepoScope("PRJ", "repo")) //nolint:staticcheck // as above

	f := accesstokenstest.NewFake()
	id, secret := f.IssueToken(accesstokenstest.ProjectScopeString("PRJ"), "old name", 0, "PROJECT_READ") //nolint:staticcheck // as above
	toks := f.Tokens()
	require.Len(t, toks, 1)
	assert.Equal(t, id, toks[0].ID)
	assert.Equal(t, "old name", toks[0].Name)
	assert.Equal(t, []string{secret}, f.MintedSecrets())
}
