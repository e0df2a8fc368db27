// The root command: every command under it, its help, and what a mistyped
// command or flag says.

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
)

// NewCmdRoot wires every command under `accesstokens`.
func NewCmdRoot(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "accesstokens <command> [flags]",
		Short: "Keep a Bitbucket Data Center server's access tokens in order",
		Long: `Find every personal, project and repository access token of a Bitbucket Data Center
server, see which are expired, about to expire, never used or too powerful, rotate
them without downtime and revoke them in bulk.

Connection: --url or BITBUCKET_URL; credentials from BITBUCKET_TOKEN, or
BITBUCKET_USERNAME with BITBUCKET_PASSWORD, or --username with --password-stdin.
--demo runs any command against a built-in fake server instead, as admin.

Scopes are written user:SLUG, project:KEY or repo:KEY/SLUG.

Exit codes: 0 done; 1 failed, or some scopes could not be read; 2 usage error
(found before any request); 3 findings matched --fail-on.`,
		Example: `  accesstokens audit --all --demo
  accesstokens list project:PRJ
  accesstokens audit --all --fail-on expired,expiring -o jsonl > tokens.jsonl`,
		Version:       accesstokens.Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	f.conn.register(cmd.PersistentFlags())
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// "audti --all": a mistyped command whose flags are not the
		// parent's; the command is what to correct, not the flag.
		if args := c.Flags().Args(); c.HasAvailableSubCommands() && len(args) > 0 {
			return unknownCommand(c, args[0])
		}
		return usageError("%v (see '%s --help')", err, c.CommandPath())
	})
	cmd.AddGroup(&cobra.Group{ID: "tokens", Title: "Token commands:"}, &cobra.Group{ID: "server", Title: "Server-wide commands:"})
	for _, sub := range []*cobra.Command{
		NewCmdList(f, nil),
		NewCmdGet(f, nil),
		NewCmdCreate(f, nil),
		NewCmdUpdate(f, nil),
		NewCmdRevoke(f, nil),
		NewCmdRotate(f, nil),
		NewCmdExec(f, nil),
		NewCmdIdentify(f, nil),
	} {
		sub.GroupID = "tokens"
		cmd.AddCommand(sub)
	}
	for _, sub := range []*cobra.Command{
		NewCmdAudit(f, nil),
		NewCmdPolicy(f),
	} {
		sub.GroupID = "server"
		cmd.AddCommand(sub)
	}
	setUpCompletion(cmd)
	registerCompletions(cmd)
	return cmd
}

// noArgs refuses positional arguments (an unknown command name, for one)
// with a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return unknownCommand(cmd, args[0])
	}
	return nil
}

// unknownCommand is the usage error for a word that is no command of cmd,
// with cobra's suggestions of the commands it may have meant.
func unknownCommand(cmd *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %s for %q", argText(name), cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's own default, set where it suggests
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 && !looksLikeSecret(name) {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageError("%s (see '%s --help')", msg, cmd.CommandPath())
}

// argsBetween wants lo to hi (-1: any number) positional arguments, named in the message.
func argsBetween(lo, hi int, names string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return usageError("%s takes %s (see '%s --help')", cmd.CommandPath(), names, cmd.CommandPath())
		}
		return nil
	}
}
