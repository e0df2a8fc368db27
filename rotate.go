package accesstokens

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rotation: replacing a token with a new one like it, safely, over any
// TokensService. Bitbucket cannot renew a token, and a create has no
// idempotency key, so every step that can fail is followed by a check of
// what the server really holds.

// RotateOptions says what the replacement token looks like and how its
// secret is handed over. The zero value makes a token like the old one.
type RotateOptions struct {
	Name        string       // "": the old token's name
	Permissions []Permission // nil: the old token's permissions
	ExpiryDays  int          // 0: the old token's ExpiryDays() (0 again if it never expired)
	KeepOld     bool         // true: leave the old token for the caller to revoke after an overlap
	// Deliver, when set, runs after the new token exists and before the old one is revoked: store the
	// secret, check that it works. An error from it revokes the new token and leaves the old one alone.
	Deliver func(ctx context.Context, newToken *RawAccessToken) error
}

// Rotation is what Rotate did.
type Rotation struct {
	Old        AccessToken
	New        *RawAccessToken // nil when no new token survives
	OldRevoked bool
}

// rotateCleanupTimeout bounds each clean-up step (finding a token whose
// create answer was lost, revoking a new token nobody will get, reading the
// old token back). Clean-up runs even when the caller's context has ended,
// so it needs a deadline of its own.
const rotateCleanupTimeout = 20 * time.Second

// Rotate replaces a token with a new one like it. It works over any TokensService, so it runs against
// a stub as well as a server. Its promises, whatever fails where:
//   - never both tokens lost: the old one is revoked only after the new one exists and Deliver succeeded;
//   - no orphan: a new token whose secret the caller will not get (a create whose answer was lost,
//     a failed Deliver, a cancelled context) is found and revoked before Rotate returns, or its id
//     is reported in the error;
//   - when the old token cannot be revoked, the Rotation (with New) is returned with the error, so
//     the new secret is never thrown away.
//
// The steps: read the old token; note the ids of the scope's tokens with the
// new name; create the new token; Deliver it; revoke the old one (unless
// KeepOld). A create that fails without a clear refusal from the server (a
// 5xx, a lost connection, an unreadable answer, a cancelled context) may
// still have made the token: the scope is listed again, and a token with the
// new name and an id not seen before is revoked, since nobody has its
// secret. Rotate assumes nobody else creates a token of that name in the
// scope while it runs; when it finds more than one such token it revokes
// none of them and names them all. A context that ends between steps stops
// the rotation at the next step, after cleaning up. Clean-up runs even when
// ctx has ended, each step bounded by a short deadline of its own.
//
// Input is checked before anything is sent (an *InvalidArgumentError naming
// the field). Every later error is a *RotateError saying which step failed
// and which token ids exist; the Rotation is nil only when the input was
// refused or the old token could not be read.
func Rotate(ctx context.Context, tokens TokensService, scope Scope, tokenID string, opts RotateOptions) (*Rotation, error) {
	kind, err := validateRotate(ctx, tokens, scope, tokenID, opts)
	if err != nil {
		return nil, err
	}
	r := &rotator{tokens: tokens, scope: scope, kind: kind, opts: opts}
	return r.run(ctx, tokenID)
}

func validateRotate(ctx context.Context, tokens TokensService, scope Scope, tokenID string, opts RotateOptions) (scopeKind, error) {
	switch {
	case ctx == nil:
		return 0, invalidArg("ctx", "must not be nil")
	case tokens == nil:
		return 0, invalidArg("tokens", "must not be nil")
	}
	_, kind, err := scope.tokenSegments(anyScope, tokenID)
	if err != nil {
		return 0, err
	}
	if opts.Name != "" && strings.TrimSpace(opts.Name) == "" {
		return 0, invalidArg("Name", "must not be blank (\"\": the old token's name)")
	}
	if opts.Permissions != nil {
		if len(opts.Permissions) == 0 {
			return 0, invalidArg("Permissions", "must not be empty when set (nil: the old token's)")
		}
		if err := validatePermissions(kind, opts.Permissions); err != nil {
			return 0, err
		}
	}
	if err := checkExpiryDays(opts.ExpiryDays); err != nil {
		return 0, err
	}
	return kind, nil
}

// rotator is one Rotate call.
type rotator struct {
	tokens TokensService
	scope  Scope
	kind   scopeKind
	opts   RotateOptions
}

