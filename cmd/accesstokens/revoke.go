package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// RevokeOptions are revoke's flags and dependencies, for both forms:
// `revoke SCOPE ID...` and `revoke --where EXPR (--all | --scope S...)`.
type RevokeOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	// revoke SCOPE ID...
	Scope accesstokens.Scope
	IDs   []string

	// revoke --where
	Where       *audit.Where
	Select      ScopeSelection
	Rules       audit.Rules
	Concurrency int
	Yes         bool
}

// NewCmdRevoke wires `accesstokens revoke`.
func NewCmdRevoke(f *Factory, runF func(context.Context, *RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IO, Connect: f.Connect}
	var (
		where string
		sel   scopeFlags
		rules rulesFlags
	)
	cmd := &cobra.Command{
		Use:   "revoke (SCOPE ID [ID ...] | --where EXPR (--all | --scope SCOPE ...) [--yes])",
		Short: "Revoke tokens by id, or in bulk with --where",
		Long: `Revoke the named tokens of a scope, or, with --where, every token that matches an
expression across the chosen scopes.

--where takes finding names (expired, expiring, no-expiry, never-used, unused,
admin, inactive-owner) and name=GLOB, created-before=DATE, created-after=DATE,
owner=SLUG, joined with commas: all must hold. It first prints the plan (what would
be revoked, per scope) and revokes only with --yes.

A failed revoke does not stop the others; the exit code is 1 when any failed.
Ctrl-C finishes the revoke in flight, starts no other, and says what is left.`,
		Example: `  accesstokens revoke project:PRJ 075905477751 075905477752
  accesstokens revoke --all --where expired
  accesstokens revoke --scope project:PRJ --where 'unused,name=ci-*' --yes`,
		ValidArgsFunction: completeScopeFirst,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, args, where, sel, rules); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRevoke(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&where, "where", "", "revoke every token matching `EXPR` (see above); prints the plan unless --yes")
	fl.BoolVar(&opts.Yes, "yes", false, "with --where: revoke, instead of printing the plan only")
	sel.register(cmd)
	rules.register(cmd)
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "scopes read at once (with --where)")
	return cmd
}

// parse validates either form before any request.
func (o *RevokeOptions) parse(cmd *cobra.Command, args []string, where string, sel scopeFlags, rules rulesFlags) error {
	whereSet := cmd.Flags().Changed("where")
	if !whereSet {
		if sel.all || len(sel.scopes) > 0 {
			return usageError("--all and --scope select tokens for --where; to revoke by id: revoke SCOPE ID [ID ...]")
		}
		if len(args) < 2 {
			return usageError("revoke takes SCOPE and at least one ID, or --where EXPR with --all or --scope (see 'accesstokens revoke --help')")
		}
		var err error
		if o.Scope, err = parseScopeArg("SCOPE", args[0]); err != nil {
			return err
		}
		for _, id := range args[1:] {
			if err := checkTokenID(id); err != nil {
				return err
			}
		}
		o.IDs = args[1:]
		return nil
	}
	if len(args) > 0 {
		return usageError("revoke --where takes no SCOPE or ID arguments: choose scopes with --all or --scope")
	}
	w, err := audit.ParseWhere(where)
	if err != nil {
		return usageError("%s", namedValue("--where", where, trimPrefix(err)))
	}
	o.Where = &w
	if o.Select, err = sel.parse(); err != nil {
		return err
	}
	if o.Rules, err = rules.parse(); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return usageError("--concurrency: must be at least 1, got %d", o.Concurrency)
	}
	return nil
}

func runRevoke(ctx context.Context, opts *RevokeOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	if opts.Where == nil {
		items := make([]revokeItem, len(opts.IDs))
		for i, id := range opts.IDs {
			items[i] = revokeItem{scope: opts.Scope, id: id}
		}
		return revokeAll(ctx, opts.IO, conn.Client.Tokens, items)
	}
	return runRevokeWhere(ctx, opts, conn)
}

// revokeItem is one token to revoke; name is known only from a plan.
type revokeItem struct {
	scope accesstokens.Scope
	id    string
	name  string
}

func (it revokeItem) String() string {
	if it.name == "" {
		return it.scope.String() + " " + it.id
	}
	return fmt.Sprintf("%s %s \"%s\"", it.scope, it.id, textsafe.Terminal(it.name))
}

