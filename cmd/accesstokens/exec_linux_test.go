package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestExecGivesCMDNoTerminalStdin: CMD runs outside the terminal's
// foreground group, where reading the terminal would stop or block it; with
// a terminal on stdin it gets none, and a CMD that reads stdin to its end
// finishes.
func TestExecGivesCMDNoTerminalStdin(t *testing.T) {
	t.Parallel()
	_, tty := openPTY(t)
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	io, out, errOut := testIO(false)
	io.In = tty
	done := make(chan error, 1)
	go func() {
		done <- runExecCmd(context.Background(), &ExecOptions{
			IO: io, Connect: connectTo(t, srv), Scope: accesstokens.ProjectScope("PRJ"), Name: "job",
			Permissions: []accesstokens.Permission{accesstokens.RepoRead}, ExpiryDays: 1,
			Argv: []string{"sh", "-c", "cat; echo read to the end"},
		})
	}()
	select {
	case err := <-done:
		require.NoError(t, err, errOut.String())
	case <-time.After(hangGuard):
		t.Fatalf("CMD still waits on the terminal after %v", hangGuard)
	}
	assert.Equal(t, "read to the end\n", out.String())
	assert.Empty(t, srv.Tokens(), "the token is revoked")
}
