package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// Scope selection, audit rules and the clock they judge by, shared by
// audit, list, get and revoke --where; what is said of scopes not read.

// scopeFlags are --all and --scope as typed.
type scopeFlags struct {
	all    bool
	scopes []string
}

func (s *scopeFlags) register(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&s.all, "all", false, "every user, project and repository (archived ones and deactivated users included)")
	cmd.Flags().StringArrayVar(&s.scopes, "scope", nil, "one `SCOPE` (user:SLUG, project:KEY or repo:KEY/SLUG); repeat for more")
}

// ScopeSelection is which scopes a command reads: all of them, or a list.
type ScopeSelection struct {
	All    bool
	Scopes []accesstokens.Scope
}

// String is the selection as flags, the same for the same scopes in any
// order: "--all", or "--scope project:A --scope user:b".
func (s ScopeSelection) String() string {
	if s.All {
		return "--all"
	}
	scopes := slices.Clone(s.Scopes)
	slices.SortFunc(scopes, audit.CompareScopes)
	scopes = slices.Compact(scopes)
	parts := make([]string, len(scopes))
	for i, sc := range scopes {
		parts[i] = "--scope " + sc.String()
	}
	return strings.Join(parts, " ")
}

func (s scopeFlags) parse() (ScopeSelection, error) {
	switch {
	case s.all && len(s.scopes) > 0:
		return ScopeSelection{}, usageError("--all and --scope cannot be used together")
	case !s.all && len(s.scopes) == 0:
		return ScopeSelection{}, usageError("choose what to read: --all, or --scope SCOPE (repeatable)")
	case s.all:
		return ScopeSelection{All: true}, nil
	}
	scopes, err := parseScopeArgs(s.scopes)
	return ScopeSelection{Scopes: scopes}, err
}

// listTargets is targets with a spinner on a terminal stderr while --all
// lists the server's scopes.
func (s ScopeSelection) listTargets(ctx context.Context, io *IOStreams, conn *Connection) ([]audit.Target, error) {
	if !s.All {
		return s.targets(ctx, conn)
	}
	spin := newSpinner(io, "listing users, projects and repositories").showing(conn.Waits)
	spin.tick()
	defer spin.done()
	return s.targets(ctx, conn)
}

// targets enumerates the selection: with All, every scope through the SDK's
// Directory (one request per page of users, projects and repositories).
func (s ScopeSelection) targets(ctx context.Context, conn *Connection) ([]audit.Target, error) {
	if !s.All {
		return audit.TargetsOf(s.Scopes...), nil
	}
	targets, err := audit.Targets(ctx, conn.Client.Directory)
	if err != nil {
		return nil, fmt.Errorf("listing the server's users, projects and repositories: %w", err)
	}
	return targets, nil
}

// rulesFlags are --expiring and --unused as typed.
type rulesFlags struct {
	expiring, unused string
}

func (r *rulesFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.expiring, "expiring", "30d", "a token is expiring when it expires within `AGE` (e.g. 30d, 2w, 12h)")
	cmd.Flags().StringVar(&r.unused, "unused", "90d", "a used token is unused when its last use is older than `AGE`")
}

func (r rulesFlags) parse() (audit.Rules, error) {
	expiring, err := audit.ParseAge(r.expiring)
	if err != nil {
		return audit.Rules{}, usageError("%s", namedValue("--expiring", r.expiring, trimPrefix(err)))
	}
	unused, err := audit.ParseAge(r.unused)
	if err != nil {
		return audit.Rules{}, usageError("%s", namedValue("--unused", r.unused, trimPrefix(err)))
	}
	return audit.Rules{Expiring: expiring, Unused: unused}, nil
}

// clockFlag is --now as typed: the time findings are judged at, for
// what-if runs.
type clockFlag struct{ value string }

func (c *clockFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.value, "now", "", "judge findings as at `TIME` (RFC 3339, or a date: midnight UTC) instead of by the server's clock")
}

// parse returns the time given, or the zero time: judge by the server's clock.
func (c clockFlag) parse() (time.Time, error) {
	if c.value == "" {
		return time.Time{}, nil
	}
	t, err := audit.ParseTime(c.value)
	if err != nil {
		return time.Time{}, usageError("--now %q: use a date (2026-01-31, midnight UTC) or an RFC 3339 time (2026-01-31T12:00:00Z)", c.value)
	}
	return t, nil
}

// clockHelp is what --help says of the clock findings are judged by.
const clockHelp = `Findings are judged by the server's clock: the time of its first answer (its
Date header; with --demo, the demo server's clock), or this machine's clock when
that answer carries no date. So a client whose clock is off, or a test server
whose clock was moved, judges expiry as the server does. --now TIME judges them
as at another time instead (what-if runs).`

// judgedAt is when findings are judged: at --now when given, else by the
// server's clock.
func judgedAt(now, server time.Time) time.Time {
	if !now.IsZero() {
		return now
	}
	return server
}

// explainRateLimited adds to the failure of each scope lost to 429s what
// --max-wait did about them, so that every report of it says what to change.
func explainRateLimited(s *audit.Summary, maxWait time.Duration) {
	why := fmt.Sprintf("still rate limited after waiting out 429s for up to --max-wait %s: a longer --max-wait waits longer", maxWait)
	if maxWait <= 0 {
		why = "rate limited after the usual retries (--max-wait 0): a --max-wait above 0 waits 429s out"
	}
	for i, f := range s.Failed {
		if errors.Is(f.Err, accesstokens.ErrRateLimited) {
			s.Failed[i].Err = fmt.Errorf("%w; %s", f.Err, why)
		}
	}
}

// explainTimeouts adds to the failure of each scope whose server did not
// answer in time which limit ended the wait, as explainTimeout does.
func explainTimeouts(s *audit.Summary, timeout time.Duration) {
	if s == nil {
		return
	}
	for i, f := range s.Failed {
		s.Failed[i].Err = explainTimeout(f.Err, timeout)
	}
}

// explainTimeout says of a request whose attempt had no answer in time
// (accesstokens.ErrAttemptTimeout) that --timeout bounds it, and what to
// change; other errors (among them a clean-up's own deadline), and one
// explained already, are returned as they are.
func explainTimeout(err error, timeout time.Duration) error {
	var explained *timedOutError
	if err == nil || !errors.Is(err, accesstokens.ErrAttemptTimeout) || errors.As(err, &explained) {
		return err
	}
	return &timedOutError{err: err, timeout: timeout}
}

// timedOutError is a failure that --timeout caused, said with the flag.
type timedOutError struct {
	err     error
	timeout time.Duration
}

func (e *timedOutError) Error() string {
	return fmt.Sprintf("%v: --timeout %s bounds each attempt; a longer one waits longer", e.err, e.timeout)
}

func (e *timedOutError) Unwrap() error { return e.err }

// reportFailedScopes says, on stderr, which scopes could not be read, and
// returns exit code 1 when any could not: an inventory with a gap is never
// reported as complete.
func reportFailedScopes(w io.Writer, s *audit.Summary) int {
	if s == nil || len(s.Failed) == 0 {
		return exitOK
	}
	for _, f := range s.Failed {
		fmt.Fprintf(w, "accesstokens: could not read %s: %s\n", textsafe.Terminal(f.Scope.String()), errText(f.Err))
	}
	fmt.Fprintf(w, "accesstokens: incomplete: %d of %s could not be read\n", len(s.Failed), plural(len(s.Failed)+s.ScopesRead, "scope"))
	return exitFailed
}
