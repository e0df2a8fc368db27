package accesstokens

import (
	"context"
	"errors"
	"iter"
	"time"
)

// Project is a Bitbucket project as the core REST API lists it.
type Project struct {
	ID   int
	Key  string
	Name string
	Type string // "NORMAL" or "PERSONAL"
}

// Repository is a Bitbucket repository as the core REST API lists it.
type Repository struct {
	ID       int
	Slug     string
	Name     string
	Project  Project
	Archived bool
}

// DirectoryUser is a user as the admin user list shows it.
type DirectoryUser struct {
	User
	LastAuthentication *time.Time // nil: never, or not reported
}

// ServerInfo is what application-properties says about the server.
type ServerInfo struct {
	Version     string
	BuildNumber string
	DisplayName string
}

// DirectoryService reads the server's projects, repositories and users,
// read-only, through the same transport as the token services.
type DirectoryService interface {
	// Projects lists every project the caller can see.
	Projects(ctx context.Context) iter.Seq2[Project, error]
	// Repositories lists every repository the caller can see, archived ones included.
	Repositories(ctx context.Context) iter.Seq2[Repository, error]
	// Users lists users: the admin list (with last authentication) when the caller may read it,
	// else the plain user list.
	Users(ctx context.Context) iter.Seq2[DirectoryUser, error]
	// ServerInfo reads application-properties: version, build number, display name.
	ServerInfo(ctx context.Context) (*ServerInfo, error)
}

// errDirectoryTODO marks the skeleton; TODO(issue 10): being built.
var errDirectoryTODO = errors.New("accesstokens: Directory: not implemented yet")

type directoryService struct{ c *Client }

var _ DirectoryService = directoryService{}

func (d directoryService) Projects(ctx context.Context) iter.Seq2[Project, error] {
	return func(yield func(Project, error) bool) { yield(Project{}, errDirectoryTODO) }
}

func (d directoryService) Repositories(ctx context.Context) iter.Seq2[Repository, error] {
	return func(yield func(Repository, error) bool) { yield(Repository{}, errDirectoryTODO) }
}

func (d directoryService) Users(ctx context.Context) iter.Seq2[DirectoryUser, error] {
	return func(yield func(DirectoryUser, error) bool) { yield(DirectoryUser{}, errDirectoryTODO) }
}

func (d directoryService) ServerInfo(ctx context.Context) (*ServerInfo, error) {
	return nil, errDirectoryTODO
}
