package main

import (
	"bytes"
	"fmt"
	"io"
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
	if !io.showProgress() {
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
	if !io.showProgress() {
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

// done clears the bar off the terminal for good.
func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}

// stdout is where a report goes while the bar is shown: when stdout is a
// terminal too (most likely the same one), a writer that hands it whole
// lines only, each time after clearing the bar off its line, so that the bar
// never lands inside a line of the report nor erases one (the bar comes back
// at its next update). Its flush writes an unfinished last line; call it
// after done. Otherwise stdout itself.
func (p *progress) stdout(streams *IOStreams) (out io.Writer, flush func() error) {
	if p.bar == nil || !streams.OutTTY {
		return streams.Out, func() error { return nil }
	}
	lw := &lineWriter{out: streams.Out, bar: p}
	return lw, lw.flush
}

// lineWriter passes whole lines to out, clearing the bar first; it holds
// back at most the one unfinished line.
type lineWriter struct {
	out     io.Writer
	bar     *progress
	pending []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.pending = append(w.pending, b...)
	end := bytes.LastIndexByte(w.pending, '\n') + 1
	if end == 0 {
		return len(b), nil
	}
	if w.bar.bar != nil {
		_ = w.bar.bar.Clear()
	}
	if _, err := w.out.Write(w.pending[:end]); err != nil {
		return 0, err
	}
	w.pending = append(w.pending[:0], w.pending[end:]...)
	return len(b), nil
}

func (w *lineWriter) flush() error {
	if len(w.pending) == 0 {
		return nil
	}
	_, err := w.out.Write(w.pending)
	w.pending = w.pending[:0]
	return err
}
