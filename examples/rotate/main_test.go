package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

const day = 24 * time.Hour

func noEnv(string) string { return "" }

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// pointAt makes run() use srv as the real server, logged in as a demo user
// (whose password equals the name). Tests that call it cannot be parallel.
func pointAt(t *testing.T, srv *accesstokenstest.Server, user string) {
	t.Helper()
	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", "")
	t.Setenv("BITBUCKET_USERNAME", user)
	t.Setenv("BITBUCKET_PASSWORD", user)
}

// issueOld stores the token to rotate in project PRJ, then lets five days pass.
func issueOld(srv *accesstokenstest.Server) string {
	id, _ := srv.IssueToken(accesstokenstest.ProjectScope("PRJ"), "deploy", 30, "PROJECT_READ", "REPO_WRITE")
	srv.Advance(5 * day)
	return id
}

func TestDemoRotatesATokenAndMasksTheSecret(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, nil, noEnv))

	text := out.String()
	for _, want := range []string{
		"Started a fake Bitbucket at http://127.0.0.1:",
		`alice created the token `,
		`Rotating token `,
		"created the replacement ",
		"verified: read back by id, same name, permissions and expiry length",
		"revoked the old token ",
		"(30-day token)",
		"secret: ************",
		"run with -reveal",
		"again answers not found: true",
		"Done.",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "BBDC-", "without -reveal the secret must only appear masked")
}

func TestDemoRevealPrintsTheWholeSecretOfAPersonalToken(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-user", "bob", "-reveal"}, noEnv))

	text := out.String()
	assert.Contains(t, text, "acting as bob")
	assert.Contains(t, text, "verified: the new secret authenticates")
	assert.Regexp(t, `secret: BBDC-\S{20,}\n`, text)
	assert.NotContains(t, text, "************")
}

func TestDemoRotatesARepositoryTokenWhenOnlyRepoIsGiven(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-repo", "repo"}, noEnv))
	assert.Contains(t, out.String(), "of repository PRJ/repo")
	assert.Contains(t, out.String(), "permissions REPO_WRITE")
}

func TestRotateReplacesTheTokenWithTheSameNamePermissionsAndExpiryLength(t *testing.T) {
	cases := []struct {
		name       string
		scope      string
		args       []string
		expiryDays int
		perms      []string
		// get reads a token through the SDK, to see what a client sees afterwards.
		get func(ctx context.Context, c *accesstokens.Client, id string) error
	}{
		{
			name: "project token", scope: accesstokenstest.ProjectScope("PRJ"), args: []string{"-project", "PRJ"},
			expiryDays: 30, perms: []string{"PROJECT_READ", "REPO_WRITE"},
			get: func(ctx context.Context, c *accesstokens.Client, id string) error {
				_, err := c.ProjectTokens.Get(ctx, "PRJ", id)
				return err
			},
		},
		{
			name: "repository token", scope: accesstokenstest.RepoScope("PRJ", "repo"), args: []string{"-project", "PRJ", "-repo", "repo"},
			expiryDays: 7, perms: []string{"REPO_ADMIN"},
			get: func(ctx context.Context, c *accesstokens.Client, id string) error {
				_, err := c.RepoTokens.Get(ctx, "PRJ", "repo", id)
				return err
			},
		},
		{
			name: "personal token without expiry", scope: accesstokenstest.UserScope("alice"), args: []string{"-user", "alice"},
			expiryDays: 0, perms: []string{"REPO_READ"},
			get: func(ctx context.Context, c *accesstokens.Client, id string) error {
				_, err := c.UserTokens.Get(ctx, "alice", id)
				return err
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testContext(t)
			srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
			defer srv.Close()
			oldID, oldSecret := srv.IssueToken(tc.scope, "deploy", tc.expiryDays, tc.perms...)
			srv.Advance(5 * day)
			pointAt(t, srv, "alice")

			var out bytes.Buffer
			require.NoError(t, run(ctx, &out, append(tc.args, "-id", oldID), os.Getenv))

			alice, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
			require.NoError(t, err)
			require.ErrorIs(t, tc.get(ctx, alice, oldID), accesstokens.ErrNotFound, "the old token must be revoked")

			tokens := srv.Tokens()
			require.Len(t, tokens, 1, "exactly the replacement is left")
			repl := tokens[0]
			require.NoError(t, tc.get(ctx, alice, repl.ID))
			assert.NotEqual(t, oldID, repl.ID)
			assert.Equal(t, "deploy", repl.Name)
			assert.Equal(t, tc.scope, repl.Scope)
			assert.ElementsMatch(t, tc.perms, repl.Permissions)
			assert.Equal(t, srv.Now(), repl.Created, "created during the run")
			if tc.expiryDays == 0 {
				assert.Nil(t, repl.Expiry)
			} else {
				require.NotNil(t, repl.Expiry)
				assert.Equal(t, time.Duration(tc.expiryDays)*day, repl.Expiry.Sub(repl.Created))
			}

			secrets := srv.MintedSecrets()
			newSecret := secrets[len(secrets)-1]
			require.NotEqual(t, oldSecret, newSecret)
			text := out.String()
			assert.Contains(t, text, "secret: ************"+newSecret[len(newSecret)-4:])
			assert.NotContains(t, text, newSecret)
			assert.NotContains(t, text, oldSecret)
		})
	}
}

