package accesstokenstest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// serve answers one request through the handler, without a network.
func serve(f *accesstokenstest.Fake, method, target, user, password, body string) *httptest.ResponseRecorder {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	if rd != nil {
		req = httptest.NewRequest(method, target, rd)
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, req)
	return rec
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestCreateDeleteCyclesKeepMemoryFlat runs 25k create+delete cycles of a personal token through
// the handler, after enough cycles to fill the request history and the ring of retired secrets:
// the fake forgets the secrets of deleted tokens beyond the last RetiredSecrets, and keeps
// DefaultRequestHistory requests, so the live heap ends where it began. The history is trimmed
// every DefaultRequestHistory requests, and 25k cycles (50k requests) end at the same point of
// that saw-tooth as the start, so the two measures compare like with like: they differ by a few
// KB (under -race too), and the 256 KiB allowed catches any leak of 11 bytes a cycle or more
// (the 250k cycles and 4 MiB of before caught 17 bytes, in nine times the time).
//
// Without the race detector it runs the 250k cycles of issue 11 (about 7 s; .ci/run does so), a
// multiple of the saw-tooth too; under it, 25k (about 5 s instead of 45 s).
func TestCreateDeleteCyclesKeepMemoryFlat(t *testing.T) {
	cycles := 25 * accesstokenstest.DefaultRequestHistory // 250k
	if raceDetector {
		cycles = 5 * accesstokenstest.DefaultRequestHistory / 2 // 25k
	}
	const allowed = 256 << 10
	f := accesstokenstest.NewFake()
	deadline := time.Now().Add(4 * time.Minute) // a hang guard, not a speed goal
	path := accesstokenstest.APIPath + "/users/alice"
	cycle := func() {
		rec := serve(f, http.MethodPut, path, "alice", "alice", repoReadBody)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var tok struct{ ID string }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &tok))
		rec = serve(f, http.MethodDelete, path+"/"+tok.ID, "alice", "alice", "")
		require.Equal(t, http.StatusNoContent, rec.Code)
	}
	// Fill the request history and the ring of retired secrets first: that much is meant to stay.
	for range accesstokenstest.DefaultRequestHistory {
		cycle()
	}
	start := heapInUse()
	for i := range cycles {
		cycle()
		if i%5_000 == 0 {
			require.True(t, time.Now().Before(deadline), "only %d cycles before the deadline", i)
		}
	}
	end := heapInUse()
	grew := int64(end) - int64(start)
	t.Logf("heap after %d cycles: %.1f MB, %+d bytes since the start", cycles, float64(end)/1e6, grew)
	assert.Less(t, grew, int64(allowed), "the heap grew by %d bytes", grew)
	assert.Empty(t, f.Tokens())
	assert.Len(t, f.MintedSecrets(), accesstokenstest.RetiredSecrets, "only the most recently deleted secrets are remembered")
	assert.Len(t, f.Requests(), accesstokenstest.DefaultRequestHistory)
}

