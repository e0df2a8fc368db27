package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// ListOptions are list's flags and dependencies.
type ListOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope  accesstokens.Scope
	Format string
}

// NewCmdList wires `accesstokens list SCOPE`. runF, when set, replaces runList (tests).
func NewCmdList(f *Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Connect: f.Connect}
	cmd := &cobra.Command{
		Use:   "list SCOPE",
		Short: "List every token of a user, project or repository",
		Long: `List every token of one scope, all pages, with its findings under the default
rules (see 'accesstokens audit --help'). -o json prints an array of TOKEN objects,
-o jsonl one TOKEN per line, -o csv the audit's columns.`,
		Example: `  accesstokens list project:PRJ
  accesstokens list user:alice -o json
  accesstokens list repo:PRJ/my-repo -o csv > tokens.csv`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(1, 1, "one SCOPE (user:SLUG, project:KEY or repo:KEY/SLUG)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, err = parseScopeArg("SCOPE", args[0]); err != nil {
				return err
			}
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), opts)
		},
	}
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runList(ctx context.Context, opts *ListOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	now := conn.Now()
	out := writerPrinter{newTokenWriter(opts.Format, opts.IO, false)}
	for tok, err := range conn.Client.Tokens.All(ctx, opts.Scope, &accesstokens.ListOptions{Limit: 1000}) {
		if err != nil {
			return fmt.Errorf("listing the tokens of %s: %w", opts.Scope, err)
		}
		if err := out.Print(classify(opts.Scope, tok, now)); err != nil {
			return err
		}
	}
	return out.Flush()
}
