package main

import (
	"context"
	"iter"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// dirStub is a DirectoryService that lists fixed users, projects and
// repositories, and counts the values it was asked for.
type dirStub struct {
	accesstokens.DirectoryService
	users    []accesstokens.DirectoryUser
	projects []accesstokens.Project
	repos    []accesstokens.Repository
	read     *int // values handed out, all lists together
}

func listOf[T any](values []T, read *int) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range values {
			if read != nil {
				*read++
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}

func (d dirStub) Users(context.Context) iter.Seq2[accesstokens.DirectoryUser, error] {
	return listOf(d.users, d.read)
}

func (d dirStub) Projects(context.Context) iter.Seq2[accesstokens.Project, error] {
	return listOf(d.projects, d.read)
}

func (d dirStub) Repositories(context.Context) iter.Seq2[accesstokens.Repository, error] {
	return listOf(d.repos, d.read)
}

func person(name string, loggedIn bool) accesstokens.DirectoryUser {
	u := accesstokens.DirectoryUser{User: accesstokens.User{Name: name, Slug: name, Type: "NORMAL", Active: true}}
	if loggedIn {
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		u.LastAuthentication = &at
	}
	return u
}

func bot(b accesstokens.BotUser, loggedIn bool) accesstokens.DirectoryUser {
	u := person(b.Name(), loggedIn)
	u.Slug, u.Type = b.Slug(), "SERVICE"
	return u
}

func repoWithID(id int, key, slug string) accesstokens.Repository {
	return accesstokens.Repository{ID: id, Slug: slug, Project: accesstokens.Project{Key: key}}
}

func scopeStrings(scopes []accesstokens.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.String()
	}
	return out
}

func TestIdentifySearchOrderPutsTheLikeliestScopesFirst(t *testing.T) {
	t.Parallel()
	dir := dirStub{
		users: []accesstokens.DirectoryUser{
			person("bob", false),
			bot(accesstokens.BotUser{ProjectID: 1}, false),
			person("alice", true),
			bot(accesstokens.BotUser{RepositoryID: 11}, true),
			{User: accesstokens.User{Name: "jenkins-svc", Slug: "jenkins-svc", Type: "SERVICE"}},
		},
		projects: []accesstokens.Project{
			{ID: 1, Key: "ONE", Type: "NORMAL"}, {ID: 2, Key: "TWO", Type: "NORMAL"}, {ID: 3, Key: "~ALICE", Type: "PERSONAL"},
		},
		repos: []accesstokens.Repository{repoWithID(12, "ONE", "plain"), repoWithID(11, "ONE", "used")},
	}
	scopes, err := searchOrder(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"repo:ONE/used",  // its bot has logged in: one of its tokens is in use
		"project:ONE",    // it has a bot: tokens were made there
		"user:alice",     // has logged in
		"project:TWO",    // no bot
		"repo:ONE/plain", // no bot
		"user:bob",       // never logged in
	}, scopeStrings(scopes), "a personal project holds no project tokens; another service account no personal ones")
}

func TestIdentifySearchOrderWithoutBotsInTheUserList(t *testing.T) {
	t.Parallel()
	// A user list without any bot (a server that does not list them) says
	// nothing about projects and repositories: they come before people.
	dir := dirStub{
		users:    []accesstokens.DirectoryUser{person("bob", false), person("alice", true)},
		projects: []accesstokens.Project{{ID: 1, Key: "ONE", Type: "NORMAL"}},
		repos:    []accesstokens.Repository{repoWithID(11, "ONE", "web")},
	}
	scopes, err := searchOrder(context.Background(), dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"project:ONE", "repo:ONE/web", "user:alice", "user:bob"}, scopeStrings(scopes))
}

func TestIdentifyFindsABotsScopeReadingOnlyUntilItsID(t *testing.T) {
	t.Parallel()
	read := 0
	dir := dirStub{
		projects: []accesstokens.Project{{ID: 1, Key: "ONE"}, {ID: 2, Key: "TWO"}, {ID: 3, Key: "THREE"}},
		repos:    []accesstokens.Repository{repoWithID(11, "ONE", "a"), repoWithID(14, "TWO", "b"), repoWithID(15, "TWO", "c")},
		read:     &read,
	}
	scope, err := scopeOfBot(context.Background(), dir, accesstokens.BotUser{RepositoryID: 14})
	require.NoError(t, err)
	assert.Equal(t, accesstokens.RepoScope("TWO", "b"), scope)
	assert.Equal(t, 2, read, "the list is read no further than the repository")

	scope, err = scopeOfBot(context.Background(), dir, accesstokens.BotUser{ProjectID: 2})
	require.NoError(t, err)
	assert.Equal(t, accesstokens.ProjectScope("TWO"), scope)

	_, err = scopeOfBot(context.Background(), dir, accesstokens.BotUser{RepositoryID: 99})
	code, err := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, err, "no repository with id 99 among the repositories you can see (deleted, or hidden from you): access-token-user/2/99 has nothing left to act for")
}

func TestIdentifyFindsAPersonByNameSlugOrID(t *testing.T) {
	t.Parallel()
	dir := dirStub{users: []accesstokens.DirectoryUser{
		{User: accesstokens.User{ID: 7, Name: "Jane.Doe@corp", Slug: "jane.doe_corp", Type: "NORMAL"}},
	}}
	for _, tc := range []struct {
		name string
		id   int
	}{{"Jane.Doe@corp", 0}, {"jane.doe@corp", 0}, {"jane.doe_corp", 0}, {"renamed", 7}} {
		scope, err := scopeOfPerson(context.Background(), dir, tc.name, tc.id)
		require.NoError(t, err, tc.name)
		assert.Equal(t, accesstokens.UserScope("jane.doe_corp"), scope, tc.name)
	}
	_, err := scopeOfPerson(context.Background(), dir, "mallory\x1b[2J", 0)
	code, err := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, err, `no user "mallory\x1b[2J" among the users you can see`, "the name is shown escaped")
}
