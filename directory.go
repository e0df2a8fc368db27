package accesstokens

import (
	"context"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"time"
)

// Server-wide reading: the projects, repositories and users whose tokens an
// inventory walks (there is no endpoint that lists every token of a server),
// from Bitbucket's core REST API, {baseURL}/rest/api/<version>.

// Project is a Bitbucket project as the core REST API lists it. Its JSON is
// Bitbucket's (other fields the server sends are not kept).
type Project struct {
	ID   int    `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
	Type string `json:"type"` // "NORMAL" or "PERSONAL"
}

// Repository is a Bitbucket repository as the core REST API lists it. Its
// JSON is Bitbucket's (other fields the server sends are not kept).
type Repository struct {
	ID          int     `json:"id"`
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"` // "" when the repository has none
	Project     Project `json:"project"`
	Archived    bool    `json:"archived"` // absent before Bitbucket 8.0: not archived
	State       string  `json:"state"`    // "AVAILABLE", "INITIALISING", "INITIALISATION_FAILED" or "OFFLINE"
	ScmID       string  `json:"scmId"`    // "git"
	Forkable    bool    `json:"forkable"`
	Public      bool    `json:"public"` // readable by anyone, anonymous users included when the server allows them
}

// DirectoryUser is a user as the admin user list shows it. Its JSON is
// Bitbucket's: LastAuthentication is "lastAuthenticationTimestamp", in epoch
// milliseconds (see its MarshalJSON and UnmarshalJSON).
type DirectoryUser struct {
	User
	DirectoryName      string     // the user directory that holds the user, e.g. "Bitbucket Internal Directory"; "" in the plain user list
	LastAuthentication *time.Time // nil: never, or not reported
}

// ServerInfo is what application-properties says about the server. Its
// JSON is Bitbucket's: BuildDate is "buildDate", a string of epoch
// milliseconds (see its MarshalJSON and UnmarshalJSON).
type ServerInfo struct {
	Version     string
	BuildNumber string
	BuildDate   time.Time // when the server's release was built; zero when absent or unreadable
	DisplayName string
	// ServerTime is the server's clock when it answered (the answer's
	// Date header, to the second): judge expiry and last use by it, not
	// by the local clock. Zero when the header is absent or unreadable.
	ServerTime time.Time
}

// DirectoryService reads the server's projects, repositories and users,
// read-only, through the same transport as the token services (credentials,
// retries, size caps, redirect guard, rate limit). Each list asks for pages
// of up to 1000 (the server caps them) and walks them with the same guarded
// iterator as the token services' All: one page in memory at a time, and an
// error, not a loop, when a server's paging does not move forward.
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v819/intro/
type DirectoryService interface {
	// Projects lists every project the caller can see (GET /rest/api/latest/projects).
	// Personal projects are not in it; their repositories are in Repositories.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v819/api-group-project/#api-api-latest-projects-get
	Projects(ctx context.Context) iter.Seq2[Project, error]
	// Repositories lists every repository the caller can see, archived ones included.
	// It asks GET /rest/api/latest/repos?archived=ALL: without it Bitbucket 8.0 and later
	// leave archived repositories out (whose tokens still authenticate reads). Servers
	// before 8.0 have no archiving and ignore the parameter.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v819/api-group-repository/#api-api-latest-repos-get
	Repositories(ctx context.Context) iter.Seq2[Repository, error]
	// Users lists users: the admin list (with last authentication) when the caller may read it,
	// else the plain user list.
	//
	// It asks GET /rest/api/latest/admin/users, which holds deactivated users and
	// LastAuthentication. When the server refuses it on its first page (a 401 saying the
	// caller is not permitted, or a 403: the caller is not an administrator), Users lists
	// GET /rest/api/latest/users instead, which holds only active users and no
	// LastAuthentication (always nil then); with WithLogger, the switch is logged at
	// Debug level. Any other 401 (wrong credentials, a login page) is an error, not a
	// switch: asking again would be a second failed login. So is a refusal on a later
	// page. SERVICE users (the owners of project and repository tokens) are listed like
	// the others.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v819/api-group-permission-management/ (admin/users)
	// https://developer.atlassian.com/server/bitbucket/rest/v819/api-group-system-maintenance/ (users)
	Users(ctx context.Context) iter.Seq2[DirectoryUser, error]
	// ServerInfo reads application-properties: version, build number, display name,
	// and the server's clock from the answer's Date header.
	// It needs no credentials, and fails on an answer without a version (not a Bitbucket).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v819/api-group-system-maintenance/
	ServerInfo(ctx context.Context) (*ServerInfo, error)
}

