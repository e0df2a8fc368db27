//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecretDestNeverReplacesADeviceOrFIFO: /dev/stdout, a terminal or a
// named pipe is refused with or without --force, and left as it was (it used
// to say "already exists", and with --force became a regular file).
func TestSecretDestNeverReplacesADeviceOrFIFO(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "pipe")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, tc := range []struct {
		path, kind string
	}{
		{fifo, "a named pipe"},
		{os.DevNull, "a character device"},
	} {
		for _, force := range []bool{false, true} {
			code, err := exitCodeOf((&secretDest{path: tc.path, force: force}).open())
			assert.Equal(t, exitUsage, code, tc.path)
			assert.EqualError(t, err, `--secret-to "`+tc.path+`" is not a regular file (`+tc.kind+`): the secret goes to a file it can replace whole; for stdout write --secret-to -`)
		}
	}
	info, err := os.Lstat(fifo)
	require.NoError(t, err)
	assert.Equal(t, os.ModeNamedPipe, info.Mode().Type(), "still a named pipe")
	entries, err := os.ReadDir(filepath.Dir(fifo))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left beside it")
}
