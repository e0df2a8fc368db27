package accesstokens_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

var pdProject = accesstokens.Project{ID: 1084, Key: "PD", Name: "Netic Platform Development", Type: "NORMAL"}

// adminUsersPage is an admin user list as Bitbucket writes it, with the
// values of the example in Atlassian's 9.4 specification (RestDetailedUser)
// and a bot user that, as on 9.x servers, has no emailAddress at all.
const adminUsersPage = `{"size":2,"limit":1000,"isLastPage":true,"start":0,"values":[
	{"name":"jcitizen","emailAddress":"jane@example.com","active":true,"displayName":"Jane Citizen","id":101,
	 "slug":"jcitizen","type":"NORMAL","directoryName":"Bitbucket Internal Directory","deletable":true,
	 "lastAuthenticationTimestamp":1368145580548,"mutableDetails":true,"mutableGroups":true,"links":{"self":[{"href":"https://git/users/jcitizen"}]}},
	{"name":"access-token-user/2/11754","active":true,"displayName":"Access Token User - testing-repo","id":59666,
	 "slug":"access-token-user_2_11754","type":"SERVICE","directoryName":"Bitbucket Internal Directory","deletable":false,
	 "mutableDetails":false,"mutableGroups":false}]}`

var (
	jane = accesstokens.DirectoryUser{
		User: accesstokens.User{ID: 101, Name: "jcitizen", Slug: "jcitizen", DisplayName: "Jane Citizen",
			EmailAddress: "jane@example.com", Active: true, Type: "NORMAL"},
		DirectoryName: "Bitbucket Internal Directory", LastAuthentication: msPtr(1368145580548)}
	repoBot = accesstokens.DirectoryUser{
		User: accesstokens.User{ID: 59666, Name: "access-token-user/2/11754", Slug: "access-token-user_2_11754",
			DisplayName: "Access Token User - testing-repo", Active: true, Type: "SERVICE"},
		DirectoryName: "Bitbucket Internal Directory"}
)

func TestRecordedDirectoryBodiesDecodeWithEncodingJSON(t *testing.T) {
	t.Parallel()
	var projects accesstokens.Page[accesstokens.Project]
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_projects_page.json"), &projects))
	assert.Equal(t, []accesstokens.Project{{ID: 363, Key: "PRJ1", Name: "Project 1", Type: "NORMAL"},
		{ID: 909, Key: "PRJ2", Name: "Project 2", Type: "NORMAL"}}, projects.Values)
	assert.True(t, projects.IsLastPage)

	var repos accesstokens.Page[accesstokens.Repository]
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_repos_page.json"), &repos))
	require.Len(t, repos.Values, 3)
	assert.Equal(t, accesstokens.Repository{ID: 1373, Slug: "ansible-netic-kubernetes", Name: "ansible-netic-kubernetes",
		Description: "Ansible Galaxy Collection for Netic Kubernetes provisioning", Project: pdProject,
		State: "AVAILABLE", ScmID: "git", Forkable: true}, repos.Values[0])
	assert.False(t, repos.IsLastPage)
	assert.Equal(t, 25, repos.NextPageStart)

	var repo accesstokens.Repository
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_repository.json"), &repo))
	assert.Equal(t, 1405, repo.ID)
	assert.Equal(t, "AVAILABLE", repo.State)

	var user accesstokens.DirectoryUser
	require.NoError(t, json.Unmarshal(recorded(t, "neticdk_user.json"), &user))
	assert.Equal(t, accesstokens.DirectoryUser{User: accesstokens.User{ID: 12910, Name: "api-user", Slug: "apiuser",
		DisplayName: "Api User", EmailAddress: "api-user@e.mail", Active: true, Type: "NORMAL"}}, user,
		"the plain user list has no directoryName and no timestamp")
}

