package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bbdc-tools/accesstokens/audit"
)

// progress shows how a long read goes (scopes done/total, tokens seen, tokens
// a second, elapsed time) on stderr, only when stderr is a terminal: never
// on stdout, never in a pipe or a CI log.
type progress struct {
	bar *progressbar.ProgressBar // nil: not shown
}

// progressOptions are shared by the spinner and the bar.
func progressOptions(io *IOStreams, description string) []progressbar.Option {
	return []progressbar.Option{
		progressbar.OptionSetWriter(io.ErrOut),
		progressbar.OptionSetDescription(description),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(24),
	}
}

// newSpinner shows that something is under way when its size is unknown
// (listing the server's scopes).
func newSpinner(io *IOStreams, description string) *progress {
	if !io.ErrTTY {
		return &progress{}
	}
	return &progress{bar: progressbar.NewOptions(-1, progressOptions(io, description)...)}
}

// tick moves the spinner.
func (p *progress) tick() {
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

// newProgress shows a bar of total scopes.
func newProgress(io *IOStreams, total int) *progress {
	if !io.ErrTTY {
		return &progress{}
	}
	opts := append(progressOptions(io, "reading scopes"), progressbar.OptionShowCount())
	return &progress{bar: progressbar.NewOptions(total, opts...)}
}

// update is audit.Options.Progress: called after each scope, serially.
func (p *progress) update(pr audit.Progress) {
	if p.bar == nil {
		return
	}
	p.bar.Describe(progressLine(pr))
	_ = p.bar.Set(pr.ScopesDone)
}

// progressLine describes the tokens part: "1,234 tokens, 560/s, 2 failed".
func progressLine(pr audit.Progress) string {
	s := fmt.Sprintf("%d tokens", pr.Tokens)
	if secs := pr.Elapsed.Seconds(); secs > 0 {
		s += fmt.Sprintf(", %.0f/s", float64(pr.Tokens)/secs)
	}
	if pr.Failed > 0 {
		s += fmt.Sprintf(", %d scopes failed", pr.Failed)
	}
	return s
}

// done clears the bar off the terminal.
func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
