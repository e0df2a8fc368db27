// A worker of Run: reads one scope after another and hands their tokens,
// classified, to Run's emitting goroutine in batches.

package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/bbdc-tools/accesstokens"
)

// batchSize is how many tokens a worker hands over at a time.
const batchSize = 256

// firstBatchRoom is the room a scope's first batch gets with its first
// token: most scopes hold a few tokens, and growing a batch from one token
// copies it three times before it holds four.
const firstBatchRoom = 4

// batch is up to batchSize classified tokens of one scope, on their way
// from a worker to emit.
type batch struct {
	target int // index into run.targets
	tokens []Token
	last   bool  // the scope's last batch: the scope is done
	err    error // with last: why the scope could not be read; nil when it was
}

// worker reads scopes for one Run.
type worker struct {
	run     *run
	tokens  accesstokens.TokensService
	ctx     context.Context
	stop    context.CancelCauseFunc
	results chan<- *batch

	// answered, for the run's first worker only, lets the others start: it
	// is called once the first scope has a token, or has been read or
	// refused (after an authentication failure has stopped the run).
	answered func()
}

// read reads one target and hands its tokens over in batches. It returns
// false when the run is stopping.
func (w *worker) read(target int) bool {
	if w.ctx.Err() != nil {
		return false
	}
	if w.answered != nil {
		defer w.answered() // after the stop below, if credentials failed
	}
	scope := w.run.targets[target].Scope
	b := &batch{target: target}
	var readErr error
	for t, err := range w.tokens.All(w.ctx, scope, &accesstokens.ListOptions{Limit: w.run.pageSize}) {
		unread, err := readAsFar(&t, err)
		if err != nil {
			readErr = err
			break
		}
		if w.answered != nil {
			w.answered()
		}
		if len(b.tokens) == batchSize {
			if !w.send(b) {
				return false
			}
			// Most scopes hold a few tokens, so a first batch grows as
			// needed; one that filled a batch likely fills the next.
			b = &batch{target: target, tokens: make([]Token, 0, batchSize)}
		}
		if b.tokens == nil {
			b.tokens = make([]Token, 0, firstBatchRoom)
		}
		b.tokens = append(b.tokens, w.run.classify(target, &t, unread))
	}
	if readErr != nil && w.ctx.Err() != nil {
		return false
	}
	if errors.Is(readErr, accesstokens.ErrAuthentication) {
		w.stop(fmt.Errorf("audit: reading %s: authentication failed, stopping: %w", scope, readErr))
		return false
	}
	b.last, b.err = true, readErr
	return w.send(b)
}

// readAsFar is what a worker makes of one of All's yields: a token read in
// full (no error); a token with dates that could not be read (an
// *accesstokens.InvalidTokenError), kept as far as it was read, with the
// names of those dates; or the error that ends the scope.
func readAsFar(t *accesstokens.AccessToken, err error) (unread []string, _ error) {
	var inv *accesstokens.InvalidTokenError
	switch {
	case err == nil:
		return nil, nil
	case !errors.As(err, &inv):
		return nil, err
	case t.ID == "":
		*t = inv.Token // a stub that yields the error alone
	}
	return UnreadDatesOf(inv), nil
}

// send hands a batch to the emitting goroutine, unless the run stops first.
func (w *worker) send(b *batch) bool {
	select {
	case w.results <- b:
		return true
	case <-w.ctx.Done():
		return false
	}
}
