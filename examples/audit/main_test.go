package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// line returns the output line that holds all of parts, or "".
func line(out string, parts ...string) string {
	for _, l := range strings.Split(out, "\n") {
		found := true
		for _, p := range parts {
			found = found && strings.Contains(l, p)
		}
		if found {
			return l
		}
	}
	return ""
}

func TestDemoListsTheTokensThatNeedAttention(t *testing.T) {
	t.Setenv("BITBUCKET_URL", "")
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out))
	text := out.String()
	assert.NotEmpty(t, line(text, "project:PRJ", "nightly", "expired "), text)
	assert.NotEmpty(t, line(text, "repo:PRJ/repo", "deploy", "expires "), text)
	assert.NotEmpty(t, line(text, "repo:PRJ/repo", "mirror", "never used"), text)
	assert.Empty(t, line(text, "release"), "a used token that never expires needs no attention")
	assert.Empty(t, line(text, "laptop"), "a used token with a year to live needs no attention")
	assert.Contains(t, text, "5 tokens, 3 need attention")
}

// newServer is a fake with one token in each kind of scope, as admin sees it.
func newServer(t *testing.T, user string) (*accesstokenstest.Server, *accesstokens.Client) {
	t.Helper()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddProject("OPS", "Operations")
	srv.AddRepo("OPS", "infra")
	for _, scope := range []string{"user:bob", "project:OPS", "repo:OPS/infra", "repo:PRJ/repo"} {
		srv.MintToken(scope, "t-"+scope, 0, "REPO_READ")
	}
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, user))
	require.NoError(t, err)
	return srv, client
}

func TestAuditWalksEveryScopeOfTheServer(t *testing.T) {
	t.Parallel()
	srv, admin := newServer(t, "admin")
	var out bytes.Buffer
	require.NoError(t, audit(testContext(t), &out, admin, srv.Now()))
	for _, scope := range []string{"user:bob", "project:OPS", "repo:OPS/infra", "repo:PRJ/repo"} {
		assert.NotEmpty(t, line(out.String(), scope, "t-"+scope, "never used"), out.String())
	}
	assert.Contains(t, out.String(), "4 tokens, 4 need attention")
	for _, r := range srv.Requests() {
		assert.NotContains(t, r.RawPath, "/users/access-token-user", "SERVICE users own no personal tokens")
	}
}

func TestAuditReportsAnUnreadableScopeGoesOnAndFails(t *testing.T) {
	t.Parallel()
	srv, admin := newServer(t, "admin")
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/OPS", Status: 500})
	var out bytes.Buffer
	err := audit(testContext(t), &out, admin, srv.Now())
	require.EqualError(t, err, "1 scopes could not be read")
	assert.NotEmpty(t, line(out.String(), "project:OPS", "not readable: accesstokens: GET "), out.String())
	assert.NotEmpty(t, line(out.String(), "repo:OPS/infra", "never used"), "the walk went on")
}

// TestAuditAsAUserWithoutAdminRightsSaysWhatItCouldNotRead: alice reads the
// plain user list but not bob's tokens, and says so.
func TestAuditAsAUserWithoutAdminRightsSaysWhatItCouldNotRead(t *testing.T) {
	t.Parallel()
	srv, alice := newServer(t, "alice")
	var out bytes.Buffer
	err := audit(testContext(t), &out, alice, srv.Now())
	require.Error(t, err)
	assert.NotEmpty(t, line(out.String(), "user:bob", "not readable"), out.String())
	assert.NotEmpty(t, line(out.String(), "repo:PRJ/repo", "never used"), out.String())
}