type directoryService struct{ c *Client }

var _ DirectoryService = directoryService{}

// directoryPageLimit is the page size Directory asks for: Bitbucket's
// default cap, so a server-wide walk takes as few requests as the server allows.
const directoryPageLimit = 1000

// The queries, encoded with go-querystring like every query of the SDK.
type (
	pageQuery struct {
		ListOptions
	}
	repoQuery struct {
		ListOptions
		Archived string `url:"archived"` // ACTIVE (the server's default), ARCHIVED or ALL
	}
)

var (
	projectsSegments   = []string{"projects"}
	reposSegments      = []string{"repos"}
	adminUsersSegments = []string{"admin", "users"}
	usersSegments      = []string{"users"}
	propertiesSegments = []string{"application-properties"}
)

// Projects implements DirectoryService.
func (d directoryService) Projects(ctx context.Context) iter.Seq2[Project, error] {
	return directoryAll[Project, projectJSON](ctx, d.c, projectsSegments, func(o ListOptions) any { return pageQuery{o} })
}

// Repositories implements DirectoryService.
func (d directoryService) Repositories(ctx context.Context) iter.Seq2[Repository, error] {
	return directoryAll[Repository, repositoryJSON](ctx, d.c, reposSegments, func(o ListOptions) any {
		return repoQuery{ListOptions: o, Archived: "ALL"}
	})
}

// Users implements DirectoryService.
func (d directoryService) Users(ctx context.Context) iter.Seq2[DirectoryUser, error] {
	return func(yield func(DirectoryUser, error) bool) {
		page := func(o ListOptions) any { return pageQuery{o} }
		started, refused := false, false
		for u, err := range directoryAll[DirectoryUser, directoryUserJSON](ctx, d.c, adminUsersSegments, page) {
			if err != nil && !started && refusedAccess(err) {
				refused = true
				d.logFallback(ctx, err)
				break
			}
			started = true
			if !yield(u, err) || err != nil {
				return
			}
		}
		if !refused {
			return
		}
		for u, err := range directoryAll[DirectoryUser, directoryUserJSON](ctx, d.c, usersSegments, page) {
			if !yield(u, err) {
				return
			}
		}
	}
}

// refusedAccess is a refusal of logged-in credentials: a 401 saying the
// caller is not permitted, or a 403. Any other 401 (one saying the
// credentials are wrong, or a login page that says neither) is not: asking
// again with credentials that may be wrong would only bring the account
// closer to Bitbucket's CAPTCHA lock.
func refusedAccess(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) || errors.Is(err, ErrAuthentication) {
		return false
	}
	return apiErr.StatusCode == http.StatusForbidden ||
		(apiErr.StatusCode == http.StatusUnauthorized && errors.Is(err, ErrNotPermitted))
}

func (d directoryService) logFallback(ctx context.Context, err error) {
	if l := d.c.t.logger; l != nil {
		var apiErr *Error
		errors.As(err, &apiErr)
		l.LogAttrs(ctx, slog.LevelDebug, "accesstokens: the admin user list was refused; listing active users without last authentication",
			slog.String("path", d.c.requestPath(coreAPI, adminUsersSegments)), slog.Int("status", apiErr.StatusCode))
	}
}

// ServerInfo implements DirectoryService.
func (d directoryService) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	var out serverInfoJSON
	var header http.Header
	if err := d.c.do(ctx, request{api: coreAPI, method: http.MethodGet, segs: propertiesSegments, out: &out, header: &header}); err != nil {
		return nil, err
	}
	if out.Version == "" {
		return nil, &decodeError{what: "application-properties answer", method: http.MethodGet,
			path: d.c.requestPath(coreAPI, propertiesSegments), err: errors.New(`no "version": not a Bitbucket server`)}
	}
	info := &out
	if date, err := http.ParseTime(header.Get("Date")); err == nil {
		info.ServerTime = date.UTC()
	}
	return info, nil
}

// directoryAll walks every page below segs of the core API; query builds
// each page's query from its ListOptions.
func directoryAll[T any, W any, PW interface {
	*W
	wireItem[T]
}](ctx context.Context, c *Client, segs []string, query func(ListOptions) any) iter.Seq2[T, error] {
	return allItems(ctx, &ListOptions{Limit: directoryPageLimit}, func(ctx context.Context, o *ListOptions) (*Page[T], error) {
		q, err := encodeQuery(query(*o))
		if err != nil {
			return nil, err
		}
		return listPage[T, W, PW](ctx, c, coreAPI, segs, q)
	})
}
