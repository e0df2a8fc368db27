package audit

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubDirectory serves fixed lists, each optionally ending in an error.
type stubDirectory struct {
	users                          []accesstokens.DirectoryUser
	projects                       []accesstokens.Project
	repos                          []accesstokens.Repository
	usersErr, projectsErr, repoErr error
}

func seq[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

func (d *stubDirectory) Users(context.Context) iter.Seq2[accesstokens.DirectoryUser, error] {
	return seq(d.users, d.usersErr)
}
func (d *stubDirectory) Projects(context.Context) iter.Seq2[accesstokens.Project, error] {
	return seq(d.projects, d.projectsErr)
}
func (d *stubDirectory) Repositories(context.Context) iter.Seq2[accesstokens.Repository, error] {
	return seq(d.repos, d.repoErr)
}
func (d *stubDirectory) ServerInfo(context.Context) (*accesstokens.ServerInfo, error) {
	return &accesstokens.ServerInfo{Version: "9.4.1"}, nil
}

func dirUser(slug, typ string, active bool) accesstokens.DirectoryUser {
	return accesstokens.DirectoryUser{User: accesstokens.User{Slug: slug, Name: slug, Type: typ, Active: active}}
}

func TestTargetsEnumeratesUsersProjectsAndRepositories(t *testing.T) {
	t.Parallel()
	prj := accesstokens.Project{Key: "PRJ", Type: "NORMAL"}
	personal := accesstokens.Project{Key: "~ALICE", Type: "PERSONAL"}
	dir := &stubDirectory{
		users: []accesstokens.DirectoryUser{
			dirUser("alice", "NORMAL", true),
			dirUser("carol", "NORMAL", false),
			dirUser("access-token-user/1/1", "SERVICE", true),
		},
		projects: []accesstokens.Project{prj, personal, {Key: "OPS", Type: "NORMAL"}},
		repos: []accesstokens.Repository{
			{Slug: "repo", Project: prj},
			{Slug: "old", Project: prj, Archived: true},
			{Slug: "scratch", Project: personal},
		},
	}
	got, err := Targets(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, []Target{
		{Scope: accesstokens.UserScope("alice"), OwnerActive: true},
		{Scope: accesstokens.UserScope("carol"), OwnerActive: false},
		{Scope: accesstokens.ProjectScope("PRJ"), OwnerActive: true},
		{Scope: accesstokens.ProjectScope("OPS"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "repo"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "old"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("~ALICE", "scratch"), OwnerActive: true},
	}, got)
}

func TestTargetsFailsWhenAListFails(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for name, dir := range map[string]*stubDirectory{
		"users":        {usersErr: boom},
		"projects":     {projectsErr: boom},
		"repositories": {repoErr: boom},
	} {
		_, err := Targets(context.Background(), dir)
		assert.ErrorIs(t, err, boom, name)
		assert.ErrorContains(t, err, "listing "+name)
	}
}

func TestTargetsOf(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []Target{
		{Scope: userSc, OwnerActive: true, OwnerFromTokens: true},
		{Scope: repoSc, OwnerActive: true, OwnerFromTokens: true},
	}, TargetsOf(userSc, repoSc, userSc))
	assert.Empty(t, TargetsOf())
}

// fixedTokens is a TokensService whose All lists the given tokens of each scope.
type fixedTokens struct {
	accesstokens.TokensService // nil: any other method panics
	tokens                     map[accesstokens.Scope][]accesstokens.AccessToken
}

func (f fixedTokens) All(_ context.Context, s accesstokens.Scope, _ *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		for _, t := range f.tokens[s] {
			if !yield(t, nil) {
				return
			}
		}
	}
}

// TestRunJudgesTheOwnerOfANamedUserScopeByItsTokens: TargetsOf knows
// nothing of the owners of the scopes it is given, so a personal token is
// inactive-owner when the token's own user is deactivated, as the server
// says in it (the same answer Targets gets from the directory).
func TestRunJudgesTheOwnerOfANamedUserScopeByItsTokens(t *testing.T) {
	t.Parallel()
	zed, amy, prj := accesstokens.UserScope("zed"), accesstokens.UserScope("amy"), accesstokens.ProjectScope("PRJ")
	token := func(id string, owner *accesstokens.User) accesstokens.AccessToken {
		return accesstokens.AccessToken{ID: id, Name: id, CreatedDate: stubNow, Permissions: []accesstokens.Permission{accesstokens.RepoRead}, User: owner}
	}
	tokens := fixedTokens{tokens: map[accesstokens.Scope][]accesstokens.AccessToken{
		zed: {token("1", &accesstokens.User{Slug: "zed", Type: "NORMAL", Active: false})},
		amy: {token("2", &accesstokens.User{Slug: "amy", Type: "NORMAL", Active: true}), token("3", nil)},
		prj: {token("4", &accesstokens.User{Slug: "bot", Type: "SERVICE", Active: false})},
	}}
	inactive := map[string]bool{}
	_, err := Run(context.Background(), tokens, TargetsOf(zed, amy, prj), Options{Rules: Rules{Now: stubNow}}, func(tok Token) error {
		inactive[tok.ID] = tok.Has(InactiveOwner)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"1": true, "2": false, "3": false, "4": false}, inactive)
}
