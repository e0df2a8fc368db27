package main

// accesstokens rotate SCOPE ID: the SDK's Rotate, with the new secret to
// --secret-to and, with --exec, to CMD first.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// RotateOptions are rotate's flags and dependencies.
type RotateOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope      accesstokens.Scope
	ID         string
	ExpiryDays int
	KeepOld    bool
	SecretTo   string // a file, or "-" for stdout
	Force      bool
	Exec       string
	Format     string
	// Environ is the environment --exec runs in (the process's, in main).
	Environ []string
}

// NewCmdRotate wires `accesstokens rotate SCOPE ID --secret-to DEST [--exec CMD]`.
func NewCmdRotate(f *Factory, runF func(context.Context, *RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IO, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "rotate SCOPE ID [--expiry-days D] [--keep-old] --secret-to DEST [--exec CMD] [-o FORMAT]",
		Short: "Replace a token with a new one like it, without downtime",
		Long: `Create a token like the old one (name, permissions, lifetime), hand its secret
over, then revoke the old one. The new secret goes to --secret-to (required: a file
created 0600, never overwritten without --force, or - for stdout) and, with --exec
CMD, also to CMD, run by the shell with the secret on its stdin and
ACCESSTOKENS_TOKEN_ID, ACCESSTOKENS_SCOPE in its environment (without
BITBUCKET_PASSWORD and BITBUCKET_TOKEN: CMD never sees the credentials
rotate itself uses). The new token is printed on stdout as -o says (-o json:
{"token": TOKEN, "old": {"id", "revoked"}}, never the secret).

With --exec, the steps are:
  1. the new secret is written to a temporary 0600 file beside --secret-to
     (not readable at its final path yet);
  2. CMD runs, in a process group of its own; its stdout goes to stdout (to
     stderr when stdout carries the secret or -o json). If CMD fails, the new
     token is revoked, the old one kept and no file left behind;
  3. the file is renamed into place (or the secret printed, for -). If that
     fails, CMD already holds the new secret: both tokens are kept, and rotate
     says where each secret is;
  4. the old token is revoked (unless --keep-old).
When CMD ends, whatever it left running in its process group is killed.

--keep-old leaves the old token for an overlap window: revoke it later with
'accesstokens revoke SCOPE ID'.

Whatever fails, rotate says which token ids exist and where the new secret went.
Ctrl-C lets the rotation in flight finish, CMD included (a second Ctrl-C
abandons it: CMD and everything it started are killed, the new token revoked).`,
		Example: `  accesstokens rotate project:PRJ 075905477751 --secret-to ci.token --force
  accesstokens rotate repo:PRJ/app 075905477751 --secret-to app.token --exec 'vault kv put secret/ci token=-'
  accesstokens rotate user:alice 075905477751 --keep-old --expiry-days 30 --secret-to - 
  accesstokens rotate project:PRJ 075905477751 --secret-to ci.token --force -o json | jq -r .token.id`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(2, 2, "SCOPE and ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, opts.ID, err = parseScopeAndID(args); err != nil {
				return err
			}
			if err := checkExpiryDays(opts.ExpiryDays); err != nil {
				return err
			}
			if cmd.Flags().Changed("exec") && strings.TrimSpace(opts.Exec) == "" {
				return usageError("--exec: must not be empty")
			}
			if opts.SecretTo == "" {
				return usageError("--secret-to is required: a file (created 0600) or - for stdout; --exec CMD gets the secret as well")
			}
			if err := checkResultFormat(opts.Format, opts.SecretTo); err != nil {
				return err
			}
			opts.Environ = os.Environ()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRotate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.ExpiryDays, "expiry-days", 0, "the new token expires after `DAYS` days, at most "+expiryDaysMost+" (0: as long as the old one lived)")
	fl.BoolVar(&opts.KeepOld, "keep-old", false, "do not revoke the old token (an overlap window; revoke it later)")
	addSecretFlags(cmd, &opts.SecretTo, &opts.Force)
	fl.StringVar(&opts.Exec, "exec", "", "run `CMD` (with sh -c) with the new secret on its stdin; if it fails, the new token is revoked")
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runRotate(ctx context.Context, opts *RotateOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	dest := &secretDest{path: opts.SecretTo, force: opts.Force, out: opts.IO.Out}
	if err := dest.open(); err != nil {
		return err
	}
	defer dest.discard()

	in := trapInterrupts(ctx, opts.IO.ErrOut, "finishing the rotation in flight")
	defer in.release()
	// The first Ctrl-C lets the rotation finish: Rotate gets in.Ctx, which only the second one cancels.
	// h.stopBeforeRevoke ends it before the old token is revoked, when only CMD got the new secret.
	rotCtx, stopBeforeRevoke := context.WithCancelCause(in.Ctx)
	defer stopBeforeRevoke(nil)
	h := &handOver{opts: opts, dest: dest, stopBeforeRevoke: stopBeforeRevoke}
	rot, err := accesstokens.Rotate(rotCtx, conn.Client.Tokens, opts.Scope, opts.ID, accesstokens.RotateOptions{
		ExpiryDays: opts.ExpiryDays,
		KeepOld:    opts.KeepOld,
		Deliver:    h.deliver,
	})
	return reportRotation(opts, conn, h, rot, err)
}

// handOver gives the new secret to --secret-to and --exec, in the order
// rotate's help documents.
type handOver struct {
	opts             *RotateOptions
	dest             *secretDest
	stopBeforeRevoke context.CancelCauseFunc

	done bool // the secret reached every destination
	// notInPlace: CMD holds the new secret, but it could not be put at
	// --secret-to; both tokens are kept.
	notInPlace error
}

// deliver is Rotate's Deliver: an error revokes the new token and keeps the old one.
func (h *handOver) deliver(ctx context.Context, tok *accesstokens.RawAccessToken) error {
	if err := h.dest.write(tok.Token.Reveal()); err != nil {
		return err
	}
	if h.opts.Exec != "" {
		if err := runChild(ctx, h.execSpec(tok)); err != nil {
			return fmt.Errorf("--exec %q: %w", h.opts.Exec, err)
		}
	}
	if err := h.dest.commit(); err != nil {
		if h.opts.Exec == "" {
			return err
		}
		// CMD's store holds the new secret: revoking it now would leave a
		// revoked secret there. Keep both tokens, and the file, and say so.
		h.notInPlace = err
		h.dest.keep()
		h.stopBeforeRevoke(err)
		return nil
	}
	h.done = true
	return nil
}

// execSpec is --exec CMD run by the shell, the secret on its stdin.
func (h *handOver) execSpec(tok *accesstokens.RawAccessToken) childSpec {
	shell, flag := "sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/C"
	}
	return childSpec{
		argv:   []string{shell, flag, h.opts.Exec},
		env:    append(withoutCredentials(h.opts.Environ), "ACCESSTOKENS_TOKEN_ID="+tok.ID, "ACCESSTOKENS_SCOPE="+h.opts.Scope.String()),
		stdin:  strings.NewReader(tok.Token.Reveal() + "\n"),
		stdout: h.execStdout(),
		stderr: h.opts.IO.ErrOut,
	}
}

