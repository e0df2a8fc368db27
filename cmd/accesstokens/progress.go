// The progress line on a terminal's stderr: a spinner or a bar of scopes,
// what the client waits for, and whole report lines around it.

package main

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bbdc-tools/accesstokens/audit"
)

// progress shows how a long read goes (scopes done/total, tokens seen, tokens
// a second, elapsed time), and what the client waits for, on stderr, only
// when stderr is a terminal: never on stdout, never in a pipe or a CI log.
type progress struct {
	// mu orders every use of bar: the read's own updates, the report's
	// lines on the same terminal, and the redraws of the wait line.
	mu   sync.Mutex
	bar  *progressbar.ProgressBar // nil: not shown
	line string                   // the description without the wait

	waits *waitBoard    // nil: waits are not shown
	kick  chan struct{} // a new wait: redraw now
	stop  chan struct{} // closed by done
	ended chan struct{} // closed when the redrawing goroutine returns
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
	return &progress{bar: progressbar.NewOptions(-1, progressOptions(io, description)...), line: description}
}

// tick moves the spinner.
func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Add(1)
	}
}

// newProgress shows a bar of total scopes.
func newProgress(io *IOStreams, total int) *progress {
	if !io.showProgress() {
		return &progress{}
	}
	const description = "reading scopes"
	opts := append(progressOptions(io, description), progressbar.OptionShowCount())
	return &progress{bar: progressbar.NewOptions(total, opts...), line: description}
}

// showing adds to the line what the client waits for, as b tells it: at
// once when a wait begins, then every second while it lasts (counting down,
// or up for an attempt without an answer), and gone when it ends. Nil b, or
// a progress not shown, shows no waits. It returns p.
func (p *progress) showing(b *waitBoard) *progress {
	if b == nil || p.bar == nil {
		return p
	}
	p.waits, p.kick, p.stop, p.ended = b, make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	b.follow(func() {
		select {
		case p.kick <- struct{}{}:
		default: // a redraw is due already
		}
	})
	go p.redrawWaits()
	return p
}

// waitRedraw is how often a wait shown is redrawn: its seconds count.
const waitRedraw = time.Second

// redrawWaits redraws the line when a wait begins and every waitRedraw
// while one is shown, until done.
func (p *progress) redrawWaits() {
	defer close(p.ended)
	ticker := time.NewTicker(waitRedraw)
	defer ticker.Stop()
	shown := false // the line shows a wait now
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		case <-ticker.C:
			if !shown && p.waits.line(time.Now()) == "" {
				continue // nothing to show, nothing to take away
			}
		}
		shown = p.redraw()
	}
}

// redraw describes the line anew; it reports whether a wait is shown.
func (p *progress) redraw() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return false
	}
	desc, waiting := p.describe(time.Now())
	p.bar.Describe(desc)
	return waiting
}

// describe is the line with the wait under way at now, if any (p.mu held).
func (p *progress) describe(now time.Time) (string, bool) {
	if p.waits == nil {
		return p.line, false
	}
	if w := p.waits.line(now); w != "" {
		return p.line + "; " + w, true
	}
	return p.line, false
}

// update is audit.Options.Progress: called after each scope, serially. The
// line is built only when a bar shows it.
func (p *progress) update(pr audit.Progress) {
	if p.onTerminal() {
		p.set(progressLine(pr), pr.ScopesDone)
	}
}

// onTerminal says whether a bar is on the terminal.
func (p *progress) onTerminal() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bar != nil
}

// set shows line and done scopes, after a scope was read.
func (p *progress) set(line string, done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	if p.waits != nil {
		p.waits.settled() // a scope was read: answers are coming in
	}
	p.line = line
	desc, _ := p.describe(time.Now())
	p.bar.Describe(desc)
	_ = p.bar.Set(done)
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
	if p.waits != nil {
		p.waits.follow(nil)
		close(p.stop)
		<-p.ended
		p.waits = nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
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
	w.bar.mu.Lock()
	defer w.bar.mu.Unlock()
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