func (r *rotator) run(ctx context.Context, tokenID string) (*Rotation, error) {
	old, err := r.tokens.Get(ctx, r.scope, tokenID)
	if err == nil && (old == nil || old.ID != tokenID) {
		err = fmt.Errorf("the token read back has id %q", idOf(old))
	}
	if err != nil {
		return nil, &RotateError{Scope: r.scope, OldID: tokenID, Step: "read", Err: err, Outcome: "nothing was changed"}
	}
	rot := &Rotation{Old: *old}
	req := r.request(*old)
	if err := validateCreate(r.kind, req); err != nil {
		return rot, r.unchanged(rot, "create", err)
	}
	if err := ctx.Err(); err != nil {
		return rot, r.unchanged(rot, "list", err)
	}
	// Noted so that a token the create makes without telling can be found.
	before, err := r.idsNamed(ctx, req.Name)
	if err != nil {
		return rot, r.unchanged(rot, "list", err)
	}
	if err := ctx.Err(); err != nil {
		return rot, r.unchanged(rot, "create", err)
	}
	created, err := r.tokens.Create(ctx, r.scope, req)
	if err != nil || created == nil || created.ID == "" {
		if err == nil {
			err = errors.New("the create answered no token")
		}
		return rot, r.createFailed(ctx, rot, req.Name, before, err)
	}
	if created.Token.IsZero() {
		// Nobody has this token's secret: an orphan, not a new token to hand over.
		e := &RotateError{Scope: r.scope, OldID: rot.Old.ID, Step: "create", Err: errors.New("the create answered the new token without its secret"), Existing: []string{rot.Old.ID}}
		return rot, r.revokeStray(ctx, e, created.ID, fmt.Sprintf("the create answered token %s without its secret", created.ID))
	}
	rot.New = created
	if err := ctx.Err(); err != nil {
		return rot, r.undoNew(ctx, rot, "deliver", err)
	}
	if r.opts.Deliver != nil {
		if err := r.deliver(ctx, rot); err != nil {
			return rot, r.undoNew(ctx, rot, "deliver", err)
		}
	}
	if r.opts.KeepOld {
		return rot, nil
	}
	if err := ctx.Err(); err != nil {
		return rot, &RotateError{Scope: r.scope, OldID: rot.Old.ID, NewID: created.ID, Step: "revoke", Err: err,
			Outcome: "stopped before revoking the old token; the new one is in Rotation.New", Existing: []string{rot.Old.ID, created.ID}}
	}
	return rot, r.revokeOld(ctx, rot)
}

// request asks for a token like old, changed as the options say.
func (r *rotator) request(old AccessToken) CreateTokenRequest {
	req := CreateTokenRequest{Name: r.opts.Name, Permissions: slices.Clone(r.opts.Permissions), ExpiryDays: r.opts.ExpiryDays}
	if req.Name == "" {
		req.Name = old.Name
	}
	if req.Permissions == nil {
		req.Permissions = slices.Clone(old.Permissions)
	}
	if req.ExpiryDays == 0 {
		req.ExpiryDays = old.ExpiryDays()
	}
	return req
}

// unchanged is the error of a step that failed before anything was created.
func (r *rotator) unchanged(rot *Rotation, step string, err error) error {
	return &RotateError{Scope: r.scope, OldID: rot.Old.ID, Step: step, Err: err,
		Outcome: "nothing was changed", Existing: []string{rot.Old.ID}}
}

// idsNamed returns the ids of the scope's tokens named name. A token whose
// dates cannot be read (All yields it with an *InvalidTokenError) is still
// a token, with its id and name: only other errors fail the listing.
func (r *rotator) idsNamed(ctx context.Context, name string) (map[string]bool, error) {
	ids := map[string]bool{}
	for t, err := range r.tokens.All(ctx, r.scope, nil) {
		var inv *InvalidTokenError
		switch {
		case err == nil:
		case errors.As(err, &inv):
			if t.ID == "" {
				t = inv.Token
			}
		default:
			return nil, err
		}
		if t.Name == name {
			ids[t.ID] = true
		}
	}
	return ids, nil
}

// refused reports a create the server answered with a refusal (4xx), or one
// the client never sent: no token was made.
func refused(err error) bool {
	if errors.Is(err, ErrInvalidArgument) {
		return true
	}
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !errors.Is(err, ErrOutcomeUnknown)
}

// createFailed cleans up behind a failed create. A refusal changed nothing.
// Otherwise the server may have made the token and lost its answer: the
// scope is listed again, and a single token with the name whose id was not
// there before is revoked.
func (r *rotator) createFailed(ctx context.Context, rot *Rotation, name string, before map[string]bool, cause error) error {
	if refused(cause) {
		return r.unchanged(rot, "create", cause)
	}
	e := &RotateError{Scope: r.scope, OldID: rot.Old.ID, Step: "create", Err: cause, Existing: []string{rot.Old.ID}}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	after, err := r.idsNamed(cctx, name)
	if err != nil {
		e.Cleanup = err
		e.Outcome = fmt.Sprintf("the server may have created a token named %q anyway, and listing %s to find it failed: look for one and revoke it", name, r.scope)
		return e
	}
	var strays []string
	for id := range after {
		if !before[id] {
			strays = append(strays, id)
		}
	}
	slices.Sort(strays)
	switch len(strays) {
	case 0:
		e.Outcome = "the server created no token: nothing was changed"
		return e
	case 1:
		return r.revokeStray(ctx, e, strays[0], fmt.Sprintf("the server had created token %s anyway", strays[0]))
	default:
		e.Existing = append(e.Existing, strays...)
		e.othersMayOwn = true
		e.Outcome = fmt.Sprintf("%d tokens named %q appeared while the create failed, and one may be another client's: none was revoked", len(strays), name)
		return e
	}
}

