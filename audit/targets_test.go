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
		{Scope: userSc, OwnerActive: true},
		{Scope: repoSc, OwnerActive: true},
	}, TargetsOf(userSc, repoSc, userSc))
	assert.Empty(t, TargetsOf())
}
