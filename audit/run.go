// Run: the audit's read loop. Workers read scopes concurrently (worker.go);
// this file hands their tokens, one at a time and in the order read, to the
// caller, and keeps the summary.

package audit

import (
	"context"
	"sync"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// DefaultConcurrency is how many scopes Run reads at once when
// Options.Concurrency is 0.
const DefaultConcurrency = 8

// DefaultPageSize is the page length Run asks for when Options.PageSize is
// 0: large, so that one request usually reads a whole scope. Bitbucket caps
// it on its side (at 1000 by default).
const DefaultPageSize = 1000

// Options tune Run. The zero value reads 8 scopes at once with the default
// rules and emits every token.
type Options struct {
	Concurrency int            // scopes read at once; 0: DefaultConcurrency
	PageSize    int            // tokens asked for per request; 0: DefaultPageSize
	Rules       Rules          // how tokens are judged
	Progress    func(Progress) // optional; called serially, after each scope, from emit's goroutine
	// Keep, when set, chooses the tokens Run emits and counts in the
	// Summary (Where.Match, say); the others are read and dropped.
	Keep func(Token) bool
	// State, when set, records the run's progress in a file, and a State
	// opened with ResumeState has its recorded scopes' tokens emitted
	// first, without reading those scopes again (see State).
	State *State
}

// Run reads every target's tokens, opts.Concurrency scopes at a time (workers
// take the next scope from a queue), classifies them by opts.Rules, and calls
// emit once per token opts.Keep keeps, serially, on the caller's goroutine,
// in the order read (one scope's tokens in their server order; scopes
// interleave as they are read). With a resumed opts.State, the tokens it
// recorded come first, judged by today's rules.
//
// A scope that cannot be read (404, 401 not permitted, a server error after
// the client's retries, …) is recorded in Summary.Failed and the run goes on.
// A token whose dates cannot all be read (an *accesstokens.InvalidTokenError
// from All) is emitted as far as it was read, with BadDate (see
// ClassifyInvalid), and its scope is read on.
// An authentication failure (accesstokens.ErrAuthentication) stops the run at
// once with an error, so that a server that locks accounts after failed
// logins is not hammered (the first scope is read alone until the server has
// answered it, so wrong credentials meet a single 401). A cancelled ctx
// stops the reads, and Run returns ctx's error once the tokens already read
// are emitted: an interrupted audit keeps what it read. An error from emit,
// or from recording opts.State, stops the run and is returned as it is. Run
// always returns the Summary of what was emitted, with or without an error;
// after a stop, its Unread names the scopes not read to the end, so that a
// report can say what it is missing.
//
// Memory does not grow with the number of tokens: at most a few hundred
// tokens per worker are held between the server and emit.
func Run(ctx context.Context, tokens accesstokens.TokensService, targets []Target, opts Options, emit func(Token) error) (*Summary, error) {
	r := newRun(targets, opts, emit)
	if opts.State != nil {
		if err := opts.State.replay(ctx, targets, r.resumeToken, r.resumeScope); err != nil {
			return r.finish(ctx, err)
		}
	}
	var queue []int
	for i, done := range r.finished {
		if !done {
			queue = append(queue, i)
		}
	}
	if len(queue) == 0 {
		return r.finish(ctx, nil)
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	results := r.startWorkers(runCtx, stop, tokens, queue)

	// Once the run halts (emit failed, a worker met an authentication
	// failure), nothing more is emitted: the loop only drains what the
	// workers already sent, until they have all returned. Once ctx ends,
	// the workers stop reading, and what they had read is still emitted.
	halted := func() bool { return runCtx.Err() != nil && ctx.Err() == nil }
	var emitErr error
	for b := range results {
		if emitErr == nil && !halted() {
			if emitErr = r.emitBatch(b, halted); emitErr != nil {
				stop(emitErr)
			}
		}
	}
	if emitErr == nil && r.done < len(targets) && ctx.Err() == nil {
		emitErr = context.Cause(runCtx) // a worker stopped the run
	}
	return r.finish(ctx, emitErr)
}

// run is the state of one Run shared by its workers (read-only) and its
// emitting goroutine (which alone writes the rest).
type run struct {
	targets  []Target
	rules    Rules
	pageSize int
	workers  int
	progress func(Progress)
	keep     func(Token) bool
	state    *State
	emit     func(Token) error
	start    time.Time

	sum      *Summary
	counts   [numFindings]int
	seen     int    // tokens read, kept or not
	done     int    // targets finished
	finished []bool // by target: read, resumed or failed
	recorded []int  // by target: tokens recorded in the state
}

func newRun(targets []Target, opts Options, emit func(Token) error) *run {
	r := &run{
		targets:  targets,
		rules:    opts.Rules.withDefaults(),
		pageSize: opts.PageSize,
		workers:  opts.Concurrency,
		progress: opts.Progress,
		keep:     opts.Keep,
		state:    opts.State,
		emit:     emit,
		start:    time.Now(),
		sum:      newSummary(),
		finished: make([]bool, len(targets)),
	}
	if r.state != nil {
		r.recorded = make([]int, len(targets))
	}
	if r.pageSize <= 0 {
		r.pageSize = DefaultPageSize
	}
	if r.workers <= 0 {
		r.workers = DefaultConcurrency
	}
	return r
}

// startWorkers starts the readers of the queued targets and returns the
// channel of their batches, closed once they have all returned.
func (r *run) startWorkers(ctx context.Context, stop context.CancelCauseFunc, tokens accesstokens.TokensService, queue []int) <-chan *batch {
	jobs := make(chan int, len(queue))
	for _, i := range queue {
		jobs <- i
	}
	close(jobs)
	workers := max(1, min(r.workers, len(queue)))
	results := make(chan *batch, workers)
	// The first scope is read alone until the server has answered it: wrong
	// credentials then meet one 401, not one per worker, on a server that
	// locks an account after a few failed logins.
	firstAnswer := make(chan struct{})
	var wg sync.WaitGroup
	for n := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{run: r, tokens: tokens, ctx: ctx, stop: stop, results: results}
			if n == 0 {
				w.answered = sync.OnceFunc(func() { close(firstAnswer) })
				defer w.answered() // also when the queue was empty or the read stopped early
			} else {
				select {
				case <-firstAnswer:
				case <-ctx.Done():
					return
				}
			}
			for i := range jobs {
				if !w.read(i) {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	return results
}

// finish completes the summary and picks Run's error: err (emit's, the
// state's or a worker's), else ctx's when targets are left unread.
func (r *run) finish(ctx context.Context, err error) (*Summary, error) {
	r.sum.Findings = make(map[Finding]int, numFindings)
	for i, f := range allFindings {
		r.sum.Findings[f] = r.counts[i]
	}
	if err == nil {
		if r.done == len(r.targets) {
			return r.sum, nil // everything was read, whatever ctx did since
		}
		err = ctx.Err()
	}
	for i, done := range r.finished {
		if !done {
			r.sum.Unread = append(r.sum.Unread, r.targets[i].Scope)
		}
	}
	return r.sum, err
}

// emitBatch records and emits a batch's tokens and, for a scope's last batch,
// records the scope's end. It emits nothing once the run halts, not even
// the rest of the batch.
func (r *run) emitBatch(b *batch, halted func() bool) error {
	for i := range b.tokens {
		if halted() {
			return nil // Run reports why
		}
		if err := r.record(b.target, &b.tokens[i]); err != nil {
			return err
		}
		if err := r.accept(&b.tokens[i]); err != nil {
			return err
		}
	}
	if !b.last {
		return nil
	}
	if b.err != nil {
		r.sum.Failed = append(r.sum.Failed, ScopeFailure{Scope: r.targets[b.target].Scope, Err: b.err})
	} else {
		r.sum.ScopesRead++
		if r.state != nil {
			if err := r.state.recordDone(r.targets[b.target].Scope, r.recorded[b.target]); err != nil {
				return err
			}
		}
	}
	r.finishTarget(b.target)
	return nil
}

// record writes a token read into the state, if there is one.
func (r *run) record(target int, t *Token) error {
	if r.state == nil {
		return nil
	}
	r.recorded[target]++
	return r.state.recordToken(t.Scope, &t.AccessToken, t.UnreadDates)
}

// accept counts a token read and emits it when it is kept.
func (r *run) accept(t *Token) error {
	r.seen++
	if r.keep != nil && !r.keep(*t) {
		return nil
	}
	if err := r.emit(*t); err != nil {
		return err
	}
	r.sum.Tokens++
	for _, f := range t.Findings {
		r.counts[f.index()]++
	}
	return nil
}

// resumeToken emits a token a resumed State recorded for a target.
func (r *run) resumeToken(target int, t accesstokens.AccessToken, unread []string) error {
	tok := r.classify(target, &t, unread)
	return r.accept(&tok)
}

// resumeScope counts a target a resumed State recorded as read.
func (r *run) resumeScope(target int) {
	r.sum.ScopesRead++
	r.sum.ScopesResumed++
	r.finishTarget(target)
}

// finishTarget marks a target done and reports progress.
func (r *run) finishTarget(target int) {
	r.done++
	r.finished[target] = true
	if r.progress != nil {
		r.progress(Progress{
			ScopesDone:  r.done,
			ScopesTotal: len(r.targets),
			Tokens:      r.seen,
			Failed:      len(r.sum.Failed),
			Elapsed:     time.Since(r.start),
		})
	}
}

// classify judges a token of a target (unread: its dates that could not be
// read): a personal token of a scope whose owner is not known by its own
// user's active flag.
func (r *run) classify(target int, t *accesstokens.AccessToken, unread []string) Token {
	tg := &r.targets[target]
	ownerActive := tg.OwnerActive
	if tg.OwnerFromTokens && t.User != nil {
		ownerActive = t.User.Active
	}
	return classified(tg.Scope, *t, unread, ownerActive, &r.rules)
}
