// Tests of control.go: the control API over HTTP.

package accesstokenstest_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestControlAPIIsOffUnlessAskedFor(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	res := ctl(t, srv, http.MethodPost, "/reset", "")
	assert.Equal(t, http.StatusNotFound, res.status)
	assert.Len(t, srv.Requests(), 1, "an ordinary unknown path, recorded")
}

func TestControlClock(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI(), accesstokenstest.WithContextPath("/bitbucket"), pinned)
	res := ctl(t, srv, http.MethodGet, "/clock", "")
	require.Equal(t, http.StatusOK, res.status)
	assert.JSONEq(t, `{"now":"2026-01-01T00:00:00Z","pinned":true}`, string(res.body))

	res = ctl(t, srv, http.MethodPost, "/clock", `{"advance":"36h"}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.JSONEq(t, `{"now":"2026-01-02T12:00:00Z","pinned":true}`, string(res.body))

	res = ctl(t, srv, http.MethodPost, "/clock", `{"set":"2027-03-04T05:06:07Z"}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.Equal(t, time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC), srv.Now())

	for _, bad := range []string{`{"set":"2026-01-01T00:00:00Z"}`, `{"advance":"-1h"}`, `{"advance":"soon"}`,
		`{}`, `{"advance":"1h","set":"2030-01-01T00:00:00Z"}`, `{"advanc":"1h"}`, `not json`} {
		res := ctl(t, srv, http.MethodPost, "/clock", bad)
		assert.Equal(t, http.StatusBadRequest, res.status, bad)
		assert.NotEmpty(t, res.firstError(t)["message"], bad)
	}
	assert.Equal(t, time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC), srv.Now(), "refused changes change nothing")
	assert.Empty(t, srv.Requests(), "control requests are not recorded")
}

func TestControlFaultsRequestsTokensAndReset(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI())

	res := ctl(t, srv, http.MethodPost, "/faults", `{"method":"GET","path":"/users/*","times":2,"status":503,"retryAfter":"7"}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	assert.JSONEq(t, `{"pending":2}`, string(res.body))
	got := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusServiceUnavailable, got.status)
	assert.Equal(t, "7", got.header.Get("Retry-After"))
	assert.JSONEq(t, `{"pending":1}`, string(ctl(t, srv, http.MethodGet, "/faults", "").body))
	assert.Equal(t, http.StatusNoContent, ctl(t, srv, http.MethodDelete, "/faults", "").status)
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)

	res = ctl(t, srv, http.MethodPost, "/faults", `{"path":"/users/alice","delay":"20ms"}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	began := time.Now()
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAlice, "").status)
	assert.GreaterOrEqual(t, time.Since(began), 20*time.Millisecond)
	for _, bad := range []string{`{"delay":"soon"}`, `{"status":42}`, `{"stauts":503}`} {
		assert.Equal(t, http.StatusBadRequest, ctl(t, srv, http.MethodPost, "/faults", bad).status, bad)
	}

	var reqs []accesstokenstest.Request
	res = ctl(t, srv, http.MethodGet, "/requests", "")
	require.NoError(t, json.Unmarshal(res.body, &reqs))
	assert.Equal(t, srv.Requests(), reqs)
	require.Len(t, reqs, 3)
	assert.Equal(t, accesstokenstest.Request{Method: "GET", RawPath: accesstokenstest.APIPath + "/users/alice",
		Credential: accesstokenstest.CredentialBasicPassword, User: "alice", Status: 503, Faulted: true}, reqs[0])
	assert.Equal(t, http.StatusNoContent, ctl(t, srv, http.MethodDelete, "/requests", "").status)
	assert.Empty(t, srv.Requests())

	res = ctl(t, srv, http.MethodPost, "/tokens", `{"scope":"project:PRJ","name":"ci","expiryDays":10,"permissions":["PROJECT_READ"]}`)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var issued struct{ ID, Token string }
	require.NoError(t, json.Unmarshal(res.body, &issued))
	assert.Equal(t, []string{"PRJ"}, field(values(t, core(t, srv, "/projects", bearer(issued.Token))), "key"), "the issued token works")
	var toks []accesstokenstest.TokenInfo
	require.NoError(t, json.Unmarshal(ctl(t, srv, http.MethodGet, "/tokens", "").body, &toks))
	require.Len(t, toks, 1)
	assert.Equal(t, issued.ID, toks[0].ID)
	assert.NotContains(t, string(ctl(t, srv, http.MethodGet, "/tokens", "").body), issued.Token, "never a secret")
	assert.Equal(t, http.StatusBadRequest, ctl(t, srv, http.MethodPost, "/tokens", `{"scope":"project:NOPE","name":"x"}`).status)

	assert.Equal(t, http.StatusNoContent, ctl(t, srv, http.MethodPost, "/reset", "").status)
	assert.Empty(t, srv.Tokens())
	assert.Equal(t, http.StatusUnauthorized, core(t, srv, "/projects", bearer(issued.Token)).status, "reset forgot it")

	assert.Equal(t, http.StatusMethodNotAllowed, ctl(t, srv, http.MethodGet, "/reset", "").status)
	assert.Equal(t, http.StatusNotFound, ctl(t, srv, http.MethodGet, "/nothing", "").status)
}

