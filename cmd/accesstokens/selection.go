package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// Scope selection and audit rules, shared by audit and revoke --where.

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
	spin := newSpinner(io, "listing users, projects and repositories")
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
