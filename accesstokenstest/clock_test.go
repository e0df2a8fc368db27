package accesstokenstest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// within asserts that got lies in [from, to], to the millisecond the fake keeps.
func within(t *testing.T, got, from, to time.Time) {
	t.Helper()
	assert.False(t, got.Before(from.Truncate(time.Millisecond)), "%s is before %s", got, from)
	assert.False(t, got.After(to), "%s is after %s", got, to)
}

func TestTheDefaultClockIsTheRealTime(t *testing.T) {
	t.Parallel()
	before := time.Now()
	srv := newServer(t)
	within(t, srv.Now(), before, time.Now())

	// A fresh token is not expired by time.Now(): the 0.1 fake's pinned 2026-01-01 made it so.
	_, secret := srv.IssueToken(accesstokenstest.UserScope("alice"), "ci", 1, "REPO_READ")
	tok := srv.Tokens()[0]
	assert.True(t, tok.Expiry.After(time.Now()))
	require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "").status)

	// Advance shifts the real clock too, which keeps running from there.
	srv.Advance(25 * time.Hour)
	before = time.Now()
	now := srv.Now()
	within(t, now, before.Add(25*time.Hour), time.Now().Add(25*time.Hour))
	assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, "/users/alice", bearer(secret), "").status)

	// SetNow moves forward only.
	target := time.Now().Add(72 * time.Hour)
	require.NoError(t, srv.SetNow(target))
	within(t, srv.Now(), target, time.Now().Add(72*time.Hour))
	require.Error(t, srv.SetNow(time.Now()), "back in time")
}

func TestAPinnedClockMovesOnlyWhenTold(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	srv := newServer(t, accesstokenstest.WithClock(at))
	assert.Equal(t, at, srv.Now())
	create(t, srv, "/users/alice", asAlice, repoReadBody)
	assert.Equal(t, at, srv.Now(), "requests do not move it")
	assert.Equal(t, at, srv.Tokens()[0].Created)

	require.NoError(t, srv.SetNow(at.Add(time.Hour)))
	assert.Equal(t, at.Add(time.Hour), srv.Now())
	err := srv.SetNow(at)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot go back")
	assert.Equal(t, at.Add(time.Hour), srv.Now(), "a refused SetNow changes nothing")
}
