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

// TestClusterNodesEachKeepABucketPerUser: behind two nodes a user gets two bursts before a 429,
// as on a Bitbucket cluster; other users keep their own.
func TestClusterNodesEachKeepABucketPerUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithClusterNodes(2),
		accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: 3, RefillPerSecond: 0.001}))
	for i := range 6 {
		require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status, "request %d", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/bob", asBob, "").status)
	assert.Panics(t, func() { accesstokenstest.WithClusterNodes(0) })
}

// TestRateLimitHeadersComeOnlyWhenAskedFor: X-RateLimit-* describe the user's bucket on every
// limited answer, a 429 included, with WithRateLimitHeaders; never without it, nor on a request
// that is not limited.
func TestRateLimitHeadersComeOnlyWhenAskedFor(t *testing.T) {
	t.Parallel()
	limit := accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: 3, RefillPerSecond: 0.5})
	names := []string{"X-Ratelimit-Limit", "X-Ratelimit-Remaining", "X-Ratelimit-Interval-Seconds", "X-Ratelimit-Fillrate"}

	quiet := newServer(t, limit)
	for range 4 {
		res := call(t, quiet, http.MethodGet, "/users/alice", asAlice, "")
		for _, h := range names {
			assert.NotContains(t, res.header, h, "off by default")
		}
	}
	unlimited := newServer(t, accesstokenstest.WithRateLimitHeaders())
	res := call(t, unlimited, http.MethodGet, "/users/alice", asAlice, "")
	assert.NotContains(t, res.header, "X-Ratelimit-Limit", "nothing is limited")

	srv := newServer(t, limit, accesstokenstest.WithRateLimitHeaders())
	for i, wantStatus := range []int{200, 200, 200, 429} {
		res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
		require.Equal(t, wantStatus, res.status, "request %d", i)
		assert.Equal(t, "3", res.header.Get("X-RateLimit-Limit"), "request %d", i)
		assert.Equal(t, strconv.Itoa(max(0, 2-i)), res.header.Get("X-RateLimit-Remaining"), "request %d", i)
		assert.Equal(t, "1", res.header.Get("X-RateLimit-Interval-Seconds"), "request %d", i)
		assert.Equal(t, "0.5", res.header.Get("X-RateLimit-FillRate"), "request %d", i)
	}
	anonymous := core(t, srv, "/application-properties", nil)
	assert.NotContains(t, anonymous.header, "X-Ratelimit-Limit", "anonymous requests are not limited")
}

