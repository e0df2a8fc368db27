package accesstokensmock_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
)

// Every service interface has its mock.
var (
	_ accesstokens.UserTokensService    = (*accesstokensmock.MockUserTokensService)(nil)
	_ accesstokens.ProjectTokensService = (*accesstokensmock.MockProjectTokensService)(nil)
	_ accesstokens.RepoTokensService    = (*accesstokensmock.MockRepoTokensService)(nil)
	_ accesstokens.TokensService        = (*accesstokensmock.MockTokensService)(nil)
	_ accesstokens.AdminService         = (*accesstokensmock.MockAdminService)(nil)
	_ accesstokens.DirectoryService     = (*accesstokensmock.MockDirectoryService)(nil)
)

var (
	ctx   = context.Background()
	tok7  = accesstokens.AccessToken{ID: "7", Name: "ci", Permissions: []accesstokens.Permission{accesstokens.RepoRead}}
	tok8  = accesstokens.AccessToken{ID: "8", Name: "deploy"}
	newCI = accesstokens.CreateTokenRequest{Name: "ci", Permissions: []accesstokens.Permission{accesstokens.RepoRead}, ExpiryDays: 30}
)

// ids collects the ids of a token walk, failing on an error.
func ids(t *testing.T, seq func(func(accesstokens.AccessToken, error) bool)) []string {
	t.Helper()
	var out []string
	for tok, err := range seq {
		require.NoError(t, err)
		out = append(out, tok.ID)
	}
	return out
}

func TestMockUserTokensService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockUserTokensService(t)
	m.EXPECT().All(mock.Anything, "alice", (*accesstokens.ListOptions)(nil)).Return(accesstokensmock.Seq(tok7, tok8)).Once()
	m.EXPECT().Delete(mock.Anything, "alice", "8").Return(nil).Once()

	var svc accesstokens.UserTokensService = m
	assert.Equal(t, []string{"7", "8"}, ids(t, svc.All(ctx, "alice", nil)))
	require.NoError(t, svc.Delete(ctx, "alice", "8"))
}

func TestMockProjectTokensService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockProjectTokensService(t)
	m.EXPECT().Create(mock.Anything, "PRJ", newCI).Return(&accesstokens.RawAccessToken{AccessToken: tok7}, nil).Once()
	m.EXPECT().Get(mock.Anything, "PRJ", "404").Return(nil, accesstokensmock.NewError(404, "No access token with ID 404 exists.")).Once()

	var svc accesstokens.ProjectTokensService = m
	created, err := svc.Create(ctx, "PRJ", newCI)
	require.NoError(t, err)
	assert.Equal(t, "7", created.ID)
	_, err = svc.Get(ctx, "PRJ", "404")
	require.ErrorIs(t, err, accesstokens.ErrNotFound)
}

func TestMockRepoTokensService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockRepoTokensService(t)
	name := "ci-main"
	renamed := tok7
	renamed.Name = name
	m.EXPECT().Update(mock.Anything, "PRJ", "repo", "7", accesstokens.UpdateTokenRequest{Name: &name}).Return(&renamed, nil).Once()
	m.EXPECT().List(mock.Anything, "PRJ", "repo", &accesstokens.ListOptions{Limit: 1}).
		Return(&accesstokens.Page[accesstokens.AccessToken]{Values: []accesstokens.AccessToken{renamed}, Size: 1, Limit: 1, IsLastPage: true}, nil).Once()

	var svc accesstokens.RepoTokensService = m
	got, err := svc.Update(ctx, "PRJ", "repo", "7", accesstokens.UpdateTokenRequest{Name: &name})
	require.NoError(t, err)
	assert.Equal(t, "ci-main", got.Name)
	page, err := svc.List(ctx, "PRJ", "repo", &accesstokens.ListOptions{Limit: 1})
	require.NoError(t, err)
	assert.True(t, page.IsLastPage)
	assert.Equal(t, []accesstokens.AccessToken{renamed}, page.Values)
}

func TestMockTokensService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockTokensService(t)
	scope := accesstokens.RepoScope("PRJ", "repo")
	m.EXPECT().All(mock.Anything, scope, mock.Anything).Return(accesstokensmock.SeqWithError(accesstokensmock.NewError(503, "down"), tok7)).Once()
	// RunAndReturn computes the answer from the arguments.
	m.EXPECT().Get(mock.Anything, scope, mock.AnythingOfType("string")).RunAndReturn(
		func(_ context.Context, _ accesstokens.Scope, id string) (*accesstokens.AccessToken, error) {
			return &accesstokens.AccessToken{ID: id}, nil
		}).Twice()

	var svc accesstokens.TokensService = m
	var seen []string
	var walkErr error
	for tok, err := range svc.All(ctx, scope, nil) {
		if err != nil {
			walkErr = err
			break
		}
		seen = append(seen, tok.ID)
	}
	assert.Equal(t, []string{"7"}, seen)
	require.ErrorIs(t, walkErr, accesstokens.ErrServer)
	for _, id := range []string{"1", "2"} {
		got, err := svc.Get(ctx, scope, id)
		require.NoError(t, err)
		assert.Equal(t, id, got.ID)
	}
}

