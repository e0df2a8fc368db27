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

// interrupts turns Ctrl-C (SIGINT) and SIGTERM into two stages for commands
// that change tokens (rotate, revoke): the first asks them to stop after the
// step in flight, which then finishes or is undone, so that nothing is left
// half-done; a second one cancels the step in flight as well (the SDK then
// undoes what it can and says which ids exist).
type interrupts struct {
	// Stop is closed at the first signal: start nothing new.
	Stop <-chan struct{}
	// Ctx is cancelled at the second signal: abandon the step in flight.
	Ctx context.Context

	stop    chan struct{}
	cancel  context.CancelFunc
	signals chan os.Signal
	done    chan struct{}
	wg      sync.WaitGroup
}

// trapInterrupts starts catching signals; release restores the default
// behaviour. notice is written to errOut when the first signal arrives.
func trapInterrupts(parent context.Context, errOut io.Writer, notice string) *interrupts {
	ctx, cancel := context.WithCancel(parent)
	in := &interrupts{
		Ctx:     ctx,
		stop:    make(chan struct{}),
		cancel:  cancel,
		signals: make(chan os.Signal, 2),
		done:    make(chan struct{}),
	}
	in.Stop = in.stop
	signal.Notify(in.signals, os.Interrupt, syscall.SIGTERM)
	in.wg.Add(1)
	go in.watch(errOut, notice)
	return in
}

func (in *interrupts) watch(errOut io.Writer, notice string) {
	defer in.wg.Done()
	for n := 0; ; n++ {
		select {
		case <-in.done:
			return
		case <-in.signals:
		}
		if n == 0 {
			close(in.stop)
			fmt.Fprintln(errOut, "accesstokens: interrupted: "+notice+" (interrupt again to abandon it)")
			continue
		}
		in.cancel() // before saying so: whoever reads the notice may rely on it
		fmt.Fprintln(errOut, "accesstokens: interrupted again: abandoning the step in flight")
		return
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
