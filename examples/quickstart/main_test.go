package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
