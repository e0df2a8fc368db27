package accesstokens

// Tokens: the token types, the three scope services (UserTokens,
// ProjectTokens, RepoTokens) and the one implementation behind them.

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"time"
)

// Permission is one right a token carries. A token holds at most one
// PROJECT_* and at most one REPO_* permission, and its repository level is
// never below its project level.
//
// Atlassian reference (HTTP access tokens, Permissions):
// https://confluence.atlassian.com/bitbucketserver/personal-access-tokens-939515499.html
type Permission string

// The permissions Bitbucket knows.
const (
	ProjectRead  Permission = "PROJECT_READ"
	ProjectWrite Permission = "PROJECT_WRITE"
	ProjectAdmin Permission = "PROJECT_ADMIN"
	RepoRead     Permission = "REPO_READ"
	RepoWrite    Permission = "REPO_WRITE"
	RepoAdmin    Permission = "REPO_ADMIN"
)

// AccessToken is a token as the server describes it, without its secret.
// It reads and writes Bitbucket's JSON with encoding/json (dates in epoch
// milliseconds; see its MarshalJSON and UnmarshalJSON).
//
// A struct that embeds AccessToken gets those two methods too, as one that
// embeds time.Time does: give it its own, or its other fields are neither
// written nor read.
type AccessToken struct {
	ID                string // a string of digits; leading zeros matter
	Name              string
	CreatedDate       time.Time
	ExpiryDate        *time.Time // nil: never expires
	LastAuthenticated *time.Time // nil: never used
	Permissions       []Permission
	User              *User // owner; a SERVICE user for project and repository tokens
}

// User is a token's owner: a person (Type "NORMAL") or, for project and
// repository tokens, Bitbucket's bot user (Type "SERVICE"). Its JSON is
// Bitbucket's; EmailAddress is left out when empty, as servers leave out a
// bot user's (or send null).
type User struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress,omitempty"`
	Active       bool   `json:"active"`
	Type         string `json:"type"` // "NORMAL" or "SERVICE"
}

// RawAccessToken is what Create returns: the only time the server shows the
// secret. Its JSON is the create answer's; written back, "token" holds the
// redaction marker, never the secret.
type RawAccessToken struct {
	AccessToken
	Token Secret
}

// CreateTokenRequest describes a token to create.
type CreateTokenRequest struct {
	Name        string
	Permissions []Permission
	ExpiryDays  int // 0: no expiry (the server's policy may require one)
}

// UpdateTokenRequest changes a token's name and/or permissions; a token's
// expiry can never change. Fields left nil are not sent and stay as they are.
type UpdateTokenRequest struct {
	Name        *string      // nil: unchanged
	Permissions []Permission // nil: unchanged
}

