package audit

import (
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllFindingsInContractOrder(t *testing.T) {
	t.Parallel()
	want := []Finding{"expired", "expiring", "no-expiry", "never-used", "unused", "admin", "inactive-owner", "bad-date"}
	got := AllFindings()
	assert.Equal(t, want, got)
	got[0] = "changed"
	assert.Equal(t, Expired, AllFindings()[0], "the caller's slice is a copy")
}

func TestParseFindings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []Finding
	}{
		{"expired", []Finding{Expired}},
		{"expired,expiring", []Finding{Expired, Expiring}},
		{" unused , admin ", []Finding{Unused, Admin}},
		{"inactive-owner,no-expiry,never-used", []Finding{InactiveOwner, NoExpiry, NeverUsed}},
		{"expired,expired", []Finding{Expired}},
	} {
		got, err := ParseFindings(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseFindingsRejectsBadLists(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, mentions string }{
		{"", "empty"},
		{"  ", "empty"},
		{"expird", `"expird"`},
		{"expired,bogus", `"bogus"`},
		{"Expired", `"Expired"`}, // names are exact, as scripts write them
		{"expired,,unused", "empty name"},
		{"expired,", "empty name"},
	} {
		_, err := ParseFindings(tc.in)
		require.Error(t, err, tc.in)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, tc.in)
		assert.Contains(t, err.Error(), tc.mentions, tc.in)
	}
}

func TestParseAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"30d", 30 * 24 * time.Hour},
		{"90d", 90 * 24 * time.Hour},
		{"12h", 12 * time.Hour},
		{"1h", time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"10000d", 10000 * 24 * time.Hour},
	} {
		got, err := ParseAge(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseAgeRejectsBadValues(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"30x", "", "-1d", "0d", "0h", "d", "30", "3.5d", "30 d", " 30d", "+3d", "1e3d", "10001d", "99999999999999999999d", "1430w", "30D"} {
		_, err := ParseAge(in)
		require.Error(t, err, "%q", in)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, in)
		assert.Contains(t, err.Error(), `"`+in+`"`, "the error names the value")
	}
}
