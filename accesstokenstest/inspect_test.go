// Tests of inspect.go: reading tokens and secrets from a test.

package accesstokenstest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestClockAndIntrospection(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), accesstokenstest.DefaultStartTime())

	start := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)
	srv := newServer(t, accesstokenstest.WithClock(start))
	assert.Equal(t, start.Truncate(time.Millisecond), srv.Now())
	srv.Advance(90 * time.Minute)
	assert.Equal(t, start.Truncate(time.Millisecond).Add(90*time.Minute), srv.Now())
	assert.Panics(t, func() { srv.Advance(-time.Second) })

	create(t, srv, "/projects/PRJ", asAlice, `{"name":"p","permissions":["PROJECT_READ","REPO_WRITE"],"expiryDays":10}`)
	srv.SeedTokens(accesstokenstest.RepoScopeString("PRJ", "repo"), 2)
	toks := srv.Tokens()
	require.Len(t, toks, 3)
	assert.Equal(t, "project:PRJ", toks[0].Scope)
	assert.Equal(t, "access-token-user/1/1", toks[0].Owner)
	assert.Equal(t, []string{"PROJECT_READ", "REPO_WRITE"}, toks[0].Permissions)
	assert.Equal(t, srv.Now(), toks[0].Created)
	require.NotNil(t, toks[0].Expiry)
	assert.Equal(t, srv.Now().AddDate(0, 0, 10), *toks[0].Expiry)
	assert.Equal(t, "repo:PRJ/repo", toks[1].Scope)
	assert.Equal(t, "seed-0", toks[1].Name)
	assert.Len(t, srv.MintedSecrets(), 1, "seeded tokens have no secret")

	// Snapshots are copies.
	toks[0].Permissions[0] = "CHANGED"
	assert.Equal(t, "PROJECT_READ", srv.Tokens()[0].Permissions[0])
}
