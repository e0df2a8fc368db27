// Ctrl-C and SIGTERM: two stages, for the commands that change tokens
// (rotate, revoke) and for those that only read (audit, list).

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interrupts turns Ctrl-C (SIGINT) and SIGTERM into two stages.
//
// For commands that change tokens (rotate, revoke: trapInterrupts), the
// first asks them to stop after the step in flight, which then finishes or
// is undone, so that nothing is left half-done; a second one cancels the
// step in flight as well (the SDK then undoes what it can and says which
// ids exist).
//
// For commands that only read (audit, list: trapReadInterrupts), the first
// cancels the reads, and the command writes what it read; a second one ends
// the process at once, with exit code 130.
type interrupts struct {
	// Stop is closed at the first signal: start nothing new.
	Stop <-chan struct{}
	// Ctx is cancelled at the second signal (changing commands), or at the
	// first (reading commands): abandon what is in flight.
	Ctx context.Context

	readOnly bool
	exit     func(code int) // os.Exit; a second signal to a reading command
	stop     chan struct{}
	cancel   context.CancelFunc
	signals  chan os.Signal
	done     chan struct{}
	wg       sync.WaitGroup
}

// trapInterrupts starts catching signals for a command that changes
// tokens; release restores the default behaviour. notice is written to
// errOut when the first signal arrives.
func trapInterrupts(parent context.Context, errOut io.Writer, notice string) *interrupts {
	in := newInterrupts(parent, false)
	in.start(errOut, notice)
	return in
}

// trapReadInterrupts starts catching signals for a command that only
// reads; release restores the default behaviour.
func trapReadInterrupts(parent context.Context, errOut io.Writer) *interrupts {
	in := newInterrupts(parent, true)
	in.start(errOut, "stopping the reads, writing what was read")
	return in
}

func newInterrupts(parent context.Context, readOnly bool) *interrupts {
	ctx, cancel := context.WithCancel(parent)
	in := &interrupts{
		Ctx:      ctx,
		readOnly: readOnly,
		exit:     os.Exit,
		stop:     make(chan struct{}),
		cancel:   cancel,
		signals:  make(chan os.Signal, 2),
		done:     make(chan struct{}),
	}
	in.Stop = in.stop
	return in
}

func (in *interrupts) start(errOut io.Writer, notice string) {
	signal.Notify(in.signals, os.Interrupt, syscall.SIGTERM)
	in.wg.Add(1)
	go in.watch(errOut, notice)
}

func (in *interrupts) watch(errOut io.Writer, notice string) {
	defer in.wg.Done()
	again := "abandon it"
	if in.readOnly {
		again = "quit at once"
	}
	for n := 0; ; n++ {
		select {
		case <-in.done:
			return
		case <-in.signals:
		}
		switch {
		case n == 0:
			close(in.stop)
			if in.readOnly {
				in.cancel()
			}
			fmt.Fprintln(errOut, "accesstokens: interrupted: "+notice+" (interrupt again to "+again+")")
		case in.readOnly:
			fmt.Fprintln(errOut, "accesstokens: interrupted again: quitting")
			in.exit(exitInterrupted)
			return
		default:
			in.cancel() // before saying so: whoever reads the notice may rely on it
			fmt.Fprintln(errOut, "accesstokens: interrupted again: abandoning the step in flight")
			return
		}
	}
}

// Stopped reports whether the first signal has arrived.
func (in *interrupts) Stopped() bool {
	select {
	case <-in.stop:
		return true
	default:
		return false
	}
}

// release stops catching signals.
func (in *interrupts) release() {
	signal.Stop(in.signals)
	close(in.done)
	in.wg.Wait()
	in.cancel()
}