func TestRotateUsesTheNewPersonalSecretToAuthenticate(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID, _ := srv.IssueToken(accesstokenstest.UserScope("alice"), "laptop", 90, "REPO_READ")
	pointAt(t, srv, "alice")

	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-user", "alice", "-id", oldID}, os.Getenv))

	var bearerReads int
	for _, r := range srv.Requests() {
		if r.Credential == accesstokenstest.CredentialBearer {
			assert.Equal(t, http.MethodGet, r.Method)
			assert.Equal(t, http.StatusOK, r.Status)
			assert.Equal(t, "alice", r.User)
			bearerReads++
		}
	}
	assert.Equal(t, 1, bearerReads, "the new secret is tried exactly once")
	tokens := srv.Tokens()
	require.Len(t, tokens, 1)
	require.NotNil(t, tokens[0].LastAuthenticated, "the fake saw the new token in use")
	assert.Contains(t, out.String(), "verified: the new secret authenticates")
}

func TestRotateRevokesTheNewTokenWhenAStepAfterCreateFails(t *testing.T) {
	cases := []struct {
		name      string
		faults    func(oldID string) []accesstokenstest.Fault
		wantInErr string
	}{
		{
			name: "verifying read fails",
			faults: func(oldID string) []accesstokenstest.Fault {
				return []accesstokenstest.Fault{
					// The first read, of the old token, goes through (a delay-only fault answers normally)...
					{Method: http.MethodGet, Path: "/projects/PRJ/" + oldID, Delay: time.Nanosecond},
					// ...the next one, of the new token, fails.
					{Method: http.MethodGet, Path: "/projects/PRJ/*", Status: http.StatusInternalServerError},
				}
			},
			wantInErr: "verifying the new token",
		},
		{
			name: "revoking the old token fails",
			faults: func(oldID string) []accesstokenstest.Fault {
				return []accesstokenstest.Fault{
					{Method: http.MethodDelete, Path: "/projects/PRJ/" + oldID, Status: http.StatusInternalServerError},
				}
			},
			wantInErr: "revoking the old token",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := accesstokenstest.NewServer()
			defer srv.Close()
			oldID := issueOld(srv)
			for _, f := range tc.faults(oldID) {
				srv.InjectFault(f)
			}
			pointAt(t, srv, "alice")

			var out bytes.Buffer
			err := run(testContext(t), &out, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

			require.Error(t, err)
			assert.ErrorIs(t, err, accesstokens.ErrServer)
			assert.Contains(t, err.Error(), tc.wantInErr)
			assert.Contains(t, err.Error(), "was revoked again and the old token "+oldID+" was left in place")
			assert.Zero(t, srv.PendingFaults(), "every injected fault was hit")

			tokens := srv.Tokens()
			require.Len(t, tokens, 1, "no orphan: the replacement was revoked")
			assert.Equal(t, oldID, tokens[0].ID, "the old token still exists")

			var newRevoked bool
			for _, r := range srv.Requests() {
				if r.Method == http.MethodDelete && !strings.HasSuffix(r.RawPath, "/"+oldID) && r.Status == http.StatusNoContent {
					newRevoked = true
				}
			}
			assert.True(t, newRevoked, "the new token was deleted through the API")
		})
	}
}