// revokeStray revokes id, a token this rotation made whose secret the caller
// will not get, and says in e what happened: how the token came about, and
// how the clean-up ended.
func (r *rotator) revokeStray(ctx context.Context, e *RotateError, id, how string) *RotateError {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	state := r.cleanUp(cctx, e, id)
	e.Outcome = how + "; " + revokeOutcome[state]
	if state == tokenGone {
		e.Outcome += ": nothing was changed"
	}
	return e
}

// deliver runs Deliver; a panic in it revokes the new token before it goes on.
func (r *rotator) deliver(ctx context.Context, rot *Rotation) error {
	defer func() {
		if p := recover(); p != nil {
			_ = r.undoNew(ctx, rot, "deliver", fmt.Errorf("the Deliver func panicked: %v", p))
			panic(p)
		}
	}()
	return r.opts.Deliver(ctx, rot.New)
}

// undoNew revokes a new token whose secret the caller will not get, leaving
// the old token alone. When that fails, rot.New keeps the secret.
func (r *rotator) undoNew(ctx context.Context, rot *Rotation, step string, cause error) error {
	newID := rot.New.ID
	e := &RotateError{Scope: r.scope, OldID: rot.Old.ID, NewID: newID, Step: step, Err: cause, Existing: []string{rot.Old.ID}}
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if state := r.cleanUp(cctx, e, newID); state != tokenGone {
		e.Outcome = fmt.Sprintf("the new token %s was to be revoked again, but %s: its secret is in Rotation.New", newID, revokeOutcome[state])
		return e
	}
	rot.New = nil
	e.Outcome = fmt.Sprintf("the new token %s was revoked again and the old one left in place", newID)
	return e
}

// cleanUp revokes id, a token Rotate made and the caller will not get, and
// records in e what is left: id among Existing or Unconfirmed, and the
// clean-up error.
func (r *rotator) cleanUp(ctx context.Context, e *RotateError, id string) tokenState {
	state, err := r.revoke(ctx, ctx, id)
	switch state {
	case tokenExists:
		e.Existing = append(e.Existing, id)
	case tokenUnknown:
		e.Unconfirmed = append(e.Unconfirmed, id)
	}
	if state != tokenGone {
		e.Cleanup = err
	}
	return state
}

// revokeOutcome says in words how a clean-up revoke ended.
var revokeOutcome = [...]string{
	tokenGone:    "it was revoked",
	tokenExists:  "revoking it failed",
	tokenUnknown: "revoking it failed and whether it still exists is unknown",
}

// revokeOld revokes the old token after the new one was delivered. On
// failure the new token is kept: it may already be in use.
func (r *rotator) revokeOld(ctx context.Context, rot *Rotation) error {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	state, err := r.revoke(ctx, cctx, rot.Old.ID)
	if state == tokenGone {
		rot.OldRevoked = true
		return nil
	}
	e := &RotateError{Scope: r.scope, OldID: rot.Old.ID, NewID: rot.New.ID, Step: "revoke", Err: err, Existing: []string{rot.New.ID}}
	if state == tokenExists {
		e.Existing = []string{rot.Old.ID, rot.New.ID}
		e.Outcome = "the old token could not be revoked; the new one is in Rotation.New"
	} else {
		e.Unconfirmed = []string{rot.Old.ID}
		e.Outcome = "the old token could not be revoked and whether it still exists is unknown; the new one is in Rotation.New"
	}
	return e
}

// tokenState is what a revoke left behind.
type tokenState uint8

const (
	tokenGone tokenState = iota
	tokenExists
	tokenUnknown
)

// revoke deletes id (with ctx) and says whether it is gone. A failed delete
// is checked by reading the token back (with checkCtx, which outlives a
// cancelled ctx): its answer may have been lost after the server acted, or
// it may never have reached the server.
func (r *rotator) revoke(ctx, checkCtx context.Context, id string) (tokenState, error) {
	err := r.tokens.Delete(ctx, r.scope, id)
	if err == nil {
		return tokenGone, nil
	}
	// Even a 404 is checked: a proxy's 404 is no proof that the token is gone.
	_, getErr := r.tokens.Get(checkCtx, r.scope, id)
	switch {
	case getErr == nil:
		return tokenExists, err
	case isNotFound(getErr):
		return tokenGone, nil
	default:
		return tokenUnknown, fmt.Errorf("%w; reading token %s back: %w", err, id, getErr)
	}
}

// isNotFound is a 404: the token does not exist (any more).
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// cleanupContext keeps ctx's values but not its end: clean-up must run after
// a cancellation, bounded by a deadline of its own.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), rotateCleanupTimeout)
}

func idOf(t *AccessToken) string {
	if t == nil {
		return ""
	}
	return t.ID
}
