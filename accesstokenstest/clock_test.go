// Tests of clock.go: the real or pinned clock, moved only forward.

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
	_, secret := srv.MintToken(accesstokenstest.UserScopeString("alice"), "ci", 1, "REPO_READ")
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

// TestTheClockGoesFarForwardButNeverBack: SetNow reaches any time up to the last the wire can
// show, and no Advance, however large or repeated, takes the clock back or past that time.
func TestTheClockGoesFarForwardButNeverBack(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pinned", "real"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			opts := []accesstokenstest.Option{accesstokenstest.WithControlAPI()}
			if name == "pinned" {
				opts = append(opts, pinned)
			}
			srv := newServer(t, opts...)
			latest := time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC) // RFC 3339's last millisecond

			far := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC) // more than a time.Duration away
			require.NoError(t, srv.SetNow(far))
			within(t, srv.Now(), far, far.Add(time.Minute))

			const longest = time.Duration(1<<63 - 1) // about 292 years
			srv.Advance(longest)
			before := srv.Now()
			within(t, before, far.Add(longest), far.Add(longest).Add(time.Minute))
			assert.Panics(t, func() {
				for range 40 { // 40 x 292 years would pass 9999
					srv.Advance(longest)
				}
			})
			assert.False(t, srv.Now().Before(before), "%s went back from %s", srv.Now(), before)
			assert.False(t, srv.Now().After(latest), "%s is past the latest time", srv.Now())
			require.Error(t, srv.SetNow(latest.Add(time.Millisecond)))

			// Over HTTP: a refused move is a 400, and the clock still reads.
			for range 40 {
				res := ctl(t, srv, http.MethodPost, "/clock", `{"advance":"2562047h"}`)
				if res.status != http.StatusOK {
					assert.Equal(t, http.StatusBadRequest, res.status, "%s", res.body)
					break
				}
			}
			res := ctl(t, srv, http.MethodGet, "/clock", "")
			require.Equal(t, http.StatusOK, res.status)
			assert.False(t, srv.Now().Before(before))
		})
	}
}
