package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// holderStub is a TokensService whose Get finds the token in one scope
// only, answers errs for some scopes, and 404 for the rest; scopes in
// hang answer only once their request is cancelled. It records what was
// asked, and how many requests were in flight at most.
type holderStub struct {
	accesstokens.TokensService
	holder accesstokens.Scope
	errs   map[accesstokens.Scope]error
	hang   map[accesstokens.Scope]bool

	mu          sync.Mutex
	events      []string // "start S", "end S"
	inFlight    int
	maxInFlight int
	notCanceled int // hanging requests that ended without being cancelled
}

func (s *holderStub) Get(ctx context.Context, scope accesstokens.Scope, id string) (*accesstokens.AccessToken, error) {
	s.mu.Lock()
	s.events = append(s.events, "start "+scope.String())
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.events = append(s.events, "end "+scope.String())
		s.inFlight--
		s.mu.Unlock()
	}()
	if s.hang[scope] {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(hangGuard): // only turns a missing cancel into a failure
			s.mu.Lock()
			s.notCanceled++
			s.mu.Unlock()
		}
	}
	if err := s.errs[scope]; err != nil {
		return nil, err
	}
	if scope == s.holder {
		return &accesstokens.AccessToken{ID: id, Name: "leaked"}, nil
	}
	return nil, fmt.Errorf("GET %s: 404: %w", scope, accesstokens.ErrNotFound)
}

// asked is every scope asked, in the order the requests started.
func (s *holderStub) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		if sc, ok := strings.CutPrefix(e, "start "); ok {
			out = append(out, sc)
		}
	}
	return out
}

// projects makes n project scopes P0, P1, ...
func projects(n int) []accesstokens.Scope {
	out := make([]accesstokens.Scope, n)
	for i := range out {
		out[i] = accesstokens.ProjectScope(fmt.Sprintf("P%d", i))
	}
	return out
}

func TestIdentifySearchAsksInOrderAndStopsAtTheToken(t *testing.T) {
	t.Parallel()
	scopes := projects(6)
	stub := &holderStub{holder: scopes[2]}
	out, err := idSearch{tokens: stub, id: "123", concurrency: 1}.run(context.Background(), scopes)
	require.NoError(t, err)
	require.NotNil(t, out.token)
	assert.Equal(t, scopes[2], out.scope)
	assert.Equal(t, "123", out.token.ID)
	assert.Equal(t, 3, out.asked)
	assert.Equal(t, []string{"project:P0", "project:P1", "project:P2"}, stub.asked(), "nothing asked past the token")
}

func TestIdentifySearchAsksTheFirstScopeAlone(t *testing.T) {
	t.Parallel()
	scopes := projects(20)
	stub := &holderStub{}
	out, err := idSearch{tokens: stub, id: "123", concurrency: 8}.run(context.Background(), scopes)
	require.NoError(t, err)
	assert.Nil(t, out.token)
	assert.Equal(t, 20, out.asked)
	require.GreaterOrEqual(t, len(stub.events), 2)
	assert.Equal(t, []string{"start project:P0", "end project:P0"}, stub.events[:2],
		"wrong credentials meet one 401 before any other request starts")
	assert.LessOrEqual(t, stub.maxInFlight, 8)
}

// TestIdentifySearchCancelsWhatIsInFlightAtTheHit: the scopes after the
// holder answer only when cancelled, so the search returns only if the hit
// cancels them; it asks no more than the workers had taken.
func TestIdentifySearchCancelsWhatIsInFlightAtTheHit(t *testing.T) {
	t.Parallel()
	scopes := projects(100)
	stub := &holderStub{holder: scopes[5], hang: map[accesstokens.Scope]bool{}}
	for _, sc := range scopes[6:] {
		stub.hang[sc] = true
	}
	out, err := idSearch{tokens: stub, id: "123", concurrency: 4}.run(context.Background(), scopes)
	require.NoError(t, err)
	assert.Equal(t, scopes[5], out.scope)
	assert.LessOrEqual(t, out.asked, 6)
	assert.LessOrEqual(t, len(stub.asked()), 6+3, "at most one scope per other worker past the holder")
	assert.LessOrEqual(t, stub.maxInFlight, 4)
	assert.Zero(t, stub.notCanceled, "every request in flight at the hit is cancelled")
}