// execStdout is where CMD's stdout goes: the command's stdout, unless that
// carries the secret alone (--secret-to -) or one JSON document (-o json).
func (h *handOver) execStdout() io.Writer {
	if h.opts.SecretTo == "-" || h.opts.Format == "json" {
		return h.opts.IO.ErrOut
	}
	return h.opts.IO.Out
}

// credentialVars are the variables that hold this command's own credentials:
// CMD gets the new secret, never the admin's password or token.
var credentialVars = []string{"BITBUCKET_PASSWORD", "BITBUCKET_TOKEN"}

// withoutCredentials copies environ, leaving out credentialVars.
func withoutCredentials(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(credentialVars, name) {
			out = append(out, kv)
		}
	}
	return out
}

// reportRotation says what exists after Rotate, whatever happened: which
// token ids are live and where the new secret went, on stderr; the new
// token on stdout. The SDK's RotateError already names the step that
// failed and the ids that exist.
func reportRotation(opts *RotateOptions, conn *Connection, h *handOver, rot *accesstokens.Rotation, err error) error {
	if rot == nil || rot.New == nil {
		if err == nil {
			err = errors.New("no new token was made")
		}
		return err
	}
	if h.notInPlace != nil {
		err = reportNotInPlace(opts, h, rot)
	} else {
		reportNewToken(opts, h, rot)
		reportOldToken(opts, rot, err)
	}
	res := tokenResult{Token: classify(opts.Scope, rot.New.AccessToken, conn.Now()), Old: &oldTokenState{ID: rot.Old.ID, Revoked: rot.OldRevoked}}
	if opts.SecretTo != "-" {
		if perr := printResult(opts.IO.Out, opts.Format, res); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// reportNewToken says where the new secret went.
func reportNewToken(opts *RotateOptions, h *handOver, rot *accesstokens.Rotation) {
	w, dest, name := opts.IO.ErrOut, h.dest, quoted(rot.New.Name)
	switch {
	case h.done:
		fmt.Fprintf(w, "New token %s %s in %s; its secret went to %s.\n", rot.New.ID, name, opts.Scope, secretWhere(opts, dest))
	case deliverToDest(dest, rot.New) == nil:
		// The hand-over failed and the new token could not be revoked: its secret goes where it was asked to.
		fmt.Fprintf(w, "New token %s %s exists in %s; its secret is in %s (the hand-over failed): use it, or revoke it with 'accesstokens revoke %s %s'.\n",
			rot.New.ID, name, opts.Scope, dest.describe(), opts.Scope, rot.New.ID)
	default:
		fmt.Fprintf(w, "New token %s %s exists in %s, but its secret could not be saved: revoke it with 'accesstokens revoke %s %s'.\n",
			rot.New.ID, name, opts.Scope, opts.Scope, rot.New.ID)
	}
}

// reportOldToken says what became of the old token.
func reportOldToken(opts *RotateOptions, rot *accesstokens.Rotation, err error) {
	switch {
	case rot.OldRevoked:
		fmt.Fprintf(opts.IO.ErrOut, "Old token %s revoked.\n", rot.Old.ID)
	case err == nil:
		fmt.Fprintf(opts.IO.ErrOut, "Old token %s kept (--keep-old); revoke it after the overlap with 'accesstokens revoke %s %s'.\n",
			rot.Old.ID, opts.Scope, rot.Old.ID)
	}
}

// reportNotInPlace says where each secret is when CMD got the new one and
// --secret-to did not: both tokens were kept.
func reportNotInPlace(opts *RotateOptions, h *handOver, rot *accesstokens.Rotation) error {
	w, revokeOld := opts.IO.ErrOut, fmt.Sprintf("'accesstokens revoke %s %s'", opts.Scope, rot.Old.ID)
	if h.dest.kept == "" { // stdout
		fmt.Fprintf(w, "New token %s %s exists in %s; --exec stored its secret, but printing it to stdout failed.\n", rot.New.ID, quoted(rot.New.Name), opts.Scope)
		fmt.Fprintf(w, "Old token %s kept: once the new token is in use, revoke the old one with %s.\n", rot.Old.ID, revokeOld)
	} else {
		fmt.Fprintf(w, "New token %s %s exists in %s; --exec stored its secret; it is also in %s (mode 0600).\n", rot.New.ID, quoted(rot.New.Name), opts.Scope, h.dest.kept)
		fmt.Fprintf(w, "Old token %s kept: %s still holds its secret. Put the new secret there, then revoke the old token with %s.\n",
			rot.Old.ID, h.dest.describe(), revokeOld)
	}
	return fmt.Errorf("rotating token %s of %s: --exec got the new secret, but %w; tokens that exist: %s (old), %s (new)",
		rot.Old.ID, opts.Scope, h.notInPlace, rot.Old.ID, rot.New.ID)
}

func secretWhere(opts *RotateOptions, dest *secretDest) string {
	if opts.Exec != "" {
		return dest.describe() + " and to --exec"
	}
	return dest.describe()
}
