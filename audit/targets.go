// The scopes an audit reads: every one of the server's (Targets), or those
// named (TargetsOf).

package audit

import (
	"context"
	"fmt"

	"github.com/bbdc-tools/accesstokens"
)

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

// Targets enumerates every scope of the server through dir, in this order:
// every NORMAL user (deactivated ones included, with OwnerActive false;
// SERVICE users are skipped, their tokens are project and repository
// tokens), every project (PERSONAL ones skipped: they hold no project
// tokens, their owners' tokens are personal), and every repository, archived
// ones and those of personal projects included.
//
// The caller needs to be a system administrator to see every user and
// project; with fewer rights Targets returns what the caller can see. A
// failure to list is returned: an inventory with an unknown part missing
// would look complete.
func Targets(ctx context.Context, dir accesstokens.DirectoryService) ([]Target, error) {
	var out []Target
	for u, err := range dir.Users(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing users: %w", err)
		}
		if u.Type == "SERVICE" {
			continue
		}
		out = append(out, Target{Scope: accesstokens.UserScope(u.Slug), OwnerActive: u.Active})
	}
	for p, err := range dir.Projects(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing projects: %w", err)
		}
		if p.Type == "PERSONAL" {
			continue
		}
		out = append(out, Target{Scope: accesstokens.ProjectScope(p.Key), OwnerActive: true})
	}
	for r, err := range dir.Repositories(ctx) {
		if err != nil {
			return nil, fmt.Errorf("audit: listing repositories: %w", err)
		}
		out = append(out, Target{Scope: accesstokens.RepoScope(r.Project.Key, r.Slug), OwnerActive: true})
	}
	return out, nil
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
