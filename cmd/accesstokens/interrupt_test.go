package main

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// watched is an interrupts watching signals sent by the test, not the
// process's; exits records the exit codes asked for.
func watched(t *testing.T, readOnly bool) (in *interrupts, errOut *syncBuffer, exits chan int) {
	t.Helper()
	in = newInterrupts(context.Background(), readOnly)
	exits = make(chan int, 1)
	in.exit = func(code int) { exits <- code }
	errOut = &syncBuffer{}
	in.wg.Add(1)
	go in.watch(errOut, "stopping")
	t.Cleanup(func() {
		close(in.done)
		in.wg.Wait()
	})
	return in, errOut, exits
}

// TestReadInterruptsStopReadsThenQuitAtOnce: for audit and list, the first
// signal cancels the reads (what was read is then written); the second
// quits at once with 130, whatever the command is stuck on.
func TestReadInterruptsStopReadsThenQuitAtOnce(t *testing.T) {
	t.Parallel()
	in, errOut, exits := watched(t, true)
	in.signals <- os.Interrupt
	<-in.Ctx.Done() // the reads are cancelled at the first signal
	assert.True(t, in.Stopped())
	in.signals <- os.Interrupt
	assert.Equal(t, exitInterrupted, <-exits)
	assert.Equal(t, "accesstokens: interrupted: stopping (interrupt again to quit at once)\n"+
		"accesstokens: interrupted again: quitting\n", errOut.String())
}

// TestChangeInterruptsKeepTheirTwoStages: rotate and revoke keep theirs:
// the first signal only asks to stop after the step in flight, the second
// abandons it; neither ends the process.
func TestChangeInterruptsKeepTheirTwoStages(t *testing.T) {
	t.Parallel()
	in, errOut, exits := watched(t, false)
	in.signals <- os.Interrupt
	<-in.Stop
	require.NoError(t, in.Ctx.Err(), "the step in flight goes on after the first signal")
	in.signals <- os.Interrupt
	<-in.Ctx.Done()
	assert.Empty(t, exits)
	assert.Contains(t, errOut.String(), "(interrupt again to abandon it)")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
