// accesstokens audit: the inventory of every token of the chosen scopes,
// with findings, filters, a resumable progress file and exit codes for CI.

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
	Rules       audit.Rules // Rules.Now: --now, zero for the server's clock
	Where       *audit.Where
	FailOn      []audit.Finding
	Format      string
	Concurrency int
	StateFile   string // --state: "" for none
	Resume      bool
	// Report, when set, receives the tokens instead of a report in Format:
	// revoke --where collects its plan this way.
	Report audit.Writer
}

// NewCmdAudit wires `accesstokens audit`. runF, when set, replaces runAudit
// (tests of the flags, without a server).
func NewCmdAudit(f *Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Connect: f.Connect}
	var (
		sel    scopeFlags
		rules  rulesFlags
		clock  clockFlag
		where  string
		failOn string
	)
	cmd := &cobra.Command{
		Use:   "audit (--all | --scope SCOPE ...) [--where EXPR] [--expiring 30d] [--unused 90d] [--fail-on F,...]",
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
  bad-date        a date the server sent cannot be read; the token is shown
                  without it (and gets no finding from that date's absence)

` + clockHelp + ` Days left count calendar days
in UTC from today to the expiry date: 30 for a 30-day token created today, 0
for one that expires later today, negative once expired.

--where keeps only the tokens that match, in the output and in the summary
(finding names and name=GLOB, created-before=DATE, created-after=DATE,
owner=SLUG, joined with commas: all must hold); --fail-on looks at those.

-o table (default), json (one document), jsonl (one TOKEN per line as read, then
a summary line; memory stays flat for any number of tokens), csv, or openmetrics
(expiry and last use as Prometheus metrics, for node_exporter's textfile
collector). table, json and csv list tokens by scope (users, projects,
repositories) and id, so that two reports of the same server differ only in
generatedAt.

A scope that cannot be read is named on stderr, and in the json, jsonl and
table reports (csv holds tokens only), and makes the exit code 1: the inventory
is incomplete. A token with a bad date is listed, flagged and named on stderr;
its scope counts as read, so it alone leaves the exit code 0 (--fail-on bad-date
gates on it). --fail-on makes the exit code 3 when a kept token has one of the
named findings (1 still wins).

Ctrl-C (or SIGTERM) stops the reads and writes what was read, as a whole
document, then exits 1; a second one quits at once (130). With --state FILE the
audit records its progress in FILE (mode 0600; it holds no secret); after an
interruption, the same command with --resume reads only what FILE does not
hold, and writes the whole inventory. FILE is removed once every scope is read.
--resume refuses a FILE of another server or other scopes; --where, --expiring,
--unused, --fail-on, --now and -o may change between runs.`,
		Example: `  accesstokens audit --all --demo
  accesstokens audit --all --where 'expired,owner=alice' -o csv > expired.csv
  accesstokens audit --scope project:PRJ --scope user:alice --expiring 14d --now 2026-12-31
` + nightlyJob,
		Args: argsBetween(0, 0, "no arguments: choose scopes with --all or --scope"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, sel, rules, clock, where, failOn); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAudit(cmd.Context(), opts)
		},
	}
	sel.register(cmd)
	rules.register(cmd)
	clock.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&where, "where", "", "keep only the tokens matching `EXPR` (see above)")
	fl.StringVar(&failOn, "fail-on", "", "exit 3 when any token has one of these `FINDINGS` (comma-separated)")
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "scopes read at once")
	fl.StringVar(&opts.StateFile, "state", "", "record progress in `FILE`, to go on after an interruption with --resume")
	fl.BoolVar(&opts.Resume, "resume", false, "with --state: read only the scopes FILE does not hold")
	addReportFormatFlag(cmd, &opts.Format)
	return cmd
}

// nightlyJob is the example of audit's and revoke's help: the CI job they
// make together.
const nightlyJob = `
  # a nightly job: the whole inventory (a cut-off run goes on where it stopped), failing
  # (exit 3) on expired or expiring tokens; the plan to revoke the expired ones, saved
  # for review; then, once reviewed, exactly that plan acted on
  accesstokens audit --all --state audit.state --resume --fail-on expired,expiring -o jsonl > tokens.jsonl
  accesstokens revoke --all --where expired -o json > plan.json
  accesstokens revoke --plan plan.json --yes -o json > revoked.json`

// parse checks every flag before any request.
func (o *AuditOptions) parse(cmd *cobra.Command, sel scopeFlags, rules rulesFlags, clock clockFlag, where, failOn string) error {
	var err error
	if o.Select, err = sel.parse(); err != nil {
		return err
	}
	if o.Rules, err = rules.parse(); err != nil {
		return err
	}
	if o.Rules.Now, err = clock.parse(); err != nil {
		return err
	}
	if cmd.Flags().Changed("where") {
		if o.Where, err = parseWhereFlag(where); err != nil {
			return err
		}
	}
	if cmd.Flags().Changed("fail-on") { // an empty list too: a CI gate that checks nothing is a mistake
		if o.FailOn, err = audit.ParseFindings(failOn); err != nil {
			return usageError("%s", namedValue("--fail-on", failOn, trimPrefix(err)))
		}
	}
	if err := checkReportFormat(o.Format); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return usageError("--concurrency: must be at least 1, got %d", o.Concurrency)
	}
	if cmd.Flags().Changed("state") && o.StateFile == "" {
		return usageError("--state: needs a FILE")
	}
	if o.Resume && o.StateFile == "" {
		return usageError("--resume needs --state FILE: the file that records the audit to go on with")
	}
	return nil
}

// parseWhereFlag reads --where; a bad expression is a usage error naming it.
func parseWhereFlag(expr string) (*audit.Where, error) {
	w, err := audit.ParseWhere(expr)
	if err != nil {
		return nil, usageError("%s", namedValue("--where", expr, trimPrefix(err)))
	}
	return &w, nil
}

func runAudit(ctx context.Context, opts *AuditOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	state, err := openState(opts, conn)
	if err != nil {
		return err
	}
	in := trapReadInterrupts(ctx, opts.IO.ErrOut)
	defer in.release()
	inv, err := startInventory(in.Ctx, opts, conn)
	if err != nil {
		closeUnusedState(state)
		return interruptedOr(in, err)
	}
	rules := opts.Rules
	rules.Now = judgedAt(opts.Rules.Now, inv.serverNow)
	inv.meta.Terminal = opts.IO.OutTTY
	bar := newProgress(opts.IO, len(inv.targets)).showing(conn.Waits)
	out, flush := bar.stdout(opts.IO)
	w := opts.Report
	switch {
	case w != nil:
	case opts.Format == openMetricsFormat:
		w = newOpenMetricsWriter(out)
	default:
		if w, err = audit.NewWriter(opts.Format, out, inv.meta); err != nil {
			return usageError("-o %q: %s", opts.Format, trimPrefix(err))
		}
	}
	run := audit.Options{Concurrency: opts.Concurrency, Rules: rules, Progress: bar.update, State: state}
	if opts.Where != nil {
		run.Keep = opts.Where.Match
	}
	var bad badDates
	summary, err := audit.Run(in.Ctx, conn.Client.Tokens, inv.targets, run, bad.watch(w.Write))
	bar.done()
	bad.report(opts.IO.ErrOut)
	explainRateLimited(summary, conn.MaxWait)
	explainTimeouts(summary, conn.Timeout)
	readCode := reportFailedScopes(opts.IO.ErrOut, summary)
	if err != nil {
		return stoppedAudit(opts.IO, in, state, w, flush, summary, len(inv.targets), err)
	}
	if err := finishState(opts.IO, state, summary); err != nil {
		return err
	}
	if err := w.Close(*summary); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return silentExit(worstCode(readCode, failOnCode(opts.IO, summary, opts.FailOn)))
}

// inventory is what an audit knows before it reads tokens: the report's
// head, the server's clock, the scopes to read.
type inventory struct {
	meta      audit.Meta
	serverNow time.Time
	targets   []audit.Target
}

func startInventory(ctx context.Context, opts *AuditOptions, conn *Connection) (*inventory, error) {
	meta, serverNow, err := readServer(ctx, conn)
	if err != nil {
		return nil, err
	}
	targets, err := opts.Select.listTargets(ctx, opts.IO, conn)
	if err != nil {
		return nil, err
	}
	return &inventory{meta: meta, serverNow: serverNow, targets: targets}, nil
}

// stoppedAudit ends an audit that Run stopped (Ctrl-C, an authentication
// failure, a write error): the report keeps what was read and says, in its
// failed scopes, what was not, so that it never looks complete; the state
// file keeps the progress.
func stoppedAudit(io *IOStreams, in *interrupts, state *audit.State, w audit.Writer, flush func() error, summary *audit.Summary, total int, err error) error {
	why := "not read: the audit stopped: " + errText(err)
	if in.Stopped() {
		why = "not read: interrupted"
	}
	for _, sc := range summary.Unread {
		summary.Failed = append(summary.Failed, audit.ScopeFailure{Scope: sc, Err: errors.New(why)})
	}
	_ = w.Close(*summary)
	_ = flush()
	if state != nil {
		if cerr := state.Close(); cerr != nil {
			fmt.Fprintln(io.ErrOut, errorLine(cerr))
		} else {
			fmt.Fprintf(io.ErrOut, "accesstokens: progress kept in %s: run the same command with --resume to read the %s left\n",
				state.Path(), plural(len(summary.Failed), "scope"))
		}
	}
	if in.Stopped() {
		return &exitError{code: exitFailed, err: fmt.Errorf("interrupted: %d of %d scopes read", summary.ScopesRead, total)}
	}
	return fmt.Errorf("audit stopped, %d of %s were not read: %w", len(summary.Unread), plural(total, "scope"), err)
}

// interruptedOr is err, or, after Ctrl-C, what was interrupted.
func interruptedOr(in *interrupts, err error) error {
	if in.Stopped() && errors.Is(err, context.Canceled) {
		return &exitError{code: exitFailed, err: errors.New("interrupted before any scope was read")}
	}
	return err
}

// readServer reads the head of a report (the server's version) and the
// server's clock, which findings are judged by when --now is not given,
// through conn.ServerInfo: once per run, whoever asks. It is also the run's
// first request, sent alone: wrong credentials stop
// everything at this one 401, before workers fan out (Bitbucket may lock an
// account behind a CAPTCHA after a few failed logins), and a server that
// does not answer at all stops it too. An answer without the version (a
// 404, say) only leaves it out.
func readServer(ctx context.Context, conn *Connection) (audit.Meta, time.Time, error) {
	meta := audit.Meta{GeneratedAt: conn.Now().UTC().Truncate(time.Second), ServerURL: conn.URL}
	info, err := conn.ServerInfo(ctx)
	switch {
	case err == nil:
		meta.ServerVersion = info.Version
	case errors.Is(err, accesstokens.ErrAuthentication), errors.Is(err, context.Canceled):
		return meta, time.Time{}, err
	case !errors.As(err, new(*accesstokens.Error)):
		// No answer at all (refused, unreachable, TLS): every scope would
		// go through the same retries to the same end.
		return meta, time.Time{}, fmt.Errorf("cannot reach the server: %w", err)
	}
	return meta, serverClock(conn, info), nil
}

// serverClock is the time findings are judged at when --now is not given:
// the server's clock as its answer to ServerInfo said it (the answer's Date
// header), or, when there was no answer or it had no date, this machine's
// clock (the demo server's with --demo).
func serverClock(conn *Connection, info *accesstokens.ServerInfo) time.Time {
	if info != nil && !info.ServerTime.IsZero() {
		return info.ServerTime
	}
	return conn.Now()
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
