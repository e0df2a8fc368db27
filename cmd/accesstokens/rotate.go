package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
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
	// Environ is the environment --exec runs in (the process's, in main).
	Environ []string
}

// NewCmdRotate wires `accesstokens rotate SCOPE ID --secret-to DEST [--exec CMD]`.
func NewCmdRotate(f *Factory, runF func(context.Context, *RotateOptions) error) *cobra.Command {
	opts := &RotateOptions{IO: f.IO, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "rotate SCOPE ID [--expiry-days D] [--keep-old] --secret-to DEST [--exec CMD]",
		Short: "Replace a token with a new one like it, without downtime",
		Long: `Create a token like the old one (name, permissions, lifetime), hand its secret
over, then revoke the old one. The new secret goes to --secret-to (required: a file
created 0600, never overwritten without --force, or - for stdout) and, with --exec
CMD, also to CMD, run by the shell with the secret on its stdin and
ACCESSTOKENS_TOKEN_ID, ACCESSTOKENS_SCOPE in its environment (without
BITBUCKET_PASSWORD and BITBUCKET_TOKEN: CMD never sees the credentials
rotate itself uses). If CMD fails, the new
token is revoked, the old one kept and no file left behind.

--keep-old leaves the old token for an overlap window: revoke it later with
'accesstokens revoke SCOPE ID'.

Whatever fails, rotate says which token ids exist and where the new secret went.
Ctrl-C lets the rotation in flight finish (a second Ctrl-C abandons it, undoing
what it can).`,
		Example: `  accesstokens rotate project:PRJ 075905477751 --secret-to ci.token --force
  accesstokens rotate repo:PRJ/app 075905477751 --secret-to app.token --exec 'vault kv put secret/ci token=-'
  accesstokens rotate user:alice 075905477751 --keep-old --expiry-days 30 --secret-to -`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(2, 2, "SCOPE and ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, opts.ID, err = parseScopeAndID(args); err != nil {
				return err
			}
			if opts.ExpiryDays < 0 {
				return usageError("--expiry-days: must not be negative, got %d", opts.ExpiryDays)
			}
			if cmd.Flags().Changed("exec") && opts.Exec == "" {
				return usageError("--exec: must not be empty")
			}
			if opts.SecretTo == "" {
				return usageError("--secret-to is required: a file (created 0600) or - for stdout; --exec CMD gets the secret as well")
			}
			opts.Environ = os.Environ()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRotate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.ExpiryDays, "expiry-days", 0, "the new token expires after `DAYS` days (0: as long as the old one lived)")
	fl.BoolVar(&opts.KeepOld, "keep-old", false, "do not revoke the old token (an overlap window; revoke it later)")
	addSecretFlags(cmd, &opts.SecretTo, &opts.Force)
	fl.StringVar(&opts.Exec, "exec", "", "run `CMD` (with sh -c) with the new secret on its stdin; if it fails, the new token is revoked")
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
	handedOver := false
	// The first Ctrl-C lets the rotation finish: Rotate gets in.Ctx, which only the second one cancels.
	rot, err := accesstokens.Rotate(in.Ctx, conn.Client.Tokens, opts.Scope, opts.ID, accesstokens.RotateOptions{
		ExpiryDays: opts.ExpiryDays,
		KeepOld:    opts.KeepOld,
		Deliver: func(ctx context.Context, tok *accesstokens.RawAccessToken) error {
			if err := deliver(ctx, opts, dest, tok); err != nil {
				return err
			}
			handedOver = true
			return nil
		},
	})
	return reportRotation(opts, dest, handedOver, rot, err)
}

// deliver hands the new secret over: written (not yet visible) to --secret-to,
// then given to --exec, then made visible. Any failure makes Rotate revoke the
// new token and keep the old one.
func deliver(ctx context.Context, opts *RotateOptions, dest *secretDest, tok *accesstokens.RawAccessToken) error {
	if err := dest.write(tok.Token.Reveal()); err != nil {
		return err
	}
	if opts.Exec != "" {
		if err := runExec(ctx, opts, tok); err != nil {
			return err
		}
	}
	return dest.commit()
}

// runExec runs --exec CMD through the shell, the secret on its stdin. Its
// output goes to stderr, so that stdout stays for the command's own report.
func runExec(ctx context.Context, opts *RotateOptions, tok *accesstokens.RawAccessToken) error {
	shell, flag := "sh", "-c"
	if runtime.GOOS == "windows" {
		shell, flag = "cmd", "/C"
	}
	cmd := exec.CommandContext(ctx, shell, flag, opts.Exec)
	cmd.Stdin = bytes.NewBufferString(tok.Token.Reveal() + "\n")
	cmd.Stdout = opts.IO.ErrOut
	cmd.Stderr = opts.IO.ErrOut
	cmd.Env = append(withoutCredentials(opts.Environ),
		"ACCESSTOKENS_TOKEN_ID="+tok.ID, "ACCESSTOKENS_SCOPE="+opts.Scope.String())
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("--exec %q: %w", opts.Exec, err)
	}
	return nil
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
// token ids are live and where the new secret went. The SDK's RotateError
// already names the step that failed and the ids that exist.
func reportRotation(opts *RotateOptions, dest *secretDest, handedOver bool, rot *accesstokens.Rotation, err error) error {
	w := opts.IO.ErrOut
	if rot == nil || rot.New == nil {
		if err == nil {
			err = errors.New("no new token was made")
		}
		return err
	}
	switch {
	case handedOver:
		fmt.Fprintf(w, "New token %s \"%s\" in %s; its secret went to %s.\n", rot.New.ID, textsafe.Terminal(rot.New.Name), opts.Scope, secretWhere(opts, dest))
	case deliverToDest(dest, rot.New) == nil:
		// The hand-over failed and the new token could not be revoked: its secret goes where it was asked to.
		fmt.Fprintf(w, "New token %s \"%s\" exists in %s; its secret is in %s (the hand-over failed): use it, or revoke it with 'accesstokens revoke %s %s'.\n",
			rot.New.ID, textsafe.Terminal(rot.New.Name), opts.Scope, dest.describe(), opts.Scope, rot.New.ID)
	default:
		fmt.Fprintf(w, "New token %s \"%s\" exists in %s, but its secret could not be saved: revoke it with 'accesstokens revoke %s %s'.\n",
			rot.New.ID, textsafe.Terminal(rot.New.Name), opts.Scope, opts.Scope, rot.New.ID)
	}
	switch {
	case rot.OldRevoked:
		fmt.Fprintf(w, "Old token %s revoked.\n", rot.Old.ID)
	case err == nil:
		fmt.Fprintf(w, "Old token %s kept (--keep-old); revoke it after the overlap with 'accesstokens revoke %s %s'.\n",
			rot.Old.ID, opts.Scope, rot.Old.ID)
	}
	return err
}

func secretWhere(opts *RotateOptions, dest *secretDest) string {
	if opts.Exec != "" {
		return dest.describe() + " and to --exec"
	}
	return dest.describe()
}
