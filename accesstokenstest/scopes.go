// Token scopes: their strings (user:alice, project:PRJ, repo:PRJ/repo) and the owners they
// resolve to.

package accesstokenstest

import (
	"fmt"
	"strings"
)

// Scope strings name where a token lives, in [TokenInfo.Scope], [Fake.SeedTokens] and
// [Fake.MintToken]. They are plain strings, written as the accesstokens SDK's Scope.String writes
// them; the fake does not use the SDK's types.

// UserScopeString returns the scope string of a user's personal tokens: "user:<slug>".
func UserScopeString(userSlug string) string { return "user:" + userSlug }

// ProjectScopeString returns the scope string of a project's tokens: "project:<key>".
func ProjectScopeString(projectKey string) string { return "project:" + projectKey }

// RepoScopeString returns the scope string of a repository's tokens: "repo:<key>/<slug>".
func RepoScopeString(projectKey, repoSlug string) string {
	return "repo:" + projectKey + "/" + repoSlug
}

// UserScope returns the scope string of a user's personal tokens.
//
// Deprecated: use [UserScopeString]; this name is the SDK's, whose UserScope returns a Scope.
func UserScope(userSlug string) string { return UserScopeString(userSlug) }

// ProjectScope returns the scope string of a project's tokens.
//
// Deprecated: use [ProjectScopeString]; this name is the SDK's, whose ProjectScope returns a Scope.
func ProjectScope(projectKey string) string { return ProjectScopeString(projectKey) }

// RepoScope returns the scope string of a repository's tokens.
//
// Deprecated: use [RepoScopeString]; this name is the SDK's, whose RepoScope returns a Scope.
func RepoScope(projectKey, repoSlug string) string { return RepoScopeString(projectKey, repoSlug) }

// PersonalProjectKey returns the key of a user's personal project: "~" and the slug in upper case,
// as Bitbucket writes it ("~ALICE").
func PersonalProjectKey(userSlug string) string { return "~" + strings.ToUpper(userSlug) }

// scopeKind is whose tokens a scope holds.
type scopeKind int

const (
	scopeUser scopeKind = iota
	scopeProject
	scopeRepo
)

// scopeRef is a resolved token scope: a user's personal tokens, a project's or a repository's.
type scopeRef struct {
	kind    scopeKind
	key     string // scope string, the key of Fake.scopes
	user    *user
	project *project
	repo    *repo
}

// owner is the user a new token of the scope belongs to: a project's or repository's bot.
func (s scopeRef) owner() *user {
	switch s.kind {
	case scopeProject:
		return s.project.bot
	case scopeRepo:
		return s.repo.bot
	}
	return s.user
}

// describe names the owner in messages, as Bitbucket does.
func (s scopeRef) describe() string {
	switch s.kind {
	case scopeProject:
		return "Project " + s.project.key
	case scopeRepo:
		return "Repository " + s.project.key + "/" + s.repo.slug
	}
	return "User " + s.user.name
}

// mustScopeLocked resolves a scope string, or panics: for the Go shortcuts, whose callers name
// scopes they made.
func (f *Fake) mustScopeLocked(scope string) scopeRef {
	sc, ok := f.parseScopeLocked(scope)
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no scope %q", scope))
	}
	return sc
}

// parseScopeLocked resolves a scope string to its owner.
func (f *Fake) parseScopeLocked(scope string) (scopeRef, bool) {
	kind, rest, _ := strings.Cut(scope, ":")
	switch kind {
	case "user":
		if u, ok := f.users[rest]; ok {
			return scopeRef{kind: scopeUser, key: scope, user: u}, true
		}
	case "project":
		if p, ok := f.projects[rest]; ok {
			return scopeRef{kind: scopeProject, key: scope, project: p}, true
		}
	case "repo":
		key, slug, _ := strings.Cut(rest, "/")
		if p, ok := f.projects[key]; ok {
			if rp, ok := p.repos[slug]; ok {
				return scopeRef{kind: scopeRepo, key: scope, project: p, repo: rp}, true
			}
		}
	}
	return scopeRef{}, false
}

// resolveLocked finds the user, project or repository a route names.
func (f *Fake) resolveLocked(rt route) (scopeRef, *apiError) {
	switch rt.kind {
	case scopeUser:
		u := f.users[rt.userSlug]
		if u == nil {
			return scopeRef{}, notFound(ExceptionNoSuchUser, fmt.Sprintf("User %s does not exist.", rt.userSlug))
		}
		return scopeRef{kind: scopeUser, key: UserScopeString(u.slug), user: u}, nil
	}
	p := f.projects[rt.projectKey]
	if p == nil {
		return scopeRef{}, notFound(ExceptionNoSuchProject, fmt.Sprintf("Project %s does not exist.", rt.projectKey))
	}
	if rt.kind == scopeProject {
		return scopeRef{kind: scopeProject, key: ProjectScopeString(p.key), project: p}, nil
	}
	rp := p.repos[rt.repoSlug]
	if rp == nil {
		return scopeRef{}, notFound(ExceptionNoSuchRepository,
			fmt.Sprintf("Repository %s/%s does not exist.", p.key, rt.repoSlug))
	}
	return scopeRef{kind: scopeRepo, key: RepoScopeString(p.key, rp.slug), project: p, repo: rp}, nil
}
