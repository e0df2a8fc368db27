package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// AuditOptions are audit's flags and dependencies.
type AuditOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Select      ScopeSelection
	Rules       audit.Rules
	FailOn      []audit.Finding
	Format      string
	Concurrency int
	// Report, when set, receives the tokens instead of a report in Format:
	// revoke --where collects its plan this way.
	Report audit.Writer
}

// NewCmdAudit wires `accesstokens audit`.
func NewCmdAudit(f *Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Connect: f.Connect}
	var (
		sel    scopeFlags
		rules  rulesFlags
		failOn string
	)
	cmd := &cobra.Command{
		Use:   "audit (--all | --scope SCOPE ...) [--expiring 30d] [--unused 90d] [--fail-on F,...]",
		Short: "Inventory every token and flag the ones that need attention",
		Long: `Read every token of the chosen scopes (--all: every user, project and repository,
archived repositories and deactivated users included), --concurrency scopes at a
time under --rate, and classify each one. A token can carry several findings:

  expired         its expiry date is past
  expiring        not yet expired, and expires within --expiring (default 30d)
  no-expiry       never expires
  never-used      has never authenticated
  unused          used, but last longer ago than --unused (default 90d)
  admin           holds PROJECT_ADMIN or REPO_ADMIN
  inactive-owner  a personal token whose owner is deactivated

-o table (default), json (one document), jsonl (one TOKEN per line as read, then
a summary line; memory stays flat for any number of tokens), csv, or openmetrics
(expiry and last use as Prometheus metrics, for node_exporter's textfile collector).

A scope that cannot be read is reported on stderr and in the output, and makes the
exit code 1: the inventory is incomplete. --fail-on makes the exit code 3 when a
token has one of the named findings (1 still wins).`,
		Example: `  accesstokens audit --all --demo
  accesstokens audit --all --fail-on expired,expiring -o jsonl > tokens.jsonl
  accesstokens audit --scope project:PRJ --scope user:alice --expiring 14d -o csv`,
		Args: argsBetween(0, 0, "no arguments: choose scopes with --all or --scope"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opts.Select, err = sel.parse(); err != nil {
				return err
			}
			if opts.Rules, err = rules.parse(); err != nil {
				return err
			}
			if cmd.Flags().Changed("fail-on") { // an empty list too: a CI gate that checks nothing is a mistake
				if opts.FailOn, err = audit.ParseFindings(failOn); err != nil {
					return usageError("%s", namedValue("--fail-on", failOn, trimPrefix(err)))
				}
			}
			if err := checkFormat(opts.Format); err != nil && opts.Format != openMetricsFormat {
				return err
			}
			if opts.Concurrency < 1 {
				return usageError("--concurrency: must be at least 1, got %d", opts.Concurrency)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAudit(cmd.Context(), opts)
		},
	}
	sel.register(cmd)
	rules.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&failOn, "fail-on", "", "exit 3 when any token has one of these `FINDINGS` (comma-separated)")
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "scopes read at once")
	addFormatFlag(cmd, &opts.Format)
	return cmd
}

func runAudit(ctx context.Context, opts *AuditOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	meta, err := serverMeta(ctx, conn)
	if err != nil {
		return err
	}
	targets, err := opts.Select.listTargets(ctx, opts.IO, conn)
	if err != nil {
		return err
	}
	rules := opts.Rules
	if rules.Now.IsZero() {
		rules.Now = conn.Now()
	}
	bar := newProgress(opts.IO, len(targets))
	out, flush := bar.stdout(opts.IO)
	w := opts.Report
	switch {
	case w != nil:
	case opts.Format == openMetricsFormat:
		w = newOpenMetricsWriter(out)
	default:
		if w, err = audit.NewWriter(opts.Format, out, meta); err != nil {
			return usageError("-o %q: %s", opts.Format, trimPrefix(err))
		}
	}
	summary, err := audit.Run(ctx, conn.Client.Tokens, targets, audit.Options{
		Concurrency: opts.Concurrency, Rules: rules, Progress: bar.update,
	}, w.Write)
	bar.done()
	if err != nil {
		// The report keeps what was read and says, in scopes.failed, what was not: it never looks complete.
		notRead := fmt.Errorf("not read: the audit stopped: %s", errText(err))
		for _, sc := range summary.Unread {
			summary.Failed = append(summary.Failed, audit.ScopeFailure{Scope: sc, Err: notRead})
		}
		_ = w.Close(*summary)
		_ = flush()
		return fmt.Errorf("audit stopped, %d of %s were not read: %w", len(summary.Unread), plural(len(targets), "scope"), err)
	}
	if err := w.Close(*summary); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return silentExit(worstCode(reportFailedScopes(opts.IO.ErrOut, summary), failOnCode(opts.IO, summary, opts.FailOn)))
}

// serverMeta is the head of the json document. It is also the run's first
// request, sent alone: wrong credentials stop everything at this one 401,
// before workers fan out (Bitbucket may lock an account behind a CAPTCHA
// after a few failed logins), and a server that does not answer at all stops
// it too. An answer without the version (a 404, say) only leaves it out.
func serverMeta(ctx context.Context, conn *Connection) (audit.Meta, error) {
	meta := audit.Meta{GeneratedAt: conn.Now().UTC().Truncate(time.Second), ServerURL: conn.URL}
	info, err := conn.Client.Directory.ServerInfo(ctx)
	switch {
	case err == nil:
		meta.ServerVersion = info.Version
	case errors.Is(err, accesstokens.ErrAuthentication):
		return meta, err
	case !errors.As(err, new(*accesstokens.Error)):
		// No answer at all (refused, unreachable, TLS): every scope would
		// go through the same retries to the same end.
		return meta, fmt.Errorf("cannot reach the server: %w", err)
	}
	return meta, nil
}

// failOnCode is 3 when a token carries a --fail-on finding, saying which on stderr.
func failOnCode(io *IOStreams, s *audit.Summary, failOn []audit.Finding) int {
	var hit []string
	for _, f := range failOn {
		if n := s.Findings[f]; n > 0 {
			hit = append(hit, fmt.Sprintf("%d %s", n, f))
		}
	}
	if len(hit) == 0 {
		return exitOK
	}
	fmt.Fprintf(io.ErrOut, "accesstokens: --fail-on matched: %s\n", strings.Join(hit, ", "))
	return exitFindings
}
