package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// rotateWorld is a fake holding a token to rotate ("deploy", 30 days), an
// older token with the same name (a rotation must never touch it) and one
// with another name, and a client acting as alice, the project's admin.
type rotateWorld struct {
	srv       *accesstokenstest.Server
	client    *accesstokens.Client
	scope     accesstokens.Scope
	oldID     string
	bystander []string // the other tokens of the scope
}

const rotateName = "deploy"

func newRotateWorld(t *testing.T, opts ...accesstokens.Option) *rotateWorld {
	t.Helper()
	srv := newFake(t, accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	w := &rotateWorld{srv: srv, scope: accesstokens.ProjectScope(accesstokenstest.DemoProject)}
	sc := accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject)
	twin, _ := srv.MintToken(sc, rotateName, 0, "REPO_READ")
	other, _ := srv.MintToken(sc, "other", 0, "REPO_READ")
	w.oldID, _ = srv.MintToken(sc, rotateName, 30, "PROJECT_READ", "REPO_WRITE")
	w.bystander = []string{twin, other}
	srv.Advance(10 * day)
	// No retries, so that every injected fault reaches Rotate, and no
	// keep-alives, so that net/http never replays a dropped GET by itself.
	all := append([]accesstokens.Option{
		accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword),
		accesstokens.WithRetry(accesstokens.RetryPolicy{}),
		accesstokens.WithHTTPClient(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}),
	}, opts...)
	c, err := accesstokens.NewClient(srv.URL, all...)
	require.NoError(t, err)
	w.client = c
	return w
}

// ids are the ids of the scope's tokens on the fake now.
func (w *rotateWorld) ids() []string {
	var ids []string
	for _, tok := range w.srv.Tokens() {
		if tok.Scope == accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject) {
			ids = append(ids, tok.ID)
		}
	}
	return ids
}

// fault is a fault on a path below the project's token collection.
func fault(method, below string, f accesstokenstest.Fault) accesstokenstest.Fault {
	f.Method, f.Path = method, "/projects/"+accesstokenstest.DemoProject+below
	return f
}

// hooked wraps a TokensService and runs hooks around its calls, to inject
// faults or cancel the context between Rotate's steps. Calls are counted
// per method from 1; All's after-hook runs when its iteration ends.
type hooked struct {
	accesstokens.TokensService
	before, after func(op string, n int)
	// loseCreate makes a create that succeeded on the server look lost: the
	// context is cancelled and the answer thrown away.
	loseCreate context.CancelFunc

	mu sync.Mutex
	n  map[string]int
}

func (h *hooked) enter(op string) int {
	h.mu.Lock()
	if h.n == nil {
		h.n = map[string]int{}
	}
	h.n[op]++
	n := h.n[op]
	h.mu.Unlock()
	if h.before != nil {
		h.before(op, n)
	}
	return n
}

func (h *hooked) leave(op string, n int) {
	if h.after != nil {
		h.after(op, n)
	}
}

func (h *hooked) Get(ctx context.Context, s accesstokens.Scope, id string) (*accesstokens.AccessToken, error) {
	n := h.enter("get")
	defer h.leave("get", n)
	return h.TokensService.Get(ctx, s, id)
}

func (h *hooked) All(ctx context.Context, s accesstokens.Scope, o *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	n := h.enter("all")
	inner := h.TokensService.All(ctx, s, o)
	return func(yield func(accesstokens.AccessToken, error) bool) {
		defer h.leave("all", n)
		inner(yield)
	}
}

func (h *hooked) Create(ctx context.Context, s accesstokens.Scope, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
	n := h.enter("create")
	defer h.leave("create", n)
	tok, err := h.TokensService.Create(ctx, s, req)
	if err == nil && h.loseCreate != nil {
		h.loseCreate()
		return nil, fmt.Errorf("the answer was lost: %w", ctx.Err())
	}
	return tok, err
}

func (h *hooked) Delete(ctx context.Context, s accesstokens.Scope, id string) error {
	n := h.enter("delete")
	defer h.leave("delete", n)
	return h.TokensService.Delete(ctx, s, id)
}

// rotateOutcome is what the scope holds after a rotation.
type rotateOutcome int

const (
	rotated     rotateOutcome = iota // new token delivered, old revoked, no error
	unchanged                        // error; the old token and nothing new
	keptBoth                         // error; old and new exist, Rotation.New holds the new secret
	newOnly                          // error; new delivered, the old token's fate unknown (reported)
	orphan                           // error; a token nobody has the secret of exists, its id in the error
	maybeOrphan                      // error; a lost create could not be searched for: the error names the token's name
)

// rotateCase is one fault at one step.
type rotateCase struct {
	name  string
	setup func(w *rotateWorld, h *hooked, cancel context.CancelFunc)
	// deliver stands for the caller's Deliver; nil succeeds. cancel ends Rotate's context.
	deliver func(ctx context.Context, cancel context.CancelFunc, tok *accesstokens.RawAccessToken) error
	want    rotateOutcome
	step    string // RotateError.Step, "" for success
}

