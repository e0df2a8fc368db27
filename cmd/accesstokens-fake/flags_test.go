// Tests of flags.go: parsing and checking the flags.

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

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

func TestHelpExitsZeroWithTheUsage(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "-help", "--help"} {
		var stdout, stderr strings.Builder
		require.NoError(t, run([]string{arg}, &stdout, &stderr), arg)
		assert.Contains(t, stdout.String(), "Usage: accesstokens-fake", arg)
		for _, flag := range []string{"-world", "-rate-limit", "-clock", "-control", "-read-timeout"} {
			assert.Contains(t, stdout.String(), flag, arg)
		}
		assert.Empty(t, stderr.String(), arg)
	}
}

func TestNewFlagsRejectBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-world", "big"}, "-world"},
		{[]string{"-world", "1x2x3"}, "-world"},
		{[]string{"-world", "1x2x-3x4"}, "-world"},
		{[]string{"-world", "demo", "-empty"}, "-empty"},
		{[]string{"-rate-limit", "60"}, "-rate-limit"},
		{[]string{"-rate-limit", "0:5"}, "-rate-limit"},
		{[]string{"-clock", "yesterday"}, "-clock"},
		{[]string{"-history", "0"}, "-history"},
		{[]string{"-nodes", "0"}, "-nodes"},
		{[]string{"-server-version", "9"}, "-server-version"},
		{[]string{"-server-version", "v9.4.0"}, "-server-version"},
		{[]string{"-read-timeout", "0s"}, "-read-timeout"},
		{[]string{"-idle-timeout", "-1s"}, "-idle-timeout"},
		{[]string{"extra"}, "extra"},
	}
	for _, tt := range tests {
		var stdout, stderr lockedBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := serve(ctx, append([]string{"-addr", "127.0.0.1:0", "-quiet"}, tt.args...), &stdout, &stderr)
		cancel()
		require.Error(t, err, "%v", tt.args)
		assert.Contains(t, err.Error(), tt.want, "%v", tt.args)
		assert.Empty(t, stdout.String(), "%v: no URL is printed", tt.args)
	}
}

// TestHistoryDefaultIsThePackageDefault: -history keeps as many requests as the package does by
// default (10,000), as the README says; it used to keep 1,000.
func TestHistoryDefaultIsThePackageDefault(t *testing.T) {
	t.Parallel()
	s, err := parseFlags(nil, io.Discard, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.DefaultRequestHistory, s.history)
	assert.Equal(t, 10_000, s.history)
}
