package accesstokens_test

import (
	"context"
	"iter"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// The version 0.2 names of ../shared/design/public-api.md, exactly as written
// there: this file stops compiling if one of them is renamed or changes
// shape. Fields are checked by composite literals, methods by method values.
var (
	_                                                               = accesstokens.Scope{UserSlug: "", ProjectKey: "", RepoSlug: ""}
	_ func(string) accesstokens.Scope                               = accesstokens.UserScope
	_ func(string) accesstokens.Scope                               = accesstokens.ProjectScope
	_ func(string, string) accesstokens.Scope                       = accesstokens.RepoScope
	_ func(string) (accesstokens.Scope, error)                      = accesstokens.ParseScope
	_ func(accesstokens.Scope) string                               = accesstokens.Scope.String
	_ func(string) (accesstokens.Permission, error)                 = accesstokens.ParsePermission
	_ func(float64, int) accesstokens.Option                        = accesstokens.WithRateLimit
	_ *accesstokens.TokensService                                   = &new(accesstokens.Client).Tokens
	_ *accesstokens.DirectoryService                                = &new(accesstokens.Client).Directory
	_ func(accesstokens.AccessToken, time.Time) bool                = accesstokens.AccessToken.Expired
	_ func(accesstokens.AccessToken) int                            = accesstokens.AccessToken.ExpiryDays
	_ func(accesstokens.AccessToken, time.Duration, time.Time) bool = accesstokens.AccessToken.ExpiresWithin

	_ func(context.Context, accesstokens.TokensService, accesstokens.Scope, string, accesstokens.RotateOptions) (*accesstokens.Rotation, error) = accesstokens.Rotate
	_                                                                                                                                           = accesstokens.RotateOptions{
		Name: "", Permissions: []accesstokens.Permission(nil), ExpiryDays: 0, KeepOld: false,
		Deliver: func(ctx context.Context, newToken *accesstokens.RawAccessToken) error { return nil },
	}
	_ = accesstokens.Rotation{Old: accesstokens.AccessToken{}, New: (*accesstokens.RawAccessToken)(nil), OldRevoked: false}

	_ = accesstokens.Project{ID: 0, Key: "", Name: "", Type: ""}
	_ = accesstokens.Repository{ID: 0, Slug: "", Name: "", Project: accesstokens.Project{}, Archived: false}
	_ = accesstokens.DirectoryUser{User: accesstokens.User{}, LastAuthentication: (*time.Time)(nil)}
	_ = accesstokens.ServerInfo{Version: "", BuildNumber: "", DisplayName: ""}
)

// tokensSignatures and directorySignatures spell the two interfaces out.
type tokensSignatures interface {
	List(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error)
	All(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error]
	Create(ctx context.Context, scope accesstokens.Scope, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	Get(ctx context.Context, scope accesstokens.Scope, tokenID string) (*accesstokens.AccessToken, error)
	Update(ctx context.Context, scope accesstokens.Scope, tokenID string, req accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error)
	Delete(ctx context.Context, scope accesstokens.Scope, tokenID string) error
}

type directorySignatures interface {
	Projects(ctx context.Context) iter.Seq2[accesstokens.Project, error]
	Repositories(ctx context.Context) iter.Seq2[accesstokens.Repository, error]
	Users(ctx context.Context) iter.Seq2[accesstokens.DirectoryUser, error]
	ServerInfo(ctx context.Context) (*accesstokens.ServerInfo, error)
}

// Each way round: the interfaces have exactly these methods.
var (
	_ tokensSignatures              = accesstokens.TokensService(nil)
	_ accesstokens.TokensService    = tokensSignatures(nil)
	_ directorySignatures           = accesstokens.DirectoryService(nil)
	_ accesstokens.DirectoryService = directorySignatures(nil)
)
