package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestQuickstartTellsTheWholeStoryOnTheFake(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	noEnv := func(string) string { return "" }
	require.NoError(t, run(ctx, &out, noEnv))

	text := out.String()
	for _, want := range []string{
		"Started a fake Bitbucket at http://127.0.0.1:",
		`created "ci-pipeline"`,
		"secret, shown only now: ************",
		"printed as a value it stays hidden: [REDACTED]",
		"page 1: docs-preview, release-bot",
		"page 2: nightly-backup, ci-pipeline",
		`is now "docs-preview-2026"`,
		"reading it again gives not found: true",
		"current policy: expiry not required",
		"new policy: expiry required, at most 30 days",
		"refused (400): ",
		"unauthorized: true",
		"Done.",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "BBDC-", "the secret must only appear masked")
}

func TestQuickstartReadOnlyAgainstAServer(t *testing.T) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	_, secret := srv.IssueToken(accesstokenstest.ProjectScope("PRJ"), "existing", 0, "PROJECT_READ")
	require.NotEmpty(t, secret)

	t.Setenv("BITBUCKET_URL", srv.URL)
	t.Setenv("BITBUCKET_TOKEN", "")
	t.Setenv("BITBUCKET_USERNAME", "alice")
	t.Setenv("BITBUCKET_PASSWORD", "alice")
	t.Setenv("BITBUCKET_PROJECT", "PRJ")
	before := len(srv.Tokens())

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, os.Getenv))

	text := out.String()
	assert.Contains(t, text, "Read-only tour against BITBUCKET_URL")
	assert.Contains(t, text, "expiry policy: not readable:", "alice is no system admin")
	assert.Contains(t, text, "personal tokens of alice:\n  (0 tokens)")
	assert.Contains(t, text, "tokens of project PRJ:")
	assert.Contains(t, text, "existing")
	assert.Len(t, srv.Tokens(), before, "the read-only part must not create anything")
	for _, r := range srv.Requests() {
		assert.Equal(t, "GET", r.Method, "read-only means GET only: %s %s", r.Method, r.RawPath)
	}
}

func TestQuickstartBinaryRunsWithNoSetup(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "quickstart")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	outb, err := build.CombinedOutput()
	require.NoError(t, err, string(outb))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no BITBUCKET_* at all
	outb, err = cmd.CombinedOutput()
	require.NoError(t, err, string(outb))
	assert.Contains(t, string(outb), "Done.")
}

func TestQuickstartReadOnlyReportsUnreadableListingsAndGoesOn(t *testing.T) {
	cases := []struct {
		name     string
		env      func(srv *accesstokenstest.Server) map[string]string
		wantText []string
		wantHint bool
	}{
		{
			name: "a personal token reads its owner's tokens but not the project's",
			env: func(srv *accesstokenstest.Server) map[string]string {
				_, secret := srv.IssueToken(accesstokenstest.UserScope("alice"), "cli", 0, "PROJECT_ADMIN", "REPO_ADMIN")
				return map[string]string{"BITBUCKET_TOKEN": secret, "BITBUCKET_USERNAME": "alice", "BITBUCKET_PASSWORD": ""}
			},
			wantText: []string{
				"expiry policy: not readable: ",
				"personal tokens of alice:\n  ",
				" cli ",
				"  (1 token)\n",
				"tokens of project PRJ:\n  not readable: ",
			},
			wantHint: true,
		},
		{
			name: "a user without rights on the project",
			env: func(*accesstokenstest.Server) map[string]string {
				return map[string]string{"BITBUCKET_TOKEN": "", "BITBUCKET_USERNAME": "bob", "BITBUCKET_PASSWORD": "bob"}
			},
			wantText: []string{
				"personal tokens of bob:\n  (0 tokens)\n",
				"tokens of project PRJ:\n  not readable: ",
			},
			wantHint: false,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := accesstokenstest.NewServer()
			defer srv.Close()
			srv.IssueToken(accesstokenstest.ProjectScope("PRJ"), "existing", 0, "PROJECT_READ")
			t.Setenv("BITBUCKET_URL", srv.URL)
			t.Setenv("BITBUCKET_PROJECT", "PRJ")
			for k, v := range tc.env(srv) {
				t.Setenv(k, v)
			}

			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, os.Getenv), "a listing failure is reported, not fatal")

			text := out.String()
			for _, want := range tc.wantText {
				assert.Contains(t, text, want)
			}
			assert.NotContains(t, text, "existing", "the project's tokens were not readable")
			hint := "hint: tokens cannot manage or list other tokens; use BITBUCKET_USERNAME/BITBUCKET_PASSWORD"
			if tc.wantHint {
				assert.Equal(t, 1, strings.Count(text, hint), "the hint is printed once:\n%s", text)
			} else {
				assert.NotContains(t, text, hint)
			}
		})
	}
}

func TestCountTokensUsesTheSingularForOne(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0 tokens", countTokens(0))
	assert.Equal(t, "1 token", countTokens(1))
	assert.Equal(t, "2 tokens", countTokens(2))
}

func TestMaskHidesTheLengthOfShortSecrets(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "************wxyz", mask(accesstokens.NewSecret("BBDC-abcdefghijklmnopqrstuvwxyz")))
	for _, short := range []accesstokens.Secret{accesstokens.NewSecret(""), accesstokens.NewSecret("a"), accesstokens.NewSecret("short"), accesstokens.NewSecret("12345678")} {
		assert.Equal(t, "************", mask(short), "%d characters", len(short.Reveal()))
	}
}