func TestMockAdminService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockAdminService(t)
	m.EXPECT().SetExpiryPolicy(mock.Anything, accesstokens.ExpiryPolicy{MaxExpiryDays: 90}).Return(nil).Once()
	m.EXPECT().GetExpiryPolicy(mock.Anything).Return(&accesstokens.ExpiryPolicy{MaxExpiryDays: 90}, nil).Once()
	m.EXPECT().DeleteExpiryPolicy(mock.Anything).Return(accesstokensmock.NewError(401, "You are not permitted to access this resource")).Once()

	var svc accesstokens.AdminService = m
	require.NoError(t, svc.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 90}))
	p, err := svc.GetExpiryPolicy(ctx)
	require.NoError(t, err)
	assert.Equal(t, 90, p.MaxExpiryDays)
	require.ErrorIs(t, svc.DeleteExpiryPolicy(ctx), accesstokens.ErrUnauthorized)
}

func TestMockDirectoryService(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockDirectoryService(t)
	prj := accesstokens.Project{ID: 1, Key: "PRJ", Name: "Demo project", Type: "NORMAL"}
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m.EXPECT().Projects(mock.Anything).Return(accesstokensmock.Seq(prj)).Once()
	m.EXPECT().Repositories(mock.Anything).Return(accesstokensmock.Seq(accesstokens.Repository{ID: 2, Slug: "repo", Project: prj})).Once()
	m.EXPECT().Users(mock.Anything).Return(accesstokensmock.Seq(accesstokens.DirectoryUser{
		User: accesstokens.User{Name: "alice", Type: "NORMAL"}, LastAuthentication: &seen})).Once()
	m.EXPECT().ServerInfo(mock.Anything).Return(&accesstokens.ServerInfo{Version: "8.19.1"}, nil).Once()

	var svc accesstokens.DirectoryService = m
	var got []string
	for p, err := range svc.Projects(ctx) {
		require.NoError(t, err)
		got = append(got, "project "+p.Key)
	}
	for r, err := range svc.Repositories(ctx) {
		require.NoError(t, err)
		got = append(got, "repo "+r.Project.Key+"/"+r.Slug)
	}
	for u, err := range svc.Users(ctx) {
		require.NoError(t, err)
		got = append(got, fmt.Sprintf("user %s seen %s", u.Name, u.LastAuthentication.Format(time.DateOnly)))
	}
	info, err := svc.ServerInfo(ctx)
	require.NoError(t, err)
	got = append(got, "version "+info.Version)
	assert.Equal(t, []string{"project PRJ", "repo PRJ/repo", "user alice seen 2026-01-02", "version 8.19.1"}, got)
}

// recordingT is a mock.TestingT that records failures instead of failing the
// test, to check what the mocks report.
type recordingT struct {
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (r *recordingT) Logf(string, ...any) {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingT) FailNow()          { panic(failNow{}) }
func (r *recordingT) Cleanup(fn func()) { r.cleanups = append(r.cleanups, fn) }

// failNow is what recordingT.FailNow panics with.
type failNow struct{}

// finish runs the cleanups, last registered first, like the testing package.
func (r *recordingT) finish() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestNewMockAssertsExpectationsAtCleanup(t *testing.T) {
	t.Parallel()
	t.Run("an expected call that never came fails the test", func(t *testing.T) {
		t.Parallel()
		rec := &recordingT{}
		m := accesstokensmock.NewMockTokensService(rec)
		m.EXPECT().Delete(mock.Anything, accesstokens.ProjectScope("PRJ"), "7").Return(nil).Once()

		assert.Empty(t, rec.errors, "nothing is reported before cleanup")
		rec.finish()
		require.NotEmpty(t, rec.errors)
		assert.Contains(t, rec.errors[len(rec.errors)-1], "expectation")
	})
	t.Run("met expectations report nothing", func(t *testing.T) {
		t.Parallel()
		rec := &recordingT{}
		m := accesstokensmock.NewMockTokensService(rec)
		m.EXPECT().Delete(mock.Anything, accesstokens.ProjectScope("PRJ"), "7").Return(nil).Once()

		require.NoError(t, m.Delete(ctx, accesstokens.ProjectScope("PRJ"), "7"))
		rec.finish()
		assert.Empty(t, rec.errors)
	})
	t.Run("an unexpected call fails at once", func(t *testing.T) {
		t.Parallel()
		rec := &recordingT{}
		m := accesstokensmock.NewMockTokensService(rec)
		m.EXPECT().Delete(mock.Anything, accesstokens.ProjectScope("PRJ"), "7").Return(nil).Once()

		assert.PanicsWithValue(t, failNow{}, func() { _ = m.Delete(ctx, accesstokens.ProjectScope("PRJ"), "8") })
		require.NotEmpty(t, rec.errors)
		assert.Contains(t, rec.errors[0], `Delete`)
	})
}
