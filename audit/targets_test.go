package audit

import (
	"context"
	"errors"
	"iter"
	"runtime"
	"strconv"
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
		{Scope: accesstokens.ProjectScope("OPS"), OwnerActive: true},
		{Scope: accesstokens.ProjectScope("PRJ"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "old"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "repo"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("~ALICE", "scratch"), OwnerActive: true},
	}, got, "in report order")
}

// TestTargetsReadsAScopeListedTwiceOnce: offset paging over a list that
// changes while it is read can list an entry twice; its scope is read (and
// a bulk revoke acts on its tokens) once.
func TestTargetsReadsAScopeListedTwiceOnce(t *testing.T) {
	t.Parallel()
	prj := accesstokens.Project{Key: "PRJ", Type: "NORMAL"}
	dir := &stubDirectory{
		users:    []accesstokens.DirectoryUser{dirUser("bob", "NORMAL", true), dirUser("alice", "NORMAL", false), dirUser("bob", "NORMAL", true)},
		projects: []accesstokens.Project{prj, prj},
		repos:    []accesstokens.Repository{{Slug: "a", Project: prj}, {Slug: "b", Project: prj}, {Slug: "a", Project: prj}},
	}
	got, err := Targets(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, []Target{
		{Scope: accesstokens.UserScope("alice"), OwnerActive: false},
		{Scope: accesstokens.UserScope("bob"), OwnerActive: true},
		{Scope: accesstokens.ProjectScope("PRJ"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "a"), OwnerActive: true},
		{Scope: accesstokens.RepoScope("PRJ", "b"), OwnerActive: true},
	}, got)
}

// endlessUsers is a directory whose user list never ends, every user new.
type endlessUsers struct{ stubDirectory }

func (*endlessUsers) Users(context.Context) iter.Seq2[accesstokens.DirectoryUser, error] {
	return func(yield func(accesstokens.DirectoryUser, error) bool) {
		for i := 0; ; i++ {
			if !yield(dirUser("user-"+strconv.Itoa(i), "NORMAL", true), nil) {
				return
			}
		}
	}
}

// TestTargetsStopsAnEndlessDirectory: a directory whose paging never ends
// (a user list that grows forever) once drove an audit to 1.4 GB in 20 s.
// The walk stops at MaxTargets with an error that says why, having
// allocated a few hundred MB in all. (Under the race detector, which makes
// it slow, a tenth of the bound.)
func TestTargetsStopsAnEndlessDirectory(t *testing.T) {
	// Not parallel: it reads the process's allocation counter.
	limit := MaxTargets
	if raceDetector {
		limit /= 10
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := walkDirectory(context.Background(), &endlessUsers{}, limit)
	runtime.ReadMemStats(&after)
	require.Error(t, err)
	assert.Nil(t, got)
	assert.ErrorContains(t, err, "the server lists more than "+strconv.Itoa(limit)+" users, projects and repositories: its paging looks endless")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d MB for %d scopes", allocated>>20, limit)
	assert.Less(t, allocated, uint64(limit)*600, "some 330 bytes per scope; never more than 600")
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
