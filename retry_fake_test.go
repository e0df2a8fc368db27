// Tests of retry.go against the fake: the fault matrix, every method with each kind of failure, and
// concurrent creates under random faults.

package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// The fault matrix: every method against the fake Bitbucket with each kind of
// failure injected, asserting how many requests reached the server and what
// the caller got.

// faultWorld is a Fake behind a server that counts requests as they arrive.
// The count is taken before the fake answers, so it is complete as soon as the
// client has returned (the fake's own Requests() are recorded after the answer
// has gone out, which can be a moment after the client saw it).
type faultWorld struct {
	fake *accesstokenstest.Fake
	url  string
	mu   sync.Mutex
	hits map[string]int // method + " " + path below the API root
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	w := &faultWorld{fake: accesstokenstest.NewFake(), hits: map[string]int{}}
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rel := strings.TrimPrefix(r.URL.EscapedPath(), accesstokenstest.APIPath)
		w.mu.Lock()
		w.hits[r.Method+" "+rel]++
		w.mu.Unlock()
		w.fake.ServeHTTP(rw, r)
	}))
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

func (w *faultWorld) count(method, path string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits[method+" "+path]
}

// client signs in as user (whose password is the user name, as in the demo
// world). Keep-alives are off so that net/http never resends a dropped GET on
// its own: every request the server sees is one the SDK decided to send.
func (w *faultWorld) client(t *testing.T, user string) *accesstokens.Client {
	t.Helper()
	c, err := accesstokens.NewClient(w.url, accesstokens.WithBasicAuth(user, user), accesstokens.WithRetry(quickRetry),
		accesstokens.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}))
	require.NoError(t, err)
	return c
}

func (w *faultWorld) tokensNamed(name string) []accesstokenstest.TokenInfo {
	var out []accesstokenstest.TokenInfo
	for _, tok := range w.fake.Tokens() {
		if tok.Name == name {
			out = append(out, tok)
		}
	}
	return out
}

// faultOp is one SDK method against the fake: setup prepares the world and
// returns the path below the API root the call reaches; call runs it;
// succeeded checks the value and the world after a successful call.
type faultOp struct {
	name, method, user string
	create             bool // a non-idempotent create
	setup              func(w *faultWorld) (path string)
	call               func(ctx context.Context, c *accesstokens.Client) (any, error)
	succeeded          func(t *testing.T, w *faultWorld, v any)
}

const faultTokenName = "fault-matrix"

// issueFor makes a token in scope before the test and remembers its id.
func issueFor(w *faultWorld, scope string, perms ...string) string {
	id, _ := w.fake.MintToken(scope, faultTokenName, 0, perms...)
	return id
}

