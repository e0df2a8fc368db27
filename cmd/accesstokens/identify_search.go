// The search of identify --secret-from: the token's id is known, its scope
// is not. Ask scope after scope for the token by its id, a few at a time
// (the first alone), and stop at the first answer.

package main

import (
	"context"
	"errors"
	"sync"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// idSearch asks scopes for the token with one id.
type idSearch struct {
	tokens      accesstokens.TokensService
	id          string
	concurrency int
	// answered, when set, is called after each answer with how many scopes
	// have answered so far (progress), from the search's goroutine.
	answered func(n int)
}

// searchOutcome is where the search found the token, or what it asked.
type searchOutcome struct {
	scope  accesstokens.Scope
	token  *accesstokens.AccessToken // nil: none of the scopes holds it
	asked  int                       // scopes that answered before the search ended
	failed []audit.ScopeFailure      // scopes that answered with an error other than 404
}

// scopeAnswer is one scope's answer to "do you hold this token?".
type scopeAnswer struct {
	scope accesstokens.Scope
	token *accesstokens.AccessToken
	err   error
}

// run asks the scopes, in their order, for the token: the first alone (wrong
// credentials then meet one 401, not one per worker, on a server that locks
// an account after a few failed logins), then up to concurrency at a time.
// The first hit ends the search: requests still in flight are cancelled
// and nothing more is asked (what was asked while the hit's answer was on
// its way is the price of asking concurrently). A failed authentication or a cancelled ctx ends it with an
// error; any other failure of a scope is recorded and the search goes on.
func (s idSearch) run(ctx context.Context, scopes []accesstokens.Scope) (searchOutcome, error) {
	var out searchOutcome
	if len(scopes) == 0 {
		return out, nil
	}
	if done, err := s.record(&out, s.ask(ctx, scopes[0])); done {
		return out, err
	}
	search, cancel := context.WithCancel(ctx)
	defer cancel()
	return out, s.gather(ctx, &out, s.askAll(search, cancel, scopes[1:]), cancel)
}

// gather takes the answers of askAll into out until the search is over,
// then drains the rest. A request the search cancelled itself (at a hit,
// or a failed login, whose own answer is among the others) answers
// context.Canceled, which is no answer: only the caller's ctx ending stops
// the search with that error.
func (s idSearch) gather(ctx context.Context, out *searchOutcome, answers <-chan scopeAnswer, cancel context.CancelFunc) error {
	var stop error
	over := false
	for a := range answers {
		if over {
			continue // answers of requests cancelled by the hit, or in flight at the stop
		}
		if errors.Is(a.err, context.Canceled) && ctx.Err() == nil {
			continue // cancelled by the search: the answer that ended it is on its way
		}
		if done, err := s.record(out, a); done {
			over, stop = true, err
			cancel()
		}
	}
	return stop
}

// ask asks one scope.
func (s idSearch) ask(ctx context.Context, scope accesstokens.Scope) scopeAnswer {
	tok, err := s.tokens.Get(ctx, scope, s.id)
	return scopeAnswer{scope: scope, token: tok, err: err}
}

// askAll asks the scopes with up to concurrency workers, in order, until
// ctx ends; the channel closes once every worker is done. A worker whose
// answer ends the search cancels ctx itself, before it could take another
// scope: no request starts after the hit's answer.
func (s idSearch) askAll(ctx context.Context, cancel context.CancelFunc, scopes []accesstokens.Scope) <-chan scopeAnswer {
	queue := make(chan accesstokens.Scope)
	answers := make(chan scopeAnswer)
	var wg sync.WaitGroup
	for range min(s.concurrency, len(scopes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sc := range queue {
				if ctx.Err() != nil {
					continue // the feeder's last scope, taken as the search ended
				}
				a := s.ask(ctx, sc)
				if a.endsSearch() {
					cancel()
				}
				answers <- a
			}
		}()
	}
	go func() {
		defer close(answers)
	feed:
		for _, sc := range scopes {
			select {
			case queue <- sc:
			case <-ctx.Done():
				break feed
			}
		}
		close(queue)
		wg.Wait()
	}()
	return answers
}

// record records an answer in out; done says the search is over: the token
// was found, or err stops it.
func (s idSearch) record(out *searchOutcome, a scopeAnswer) (done bool, err error) {
	out.asked++
	if s.answered != nil {
		defer s.answered(out.asked)
	}
	switch {
	case a.err == nil && a.token != nil:
		out.scope, out.token = a.scope, a.token
		return true, nil
	case a.err == nil, errors.Is(a.err, accesstokens.ErrNotFound):
		return false, nil
	case a.endsSearch(), errors.Is(a.err, context.Canceled):
		return true, a.err
	}
	out.failed = append(out.failed, audit.ScopeFailure{Scope: a.scope, Err: a.err})
	return false, nil
}

// endsSearch reports whether the answer ends the search: the token, or a
// failed login (a second one could lock the account).
func (a scopeAnswer) endsSearch() bool {
	return (a.err == nil && a.token != nil) || errors.Is(a.err, accesstokens.ErrAuthentication)
}
