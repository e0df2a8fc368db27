// identify --secret-from: finding the token of the secret's id, by asking
// the server whom the secret authenticates (--ask-server) or by searching
// the scopes; then showing it, and revoking it on request.

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// foundToken is the token of the secret and its scope.
type foundToken struct {
	scope accesstokens.Scope
	token *accesstokens.AccessToken
}

// runIdentifySecret finds the secret's token (asking the server first with
// --ask-server, searching when that does not place it), shows it, and
// revokes it as --revoke and --yes say.
func runIdentifySecret(ctx context.Context, opts *IdentifyOptions, conn *Connection) error {
	var (
		found *foundToken
		err   error
	)
	if opts.AskWho {
		if found, err = findByAsking(ctx, opts, conn); err != nil {
			return err
		}
	}
	if found == nil {
		if found, err = findBySearching(ctx, opts, conn); err != nil {
			return err
		}
	}
	return showIdentified(ctx, opts, conn, *found)
}

// findByAsking asks the server whom the secret authenticates, finds that
// user's or bot's scope, and reads the token there. nil, nil: it could not
// tell (stderr says why), and the caller searches instead.
func findByAsking(ctx context.Context, opts *IdentifyOptions, conn *Connection) (*foundToken, error) {
	who, err := opts.AskServer(ctx, conn.URL, opts.Secret)
	if err != nil {
		notef(opts.IO, "--ask-server: %s; searching by the token's id", errText(err))
		return nil, nil
	}
	as := "the secret authenticates as " + textsafe.Terminal(who.Name)
	// A person: on most servers the slug is the name, and one Get says so
	// without reading the user list.
	var guess accesstokens.Scope
	if _, isBot := accesstokens.ParseBotUser(who.Name); !isBot && plausibleSlug(who.Name) {
		guess = accesstokens.UserScope(who.Name)
		if found, err := readToken(ctx, opts, conn, guess); found != nil || err != nil {
			if found != nil {
				notef(opts.IO, "--ask-server: %s, a person", as)
			}
			return found, askFailed(opts, err, as)
		}
	}
	scope, whose, err := askedScope(ctx, conn.Client.Directory, who)
	if err != nil {
		return nil, askFailed(opts, err, as)
	}
	notef(opts.IO, "--ask-server: %s, %s", as, whose)
	var found *foundToken
	if scope != guess { // else asked already
		if found, err = readToken(ctx, opts, conn, scope); err != nil {
			return nil, askFailed(opts, err, as)
		}
	}
	if found == nil {
		notef(opts.IO, "--ask-server: %s holds no token %s (revoked meanwhile?); searching by the token's id", textsafe.Terminal(scope.String()), opts.TokenID)
	}
	return found, nil
}

// askedScope finds the scope of the user the server named: a bot's project
// or repository, or a person's own; whose says which, for a note.
func askedScope(ctx context.Context, dir accesstokens.DirectoryService, who tokenUser) (scope accesstokens.Scope, whose string, err error) {
	if bot, ok := accesstokens.ParseBotUser(who.Name); ok {
		scope, err = scopeOfBot(ctx, dir, bot)
		return scope, "the token bot of " + textsafe.Terminal(scope.String()), err
	}
	scope, err = scopeOfPerson(ctx, dir, who.Name, who.ID)
	return scope, "a person (" + textsafe.Terminal(scope.String()) + ")", err
}

// plausibleSlug reports whether a user name can be tried as a slug.
func plausibleSlug(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.Contains(name, "/")
}

// askFailed turns a failure to read what --ask-server pointed to into a
// note, so that the search takes over; a failed login of the run's own
// credentials, or an interrupt, still stops the run.
func askFailed(opts *IdentifyOptions, err error, as string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, accesstokens.ErrAuthentication) || errors.Is(err, context.Canceled) {
		return err
	}
	notef(opts.IO, "--ask-server: %s, but %s; searching by the token's id", as, errText(err))
	return nil
}

// readToken reads the token in scope: nil, nil when it is not there.
func readToken(ctx context.Context, opts *IdentifyOptions, conn *Connection, scope accesstokens.Scope) (*foundToken, error) {
	tok, err := conn.Client.Tokens.Get(ctx, scope, opts.TokenID)
	switch {
	case err == nil:
		return &foundToken{scope: scope, token: tok}, nil
	case errors.Is(err, accesstokens.ErrNotFound):
		return nil, nil
	}
	return nil, err
}

// findBySearching asks the selected scopes (every scope of the server, in
// searchOrder, by default) for the token. Not found is exit 1, saying
// where it looked.
func findBySearching(ctx context.Context, opts *IdentifyOptions, conn *Connection) (*foundToken, error) {
	scopes, err := searchScopes(ctx, opts, conn)
	if err != nil {
		return nil, err
	}
	bar := newProgress(opts.IO, len(scopes)).showing(conn.Waits)
	out, err := idSearch{
		tokens: conn.Client.Tokens, id: opts.TokenID, concurrency: opts.Concurrency,
		answered: bar.searched,
	}.run(ctx, scopes)
	bar.done()
	if err != nil {
		return nil, fmt.Errorf("searching for token %s: stopped after %d of %s: %w", opts.TokenID, out.asked, plural(len(scopes), "scope"), err)
	}
	if out.token != nil {
		notef(opts.IO, "found token %s in %s after asking %d of %s", opts.TokenID, textsafe.Terminal(out.scope.String()), out.asked, plural(len(scopes), "scope"))
		return &foundToken{scope: out.scope, token: out.token}, nil
	}
	for _, f := range out.failed {
		notef(opts.IO, "could not ask %s: %s", textsafe.Terminal(f.Scope.String()), errText(f.Err))
	}
	where := "every user, project and repository you can see"
	if !opts.Select.All {
		where = "the scopes given"
	}
	msg := fmt.Sprintf("no token with id %s in the %s searched (%s)", opts.TokenID, plural(len(scopes), "scope"), where)
	if n := len(out.failed); n > 0 {
		msg += fmt.Sprintf("; %d could not be asked, see above", n)
	} else {
		msg += ": it was revoked, or is in a scope you cannot see"
	}
	return nil, notOnServer("%s", msg)
}

// searchScopes is the selection as the search asks it: with All, every
// scope of the server in searchOrder (a spinner on a terminal while the
// lists are read); else the scopes given, each once.
func searchScopes(ctx context.Context, opts *IdentifyOptions, conn *Connection) ([]accesstokens.Scope, error) {
	if !opts.Select.All {
		var scopes []accesstokens.Scope
		for _, t := range audit.TargetsOf(opts.Select.Scopes...) { // each once, in the order given
			scopes = append(scopes, t.Scope)
		}
		return scopes, nil
	}
	spin := newSpinner(opts.IO, "listing users, projects and repositories").showing(conn.Waits)
	spin.tick()
	defer spin.done()
	scopes, err := searchOrder(ctx, conn.Client.Directory)
	if err != nil {
		return nil, fmt.Errorf("listing the server's users, projects and repositories: %w", err)
	}
	return scopes, nil
}

// searched shows how many scopes have answered.
func (p *progress) searched(n int) { p.set("asking scopes for the token", n) }

// notef writes one line on stderr, "accesstokens: " in front.
func notef(streams *IOStreams, format string, args ...any) {
	fmt.Fprintln(streams.ErrOut, "accesstokens: "+strings.TrimSuffix(fmt.Sprintf(format, args...), "\n"))
}
