package audit

import (
	"context"
	"errors"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

// TestTargetsOnTheFakeFindEveryScope enumerates the demo world through the
// real Directory and compares the scopes with those of the fake's tokens
// (every scope of a generated world holds tokens).
func TestTargetsOnTheFakeFindEveryScope(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	defer srv.Close()
	targets, err := Targets(context.Background(), adminClient(t, srv).Directory)
	require.NoError(t, err)

	want := map[string]bool{} // scope → owner active
	archived := 0
	for _, info := range srv.Tokens() {
		want[info.Scope] = info.OwnerActive
		if info.RepoArchived {
			archived++
		}
	}
	got := map[string]bool{}
	for _, tg := range targets {
		s := tg.Scope.String()
		require.NotContains(t, got, s, "scope listed twice")
		got[s] = tg.OwnerActive
	}
	assert.Equal(t, want, got)
	assert.Positive(t, archived, "the world has archived repositories, and they are audited")
	assert.Contains(t, got, "repo:~ALICE/scratch", "personal projects' repositories are audited")
	assert.NotContains(t, got, "project:~ALICE", "personal projects are no project scopes")
	assert.False(t, got["user:carol"], "a deactivated user's scope says so")
	assert.True(t, got["user:alice"])
	services := 0
	for u, err := range adminClient(t, srv).Directory.Users(context.Background()) {
		require.NoError(t, err)
		if u.Type == "SERVICE" {
			services++
		}
	}
	require.Positive(t, services, "the directory lists SERVICE users, so skipping them is put to the test")
	for s := range got {
		assert.NotContains(t, s, "access-token-user", "SERVICE users are skipped")
	}
}
