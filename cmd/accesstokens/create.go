package main

// accesstokens create SCOPE: a new token, its secret only to --secret-to.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// CreateOptions are create's flags and dependencies.
type CreateOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope       accesstokens.Scope
	Name        string
	Permissions []accesstokens.Permission
	ExpiryDays  int
	SecretTo    string
	Force       bool
	Format      string
}

// NewCmdCreate wires `accesstokens create SCOPE --name N --perm P --secret-to DEST`.
func NewCmdCreate(f *Factory, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{IO: f.IO, Connect: f.Connect}
	var perms []string
	cmd := &cobra.Command{
		Use:   "create SCOPE --name N --perm P [--perm P2] [--expiry-days D] --secret-to DEST",
		Short: "Create a token; its secret goes only to --secret-to",
		Long: `Create a token. The server shows its secret once: it goes only to --secret-to, a
file created with mode 0600 (an existing file is an error unless --force; a device
or named pipe is refused) or - for stdout. The new token is printed on stdout as -o
says (-o json: {"token": TOKEN}, never the secret); with --secret-to - stdout holds
the secret alone, and a line on stderr names the new token.

Permissions: PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE,
REPO_ADMIN (case-insensitive; at most one of each family; repository tokens take
REPO_* only).`,
		Example: `  accesstokens create project:PRJ --name ci --perm project_read --perm repo_write --expiry-days 90 --secret-to ci.token
  accesstokens create user:alice --name laptop --perm repo_read --secret-to - | pass insert -m bitbucket/laptop`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(1, 1, "one SCOPE (user:SLUG, project:KEY or repo:KEY/SLUG)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, err = parseScopeArg("SCOPE", args[0]); err != nil {
				return err
			}
			if strings.TrimSpace(opts.Name) == "" {
				return usageError("--name is required")
			}
			if len(perms) == 0 {
				return usageError("--perm is required (e.g. --perm repo_read)")
			}
			if opts.Permissions, err = parsePermissions(perms); err != nil {
				return err
			}
			if err := checkExpiryDays(opts.ExpiryDays); err != nil {
				return err
			}
			if opts.SecretTo == "" {
				return usageError("--secret-to is required: a file (created 0600) or - for stdout; a secret is never printed unless asked for")
			}
			if err := checkResultFormat(opts.Format, opts.SecretTo); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCreate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "token `NAME`")
	fl.StringArrayVar(&perms, "perm", nil, "`PERMISSION` (repeat, or comma-separate)")
	fl.IntVar(&opts.ExpiryDays, "expiry-days", 0, "expire after `DAYS` days, at most "+expiryDaysMost+" (0: never, unless the server's policy requires it)")
	addSecretFlags(cmd, &opts.SecretTo, &opts.Force)
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runCreate(ctx context.Context, opts *CreateOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	dest := &secretDest{path: opts.SecretTo, force: opts.Force, out: opts.IO.Out}
	if err := dest.open(); err != nil {
		return err
	}
	defer dest.discard()

	in := trapInterrupts(ctx, opts.IO.ErrOut, "finishing the create in flight")
	defer in.release()
	tok, err := conn.Client.Tokens.Create(in.Ctx, opts.Scope, accesstokens.CreateTokenRequest{
		Name: opts.Name, Permissions: opts.Permissions, ExpiryDays: opts.ExpiryDays,
	})
	if errors.Is(err, accesstokens.ErrOutcomeUnknown) {
		return fmt.Errorf("creating %q in %s: %w; the server may have created it: look with 'accesstokens list %s'",
			opts.Name, opts.Scope, err, opts.Scope)
	}
	if err != nil {
		return fmt.Errorf("creating %q in %s: %w", opts.Name, opts.Scope, err)
	}
	if err := deliverToDest(dest, tok); err != nil {
		// The secret cannot reach its destination: revoke the token rather than leave one nobody holds.
		if rerr := conn.Client.Tokens.Delete(context.WithoutCancel(ctx), opts.Scope, tok.ID); rerr != nil {
			return fmt.Errorf("%w; token %s exists in %s without a usable secret and could not be revoked (%v): revoke it with 'accesstokens revoke %s %s'",
				err, tok.ID, opts.Scope, rerr, opts.Scope, tok.ID)
		}
		return fmt.Errorf("%w; token %s was revoked again, nothing was created", err, tok.ID)
	}
	if dest.path == "-" {
		fmt.Fprintf(opts.IO.ErrOut, "Created token %s %s in %s; its secret went to stdout.\n", tok.ID, quoted(tok.Name), opts.Scope)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "Created token %s %s in %s; its secret is in %s (mode 0600).\n", tok.ID, quoted(tok.Name), opts.Scope, dest.path)
	return printResult(opts.IO.Out, opts.Format, tokenResult{Token: classify(opts.Scope, tok.AccessToken, conn.Now())})
}