// TestControlAPIRefusesMethodsItDoesNotServe: only the methods listed for a resource act; any
// other, however it is spelt, is 405 with Allow and changes nothing.
func TestControlAPIRefusesMethodsItDoesNotServe(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI(), pinned)
	srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "keep", 0, "PROJECT_READ")
	tests := []struct{ method, path, allow string }{
		{"T", "/clock", "GET, POST"}, // a substring of "GET, POST"
		{"OS", "/reset", "POST"},
		{"E", "/faults", "GET, POST, DELETE"},
		{"ET", "/requests", "GET, DELETE"},
		{"PUT", "/tokens", "GET, POST"},
		{"post", "/reset", "POST"}, // methods are case-sensitive
		{"OPTIONS", "/clock", "GET, POST"},
	}
	for _, tt := range tests {
		res := ctl(t, srv, tt.method, tt.path, "")
		assert.Equal(t, http.StatusMethodNotAllowed, res.status, "%s %s: %s", tt.method, tt.path, res.body)
		assert.Equal(t, tt.allow, res.header.Get("Allow"), "%s %s", tt.method, tt.path)
	}
	assert.Len(t, srv.Tokens(), 1, "nothing was reset")
}

// TestControlAnswersAnEnvelopeWhenJSONCannotShowADate: a clock pinned in year 1 makes a world
// whose tokens were created before year 0, which JSON's RFC 3339 cannot write: the control API
// answers 500 in the error envelope instead of dropping the connection.
func TestControlAnswersAnEnvelopeWhenJSONCannotShowADate(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI(), accesstokenstest.WithWorld(accesstokenstest.DemoWorld()),
		accesstokenstest.WithClock(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)))
	res, err := send(srv.Client(), srv.URL+accesstokenstest.ControlPath+"/tokens", http.MethodGet, nil, "")
	require.NoError(t, err, "an answer, not a dropped connection")
	assert.Equal(t, http.StatusInternalServerError, res.status)
	assert.Contains(t, res.firstError(t)["message"], "year outside of range")
	// The token API's epoch milliseconds can show those dates.
	assert.Equal(t, http.StatusOK, call(t, srv, http.MethodGet, "/users/alice", asAdmin, "").status)
}