func failDelivery(context.Context, context.CancelFunc, *accesstokens.RawAccessToken) error {
	return errors.New("the vault is sealed")
}

// inject returns a hook that injects f before the n-th call of op.
func inject(w *rotateWorld, op string, n int, f accesstokenstest.Fault) func(string, int) {
	return func(o string, k int) {
		if o == op && k == n {
			w.srv.InjectFault(f)
		}
	}
}

// injectNow returns a setup that injects faults before Rotate starts.
func injectNow(faults ...func(w *rotateWorld) accesstokenstest.Fault) func(*rotateWorld, *hooked, context.CancelFunc) {
	return func(w *rotateWorld, _ *hooked, _ context.CancelFunc) {
		for _, f := range faults {
			w.srv.InjectFault(f(w))
		}
	}
}

// at builds a fault on a path below the project's token collection; "old"
// stands for the old token's id.
func at(method, below string, f accesstokenstest.Fault) func(w *rotateWorld) accesstokenstest.Fault {
	return func(w *rotateWorld) accesstokenstest.Fault {
		if below == "/old" {
			below = "/" + w.oldID
		}
		return fault(method, below, f)
	}
}

// cancelAfter ends the context when the n-th call of op has returned.
func cancelAfter(op string, n int) func(*rotateWorld, *hooked, context.CancelFunc) {
	return func(_ *rotateWorld, h *hooked, cancel context.CancelFunc) {
		h.after = func(o string, k int) {
			if o == op && k == n {
				cancel()
			}
		}
	}
}

var (
	status = func(code int) accesstokenstest.Fault { return accesstokenstest.Fault{Status: code} }
	lost   = func(code int) accesstokenstest.Fault {
		return accesstokenstest.Fault{Status: code, AfterHandling: true}
	}
	dropped      = accesstokenstest.Fault{DropConnection: true}
	droppedAfter = accesstokenstest.Fault{DropConnection: true, AfterHandling: true}
	htmlPage     = accesstokenstest.Fault{Status: http.StatusOK, Body: "<html><body>Log in</body></html>"}
	htmlAfter    = accesstokenstest.Fault{Status: http.StatusOK, Body: htmlPage.Body, AfterHandling: true}
	limited      = accesstokenstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"}
)

