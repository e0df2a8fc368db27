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

// secretDest is where --secret-to sends a new token's secret: a file (mode
// 0600, never overwriting one unless --force) or "-" for stdout. It works in
// three steps so that a secret never lands half-way:
//
//   - open, before any request: claims the file (O_EXCL) or, with --force, a
//     temporary file beside it, so a bad path is a usage error before a token
//     exists;
//   - write: puts the secret in the claimed file (or holds it for stdout);
//   - commit: renames the temporary file over the target, or prints to stdout.
//
// discard, on any failure before commit, removes what open claimed, so no
// file is left holding the secret of a token that was revoked again.
type secretDest struct {
	path  string // "-" for stdout
	force bool
	out   io.Writer // stdout

	file      *os.File // the claimed file (target, or temporary with force)
	secret    string   // held for stdout until commit
	committed bool
}

// describe says where the secret went, for messages (never the secret).
func (d *secretDest) describe() string {
	if d.path == "-" {
		return "stdout"
	}
	return d.path
}

// open claims the destination; errors are usage errors naming --secret-to.
func (d *secretDest) open() error {
	if d.path == "" {
		return usageError("--secret-to is required: a file (created 0600) or - for stdout; a secret is never printed unless asked for")
	}
	if d.path == "-" {
		return nil
	}
	if d.force {
		if info, err := os.Stat(d.path); err == nil && info.IsDir() {
			return usageError("--secret-to %q is a directory", d.path)
		}
		f, err := os.CreateTemp(filepath.Dir(d.path), "."+filepath.Base(d.path)+".new-*")
		if err != nil {
			return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
		}
		d.file = f
		return nil
	}
	f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return usageError("--secret-to %q already exists; use --force to replace it", d.path)
	}
	if err != nil {
		return usageError("--secret-to %q: %v", d.path, unwrapPathError(err))
	}
	d.file = f
	return nil
}

// write puts the secret in the claimed file; for stdout it is held until commit.
func (d *secretDest) write(secret string) error {
	if d.file == nil {
		d.secret = secret
		return nil
	}
	// From the start, so that writing again (salvaging a secret) never appends.
	if _, err := d.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if err := d.file.Truncate(0); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if _, err := io.WriteString(d.file, secret+"\n"); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if err := d.file.Sync(); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	return nil
}

// commit makes the written secret visible at the destination.
func (d *secretDest) commit() error {
	if d.file == nil {
		if _, err := fmt.Fprintln(d.out, d.secret); err != nil {
			return fmt.Errorf("writing the secret to stdout: %w", err)
		}
		d.secret = ""
		d.committed = true
		return nil
	}
	if err := d.file.Close(); err != nil {
		return fmt.Errorf("writing the secret to %s: %w", d.path, unwrapPathError(err))
	}
	if d.force {
		if err := os.Rename(d.file.Name(), d.path); err != nil {
			return fmt.Errorf("replacing %s: %w", d.path, unwrapPathError(err))
		}
	}
	d.committed = true
	return nil
}

// discard removes what open claimed unless the secret was committed.
func (d *secretDest) discard() {
	d.secret = ""
	if d.committed || d.file == nil {
		return
	}
	_ = d.file.Close()
	_ = os.Remove(d.file.Name())
}

// unwrapPathError keeps "permission denied" and drops the repeated path.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
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
