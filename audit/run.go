// Run: the audit's read loop, its workers and what it reports.

package audit

import (
	"context"
	"errors"
	"fmt"
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

// Progress is where a run stands; Run reports it after each scope.
type Progress struct {
	ScopesDone  int           // scopes finished, read or failed
	ScopesTotal int           // scopes to read
	Tokens      int           // tokens emitted so far
	Failed      int           // scopes that could not be read
	Elapsed     time.Duration // since Run started
}

// Options tune Run. The zero value reads 8 scopes at once with the default rules.
type Options struct {
	Concurrency int            // scopes read at once; 0: DefaultConcurrency
	PageSize    int            // tokens asked for per request; 0: DefaultPageSize
	Rules       Rules          // how tokens are judged
	Progress    func(Progress) // optional; called serially, after each scope, from emit's goroutine
}

// ScopeFailure is a scope Run could not read (completely): it may have
// emitted some of its tokens before the failure.
type ScopeFailure struct {
	Scope accesstokens.Scope
	Err   error
}

// Summary is what a run saw.
type Summary struct {
	Findings   map[Finding]int // tokens per finding; every finding is present, 0 included
	Tokens     int             // tokens emitted
	ScopesRead int             // scopes read to the end
	Failed     []ScopeFailure  // scopes that could not be read, in the order they failed
	// Unread are the scopes a stopped run (Run returned an error) did not
	// read to the end, in the targets' order: with ScopesRead and Failed they
	// account for every target. Some of their tokens may have been emitted.
	Unread []accesstokens.Scope
}

// newSummary is an empty Summary with every finding at 0.
func newSummary() *Summary {
	s := &Summary{Findings: make(map[Finding]int, numFindings)}
	for _, f := range allFindings {
		s.Findings[f] = 0
	}
	return s
}

// Count returns the number of tokens with the finding (0 for a nil map).
func (s *Summary) Count(f Finding) int { return s.Findings[f] }

// Complete reports whether every scope was read.
func (s *Summary) Complete() bool { return len(s.Failed) == 0 }

// Run reads every target's tokens, opts.Concurrency scopes at a time (workers
// take the next scope from a queue), classifies them by opts.Rules, and calls
// emit once per token, serially, on the caller's goroutine, in the order read
// (one scope's tokens in their server order; scopes interleave as they are
// read).
//
// A scope that cannot be read (404, 401 not permitted, a server error after
// the client's retries, …) is recorded in Summary.Failed and the run goes on.
// An authentication failure (accesstokens.ErrAuthentication) stops the run at
// once with an error, so that a server that locks accounts after failed
// logins is not hammered (the first scope is read alone until the server has
// answered it, so wrong credentials meet a single 401); so does a cancelled ctx, with ctx's error. An error
// from emit stops the run and is returned as it is. Run always returns the
// Summary of what was emitted, with or without an error; after a stop, its
// Unread names the scopes not read to the end, so that a report can say
// what it is missing.
//
// Memory does not grow with the number of tokens: at most a few hundred
// tokens per worker are held between the server and emit.
func Run(ctx context.Context, tokens accesstokens.TokensService, targets []Target, opts Options, emit func(Token) error) (*Summary, error) {
	r := newRun(targets, opts)
	if len(targets) == 0 {
		return r.sum, ctx.Err()
	}
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)

	queue := make(chan int, len(targets))
	for i := range targets {
		queue <- i
	}
	close(queue)
	results := make(chan *batch, r.workers)
	// The first scope is read alone until the server has answered it: wrong
	// credentials then meet one 401, not one per worker, on a server that
	// locks an account after a few failed logins.
	firstAnswer := make(chan struct{})
	var wg sync.WaitGroup
	for n := range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := worker{run: r, tokens: tokens, ctx: runCtx, stop: stop, results: results}
			if n == 0 {
				w.answered = sync.OnceFunc(func() { close(firstAnswer) })
				defer w.answered() // also when the queue was empty or the read stopped early
			} else {
				select {
				case <-firstAnswer:
				case <-runCtx.Done():
					return
				}
			}
			for i := range queue {
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

	// Once the run stops (emit failed, a worker met an authentication
	// failure, ctx ended), nothing more is emitted: the loop only drains what
	// the workers already sent, until they have all returned.
	var emitErr error
	for b := range results {
		if emitErr == nil && runCtx.Err() == nil {
			if emitErr = r.take(b, emit, runCtx.Done()); emitErr != nil {
				stop(emitErr)
			}
		}
		b.release()
	}
	r.sum.Findings = r.findingCounts()
	var err error
	switch {
	case emitErr != nil:
		err = emitErr
	case r.done == len(targets):
		return r.sum, nil // everything was read, whatever ctx did since
	case ctx.Err() != nil:
		err = ctx.Err()
	default:
		err = context.Cause(runCtx) // a worker stopped the run
	}
	for i, done := range r.finished {
		if !done {
			r.sum.Unread = append(r.sum.Unread, targets[i].Scope)
		}
	}
	return r.sum, err
}

// run is the state of one Run shared by its workers (read-only) and its
// emitting goroutine (which alone writes sum, counts and done).
type run struct {
	targets  []Target
	rules    Rules
	pageSize int
	workers  int
	progress func(Progress)
	start    time.Time

	sum      *Summary
	counts   [numFindings]int
	done     int
	finished []bool // by target: read or failed
}

func newRun(targets []Target, opts Options) *run {
	r := &run{
		targets:  targets,
		rules:    opts.Rules.withDefaults(),
		pageSize: opts.PageSize,
		workers:  opts.Concurrency,
		progress: opts.Progress,
		start:    time.Now(),
		sum:      newSummary(),
		finished: make([]bool, len(targets)),
	}
	if r.pageSize <= 0 {
		r.pageSize = DefaultPageSize
	}
	if r.workers <= 0 {
		r.workers = DefaultConcurrency
	}
	r.workers = max(1, min(r.workers, len(targets)))
	return r
}

// take emits a batch's tokens and, for a scope's last batch, records the
// scope's end and reports progress. It emits nothing once done is closed
// (the run stops), not even the rest of the batch.
func (r *run) take(b *batch, emit func(Token) error, done <-chan struct{}) error {
	for i := range b.tokens {
		if stopped(done) {
			return nil // Run reports why
		}
		if err := emit(b.tokens[i]); err != nil {
			return err
		}
		r.sum.Tokens++
		for f, set := 0, b.sets[i]; set != 0; f, set = f+1, set>>1 {
			r.counts[f] += int(set & 1)
		}
	}
	if !b.last {
		return nil
	}
	r.done++
	r.finished[b.target] = true
	if b.err != nil {
		r.sum.Failed = append(r.sum.Failed, ScopeFailure{Scope: r.targets[b.target].Scope, Err: b.err})
	} else {
		r.sum.ScopesRead++
	}
	if r.progress != nil {
		r.progress(Progress{
			ScopesDone:  r.done,
			ScopesTotal: len(r.targets),
			Tokens:      r.sum.Tokens,
			Failed:      len(r.sum.Failed),
			Elapsed:     time.Since(r.start),
		})
	}
	return nil
}

// findingCounts is the per-finding count as a map with every finding.
func (r *run) findingCounts() map[Finding]int {
	m := make(map[Finding]int, numFindings)
	for i, f := range allFindings {
		m[f] = r.counts[i]
	}
	return m
}

// stopped reports, without blocking, whether done is closed.
func stopped(done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// batchSize is how many tokens a worker hands over at a time.
const batchSize = 256

// batch is up to batchSize classified tokens of one scope, on their way
// from a worker to emit.
type batch struct {
	target int // index into run.targets
	tokens []Token
	sets   []findingSet // each token's findings, for counting
	last   bool         // the scope's last batch: the scope is done
	err    error        // with last: why the scope could not be read; nil when it was
}

var batches = sync.Pool{New: func() any {
	return &batch{tokens: make([]Token, 0, batchSize), sets: make([]findingSet, 0, batchSize)}
}}

func newBatch(target int) *batch {
	b := batches.Get().(*batch)
	b.target = target
	return b
}

// release returns the batch to the pool, holding nothing of its tokens.
func (b *batch) release() {
	clear(b.tokens)
	b.tokens, b.sets = b.tokens[:0], b.sets[:0]
	b.last, b.err = false, nil
	batches.Put(b)
}

// worker reads scopes for one Run.
type worker struct {
	run     *run
	tokens  accesstokens.TokensService
	ctx     context.Context
	stop    context.CancelCauseFunc
	results chan<- *batch

	// The scope being read. They live here, not in read's locals, which
	// the loop body of a range-over-func would move to the heap per scope.
	target  int
	b       *batch
	days    []int // DaysLeft values: chunks that grow, never reallocated under a token's pointer
	opts    accesstokens.ListOptions
	readErr error

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
	w.target, w.b = target, newBatch(target)
	w.opts = accesstokens.ListOptions{Limit: w.run.pageSize}
	w.readErr = nil
	if w.answered != nil {
		defer w.answered() // after the stop below, if credentials failed
	}
	for t, err := range w.tokens.All(w.ctx, w.run.targets[target].Scope, &w.opts) {
		if err != nil {
			w.readErr = err
			break
		}
		if w.answered != nil {
			w.answered()
		}
		if !w.add(&t) {
			return false
		}
	}
	b, readErr := w.b, w.readErr
	w.b, w.readErr = nil, nil
	if readErr != nil && w.ctx.Err() != nil {
		b.release()
		return false
	}
	if errors.Is(readErr, accesstokens.ErrAuthentication) {
		b.release()
		w.stop(fmt.Errorf("audit: reading %s: authentication failed, stopping: %w", w.run.targets[target].Scope, readErr))
		return false
	}
	b.last, b.err = true, readErr
	return w.send(b)
}

// add classifies a token into the current batch, handing the batch over
// first when it is full. It returns false when the run is stopping.
func (w *worker) add(t *accesstokens.AccessToken) bool {
	if len(w.b.tokens) == batchSize {
		if !w.send(w.b) {
			w.b = nil
			return false
		}
		w.b = newBatch(w.target)
	}
	tg := &w.run.targets[w.target]
	ownerActive := tg.OwnerActive
	if tg.OwnerFromTokens && t.User != nil {
		ownerActive = t.User.Active
	}
	set, left := judge(tg.Scope, t, ownerActive, &w.run.rules)
	tok := Token{Scope: tg.Scope, AccessToken: *t, Findings: set.list()}
	if t.ExpiryDate != nil {
		if len(w.days) == cap(w.days) {
			// A new chunk; tokens already handed out keep pointing into the old one.
			w.days = make([]int, 0, min(2*cap(w.days)+8, batchSize))
		}
		w.days = append(w.days, left)
		tok.DaysLeft = &w.days[len(w.days)-1]
	}
	w.b.tokens = append(w.b.tokens, tok)
	w.b.sets = append(w.b.sets, set)
	return true
}

// send hands a batch to the emitting goroutine, unless the run stops first.
func (w *worker) send(b *batch) bool {
	select {
	case w.results <- b:
		return true
	case <-w.ctx.Done():
		b.release()
		return false
	}
}
