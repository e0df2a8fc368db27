package accesstokens_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// contextPath is the context path every test server sits under, so tests prove
// that requests keep it.
const contextPath = "/bitbucket"

// apiRoot is where the SDK's requests must land on the test server.
const apiRoot = contextPath + "/rest/access-tokens/latest"

// testServer is an httptest server that answers only the routes a test
// registered, matched on method and the raw (escaped) path below its API
// root. A request to anything else fails the test: it escaped the base path
// or hit a path the test did not expect.
type testServer struct {
	t      *testing.T
	URL    string // base URL including the context path, as a client is given
	root   string // the routes are below it: apiRoot or coreRoot
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	seen   []string // "GET /projects?limit=1000", in order
}

// newTestServer starts a server for the token API and returns it with a
// client that talks to it with Bearer "test-token" and no retries (tests
// that retry set their own).
func newTestServer(t *testing.T, opts ...accesstokens.Option) (*testServer, *accesstokens.Client) {
	t.Helper()
	return newServerBelow(t, apiRoot, opts...)
}

// newServerBelow is newTestServer for the routes below root.
func newServerBelow(t *testing.T, root string, opts ...accesstokens.Option) (*testServer, *accesstokens.Client) {
	t.Helper()
	ts := &testServer{t: t, root: root, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL + contextPath
	all := append([]accesstokens.Option{accesstokens.WithToken("test-token"), accesstokens.WithRetry(accesstokens.RetryPolicy{})}, opts...)
	c, err := accesstokens.NewClient(ts.URL, all...)
	require.NoError(t, err)
	return ts, c
}

func (ts *testServer) serve(w http.ResponseWriter, r *http.Request) {
	rel, ok := strings.CutPrefix(r.URL.EscapedPath(), ts.root)
	key := r.Method + " " + rel
	ts.mu.Lock()
	h := ts.routes[key]
	ts.hits[key]++
	ts.seen = append(ts.seen, key+"?"+r.URL.RawQuery)
	ts.mu.Unlock()
	if !ok || h == nil {
		ts.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		http.Error(w, "unexpected request", http.StatusTeapot)
		return
	}
	h(w, r)
}

// on registers h for method and the raw path below the root ("" for the root).
func (ts *testServer) on(method, rawPath string, h http.HandlerFunc) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.routes[method+" "+rawPath] = h
}

// requests are the requests that reached the server, in order, with their queries.
func (ts *testServer) requests() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.seen...)
}

// count is how many requests reached method and rawPath.
func (ts *testServer) count(method, rawPath string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.hits[method+" "+rawPath]
}

// fixture returns the bytes of testdata/name.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// writeJSON answers with status and body as Bitbucket does.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// respond returns a handler that answers with a fixture.
func respond(t testing.TB, status int, fixtureName string) http.HandlerFunc {
	body := fixture(t, fixtureName)
	return func(w http.ResponseWriter, r *http.Request) { writeJSON(w, status, body) }
}

// assertJSONBody checks that the request body is exactly the JSON want
// (compared as values, so key order and spacing do not matter).
func assertJSONBody(t testing.TB, r *http.Request, want string) {
	t.Helper()
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.JSONEq(t, want, string(got))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
}

// assertNoBody checks that the request carries no body.
func assertNoBody(t testing.TB, r *http.Request) {
	t.Helper()
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// ms is a time from epoch milliseconds, in UTC.
func ms(v int64) time.Time { return time.UnixMilli(v).UTC() }

// ctx returns a context that ends with the test, bounded so nothing hangs.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
