// Tests of dispatch.go: the order of checks.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestAuthenticationIsCheckedBeforeTheMethod(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name string
		c    cred
		want int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"wrong password", basic("alice", "nope"), http.StatusUnauthorized},
		{"authenticated", asAlice, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		res := call(t, srv, http.MethodDelete, "/users/alice", tt.c, "")
		assert.Equal(t, tt.want, res.status, tt.name)
		assert.NotEmpty(t, res.firstError(t)["message"], tt.name)
	}
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