// TestAdminTurnsRateLimitingOnAndExemptsAUser: the settings endpoints of a system administrator
// turn limiting on, set the default bucket, and give a user an exemption or a bucket of their
// own, which is how an admin lets an audit's account run at full speed.
func TestAdminTurnsRateLimitingOnAndExemptsAUser(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const settings = "/admin/rate-limit/settings"
	admin := func(method, path, body string) result {
		return callAt(t, srv.Client(), srv.URL+accesstokenstest.CoreAPIPath+path, method, asAdmin, body)
	}
	res := admin(http.MethodGet, settings, "")
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.JSONEq(t, `{"enabled":false,"defaultSettings":{"capacity":60,"fillRate":5}}`, string(res.body), "off, Bitbucket's defaults ready")

	// The admin exempts themselves first, then turns a tight limit on.
	res = admin(http.MethodPut, settings+"/users/admin", `{"whitelisted":true}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, true, res.object(t)["whitelisted"])
	assert.Equal(t, "admin", res.object(t)["user"].(map[string]any)["name"])
	res = admin(http.MethodPut, settings, `{"enabled":true,"defaultSettings":{"capacity":2,"fillRate":0.001}}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.JSONEq(t, `{"enabled":true,"defaultSettings":{"capacity":2,"fillRate":0.001}}`, string(res.body))

	for range 2 {
		require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	}
	require.Equal(t, http.StatusTooManyRequests, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	for range 5 {
		require.Equal(t, http.StatusOK, admin(http.MethodGet, settings, "").status, "the admin is exempt")
	}

	// An exemption lifts alice's limit; deleting it puts it back.
	require.Equal(t, http.StatusOK, admin(http.MethodPut, settings+"/users/alice", `{"whitelisted":true}`).status)
	for range 5 {
		assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	}
	assert.Equal(t, http.StatusNoContent, admin(http.MethodDelete, settings+"/users/alice", "").status)
	res = admin(http.MethodGet, settings+"/users/alice", "")
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Equal(t, accesstokenstest.ExceptionNoSuchEntity, res.firstError(t)["exceptionName"])
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)

	// A bucket of bob's own; a bot, by its slug, can be exempted too.
	res = admin(http.MethodPut, settings+"/users/bob", `{"settings":{"capacity":4,"fillRate":0.001}}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.JSONEq(t, `{"capacity":4,"fillRate":0.001}`, jsonOf(t, res.object(t)["settings"]))
	for i := range 4 {
		require.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/bob", asBob, "").status, "bob's request %d", i)
	}
	assert.Equal(t, http.StatusTooManyRequests, call(t, srv, http.MethodGet, "/users/bob", asBob, "").status)
	assert.Equal(t, http.StatusOK, admin(http.MethodPut, settings+"/users/access-token-user_1_1", `{"whitelisted":true}`).status)

	// Reset turns it all back.
	srv.Reset()
	assert.JSONEq(t, `{"enabled":false,"defaultSettings":{"capacity":60,"fillRate":5}}`, string(admin(http.MethodGet, settings, "").body))
	assert.Equal(t, http.StatusNotFound, admin(http.MethodGet, settings+"/users/admin", "").status)
}

// TestRateLimitSettingsAreForSystemAdminsWithAPassword: others, and tokens, are refused; bad
// bodies name their field.
func TestRateLimitSettingsAreForSystemAdminsWithAPassword(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	_, adminToken := srv.MintToken(accesstokenstest.UserScopeString("admin"), "t", 0, "REPO_ADMIN")
	const settings = "/admin/rate-limit/settings"
	for _, who := range []cred{asAlice, bearer(adminToken), basic("admin", adminToken)} {
		for _, path := range []string{settings, settings + "/users/alice"} {
			res := core(t, srv, path, who)
			assert.Equal(t, http.StatusUnauthorized, res.status, path)
			assert.Equal(t, accesstokenstest.ExceptionAuthorisation, res.firstError(t)["exceptionName"], path)
		}
	}
	put := func(path, body string) result {
		return callAt(t, srv.Client(), srv.URL+accesstokenstest.CoreAPIPath+settings+path, http.MethodPut, asAdmin, body)
	}
	for _, tt := range []struct{ path, body, field string }{
		{"", `{"enabled":"yes"}`, "enabled"},
		{"", `{"defaultSettings":{"capacity":0,"fillRate":5}}`, "defaultSettings"},
		{"", `{"defaultSettings":{"capacity":60,"fillRate":0}}`, "defaultSettings"},
		{"", `{"defaultSettings":{"capacity":60}}`, "defaultSettings"},
		{"/users/alice", `{}`, "settings"},
		{"/users/alice", `{"whitelisted":false}`, "settings"},
		{"/users/alice", `{"whitelisted":1}`, "whitelisted"},
		{"/users/alice", `{"settings":{"capacity":-1,"fillRate":1}}`, "settings"},
	} {
		res := put(tt.path, tt.body)
		require.Equal(t, http.StatusBadRequest, res.status, "%s %s: %s", tt.path, tt.body, res.body)
		assert.Equal(t, tt.field, res.firstError(t)["context"], tt.body)
	}
	res := put("/users/nobody", `{"whitelisted":true}`)
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Equal(t, accesstokenstest.ExceptionNoSuchUser, res.firstError(t)["exceptionName"])
	res = callAt(t, srv.Client(), srv.URL+accesstokenstest.CoreAPIPath+settings, http.MethodPut,
		func(r *http.Request) { asAdmin(r); r.Header.Set("Content-Type", "text/plain") }, `{"enabled":true}`)
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)
	res = callAt(t, srv.Client(), srv.URL+accesstokenstest.CoreAPIPath+settings, http.MethodPost, asAdmin, `{}`)
	assert.Equal(t, http.StatusMethodNotAllowed, res.status)
	assert.JSONEq(t, `{"enabled":false,"defaultSettings":{"capacity":60,"fillRate":5}}`, string(core(t, srv, settings, asAdmin).body))
}
