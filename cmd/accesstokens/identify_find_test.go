package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// runIdentifySecret against the fake, with --ask-server's answer stubbed:
// what it does with each kind of answer, and the requests it costs.

// askAnswers is an AskServer that answers who (or err) without a request.
func askAnswers(who tokenUser, err error) func(context.Context, string, accesstokens.Secret) (tokenUser, error) {
	return func(context.Context, string, accesstokens.Secret) (tokenUser, error) { return who, err }
}

// requestLines is every request the fake answered: "GET /path 404".
func requestLines(srv *accesstokenstest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Method+" "+r.RawPath+" "+strconv.Itoa(r.Status))
	}
	return out
}

func identifyWithAnswer(t *testing.T, srv *accesstokenstest.Server, id string, ask func(context.Context, string, accesstokens.Secret) (tokenUser, error)) (string, string, error) {
	t.Helper()
	io, out, errOut := testIO(false)
	err := runIdentifySecret(context.Background(), &IdentifyOptions{
		IO: io, AskServer: ask, TokenID: id, Select: ScopeSelection{All: true}, AskWho: true,
		Format: "table", Concurrency: 1,
	}, mustConnect(t, srv))
	return out.String(), errOut.String(), err
}

func mustConnect(t *testing.T, srv *accesstokenstest.Server) *Connection {
	t.Helper()
	conn, err := connectTo(t, srv)(context.Background())
	require.NoError(t, err)
	return conn
}

func TestIdentifyAskedPersonWhoseSlugIsNotTheirName(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	id, _ := srv.MintToken(accesstokenstest.UserScopeString("alice"), "laptop", 0, "REPO_READ")
	srv.ResetRequests()
	out, stderr, err := identifyWithAnswer(t, srv, id, askAnswers(tokenUser{Name: "Alice", ID: 0}, nil))
	require.NoError(t, err)
	assert.Regexp(t, `(?m)^scope: +user:alice$`, out)
	assert.Contains(t, stderr, "--ask-server: the secret authenticates as Alice, a person (user:alice)")
	assert.Equal(t, []string{
		"GET /rest/access-tokens/latest/users/Alice/" + id + " 404",
		"GET /rest/api/latest/admin/users 200",
		"GET /rest/access-tokens/latest/users/alice/" + id + " 200",
	}, requestLines(srv), "the name as a slug first; then the user list, read up to the user")
}

func TestIdentifyAskedAnswersThatDoNotPlaceTheTokenFallBackToTheSearch(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	id, _ := srv.MintToken(accesstokenstest.RepoScopeString("PRJ", "repo"), "ci", 0, "REPO_READ")
	for name, tc := range map[string]struct {
		who  tokenUser
		err  error
		note string
	}{
		"refused":        {err: errSecretRefused, note: "--ask-server: the server refused the secret: it is no longer valid (revoked, or expired); searching by the token's id"},
		"no header":      {err: errNoUserHeader, note: "--ask-server: the server's answer did not name the user"},
		"unknown bot":    {who: tokenUser{Name: "access-token-user/2/99999"}, note: "--ask-server: the secret authenticates as access-token-user/2/99999, but no repository with id 99999"},
		"unknown person": {who: tokenUser{Name: "mallory"}, note: `--ask-server: the secret authenticates as mallory, but no user "mallory" among the users you can see; searching`},
		"the wrong bot":  {who: tokenUser{Name: "access-token-user/1/1"}, note: "--ask-server: project:PRJ holds no token " + id + " (revoked meanwhile?); searching by the token's id"},
	} {
		out, stderr, err := identifyWithAnswer(t, srv, id, askAnswers(tc.who, tc.err))
		require.NoError(t, err, name)
		assert.Regexp(t, `(?m)^scope: +repo:PRJ/repo$`, out, name)
		assert.Contains(t, stderr, tc.note, name)
		assert.Contains(t, stderr, "accesstokens: found token "+id+" in repo:PRJ/repo after asking", name)
	}
}