func TestRotateReportsBothErrorsAndTheOrphanWhenUndoingFails(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	// Both the old token's revoke and the undo (revoking the new one) fail.
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodDelete, Path: "/projects/PRJ/*", Times: 2, Status: http.StatusInternalServerError})
	pointAt(t, srv, "alice")

	err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

	require.Error(t, err)
	tokens := srv.Tokens()
	require.Len(t, tokens, 2, "the fake refused both deletes")
	var orphan string
	for _, ti := range tokens {
		if ti.ID != oldID {
			orphan = ti.ID
		}
	}
	msg := err.Error()
	assert.Contains(t, msg, "revoking the old token "+oldID)
	assert.Contains(t, msg, "undoing also failed, revoking the new token "+orphan)
	assert.Contains(t, msg, "revoke it by hand")
}

func TestRotateKeepsTheNewTokenWhenTheOldOneWasRevokedButTheAnswerWasLost(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodDelete, Path: "/projects/PRJ/" + oldID,
		Status: http.StatusInternalServerError, AfterHandling: true})
	pointAt(t, srv, "alice")

	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-project", "PRJ", "-id", oldID}, os.Getenv))

	tokens := srv.Tokens()
	require.Len(t, tokens, 1)
	assert.NotEqual(t, oldID, tokens[0].ID, "the replacement is kept, the old token is gone")
	assert.Contains(t, out.String(), "but the old token is gone: keeping the new one")
}

func TestRotateChangesNothingWhenCreateFails(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(srv *accesstokenstest.Server)
		wantErr   error
		wantInErr string
	}{
		{
			name:      "server refuses: expiry policy shorter than the old token's life",
			setup:     func(srv *accesstokenstest.Server) { srv.SetExpiryPolicy(10) },
			wantErr:   accesstokens.ErrBadRequest,
			wantInErr: "nothing was changed",
		},
		{
			name: "server error: outcome unknown",
			setup: func(srv *accesstokenstest.Server) {
				srv.InjectFault(accesstokenstest.Fault{Method: http.MethodPut, Path: "/projects/PRJ", Status: http.StatusInternalServerError})
			},
			wantErr:   accesstokens.ErrServer,
			wantInErr: "the server created no token after all: nothing was changed",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := accesstokenstest.NewServer()
			defer srv.Close()
			oldID := issueOld(srv)
			tc.setup(srv)
			before := srv.Tokens()
			pointAt(t, srv, "alice")

			err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

			require.ErrorIs(t, err, tc.wantErr)
			assert.Contains(t, err.Error(), "creating the replacement for \"deploy\"")
			assert.Contains(t, err.Error(), tc.wantInErr)
			assert.Equal(t, before, srv.Tokens(), "nothing changed")
			for _, r := range srv.Requests() {
				assert.NotEqual(t, http.MethodDelete, r.Method, "nothing to undo, nothing deleted")
			}
		})
	}
}

func TestRotateWithATokenCredentialExplainsThatAPasswordIsNeeded(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	_, secret := srv.IssueToken(accesstokenstest.UserScope("alice"), "cli", 0, "REPO_READ")
	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", secret)
	t.Setenv("BITBUCKET_USERNAME", "")
	t.Setenv("BITBUCKET_PASSWORD", "")

	err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

	require.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	assert.Contains(t, err.Error(), "set BITBUCKET_USERNAME and BITBUCKET_PASSWORD")
	assert.NotContains(t, err.Error(), secret)
}