func rotateCases() []rotateCase {
	get, put, del := http.MethodGet, http.MethodPut, http.MethodDelete
	return []rotateCase{
		{name: "no fault", want: rotated},

		// Reading the old token: nothing happens.
		{name: "get 500", setup: injectNow(at(get, "/old", status(500))), want: unchanged, step: "read"},
		{name: "get 404", setup: injectNow(at(get, "/old", status(404))), want: unchanged, step: "read"},
		{name: "get 401", setup: injectNow(at(get, "/old", status(401))), want: unchanged, step: "read"},
		{name: "get dropped", setup: injectNow(at(get, "/old", dropped)), want: unchanged, step: "read"},
		{name: "get 429", setup: injectNow(at(get, "/old", limited)), want: unchanged, step: "read"},
		{name: "get HTML 200", setup: injectNow(at(get, "/old", htmlPage)), want: unchanged, step: "read"},

		// Listing the scope before the create: nothing happens.
		{name: "list 500", setup: injectNow(at(get, "", status(500))), want: unchanged, step: "list"},
		{name: "list dropped", setup: injectNow(at(get, "", dropped)), want: unchanged, step: "list"},
		{name: "list HTML 200", setup: injectNow(at(get, "", htmlPage)), want: unchanged, step: "list"},
		{name: "list 401", setup: injectNow(at(get, "", status(401))), want: unchanged, step: "list"},

		// The create refused: nothing to clean up.
		{name: "create refused 400", setup: injectNow(at(put, "", status(400))), want: unchanged, step: "create"},
		{name: "create refused 401", setup: injectNow(at(put, "", status(401))), want: unchanged, step: "create"},
		{name: "create refused 409", setup: injectNow(at(put, "", status(409))), want: unchanged, step: "create"},
		{name: "create refused 429", setup: injectNow(at(put, "", limited)), want: unchanged, step: "create"},
		// The create answered with an error before acting: the search finds nothing.
		{name: "create answered 500", setup: injectNow(at(put, "", status(500))), want: unchanged, step: "create"},
		{name: "create answered 503", setup: injectNow(at(put, "", status(503))), want: unchanged, step: "create"},
		{name: "create dropped before acting", setup: injectNow(at(put, "", dropped)), want: unchanged, step: "create"},
		{name: "create answered HTML 200 before acting", setup: injectNow(at(put, "", htmlPage)), want: unchanged, step: "create"},
		// The create acted and its answer was lost: the search finds the token and revokes it.
		{name: "create lost: 500 after acting", setup: injectNow(at(put, "", lost(500))), want: unchanged, step: "create"},
		{name: "create lost: 502 after acting", setup: injectNow(at(put, "", lost(502))), want: unchanged, step: "create"},
		{name: "create lost: 504 after acting", setup: injectNow(at(put, "", lost(504))), want: unchanged, step: "create"},
		{name: "create lost: dropped after acting", setup: injectNow(at(put, "", droppedAfter)), want: unchanged, step: "create"},
		{name: "create lost: HTML 200 after acting", setup: injectNow(at(put, "", htmlAfter)), want: unchanged, step: "create"},
		{name: "create lost to a cancellation after acting", want: unchanged, step: "create",
			setup: func(_ *rotateWorld, h *hooked, cancel context.CancelFunc) { h.loseCreate = cancel }},
		{name: "create cancelled while the server holds it", want: unchanged, step: "create",
			setup: func(w *rotateWorld, h *hooked, cancel context.CancelFunc) {
				w.srv.InjectFault(fault(put, "", accesstokenstest.Fault{Delay: time.Minute}))
				h.before = func(op string, _ int) {
					if op == "create" { // the fake holds the create for a minute: the cancel lands first
						time.AfterFunc(20*time.Millisecond, cancel)
					}
				}
			}},
		// ... and the clean-up fails too: the error names what may be left.
		{name: "create lost, listing to find it fails", want: maybeOrphan, step: "create",
			setup: func(w *rotateWorld, h *hooked, _ context.CancelFunc) {
				w.srv.InjectFault(fault(put, "", droppedAfter))
				h.before = inject(w, "all", 2, fault(get, "", status(500)))
			}},
		{name: "create lost, revoking the stray fails", want: orphan, step: "create",
			setup: injectNow(at(put, "", droppedAfter), at(del, "/*", status(500)))},
		{name: "create lost, revoking the stray and reading it back fail", want: orphan, step: "create",
			setup: func(w *rotateWorld, h *hooked, _ context.CancelFunc) {
				w.srv.InjectFault(fault(put, "", droppedAfter))
				w.srv.InjectFault(fault(del, "/*", status(500)))
				h.before = inject(w, "get", 2, fault(get, "/*", status(502)))
			}},
		{name: "create lost, revoking the stray is lost after acting", want: unchanged, step: "create",
			setup: injectNow(at(put, "", droppedAfter), at(del, "/*", lost(502)))},
		{name: "create lost while another client made a twin", want: orphan, step: "create",
			setup: func(w *rotateWorld, h *hooked, _ context.CancelFunc) {
				w.srv.InjectFault(fault(put, "", droppedAfter))
				h.before = func(op string, _ int) {
					if op == "create" {
						w.srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), rotateName, 0, "REPO_READ")
					}
				}
			}},

		// Delivering: a failure revokes the new token; the old one stays.
		{name: "deliver fails", deliver: failDelivery, want: unchanged, step: "deliver"},
		{name: "deliver fails, revoking the new token is lost after acting", deliver: failDelivery, want: unchanged, step: "deliver",
			setup: injectNow(at(del, "/*", droppedAfter))},
		{name: "deliver fails, revoking the new token fails", deliver: failDelivery, want: keptBoth, step: "deliver",
			setup: injectNow(at(del, "/*", status(500)))},
		{name: "deliver fails, revoking the new token is refused 401", deliver: failDelivery, want: keptBoth, step: "deliver",
			setup: injectNow(at(del, "/*", status(401)))},
		{name: "deliver fails, revoking the new token answers HTML 200", deliver: failDelivery, want: keptBoth, step: "deliver",
			setup: injectNow(at(del, "/*", htmlPage))},
		{name: "deliver fails, revoking the new token and reading it back fail", deliver: failDelivery, want: keptBoth, step: "deliver",
			setup: func(w *rotateWorld, h *hooked, _ context.CancelFunc) {
				w.srv.InjectFault(fault(del, "/*", status(500)))
				h.before = inject(w, "get", 2, fault(get, "/*", dropped))
			}},

		// Revoking the old token: a failure keeps both and returns the new secret.
		{name: "revoke 500", setup: injectNow(at(del, "/old", status(500))), want: keptBoth, step: "revoke"},
		{name: "revoke 401", setup: injectNow(at(del, "/old", status(401))), want: keptBoth, step: "revoke"},
		{name: "revoke 404 that is not true", setup: injectNow(at(del, "/old", status(404))), want: keptBoth, step: "revoke"},
		{name: "revoke dropped before acting", setup: injectNow(at(del, "/old", dropped)), want: keptBoth, step: "revoke"},
		{name: "revoke 429", setup: injectNow(at(del, "/old", limited)), want: keptBoth, step: "revoke"},
		{name: "revoke HTML 200 before acting", setup: injectNow(at(del, "/old", htmlPage)), want: keptBoth, step: "revoke"},
		{name: "revoke lost: HTML 200 after acting", setup: injectNow(at(del, "/old", htmlAfter)), want: rotated},
		{name: "revoke lost: 500 after acting", setup: injectNow(at(del, "/old", lost(500))), want: rotated},
		{name: "revoke lost: dropped after acting", setup: injectNow(at(del, "/old", droppedAfter)), want: rotated},
		{name: "revoke fails and reading the old token back fails", want: newOnly, step: "revoke",
			setup: func(w *rotateWorld, h *hooked, _ context.CancelFunc) {
				w.srv.InjectFault(fault(del, "/"+w.oldID, status(500)))
				h.before = inject(w, "get", 2, fault(get, "/"+w.oldID, status(503)))
			}},

		// The context ends between steps, or inside Deliver.
		{name: "cancelled after reading", setup: cancelAfter("get", 1), want: unchanged, step: "list"},
		{name: "cancelled after listing", setup: cancelAfter("all", 1), want: unchanged, step: "create"},
		{name: "cancelled after creating", setup: cancelAfter("create", 1), want: unchanged, step: "deliver"},
		{name: "cancelled inside deliver, which gives up", want: unchanged, step: "deliver",
			deliver: func(ctx context.Context, cancel context.CancelFunc, _ *accesstokens.RawAccessToken) error {
				cancel()
				return ctx.Err()
			}},
		{name: "cancelled inside deliver, which finishes", want: keptBoth, step: "revoke",
			deliver: func(_ context.Context, cancel context.CancelFunc, _ *accesstokens.RawAccessToken) error {
				cancel()
				return nil
			}},
		{name: "cancelled as the revoke starts", want: keptBoth, step: "revoke",
			setup: func(_ *rotateWorld, h *hooked, cancel context.CancelFunc) {
				h.before = func(op string, _ int) {
					if op == "delete" {
						cancel()
					}
				}
			}},
	}
}

