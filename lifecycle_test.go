package accesstokens_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

const day = 24 * time.Hour

func TestExpiredAndExpiresWithin(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	tests := []struct {
		name    string
		expiry  *time.Time
		within  time.Duration
		expired bool
		soon    bool
	}{
		{"never expires", nil, 365 * day, false, false},
		{"expired a day ago", at(-day), 7 * day, true, true},
		{"expires right now", at(0), 7 * day, true, true},
		{"expires right now, within 0", at(0), 0, true, true},
		{"expired, within a negative span", at(-time.Hour), -2 * time.Hour, true, true},
		{"expires in a nanosecond", at(time.Nanosecond), 0, false, false},
		{"expires in 3 days, within 7", at(3 * day), 7 * day, false, true},
		{"expires in exactly 7 days, within 7", at(7 * day), 7 * day, false, true},
		{"expires in 8 days, within 7", at(8 * day), 7 * day, false, false},
		{"expires in 8 days, within the longest span", at(8 * day), time.Duration(math.MaxInt64), false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := accesstokens.AccessToken{CreatedDate: now.Add(-30 * day), ExpiryDate: tc.expiry}
			assert.Equal(t, tc.expired, tok.Expired(now), "Expired")
			assert.Equal(t, tc.soon, tok.ExpiresWithin(tc.within, now), "ExpiresWithin")
		})
	}
}

func TestExpiryDaysIsWholeDaysAcrossDaylightSavingChanges(t *testing.T) {
	t.Parallel()
	// A server in Berlin adds 30 calendar days at 09:00 local time: across
	// the spring change the lifetime is 30*24h-1h, across the autumn change
	// 30*24h+1h. The server sends both dates in UTC.
	spring := time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC)    // 09:00 CET
	springEnd := time.Date(2026, 4, 14, 7, 0, 0, 0, time.UTC) // 09:00 CEST
	autumn := time.Date(2026, 10, 10, 7, 0, 0, 0, time.UTC)   // 09:00 CEST
	autumnEnd := time.Date(2026, 11, 9, 8, 0, 0, 0, time.UTC) // 09:00 CET
	tests := []struct {
		name    string
		created time.Time
		expiry  time.Time
		want    int
	}{
		{"30 days over spring forward", spring, springEnd, 30},
		{"30 days over fall back", autumn, autumnEnd, 30},
		{"90 days in UTC", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), 90},
		{"1 day", spring, spring.Add(day), 1},
		{"a few milliseconds short of 7 days", spring, spring.Add(7*day - 3*time.Millisecond), 7},
		{"11 hours rounds to at least 1", spring, spring.Add(11 * time.Hour), 1},
		{"12 hours rounds up", spring, spring.Add(36 * time.Hour), 2},
		{"expiry before creation still expires", spring, spring.Add(-day), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			exp := tc.expiry
			tok := accesstokens.AccessToken{CreatedDate: tc.created, ExpiryDate: &exp}
			assert.Equal(t, tc.want, tok.ExpiryDays())
		})
	}
}

func TestExpiryDaysIsZeroForATokenThatNeverExpires(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 0, accesstokens.AccessToken{CreatedDate: time.Now()}.ExpiryDays())
}

// TestExpiryDaysOfAnAbsurdExpiryDoesNotOverflow: a lifetime beyond what a
// time.Duration holds (a hostile server's year 9999) is the longest one, not 1 day.
func TestExpiryDaysOfAnAbsurdExpiryDoesNotOverflow(t *testing.T) {
	t.Parallel()
	exp := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	tok := accesstokens.AccessToken{CreatedDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiryDate: &exp}
	assert.Greater(t, tok.ExpiryDays(), 100_000)
}

func TestParsePermissionIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]accesstokens.Permission{
		"PROJECT_READ":  accesstokens.ProjectRead,
		"project_write": accesstokens.ProjectWrite,
		"Project_Admin": accesstokens.ProjectAdmin,
		"repo_read":     accesstokens.RepoRead,
		" REPO_WRITE\n": accesstokens.RepoWrite,
		"rEpO_aDmIn":    accesstokens.RepoAdmin,
	} {
		got, err := accesstokens.ParsePermission(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
}

func TestParsePermissionRejectsUnknownNamesNamingTheField(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "read", "REPO-READ", "REPO_READ,PROJECT_READ", "SYS_ADMIN", "PROJECT_VIEW"} {
		p, err := accesstokens.ParsePermission(in)
		require.ErrorIs(t, err, accesstokens.ErrInvalidArgument, "%q", in)
		var argErr *accesstokens.InvalidArgumentError
		require.ErrorAs(t, err, &argErr)
		assert.Equal(t, "permission", argErr.Field)
		assert.Empty(t, p)
	}
}

// The exported names of token lifecycle, as published: this stops compiling if one of
// them is renamed or changes shape (fields by composite literals, methods by
// method values).
var (
	_ func(string) (accesstokens.Permission, error)                 = accesstokens.ParsePermission
	_ func(accesstokens.AccessToken, time.Time) bool                = accesstokens.AccessToken.Expired
	_ func(accesstokens.AccessToken) int                            = accesstokens.AccessToken.ExpiryDays
	_ func(accesstokens.AccessToken, time.Duration, time.Time) bool = accesstokens.AccessToken.ExpiresWithin
)
