package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// The token of `accesstokens exec`: created before CMD, revoked after it,
// and never left behind without its id said, whatever fails.

// execCleanupTimeout bounds looking for a token whose create answer was lost.
const execCleanupTimeout = 20 * time.Second

// create makes the token. A first signal meanwhile lets the create finish
// (CMD is then not run, and the token is revoked); a second abandons it.
func (r *execRun) create(ctx context.Context) (*accesstokens.RawAccessToken, error) {
	o := r.opts
	req := accesstokens.CreateTokenRequest{Name: o.Name, Permissions: o.Permissions, ExpiryDays: o.ExpiryDays}
	var tok *accesstokens.RawAccessToken
	err := r.untilSignalledTwice(ctx, func(ctx context.Context) error {
		var err error
		tok, err = r.conn.Client.Tokens.Create(ctx, o.Scope, req)
		return err
	}, "finishing the create in flight; the token is then revoked and CMD not run", "the create")
	if err == nil && (tok == nil || tok.ID == "" || tok.Token.IsZero()) {
		err = errors.New("the create answered no token with its secret")
	}
	if err != nil {
		return nil, r.createFailed(ctx, err)
	}
	verb := "running " + quoted(o.Argv[0])
	if r.interrupted != nil {
		verb = "not running CMD (interrupted)"
	}
	fmt.Fprintf(o.IO.ErrOut, "Created token %s %s in %s%s; %s.\n", tok.ID, quoted(tok.Name), o.Scope, expiryNote(tok.AccessToken), verb)
	return tok, nil
}

// expiryNote is ", expiring DATE" for messages.
func expiryNote(t accesstokens.AccessToken) string {
	if t.ExpiryDate == nil {
		return ""
	}
	return ", expiring " + t.ExpiryDate.UTC().Format(time.RFC3339)
}

// createFailed explains a failed create. A refusal made nothing; any other
// failure may have made the token anyway (a lost answer, an abandoned
// request): the scope is searched for tokens with its name, and those are
// revoked when the name is exec's own (unique to this run) or else named.
func (r *execRun) createFailed(ctx context.Context, cause error) error {
	o := r.opts
	err := fmt.Errorf("creating %q in %s: %w", o.Name, o.Scope, cause)
	if refusedCreate(cause) {
		return err
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), execCleanupTimeout)
	defer cancel()
	var ids []string
	for t, lerr := range r.conn.Client.Tokens.All(cctx, o.Scope, nil) {
		if lerr != nil {
			return fmt.Errorf("%w; the server may have created it, and looking for it failed (%v): look with 'accesstokens list %s'", err, lerr, o.Scope)
		}
		if t.Name == o.Name {
			ids = append(ids, t.ID)
		}
	}
	switch {
	case len(ids) == 0:
		return fmt.Errorf("%w; the server created no token: CMD was not run", err)
	case !o.DefaultName:
		return fmt.Errorf("%w; tokens named %q in %s now: %s: if one is this run's, revoke it with 'accesstokens revoke %s ID'; CMD was not run",
			err, o.Name, o.Scope, strings.Join(ids, ", "), o.Scope)
	}
	var left []string
	for _, id := range ids {
		if derr := r.conn.Client.Tokens.Delete(cctx, o.Scope, id); derr != nil && !errors.Is(derr, accesstokens.ErrNotFound) {
			left = append(left, id)
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("%w; the server had created token %s anyway, and revoking it failed: revoke it with 'accesstokens revoke %s %s'; CMD was not run",
			err, strings.Join(left, ", "), o.Scope, strings.Join(left, " "))
	}
	return fmt.Errorf("%w; the server had created token %s anyway; it was revoked; CMD was not run", err, strings.Join(ids, ", "))
}

// refusedCreate reports a create that the server refused (a 4xx with a
// clear answer) or that was never sent: no token was made.
func refusedCreate(err error) bool {
	if errors.Is(err, accesstokens.ErrInvalidArgument) {
		return true
	}
	var apiErr *accesstokens.Error
	return errors.As(err, &apiErr) && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && !errors.Is(err, accesstokens.ErrOutcomeUnknown)
}

// revoke revokes the token once CMD has ended. A first signal meanwhile
// only notes it; a second abandons the revoke, naming the token left.
func (r *execRun) revoke(ctx context.Context, tok *accesstokens.RawAccessToken) error {
	o := r.opts
	err := r.untilSignalledTwice(context.WithoutCancel(ctx), func(ctx context.Context) error {
		return r.conn.Client.Tokens.Delete(ctx, o.Scope, tok.ID)
	}, "revoking token "+tok.ID+" before exiting", "the revoke")
	switch {
	case err == nil:
		fmt.Fprintf(o.IO.ErrOut, "Revoked token %s.\n", tok.ID)
		return nil
	case errors.Is(err, accesstokens.ErrNotFound):
		fmt.Fprintf(o.IO.ErrOut, "Token %s was gone already.\n", tok.ID)
		return nil
	}
	return &exitError{code: exitFailed, err: fmt.Errorf("token %s in %s was not revoked: %w; revoke it with 'accesstokens revoke %s %s'%s",
		tok.ID, o.Scope, err, o.Scope, tok.ID, untilNote(tok.AccessToken))}
}

// untilNote is " (it expires DATE anyway)" for messages.
func untilNote(t accesstokens.AccessToken) string {
	if t.ExpiryDate == nil {
		return ""
	}
	return " (it expires " + t.ExpiryDate.UTC().Format(time.RFC3339) + " anyway)"
}