func TestIdentifySearchStopsAtAFailedLogin(t *testing.T) {
	t.Parallel()
	scopes := projects(5)
	stub := &holderStub{holder: scopes[4], errs: map[accesstokens.Scope]error{
		scopes[1]: fmt.Errorf("401: %w", accesstokens.ErrAuthentication),
	}}
	out, err := idSearch{tokens: stub, id: "123", concurrency: 1}.run(context.Background(), scopes)
	require.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.Nil(t, out.token)
	assert.Equal(t, []string{"project:P0", "project:P1"}, stub.asked(), "a second failed login could lock the account")
}

func TestIdentifySearchGoesOnPastAScopeItCannotRead(t *testing.T) {
	t.Parallel()
	scopes := projects(4)
	notPermitted := fmt.Errorf("401: %w", accesstokens.ErrNotPermitted)
	stub := &holderStub{holder: scopes[3], errs: map[accesstokens.Scope]error{scopes[1]: notPermitted}}
	out, err := idSearch{tokens: stub, id: "123", concurrency: 1}.run(context.Background(), scopes)
	require.NoError(t, err)
	assert.Equal(t, scopes[3], out.scope)
	require.Len(t, out.failed, 1)
	assert.Equal(t, scopes[1], out.failed[0].Scope)
	assert.ErrorIs(t, out.failed[0].Err, accesstokens.ErrNotPermitted)
}

func TestIdentifySearchReportsEachAnswer(t *testing.T) {
	t.Parallel()
	var seen []int
	out, err := idSearch{tokens: &holderStub{}, id: "1", concurrency: 3, answered: func(n int) { seen = append(seen, n) }}.
		run(context.Background(), projects(7))
	require.NoError(t, err)
	assert.Equal(t, 7, out.asked)
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7}, seen)
}

func TestIdentifySearchOfNoScopesAsksNothing(t *testing.T) {
	t.Parallel()
	stub := &holderStub{}
	out, err := idSearch{tokens: stub, id: "1", concurrency: 3}.run(context.Background(), nil)
	require.NoError(t, err)
	assert.Zero(t, out.asked)
	assert.Empty(t, stub.asked())
}

// TestIdentifySearchIsNotStoppedByTheCancelOfItsOwnHit: a request the hit
// cancelled can answer (context.Canceled) before the hit's answer is
// taken; the search still ends with the token, not with that error. Only
// the caller's cancel stops it with one.
func TestIdentifySearchIsNotStoppedByTheCancelOfItsOwnHit(t *testing.T) {
	t.Parallel()
	hit := scopeAnswer{scope: accesstokens.ProjectScope("HIT"), token: &accesstokens.AccessToken{ID: "123"}}
	cancelled := scopeAnswer{scope: accesstokens.ProjectScope("OTHER"), err: fmt.Errorf("GET: %w", context.Canceled)}
	answers := func(as ...scopeAnswer) <-chan scopeAnswer {
		ch := make(chan scopeAnswer, len(as))
		for _, a := range as {
			ch <- a
		}
		close(ch)
		return ch
	}
	var out searchOutcome
	err := idSearch{id: "123"}.gather(context.Background(), &out, answers(cancelled, hit), func() {})
	require.NoError(t, err)
	assert.Equal(t, hit.scope, out.scope)
	require.NotNil(t, out.token)

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Ctrl-C
	out = searchOutcome{}
	err = idSearch{id: "123"}.gather(ctx, &out, answers(cancelled, hit), func() {})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, out.token)
}