// TestControlWritesMustSayTheySendJSON: a write without Content-Type: application/json, such as
// the text/plain or form POST a web page can send to any origin, is refused with 415 and
// changes nothing; the fake used to reset, inject faults and mint tokens for it.
func TestControlWritesMustSayTheySendJSON(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI())
	srv.MintToken(accesstokenstest.UserScopeString("alice"), "kept", 0, "REPO_READ")
	url := srv.URL + accesstokenstest.ControlPath
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		for _, w := range []struct{ method, path, body string }{
			{http.MethodPost, "/reset", ""},
			{http.MethodPost, "/faults", `{"status":503,"times":100}`},
			{http.MethodPost, "/tokens", `{"scope":"user:bob","name":"x","permissions":["REPO_READ"]}`},
			{http.MethodPost, "/clock", `{"advance":"720h"}`},
			{http.MethodDelete, "/requests", ""},
		} {
			req, err := http.NewRequest(w.method, url+w.path, strings.NewReader(w.body))
			require.NoError(t, err)
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			req.Header.Set("Origin", "https://attacker.example")
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "%s %s as %q", w.method, w.path, ct)
		}
	}
	assert.Zero(t, srv.PendingFaults())
	toks := srv.Tokens()
	require.Len(t, toks, 1)
	assert.Equal(t, "kept", toks[0].Name, "no reset, no new token")
	assert.Equal(t, http.StatusOK, ctl(t, srv, http.MethodGet, "/clock", "").status, "reads need no content type")
	assert.Equal(t, http.StatusNoContent, ctl(t, srv, http.MethodPost, "/reset", "").status, "a JSON write is served")
}

// TestControlBoundsWhatItKeeps: a body over MaxControlBody is 413 and a fault beyond
// MaxQueuedFaults is 409, so no client can grow the fake without end (300 faults of 1 MB each
// used to add 486 MB); clearing the queue makes room again.
func TestControlBoundsWhatItKeeps(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI())
	big := `{"status":500,"body":"` + strings.Repeat("x", accesstokenstest.MaxControlBody) + `"}`
	res := ctl(t, srv, http.MethodPost, "/faults", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status, "%s", res.body)
	assert.Contains(t, res.firstError(t)["message"], strconv.Itoa(accesstokenstest.MaxControlBody))

	for i := range accesstokenstest.MaxQueuedFaults {
		res := ctl(t, srv, http.MethodPost, "/faults", `{"path":"/nowhere","status":500}`)
		require.Equal(t, http.StatusOK, res.status, "fault %d: %s", i, res.body)
	}
	res = ctl(t, srv, http.MethodPost, "/faults", `{"path":"/nowhere","status":500}`)
	assert.Equal(t, http.StatusConflict, res.status, "%s", res.body)
	assert.Contains(t, res.firstError(t)["message"], "DELETE /_fake/faults")
	assert.Equal(t, accesstokenstest.MaxQueuedFaults, srv.PendingFaults())

	assert.Equal(t, http.StatusNoContent, ctl(t, srv, http.MethodDelete, "/faults", "").status)
	assert.Equal(t, http.StatusOK, ctl(t, srv, http.MethodPost, "/faults", `{"status":500}`).status)
}

// TestPendingFaultsNeverOverflows: Times near MaxInt64 adds up to at most MaxInt, not to a
// negative count (it used to give -2).
func TestPendingFaultsNeverOverflows(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI())
	for range 2 {
		res := ctl(t, srv, http.MethodPost, "/faults", fmt.Sprintf(`{"path":"/nowhere","status":500,"times":%d}`, math.MaxInt64))
		require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	}
	assert.JSONEq(t, fmt.Sprintf(`{"pending":%d}`, math.MaxInt64), string(ctl(t, srv, http.MethodGet, "/faults", "").body))
	assert.Equal(t, math.MaxInt, srv.PendingFaults())
}

// TestFaultsAnswerOnlyWithFinalStatuses: a fault's status is 200 to 599; a 1xx used to go out
// as an interim answer followed by the fake's own 200 with an error body.
func TestFaultsAnswerOnlyWithFinalStatuses(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithControlAPI())
	for _, bad := range []int{-1, 1, 100, 101, 103, 199, 600, 999} {
		res := ctl(t, srv, http.MethodPost, "/faults", fmt.Sprintf(`{"status":%d}`, bad))
		require.Equal(t, http.StatusBadRequest, res.status, "%d: %s", bad, res.body)
		assert.Equal(t, "status", res.firstError(t)["context"], bad)
		assert.Panics(t, func() { srv.InjectFault(accesstokenstest.Fault{Status: bad}) }, bad)
	}
	assert.Zero(t, srv.PendingFaults())
	for _, good := range []int{200, 204, 404, 599} {
		assert.Equal(t, http.StatusOK, ctl(t, srv, http.MethodPost, "/faults", fmt.Sprintf(`{"path":"/x","status":%d}`, good)).status, good)
	}
}
