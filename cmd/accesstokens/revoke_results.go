// Revoking a list of tokens one after the other, and reporting each outcome:
// as lines for people, or as one JSON document of what was revoked, what
// failed and what was skipped.

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// revokeItem is one token to revoke; name is known only from a plan.
type revokeItem struct {
	scope accesstokens.Scope
	id    string
	name  string
}

// String is the token as a line shows it: its scope, id and, when known,
// its name quoted as every message quotes one (quoted).
func (it revokeItem) String() string {
	s := textsafe.Terminal(it.scope.String()) + " " + it.id
	if it.name == "" {
		return s
	}
	return s + " " + quoted(it.name)
}

// terminalError is an error as revoke shows it, on a line or in its json:
// without the SDK's prefixes, every character of a server's text that
// could act on a terminal (a line break among them) escaped.
func terminalError(err error) string {
	return textsafe.Terminal(strings.ReplaceAll(err.Error(), "accesstokens: ", ""))
}

// revoker revokes tokens one after the other. A failure does not stop the
// rest, except a failed authentication (hammering could lock the account)
// or Ctrl-C (the revoke in flight finishes, no other starts).
type revoker struct {
	tokens accesstokens.TokensService
	report *revokeReport
	// recheck, when set, reads a token again before its revoke: a reason
	// skips it (it changed, or is gone), an error fails it.
	recheck func(context.Context, revokeItem) (reason string, err error)
}

// run revokes items and reports each. The exit code is 1 when anything was
// neither revoked nor skipped, or when the report could not be written.
func (r *revoker) run(ctx context.Context, items []revokeItem) error {
	in := trapInterrupts(ctx, r.report.io.ErrOut, "finishing the revoke in flight, starting no other")
	defer in.release()
	var stopped error
	for i, it := range items {
		if in.Stopped() {
			stopped = errors.New("interrupted")
		}
		if stopped != nil {
			r.report.notAttempted(items[i:], stopped)
			break
		}
		if err := r.revoke(in.Ctx, it); errors.Is(err, accesstokens.ErrAuthentication) {
			stopped = errors.New("authentication failed, stopping")
		}
	}
	return r.report.finish(len(items))
}

// revoke rechecks and revokes one token, reporting the outcome; it returns
// the error of a failure.
func (r *revoker) revoke(ctx context.Context, it revokeItem) error {
	if r.recheck != nil {
		reason, err := r.recheck(ctx, it)
		if err != nil {
			r.report.failed(it, err, "reading it again before the revoke: "+terminalError(err)+"; not revoked")
			return err
		}
		if reason != "" {
			r.report.skipped(it, reason)
			return nil
		}
	}
	err := r.tokens.Delete(ctx, it.scope, it.id)
	switch {
	case err == nil:
		r.report.revoked(it)
	case errors.Is(err, accesstokens.ErrOutcomeUnknown), errors.Is(err, context.Canceled):
		r.report.failed(it, err, fmt.Sprintf("%s; it may or may not be revoked: check with 'accesstokens get %s %s'",
			terminalError(err), textsafe.Terminal(it.scope.String()), it.id))
	default:
		r.report.failed(it, err, terminalError(err))
	}
	return err
}

// revokeResults is revoke's -o json document; each list is [] when empty.
type revokeResults struct {
	Revoked []revokedToken `json:"revoked"`
	Failed  []failedToken  `json:"failed"`
	Skipped []skippedToken `json:"skipped"`
}

type revokedToken struct {
	Scope string `json:"scope"`
	ID    string `json:"id"`
}

type failedToken struct {
	Scope string `json:"scope"`
	ID    string `json:"id"`
	Error string `json:"error"`
}

type skippedToken struct {
	Scope  string `json:"scope"`
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// revokeReport says what happened to each token: "revoked" lines on stdout
// (or, with -o json, one document at the end); failures, skips and what was
// not attempted on stderr, in both forms, for whoever watches the run.
type revokeReport struct {
	io      *IOStreams
	json    bool
	results revokeResults
	// notAttempted counts the failures that are tokens a stop left alone.
	notAttemptedCount int
	outErr            error // the first failure to write stdout
}

func newRevokeReport(io *IOStreams, asJSON bool) *revokeReport {
	return &revokeReport{io: io, json: asJSON, results: revokeResults{
		Revoked: []revokedToken{}, Failed: []failedToken{}, Skipped: []skippedToken{},
	}}
}

func (r *revokeReport) revoked(it revokeItem) {
	r.results.Revoked = append(r.results.Revoked, revokedToken{Scope: it.scope.String(), ID: it.id})
	if !r.json {
		r.writeOut("revoked " + it.String() + "\n")
	}
}

// failed records a token not revoked because of err; line says so on stderr.
func (r *revokeReport) failed(it revokeItem, err error, line string) {
	r.results.Failed = append(r.results.Failed, failedToken{Scope: it.scope.String(), ID: it.id, Error: terminalError(err)})
	fmt.Fprintf(r.io.ErrOut, "failed  %s: %s\n", it, line)
}

func (r *revokeReport) skipped(it revokeItem, reason string) {
	r.results.Skipped = append(r.results.Skipped, skippedToken{Scope: it.scope.String(), ID: it.id, Reason: reason})
	fmt.Fprintf(r.io.ErrOut, "skipped %s: %s\n", it, reason)
}

// notAttempted records the tokens a stop left alone, as failures naming why.
func (r *revokeReport) notAttempted(items []revokeItem, why error) {
	fmt.Fprintf(r.io.ErrOut, "accesstokens: %v: %s not revoked:\n", why, plural(len(items), "token"))
	r.notAttemptedCount += len(items)
	for _, it := range items {
		r.results.Failed = append(r.results.Failed, failedToken{Scope: it.scope.String(), ID: it.id, Error: "not attempted: " + why.Error()})
		fmt.Fprintf(r.io.ErrOut, "not revoked %s\n", it)
	}
}

// writeOut writes to stdout, keeping the first failure for finish.
func (r *revokeReport) writeOut(s string) {
	if r.outErr != nil {
		return
	}
	if _, err := io.WriteString(r.io.Out, s); err != nil {
		r.outErr = err
	}
}

// finish writes the JSON document (with -o json) and returns the run's
// error: exit 1 when a token of the total was neither revoked nor skipped,
// or stdout could not be written, with a line that counts each outcome.
func (r *revokeReport) finish(total int) error {
	if r.json {
		doc, err := json.MarshalIndent(r.results, "", "  ")
		if err != nil {
			return err
		}
		r.writeOut(string(doc) + "\n")
	}
	revoked, skipped := len(r.results.Revoked), len(r.results.Skipped)
	notAttempted := r.notAttemptedCount
	failed := len(r.results.Failed) - notAttempted
	counts := fmt.Sprintf("revoked %d of %s; ", revoked, plural(total, "token"))
	if skipped > 0 {
		counts += fmt.Sprintf("%d skipped, ", skipped)
	}
	counts += fmt.Sprintf("%d failed, %d not attempted", failed, notAttempted)
	switch {
	case r.outErr != nil:
		return &exitError{code: exitFailed, err: fmt.Errorf("%s; writing the report to stdout: %w", counts, r.outErr)}
	case failed+notAttempted > 0:
		return &exitError{code: exitFailed, err: errors.New(counts)}
	case skipped > 0:
		fmt.Fprintf(r.io.ErrOut, "accesstokens: %s\n", counts)
	}
	return nil
}
