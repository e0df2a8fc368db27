// accesstokens get SCOPE ID: one token, with its findings.

package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// GetOptions are get's flags and dependencies.
type GetOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope  accesstokens.Scope
	ID     string
	Now    time.Time // --now; zero: the server's clock
	Format string
}

// NewCmdGet wires `accesstokens get SCOPE ID`. runF, when set, replaces
// runGet (tests of the flags, without a server).
func NewCmdGet(f *Factory, runF func(context.Context, *GetOptions) error) *cobra.Command {
	opts := &GetOptions{IO: f.IO, Connect: f.Connect}
	var clock clockFlag
	cmd := &cobra.Command{
		Use:   "get SCOPE ID",
		Short: "Show one token",
		Long: `Show one token of a scope with its findings under the default rules (see
'accesstokens audit --help'). -o json and jsonl print one TOKEN object.

` + clockHelp,
		Example: `  accesstokens get project:PRJ 075905477751
  accesstokens get user:alice 075905477751 -o json`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(2, 2, "SCOPE and ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, opts.ID, err = parseScopeAndID(args); err != nil {
				return err
			}
			if opts.Now, err = clock.parse(); err != nil {
				return err
			}
			if err := checkFormat(opts.Format); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGet(cmd.Context(), opts)
		},
	}
	clock.register(cmd)
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runGet(ctx context.Context, opts *GetOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	_, serverNow, err := readServer(ctx, conn)
	if err != nil {
		return err
	}
	now := judgedAt(opts.Now, serverNow)
	tok, err := conn.Client.Tokens.Get(ctx, opts.Scope, opts.ID)
	var inv *accesstokens.InvalidTokenError
	switch {
	case errors.As(err, &inv):
		// Shown as far as it was read, flagged bad-date; the run still
		// fails: the token asked for could not be read in full.
		if perr := printToken(opts, classifyInvalid(opts.Scope, inv, now)); perr != nil {
			return perr
		}
		return fmt.Errorf("reading token %s of %s: %w", opts.ID, opts.Scope, err)
	case err != nil:
		return fmt.Errorf("reading token %s of %s: %w", opts.ID, opts.Scope, err)
	}
	return printToken(opts, classify(opts.Scope, *tok, now))
}

// printToken writes get's one token in its format.
func printToken(opts *GetOptions, t audit.Token) error {
	out := writerPrinter{newTokenWriter(opts.Format, opts.IO, true)}
	if err := out.Print(t); err != nil {
		return err
	}
	return out.Flush()
}
