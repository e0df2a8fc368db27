package accesstokens

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Permission is one right a token carries. A token holds at most one
// PROJECT_* and at most one REPO_* permission, and its repository level is
// never below its project level.
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
type AccessToken struct {
	ID                string       `json:"id"` // a string of digits; leading zeros matter
	Name              string       `json:"name"`
	CreatedDate       time.Time    `json:"createdDate"`
	ExpiryDate        *time.Time   `json:"expiryDate,omitempty"`        // nil: never expires
	LastAuthenticated *time.Time   `json:"lastAuthenticated,omitempty"` // nil: never used
	Permissions       []Permission `json:"permissions"`
	User              *User        `json:"user,omitempty"` // owner; a SERVICE user for project and repository tokens
}

// User is a token's owner: a person (Type "NORMAL") or, for project and
// repository tokens, Bitbucket's bot user (Type "SERVICE").
type User struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	Type         string `json:"type"` // "NORMAL" or "SERVICE"
}

// RawAccessToken is what Create returns: the only time the server shows the secret.
type RawAccessToken struct {
	AccessToken
	Token Secret `json:"token"`
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
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-users-userslug-get
	List(ctx context.Context, userSlug string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every personal token of userSlug, fetching page after page.
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
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-get
	List(ctx context.Context, projectKey string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every token of the project, fetching page after page.
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
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-projects-projectkey-repos-repositoryslug-get
	List(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) (*Page[AccessToken], error)
	// All iterates over every token of the repository, fetching page after page.
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

// scope is where a token lives: a user, a project or a repository. It is the
// only thing in which the three token services differ.
type scope struct {
	kind  scopeKind
	owner string // user slug or project key
	repo  string // repository slug, for repository scope only
}

type scopeKind uint8

const (
	userScope scopeKind = iota
	projectScope
	repoScope
)

// maxSegments is the most path segments below the API root: projects, key, repos, slug, token.
const maxSegments = 5

// segments validates the scope (and tokenID, when not empty-and-unwanted) and
// returns the path segments below the API root. They are kept in the caller's
// buf, which stays on its stack: a request allocates no slice for its path.
func (s scope) segments(buf *[maxSegments]string, tokenID string, withToken bool) ([]string, error) {
	segs := buf[:0]
	switch s.kind {
	case userScope:
		if err := checkSegment("userSlug", s.owner); err != nil {
			return nil, err
		}
		segs = append(segs, "users", s.owner)
	case projectScope:
		if err := checkSegment("projectKey", s.owner); err != nil {
			return nil, err
		}
		segs = append(segs, "projects", s.owner)
	case repoScope:
		if err := checkSegment("projectKey", s.owner); err != nil {
			return nil, err
		}
		if err := checkSegment("repoSlug", s.repo); err != nil {
			return nil, err
		}
		segs = append(segs, "projects", s.owner, "repos", s.repo)
	}
	if withToken {
		if err := checkSegment("tokenID", tokenID); err != nil {
			return nil, err
		}
		segs = append(segs, tokenID)
	}
	return segs, nil
}

// checkSegment refuses path segments that would change which resource a
// request reaches once the server normalises the path.
func checkSegment(field, v string) error {
	switch v {
	case "":
		return invalidArg(field, "must not be empty")
	case ".", "..":
		return invalidArg(field, "must not be %q", v)
	}
	return nil
}

// tokenService is the one implementation behind UserTokens, ProjectTokens and RepoTokens.
type tokenService struct{ c *Client }

func (s *tokenService) list(ctx context.Context, sc scope, opts *ListOptions) (*Page[AccessToken], error) {
	var buf [maxSegments]string
	segs, err := sc.segments(&buf, "", false)
	if err != nil {
		return nil, err
	}
	return listPage[AccessToken, tokenJSON](ctx, s.c, segs, opts)
}

func (s *tokenService) all(ctx context.Context, sc scope, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return allItems(ctx, opts, func(ctx context.Context, o *ListOptions) (*Page[AccessToken], error) {
		return s.list(ctx, sc, o)
	})
}

func (s *tokenService) create(ctx context.Context, sc scope, req CreateTokenRequest) (*RawAccessToken, error) {
	var buf [maxSegments]string
	segs, err := sc.segments(&buf, "", false)
	if err != nil {
		return nil, err
	}
	if err := validateCreate(sc.kind, req); err != nil {
		return nil, err
	}
	body, err := json.Marshal(createBody(req))
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if _, err := s.c.call(ctx, http.MethodPut, segs, "", body, callCreate, &out); err != nil {
		return nil, err
	}
	raw := &RawAccessToken{AccessToken: out.convert(), Token: out.Token}
	if raw.Token == "" {
		return nil, &decodeError{what: "created token", method: http.MethodPut, path: s.c.pathOf(segs), err: errors.New(`no "token" in the answer`)}
	}
	return raw, nil
}

func (s *tokenService) get(ctx context.Context, sc scope, tokenID string) (*AccessToken, error) {
	var buf [maxSegments]string
	segs, err := sc.segments(&buf, tokenID, true)
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if _, err := s.c.call(ctx, http.MethodGet, segs, "", nil, callIdempotent, &out); err != nil {
		return nil, err
	}
	t := out.convert()
	return &t, nil
}

func (s *tokenService) update(ctx context.Context, sc scope, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	var buf [maxSegments]string
	segs, err := sc.segments(&buf, tokenID, true)
	if err != nil {
		return nil, err
	}
	if err := validateUpdate(sc.kind, req); err != nil {
		return nil, err
	}
	body, err := json.Marshal(updateBody(req))
	if err != nil {
		return nil, err
	}
	var out tokenJSON
	if _, err := s.c.call(ctx, http.MethodPost, segs, "", body, callIdempotent, &out); err != nil {
		return nil, err
	}
	t := out.convert()
	return &t, nil
}

func (s *tokenService) delete(ctx context.Context, sc scope, tokenID string) error {
	var buf [maxSegments]string
	segs, err := sc.segments(&buf, tokenID, true)
	if err != nil {
		return err
	}
	_, err = s.c.call(ctx, http.MethodDelete, segs, "", nil, callDelete, nil)
	return err
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

func userOf(slug string) scope      { return scope{kind: userScope, owner: slug} }
func projectOf(key string) scope    { return scope{kind: projectScope, owner: key} }
func repoOf(key, slug string) scope { return scope{kind: repoScope, owner: key, repo: slug} }

// List implements UserTokensService.
func (u userTokens) List(ctx context.Context, userSlug string, opts *ListOptions) (*Page[AccessToken], error) {
	return u.s.list(ctx, userOf(userSlug), opts)
}

// All implements UserTokensService.
func (u userTokens) All(ctx context.Context, userSlug string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return u.s.all(ctx, userOf(userSlug), opts)
}

// Create implements UserTokensService.
func (u userTokens) Create(ctx context.Context, userSlug string, req CreateTokenRequest) (*RawAccessToken, error) {
	return u.s.create(ctx, userOf(userSlug), req)
}

// Get implements UserTokensService.
func (u userTokens) Get(ctx context.Context, userSlug, tokenID string) (*AccessToken, error) {
	return u.s.get(ctx, userOf(userSlug), tokenID)
}

// Update implements UserTokensService.
func (u userTokens) Update(ctx context.Context, userSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return u.s.update(ctx, userOf(userSlug), tokenID, req)
}

// Delete implements UserTokensService.
func (u userTokens) Delete(ctx context.Context, userSlug, tokenID string) error {
	return u.s.delete(ctx, userOf(userSlug), tokenID)
}

// List implements ProjectTokensService.
func (p projectTokens) List(ctx context.Context, projectKey string, opts *ListOptions) (*Page[AccessToken], error) {
	return p.s.list(ctx, projectOf(projectKey), opts)
}

// All implements ProjectTokensService.
func (p projectTokens) All(ctx context.Context, projectKey string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return p.s.all(ctx, projectOf(projectKey), opts)
}

// Create implements ProjectTokensService.
func (p projectTokens) Create(ctx context.Context, projectKey string, req CreateTokenRequest) (*RawAccessToken, error) {
	return p.s.create(ctx, projectOf(projectKey), req)
}

// Get implements ProjectTokensService.
func (p projectTokens) Get(ctx context.Context, projectKey, tokenID string) (*AccessToken, error) {
	return p.s.get(ctx, projectOf(projectKey), tokenID)
}

// Update implements ProjectTokensService.
func (p projectTokens) Update(ctx context.Context, projectKey, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return p.s.update(ctx, projectOf(projectKey), tokenID, req)
}

// Delete implements ProjectTokensService.
func (p projectTokens) Delete(ctx context.Context, projectKey, tokenID string) error {
	return p.s.delete(ctx, projectOf(projectKey), tokenID)
}

// List implements RepoTokensService.
func (r repoTokens) List(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) (*Page[AccessToken], error) {
	return r.s.list(ctx, repoOf(projectKey, repoSlug), opts)
}

// All implements RepoTokensService.
func (r repoTokens) All(ctx context.Context, projectKey, repoSlug string, opts *ListOptions) iter.Seq2[AccessToken, error] {
	return r.s.all(ctx, repoOf(projectKey, repoSlug), opts)
}

// Create implements RepoTokensService.
func (r repoTokens) Create(ctx context.Context, projectKey, repoSlug string, req CreateTokenRequest) (*RawAccessToken, error) {
	return r.s.create(ctx, repoOf(projectKey, repoSlug), req)
}

// Get implements RepoTokensService.
func (r repoTokens) Get(ctx context.Context, projectKey, repoSlug, tokenID string) (*AccessToken, error) {
	return r.s.get(ctx, repoOf(projectKey, repoSlug), tokenID)
}

// Update implements RepoTokensService.
func (r repoTokens) Update(ctx context.Context, projectKey, repoSlug, tokenID string, req UpdateTokenRequest) (*AccessToken, error) {
	return r.s.update(ctx, repoOf(projectKey, repoSlug), tokenID, req)
}

// Delete implements RepoTokensService.
func (r repoTokens) Delete(ctx context.Context, projectKey, repoSlug, tokenID string) error {
	return r.s.delete(ctx, repoOf(projectKey, repoSlug), tokenID)
}

// Validation. Everything here runs before a request is built.

func validateCreate(kind scopeKind, req CreateTokenRequest) error {
	if strings.TrimSpace(req.Name) == "" {
		return invalidArg("Name", "must not be empty")
	}
	if len(req.Permissions) == 0 {
		return invalidArg("Permissions", "at least one permission is required")
	}
	if err := validatePermissions(kind, req.Permissions); err != nil {
		return err
	}
	if req.ExpiryDays < 0 {
		return invalidArg("ExpiryDays", "must not be negative, got %d", req.ExpiryDays)
	}
	return nil
}

func validateUpdate(kind scopeKind, req UpdateTokenRequest) error {
	if req.Name != nil && strings.TrimSpace(*req.Name) == "" {
		return invalidArg("Name", "must not be empty when set")
	}
	if req.Permissions != nil {
		if len(req.Permissions) == 0 {
			return invalidArg("Permissions", "must not be empty when set (nil leaves them unchanged)")
		}
		return validatePermissions(kind, req.Permissions)
	}
	return nil
}

// permissionLevel orders READ < WRITE < ADMIN within each family.
var permissionLevel = map[Permission]int{
	ProjectRead: 1, ProjectWrite: 2, ProjectAdmin: 3,
	RepoRead: 1, RepoWrite: 2, RepoAdmin: 3,
}

func validatePermissions(kind scopeKind, perms []Permission) error {
	var project, repo Permission
	for i, p := range perms {
		level, known := permissionLevel[p]
		if !known || level == 0 {
			return invalidArg("Permissions", "unknown permission %q", string(p))
		}
		for _, q := range perms[:i] {
			if q == p {
				return invalidArg("Permissions", "%s is repeated", p)
			}
		}
		if strings.HasPrefix(string(p), "PROJECT_") {
			if kind == repoScope {
				return invalidArg("Permissions", "a repository token cannot hold %s", p)
			}
			if project != "" {
				return invalidArg("Permissions", "at most one PROJECT_* permission, got %s and %s", project, p)
			}
			project = p
		} else {
			if repo != "" {
				return invalidArg("Permissions", "at most one REPO_* permission, got %s and %s", repo, p)
			}
			repo = p
		}
	}
	if project != "" && repo != "" && permissionLevel[repo] < permissionLevel[project] {
		return invalidArg("Permissions", "%s is below %s: the repository level must be at least the project level", repo, project)
	}
	return nil
}

// Wire forms.

type createBody struct {
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions"`
	ExpiryDays  int          `json:"expiryDays,omitempty"`
}

type updateBody struct {
	Name        *string      `json:"name,omitempty"`
	Permissions []Permission `json:"permissions,omitempty"`
}

// tokenJSON is a token as Bitbucket sends it: dates in epoch milliseconds.
type tokenJSON struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	CreatedDate       jsonTime     `json:"createdDate"`
	ExpiryDate        jsonTime     `json:"expiryDate"`
	LastAuthenticated jsonTime     `json:"lastAuthenticated"`
	Permissions       []Permission `json:"permissions"`
	User              *User        `json:"user"`
	Token             Secret       `json:"token"`
}

func (t *tokenJSON) check() error {
	if t.ID == "" {
		return errors.New(`no "id" in the token`)
	}
	return nil
}

// convert turns the wire form into an AccessToken (listPage uses it too).
func (t *tokenJSON) convert() AccessToken {
	return AccessToken{
		ID:                t.ID,
		Name:              t.Name,
		CreatedDate:       t.CreatedDate.t,
		ExpiryDate:        t.ExpiryDate.ptr(),
		LastAuthenticated: t.LastAuthenticated.ptr(),
		Permissions:       t.Permissions,
		User:              t.User,
	}
}

// jsonTime decodes Bitbucket's epoch-millisecond dates and, in case a server
// follows the published spec, ISO-8601 strings. Absent or null stays zero.
type jsonTime struct{ t time.Time }

func (j *jsonTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			j.t = time.UnixMilli(ms).UTC()
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errors.New("date " + strconv.Quote(truncate(s, 40)) + " is neither epoch milliseconds nor ISO-8601")
		}
		j.t = t.UTC()
		return nil
	}
	ms, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil {
			return errors.New("date " + truncate(string(b), 40) + " is not epoch milliseconds")
		}
		ms = int64(f)
	}
	j.t = time.UnixMilli(ms).UTC()
	return nil
}

func (j jsonTime) ptr() *time.Time {
	if j.t.IsZero() {
		return nil
	}
	t := j.t
	return &t
}