// TestRotateKeepsItsPromisesWhateverFailsWhere runs Rotate against the fake
// with a fault at every step and checks, after each: no token exists whose
// secret the caller lacks unless the error names it; the old token survives
// unless the new one was delivered; the error says which ids exist.
func TestRotateKeepsItsPromisesWhateverFailsWhere(t *testing.T) {
	t.Parallel()
	for _, tc := range rotateCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newRotateWorld(t)
			ctx, cancel := context.WithCancel(testContext(t))
			defer cancel()
			h := &hooked{TokensService: w.client.Tokens}
			if tc.setup != nil {
				tc.setup(w, h, cancel)
			}
			var delivered []string
			opts := accesstokens.RotateOptions{Deliver: func(ctx context.Context, tok *accesstokens.RawAccessToken) error {
				var err error
				if tc.deliver != nil {
					err = tc.deliver(ctx, cancel, tok)
				}
				if err == nil {
					delivered = append(delivered, tok.ID)
				}
				return err
			}}
			rot, err := accesstokens.Rotate(ctx, h, w.scope, w.oldID, opts)
			w.checkPromises(t, tc, rot, err, delivered)
		})
	}
}

func (w *rotateWorld) checkPromises(t *testing.T, tc rotateCase, rot *accesstokens.Rotation, err error, delivered []string) {
	t.Helper()
	ids := w.ids()
	has := func(id string) bool { return slices.Contains(ids, id) }
	for _, id := range w.bystander {
		assert.True(t, has(id), "token %s, not part of the rotation, was revoked", id)
	}
	var rerr *accesstokens.RotateError
	if err != nil {
		require.ErrorAs(t, err, &rerr)
		assert.Equal(t, tc.step, rerr.Step, "error: %v", err)
		for _, secret := range w.srv.MintedSecrets() {
			assert.NotContains(t, err.Error(), secret, "the error shows a secret")
		}
	}
	newID := ""
	if rot != nil && rot.New != nil {
		newID = rot.New.ID
		assert.NotEmpty(t, rot.New.Token.Reveal(), "Rotation.New without its secret")
	}

	// No token exists whose secret the caller lacks, unless the error names it.
	for _, id := range ids {
		if id == w.oldID || id == newID || slices.Contains(w.bystander, id) || tc.want == maybeOrphan {
			continue
		}
		require.NotNil(t, rerr, "token %s exists, nobody has its secret, and no error says so", id)
		assert.Contains(t, append(slices.Clone(rerr.Existing), rerr.Unconfirmed...), id)
		assert.Contains(t, err.Error(), id)
	}
	// The old token survives unless the new one was delivered.
	if !has(w.oldID) {
		require.NotEmpty(t, newID, "the old token is gone and no new one was returned")
		assert.Contains(t, delivered, newID, "the old token is gone but the new one was never delivered")
	}
	// The error says which ids exist.
	if err != nil {
		for _, id := range []string{w.oldID, newID} {
			if id != "" && has(id) {
				assert.Contains(t, err.Error(), id)
			}
		}
	}

	switch tc.want {
	case rotated:
		require.NoError(t, err)
		assert.True(t, rot.OldRevoked)
		assert.False(t, has(w.oldID), "the old token still exists")
		assert.True(t, has(newID), "the new token does not exist")
		assert.Equal(t, []string{newID}, delivered)
		assert.Equal(t, w.oldID, rot.Old.ID)
	case unchanged:
		require.Error(t, err)
		assert.ElementsMatch(t, append([]string{w.oldID}, w.bystander...), ids, "the scope changed")
		assert.Empty(t, newID, "Rotation.New set although no new token survives")
	case keptBoth:
		require.Error(t, err)
		assert.True(t, has(w.oldID))
		require.NotEmpty(t, newID, "the new token survives but its secret was not returned")
		assert.True(t, has(newID))
		assert.False(t, rot.OldRevoked)
	case newOnly:
		require.Error(t, err)
		require.NotEmpty(t, newID)
		assert.True(t, has(newID))
		assert.Equal(t, []string{w.oldID}, rerr.Unconfirmed)
	case orphan:
		require.Error(t, err)
		assert.True(t, has(w.oldID))
		assert.Greater(t, len(ids), len(w.bystander)+1, "no orphan was left after all")
	case maybeOrphan:
		require.Error(t, err)
		assert.True(t, has(w.oldID))
		assert.Contains(t, err.Error(), fmt.Sprintf("%q", rotateName), "the error does not name the token that may exist")
		assert.ErrorIs(t, err, accesstokens.ErrServer, "the listing's error is in the chain")
	}
}

