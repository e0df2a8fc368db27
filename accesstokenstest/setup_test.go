// Tests of setup.go: building a world by hand.

package accesstokenstest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestEmptyWorldAndWorldBuilding(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithEmptyWorld())
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusUnauthorized, res.status, "no demo users")

	srv.AddUser("dora", "pw", false)
	srv.AddProject("OPS", "Operations")
	srv.AddRepo("OPS", "infra")
	res = call(t, srv, http.MethodPut, "/projects/OPS/repos/infra", basic("dora", "pw"), repoReadBody)
	assert.Equal(t, http.StatusUnauthorized, res.status)

	srv.GrantRepoAdmin("OPS", "infra", "dora")
	res = call(t, srv, http.MethodPut, "/projects/OPS/repos/infra", basic("dora", "pw"), repoReadBody)
	require.Equal(t, http.StatusOK, res.status)
	owner := res.object(t)["user"].(map[string]any)
	assert.Equal(t, "Access Token User - infra", owner["displayName"])

	srv.AddUser("dora", "pw2", true) // update: now a system admin with a new password
	res = call(t, srv, http.MethodGet, "/admin", basic("dora", "pw2"), "")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Panics(t, func() { srv.AddRepo("NOPE", "x") })
	assert.Panics(t, func() { srv.GrantProjectAdmin("OPS", "nobody") })
	assert.Panics(t, func() { srv.SeedTokens("repo:OPS/nope", 1) })
}
