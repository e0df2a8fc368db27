package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// Shell completion: cobra's completion and help commands get examples, and
// arguments and flag values complete from what they can be (scope kinds,
// formats, findings, --where terms, permissions) instead of file names.

// setUpCompletion adds examples to cobra's own commands; call it once every
// command is added.
func setUpCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		switch c.Name() {
		case "help":
			c.Example = "  accesstokens help audit"
		case "completion":
			c.Example = "  source <(accesstokens completion bash)\n  accesstokens completion zsh > \"${fpath[1]}/_accesstokens\""
			for _, shell := range c.Commands() {
				shell.Example = "  accesstokens completion " + shell.Name() + " > accesstokens-completion." + shell.Name()
			}
		}
	}
}

// completeValues offers the values that start with what was typed (ignoring
// case; offered in the case typed), never file names.
func completeValues(values ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return matching(values, "", toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// completeList offers the next item of a comma-separated list: items already
// in it are not offered again; extra items (such as "name=") are offered as
// they are, without a space after them.
func completeList(items []string, extra ...string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cut := strings.LastIndexByte(toComplete, ',') + 1
		done, last := toComplete[:cut], toComplete[cut:]
		var left []string
		for _, it := range items {
			if !strings.Contains(","+done, ","+it+",") {
				left = append(left, it)
			}
		}
		out := matching(left, done, last)
		directive := cobra.ShellCompDirectiveNoFileComp
		if more := matching(extra, done, last); len(more) > 0 {
			out = append(out, more...)
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		return out, directive
	}
}

func matching(values []string, prefix, typed string) []cobra.Completion {
	var out []cobra.Completion
	lower := typed == strings.ToLower(typed)
	for _, v := range values {
		if !strings.HasPrefix(strings.ToLower(v), strings.ToLower(typed)) {
			continue
		}
		if lower {
			v = strings.ToLower(v)
		}
		out = append(out, prefix+v)
	}
	return out
}

// completeScope offers the scope kinds until one is chosen: "user:",
// "project:", "repo:" (no space after them; the slug or key is the user's).
func completeScope(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return matching([]string{"user:", "project:", "repo:"}, "", toComplete), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeScopeFirst completes a command's first argument, a SCOPE.
func completeScopeFirst(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return completeScope(cmd, args, toComplete)
}

func findingNames() []string {
	var names []string
	for _, f := range audit.AllFindings() {
		names = append(names, string(f))
	}
	return names
}

var permissionNames = []string{
	string(accesstokens.ProjectRead), string(accesstokens.ProjectWrite), string(accesstokens.ProjectAdmin),
	string(accesstokens.RepoRead), string(accesstokens.RepoWrite), string(accesstokens.RepoAdmin),
}

// registerCompletions wires value completion for the flags of cmd and of the
// commands under it, unless a command set its own.
func registerCompletions(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		registerCompletions(sub)
	}
	register := func(flag string, f cobra.CompletionFunc) {
		if _, set := cmd.GetFlagCompletionFunc(flag); !set && cmd.Flags().Lookup(flag) != nil {
			_ = cmd.RegisterFlagCompletionFunc(flag, f)
		}
	}
	register("scope", completeScope)
	register("fail-on", completeList(findingNames()))
	register("where", completeList(findingNames(), "name=", "created-before=", "created-after=", "owner="))
	register("perm", completeList(permissionNames))
	for _, flag := range []string{"name", "expiry-days", "expiring", "unused", "concurrency", "exec", "now"} {
		register(flag, cobra.NoFileCompletions)
	}
}