func faultOps() []faultOp {
	var id string // set by setup, read by call: use one op of each faultOps() result only
	return []faultOp{
		{
			name: "UserTokens.Get", method: http.MethodGet, user: accesstokenstest.DemoAlice,
			setup: func(w *faultWorld) string {
				id = issueFor(w, accesstokenstest.UserScopeString("alice"), "REPO_READ")
				return "/users/alice/" + id
			},
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return c.UserTokens.Get(ctx, "alice", id)
			},
			succeeded: func(t *testing.T, w *faultWorld, v any) {
				assert.Equal(t, id, v.(*accesstokens.AccessToken).ID)
			},
		},
		{
			name: "ProjectTokens.List", method: http.MethodGet, user: accesstokenstest.DemoAlice,
			setup: func(w *faultWorld) string {
				id = issueFor(w, accesstokenstest.ProjectScopeString("PRJ"), "PROJECT_READ")
				return "/projects/PRJ"
			},
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return c.ProjectTokens.List(ctx, "PRJ", &accesstokens.ListOptions{Limit: 10})
			},
			succeeded: func(t *testing.T, w *faultWorld, v any) {
				page := v.(*accesstokens.Page[accesstokens.AccessToken])
				require.Len(t, page.Values, 1)
				assert.Equal(t, id, page.Values[0].ID)
			},
		},
		{
			name: "ProjectTokens.Create", method: http.MethodPut, user: accesstokenstest.DemoAlice, create: true,
			setup: func(w *faultWorld) string { return "/projects/PRJ" },
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
					Name: faultTokenName, Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
				})
			},
			succeeded: func(t *testing.T, w *faultWorld, v any) {
				tok := v.(*accesstokens.RawAccessToken)
				assert.NotEmpty(t, tok.Token.Reveal())
				got := w.tokensNamed(faultTokenName)
				require.Len(t, got, 1, "exactly one token for one successful create")
				assert.Equal(t, tok.ID, got[0].ID)
			},
		},
		{
			name: "RepoTokens.Update", method: http.MethodPost, user: accesstokenstest.DemoAlice,
			setup: func(w *faultWorld) string {
				id = issueFor(w, accesstokenstest.RepoScopeString("PRJ", "repo"), "REPO_READ")
				return "/projects/PRJ/repos/repo/" + id
			},
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				name := "renamed"
				return c.RepoTokens.Update(ctx, "PRJ", "repo", id, accesstokens.UpdateTokenRequest{Name: &name})
			},
			succeeded: func(t *testing.T, w *faultWorld, v any) {
				assert.Equal(t, "renamed", v.(*accesstokens.AccessToken).Name)
				assert.Len(t, w.tokensNamed("renamed"), 1)
			},
		},
		{
			name: "ProjectTokens.Delete", method: http.MethodDelete, user: accesstokenstest.DemoAlice,
			setup: func(w *faultWorld) string {
				id = issueFor(w, accesstokenstest.ProjectScopeString("PRJ"), "PROJECT_READ")
				return "/projects/PRJ/" + id
			},
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return nil, c.ProjectTokens.Delete(ctx, "PRJ", id)
			},
			succeeded: func(t *testing.T, w *faultWorld, _ any) {
				assert.Empty(t, w.tokensNamed(faultTokenName))
			},
		},
		{
			name: "Admin.GetExpiryPolicy", method: http.MethodGet, user: accesstokenstest.DemoAdmin,
			setup: func(w *faultWorld) string { w.fake.SetExpiryPolicy(90); return "/admin" },
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return c.Admin.GetExpiryPolicy(ctx)
			},
			succeeded: func(t *testing.T, w *faultWorld, v any) {
				assert.Equal(t, 90, v.(*accesstokens.ExpiryPolicy).MaxExpiryDays)
			},
		},
		{
			name: "Admin.SetExpiryPolicy", method: http.MethodPut, user: accesstokenstest.DemoAdmin,
			setup: func(w *faultWorld) string { return "/admin" },
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return nil, c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
			},
			succeeded: func(t *testing.T, w *faultWorld, _ any) { assert.Equal(t, 30, w.fake.ExpiryPolicy()) },
		},
		{
			name: "Admin.DeleteExpiryPolicy", method: http.MethodDelete, user: accesstokenstest.DemoAdmin,
			setup: func(w *faultWorld) string { w.fake.SetExpiryPolicy(90); return "/admin" },
			call: func(ctx context.Context, c *accesstokens.Client) (any, error) {
				return nil, c.Admin.DeleteExpiryPolicy(ctx)
			},
			succeeded: func(t *testing.T, w *faultWorld, _ any) { assert.Zero(t, w.fake.ExpiryPolicy()) },
		},
	}
}

// outcome is what the caller must get.
type outcome int

const (
	succeeds        outcome = iota
	failsWithStatus         // an *Error with the fault's status
	failsInTransit          // a transport error, not an *Error
	failsOnDeadline         // the context's deadline, in the errors.Is chain
)

// matrixFault is one injected failure and what it must lead to for
// idempotent calls and for a create.
type matrixFault struct {
	name  string
	fault accesstokenstest.Fault
	// ctxTimeout bounds the call when non-zero.
	ctxTimeout time.Duration
	// Requests the server sees, outcomes, and whether a create left a token.
	idemRequests, createRequests int
	idemOutcome, createOutcome   outcome
	createLeavesToken            bool
}

var matrixFaults = []matrixFault{
	{
		name: "503 twice", fault: accesstokenstest.Fault{Status: 503, Times: 2},
		idemRequests: 3, idemOutcome: succeeds, createRequests: 3, createOutcome: succeeds, createLeavesToken: true,
	},
	{
		name: "429 with Retry-After", fault: accesstokenstest.Fault{Status: 429, RetryAfter: "1"},
		idemRequests: 2, idemOutcome: succeeds, createRequests: 2, createOutcome: succeeds, createLeavesToken: true,
	},
	{
		name: "500", fault: accesstokenstest.Fault{Status: 500},
		idemRequests: 1, idemOutcome: failsWithStatus, createRequests: 1, createOutcome: failsWithStatus,
	},
	{
		name: "502 after the server acted", fault: accesstokenstest.Fault{Status: 502, AfterHandling: true},
		idemRequests: 2, idemOutcome: succeeds, createRequests: 1, createOutcome: failsWithStatus, createLeavesToken: true,
	},
	{
		name: "dropped connection", fault: accesstokenstest.Fault{DropConnection: true},
		idemRequests: 2, idemOutcome: succeeds, createRequests: 1, createOutcome: failsInTransit,
	},
	{
		name: "dropped connection after the server acted", fault: accesstokenstest.Fault{DropConnection: true, AfterHandling: true},
		idemRequests: 2, idemOutcome: succeeds, createRequests: 1, createOutcome: failsInTransit, createLeavesToken: true,
	},
	{
		name: "delay beyond the context", fault: accesstokenstest.Fault{Delay: time.Minute}, ctxTimeout: 150 * time.Millisecond,
		idemRequests: 1, idemOutcome: failsOnDeadline, createRequests: 1, createOutcome: failsOnDeadline,
	},
}