// revokeAll revokes items one after the other, reporting each on stdout
// (failures on stderr). A failure does not stop the rest, except a failed
// authentication (hammering could lock the account) or Ctrl-C (the revoke in
// flight finishes, no other starts). The exit code is 1 when anything was
// not revoked.
func revokeAll(ctx context.Context, io *IOStreams, tokens accesstokens.TokensService, items []revokeItem) error {
	in := trapInterrupts(ctx, io.ErrOut, "finishing the revoke in flight, starting no other")
	defer in.release()
	var failed, revoked int
	var stopped error
	for i, it := range items {
		if in.Stopped() {
			stopped = errors.New("interrupted")
		}
		if stopped != nil {
			reportNotAttempted(io.ErrOut, items[i:], stopped)
			break
		}
		err := tokens.Delete(in.Ctx, it.scope, it.id)
		switch {
		case err == nil:
			revoked++
			fmt.Fprintf(io.Out, "revoked %s\n", it)
		case errors.Is(err, accesstokens.ErrAuthentication):
			failed++
			fmt.Fprintf(io.ErrOut, "failed  %s: %s\n", it, errText(err))
			stopped = errors.New("authentication failed, stopping")
		default:
			failed++
			fmt.Fprintf(io.ErrOut, "failed  %s: %s\n", it, revokeFailure(it, err))
		}
	}
	left := len(items) - revoked
	if left == 0 {
		return nil
	}
	return &exitError{code: exitFailed, err: fmt.Errorf("revoked %d of %s; %d failed, %d not attempted", revoked, plural(len(items), "token"), failed, left-failed)}
}

// revokeFailure says what a failed revoke means for the token.
func revokeFailure(it revokeItem, err error) string {
	if errors.Is(err, accesstokens.ErrOutcomeUnknown) || errors.Is(err, context.Canceled) {
		return fmt.Sprintf("%s; it may or may not be revoked: check with 'accesstokens get %s %s'", errText(err), it.scope, it.id)
	}
	return errText(err)
}

func reportNotAttempted(w io.Writer, items []revokeItem, why error) {
	fmt.Fprintf(w, "accesstokens: %v: %s not revoked:\n", why, plural(len(items), "token"))
	for _, it := range items {
		fmt.Fprintf(w, "not revoked %s\n", it)
	}
}

// runRevokeWhere reads the chosen scopes, prints the plan, and acts on it with --yes.
func runRevokeWhere(ctx context.Context, opts *RevokeOptions, conn *Connection) error {
	if _, err := serverMeta(ctx, conn); err != nil {
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
	plan := map[accesstokens.Scope][]audit.Token{}
	progress := newProgress(opts.IO, len(targets))
	summary, err := audit.Run(ctx, conn.Client.Tokens, targets, audit.Options{
		Concurrency: opts.Concurrency, Rules: rules, Progress: progress.update,
	}, func(t audit.Token) error {
		if opts.Where.Match(t) {
			plan[t.Scope] = append(plan[t.Scope], t)
		}
		return nil
	})
	progress.done()
	if err != nil {
		return err
	}
	readCode := reportFailedScopes(opts.IO.ErrOut, summary)
	items := printPlan(opts.IO.Out, plan, opts.Where)
	if !opts.Yes {
		if len(items) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "Nothing was revoked: run again with --yes to revoke %s.\n", plural(len(items), "token"))
		}
		return silentExit(readCode)
	}
	if len(items) == 0 {
		return silentExit(readCode)
	}
	err = revokeAll(ctx, opts.IO, conn.Client.Tokens, items)
	code, err := exitCodeOf(err)
	if err != nil {
		fmt.Fprintln(opts.IO.ErrOut, errorLine(err))
	}
	return silentExit(worstCode(code, readCode))
}

// printPlan writes what --where selected, per scope in scope order, and
// returns it as the list to revoke.
func printPlan(w io.Writer, plan map[accesstokens.Scope][]audit.Token, where *audit.Where) []revokeItem {
	scopes := make([]accesstokens.Scope, 0, len(plan))
	n := 0
	for sc, toks := range plan {
		scopes = append(scopes, sc)
		n += len(toks)
	}
	slices.SortFunc(scopes, func(a, b accesstokens.Scope) int { return strings.Compare(a.String(), b.String()) })
	fmt.Fprintf(w, "Plan: revoke %s in %s where %s\n", plural(n, "token"), plural(len(scopes), "scope"), where)
	items := make([]revokeItem, 0, n)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, sc := range scopes {
		fmt.Fprintf(tw, "%s (%d)\n", sc, len(plan[sc]))
		for _, t := range plan[sc] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.ID, textsafe.Terminal(t.Name), orDash(joinFindings(t.Findings, ",")))
			items = append(items, revokeItem{scope: sc, id: t.ID, name: t.Name})
		}
	}
	_ = tw.Flush()
	return items
}