func TestDirectoryUsersJSONHoldsDirectoryNameAndLastAuthentication(t *testing.T) {
	t.Parallel()
	var page accesstokens.Page[accesstokens.DirectoryUser]
	require.NoError(t, json.Unmarshal([]byte(adminUsersPage), &page))
	assert.Equal(t, []accesstokens.DirectoryUser{jane, repoBot}, page.Values)

	b, err := json.Marshal(jane)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":101,"name":"jcitizen","slug":"jcitizen","displayName":"Jane Citizen","emailAddress":"jane@example.com",
		"active":true,"type":"NORMAL","directoryName":"Bitbucket Internal Directory","lastAuthenticationTimestamp":1368145580548}`, string(b))
	var back accesstokens.DirectoryUser
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, jane, back)

	err = json.Unmarshal([]byte(`{"slug":"x","lastAuthenticationTimestamp":1e300}`), &back)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "lastAuthenticationTimestamp")
}

func TestTheClientReadsTheDirectorysNewFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := newCannedClient(t, adminUsersPage)
	var users []accesstokens.DirectoryUser
	for u, err := range c.Directory.Users(ctx) {
		require.NoError(t, err)
		users = append(users, u)
	}
	assert.Equal(t, []accesstokens.DirectoryUser{jane, repoBot}, users)

	reposPage := `{"size":1,"limit":1000,"isLastPage":true,"start":0,"values":[` + string(recorded(t, "neticdk_repository.json")) + `]}`
	c, _ = newCannedClient(t, reposPage)
	var repos []accesstokens.Repository
	for r, err := range c.Directory.Repositories(ctx) {
		require.NoError(t, err)
		repos = append(repos, r)
	}
	want := accesstokens.Repository{ID: 1405, Slug: "repo", Name: "repo", Project: pdProject, State: "AVAILABLE", ScmID: "git", Forkable: true,
		Description: "Repository deploying basic component on Kubernetes cluster based on flux2/gotk."}
	assert.Equal(t, []accesstokens.Repository{want}, repos)

	c, _ = newCannedClient(t, `{"version":"9.4.3","buildNumber":"9004003","buildDate":"1705913585952","displayName":"Bitbucket"}`)
	info, err := c.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "9.4.3", info.Version)
	assert.Equal(t, time.Date(2024, 1, 22, 8, 53, 5, 952e6, time.UTC), info.BuildDate)
}

func TestServerInfoJSONReadsBuildDateAsAStringOfEpochMilliseconds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want time.Time
	}{
		{`{"version":"8.19.1","buildNumber":"8019001","buildDate":"1705913585952","displayName":"Bitbucket"}`, epochMS(1705913585952)},
		{`{"version":"8.19.1","buildDate":1705913585952}`, epochMS(1705913585952)},
		{`{"version":"8.19.1"}`, time.Time{}},
		{`{"version":"8.19.1","buildDate":"1358897885952000"}`, time.Time{}}, // the 9.4 specification's example: no date a server has
		{`{"version":"8.19.1","buildDate":"last Tuesday"}`, time.Time{}},
	}
	for _, tt := range tests {
		var info accesstokens.ServerInfo
		require.NoError(t, json.Unmarshal([]byte(tt.body), &info), tt.body)
		assert.Equal(t, "8.19.1", info.Version)
		assert.Equal(t, tt.want, info.BuildDate, tt.body)
	}

	b, err := json.Marshal(accesstokens.ServerInfo{Version: "9.4.3", BuildNumber: "9004003", BuildDate: epochMS(1705913585952), DisplayName: "Bitbucket"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":"9.4.3","buildNumber":"9004003","buildDate":"1705913585952","displayName":"Bitbucket"}`, string(b))
	b, err = json.Marshal(accesstokens.ServerInfo{Version: "9.4.3"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":"9.4.3","buildNumber":"","displayName":""}`, string(b), "no buildDate when it is zero")
}

func TestProjectsAndRepositoriesMarshalToBitbucketsFieldNames(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(accesstokens.Repository{ID: 1, Slug: "r", Name: "R", Project: accesstokens.Project{ID: 2, Key: "K", Name: "P", Type: "NORMAL"},
		State: "AVAILABLE", ScmID: "git", Forkable: true, Public: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":1,"slug":"r","name":"R","project":{"id":2,"key":"K","name":"P","type":"NORMAL"},"archived":false,
		"state":"AVAILABLE","scmId":"git","forkable":true,"public":true}`, string(b))
}

func TestTheFakesDirectoryAnswersFillTheNewFields(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithServerVersion("9.4.3"))
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	require.NoError(t, err)
	ctx := context.Background()

	info, err := c.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "9.4.3", info.Version)
	assert.False(t, info.BuildDate.IsZero(), "buildDate read")
	for u, err := range c.Directory.Users(ctx) {
		require.NoError(t, err)
		assert.NotEmpty(t, u.DirectoryName, u.Slug)
	}
	for r, err := range c.Directory.Repositories(ctx) {
		require.NoError(t, err)
		assert.Equal(t, "AVAILABLE", r.State, r.Slug)
		assert.Equal(t, "git", r.ScmID, r.Slug)
	}
}