// TestRotateRevokesTheTokenOfACreateThatAProxyAnswered503: with retries
// on, a proxy's 503 after Bitbucket made the token is not retried (a second
// create would make a second token): the create's outcome is unknown, and
// Rotate finds the token and revokes it.
func TestRotateRevokesTheTokenOfACreateThatAProxyAnswered503(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t, accesstokens.WithRetry(quickRetry))
	w.srv.InjectFault(fault(http.MethodPut, "", accesstokenstest.Fault{Status: http.StatusServiceUnavailable,
		Body: "<html><body>503 Service Temporarily Unavailable</body></html>", AfterHandling: true}))

	rot, err := accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{})

	w.checkPromises(t, rotateCase{want: unchanged, step: "create"}, rot, err, nil)
	require.ErrorIs(t, err, accesstokens.ErrOutcomeUnknown)
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	assert.Contains(t, rerr.Outcome, "had created token")
	assert.Contains(t, rerr.Outcome, "it was revoked")
}

func TestRotateMakesATokenLikeTheOldOneInEveryScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		scope      accesstokens.Scope
		fakeScope  string
		perms      []string
		expiryDays int
	}{
		{accesstokens.UserScope(accesstokenstest.DemoAlice), accesstokenstest.UserScopeString(accesstokenstest.DemoAlice), []string{"PROJECT_READ", "REPO_READ"}, 0},
		{accesstokens.ProjectScope(accesstokenstest.DemoProject), accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), []string{"PROJECT_WRITE", "REPO_ADMIN"}, 90},
		{accesstokens.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo), accesstokenstest.RepoScopeString(accesstokenstest.DemoProject, accesstokenstest.DemoRepo), []string{"REPO_WRITE"}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.scope.String(), func(t *testing.T) {
			t.Parallel()
			w := newRotateWorld(t)
			oldID, _ := w.srv.MintToken(tc.fakeScope, "ci", tc.expiryDays, tc.perms...)
			w.srv.Advance(3 * day)
			ctx := testContext(t)
			rot, err := accesstokens.Rotate(ctx, w.client.Tokens, tc.scope, oldID, accesstokens.RotateOptions{})
			require.NoError(t, err)
			assert.True(t, rot.OldRevoked)
			assert.Equal(t, oldID, rot.Old.ID)
			require.NotNil(t, rot.New)
			assert.NotEqual(t, oldID, rot.New.ID)
			assert.Equal(t, "ci", rot.New.Name)
			var perms []string
			for _, p := range rot.New.Permissions {
				perms = append(perms, string(p))
			}
			assert.ElementsMatch(t, tc.perms, perms)
			assert.Equal(t, tc.expiryDays, rot.New.ExpiryDays(), "a lifetime as long as the old one's")
			assert.Equal(t, w.srv.Now(), rot.New.CreatedDate, "a fresh token, not a renewed one")
			assert.NotEmpty(t, rot.New.Token.Reveal())

			_, err = w.client.Tokens.Get(ctx, tc.scope, oldID)
			assert.ErrorIs(t, err, accesstokens.ErrNotFound, "the old token was revoked")
			got, err := w.client.Tokens.Get(ctx, tc.scope, rot.New.ID)
			require.NoError(t, err)
			assert.Equal(t, rot.New.AccessToken.Name, got.Name)
		})
	}
}

