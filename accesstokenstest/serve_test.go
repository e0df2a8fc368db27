// Tests of serve.go: how answers are written.

package accesstokenstest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, path := range []string{accesstokenstest.APIPath + "/users/alice", accesstokenstest.CoreAPIPath + "/projects"} {
		get := callAt(t, srv.Client(), srv.URL+path, http.MethodGet, asAlice, "")
		head := callAt(t, srv.Client(), srv.URL+path, http.MethodHead, asAlice, "")
		assert.Equal(t, http.StatusOK, head.status, path)
		assert.Empty(t, head.body, path)
		assert.Equal(t, get.header.Get("Content-Type"), head.header.Get("Content-Type"), path)
		assert.Equal(t, get.header.Get("Content-Length"), head.header.Get("Content-Length"), path)
	}
	// HEAD is a GET for rights and errors too.
	head := callAt(t, srv.Client(), srv.URL+accesstokenstest.APIPath+"/projects/PRJ", http.MethodHead, asBob, "")
	assert.Equal(t, http.StatusUnauthorized, head.status)
	assert.Empty(t, head.body)
}

// TestEveryAnswerIsDatedByTheFakeClock: the Date header of every answer, from the API, a fault,
// the rate limit, a refusal, a route the fake does not serve, the control API or a request too
// long to read, is the fake clock's time, so a client that judges expiry by the server's Date
// sees the fake's time; it used to be the real time.
func TestEveryAnswerIsDatedByTheFakeClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t, pinned, accesstokenstest.WithControlAPI(),
		accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: 3, RefillPerSecond: 0.001}))
	srv.Advance(30*24*time.Hour + 90*time.Minute)
	want := srv.Now().Format(http.TimeFormat)
	require.Equal(t, "Sat, 31 Jan 2026 01:30:00 GMT", want)
	srv.InjectFault(accesstokenstest.Fault{Path: "/projects/PRJ", Status: http.StatusBadGateway})

	api := srv.URL + accesstokenstest.APIPath
	tests := []struct {
		name, method, url string
		as                cred
		status            int
	}{
		{"a list", http.MethodGet, api + "/users/alice", asAlice, 200},
		{"HEAD", http.MethodHead, api + "/users/alice", asAlice, 200},
		{"no credentials", http.MethodGet, api + "/users/alice", nil, 401},
		{"a route the fake does not serve", http.MethodGet, srv.URL + "/nope", asAlice, 404},
		{"a fault", http.MethodGet, api + "/projects/PRJ", asAlice, 502},
		{"application-properties", http.MethodGet, srv.URL + accesstokenstest.CoreAPIPath + "/application-properties", nil, 200},
		{"the control API", http.MethodGet, srv.URL + accesstokenstest.ControlPath + "/clock", nil, 200},
		{"too long to read", http.MethodGet, api + "/users/alice?q=" + strings.Repeat("x", accesstokenstest.MaxRequestTarget), nil, 414},
		{"bob's first", http.MethodGet, api + "/users/bob", asBob, 200},
		{"bob's second", http.MethodGet, api + "/users/bob", asBob, 200},
		{"bob's third", http.MethodGet, api + "/users/bob", asBob, 200},
		{"rate limited", http.MethodGet, api + "/users/bob", asBob, 429},
	}
	for _, tt := range tests {
		res := callAt(t, srv.Client(), tt.url, tt.method, tt.as, "")
		require.Equal(t, tt.status, res.status, "%s: %s", tt.name, res.body)
		assert.Equal(t, want, res.header.Get("Date"), tt.name)
	}
}

// TestAnswersFollowTheRealClockAdvanced: an unpinned fake dates its answers by the real time plus
// what Advance added.
func TestAnswersFollowTheRealClockAdvanced(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Advance(30 * 24 * time.Hour)
	before := time.Now().Add(30*24*time.Hour - time.Second)
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	after := time.Now().Add(30*24*time.Hour + time.Second)
	date, err := http.ParseTime(res.header.Get("Date"))
	require.NoError(t, err)
	assert.False(t, date.Before(before) || date.After(after), "Date %s, want between %s and %s", date, before, after)
}
