package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestRecordedRequestsNeverHoldCredentials(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logged []accesstokenstest.Request
	srv := newServer(t, accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, r)
	}))
	srv.AddUser("carol", "s3cret-Passw0rd", false)
	carol := basic("carol", "s3cret-Passw0rd")
	id, secret := create(t, srv, "/users/carol", carol, readBody)
	call(t, srv, http.MethodGet, "/users/carol?limit=5", bearer(secret), "")
	call(t, srv, http.MethodGet, "/users/carol/"+id, basic("carol", secret), "")
	call(t, srv, http.MethodGet, "/users/carol", basic("carol", "wrong-Passw0rd"), "")
	call(t, srv, http.MethodGet, "/users/carol", nil, "")

	reqs := srv.Requests()
	require.Len(t, reqs, 5)
	assert.Equal(t, []accesstokenstest.CredentialKind{
		accesstokenstest.CredentialBasicPassword, accesstokenstest.CredentialBearer,
		accesstokenstest.CredentialBasicToken, accesstokenstest.CredentialInvalid, accesstokenstest.CredentialNone,
	}, []accesstokenstest.CredentialKind{reqs[0].Credential, reqs[1].Credential, reqs[2].Credential, reqs[3].Credential, reqs[4].Credential})
	assert.Equal(t, accesstokenstest.Request{
		Method: "GET", RawPath: accesstokenstest.APIPath + "/users/carol", Query: "limit=5",
		Credential: accesstokenstest.CredentialBearer, User: "carol", Status: 200,
	}, reqs[1])

	mu.Lock()
	assert.Equal(t, reqs, logged, "the request log sees the same records")
	mu.Unlock()

	secrets := append(srv.MintedSecrets(), "s3cret-Passw0rd", "wrong-Passw0rd")
	require.Contains(t, secrets, secret)
	dump := fmt.Sprintf("%+v %#v", reqs, reqs)
	for _, s := range secrets {
		assert.NotContains(t, dump, s)
	}

	srv.ResetRequests()
	assert.Empty(t, srv.Requests())
}

func TestConcurrentCreatesAreAllKept(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	const n = 40
	srv.InjectFault(accesstokenstest.Fault{Method: "PUT", Times: 10, Status: 503})
	statuses := make(chan int, n)
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/users/alice", "/projects/PRJ", "/projects/PRJ/repos/repo"}[i%3]
			res, err := send(srv.Client(), srv.URL+accesstokenstest.APIPath+path, "PUT", asAlice, repoReadBody)
			if err != nil {
				statuses <- 0
				return
			}
			statuses <- res.status
			if res.status == 200 {
				ids <- res.object(t)["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(statuses)
	close(ids)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	assert.Equal(t, map[int]int{200: n - 10, 503: 10}, count, "each fault use went to exactly one request")
	seen := map[string]bool{}
	for id := range ids {
		assert.False(t, seen[id])
		seen[id] = true
	}
	assert.Len(t, srv.Tokens(), n-10)
	assert.Len(t, srv.MintedSecrets(), n-10)
	assert.Zero(t, srv.PendingFaults())
}

func TestFakeIsAPlainHandler(t *testing.T) {
	t.Parallel()
	f := accesstokenstest.NewFake()
	mux := http.NewServeMux()
	mux.Handle("/rest/", f)
	req := httptest.NewRequest(http.MethodPut, "http://git.example.com"+accesstokenstest.APIPath10+"/users/alice", strings.NewReader(readBody))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("alice", "alice")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"href":"http://git.example.com/users/alice"`)
	assert.Len(t, f.Tokens(), 1)
}

func TestEmptyWorldAndWorldBuilding(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithEmptyWorld())
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusUnauthorized, res.status, "no demo users")

	srv.AddUser("dora", "pw", false)
	srv.AddProject("OPS", "Operations")
	srv.AddRepo("OPS", "infra")
	res = call(t, srv, http.MethodPut, "/projects/OPS/repos/infra", basic("dora", "pw"), repoReadBody)
	assert.Equal(t, http.StatusUnauthorized, res.status)

	srv.GrantRepoAdmin("OPS", "infra", "dora")
	res = call(t, srv, http.MethodPut, "/projects/OPS/repos/infra", basic("dora", "pw"), repoReadBody)
	require.Equal(t, http.StatusOK, res.status)
	owner := res.object(t)["user"].(map[string]any)
	assert.Equal(t, "Access Token User - infra", owner["displayName"])

	srv.AddUser("dora", "pw2", true) // update: now a system admin with a new password
	res = call(t, srv, http.MethodGet, "/admin", basic("dora", "pw2"), "")
	assert.Equal(t, http.StatusOK, res.status)
	assert.Panics(t, func() { srv.AddRepo("NOPE", "x") })
	assert.Panics(t, func() { srv.GrantProjectAdmin("OPS", "nobody") })
	assert.Panics(t, func() { srv.SeedTokens("repo:OPS/nope", 1) })
}

func TestClockAndIntrospection(t *testing.T) {
	t.Parallel()
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), accesstokenstest.DefaultStartTime())

	start := time.Date(2030, 5, 6, 7, 8, 9, 123456789, time.UTC)
	srv := newServer(t, accesstokenstest.WithClock(start))
	assert.Equal(t, start.Truncate(time.Millisecond), srv.Now())
	srv.Advance(90 * time.Minute)
	assert.Equal(t, start.Truncate(time.Millisecond).Add(90*time.Minute), srv.Now())
	assert.Panics(t, func() { srv.Advance(-time.Second) })

	create(t, srv, "/projects/PRJ", asAlice, `{"name":"p","permissions":["PROJECT_READ","REPO_WRITE"],"expiryDays":10}`)
	srv.SeedTokens(accesstokenstest.RepoScope("PRJ", "repo"), 2)
	toks := srv.Tokens()
	require.Len(t, toks, 3)
	assert.Equal(t, "project:PRJ", toks[0].Scope)
	assert.Equal(t, "access-token-user/1/1", toks[0].Owner)
	assert.Equal(t, []string{"PROJECT_READ", "REPO_WRITE"}, toks[0].Permissions)
	assert.Equal(t, srv.Now(), toks[0].Created)
	require.NotNil(t, toks[0].Expiry)
	assert.Equal(t, srv.Now().AddDate(0, 0, 10), *toks[0].Expiry)
	assert.Equal(t, "repo:PRJ/repo", toks[1].Scope)
	assert.Equal(t, "seed-0", toks[1].Name)
	assert.Len(t, srv.MintedSecrets(), 1, "seeded tokens have no secret")

	// Snapshots are copies.
	toks[0].Permissions[0] = "CHANGED"
	assert.Equal(t, "PROJECT_READ", srv.Tokens()[0].Permissions[0])
}

func TestWithRequestHistoryKeepsOnlyTheMostRecentRequests(t *testing.T) {
	t.Parallel()
	f := accesstokenstest.NewFake(accesstokenstest.WithRequestHistory(3))
	for i := 0; i < 10; i++ {
		req := httptest.NewRequest(http.MethodGet, fmt.Sprintf("/rest/access-tokens/latest/users/nobody%d", i), nil)
		f.ServeHTTP(httptest.NewRecorder(), req)
	}
	reqs := f.Requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		assert.Equal(t, fmt.Sprintf("/rest/access-tokens/latest/users/nobody%d", 7+i), r.RawPath)
	}
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
