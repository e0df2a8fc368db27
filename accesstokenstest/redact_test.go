// Tests of redact.go: no credential in a recorded request, at any cost an attacker picks.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestHugeQueryOfSecretPrefixesIsCheapWithManyTokensMinted: a request whose query is about 1 MB
// of "BBDC-" repeats, with 250k tokens minted (secrets remembered), is answered 414 and recorded
// shortened. Before 0.2 it stalled the fake for 133 s; the 2 s bound is a hang guard that catches
// that, while BenchmarkHugeQueryOfSecretPrefixes measures the cost (6-12 ms).
func TestHugeQueryOfSecretPrefixesIsCheapWithManyTokensMinted(t *testing.T) {
	srv := newServer(t)
	for range 250_000 {
		srv.MintToken(accesstokenstest.UserScopeString("bob"), "ci", 0, "REPO_READ")
	}
	query := "q=" + strings.Repeat("BBDC-", 200_000) // 1,000,002 bytes
	hc := &http.Client{Timeout: 30 * time.Second}
	target := srv.URL + accesstokenstest.APIPath + "/users/alice?" + query

	best := time.Hour
	for range 3 {
		began := time.Now()
		res, err := send(hc, target, http.MethodGet, nil, "")
		took := time.Since(began)
		require.NoError(t, err)
		t.Logf("1 MB query with 250k tokens minted: %d in %s", res.status, took)
		assert.Equal(t, http.StatusRequestURITooLong, res.status)
		assert.NotEmpty(t, res.firstError(t)["message"])
		best = min(best, took)
	}
	assert.Less(t, best, 2*time.Second, "a hang guard; the benchmark measures")

	reqs := srv.Requests()
	require.Len(t, reqs, 3)
	assert.Less(t, len(reqs[0].Query), 300, "an over-long query is recorded shortened")
	assert.True(t, strings.HasSuffix(reqs[0].Query, accesstokenstest.Truncated))
}

// TestRedactionLooksSecretsUp: with 250k secrets minted, a query just under the length cap that
// holds two real secrets among thousands of prefixes is redacted exactly, quickly.
func TestRedactionLooksSecretsUp(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var secrets []string
	for range 250_000 {
		_, s := srv.MintToken(accesstokenstest.UserScopeString("bob"), "ci", 0, "REPO_READ")
		secrets = append(secrets, s)
	}
	first, last := secrets[0], secrets[len(secrets)-1]
	padding := strings.Repeat("BBDC-", (accesstokenstest.MaxRequestTarget-400)/5)
	query := "a=" + first + "&pad=" + padding + "&b=" + strings.ReplaceAll(last, "+", "%2B")
	began := time.Now()
	res := call(t, srv, http.MethodGet, "/users/alice?"+query, asAlice, "")
	took := time.Since(began)
	require.Equal(t, http.StatusOK, res.status)
	t.Logf("%d-byte query with 250k secrets: answered in %s", len(query), took)
	assert.Less(t, took, time.Second, "a hang guard; the benchmark measures")

	rec := srv.Requests()[0].Query
	assert.True(t, strings.HasPrefix(rec, "a="+accesstokenstest.Redacted+"&pad=BBDC-BBDC-"), rec[:40])
	assert.True(t, strings.HasSuffix(rec, "&b="+accesstokenstest.Redacted), rec[len(rec)-40:])
	assert.NotContains(t, rec, first)
}

// TestRecordedPathAndQueryHideSecretsAndPasswords sends credentials where they do not belong, in
// the path and the query, plainly and percent-encoded: the records and the request log show
// [REDACTED] in their place and keep the rest of the path and query.
func TestRecordedPathAndQueryHideSecretsAndPasswords(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logged []accesstokenstest.Request
	srv := newServer(t, accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, r)
	}))
	const password = "pa ss+w/rd%Long"
	srv.AddUser("carol", password, false)
	_, secret := create(t, srv, "/users/carol", basic("carol", password), readBody)
	srv.ResetRequests()
	mu.Lock()
	logged = nil
	mu.Unlock()

	tests := []struct {
		path, query         string // as sent: already escaped
		wantPath, wantQuery string // as recorded, below the API root
	}{
		{"/users/carol", "access_token=" + url.QueryEscape(secret) + "&limit=5",
			"/users/carol", "access_token=[REDACTED]&limit=5"},
		{"/users/carol", "access_token=" + secret,
			"/users/carol", "access_token=[REDACTED]"},
		{"/users/carol", "x=" + escapeEvery(secret, "%02X"),
			"/users/carol", "x=[REDACTED]"},
		{"/users/carol/" + escapeEvery(secret, "%02x"), "",
			"/users/carol/[REDACTED]", ""},
		{"/users/" + url.PathEscape(secret), "",
			"/users/[REDACTED]", ""},
		{"/users/carol/x" + url.PathEscape(secret) + "y", "start=0",
			"/users/carol/x[REDACTED]y", "start=0"},
		{"/users/carol", "password=" + url.QueryEscape(password),
			"/users/carol", "password=[REDACTED]"},
		{"/users/carol", "password=" + url.PathEscape(password),
			"/users/carol", "password=[REDACTED]"},
		{"/users/" + url.PathEscape(password), "",
			"/users/[REDACTED]", ""},
		// Demo passwords equal their users' names: the name stays readable.
		{"/users/alice", "limit=2", "/users/alice", "limit=2"},
	}
	for _, tt := range tests {
		target := srv.URL + accesstokenstest.APIPath + tt.path
		if tt.query != "" {
			target += "?" + tt.query
		}
		_, err := send(srv.Client(), target, http.MethodGet, nil, "")
		require.NoError(t, err)
	}

	reqs := srv.Requests()
	require.Len(t, reqs, len(tests))
	for i, tt := range tests {
		assert.Equal(t, accesstokenstest.APIPath+tt.wantPath, reqs[i].RawPath, "request %d", i)
		assert.Equal(t, tt.wantQuery, reqs[i].Query, "request %d", i)
	}
	mu.Lock()
	assert.Equal(t, reqs, logged, "the request log sees the redacted records")
	mu.Unlock()

	dump := fmt.Sprintf("%+v", reqs)
	for _, s := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret), password,
		url.QueryEscape(password), url.PathEscape(password), "Long"} {
		assert.NotContains(t, dump, s)
	}
	assert.Equal(t, "[REDACTED]", accesstokenstest.Redacted)
}

// escapeEvery percent-encodes every byte of s, with the given hex format ("%02X" or "%02x").
func escapeEvery(s, format string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString("%" + fmt.Sprintf(format, s[i]))
	}
	return b.String()
}