func TestRunRefusesBadArguments(t *testing.T) {
	t.Parallel()
	realServer := func(k string) string {
		if k == "BITBUCKET_URL" {
			return "http://127.0.0.1:1" // never contacted: the arguments are refused first
		}
		return ""
	}
	cases := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string
	}{
		{"user and project", []string{"-user", "alice", "-project", "PRJ"}, noEnv, "not both"},
		{"repo without project on a real server", []string{"-repo", "repo", "-id", "1"}, realServer, "-repo needs -project"},
		{"no scope on a real server", []string{"-id", "000000000001"}, realServer, "choose the token's scope"},
		{"no id on a real server", []string{"-project", "PRJ"}, realServer, "-id is required"},
		{"unknown flag", []string{"-force"}, noEnv, "flag provided but not defined: -force"},
		{"stray argument", []string{"-project", "PRJ", "now"}, noEnv, `unexpected argument "now"`},
		{"unknown token on the fake", []string{"-id", "000000000001"}, noEnv, "reading token 000000000001 of project PRJ"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(testContext(t), &bytes.Buffer{}, tc.args, tc.getenv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestHelpPrintsUsageAndSucceeds(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(testContext(t), &out, []string{"-h"}, noEnv))
	assert.Contains(t, out.String(), "usage: rotate (-user SLUG | -project KEY [-repo SLUG]) -id TOKEN_ID")
	assert.Contains(t, out.String(), "-reveal")
}

func TestExpiryDaysRoundsUpWholeDays(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		life time.Duration // -1: no expiry
		want int
	}{
		{"no expiry", -1, 0},
		{"exactly 30 days", 30 * day, 30},
		{"a few minutes", 5 * time.Minute, 1},
		{"an hour short of 90 days (daylight saving)", 90*day - time.Hour, 90},
		{"an hour over 90 days (daylight saving)", 90*day + time.Hour, 90},
		{"two hours over 90 days", 90*day + 2*time.Hour, 91},
		{"half a day", 12 * time.Hour, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := accesstokens.AccessToken{CreatedDate: created}
			if tc.life >= 0 {
				e := created.Add(tc.life)
				tok.ExpiryDate = &e
			}
			assert.Equal(t, tc.want, expiryDays(tok))
		})
	}
}

func TestMaskShowsOnlyTheLastFourCharacters(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "************wxyz", mask("BBDC-abcdefghijklmnopqrstuvwxyz"))
	assert.Equal(t, "************", mask("short"), "short secrets stay hidden")
}

func TestBinaryRunsTheDemoWithNoSetupAndExitsOneOnError(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "rotate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	outb, err := build.CombinedOutput()
	require.NoError(t, err, string(outb))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no BITBUCKET_* at all

	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	outb, err = cmd.CombinedOutput()
	require.NoError(t, err, string(outb))
	assert.Contains(t, string(outb), "revoked the old token")
	assert.Contains(t, string(outb), "Done.")

	cmd = exec.CommandContext(ctx, bin, "-id", "000000000001")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "want a non-zero exit, got %v", err)
	assert.Equal(t, 1, exitErr.ExitCode())
	assert.Contains(t, stderr.String(), "rotate: reading token 000000000001 of project PRJ")
}

func TestRotateKeepsTheNewTokenWhenTheOldTokensStateIsUnknown(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	// The first read of the old token goes through; the server then revokes it but answers 500,
	// and every read of it afterwards (the first attempt and its three retries) answers 503.
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ/" + oldID, Delay: time.Nanosecond})
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodDelete, Path: "/projects/PRJ/" + oldID,
		Status: http.StatusInternalServerError, AfterHandling: true})
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ/" + oldID,
		Status: http.StatusServiceUnavailable, RetryAfter: "0", Times: 4})
	pointAt(t, srv, "alice")

	var out bytes.Buffer
	err := run(testContext(t), &out, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

	require.Error(t, err, "the old token's state is unknown: that is not a clean success")
	assert.ErrorIs(t, err, accesstokens.ErrServer)
	assert.Zero(t, srv.PendingFaults(), "every injected fault was hit")
	tokens := srv.Tokens()
	require.Len(t, tokens, 1, "the new token is kept: undoing would have left no token at all")
	newID := tokens[0].ID
	require.NotEqual(t, oldID, newID)
	msg := err.Error()
	assert.Contains(t, msg, "revoking the old token "+oldID)
	assert.Contains(t, msg, "the new token "+newID+" was kept")
	assert.Contains(t, msg, "the old token "+oldID+" may still exist")
	assert.NotContains(t, msg, "was revoked again")
	for _, r := range srv.Requests() {
		if r.Method == http.MethodDelete {
			assert.True(t, strings.HasSuffix(r.RawPath, "/"+oldID), "only the old token was deleted, not %s", r.RawPath)
		}
	}
	secrets := srv.MintedSecrets()
	newSecret := secrets[len(secrets)-1]
	assert.Contains(t, out.String(), "New token "+newID, "the kept token's secret is printed: the server never shows it again")
	assert.Contains(t, out.String(), "secret: ************"+newSecret[len(newSecret)-4:])
}