func TestFaultMatrixAgainstTheFakeServer(t *testing.T) {
	t.Parallel()
	for _, mf := range matrixFaults {
		for i, op := range faultOps() {
			t.Run(op.name+"/"+mf.name, func(t *testing.T) {
				t.Parallel()
				op := faultOps()[i] // a fresh copy: ops share state with their siblings
				w := newFaultWorld(t)
				path := op.setup(w)
				fl := mf.fault
				fl.Method, fl.Path = op.method, path
				w.fake.InjectFault(fl)
				ctx := testContext(t)
				if mf.ctxTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, mf.ctxTimeout)
					defer cancel()
				}

				v, err := op.call(ctx, w.client(t, op.user))

				wantRequests, want := mf.idemRequests, mf.idemOutcome
				if op.create {
					wantRequests, want = mf.createRequests, mf.createOutcome
				}
				assert.Equal(t, wantRequests, w.count(op.method, path), "requests the server saw")
				var apiErr *accesstokens.Error
				switch want {
				case succeeds:
					require.NoError(t, err)
					op.succeeded(t, w, v)
				case failsWithStatus:
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, fl.Status, apiErr.StatusCode)
				case failsInTransit:
					require.Error(t, err)
					assert.False(t, errors.As(err, &apiErr), "no answer, so no *Error: %v", err)
				case failsOnDeadline:
					assert.ErrorIs(t, err, context.DeadlineExceeded)
				}
				if op.create && want != succeeds {
					created := w.tokensNamed(faultTokenName)
					if mf.createLeavesToken {
						assert.Len(t, created, 1, "the server acted once; the client did not repeat it")
					} else if mf.fault.Delay == 0 {
						assert.Empty(t, created, "the fault answered before the server acted")
					}
				}
			})
		}
	}
}

// createResult is what one create told its caller.
type createResult struct {
	name string
	id   string
	err  error
}

func TestConcurrentCreatesUnderRandomFaultsNeverDuplicateAToken(t *testing.T) {
	t.Parallel()
	const workers, perWorker = 8, 10
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// Faults are queued in order and each PUT takes the next one, so the
	// seeded sequence decides the faults; the scheduler decides who gets them.
	rng := rand.New(rand.NewPCG(20240611, 7))
	kinds := []accesstokenstest.Fault{
		{Status: 502, AfterHandling: true},
		{DropConnection: true, AfterHandling: true},
		{Status: 504, AfterHandling: true},
		{Status: 503},
		{Status: 429, RetryAfter: "1"},
		{DropConnection: true},
		{Status: 500},
	}
	injected := map[string]int{}
	for range workers * perWorker {
		if rng.IntN(10) < 4 {
			continue // about 60% of requests are faulted
		}
		fl := kinds[rng.IntN(len(kinds))]
		fl.Method, fl.Path = http.MethodPut, "/projects/"+accesstokenstest.DemoProject
		srv.InjectFault(fl)
		injected[fmt.Sprintf("%d/%v/%v", fl.Status, fl.DropConnection, fl.AfterHandling)]++
	}
	t.Logf("injected faults: %v", injected)

	c, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword),
		accesstokens.WithRetry(quickRetry))
	require.NoError(t, err)
	ctx := testContext(t)

	results := make(chan createResult, workers*perWorker)
	var wg sync.WaitGroup
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				name := fmt.Sprintf("concurrent-%d-%d", g, i)
				tok, err := c.ProjectTokens.Create(ctx, accesstokenstest.DemoProject, accesstokens.CreateTokenRequest{
					Name: name, Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
				})
				r := createResult{name: name, err: err}
				if err == nil {
					r.id = tok.ID
				}
				results <- r
			}
		}()
	}
	wg.Wait()
	close(results)

	stored := map[string][]accesstokenstest.TokenInfo{}
	for _, tok := range srv.Tokens() {
		if tok.Scope == accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject) {
			stored[tok.Name] = append(stored[tok.Name], tok)
		}
	}
	var ok, failed, failedButCreated int
	for r := range results {
		toks := stored[r.name]
		assert.LessOrEqual(t, len(toks), 1, "%s exists %d times", r.name, len(toks))
		if r.err == nil {
			ok++
			if assert.Len(t, toks, 1, "%s was reported created", r.name) {
				assert.Equal(t, r.id, toks[0].ID, "%s: the caller got the stored token", r.name)
			}
			continue
		}
		failed++
		failedButCreated += len(toks)
		assert.NotErrorIs(t, r.err, context.DeadlineExceeded)
	}
	t.Logf("%d creates succeeded, %d failed (%d of those left a token)", ok, failed, failedButCreated)
	assert.Equal(t, workers*perWorker, ok+failed)
	assert.Len(t, stored, ok+failedButCreated, "no token exists that no create asked for")
	assert.NotZero(t, ok, "the faults left room for successes")
	assert.NotZero(t, failed, "the faults did bite")
}