func TestRotateOptionsShapeTheReplacement(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	rot, err := accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{
		Name:        "deploy-2027",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
		ExpiryDays:  14,
	})
	require.NoError(t, err)
	assert.Equal(t, "deploy-2027", rot.New.Name)
	assert.Equal(t, []accesstokens.Permission{accesstokens.RepoRead}, rot.New.Permissions)
	assert.Equal(t, 14, rot.New.ExpiryDays())
	assert.Equal(t, rotateName, rot.Old.Name)
	assert.Equal(t, 30, rot.Old.ExpiryDays())
}

func TestRotateWithKeepOldLeavesTheOldTokenForAnOverlap(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	rot, err := accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{KeepOld: true})
	require.NoError(t, err)
	assert.False(t, rot.OldRevoked)
	require.NotNil(t, rot.New)
	assert.Subset(t, w.ids(), []string{w.oldID, rot.New.ID})
}

// TestRotateRidesOutTransientFaultsWithRetries: with retries on, a 503 to
// the create (the server did not act) and a 502 to a read are retried by
// the client, and the rotation simply succeeds.
func TestRotateRidesOutTransientFaultsWithRetries(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t, accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: 5 * time.Millisecond}))
	w.srv.InjectFault(fault(http.MethodPut, "", accesstokenstest.Fault{Status: 503}))
	w.srv.InjectFault(fault(http.MethodGet, "", accesstokenstest.Fault{Status: 502}))
	w.srv.InjectFault(fault(http.MethodDelete, "/"+w.oldID, accesstokenstest.Fault{Status: 502, AfterHandling: true}))
	rot, err := accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{})
	require.NoError(t, err)
	assert.True(t, rot.OldRevoked)
	assert.ElementsMatch(t, append([]string{rot.New.ID}, w.bystander...), w.ids())
	assert.Zero(t, w.srv.PendingFaults(), "every fault was met")
}

func TestRotateErrorsMatchTheirCause(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	_, err := accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, "000000000999", accesstokens.RotateOptions{})
	assert.ErrorIs(t, err, accesstokens.ErrNotFound)
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	assert.Equal(t, "read", rerr.Step)
	assert.Empty(t, rerr.Existing, "nothing is known to exist when the old token could not be read")

	ctx, cancel := context.WithCancel(testContext(t))
	cancel()
	rot, err := accesstokens.Rotate(ctx, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, rot)
}

func TestRotateRefusesBadInputBeforeSending(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	ctx := testContext(t)
	repo := accesstokens.RepoScope(accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
	tests := []struct {
		name   string
		ctx    context.Context
		tokens accesstokens.TokensService
		scope  accesstokens.Scope
		id     string
		opts   accesstokens.RotateOptions
		field  string
	}{
		{"nil context", nil, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{}, "ctx"},
		{"nil service", ctx, nil, w.scope, w.oldID, accesstokens.RotateOptions{}, "tokens"},
		{"empty scope", ctx, w.client.Tokens, accesstokens.Scope{}, w.oldID, accesstokens.RotateOptions{}, "scope"},
		{"repo without project", ctx, w.client.Tokens, accesstokens.Scope{RepoSlug: "repo"}, w.oldID, accesstokens.RotateOptions{}, "projectKey"},
		{"empty token id", ctx, w.client.Tokens, w.scope, "", accesstokens.RotateOptions{}, "tokenID"},
		{"dot-dot token id", ctx, w.client.Tokens, w.scope, "..", accesstokens.RotateOptions{}, "tokenID"},
		{"blank name", ctx, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{Name: "  "}, "Name"},
		{"empty permissions", ctx, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{Permissions: []accesstokens.Permission{}}, "Permissions"},
		{"unknown permission", ctx, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{Permissions: []accesstokens.Permission{"REPO_OWN"}}, "Permissions"},
		{"project permission on a repository", ctx, w.client.Tokens, repo, w.oldID, accesstokens.RotateOptions{Permissions: []accesstokens.Permission{accesstokens.ProjectRead}}, "Permissions"},
		{"negative expiry", ctx, w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{ExpiryDays: -1}, "ExpiryDays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rot, err := accesstokens.Rotate(tc.ctx, tc.tokens, tc.scope, tc.id, tc.opts)
			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			var argErr *accesstokens.InvalidArgumentError
			require.ErrorAs(t, err, &argErr)
			assert.Equal(t, tc.field, argErr.Field)
			assert.Nil(t, rot)
		})
	}
	assert.Empty(t, w.srv.Requests(), "bad input reached the server")
}

