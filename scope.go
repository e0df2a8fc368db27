package accesstokens

// Scopes: whose tokens a call addresses (a user's, a project's, a
// repository's), and Client.Tokens, the token services addressed by Scope.

import (
	"context"
	"iter"
	"strings"
)

// Scope says whose tokens: a user's, a project's or a repository's. Exactly
// one shape is valid: UserSlug alone; ProjectKey alone; ProjectKey with
// RepoSlug. Anything else is ErrInvalidArgument from every method that takes it.
//
// Build one with [UserScope], [ProjectScope], [RepoScope] or [ParseScope].
//
// Atlassian reference (personal, project and repository tokens):
// https://confluence.atlassian.com/bitbucketserver/personal-access-tokens-939515499.html
type Scope struct {
	UserSlug   string
	ProjectKey string
	RepoSlug   string
}

// UserScope is the scope of userSlug's personal tokens.
func UserScope(userSlug string) Scope { return Scope{UserSlug: userSlug} }

// ProjectScope is the scope of a project's tokens.
func ProjectScope(projectKey string) Scope { return Scope{ProjectKey: projectKey} }

// RepoScope is the scope of a repository's tokens.
func RepoScope(projectKey, repoSlug string) Scope {
	return Scope{ProjectKey: projectKey, RepoSlug: repoSlug}
}

// ParseScope reads "user:alice", "project:PRJ" or "repo:PRJ/my-repo", the
// forms [Scope.String] writes. The kind before the colon is case-insensitive;
// the rest is taken as written. A malformed string is ErrInvalidArgument
// naming the part that is wrong; so is a "/" inside a slug or key, which no
// Bitbucket slug or key holds.
func ParseScope(s string) (Scope, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Scope{}, invalidArg("scope", `%q is not "user:SLUG", "project:KEY" or "repo:KEY/SLUG"`, truncate(s, 80))
	}
	var sc Scope
	var want scopeKind
	switch strings.ToLower(kind) {
	case "user":
		if strings.Contains(rest, "/") {
			return Scope{}, invalidArg("userSlug", `%q holds a "/", which no slug does (a bot user's name does; its slug has "_")`, truncate(rest, 80))
		}
		sc, want = UserScope(rest), userScope
	case "project":
		if strings.Contains(rest, "/") {
			return Scope{}, invalidArg("projectKey", `%q holds a "/": a repository scope is "repo:KEY/SLUG"`, truncate(rest, 80))
		}
		sc, want = ProjectScope(rest), projectScope
	case "repo":
		key, slug, ok := strings.Cut(rest, "/")
		if !ok {
			return Scope{}, invalidArg("scope", `%q: a repository scope is "repo:KEY/SLUG"`, truncate(s, 80))
		}
		if strings.Contains(slug, "/") {
			return Scope{}, invalidArg("repoSlug", `%q holds a "/", which no slug does`, truncate(slug, 80))
		}
		sc, want = RepoScope(key, slug), repoScope
	default:
		return Scope{}, invalidArg("scope", `unknown kind %q in %q: use user, project or repo`, truncate(kind, 20), truncate(s, 80))
	}
	// Checked as the kind that was written, so that "repo:PRJ/" is an empty
	// repoSlug and not, by its shape, the project scope of PRJ.
	if _, _, err := sc.scopeSegments(want); err != nil {
		return Scope{}, err
	}
	return sc, nil
}

// String writes the scope as ParseScope reads it: "user:alice",
// "project:PRJ" or "repo:PRJ/my-repo". An invalid scope still prints all of
// its fields, so that an error message can show what was wrong.
func (s Scope) String() string {
	switch {
	case s.UserSlug != "" && s.ProjectKey == "" && s.RepoSlug == "":
		return "user:" + s.UserSlug
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug == "":
		return "project:" + s.ProjectKey
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug != "":
		return "repo:" + s.ProjectKey + "/" + s.RepoSlug
	}
	return "invalid-scope{user:" + s.UserSlug + " project:" + s.ProjectKey + " repo:" + s.RepoSlug + "}"
}

// scopeKind is which of the three valid shapes a Scope has.
type scopeKind uint8

const (
	userScope scopeKind = iota
	projectScope
	repoScope
	// anyScope asks segments to infer the kind from the Scope's shape (Client.Tokens).
	anyScope
)

// kind validates the scope's shape and its path segments.
func (s Scope) kind() (scopeKind, error) {
	switch {
	case s.UserSlug != "" && s.ProjectKey == "" && s.RepoSlug == "":
		return userScope, checkSegment("userSlug", s.UserSlug)
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug == "":
		return projectScope, checkSegment("projectKey", s.ProjectKey)
	case s.UserSlug == "" && s.ProjectKey != "" && s.RepoSlug != "":
		if err := checkSegment("projectKey", s.ProjectKey); err != nil {
			return 0, err
		}
		return repoScope, checkSegment("repoSlug", s.RepoSlug)
	}
	return 0, s.shapeError()
}

