package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func TestSecretDestCreatesTheFile0600AndRefusesAnExistingOne(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ci.token")
	d := &secretDest{path: path}
	require.NoError(t, d.open())
	require.NoError(t, d.write("BBDC-one"))
	require.NoError(t, d.commit())
	d.discard() // after commit: keeps the file

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "BBDC-one\n", string(got))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	again := &secretDest{path: path}
	err = again.open()
	code, err := exitCodeOf(err)
	assert.Equal(t, exitUsage, code)
	assert.EqualError(t, err, `--secret-to "`+path+`" already exists; use --force to replace it`)
	got, _ = os.ReadFile(path)
	assert.Equal(t, "BBDC-one\n", string(got), "the existing file is untouched")
}

func TestSecretDestForceReplacesOnlyAtCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ci.token")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o644))

	d := &secretDest{path: path, force: true}
	require.NoError(t, d.open())
	require.NoError(t, d.write("BBDC-new"))
	got, _ := os.ReadFile(path)
	assert.Equal(t, "old\n", string(got), "the old secret stays until the new one is committed")
	require.NoError(t, d.commit())

	got, _ = os.ReadFile(path)
	assert.Equal(t, "BBDC-new\n", string(got))
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}

func TestSecretDestDiscardRemovesWhatOpenClaimed(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "ci.token")
		if force {
			require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o600))
		}
		d := &secretDest{path: path, force: force}
		require.NoError(t, d.open())
		require.NoError(t, d.write("BBDC-lost"))
		d.discard()

		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		if force {
			require.Len(t, entries, 1)
			got, _ := os.ReadFile(path)
			assert.Equal(t, "old\n", string(got), "force: the old file is kept")
		} else {
			assert.Empty(t, entries, "no file holds a secret that was never committed")
		}
	}
}

func TestSecretDestStdoutPrintsOnlyAtCommit(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	d := &secretDest{path: "-", out: &out}
	require.NoError(t, d.open())
	require.NoError(t, d.write("BBDC-x"))
	assert.Empty(t, out.String())
	require.NoError(t, d.commit())
	assert.Equal(t, "BBDC-x\n", out.String())
	assert.Equal(t, "stdout", d.describe())
}

func TestSecretDestRefusesDirectoriesAndMissingParents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		path  string
		force bool
		want  string
	}{
		{dir, true, `--secret-to "` + dir + `" is a directory`},
		{filepath.Join(dir, "no", "x"), false, `--secret-to "` + filepath.Join(dir, "no", "x") + `": no such file or directory`},
		{filepath.Join(dir, "no", "x"), true, `--secret-to "` + filepath.Join(dir, "no", "x") + `": no such file or directory`},
		{"", false, "--secret-to is required: a file (created 0600) or - for stdout; a secret is never printed unless asked for"},
	} {
		err := (&secretDest{path: tc.path, force: tc.force}).open()
		code, err := exitCodeOf(err)
		assert.Equal(t, exitUsage, code, tc.path)
		assert.EqualError(t, err, tc.want)
	}
}

// TestSecretDestKeepsTheSecretOffItsPathUntilCommit: while the secret is
// only written (a CMD of rotate --exec runs then), the file at its final path
// holds no secret: nothing can read one that may still be revoked again.
func TestSecretDestKeepsTheSecretOffItsPathUntilCommit(t *testing.T) {
	t.Parallel()
	for _, force := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "ci.token")
		before := ""
		if force {
			before = "old\n"
			require.NoError(t, os.WriteFile(path, []byte(before), 0o600))
		}
		d := &secretDest{path: path, force: force}
		require.NoError(t, d.open())
		require.NoError(t, d.write("BBDC-new"))
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, before, string(got), "force=%v: nothing new at the final path before commit", force)
		info, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the claimed name is 0600 too")
		require.NotEmpty(t, d.tempName())
		assert.Equal(t, dir, filepath.Dir(d.tempName()), "the temporary file is beside the target: the rename stays on one file system")

		require.NoError(t, d.commit())
		got, err = os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "BBDC-new\n", string(got))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1, "no temporary file left")
	}
}

func TestSecretDestForceReplacesTheFileASymlinkPointsTo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "store", "ci.token")
	require.NoError(t, os.Mkdir(filepath.Dir(real), 0o700))
	require.NoError(t, os.WriteFile(real, []byte("old\n"), 0o600))
	link := filepath.Join(dir, "ci.token")
	require.NoError(t, os.Symlink(real, link))

	d := &secretDest{path: link, force: true}
	require.NoError(t, d.open())
	require.NoError(t, deliverToDest(d, newRawToken("BBDC-new")))
	info, err := os.Lstat(link)
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, info.Mode().Type(), "the link stays a link")
	got, err := os.ReadFile(real)
	require.NoError(t, err)
	assert.Equal(t, "BBDC-new\n", string(got), "the file it points to holds the new secret")

	dangling := filepath.Join(dir, "dangling")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nowhere"), dangling))
	code, err := exitCodeOf((&secretDest{path: dangling, force: true}).open())
	assert.Equal(t, exitUsage, code)
	assert.EqualError(t, err, `--secret-to "`+dangling+`" is a symbolic link to nothing: remove it, or name a file`)
}

func TestSecretDestDiscardAfterAFailedOpenLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := &secretDest{path: filepath.Join(dir, "ci.token")}
	require.NoError(t, d.open())
	d.keep() // a secret that could not be put in place stays in its temporary file
	d.discard()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "the kept temporary file, and no empty claim")
	assert.Contains(t, entries[0].Name(), ".ci.token.new-")
}

func newRawToken(secret string) *accesstokens.RawAccessToken {
	return &accesstokens.RawAccessToken{AccessToken: accesstokens.AccessToken{ID: "1"}, Token: accesstokens.NewSecret(secret)}
}
