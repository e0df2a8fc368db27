package main

// accesstokens update SCOPE ID: rename a token or change its permissions.

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// UpdateOptions are update's flags and dependencies.
type UpdateOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope       accesstokens.Scope
	ID          string
	Name        *string
	Permissions []accesstokens.Permission // nil: unchanged
	Format      string
}

// NewCmdUpdate wires `accesstokens update SCOPE ID [--name N] [--perm P ...]`.
func NewCmdUpdate(f *Factory, runF func(context.Context, *UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{IO: f.IO, Connect: f.Connect}
	var (
		name  string
		perms []string
	)
	cmd := &cobra.Command{
		Use:   "update SCOPE ID [--name N] [--perm P ...]",
		Short: "Rename a token or change its permissions",
		Long: `Rename a token or replace its permissions (--perm, repeated, gives the whole new
set). A token's expiry can never change: rotate it instead.`,
		Example: `  accesstokens update project:PRJ 075905477751 --name ci-main
  accesstokens update repo:PRJ/my-repo 075905477751 --perm repo_read`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(2, 2, "SCOPE and ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, opts.ID, err = parseScopeAndID(args); err != nil {
				return err
			}
			nameSet, permSet := cmd.Flags().Changed("name"), cmd.Flags().Changed("perm")
			if !nameSet && !permSet {
				return usageError("nothing to change: give --name and/or --perm")
			}
			if nameSet {
				if strings.TrimSpace(name) == "" {
					return usageError("--name: must not be empty")
				}
				opts.Name = &name
			}
			if permSet {
				if opts.Permissions, err = parsePermissions(perms); err != nil {
					return err
				}
				if len(opts.Permissions) == 0 {
					return usageError("--perm: must not be empty")
				}
			}
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runUpdate(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new `NAME`")
	cmd.Flags().StringArrayVar(&perms, "perm", nil, "new `PERMISSION` set (repeat, or comma-separate)")
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runUpdate(ctx context.Context, opts *UpdateOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	tok, err := conn.Client.Tokens.Update(ctx, opts.Scope, opts.ID, accesstokens.UpdateTokenRequest{
		Name: opts.Name, Permissions: opts.Permissions,
	})
	if err != nil {
		return fmt.Errorf("updating token %s of %s: %w", opts.ID, opts.Scope, err)
	}
	out := newTokenPrinter(opts.Format, opts.IO.Out, true)
	if err := out.Print(classify(opts.Scope, *tok, conn.Now())); err != nil {
		return err
	}
	return out.Flush()
}
