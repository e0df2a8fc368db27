package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
	buildOut  []byte
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds the program once for all tests and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "accesstokens-fake-test")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "accesstokens-fake")
		buildOut, buildErr = exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	})
	require.NoError(t, buildErr, string(buildOut))
	return binPath
}

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

func TestFakeRejectsBadFlagValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero page limit", []string{"-page-limit", "0"}, "-page-limit"},
		{"negative page limit", []string{"-page-limit", "-3"}, "-page-limit"},
		{"zero max page limit", []string{"-max-page-limit", "0"}, "-max-page-limit"},
		{"negative token limit", []string{"-token-limit", "-1"}, "-token-limit"},
		{"context path with a space", []string{"-context-path", "a b"}, "-context-path"},
		{"context path with a query", []string{"-context-path", "/bit?bucket"}, "-context-path"},
		{"context path with a percent", []string{"-context-path", "/a%2Fb"}, "-context-path"},
		{"context path with an empty segment", []string{"-context-path", "/a//b"}, "-context-path"},
		{"context path with a dot-dot segment", []string{"-context-path", "/a/../b"}, "-context-path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr lockedBuffer
			done := make(chan error, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						done <- fmt.Errorf("run panicked: %v", p)
					}
				}()
				// Port 0, so a run that wrongly gets past validation does not fight over a port;
				// it then serves until the process ends, and the timeout below reports it.
				done <- run(append([]string{"-addr", "127.0.0.1:0", "-quiet"}, tt.args...), &stdout, &stderr)
			}()
			select {
			case err := <-done:
				require.Error(t, err)
				assert.NotContains(t, err.Error(), "panicked")
				assert.Contains(t, err.Error(), tt.want)
			case <-time.After(10 * time.Second):
				t.Fatalf("run accepted %v and started serving (stdout %q)", tt.args, stdout.String())
			}
			assert.Empty(t, stdout.String(), "no URL is printed")
		})
	}
}

// lockedBuffer is a strings.Builder safe for a writer and a reader in different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestValidateFlagsAcceptsEdgeValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pageLimit, maxPageLimit, tokenLimit int
		contextPath                         string
	}{
		{1, 1, 0, ""},
		{25, 1000, 5, "bitbucket"},
		{25, 1000, 0, "/"},
		{25, 1000, 0, "/jira-bb/bitbucket.v2_~x/"},
	}
	for _, tt := range tests {
		assert.NoError(t, validateFlags(tt.pageLimit, tt.maxPageLimit, tt.tokenLimit, tt.contextPath), "%+v", tt)
	}
}

func TestFakeRejectsBadFlags(t *testing.T) {
	t.Parallel()
	var stdout, stderr strings.Builder
	err := run([]string{"-no-such-flag"}, &stdout, &stderr)
	require.Error(t, err)
	assert.Empty(t, stdout.String())
	assert.Contains(t, stderr.String(), "-addr")
}

func TestNormalizedContextPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"": "", "/": "", "bitbucket": "/bitbucket", "/bitbucket/": "/bitbucket"} {
		assert.Equal(t, want, normalizedContextPath(in), in)
	}
}
