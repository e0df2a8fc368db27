// The order identify searches the server's scopes in: most likely to hold
// a token first, judged from what the user, project and repository lists
// already say, so that the search asks as few scopes as it can.

package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/bbdc-tools/accesstokens"
)

// Evidence that a scope holds tokens, strongest first. The user list names
// a bot user per project or repository with tokens (access-token-user/1/<project
// id>, access-token-user/2/<repository id>) and, for an admin, when each
// user last authenticated. That a server makes a bot only once a scope gets
// its first token is inferred, not documented: the ranks only order the
// search, every scope is still asked.
const (
	rankUsedBot  = iota // a project or repository whose bot has authenticated: one of its tokens was used
	rankBot             // a project or repository with a bot: tokens were made there
	rankLoggedIn        // a user who has logged in (a personal token is made by its owner, logged in)
	rankRest            // the rest: users never seen logging in, projects and repositories without a bot
)

// rankedScope is a scope and the evidence that it holds tokens.
type rankedScope struct {
	scope accesstokens.Scope
	rank  int
}

// searchOrder lists every scope of the server through dir (users first,
// which names the bots, then projects and repositories, archived ones
// included) and returns them by rank; within a rank projects, then
// repositories, then users, each in the server's order.
func searchOrder(ctx context.Context, dir accesstokens.DirectoryService) ([]accesstokens.Scope, error) {
	users, bots, err := rankUsers(ctx, dir)
	if err != nil {
		return nil, err
	}
	botRank := func(b accesstokens.BotUser) int {
		used, seen := bots[b]
		switch {
		case used:
			return rankUsedBot
		case seen || len(bots) == 0: // a list without any bot says nothing either way
			return rankBot
		}
		return rankRest
	}
	var scopes []rankedScope
	for p, err := range dir.Projects(ctx) {
		if err != nil {
			return nil, fmt.Errorf("listing projects: %w", err)
		}
		if p.Type != "PERSONAL" { // a personal project holds no project tokens
			scopes = append(scopes, rankedScope{accesstokens.ProjectScope(p.Key), botRank(accesstokens.BotUser{ProjectID: p.ID})})
		}
	}
	for r, err := range dir.Repositories(ctx) {
		if err != nil {
			return nil, fmt.Errorf("listing repositories: %w", err)
		}
		scopes = append(scopes, rankedScope{accesstokens.RepoScope(r.Project.Key, r.Slug), botRank(accesstokens.BotUser{RepositoryID: r.ID})})
	}
	scopes = append(scopes, users...)
	slices.SortStableFunc(scopes, func(a, b rankedScope) int { return cmp.Compare(a.rank, b.rank) })
	out := make([]accesstokens.Scope, len(scopes))
	for i, s := range scopes {
		out[i] = s.scope
	}
	return out, nil
}

// rankUsers reads the user list: every person's scope with its rank, and
// every bot, true when it has authenticated.
func rankUsers(ctx context.Context, dir accesstokens.DirectoryService) ([]rankedScope, map[accesstokens.BotUser]bool, error) {
	var users []rankedScope
	bots := map[accesstokens.BotUser]bool{}
	for u, err := range dir.Users(ctx) {
		if err != nil {
			return nil, nil, fmt.Errorf("listing users: %w", err)
		}
		if bot, ok := botOf(u.User); ok {
			bots[bot] = bots[bot] || u.LastAuthentication != nil
			continue
		}
		if u.Type == "SERVICE" {
			continue // another service account: no personal tokens
		}
		rank := rankRest
		if u.LastAuthentication != nil {
			rank = rankLoggedIn
		}
		users = append(users, rankedScope{accesstokens.UserScope(u.Slug), rank})
	}
	return users, bots, nil
}

// botOf reads a user as a token bot, by its name or its slug.
func botOf(u accesstokens.User) (accesstokens.BotUser, bool) {
	if b, ok := accesstokens.ParseBotUser(u.Name); ok {
		return b, true
	}
	return accesstokens.ParseBotUser(u.Slug)
}
