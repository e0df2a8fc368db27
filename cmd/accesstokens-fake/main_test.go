// Tests of main.go: the built program, served, used and stopped by signals.

package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// TestFakeBinaryServesLogsAndStopsOnSignal builds the program, runs it on a
// free port, uses it through the SDK, then stops it with SIGTERM and SIGINT.
func TestFakeBinaryServesLogsAndStopsOnSignal(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-context-path", "/bitbucket")
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())

			first, err := bufio.NewReader(stdout).ReadString('\n')
			require.NoError(t, err)
			baseURL := strings.TrimSpace(first)
			assert.Regexp(t, `^http://127\.0\.0\.1:\d+/bitbucket$`, baseURL)

			client, err := accesstokens.NewClient(baseURL, accesstokens.WithBasicAuth("alice", "alice"))
			require.NoError(t, err)
			created, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
				Name: "from-ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
			})
			require.NoError(t, err)
			page, err := client.ProjectTokens.List(ctx, "PRJ", nil)
			require.NoError(t, err)
			require.Len(t, page.Values, 1)
			assert.Equal(t, created.ID, page.Values[0].ID)

			require.NoError(t, cmd.Process.Signal(sig))
			require.NoError(t, cmd.Wait(), "a signal must stop it cleanly (exit 0)")

			logs := stderr.String()
			assert.Contains(t, logs, "PUT /bitbucket/rest/access-tokens/latest/projects/PRJ -> 200")
			assert.Contains(t, logs, "GET /bitbucket/rest/access-tokens/latest/projects/PRJ -> 200")
			assert.Equal(t, 3, strings.Count(logs, "\n"), "one line per request, plus the stop line:\n%s", logs)
			assert.NotContains(t, logs, created.Token.Reveal())
			assert.NotContains(t, logs, "alice:alice")
		})
	}
}

// TestFakeStopsCleanlyOnSignalRightAfterPrintingItsURL signals the program the moment its first
// line arrives, many times over: a program that printed before catching signals dies of the
// signal (exit 143) in a good share of these runs.
func TestFakeStopsCleanlyOnSignalRightAfterPrintingItsURL(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0", "-quiet")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		first, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err)
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		err = cmd.Wait()
		cancel()
		require.NoError(t, err, "run %d: SIGTERM right after %q must stop it with exit 0", i, strings.TrimSpace(first))
	}
}

// TestControlOnAnAddressOtherHostsReachIsWarnedAbout: the control API needs no credentials, so
// -control on an address other than loopback says so on stderr; it used to start silently.
func TestControlOnAnAddressOtherHostsReachIsWarnedAbout(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr    string
		control bool
		warned  bool
	}{
		{"0.0.0.0:7990", true, true},
		{"[::]:7990", true, true},
		{"192.168.1.20:7990", true, true},
		{"127.0.0.1:7990", true, false},
		{"[::1]:7990", true, false},
		{"0.0.0.0:7990", false, false},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tt.addr)
		require.NoError(t, err)
		warning := controlReachableWarning(tt.control, addr)
		if !tt.warned {
			assert.Empty(t, warning, "%+v", tt)
			continue
		}
		assert.Contains(t, warning, "warning: -control", tt.addr)
		assert.Contains(t, warning, "other hosts", tt.addr)
		assert.Contains(t, warning, "127.0.0.1", tt.addr)
	}

	// On loopback, as every test here serves, nothing is said.
	var stderr lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-control", "-quiet"}, pw, &stderr)
		pw.Close()
	}()
	_, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	cancel()
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NoError(t, <-done)
	assert.NotContains(t, stderr.String(), "warning")
	assert.Contains(t, stderr.String(), "control API at")
}
