// From a user name to the scope of its tokens: a token bot's project or
// repository (by the id in the bot's name), or a person's own scope; each
// found by reading the server's list only until it shows up.

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// notOnServer is exit 1 with a message saying what is not there.
func notOnServer(format string, args ...any) error {
	return &exitError{code: exitFailed, err: fmt.Errorf(format, args...)}
}

// scopeOfBot returns the project or repository whose tokens bot holds,
// reading the project or repository list until the bot's id shows up.
func scopeOfBot(ctx context.Context, dir accesstokens.DirectoryService, bot accesstokens.BotUser) (accesstokens.Scope, error) {
	if bot.ProjectID > 0 {
		for p, err := range dir.Projects(ctx) {
			if err != nil {
				return accesstokens.Scope{}, fmt.Errorf("listing projects: %w", err)
			}
			if p.ID == bot.ProjectID {
				return accesstokens.ProjectScope(p.Key), nil
			}
		}
		return accesstokens.Scope{}, notOnServer("no project with id %d among the projects you can see (deleted, or hidden from you): %s has nothing left to act for",
			bot.ProjectID, bot.Name())
	}
	for r, err := range dir.Repositories(ctx) {
		if err != nil {
			return accesstokens.Scope{}, fmt.Errorf("listing repositories: %w", err)
		}
		if r.ID == bot.RepositoryID {
			return accesstokens.RepoScope(r.Project.Key, r.Slug), nil
		}
	}
	return accesstokens.Scope{}, notOnServer("no repository with id %d among the repositories you can see (deleted, or hidden from you): %s has nothing left to act for",
		bot.RepositoryID, bot.Name())
}

// scopeOfPerson returns the personal scope of the user called name (by
// name or slug, in any case, as logins are) or, when id is not 0, with
// that id; it reads the user list until the user shows up.
func scopeOfPerson(ctx context.Context, dir accesstokens.DirectoryService, name string, id int) (accesstokens.Scope, error) {
	for u, err := range dir.Users(ctx) {
		if err != nil {
			return accesstokens.Scope{}, fmt.Errorf("listing users: %w", err)
		}
		if strings.EqualFold(u.Name, name) || strings.EqualFold(u.Slug, name) || (id != 0 && u.ID == id) {
			return accesstokens.UserScope(u.Slug), nil
		}
	}
	return accesstokens.Scope{}, notOnServer("no user %s among the users you can see", quoted(name))
}

// botScope is the scope of a bot's tokens, found, with a line that says so.
type botScope struct {
	scope accesstokens.Scope
	about string // "access-token-user/2/14 is the token bot of repo:PLAT/web (repository id 14)"
}

// scopeOfName reads a user name as a bot's or a person's and finds the
// scope of its tokens.
func scopeOfName(ctx context.Context, dir accesstokens.DirectoryService, name string, id int) (botScope, error) {
	bot, isBot := accesstokens.ParseBotUser(name)
	if !isBot {
		scope, err := scopeOfPerson(ctx, dir, name, id)
		if err != nil {
			return botScope{}, err
		}
		return botScope{scope: scope, about: fmt.Sprintf("%s is a person, not a token bot: their personal tokens (%s)", quoted(name), textsafe.Terminal(scope.String()))}, nil
	}
	scope, err := scopeOfBot(ctx, dir, bot)
	if err != nil {
		return botScope{}, err
	}
	kind, id := "repository", bot.RepositoryID
	if bot.ProjectID > 0 {
		kind, id = "project", bot.ProjectID
	}
	return botScope{scope: scope, about: fmt.Sprintf("%s is the token bot of %s (%s id %d)", bot.Name(), textsafe.Terminal(scope.String()), kind, id)}, nil
}