func TestRotateChecksTheOldTokenEvenWhenInterruptedDuringItsRevoke(t *testing.T) {
	cases := []struct {
		name          string
		serverRevoked bool // the server deleted the old token before failing
		wantKept      func(oldID string, tokens []accesstokenstest.TokenInfo) bool
	}{
		{
			name: "the server revoked the old token: the new one is kept", serverRevoked: true,
			wantKept: func(oldID string, tokens []accesstokenstest.TokenInfo) bool {
				return len(tokens) == 1 && tokens[0].ID != oldID
			},
		},
		{
			name: "the old token is still there: the new one is revoked", serverRevoked: false,
			wantKept: func(oldID string, tokens []accesstokenstest.TokenInfo) bool {
				return len(tokens) == 1 && tokens[0].ID == oldID
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			var oldID string
			// Interrupt the run as soon as the first (faulted) attempt of the old token's delete
			// has been handled: the client is then waiting to retry.
			srv := accesstokenstest.NewServer(accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
				if r.Method == http.MethodDelete && r.Faulted && strings.HasSuffix(r.RawPath, "/"+oldID) {
					cancel()
				}
			}))
			defer srv.Close()
			oldID = issueOld(srv)
			srv.InjectFault(accesstokenstest.Fault{Method: http.MethodDelete, Path: "/projects/PRJ/" + oldID,
				Status: http.StatusServiceUnavailable, RetryAfter: "2", Times: 4, AfterHandling: tc.serverRevoked})
			pointAt(t, srv, "alice")

			var out bytes.Buffer
			err := run(ctx, &out, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

			require.Error(t, ctx.Err(), "the run was interrupted")
			tokens := srv.Tokens()
			require.True(t, tc.wantKept(oldID, tokens), "tokens left: %+v", tokens)
			if tc.serverRevoked {
				require.NoError(t, err, "the rotation completed")
				assert.Contains(t, out.String(), "but the old token is gone: keeping the new one")
				assert.Contains(t, out.String(), "New token "+tokens[0].ID)
			} else {
				require.Error(t, err)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Contains(t, err.Error(), "was revoked again and the old token "+oldID+" was left in place")
			}
		})
	}
}

func TestRotateRevokesATokenTheCreateMadeWithoutAnswering(t *testing.T) {
	cases := []struct {
		name    string
		fault   accesstokenstest.Fault
		wantErr error // nil: any error
	}{
		{
			name:    "502 after the server created it",
			fault:   accesstokenstest.Fault{Method: http.MethodPut, Path: "/projects/PRJ", Status: http.StatusBadGateway, AfterHandling: true},
			wantErr: accesstokens.ErrServer,
		},
		{
			name:  "connection dropped after the server created it",
			fault: accesstokenstest.Fault{Method: http.MethodPut, Path: "/projects/PRJ", DropConnection: true, AfterHandling: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := accesstokenstest.NewServer()
			defer srv.Close()
			oldID := issueOld(srv)
			// Another token of the same name, older than the run: it must survive the clean-up.
			twinID, _ := srv.IssueToken(accesstokenstest.ProjectScope("PRJ"), "deploy", 30, "PROJECT_READ")
			srv.InjectFault(tc.fault)
			pointAt(t, srv, "alice")

			var out bytes.Buffer
			err := run(testContext(t), &out, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

			require.Error(t, err)
			if tc.wantErr != nil {
				assert.ErrorIs(t, err, tc.wantErr)
			}
			assert.Zero(t, srv.PendingFaults())
			var created []string
			for _, r := range srv.Requests() {
				if r.Method == http.MethodPut {
					created = append(created, r.RawPath)
				}
			}
			require.Len(t, created, 1, "the create was sent once, and the server acted on it")
			tokens := srv.Tokens()
			require.Len(t, tokens, 2, "exactly the old token and its older twin remain: %+v", tokens)
			assert.ElementsMatch(t, []string{oldID, twinID}, []string{tokens[0].ID, tokens[1].ID})
			msg := err.Error()
			assert.Contains(t, msg, `creating the replacement for "deploy"`)
			assert.Regexp(t, `the server created token \d{12} anyway, and it was revoked again`, msg)
			assert.Contains(t, msg, "the old token "+oldID+" still works")
			assert.Contains(t, out.String(), "but the server created token ")
		})
	}
}

func TestRotateSaysATokenMayExistWhenTheCreateFailedAndListingFailsToo(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	// The listing before the create goes through; the create acts but answers 502; every
	// listing afterwards answers 503.
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ", Delay: time.Nanosecond})
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodPut, Path: "/projects/PRJ", Status: http.StatusBadGateway, AfterHandling: true})
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ",
		Status: http.StatusServiceUnavailable, RetryAfter: "0", Times: 4})
	pointAt(t, srv, "alice")

	err := run(testContext(t), &bytes.Buffer{}, []string{"-project", "PRJ", "-id", oldID}, os.Getenv)

	require.Error(t, err)
	assert.Zero(t, srv.PendingFaults())
	require.Len(t, srv.Tokens(), 2, "the stray token could not be found, so it is still there")
	msg := err.Error()
	assert.Contains(t, msg, `the server may have created a token named "deploy" anyway`)
	assert.Contains(t, msg, "listing the tokens of project PRJ to find it failed")
	assert.Contains(t, msg, "revoke it by hand")
	assert.Contains(t, msg, "the old token "+oldID+" still works")
}

