// The revoke command: its flags, their checks, and the choice between its
// three forms (by id, --where, --plan).

package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// revokeFormats are the values of revoke's -o.
var revokeFormats = []string{"table", "json"}

// RevokeOptions are revoke's flags and dependencies, for its three forms:
// `revoke SCOPE ID...`, `revoke --where EXPR (--all | --scope S...)` and
// `revoke --plan FILE`.
type RevokeOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Format string // table (lines for people) or json
	Yes    bool   // with --where or --plan: revoke, instead of showing the plan

	// revoke SCOPE ID...
	Scope accesstokens.Scope
	IDs   []string

	// revoke --where
	Where       *audit.Where
	Select      ScopeSelection
	Rules       audit.Rules
	Concurrency int

	// revoke --plan: the file as named, and the plan read from it
	PlanFile string
	Plan     *savedPlan
}

// NewCmdRevoke wires `accesstokens revoke`. runF, when set, replaces
// runRevoke (tests of the flags, without a server).
func NewCmdRevoke(f *Factory, runF func(context.Context, *RevokeOptions) error) *cobra.Command {
	opts := &RevokeOptions{IO: f.IO, Connect: f.Connect}
	var (
		where string
		sel   scopeFlags
		rules rulesFlags
	)
	cmd := &cobra.Command{
		Use:   "revoke (SCOPE ID [ID ...] | --where EXPR (--all | --scope SCOPE ...) | --plan FILE) [--yes] [-o json]",
		Short: "Revoke tokens by id, in bulk with --where, or as a reviewed plan",
		Long: `Revoke the named tokens of a scope; or, with --where, every token that matches an
expression across the chosen scopes; or, with --plan, exactly the tokens of a plan
saved earlier.

--where takes finding names (expired, expiring, no-expiry, never-used, unused,
admin, inactive-owner, bad-date) and name=GLOB, created-before=DATE, created-after=DATE,
owner=SLUG, joined with commas: all must hold. It first prints the plan (what would
be revoked, per scope) and revokes only with --yes. With -o json the plan is a
document, {"plan": [TOKEN...]}, to save and review.

--plan FILE revokes the tokens of such a document and nothing else: each is read
again first, and one that is gone, or whose name, permissions or expiry changed
since, is skipped and reported. Without --yes it shows what it would do.

-o json prints the outcome as {"revoked": [{"scope","id"}], "failed":
[{"scope","id","error"}], "skipped": [{"scope","id","reason"}]}.

A failed revoke does not stop the others; the exit code is 1 when any failed
(a skipped token is not a failure). Ctrl-C finishes the revoke in flight, starts
no other, and says what is left.`,
		Example: `  accesstokens revoke project:PRJ 075905477751 075905477752
  accesstokens revoke --scope project:PRJ --where 'unused,name=ci-*' --yes
` + nightlyJob,
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
	fl.StringVar(&opts.PlanFile, "plan", "", "revoke exactly the tokens of the plan in `FILE` (revoke --where ... -o json); shows what it would do unless --yes")
	fl.BoolVar(&opts.Yes, "yes", false, "with --where or --plan: revoke, instead of showing the plan only")
	sel.register(cmd)
	rules.register(cmd)
	fl.IntVar(&opts.Concurrency, "concurrency", 8, "scopes read at once (with --where)")
	fl.StringVarP(&opts.Format, "output", "o", "table", "output `FORMAT`: table (lines for people) or json")
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues(revokeFormats...))
	return cmd
}

// parse validates the form chosen before any request.
func (o *RevokeOptions) parse(cmd *cobra.Command, args []string, where string, sel scopeFlags, rules rulesFlags) error {
	if o.Format != "table" && o.Format != "json" {
		return usageError("-o %q: revoke prints table or json", o.Format)
	}
	switch {
	case cmd.Flags().Changed("plan"):
		return o.parsePlanForm(cmd, args, sel)
	case cmd.Flags().Changed("where"):
		return o.parseWhereForm(args, where, sel, rules)
	}
	return o.parseIDForm(args, sel)
}

// parseIDForm reads `revoke SCOPE ID...`.
func (o *RevokeOptions) parseIDForm(args []string, sel scopeFlags) error {
	if sel.all || len(sel.scopes) > 0 {
		return usageError("--all and --scope select tokens for --where; to revoke by id: revoke SCOPE ID [ID ...]")
	}
	if len(args) < 2 {
		return usageError("revoke takes SCOPE and at least one ID, --where EXPR with --all or --scope, or --plan FILE (see 'accesstokens revoke --help')")
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

// parseWhereForm reads `revoke --where EXPR (--all | --scope S...)`.
func (o *RevokeOptions) parseWhereForm(args []string, where string, sel scopeFlags, rules rulesFlags) error {
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

// parsePlanForm reads `revoke --plan FILE`, the file included: a file that
// is not a plan is a usage error, found before any request.
func (o *RevokeOptions) parsePlanForm(cmd *cobra.Command, args []string, sel scopeFlags) error {
	if cmd.Flags().Changed("where") || sel.all || len(sel.scopes) > 0 {
		return usageError("--plan revokes the tokens of a saved plan: drop --where, --all and --scope (they make a new plan)")
	}
	if len(args) > 0 {
		return usageError("revoke --plan takes no SCOPE or ID arguments: the plan names the tokens")
	}
	plan, err := readPlanFile(o.PlanFile)
	if err != nil {
		return usageError("%s", namedValue("--plan", o.PlanFile, err.Error()))
	}
	o.Plan = plan
	return nil
}

func runRevoke(ctx context.Context, opts *RevokeOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	switch {
	case opts.Plan != nil:
		return runRevokePlan(ctx, opts, conn)
	case opts.Where != nil:
		return runRevokeWhere(ctx, opts, conn)
	}
	items := make([]revokeItem, len(opts.IDs))
	for i, id := range opts.IDs {
		items[i] = revokeItem{scope: opts.Scope, id: id}
	}
	return newRevoker(conn.Client.Tokens, opts).run(ctx, items)
}

// newRevoker is a revoker that reports as opts ask.
func newRevoker(tokens accesstokens.TokensService, opts *RevokeOptions) *revoker {
	return &revoker{tokens: tokens, report: newRevokeReport(opts.IO, opts.Format == "json")}
}

// checkPlanWritten turns a failure to write the plan into the command's error:
// a plan nobody could see is not acted on.
func checkPlanWritten(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("writing the plan: %w; nothing was revoked", err)
}
