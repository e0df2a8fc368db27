package accesstokens_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
)

func TestCreateRefusesAnExpiryLongerThanMaxExpiryDaysBeforeSending(t *testing.T) {
	t.Parallel()
	for _, days := range []int{accesstokens.MaxExpiryDays + 1, 3_000_000, math.MaxInt} {
		c, cs := newCannedClient(t, `{}`)

		raw, err := c.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
			Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}, ExpiryDays: days})

		assert.Nil(t, raw)
		require.ErrorIs(t, err, accesstokens.ErrInvalidArgument, "%d days", days)
		assert.Contains(t, err.Error(), "ExpiryDays")
		assert.Contains(t, err.Error(), "36500")
		assert.Empty(t, cs.requests(), "nothing is sent")
	}
}

func TestCreateSendsAnExpiryOfMaxExpiryDays(t *testing.T) {
	t.Parallel()
	c, cs := newCannedClient(t, `{"id":"1","name":"ci","createdDate":1672997457717,"expiryDate":4826597457717,"token":"BBDC-x"}`)

	raw, err := c.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}, ExpiryDays: accesstokens.MaxExpiryDays})

	require.NoError(t, err)
	assert.Equal(t, "1", raw.ID)
	assert.Len(t, cs.requests(), 1)
}

func TestRotateRefusesAnExpiryLongerThanMaxExpiryDaysBeforeAnyCall(t *testing.T) {
	t.Parallel()
	tokens := accesstokensmock.NewMockTokensService(t) // no expectations: any call fails the test

	rot, err := accesstokens.Rotate(context.Background(), tokens, accesstokens.ProjectScope("PRJ"), "7",
		accesstokens.RotateOptions{ExpiryDays: accesstokens.MaxExpiryDays + 1})

	assert.Nil(t, rot)
	require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "ExpiryDays")
}

func TestExpiryPolicyJSONIsTheAdminEndpoints(t *testing.T) {
	t.Parallel()
	var p accesstokens.ExpiryPolicy
	require.NoError(t, json.Unmarshal([]byte(`{"maxExpiryDays":90}`), &p))
	assert.Equal(t, accesstokens.ExpiryPolicy{MaxExpiryDays: 90}, p)

	b, err := json.Marshal(accesstokens.ExpiryPolicy{MaxExpiryDays: 90})
	require.NoError(t, err)
	assert.JSONEq(t, `{"maxExpiryDays":90}`, string(b))
	b, err = json.Marshal(accesstokens.ExpiryPolicy{})
	require.NoError(t, err)
	assert.JSONEq(t, `{}`, string(b), "no policy: an empty object, as the server answers")
}
