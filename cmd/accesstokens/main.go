// Command accesstokens keeps a whole Bitbucket Data Center server's access
// tokens in order: it finds every personal, project and repository token,
// flags the expired, expiring, never-expiring, unused and admin-powered ones,
// rotates tokens without downtime and revokes them in bulk.
//
//	go run ./cmd/accesstokens audit --all --demo
//
// The contract (commands, flags, findings, output formats and exit codes) is
// in the README's CLI section; `accesstokens help` and `--help` on every
// command show it with examples.
package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// gcPercent is the command's garbage-collection target (GOGC) when the
// environment sets none. An audit keeps a few megabytes live while it
// allocates hundreds, so Go's default of 100 collects every couple of
// megabytes; 150 saves 11-15% of an audit's CPU for about 1 MB more with
// -o jsonl and 15% more with the formats that hold every token
// (BENCHMARKS.md, "The command's garbage collector").
const gcPercent = 150

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(context.Background(), os.Args[1:], SystemIO(), os.Getenv))
}

// run is the whole command with its arguments, streams and environment
// passed in; it returns the exit code.
func run(ctx context.Context, args []string, io *IOStreams, getenv func(string) string) int {
	f := &Factory{IO: io, Getenv: getenv}
	defer f.Close()
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	f.reading = isReadingCommand(root, args)
	code, err := exitCodeOf(root.ExecuteContext(ctx))
	if err = explainTimeout(f.adviseOnRefusal(err), f.conn.timeout); err != nil {
		fmt.Fprintln(io.ErrOut, errorLine(err))
	}
	return code
}

// readingCommands only read (revoke: its walk and plan; its deletes keep the
// usual retries): their GETs wait out 429s up to --max-wait.
var readingCommands = map[string]bool{
	"audit": true, "list": true, "get": true, "revoke": true, "identify": true, "policy get": true,
}

// isReadingCommand reports whether args run one of readingCommands.
func isReadingCommand(root *cobra.Command, args []string) bool {
	cmd, _, err := root.Find(args)
	return err == nil && readingCommands[commandName(cmd)]
}

// commandName is a command's path below the root: "list", "policy get".
func commandName(cmd *cobra.Command) string {
	name := cmd.Name()
	for p := cmd.Parent(); p != nil && p.HasParent(); p = p.Parent() {
		name = p.Name() + " " + name
	}
	return name
}