// shapeError names the field that makes an invalid scope invalid, in the
// words of the three token services (an empty slug is "userSlug").
func (s Scope) shapeError() error {
	switch {
	case s.UserSlug != "" && (s.ProjectKey != "" || s.RepoSlug != ""):
		return invalidArg("scope", "a user scope has no ProjectKey or RepoSlug")
	case s.RepoSlug != "":
		return checkSegment("projectKey", s.ProjectKey)
	default:
		return invalidArg("scope", "is empty: set UserSlug, ProjectKey, or ProjectKey and RepoSlug")
	}
}

// maxSegments is the most path segments below the API root: projects, key, repos, slug, token.
const maxSegments = 5

// scopeSegments validates the scope and returns its path segments below the
// API root, with the kind it is.
//
// kind is the shape the caller's service expects (UserTokens can only mean a
// user), or anyScope to infer it: a RepoTokens call with an empty repoSlug
// must fail, not quietly become a project call.
func (s Scope) scopeSegments(kind scopeKind) ([]string, scopeKind, error) {
	segs := make([]string, 0, maxSegments)
	var err error
	switch kind {
	case anyScope:
		if kind, err = s.kind(); err != nil {
			return nil, 0, err
		}
		return s.scopeSegments(kind)
	case userScope:
		err = checkSegment("userSlug", s.UserSlug)
		segs = append(segs, "users", s.UserSlug)
	case projectScope:
		err = checkSegment("projectKey", s.ProjectKey)
		segs = append(segs, "projects", s.ProjectKey)
	case repoScope:
		if err = checkSegment("projectKey", s.ProjectKey); err == nil {
			err = checkSegment("repoSlug", s.RepoSlug)
		}
		segs = append(segs, "projects", s.ProjectKey, "repos", s.RepoSlug)
	}
	if err != nil {
		return nil, 0, err
	}
	return segs, kind, nil
}

// tokenSegments validates the scope and tokenID and returns the path
// segments of the token below the API root, with the scope's kind (see
// scopeSegments).
func (s Scope) tokenSegments(kind scopeKind, tokenID string) ([]string, scopeKind, error) {
	segs, kind, err := s.scopeSegments(kind)
	if err != nil {
		return nil, 0, err
	}
	if err := checkSegment("tokenID", tokenID); err != nil {
		return nil, 0, err
	}
	return append(segs, tokenID), kind, nil
}

// TokensService is the three token services in one, addressed by Scope.
// Client.Tokens implements it over the same code as UserTokens,
// ProjectTokens and RepoTokens; an invalid Scope is ErrInvalidArgument.
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/
type TokensService interface {
	// List returns one page of the scope's tokens (GET /users/{userSlug},
	// /projects/{projectKey} or /projects/{projectKey}/repos/{repositorySlug}).
	// A page with a token that cannot be read in full comes back with
	// an error that errors.As finds as *InvalidTokenError (InvalidTokens
	// lists them all); a page with more values than were asked for is an error.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-get
	List(ctx context.Context, scope Scope, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every token of the scope, fetching page after page
	// (List's endpoints). A token that cannot be read in full is yielded with
	// its *InvalidTokenError, and the walk goes on; any other error ends it,
	// as does a walk longer than MaxWalkPages pages or MaxWalkItems tokens.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-get
	All(ctx context.Context, scope Scope, opts *ListOptions) iter.Seq2[AccessToken, error]
	// Create makes a token in the scope (PUT on the scope's path); only this
	// answer holds the secret.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-put
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-put
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-put
	Create(ctx context.Context, scope Scope, req CreateTokenRequest) (*RawAccessToken, error)
	// Get reads one token of the scope (GET …/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-get
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-get
	Get(ctx context.Context, scope Scope, tokenID string) (*AccessToken, error)
	// Update renames a token or changes its permissions (POST …/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-post
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-post
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-post
	Update(ctx context.Context, scope Scope, tokenID string, req UpdateTokenRequest) (*AccessToken, error)
	// Delete revokes a token (DELETE …/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-delete
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-delete
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-delete
	Delete(ctx context.Context, scope Scope, tokenID string) error
}

// scopedTokens is Client.Tokens: tokenService addressed by Scope, whose
// shape says which kind of token it is.
type scopedTokens struct{ s *tokenService }

var _ TokensService = scopedTokens{}

// List implements TokensService.
func (t scopedTokens) List(ctx context.Context, scope Scope, opts *ListOptions) (*Page[AccessToken], error) {
	return t.s.list(ctx, anyScope, scope, opts)
}

// All implements TokensService.
func (t scopedTokens) All(ctx context.Context, scope Scope, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return t.s.all(ctx, anyScope, scope, opts)
}

// Create implements TokensService.
func (t scopedTokens) Create(ctx context.Context, scope Scope, req CreateTokenRequest) (*RawAccessToken, error) {
	return t.s.create(ctx, anyScope, scope, req)
}

// Get implements TokensService.
func (t scopedTokens) Get(ctx context.Context, scope Scope, tokenID string) (*AccessToken, error) {
	return t.s.get(ctx, anyScope, scope, tokenID)
}

// Update implements TokensService.
func (t scopedTokens) Update(ctx context.Context, scope Scope, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return t.s.update(ctx, anyScope, scope, tokenID, req)
}

// Delete implements TokensService.
func (t scopedTokens) Delete(ctx context.Context, scope Scope, tokenID string) error {
	return t.s.delete(ctx, anyScope, scope, tokenID)
}
