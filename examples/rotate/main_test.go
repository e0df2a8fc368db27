package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
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

// pointAt makes run use srv as the real server, as alice. Tests that call it
// set the environment and so cannot run in parallel.
func pointAt(t *testing.T, srv *accesstokenstest.Server) {
	t.Helper()
	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", "")
	t.Setenv("BITBUCKET_USERNAME", "alice")
	t.Setenv("BITBUCKET_PASSWORD", "alice")
}

func TestDemoRotatesATokenInEveryKindOfScope(t *testing.T) {
	t.Setenv("BITBUCKET_URL", "")
	for _, scope := range []string{"project:PRJ", "repo:PRJ/repo", "user:bob"} {
		var out bytes.Buffer
		require.NoError(t, run(testContext(t), &out, []string{"-scope", scope}), scope)
		text := out.String()
		assert.Contains(t, text, "created token ")
		assert.Contains(t, text, `"deploy-bot", 30 days; secret: BBDC-…`)
		assert.Contains(t, text, "(masked; -reveal prints it whole)")
		assert.Contains(t, text, "revoked the old token ")
	}
}

func TestRotateAgainstAServerPrintsTheNewSecretThenRevokesTheOldToken(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID, _ := srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 30, "PROJECT_READ", "REPO_WRITE")
	pointAt(t, srv)

	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-scope", "project:PRJ", "-id", oldID, "-reveal"}))
	tokens := srv.Tokens()
	require.Len(t, tokens, 1)
	assert.NotEqual(t, oldID, tokens[0].ID, "the old token was revoked")
	assert.Equal(t, "deploy", tokens[0].Name)
	minted := srv.MintedSecrets()
	assert.Contains(t, out.String(), `new token `+tokens[0].ID+` "deploy", 30 days; secret: `+minted[len(minted)-1])
	assert.Contains(t, out.String(), "revoked the old token "+oldID)
}

type brokenStdout struct{}

func (brokenStdout) Write([]byte) (int, error) { return 0, errors.New("stdout is closed") }

// TestASecretThatCannotBePrintedRevokesTheNewToken: printing is how the
// secret is delivered, so a failed write must leave the old token alone.
func TestASecretThatCannotBePrintedRevokesTheNewToken(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID, _ := srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 30, "REPO_WRITE")
	pointAt(t, srv)

	err := run(testContext(t), brokenStdout{}, []string{"-scope", "project:PRJ", "-id", oldID})
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "deliver", rerr.Step)
	assert.Contains(t, err.Error(), "stdout is closed")
	tokens := srv.Tokens()
	require.Len(t, tokens, 1, "the new token was revoked again")
	assert.Equal(t, oldID, tokens[0].ID)
}

func TestRunRefusesBadArguments(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	pointAt(t, srv)
	for name, args := range map[string][]string{
		"an unknown scope kind":       {"-scope", "team:x", "-id", "1"},
		"a repository without a slug": {"-scope", "repo:PRJ/", "-id", "1"},
		"no id against a server":      {"-scope", "project:PRJ"},
		"an unknown flag":             {"-project", "PRJ"},
	} {
		var out bytes.Buffer
		assert.Error(t, run(testContext(t), &out, args), name)
	}
	var out bytes.Buffer
	assert.ErrorIs(t, run(testContext(t), &out, []string{"-h"}), flag.ErrHelp)
	assert.Contains(t, out.String(), "-scope")
	assert.Empty(t, srv.Requests(), "nothing reached the server")
}