// TestTheSecretTryingClientAllowsPlainHTTPOnlyWhenAskedTo: the client that
// tries a new personal secret is built with NewClient, so it must learn
// BITBUCKET_INSECURE_HTTP from clientOptions, as NewClientFromEnv does.
func TestTheSecretTryingClientAllowsPlainHTTPOnlyWhenAskedTo(t *testing.T) {
	t.Parallel()
	newClient := func(insecure string) (*accesstokens.Client, error) {
		getenv := func(k string) string {
			if k == "BITBUCKET_INSECURE_HTTP" {
				return insecure
			}
			return ""
		}
		opts := append([]accesstokens.Option{accesstokens.WithToken("BBDC-new-secret")}, clientOptions(getenv)...)
		return accesstokens.NewClient("http://example.invalid", opts...)
	}

	_, err := newClient("")
	require.Error(t, err)
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "plain http")

	for _, yes := range []string{"1", "true"} {
		c, err := newClient(yes)
		require.NoError(t, err, yes)
		require.NotNil(t, c)
	}
}

// TestBinaryUndoesTheRotationOnSIGTERM runs the built program against a fake started here,
// holds the verifying read, and sends SIGTERM once the replacement exists: the program must
// revoke the replacement and exit 1, leaving only the old token.
func TestBinaryUndoesTheRotationOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "rotate")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	outb, err := build.CombinedOutput()
	require.NoError(t, err, string(outb))

	srv := accesstokenstest.NewServer()
	defer srv.Close()
	oldID := issueOld(srv)
	// The read of the old token goes through; the verifying read of the new one is held.
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ/" + oldID, Delay: time.Nanosecond})
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Path: "/projects/PRJ/*", Delay: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-project", "PRJ", "-id", oldID)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"BITBUCKET_URL=" + srv.URL, "BITBUCKET_USERNAME=alice", "BITBUCKET_PASSWORD=alice"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var seen strings.Builder
	signalled := false
	buf := make([]byte, 4096)
	for {
		n, rerr := stdout.Read(buf)
		seen.Write(buf[:n])
		if !signalled && strings.Contains(seen.String(), "created the replacement ") {
			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			signalled = true
		}
		if rerr != nil {
			break
		}
	}
	err = cmd.Wait()

	require.True(t, signalled, "the replacement was never created; output:\n%s\n%s", seen.String(), stderr.String())
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "want a non-zero exit, got %v", err)
	assert.Equal(t, 1, exitErr.ExitCode(), "the program handled SIGTERM and exited 1; stderr:\n%s", stderr.String())
	assert.Contains(t, stderr.String(), "rotate: verifying the new token ")
	assert.Contains(t, stderr.String(), "was revoked again and the old token "+oldID+" was left in place")
	tokens := srv.Tokens()
	require.Len(t, tokens, 1, "no orphan is left: %+v", tokens)
	assert.Equal(t, oldID, tokens[0].ID)
}
