// Tests of scopes.go: scopes that do not exist.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
