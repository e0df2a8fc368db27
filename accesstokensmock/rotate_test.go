package accesstokensmock_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
)

var (
	rotScope = accesstokens.ProjectScope("PRJ")
	oldCI    = func() accesstokens.AccessToken {
		created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		expiry := created.AddDate(0, 0, 30)
		return accesstokens.AccessToken{ID: "7", Name: "ci", CreatedDate: created, ExpiryDate: &expiry,
			Permissions: []accesstokens.Permission{accesstokens.ProjectRead}}
	}()
	likeOldCI = accesstokens.CreateTokenRequest{Name: "ci", Permissions: oldCI.Permissions, ExpiryDays: 30}
	newCIRaw  = &accesstokens.RawAccessToken{AccessToken: accesstokens.AccessToken{ID: "8", Name: "ci"},
		Token: accesstokens.NewSecret("BBDC-new-secret")}
)

func TestExpectRotateIsWhatASuccessfulRotateCalls(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockTokensService(t)
	accesstokensmock.ExpectRotate(m, rotScope, oldCI, likeOldCI, newCIRaw)

	rot, err := accesstokens.Rotate(ctx, m, rotScope, "7", accesstokens.RotateOptions{})

	require.NoError(t, err)
	assert.Equal(t, "8", rot.New.ID)
	assert.True(t, rot.OldRevoked)
}

func TestExpectRotateWithKeepOldAndDeliver(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockTokensService(t)
	calls := accesstokensmock.ExpectRotate(m, rotScope, oldCI, likeOldCI, newCIRaw)
	calls.Delete.Unset()
	delivered := ""

	rot, err := accesstokens.Rotate(ctx, m, rotScope, "7", accesstokens.RotateOptions{KeepOld: true,
		Deliver: func(_ context.Context, tok *accesstokens.RawAccessToken) error { delivered = tok.ID; return nil }})

	require.NoError(t, err)
	assert.Equal(t, "8", delivered)
	assert.False(t, rot.OldRevoked)
}

func TestExpectRotateStartThenTheCallsOfAFailedDeliver(t *testing.T) {
	t.Parallel()
	m := accesstokensmock.NewMockTokensService(t)
	calls := accesstokensmock.ExpectRotateStart(m, rotScope, oldCI)
	create := m.EXPECT().Create(mock.Anything, rotScope, likeOldCI).Return(newCIRaw, nil)
	revokeNew := m.EXPECT().Delete(mock.Anything, rotScope, "8").Return(nil)
	mock.InOrder(calls.All.Call, create.Once(), revokeNew.Once())
	sealed := errors.New("vault: sealed")

	_, err := accesstokens.Rotate(ctx, m, rotScope, "7", accesstokens.RotateOptions{
		Deliver: func(context.Context, *accesstokens.RawAccessToken) error { return sealed }})

	require.ErrorIs(t, err, sealed)
}

// shortcutRotate stands for code that rotates by hand and forgets to list
// the scope first: it cannot find a token whose create answer was lost.
func shortcutRotate(tokens accesstokens.TokensService) error {
	old, err := tokens.Get(ctx, rotScope, "7")
	if err != nil {
		return err
	}
	created, err := tokens.Create(ctx, rotScope, accesstokens.CreateTokenRequest{Name: old.Name, Permissions: old.Permissions, ExpiryDays: 30})
	if err != nil {
		return err
	}
	_ = created
	return tokens.Delete(ctx, rotScope, old.ID)
}

func TestExpectRotateFailsCodeThatSkipsRotatesList(t *testing.T) {
	t.Parallel()
	rec := &recordingT{}
	m := accesstokensmock.NewMockTokensService(rec)
	accesstokensmock.ExpectRotate(m, rotScope, oldCI, likeOldCI, newCIRaw)

	assert.PanicsWithValue(t, failNow{}, func() { _ = shortcutRotate(m) }, "Create before All is out of order")
	rec.finish()

	require.NotEmpty(t, rec.errors)
	assert.Contains(t, rec.errors[0], "Create")
}
