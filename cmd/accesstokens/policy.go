package main

// accesstokens policy get | set DAYS | delete: the admin expiry policy, and
// what to say on a server that does not serve it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// PolicyOptions are the policy commands' flags and dependencies.
type PolicyOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Action string // "get", "set" or "delete"
	Days   int    // set
	Format string // get: table or json
}

// NewCmdPolicy wires `accesstokens policy get|set DAYS|delete`.
func NewCmdPolicy(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy (get | set DAYS | delete)",
		Short: "Read or change the server's token expiry policy (system admin)",
		Long: `The admin expiry policy: when set, every new token must expire within DAYS days.
Reading or changing it needs a system administrator.`,
		Example: `  accesstokens policy get
  accesstokens policy set 90
  accesstokens policy delete`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError("policy needs get, set DAYS or delete (see 'accesstokens policy --help')")
		},
	}
	cmd.AddCommand(newCmdPolicyGet(f, nil), newCmdPolicySet(f, nil), newCmdPolicyDelete(f, nil))
	return cmd
}

func newCmdPolicyGet(f *Factory, runF func(context.Context, *PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IO, Connect: f.Connect, Action: "get"}
	cmd := &cobra.Command{
		Use:     "get",
		Short:   "Show the expiry policy",
		Example: `  accesstokens policy get -o json`,
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Format != "table" && opts.Format != "json" {
				return usageError("-o %q: use table or json", opts.Format)
			}
			return runPolicyWith(cmd.Context(), opts, runF)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "output", "o", "table", "output `FORMAT`: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues("table", "json"))
	return cmd
}

func newCmdPolicySet(f *Factory, runF func(context.Context, *PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IO, Connect: f.Connect, Action: "set"}
	return &cobra.Command{
		Use:     "set DAYS",
		Short:   "Require every new token to expire within DAYS days",
		Example: `  accesstokens policy set 90`,
		Args:    argsBetween(1, 1, "DAYS"),
		RunE: func(cmd *cobra.Command, args []string) error {
			days, err := strconv.Atoi(args[0])
			if err != nil || days < 1 {
				return usageError("DAYS %q: a whole number of days, at least 1", args[0])
			}
			opts.Days = days
			return runPolicyWith(cmd.Context(), opts, runF)
		},
	}
}

func newCmdPolicyDelete(f *Factory, runF func(context.Context, *PolicyOptions) error) *cobra.Command {
	opts := &PolicyOptions{IO: f.IO, Connect: f.Connect, Action: "delete"}
	return &cobra.Command{
		Use:     "delete",
		Short:   "Make expiry optional again",
		Example: `  accesstokens policy delete`,
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runPolicyWith(cmd.Context(), opts, runF)
		},
	}
}

func runPolicyWith(ctx context.Context, opts *PolicyOptions, runF func(context.Context, *PolicyOptions) error) error {
	if runF != nil {
		return runF(ctx, opts)
	}
	return runPolicy(ctx, opts)
}

func runPolicy(ctx context.Context, opts *PolicyOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	admin := conn.Client.Admin
	switch opts.Action {
	case "set":
		if err := admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: opts.Days}); err != nil {
			return policyError(ctx, conn, "setting the expiry policy", err)
		}
		return printLine(opts.IO.Out, fmt.Sprintf("New tokens must now expire within %d days.", opts.Days))
	case "delete":
		if err := admin.DeleteExpiryPolicy(ctx); err != nil {
			return policyError(ctx, conn, "deleting the expiry policy", err)
		}
		return printLine(opts.IO.Out, "Expiry is optional again: no expiry policy is set.")
	}
	p, err := admin.GetExpiryPolicy(ctx)
	if err != nil {
		return policyError(ctx, conn, "reading the expiry policy", err)
	}
	if opts.Format == "json" {
		doc := struct {
			MaxExpiryDays *int `json:"maxExpiryDays"` // null: no policy
		}{}
		if p.MaxExpiryDays > 0 {
			doc.MaxExpiryDays = &p.MaxExpiryDays
		}
		raw, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		return printLine(opts.IO.Out, string(raw))
	}
	if p.MaxExpiryDays == 0 {
		return printLine(opts.IO.Out, "No expiry policy: tokens may never expire.")
	}
	return printLine(opts.IO.Out, fmt.Sprintf("New tokens must expire within %d days.", p.MaxExpiryDays))
}

// printLine writes line to stdout; a failed write (a full disk, a closed
// pipe) is the run's error: a policy change is never reported as printed
// when it was not.
func printLine(w io.Writer, line string) error {
	if _, err := fmt.Fprintln(w, line); err != nil {
		return fmt.Errorf("writing to stdout: %w", err)
	}
	return nil
}

// policyError says, when the server does not offer the policy endpoint
// (a 404), where the setting lives instead and what is known about which
// versions serve the endpoint, naming the version the server reports.
func policyError(ctx context.Context, conn *Connection, doing string, err error) error {
	if !errors.Is(err, accesstokens.ErrNotFound) {
		return fmt.Errorf("%s: %w", doing, err)
	}
	version := "the server did not say its version"
	if info, ierr := conn.ServerInfo(ctx); ierr == nil && info.Version != "" {
		version = "the server reports Bitbucket " + textsafe.Terminal(info.Version)
	}
	return fmt.Errorf("%s: %w; %s. Set token expiry in the web interface instead: Administration › Keys and tokens › Automatic expiry. "+
		"The endpoint is documented for Bitbucket 8.3 and absent from Atlassian's 9.2 and 9.4 specifications; whether 9.x servers serve it is unknown",
		doing, err, version)
}