// UserTokensService manages personal access tokens.
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/
type UserTokensService interface {
	// List returns one page of userSlug's personal tokens (GET /users/{userSlug}).
	// A page with a token that cannot be read in full comes back with
	// an error that errors.As finds as *InvalidTokenError (InvalidTokens
	// lists them all); a page with more values than were asked for is an error.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-get
	List(ctx context.Context, userSlug string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every personal token of userSlug, fetching page after page.
	// A token that cannot be read in full is yielded with its
	// *InvalidTokenError, and the walk goes on; any other error ends it, as
	// does a walk longer than MaxWalkPages pages or MaxWalkItems tokens.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-get
	All(ctx context.Context, userSlug string, opts *ListOptions) iter.Seq2[AccessToken, error]
	// Create makes a personal token (PUT /users/{userSlug}); only this answer holds the secret.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-put
	Create(ctx context.Context, userSlug string, req CreateTokenRequest) (*RawAccessToken, error)
	// Get reads one personal token (GET /users/{userSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-get
	Get(ctx context.Context, userSlug, tokenID string) (*AccessToken, error)
	// Update renames a token or changes its permissions (POST /users/{userSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-post
	Update(ctx context.Context, userSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error)
	// Delete revokes a token (DELETE /users/{userSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-tokenid-delete
	Delete(ctx context.Context, userSlug, tokenID string) error
}

// ProjectTokensService manages project access tokens (Bitbucket Data Center 7.17+).
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/
type ProjectTokensService interface {
	// List returns one page of the project's tokens (GET /projects/{projectKey}).
	// A page with a token that cannot be read in full comes back with
	// an error that errors.As finds as *InvalidTokenError (InvalidTokens
	// lists them all); a page with more values than were asked for is an error.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-get
	List(ctx context.Context, projectKey string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every token of the project, fetching page after page.
	// A token that cannot be read in full is yielded with its
	// *InvalidTokenError, and the walk goes on; any other error ends it, as
	// does a walk longer than MaxWalkPages pages or MaxWalkItems tokens.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-get
	All(ctx context.Context, projectKey string, opts *ListOptions) iter.Seq2[AccessToken, error]
	// Create makes a project token (PUT /projects/{projectKey}); only this answer holds the secret.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-put
	Create(ctx context.Context, projectKey string, req CreateTokenRequest) (*RawAccessToken, error)
	// Get reads one project token (GET /projects/{projectKey}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-get
	Get(ctx context.Context, projectKey, tokenID string) (*AccessToken, error)
	// Update renames a token or changes its permissions (POST /projects/{projectKey}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-post
	Update(ctx context.Context, projectKey, tokenID string, req UpdateTokenRequest) (*AccessToken, error)
	// Delete revokes a token (DELETE /projects/{projectKey}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-tokenid-delete
	Delete(ctx context.Context, projectKey, tokenID string) error
}

// RepoTokensService manages repository access tokens (Bitbucket Data Center 7.17+).
// Repository tokens cannot hold PROJECT_* permissions.
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/
type RepoTokensService interface {
	// List returns one page of the repository's tokens (GET /projects/{projectKey}/repos/{repoSlug}).
	// A page with a token that cannot be read in full comes back with
	// an error that errors.As finds as *InvalidTokenError (InvalidTokens
	// lists them all); a page with more values than were asked for is an error.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-get
	List(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every token of the repository, fetching page after page.
	// A token that cannot be read in full is yielded with its
	// *InvalidTokenError, and the walk goes on; any other error ends it, as
	// does a walk longer than MaxWalkPages pages or MaxWalkItems tokens.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-get
	All(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) iter.Seq2[AccessToken, error]
	// Create makes a repository token (PUT /projects/{projectKey}/repos/{repoSlug}); only this answer holds the secret.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-put
	Create(ctx context.Context, projectKey, repoSlug string, req CreateTokenRequest) (*RawAccessToken, error)
	// Get reads one repository token (GET /projects/{projectKey}/repos/{repoSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-get
	Get(ctx context.Context, projectKey, repoSlug, tokenID string) (*AccessToken, error)
	// Update renames a token or changes its permissions (POST …/repos/{repoSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-post
	Update(ctx context.Context, projectKey, repoSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error)
	// Delete revokes a token (DELETE …/repos/{repoSlug}/{tokenId}).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-tokenid-delete
	Delete(ctx context.Context, projectKey, repoSlug, tokenID string) error
}

// tokenService is the one implementation behind UserTokens, ProjectTokens and RepoTokens.
type tokenService struct{ c *Client }

func (s *tokenService) list(ctx context.Context, kind scopeKind, sc Scope, opts *ListOptions) (*Page[AccessToken], error) {
	segs, _, err := sc.scopeSegments(kind)
	if err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	q, err := opts.encode()
	if err != nil {
		return nil, err
	}
	return listPage[AccessToken, tokenJSON](ctx, s.c, tokensAPI, segs, q)
}

func (s *tokenService) all(ctx context.Context, kind scopeKind, sc Scope, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return allItems(ctx, opts, func(ctx context.Context, o *ListOptions) (*Page[AccessToken], error) {
		return s.list(ctx, kind, sc, o)
	})
}

func (s *tokenService) create(ctx context.Context, kind scopeKind, sc Scope, req CreateTokenRequest) (*RawAccessToken, error) {
	segs, kind, err := sc.scopeSegments(kind)
	if err != nil {
		return nil, err
	}
	if err := validateCreate(kind, req); err != nil {
		return nil, err
	}
	body, err := json.Marshal(createBody(req))
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if err := s.c.do(ctx, request{api: tokensAPI, method: http.MethodPut, segs: segs, body: body, flags: callCreate, out: &out}); err != nil {
		return nil, err
	}
	raw := &RawAccessToken{AccessToken: out.convert(), Token: out.Token}
	if raw.Token.IsZero() {
		return nil, &decodeError{what: "created token", method: http.MethodPut, path: s.c.requestPath(tokensAPI, segs), err: errors.New(`no "token" in the answer`)}
	}
	return raw, nil
}

func (s *tokenService) get(ctx context.Context, kind scopeKind, sc Scope, tokenID string) (*AccessToken, error) {
	segs, _, err := sc.tokenSegments(kind, tokenID)
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if err := s.c.do(ctx, request{api: tokensAPI, method: http.MethodGet, segs: segs, out: &out}); err != nil {
		return nil, err
	}
	t := out.convert()
	return &t, nil
}

func (s *tokenService) update(ctx context.Context, kind scopeKind, sc Scope, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	segs, kind, err := sc.tokenSegments(kind, tokenID)
	if err != nil {
		return nil, err
	}
	if err := validateUpdate(kind, req); err != nil {
		return nil, err
	}
	body, err := json.Marshal(updateBody(req))
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if err := s.c.do(ctx, request{api: tokensAPI, method: http.MethodPost, segs: segs, body: body, out: &out}); err != nil {
		return nil, err
	}
	t := out.convert()
	return &t, nil
}

func (s *tokenService) delete(ctx context.Context, kind scopeKind, sc Scope, tokenID string) error {
	segs, _, err := sc.tokenSegments(kind, tokenID)
	if err != nil {
		return err
	}
	return s.c.do(ctx, request{api: tokensAPI, method: http.MethodDelete, segs: segs, flags: callDelete})
}

// The three thin faces over tokenService.

type userTokens struct{ s *tokenService }
type projectTokens struct{ s *tokenService }
type repoTokens struct{ s *tokenService }

var (
	_ UserTokensService    = userTokens{}
	_ ProjectTokensService = projectTokens{}
	_ RepoTokensService    = repoTokens{}
)

// List implements UserTokensService.
func (u userTokens) List(ctx context.Context, userSlug string, opts *ListOptions) (*Page[AccessToken], error) {
	return u.s.list(ctx, userScope, UserScope(userSlug), opts)
}

// All implements UserTokensService.
func (u userTokens) All(ctx context.Context, userSlug string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return u.s.all(ctx, userScope, UserScope(userSlug), opts)
}

// Create implements UserTokensService.
func (u userTokens) Create(ctx context.Context, userSlug string, req CreateTokenRequest) (*RawAccessToken, error) {
	return u.s.create(ctx, userScope, UserScope(userSlug), req)
}

// Get implements UserTokensService.
func (u userTokens) Get(ctx context.Context, userSlug, tokenID string) (*AccessToken, error) {
	return u.s.get(ctx, userScope, UserScope(userSlug), tokenID)
}

// Update implements UserTokensService.
func (u userTokens) Update(ctx context.Context, userSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return u.s.update(ctx, userScope, UserScope(userSlug), tokenID, req)
}

// Delete implements UserTokensService.
func (u userTokens) Delete(ctx context.Context, userSlug, tokenID string) error {
	return u.s.delete(ctx, userScope, UserScope(userSlug), tokenID)
}

// List implements ProjectTokensService.
func (p projectTokens) List(ctx context.Context, projectKey string, opts *ListOptions) (*Page[AccessToken], error) {
	return p.s.list(ctx, projectScope, ProjectScope(projectKey), opts)
}

// All implements ProjectTokensService.
func (p projectTokens) All(ctx context.Context, projectKey string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return p.s.all(ctx, projectScope, ProjectScope(projectKey), opts)
}

// Create implements ProjectTokensService.
func (p projectTokens) Create(ctx context.Context, projectKey string, req CreateTokenRequest) (*RawAccessToken, error) {
	return p.s.create(ctx, projectScope, ProjectScope(projectKey), req)
}

// Get implements ProjectTokensService.
func (p projectTokens) Get(ctx context.Context, projectKey, tokenID string) (*AccessToken, error) {
	return p.s.get(ctx, projectScope, ProjectScope(projectKey), tokenID)
}

// Update implements ProjectTokensService.
func (p projectTokens) Update(ctx context.Context, projectKey, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return p.s.update(ctx, projectScope, ProjectScope(projectKey), tokenID, req)
}

// Delete implements ProjectTokensService.
func (p projectTokens) Delete(ctx context.Context, projectKey, tokenID string) error {
	return p.s.delete(ctx, projectScope, ProjectScope(projectKey), tokenID)
}

// List implements RepoTokensService.
func (r repoTokens) List(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) (*Page[AccessToken], error) {
	return r.s.list(ctx, repoScope, RepoScope(projectKey, repoSlug), opts)
}

// All implements RepoTokensService.
func (r repoTokens) All(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return r.s.all(ctx, repoScope, RepoScope(projectKey, repoSlug), opts)
}

// Create implements RepoTokensService.
func (r repoTokens) Create(ctx context.Context, projectKey, repoSlug string, req CreateTokenRequest) (*RawAccessToken, error) {
	return r.s.create(ctx, repoScope, RepoScope(projectKey, repoSlug), req)
}

// Get implements RepoTokensService.
func (r repoTokens) Get(ctx context.Context, projectKey, repoSlug, tokenID string) (*AccessToken, error) {
	return r.s.get(ctx, repoScope, RepoScope(projectKey, repoSlug), tokenID)
}

// Update implements RepoTokensService.
func (r repoTokens) Update(ctx context.Context, projectKey, repoSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return r.s.update(ctx, repoScope, RepoScope(projectKey, repoSlug), tokenID, req)
}

// Delete implements RepoTokensService.
func (r repoTokens) Delete(ctx context.Context, projectKey, repoSlug, tokenID string) error {
	return r.s.delete(ctx, repoScope, RepoScope(projectKey, repoSlug), tokenID)
}
