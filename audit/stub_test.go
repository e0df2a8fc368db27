package audit

import (
	"context"
	"errors"
	"iter"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// stubTokens is a TokensService whose scopes hold generated tokens, read
// through All only. It counts the calls it gets and how many run at once.
type stubTokens struct {
	accesstokens.TokensService // nil: any other method panics

	count func(scope accesstokens.Scope) int
	// fail, when it returns an error for a scope, ends that scope's
	// listing with it after failAfter(scope) tokens.
	fail      func(scope accesstokens.Scope) error
	failAfter func(scope accesstokens.Scope) int
	// enter, when set, runs as each listing starts; an error ends the listing with it.
	enter func(ctx context.Context, scope accesstokens.Scope) error

	calls       atomic.Int64
	inflight    atomic.Int64
	maxInflight atomic.Int64
	limits      sync.Map // ListOptions.Limit values seen
}

func (s *stubTokens) All(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		s.calls.Add(1)
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for m := s.maxInflight.Load(); n > m && !s.maxInflight.CompareAndSwap(m, n); m = s.maxInflight.Load() {
		}
		if opts != nil {
			s.limits.Store(opts.Limit, true)
		}
		if s.enter != nil {
			if err := s.enter(ctx, scope); err != nil {
				yield(accesstokens.AccessToken{}, err)
				return
			}
		}
		var failErr error
		failAt := -1
		if s.fail != nil {
			if failErr = s.fail(scope); failErr != nil {
				failAt = s.failAfter(scope)
			}
		}
		total := 0
		if s.count != nil {
			total = s.count(scope)
		}
		for i := range total {
			if i == failAt {
				break
			}
			if ctx.Err() != nil { // as the SDK's pages do
				yield(accesstokens.AccessToken{}, ctx.Err())
				return
			}
			if !yield(stubToken(scope, i), nil) {
				return
			}
		}
		if failErr != nil {
			yield(accesstokens.AccessToken{}, failErr)
		}
	}
}

// stubNow is the clock of the stub's tokens.
var stubNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

var stubPerms = [][]accesstokens.Permission{
	{accesstokens.RepoRead},
	{accesstokens.ProjectRead, accesstokens.RepoWrite},
	{accesstokens.ProjectAdmin, accesstokens.RepoAdmin},
	{accesstokens.RepoAdmin},
}

var stubOwner = &accesstokens.User{ID: 7, Slug: "bot", Type: "SERVICE", Active: true}

// stubToken is the i-th token of a scope: its id says which (so order can
// be checked) and its dates cycle through every finding.
func stubToken(scope accesstokens.Scope, i int) accesstokens.AccessToken {
	t := accesstokens.AccessToken{
		ID:          strconv.Itoa(1_000_000 + i),
		Name:        "token-" + scope.ProjectKey + scope.UserSlug,
		CreatedDate: stubNow.Add(-time.Duration(i%400) * day),
		Permissions: stubPerms[i%len(stubPerms)],
		User:        stubOwner,
	}
	if i%5 != 0 {
		e := stubNow.Add(time.Duration(i%90-30) * day)
		t.ExpiryDate = &e
	}
	if i%7 != 0 {
		l := stubNow.Add(-time.Duration(i%200) * day)
		t.LastAuthenticated = &l
	}
	return t
}

// scopes returns n project scopes P0 … Pn-1 as targets.
func scopes(n int) []Target {
	out := make([]Target, n)
	for i := range out {
		out[i] = Target{Scope: accesstokens.ProjectScope("P" + strconv.Itoa(i)), OwnerActive: true}
	}
	return out
}

// scopeIndex is i of a scope "project:Pi" (or "user:Pi").
func scopeIndex(s accesstokens.Scope) int {
	i, _ := strconv.Atoi((s.ProjectKey + s.UserSlug)[1:])
	return i
}

// hangGuard bounds a wait that should end quickly; a test that reaches it failed.
const hangGuard = 20 * time.Second

// waitFor waits for ch to close, failing the listing (not hanging the test) after hangGuard.
func waitFor(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-time.After(hangGuard):
		return errors.New("stub: waited too long: the run did not do what the test expected")
	}
}

// waitForCancel waits for ctx to end and returns its error; after hangGuard
// it gives up with an error the test notices (as a failed scope).
func waitForCancel(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(hangGuard):
		return errors.New("stub: the run did not cancel the listing")
	}
}

// collector is an emit func that keeps every token and checks that calls never overlap.
type collector struct {
	t       *testing.T
	tokens  []Token
	running atomic.Int32
}

func (c *collector) emit(tok Token) error {
	if c.running.Add(1) != 1 {
		c.t.Error("emit called concurrently")
	}
	c.tokens = append(c.tokens, tok) // the race detector also sees an overlap here
	c.running.Add(-1)
	return nil
}
