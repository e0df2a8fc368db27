// accesstokens list SCOPE: every token of one scope, filtered with --where,
// in any of the token formats; Ctrl-C writes what was read.

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

// ListOptions are list's flags and dependencies.
type ListOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope  accesstokens.Scope
	Where  *audit.Where
	Now    time.Time // --now; zero: the server's clock
	Format string
}

// NewCmdList wires `accesstokens list SCOPE`. runF, when set, replaces
// runList (tests of the flags, without a server).
func NewCmdList(f *Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Connect: f.Connect}
	var (
		where string
		clock clockFlag
	)
	cmd := &cobra.Command{
		Use:   "list SCOPE [--where EXPR]",
		Short: "List every token of a user, project or repository",
		Long: `List every token of one scope, all pages, with its findings under the default
rules (see 'accesstokens audit --help'). --where keeps only the tokens that match
(the expressions of audit and revoke). -o json prints an array of TOKEN objects,
-o jsonl one TOKEN per line, -o csv the audit's columns; all but jsonl in id order.

` + clockHelp + `

Ctrl-C (or SIGTERM) stops the reads and writes what was read, then exits 1; a
second one quits at once (130).`,
		Example: `  accesstokens list project:PRJ
  accesstokens list user:alice -o json
  accesstokens list project:PRJ --where 'unused,name=ci-*'
  accesstokens list repo:PRJ/my-repo -o csv > tokens.csv`,
		ValidArgsFunction: completeScopeFirst,
		Args:              argsBetween(1, 1, "one SCOPE (user:SLUG, project:KEY or repo:KEY/SLUG)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Scope, err = parseScopeArg("SCOPE", args[0]); err != nil {
				return err
			}
			if cmd.Flags().Changed("where") {
				if opts.Where, err = parseWhereFlag(where); err != nil {
					return err
				}
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
			return runList(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&where, "where", "", "keep only the tokens matching `EXPR` (see 'accesstokens audit --help')")
	clock.register(cmd)
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runList(ctx context.Context, opts *ListOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	in := trapReadInterrupts(ctx, opts.IO.ErrOut)
	defer in.release()
	_, serverNow, err := readServer(in.Ctx, conn)
	if err != nil {
		return interruptedOr(in, err)
	}
	// A bar of one scope, drawn only while the client waits (a 429, a
	// retry, a server that does not answer), to say so.
	bar := newProgress(opts.IO, 1).showing(conn.Waits)
	out, flush := bar.stdout(opts.IO)
	defer func() { _ = flush() }()
	listIO := *opts.IO
	listIO.Out = out
	w := newTokenWriter(opts.Format, &listIO, false)
	run := audit.Options{Concurrency: 1, Rules: audit.Rules{Now: judgedAt(opts.Now, serverNow)}}
	if opts.Where != nil {
		run.Keep = opts.Where.Match
	}
	var bad badDates
	sum, err := audit.Run(in.Ctx, conn.Client.Tokens, audit.TargetsOf(opts.Scope), run, bad.watch(w.Write))
	bar.done()
	defer bad.report(opts.IO.ErrOut)
	switch {
	case err != nil && in.Stopped():
		if err := w.Close(*sum); err != nil {
			return err
		}
		return &exitError{code: exitFailed, err: errors.New("interrupted: 0 of 1 scopes read")}
	case errors.Is(err, accesstokens.ErrAuthentication):
		return fmt.Errorf("listing the tokens of %s: %w", opts.Scope, errors.Unwrap(err))
	case err != nil:
		return err
	case len(sum.Failed) > 0:
		explainRateLimited(sum, conn.MaxWait)
		explainTimeouts(sum, conn.Timeout)
		return fmt.Errorf("listing the tokens of %s: %w", opts.Scope, sum.Failed[0].Err)
	}
	return w.Close(*sum)
}