// stubTokens is a hand-written TokensService: a map of tokens, and a Create
// that a test can make misbehave as no SDK client would.
type stubTokens struct {
	accesstokens.TokensService // nil: methods not overridden panic
	mu                         sync.Mutex
	tokens                     map[string]accesstokens.AccessToken
	next                       int
	create                     func(tok accesstokens.AccessToken) (*accesstokens.RawAccessToken, error)
	deleteFails                bool // every Delete answers 500 and changes nothing
	// unreadable: All yields every token from the create of this number on
	// as the SDK yields a token whose expiry date cannot be read.
	unreadableFrom int
}

func newStubTokens(old accesstokens.AccessToken) *stubTokens {
	return &stubTokens{tokens: map[string]accesstokens.AccessToken{old.ID: old}, next: 100}
}

func (s *stubTokens) Get(_ context.Context, _ accesstokens.Scope, id string) (*accesstokens.AccessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok, ok := s.tokens[id]
	if !ok {
		return nil, &accesstokens.Error{StatusCode: http.StatusNotFound, Method: http.MethodGet}
	}
	return &tok, nil
}

func (s *stubTokens) All(context.Context, accesstokens.Scope, *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []accesstokens.AccessToken
	for _, tok := range s.tokens {
		all = append(all, tok)
	}
	unreadableFrom := s.unreadableFrom
	return func(yield func(accesstokens.AccessToken, error) bool) {
		for _, tok := range all {
			var err error
			if n, _ := strconv.Atoi(tok.ID); unreadableFrom > 0 && n >= unreadableFrom {
				err = &accesstokens.InvalidTokenError{Token: tok, Field: "expiryDate", Err: errors.New("year outside 1970 to 9999")}
			}
			if !yield(tok, err) {
				return
			}
		}
	}
}

func (s *stubTokens) Create(_ context.Context, _ accesstokens.Scope, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
	s.mu.Lock()
	s.next++
	tok := accesstokens.AccessToken{ID: fmt.Sprint(s.next), Name: req.Name, Permissions: req.Permissions}
	s.tokens[tok.ID] = tok
	s.mu.Unlock()
	return s.create(tok)
}

func (s *stubTokens) Delete(_ context.Context, _ accesstokens.Scope, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleteFails {
		return &accesstokens.Error{StatusCode: http.StatusInternalServerError, Method: http.MethodDelete}
	}
	if _, ok := s.tokens[id]; !ok {
		return &accesstokens.Error{StatusCode: http.StatusNotFound, Method: http.MethodDelete}
	}
	delete(s.tokens, id)
	return nil
}

func (s *stubTokens) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id := range s.tokens {
		ids = append(ids, id)
	}
	return ids
}

var stubOld = accesstokens.AccessToken{ID: "7", Name: "bot", Permissions: []accesstokens.Permission{accesstokens.RepoRead}}

// TestRotateOverAStubCleansUpAfterCreatesThatAnswerNonsense: a service that
// makes the token but answers nil, nil, or a token without its secret.
func TestRotateOverAStubCleansUpAfterCreatesThatAnswerNonsense(t *testing.T) {
	t.Parallel()
	answers := map[string]func(accesstokens.AccessToken) (*accesstokens.RawAccessToken, error){
		"nil and no error": func(accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) { return nil, nil },
		"a token without id": func(accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
			return &accesstokens.RawAccessToken{}, nil
		},
		"no secret": func(tok accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
			return &accesstokens.RawAccessToken{AccessToken: tok}, nil
		},
		"a plain error": func(accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
			return nil, errors.New("stub: connection reset")
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stub := newStubTokens(stubOld)
			stub.create = answer
			rot, err := accesstokens.Rotate(context.Background(), stub, accesstokens.ProjectScope("PRJ"), stubOld.ID, accesstokens.RotateOptions{})
			var rerr *accesstokens.RotateError
			require.ErrorAs(t, err, &rerr)
			assert.Equal(t, "create", rerr.Step)
			assert.Equal(t, []string{stubOld.ID}, stub.ids(), "the token the create made is revoked")
			assert.Nil(t, rot.New)
			assert.Equal(t, []string{stubOld.ID}, rerr.Existing)
		})
	}
}

// TestRotateListsPastTokensWithUnreadableDates: a token of the scope whose
// date the client cannot read is yielded by All with its error and is still
// a token: the listing before the create does not fail the rotation, and
// after a create whose outcome is unknown, the token it made is found and
// revoked even when its own date cannot be read.
func TestRotateListsPastTokensWithUnreadableDates(t *testing.T) {
	t.Parallel()
	withSecret := func(tok accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
		return &accesstokens.RawAccessToken{AccessToken: tok, Token: accesstokens.NewSecret("BBDC-stub")}, nil
	}
	stub := newStubTokens(stubOld)
	stub.tokens["50"] = accesstokens.AccessToken{ID: "50", Name: stubOld.Name}
	stub.unreadableFrom, stub.create = 50, withSecret
	rot, err := accesstokens.Rotate(context.Background(), stub, accesstokens.ProjectScope("PRJ"), stubOld.ID, accesstokens.RotateOptions{})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"50", rot.New.ID}, stub.ids(), "the old token revoked, the unreadable one left alone")

	stub = newStubTokens(stubOld)
	stub.unreadableFrom = 101 // the token the create makes
	stub.create = func(accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
		return nil, errors.New("stub: connection reset")
	}
	_, err = accesstokens.Rotate(context.Background(), stub, accesstokens.ProjectScope("PRJ"), stubOld.ID, accesstokens.RotateOptions{})
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	assert.Contains(t, rerr.Outcome, "had created token 101 anyway")
	assert.Equal(t, []string{stubOld.ID}, stub.ids(), "the token the create made is revoked")
}

