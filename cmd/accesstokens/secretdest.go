package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// secretDest is where --secret-to sends a new token's secret: a regular file
// (mode 0600, never replacing one unless --force) or "-" for stdout. It works
// in three steps so that a secret is never readable at its final path before
// it is meant to be, and never lands half-way:
//
//   - open, before any request: checks the target (a device, FIFO or socket
//     is refused: a secret is never streamed into something that cannot take
//     it back), claims its name when it does not exist yet (an empty 0600
//     file), and creates a temporary 0600 file beside it, so a bad path is a
//     usage error before a token exists;
//   - write: puts the secret in the temporary file (or holds it for stdout);
//   - commit: renames the temporary file over the target, or prints to stdout.
//
// discard, on any failure before commit, removes what open created, so no
// file is left holding the secret of a token that was revoked again.
type secretDest struct {
	path  string // "-" for stdout
	force bool
	out   io.Writer // stdout

	target    string      // the file replaced at commit: path, or with --force the file a symlink points to
	claimed   os.FileInfo // the empty file open created at target to claim the name, if it did
	temp      *os.File    // the secret's file until commit, beside target
	secret    string      // held for stdout until commit
	committed bool
	kept      string // the temporary file keep left holding the secret
}

// describe says where the secret goes, for messages (never the secret).
func (d *secretDest) describe() string {
	if d.path == "-" {
		return "stdout"
	}
	return d.path
}

// tempName is the temporary file holding the written secret ("" for stdout).
func (d *secretDest) tempName() string {
	if d.temp == nil {
		return ""
	}
	return d.temp.Name()
}

// open checks and claims the destination; errors are usage errors naming --secret-to.
func (d *secretDest) open() error {
	if d.path == "" {
		return usageError("--secret-to is required: a file (created 0600) or - for stdout; a secret is never printed unless asked for")
	}
	if d.path == "-" {
		return nil
	}
	if err := d.checkTarget(); err != nil {
		return err
	}
	if d.target == "" {
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return usageError("--secret-to %q already exists; use --force to replace it", d.path)
		}
		if err != nil {
			return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
		}
		info, err := f.Stat()
		_ = f.Close()
		if err != nil {
			_ = os.Remove(d.path)
			return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
		}
		d.target, d.claimed = d.path, info
	}
	temp, err := os.CreateTemp(filepath.Dir(d.target), "."+filepath.Base(d.target)+".new-*")
	if err != nil {
		d.discard()
		return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
	}
	d.temp = temp
	return nil
}

// checkTarget refuses what a secret file must not replace and, with
// --force, sets target to the existing regular file (the file a symlink
// points to: the link stays).
func (d *secretDest) checkTarget() error {
	info, err := os.Stat(d.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if _, lerr := os.Lstat(d.path); lerr == nil {
			return usageError("--secret-to %q is a symbolic link to nothing: remove it, or name a file", d.path)
		}
		return nil
	case err != nil:
		return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
	case info.IsDir():
		return usageError("--secret-to %q is a directory", d.path)
	case !info.Mode().IsRegular():
		return usageError("--secret-to %q is not a regular file (%s): the secret goes to a file it can replace whole; for stdout write --secret-to -", d.path, fileKind(info.Mode()))
	case !d.force:
		return usageError("--secret-to %q already exists; use --force to replace it", d.path)
	}
	target, err := filepath.EvalSymlinks(d.path)
	if err != nil {
		return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
	}
	d.target = target
	return nil
}

// fileKind names a file type that is not a regular file or a directory.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a file"
}

// write puts the secret in the temporary file; for stdout it is held until commit.
func (d *secretDest) write(secret string) error {
	if d.temp == nil {
		d.secret = secret
		return nil
	}
	// From the start, so that writing again (salvaging a secret) never appends.
	if _, err := d.temp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if err := d.temp.Truncate(0); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if _, err := io.WriteString(d.temp, secret+"\n"); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if err := d.temp.Sync(); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	return nil
}

// commit makes the written secret visible at the destination.
func (d *secretDest) commit() error {
	if d.temp == nil {
		if _, err := fmt.Fprintln(d.out, d.secret); err != nil {
			return fmt.Errorf("writing the secret to stdout: %w", err)
		}
		d.secret = ""
		d.committed = true
		return nil
	}
	if err := d.temp.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if err := os.Rename(d.temp.Name(), d.target); err != nil {
		return fmt.Errorf("putting the secret in place at %s: %w", d.path, unwrapLinkError(err))
	}
	d.committed = true
	return nil
}

// discard removes what open created unless the secret was committed.
func (d *secretDest) discard() {
	d.secret = ""
	if d.committed {
		return
	}
	if d.temp != nil {
		_ = d.temp.Close()
		_ = os.Remove(d.temp.Name())
	}
	// The claim, only while it is still the empty file open made.
	if info, err := os.Lstat(d.target); err == nil && d.claimed != nil && os.SameFile(info, d.claimed) {
		_ = os.Remove(d.target)
	}
}

// keep leaves the temporary file, holding a secret that could not be put
// in place, for the user to move: discard no longer removes it.
func (d *secretDest) keep() {
	if d.temp != nil {
		_ = d.temp.Close()
		d.kept, d.temp = d.temp.Name(), nil
	}
}

// unwrapPathError keeps "permission denied" and drops the repeated path.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// unwrapLinkError keeps "device or resource busy" and drops rename's two paths.
func unwrapLinkError(err error) error {
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// addSecretFlags adds --secret-to and --force, shared by create and rotate.
func addSecretFlags(cmd *cobra.Command, to *string, force *bool) {
	cmd.Flags().StringVar(to, "secret-to", "", "write the new secret to `DEST`: a file (created 0600) or - for stdout")
	cmd.Flags().BoolVar(force, "force", false, "replace an existing --secret-to file")
}

// deliverToDest writes and commits a new token's secret.
func deliverToDest(dest *secretDest, tok *accesstokens.RawAccessToken) error {
	if err := dest.write(tok.Token.Reveal()); err != nil {
		return err
	}
	return dest.commit()
}
