// The scopes an audit reads: every one of the server's (Targets), or those
// named (TargetsOf); each once, and never more than MaxTargets.

package audit

import (
	"context"
	"fmt"
	"slices"

	"github.com/bbdc-tools/accesstokens"
)

// MaxTargets bounds how many scopes Targets collects: users, projects and
// repositories together, as the directory lists them. The largest Data
// Center servers hold a few hundred thousand; a directory that lists more is
// taken for one whose paging never ends, and the walk stops with an error,
// having held some 150 MB.
const MaxTargets = 1_000_000

// Target is one scope to read, with what the audit needs to know about it
// beyond its tokens.
type Target struct {
	Scope accesstokens.Scope
	// OwnerActive is false for the scope of a deactivated user, whose
	// personal tokens then get InactiveOwner; true otherwise.
	OwnerActive bool
	// OwnerFromTokens says that OwnerActive is not known: a personal token
	// is then judged by its own user's active flag, as the server sent it.
	OwnerFromTokens bool
}

// Targets enumerates every scope of the server through dir: every NORMAL
// user (deactivated ones included, with OwnerActive false; SERVICE users are
// skipped, their tokens are project and repository tokens), every project
// (PERSONAL ones skipped: they hold no project tokens, their owners' tokens
// are personal), and every repository, archived ones and those of personal
// projects included. They come in CompareScopes order, each once: a scope
// the directory lists twice (offset paging over a list that changed while
// it was read) is read once.
//
// The caller needs to be a system administrator to see every user and
// project; with fewer rights Targets returns what the caller can see. A
// failure to list is returned: an inventory with an unknown part missing
// would look complete. So is a directory of more than MaxTargets scopes.
func Targets(ctx context.Context, dir accesstokens.DirectoryService) ([]Target, error) {
	return walkDirectory(ctx, dir, MaxTargets)
}

// walkDirectory is Targets with its bound as a parameter.
func walkDirectory(ctx context.Context, dir accesstokens.DirectoryService, limit int) ([]Target, error) {
	var out []Target
	add := func(t Target) error {
		if len(out) == limit {
			return fmt.Errorf("audit: the server lists more than %d users, projects and repositories: its paging looks endless; stopped at %s", limit, t.Scope)
		}
		out = append(out, t)
		return nil
	}
	for u, err := range dir.Users(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing users: %w", err)
		}
		if u.Type == "SERVICE" {
			continue
		}
		if err := add(Target{Scope: accesstokens.UserScope(u.Slug), OwnerActive: u.Active}); err != nil {
			return nil, err
		}
	}
	for p, err := range dir.Projects(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing projects: %w", err)
		}
		if p.Type == "PERSONAL" {
			continue
		}
		if err := add(Target{Scope: accesstokens.ProjectScope(p.Key), OwnerActive: true}); err != nil {
			return nil, err
		}
	}
	for r, err := range dir.Repositories(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing repositories: %w", err)
		}
		if err := add(Target{Scope: accesstokens.RepoScope(r.Project.Key, r.Slug), OwnerActive: true}); err != nil {
			return nil, err
		}
	}
	// Sorting finds the repeats without a second copy of every scope in a map.
	slices.SortStableFunc(out, func(a, b Target) int { return CompareScopes(a.Scope, b.Scope) })
	return slices.CompactFunc(out, func(a, b Target) bool { return a.Scope == b.Scope }), nil
}

// TargetsOf wraps explicit scopes (the command's --scope) as targets, in
// the order given, a repeated scope once. Nothing is known about their
// owners: OwnerFromTokens is set, so that a deactivated user's personal
// tokens still get InactiveOwner (from the user each token names).
func TargetsOf(scopes ...accesstokens.Scope) []Target {
	out := make([]Target, 0, len(scopes))
	seen := make(map[accesstokens.Scope]bool, len(scopes))
	for _, s := range scopes {
		if !seen[s] {
			seen[s] = true
			out = append(out, Target{Scope: s, OwnerActive: true, OwnerFromTokens: true})
		}
	}
	return out
}