// TestHugeQueryOfSecretPrefixesIsCheapWithManyTokensMinted: a request whose query is about 1 MB
// of "BBDC-" repeats, with 250k tokens minted (secrets remembered), answers 414 within 100 ms
// through the real server (the best of three tries; not parallel). Before 0.2 it stalled the
// fake for 133 s; it now takes 6-12 ms, and 55-70 ms under -race on the 2-core machine, where
// the bound is 2 s: a hang guard that still catches that regression (.ci/run also runs this
// test without the race detector).
func TestHugeQueryOfSecretPrefixesIsCheapWithManyTokensMinted(t *testing.T) {
	srv := newServer(t)
	for range 250_000 {
		srv.IssueToken(accesstokenstest.UserScope("bob"), "ci", 0, "REPO_READ")
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
	limit := 100 * time.Millisecond // issue 11's bound; 6-12 ms measured without the race detector
	if raceDetector {
		limit = 2 * time.Second // a hang guard: 55-70 ms measured, on a machine others share
	}
	assert.Less(t, best, limit)

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
		_, s := srv.IssueToken(accesstokenstest.UserScope("bob"), "ci", 0, "REPO_READ")
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

// TestMalformedRequestsGetTheEnvelope: requests that Go's server refuses before any handler
// runs, and those the fake refuses itself, all answer with Bitbucket's JSON error envelope.
func TestMalformedRequestsGetTheEnvelope(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, requestLine string
		header            string
		want              int
	}{
		{"bad escape in the path", "GET /rest/access-tokens/latest/users/alice%zz HTTP/1.1", "", http.StatusBadRequest},
		{"bad escape in the query", "GET /rest/access-tokens/latest/users/alice?limit=%zz HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"URL over 16 KiB", "GET /rest/access-tokens/latest/users/alice?q=" + strings.Repeat("x", 20_000) + " HTTP/1.1", "", http.StatusRequestURITooLong},
		{"URL over 1 MiB", "GET /rest/access-tokens/latest/users/alice?q=" + strings.Repeat("x", 1<<20+10_000) + " HTTP/1.1", "", http.StatusRequestHeaderFieldsTooLarge},
		{"dot-dot segment", "GET /rest/access-tokens/latest/users/alice/.. HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"escaped dot segment", "GET /rest/access-tokens/latest/users/alice/%2e HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"malformed request line", "GET /rest/access-tokens/latest/users/alice HTTP/1.1 extra", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
			_, err = fmt.Fprintf(conn, "%s\r\nHost: %s\r\n%sConnection: close\r\n\r\n", tt.requestLine, addr, tt.header)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			var env struct {
				Errors []struct {
					Message string `json:"message"`
				} `json:"errors"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			require.Len(t, env.Errors, 1)
			assert.NotEmpty(t, env.Errors[0].Message)
		})
	}
}

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

func TestAuthenticationIsCheckedBeforeTheMethod(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	tests := []struct {
		name string
		c    cred
		want int
	}{
		{"no credentials", nil, http.StatusUnauthorized},
		{"wrong password", basic("alice", "nope"), http.StatusUnauthorized},
		{"authenticated", asAlice, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		res := call(t, srv, http.MethodDelete, "/users/alice", tt.c, "")
		assert.Equal(t, tt.want, res.status, tt.name)
		assert.NotEmpty(t, res.firstError(t)["message"], tt.name)
	}
}

func TestDotSegmentsAreRejectedNotReadAsATokenID(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	for _, p := range []string{"/users/alice/..", "/users/alice/.", "/users/alice/%2E%2E", "/projects/PRJ/repos/%2e%2E", "/users/../users/alice"} {
		// Handler-level too, as Go's client would clean the path before sending it.
		rec := serve(srv.Fake, http.MethodGet, accesstokenstest.APIPath+p, "alice", "alice", "")
		assert.Equal(t, http.StatusBadRequest, rec.Code, p)
		assert.Contains(t, rec.Body.String(), `"errors"`, p)
		assert.NotContains(t, rec.Body.String(), "No access token", p)
	}
}

func TestNamesAreCappedAt255Characters(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ok := strings.Repeat("é", accesstokenstest.MaxNameLength) // characters, not bytes
	id, _ := create(t, srv, "/users/alice", asAlice, `{"name":"`+ok+`","permissions":["REPO_READ"]}`)

	long := ok + "x"
	res := call(t, srv, http.MethodPut, "/users/alice", asAlice, `{"name":"`+long+`","permissions":["REPO_READ"]}`)
	require.Equal(t, http.StatusBadRequest, res.status)
	assert.Equal(t, "name", res.firstError(t)["context"])

	res = call(t, srv, http.MethodPost, "/users/alice/"+id, asAlice, `{"name":"`+long+`"}`)
	require.Equal(t, http.StatusBadRequest, res.status)
	assert.Equal(t, "name", res.firstError(t)["context"])
	assert.Equal(t, ok, srv.Tokens()[0].Name)
}