// TestRotateRevokesTheNewTokenWhenDeliverPanics: the panic goes on to the
// caller, but not before the token nobody received is revoked.
func TestRotateRevokesTheNewTokenWhenDeliverPanics(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	before := w.ids()
	assert.PanicsWithValue(t, "vault client bug", func() {
		_, _ = accesstokens.Rotate(testContext(t), w.client.Tokens, w.scope, w.oldID, accesstokens.RotateOptions{
			Deliver: func(context.Context, *accesstokens.RawAccessToken) error { panic("vault client bug") },
		})
	})
	assert.Equal(t, before, w.ids())
	assert.Len(t, w.srv.MintedSecrets(), len(before)+1, "a new token was made, then revoked")
}

// TestRotateNeverReturnsANewTokenWithoutItsSecret: a service whose create
// answers the token without its secret, and whose revoke then fails. The
// token is an orphan: the error names it as one to revoke, and Rotation.New,
// which promises the new secret, stays nil.
func TestRotateNeverReturnsANewTokenWithoutItsSecret(t *testing.T) {
	t.Parallel()
	stub := newStubTokens(stubOld)
	stub.deleteFails = true
	stub.create = func(tok accesstokens.AccessToken) (*accesstokens.RawAccessToken, error) {
		return &accesstokens.RawAccessToken{AccessToken: tok}, nil
	}
	rot, err := accesstokens.Rotate(context.Background(), stub, accesstokens.ProjectScope("PRJ"), stubOld.ID, accesstokens.RotateOptions{})
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	require.NotNil(t, rot)
	assert.Nil(t, rot.New, "Rotation.New holds no secret to hand over")
	assert.Equal(t, "create", rerr.Step)
	assert.Empty(t, rerr.NewID, "no new token the caller has")
	orphan := "101"
	assert.ElementsMatch(t, []string{stubOld.ID, orphan}, stub.ids())
	assert.Equal(t, []string{stubOld.ID, orphan}, rerr.Existing)
	assert.Contains(t, err.Error(), orphan+" (no secret: revoke it)")
	assert.NotContains(t, err.Error(), "Rotation.New")
	assert.ErrorIs(t, err, accesstokens.ErrServer, "the failed revoke is in the chain")
}

// TestRotateDoesNotTellToRevokeATokenThatMayBeAnotherClients: when a lost
// create leaves two new tokens of the name, one may be another client's:
// the error names both but tells nobody to revoke either.
func TestRotateDoesNotTellToRevokeATokenThatMayBeAnotherClients(t *testing.T) {
	t.Parallel()
	w := newRotateWorld(t)
	w.srv.InjectFault(fault(http.MethodPut, "", droppedAfter))
	h := &hooked{TokensService: w.client.Tokens, before: func(op string, _ int) {
		if op == "create" {
			w.srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), rotateName, 0, "REPO_READ")
		}
	}}
	_, err := accesstokens.Rotate(testContext(t), h, w.scope, w.oldID, accesstokens.RotateOptions{})
	var rerr *accesstokens.RotateError
	require.ErrorAs(t, err, &rerr)
	require.Len(t, rerr.Existing, 3, "the old token and the two new ones")
	for _, id := range rerr.Existing[1:] {
		assert.Contains(t, err.Error(), id)
		assert.NotContains(t, err.Error(), id+" (no secret: revoke it)", "it may be another client's token")
	}
}

// The exported names of rotation, as published: this stops compiling if one of
// them is renamed or changes shape (fields by composite literals, methods by
// method values).
var (
	_ func(context.Context, accesstokens.TokensService, accesstokens.Scope, string, accesstokens.RotateOptions) (*accesstokens.Rotation, error) = accesstokens.Rotate
	_                                                                                                                                           = accesstokens.RotateOptions{
		Name: "", Permissions: []accesstokens.Permission(nil), ExpiryDays: 0, KeepOld: false,
		Deliver: func(ctx context.Context, newToken *accesstokens.RawAccessToken) error { return nil },
	}
	_ = accesstokens.Rotation{Old: accesstokens.AccessToken{}, New: (*accesstokens.RawAccessToken)(nil), OldRevoked: false}
)
