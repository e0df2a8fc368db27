// audit --state FILE and --resume: opening the progress file, and keeping
// or removing it when the audit ends.

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// openState opens --state FILE, or returns nil without one: a new file, or
// with --resume the file to go on from (a new one if it does not exist).
// A file that exists without --resume, is damaged, or records another
// server or other scopes, is a usage error, before any request.
func openState(opts *AuditOptions, conn *Connection) (*audit.State, error) {
	if opts.StateFile == "" {
		return nil, nil
	}
	key := audit.StateKey{Server: stateServer(conn), Selection: opts.Select.String()}
	if !opts.Resume {
		st, err := audit.CreateState(opts.StateFile, key)
		if errors.Is(err, audit.ErrStateExists) {
			return nil, usageError("--state %q exists: add --resume to go on with the audit it records, or remove it to start over", opts.StateFile)
		}
		if err != nil {
			return nil, usageError("--state %q: %v", opts.StateFile, errors.Unwrap(err))
		}
		return st, nil
	}
	st, err := audit.ResumeState(opts.StateFile, key)
	if errors.As(err, new(*accesstokens.InvalidArgumentError)) {
		return nil, err // refused: a usage error naming --state (exitCodeOf)
	}
	if err != nil {
		return nil, usageError("--state %q: %v", opts.StateFile, errors.Unwrap(err))
	}
	if n := st.Resumed(); n > 0 {
		fmt.Fprintf(opts.IO.ErrOut, "accesstokens: resuming: %s read before, recorded in %s, are not read again\n", plural(n, "scope"), opts.StateFile)
	}
	return st, nil
}

// stateServer names the server in a state file: its URL, or "demo" for the
// demo server, whose address changes from run to run while its world does not.
func stateServer(conn *Connection) string {
	if conn.Demo {
		return "demo"
	}
	return strings.TrimRight(conn.URL, "/")
}

// finishState ends the progress file of an audit that ran to its end: it
// is removed when every scope was read, and kept when some could not be,
// for --resume to read those again.
func finishState(io *IOStreams, state *audit.State, s *audit.Summary) error {
	if state == nil {
		return nil
	}
	if s.Complete() {
		return state.Remove()
	}
	if err := state.Close(); err != nil {
		return err
	}
	fmt.Fprintf(io.ErrOut, "accesstokens: progress kept in %s: run the same command with --resume to read the %s left\n",
		state.Path(), plural(len(s.Failed), "scope"))
	return nil
}

// closeUnusedState ends the progress file of an audit that stopped before
// reading: a file that records nothing goes, one that does stays as it was.
func closeUnusedState(state *audit.State) {
	if state == nil {
		return
	}
	if state.Resumed() == 0 {
		_ = state.Remove()
		return
	}
	_ = state.Close()
}
