// Tests of ratelimit.go: per-user limits over HTTP.

package accesstokenstest_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestRateLimitIsPerUserAndSparesAnonymousRequests(t *testing.T) {
	t.Parallel()
	// A refill so slow that no token comes back during the test.
	srv := newServer(t, accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: 3, RefillPerSecond: 0.01}))
	for i := range 3 {
		require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status, "request %d", i)
	}
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	require.Equal(t, http.StatusTooManyRequests, res.status)
	retry, err := strconv.Atoi(res.header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After is whole seconds: %q", res.header.Get("Retry-After"))
	assert.InDelta(t, 100, retry, 1, "one token back at 0.01/s")
	assert.Equal(t, "application/json;charset=UTF-8", res.header.Get("Content-Type"))
	assert.Contains(t, res.firstError(t)["message"], "rate limited")

	// Every route counts, the core API too; other users have their own buckets.
	assert.Equal(t, http.StatusTooManyRequests, core(t, srv, "/projects", asAlice).status)
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/bob", asBob, "").status)
	// Requests without credentials, or whose credentials fail, are not limited.
	for range 5 {
		assert.Equal(t, http.StatusOK, core(t, srv, "/application-properties", nil).status)
		assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, "/users/alice", nil, "").status)
		assert.Equal(t, http.StatusUnauthorized, call(t, srv, http.MethodGet, "/users/alice", basic("alice", "nope"), "").status)
	}
	// Reset fills the buckets again.
	srv.Reset()
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
}

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	rl, err := accesstokenstest.ParseRateLimit("60:5")
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.DefaultRateLimit, rl)
	rl, err = accesstokenstest.ParseRateLimit("10:0.5")
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.RateLimit{Burst: 10, RefillPerSecond: 0.5}, rl)
	for _, bad := range []string{"", "60", "60:", ":5", "0:5", "60:0", "60:-1", "x:y", "60:NaN", "60:Inf"} {
		_, err := accesstokenstest.ParseRateLimit(bad)
		assert.Error(t, err, bad)
	}
	assert.Panics(t, func() { accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{}) })
}
