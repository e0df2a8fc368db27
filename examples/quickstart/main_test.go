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

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestQuickstartTellsTheWholeStoryOnTheFake(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, demoTour(ctx, &out, srv, login{}))

	text := out.String()
	for _, want := range []string{
		"ci-pipeline: secret BBDC-…",
		"(as a value it prints [REDACTED])",
		"nightly-backup   7-day token; expires within 14 days: true",
		"ci-pipeline     90-day token; expires within 14 days: false",
		"new ci-pipeline: 90 days, secret BBDC-…",
		"old one revoked: true",
		"bad request: true: accesstokens: PUT ",
		"may not list them: true: accesstokens: GET ",
		"Done.",
	} {
		assert.Contains(t, text, want)
	}
	minted := srv.MintedSecrets()
	require.Len(t, minted, 3, "two creates and a rotation")
	for _, secret := range minted {
		assert.NotContains(t, text, secret)
		assert.Contains(t, text, accesstokens.NewSecret(secret).Masked(), "each secret shows its last four characters")
	}
	assert.Zero(t, srv.ExpiryPolicy(), "the tour removes the policy it set")
	assert.Len(t, srv.Tokens(), 2, "ci-pipeline was replaced, not doubled")
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
