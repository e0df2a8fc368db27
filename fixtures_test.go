package accesstokens_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// The package's test fixtures, in one place: testServer (one type for
// every hand-written server: routed below an API root, or one answer for
// any path, recording every request), newFake (the fake Bitbucket),
// newLoopbackServer (a raw server that misbehaves below HTTP), the retry
// tests' faults and operations, and small helpers for answers and errors.

// contextPath is the context path every test server sits under, so tests prove
// that requests keep it.
const contextPath = "/bitbucket"

// apiRoot is where the SDK's requests must land on the test server.
const apiRoot = contextPath + "/rest/access-tokens/latest"

// testServer is the package's HTTP test server. It records every request
// (recRequest), and answers either with the handler a test registered for
// the request's method and raw (escaped) path below the server's API root
// (on: newTestServer, newCoreServer), or with the one handler every request
// gets (newRecServer). A request nothing answers fails the test: it escaped
// the base path or hit a path the test did not expect.
type testServer struct {
	*httptest.Server
	t      *testing.T
	URL    string           // the base URL a client is given: with the context path, except for newRecServer
	root   string           // routes are below it: apiRoot or coreRoot
	answer http.HandlerFunc // answers every request (newRecServer); nil: the routes do
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	reqs   []recRequest
}

// recRequest is one request exactly as it arrived on the wire.
type recRequest struct {
	Method      string
	RequestURI  string // raw, as sent: escaped path and query
	EscapedPath string
	RawQuery    string
	Header      http.Header
	Body        []byte
}

// startTestServer starts a testServer whose routes are below root, or that
// answers every request with answer.
func startTestServer(t *testing.T, root string, answer http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{t: t, root: root, answer: answer, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(ts.Close)
	ts.URL = ts.Server.URL
	return ts
}

// newTestServer starts a server for the token API and returns it with a
// client that talks to it with Bearer "test-token" and no retries (tests
// that retry set their own).
func newTestServer(t *testing.T, opts ...accesstokens.Option) (*testServer, *accesstokens.Client) {
	t.Helper()
	return newServerBelow(t, apiRoot, opts...)
}

// newCoreServer is newTestServer for the core REST API (Directory).
func newCoreServer(t *testing.T, opts ...accesstokens.Option) (*testServer, *accesstokens.Client) {
	t.Helper()
	return newServerBelow(t, coreRoot, opts...)
}

// newServerBelow is newTestServer for the routes below root.
func newServerBelow(t *testing.T, root string, opts ...accesstokens.Option) (*testServer, *accesstokens.Client) {
	t.Helper()
	ts := startTestServer(t, root, nil)
	ts.URL += contextPath
	all := append([]accesstokens.Option{accesstokens.WithToken("test-token"), accesstokens.WithRetry(accesstokens.RetryPolicy{})}, opts...)
	c, err := accesstokens.NewClient(ts.URL, all...)
	require.NoError(t, err)
	return ts, c
}

// newRecServer starts a server that answers every request with answer,
// whatever its path: it can stand for any base URL and API version.
func newRecServer(t *testing.T, answer http.HandlerFunc) *testServer {
	t.Helper()
	if answer == nil {
		answer = func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "no answer configured", http.StatusTeapot) }
	}
	return startTestServer(t, "", answer)
}

func (ts *testServer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	rel, below := strings.CutPrefix(r.URL.EscapedPath(), ts.root)
	key := r.Method + " " + rel
	ts.mu.Lock()
	h := ts.routes[key]
	ts.hits[key]++
	ts.reqs = append(ts.reqs, recRequest{
		Method: r.Method, RequestURI: r.RequestURI, EscapedPath: r.URL.EscapedPath(),
		RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
	})
	ts.mu.Unlock()
	switch {
	case ts.answer != nil:
		ts.answer(w, r)
	case !below || h == nil:
		ts.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		http.Error(w, "unexpected request", http.StatusTeapot)
	default:
		h(w, r)
	}
}

// on registers h for method and the raw path below the root ("" for the root).
func (ts *testServer) on(method, rawPath string, h http.HandlerFunc) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.routes[method+" "+rawPath] = h
}

// requests returns a copy of what the server has seen so far.
func (ts *testServer) requests() []recRequest {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]recRequest(nil), ts.reqs...)
}

// lines are the requests that reached the server, in order, as "METHOD
// path?query" with the path below the root.
func (ts *testServer) lines() []string {
	var out []string
	for _, r := range ts.requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.EscapedPath, ts.root)+"?"+r.RawQuery)
	}
	return out
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

// quickRetry retries like the default policy but waits only milliseconds.
var quickRetry = accesstokens.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 20 * time.Millisecond}

// attemptFault is what the test server does to one attempt instead of answering it.
type attemptFault struct {
	status     int    // answer with this status and a Bitbucket error body
	retryAfter string // Retry-After sent with status
	drop       bool   // read the whole request, then close the connection without answering
	hang       bool   // never answer; wait until the client gives up
}

func (f attemptFault) String() string {
	switch {
	case f.drop:
		return "dropped connection"
	case f.hang:
		return "no answer"
	case f.retryAfter != "":
		return fmt.Sprintf("%d with Retry-After %s", f.status, f.retryAfter)
	}
	return strconv.Itoa(f.status)
}

func (f attemptFault) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case f.drop:
		hangUpAfterReading(w, r)
	case f.hang:
		// Only once the body is read does the server notice the client leaving.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	default:
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeJSON(w, f.status, faultErrorBody(f.status))
	}
}

// faultErrorBody is a Bitbucket error envelope naming the status.
func faultErrorBody(status int) []byte {
	return []byte(fmt.Sprintf(`{"errors":[{"context":null,"message":"injected %d","exceptionName":"test.Injected"}]}`, status))
}

// hangUpAfterReading reads the whole request, then closes the connection
// without a word: the server may have acted, the client cannot know.
func hangUpAfterReading(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	_ = conn.Close()
}

// failThenServe applies faults to the first attempts, in order, and ok to the rest.
func failThenServe(ok http.HandlerFunc, faults ...attemptFault) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		if i < len(faults) {
			faults[i].serve(w, r)
			return
		}
		ok(w, r)
	}
}

func repeatFault(f attemptFault, n int) []attemptFault {
	out := make([]attemptFault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func noContent(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }

// retryOp is one SDK method with the route it reaches and the answer that
// makes it succeed.
type retryOp struct {
	name   string
	method string
	path   string // below apiRoot
	ok     func(t *testing.T) http.HandlerFunc
	// call runs the method and, when it succeeds, checks the value it returned.
	call func(t *testing.T, ctx context.Context, c *accesstokens.Client) error
}

const retryTokenID = "075905477751"

func okFixture(name string) func(t *testing.T) http.HandlerFunc {
	return func(t *testing.T) http.HandlerFunc { return respond(t, http.StatusOK, name) }
}

func okNoContent(*testing.T) http.HandlerFunc { return noContent }

// idempotentOps are every kind of call that is safe to repeat.
var idempotentOps = []retryOp{
	{
		name: "UserTokens.Get", method: http.MethodGet, path: "/users/alice/" + retryTokenID, ok: okFixture("token.json"),
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			tok, err := c.UserTokens.Get(ctx, "alice", retryTokenID)
			if err == nil {
				assert.Equal(t, retryTokenID, tok.ID)
			}
			return err
		},
	},
	{
		name: "ProjectTokens.List", method: http.MethodGet, path: "/projects/PRJ", ok: okFixture("page_last.json"),
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			page, err := c.ProjectTokens.List(ctx, "PRJ", nil)
			if err == nil {
				require.Len(t, page.Values, 1)
				assert.Equal(t, "000000000001", page.Values[0].ID)
			}
			return err
		},
	},
	{
		name: "RepoTokens.Update", method: http.MethodPost, path: "/projects/PRJ/repos/repo/" + retryTokenID, ok: okFixture("token.json"),
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			name := "renamed"
			tok, err := c.RepoTokens.Update(ctx, "PRJ", "repo", retryTokenID, accesstokens.UpdateTokenRequest{Name: &name})
			if err == nil {
				assert.Equal(t, retryTokenID, tok.ID)
			}
			return err
		},
	},
	{
		name: "ProjectTokens.Delete", method: http.MethodDelete, path: "/projects/PRJ/" + retryTokenID, ok: okNoContent,
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", retryTokenID)
		},
	},
	{
		name: "Admin.GetExpiryPolicy", method: http.MethodGet, path: "/admin", ok: okFixture("policy.json"),
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			p, err := c.Admin.GetExpiryPolicy(ctx)
			if err == nil {
				assert.Equal(t, 90, p.MaxExpiryDays)
			}
			return err
		},
	},
	{
		name: "Admin.SetExpiryPolicy", method: http.MethodPut, path: "/admin", ok: okNoContent,
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
		},
	},
	{
		name: "Admin.DeleteExpiryPolicy", method: http.MethodDelete, path: "/admin", ok: okNoContent,
		call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.DeleteExpiryPolicy(ctx)
		},
	},
}

// createOp is the one call that must never be repeated blindly.
var createOp = retryOp{
	name: "ProjectTokens.Create", method: http.MethodPut, path: "/projects/PRJ", ok: okFixture("token_created.json"),
	call: func(t *testing.T, ctx context.Context, c *accesstokens.Client) error {
		tok, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
			Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		})
		if err == nil {
			assert.Equal(t, "786587856882", tok.ID)
			assert.NotEmpty(t, tok.Token.Reveal())
		}
		return err
	},
}

// answerFixture answers every request with status and a fixture (none when "").
func answerFixture(t testing.TB, status int, fixtureName string) http.HandlerFunc {
	var body []byte
	if fixtureName != "" {
		body = fixture(t, fixtureName)
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	}
}

// requireInvalidArgument checks that err is a validation failure naming field.
func requireInvalidArgument(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
	var ia *accesstokens.InvalidArgumentError
	require.ErrorAs(t, err, &ia)
	assert.Equal(t, field, ia.Field, "error: %v", err)
	assert.Contains(t, err.Error(), field)
}

// getOnce makes one Get through c and returns what the server saw.
func getOnce(t *testing.T, rs *testServer, c *accesstokens.Client) recRequest {
	t.Helper()
	before := len(rs.requests())
	_, err := c.UserTokens.Get(testContext(t), "alice", "075905477751")
	require.NoError(t, err)
	reqs := rs.requests()
	require.Len(t, reqs, before+1)
	return reqs[before]
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// requireAPIError requires err to be an *accesstokens.Error and returns it.
func requireAPIError(t *testing.T, err error) *accesstokens.Error {
	t.Helper()
	require.Error(t, err)
	var apiErr *accesstokens.Error
	require.True(t, errors.As(err, &apiErr), "want *accesstokens.Error, got %T: %v", err, err)
	return apiErr
}

// writeRawBody answers with status, a content type and body.
func writeRawBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// coreRoot is where Directory's requests must land on the test server.
const coreRoot = contextPath + "/rest/api/latest"

// collect drains an iterator, stopping at the first error.
func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// newFake starts the fake Bitbucket (accesstokenstest) for the test's life:
// the demo world of admin, alice, bob and project PRJ unless opts say
// otherwise. Tests that need the wire as a real server speaks it use it;
// tests that need exact answers use testServer.
func newFake(t *testing.T, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	t.Helper()
	srv := accesstokenstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// demoWorld is the fake with its larger documented world
// (accesstokenstest.DemoWorld), and a client acting as user (whose password
// is the user name).
func demoWorld(t *testing.T, user string, opts ...accesstokenstest.Option) (*accesstokenstest.Server, *accesstokens.Client) {
	t.Helper()
	srv := newFake(t, append([]accesstokenstest.Option{accesstokenstest.WithWorld(accesstokenstest.DemoWorld())}, opts...)...)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, user))
	require.NoError(t, err)
	return srv, c
}

// newLoopbackServer serves h on loopback for the test's life and returns its
// URL: for the few tests whose server must misbehave below HTTP's level.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// waitLog collects what WithWaitObserver reports, from any goroutine.
type waitLog struct {
	mu    sync.Mutex
	waits []accesstokens.Wait
}

func (l *waitLog) observe(w accesstokens.Wait) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.waits = append(l.waits, w)
}

func (l *waitLog) all() []accesstokens.Wait {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]accesstokens.Wait(nil), l.waits...)
}

// Fixtures of the tests against the fake (*_fake_test.go): clients, request
// records, and the three token scopes driven through their SDK services.

// fakeTokenID is what a Bitbucket token id looks like: 12 digits, leading zeros kept.
var fakeTokenID = regexp.MustCompile(`^[0-9]{12}$`)

// fakeClient returns a client for srv without retries, so every SDK call is
// exactly one request the fake records.
func fakeClient(t *testing.T, srv *accesstokenstest.Server, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	all := append([]accesstokens.Option{accesstokens.WithRetry(accesstokens.RetryPolicy{})}, opts...)
	c, err := accesstokens.NewClient(srv.URL, all...)
	require.NoError(t, err)
	return c
}

// fakeClientAs is a client that logs in with a user name and password (or personal token).
func fakeClientAs(t *testing.T, srv *accesstokenstest.Server, user, password string, opts ...accesstokens.Option) *accesstokens.Client {
	t.Helper()
	return fakeClient(t, srv, append([]accesstokens.Option{accesstokens.WithBasicAuth(user, password)}, opts...)...)
}

// startFake starts a fake that stops with the test.
func startFake(t *testing.T, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	t.Helper()
	srv := accesstokenstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// requireFakeError checks that err is a server answer matching sentinel with
// exception as the first message's exception name, and returns it.
func requireFakeError(t *testing.T, err error, sentinel error, exception string) *accesstokens.Error {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, sentinel)
	var apiErr *accesstokens.Error
	require.True(t, errors.As(err, &apiErr), "not an *accesstokens.Error: %T %v", err, err)
	require.NotEmpty(t, apiErr.Messages, "no Bitbucket error messages in %v", err)
	assert.Equal(t, exception, apiErr.Messages[0].ExceptionName)
	assert.NotEmpty(t, apiErr.Messages[0].Message)
	return apiErr
}

// collectIDs drains an All iterator into ids, stopping at the first error.
func collectIDs(t *testing.T, seq func(func(accesstokens.AccessToken, error) bool)) []string {
	t.Helper()
	var ids []string
	for tok, err := range seq {
		require.NoError(t, err)
		ids = append(ids, tok.ID)
	}
	return ids
}

// pageIDs lists the ids of a page's values.
func pageIDs(p *accesstokens.Page[accesstokens.AccessToken]) []string {
	ids := make([]string, len(p.Values))
	for i, v := range p.Values {
		ids[i] = v.ID
	}
	return ids
}

// storedIDs returns the ids the fake stores in scope, oldest first.
func storedIDs(srv *accesstokenstest.Server, scope string) []string {
	var ids []string
	for _, tok := range srv.Tokens() {
		if tok.Scope == scope {
			ids = append(ids, tok.ID)
		}
	}
	return ids
}

// newestFirst is ids (oldest first) in the order Bitbucket lists them.
func newestFirst(ids []string) []string {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

// requestLine is what the fake saw of one request: method and raw path.
func requestLine(r accesstokenstest.Request) string { return r.Method + " " + r.RawPath }

// requestLines is every recorded request as "METHOD rawpath".
func requestLines(srv *accesstokenstest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, requestLine(r))
	}
	return out
}

// tokenScope is one of the three token scopes, driven through its SDK service.
type tokenScope struct {
	name      string
	scope     string // the fake's scope string
	rel       string // path below the API root
	ownerType string // the owner's User.Type
	perms     []accesstokens.Permission
	newPerms  []accesstokens.Permission

	list   func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error)
	all    func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool)
	create func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	get    func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error)
	update func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error)
	delete func(ctx context.Context, c *accesstokens.Client, id string) error
}

// scopesFor builds the three scopes with the given user, project and repository.
func scopesFor(user, project, repo string) []tokenScope {
	return []tokenScope{
		{
			name: "user", scope: accesstokenstest.UserScopeString(user), rel: "/users/" + url.PathEscape(user), ownerType: "NORMAL",
			perms:    []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead},
			newPerms: []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoWrite},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.UserTokens.List(ctx, user, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.UserTokens.All(ctx, user, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.UserTokens.Create(ctx, user, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.UserTokens.Get(ctx, user, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.UserTokens.Update(ctx, user, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.UserTokens.Delete(ctx, user, id)
			},
		},
		{
			name: "project", scope: accesstokenstest.ProjectScopeString(project), rel: "/projects/" + url.PathEscape(project), ownerType: "SERVICE",
			perms:    []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
			newPerms: []accesstokens.Permission{accesstokens.ProjectAdmin, accesstokens.RepoAdmin},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.ProjectTokens.List(ctx, project, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.ProjectTokens.All(ctx, project, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.ProjectTokens.Create(ctx, project, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.ProjectTokens.Get(ctx, project, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.ProjectTokens.Update(ctx, project, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.ProjectTokens.Delete(ctx, project, id)
			},
		},
		{
			name: "repo", scope: accesstokenstest.RepoScopeString(project, repo),
			rel: "/projects/" + url.PathEscape(project) + "/repos/" + url.PathEscape(repo), ownerType: "SERVICE",
			perms:    []accesstokens.Permission{accesstokens.RepoRead},
			newPerms: []accesstokens.Permission{accesstokens.RepoAdmin},
			list: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) (*accesstokens.Page[accesstokens.AccessToken], error) {
				return c.RepoTokens.List(ctx, project, repo, o)
			},
			all: func(ctx context.Context, c *accesstokens.Client, o *accesstokens.ListOptions) func(func(accesstokens.AccessToken, error) bool) {
				return c.RepoTokens.All(ctx, project, repo, o)
			},
			create: func(ctx context.Context, c *accesstokens.Client, r accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.RepoTokens.Create(ctx, project, repo, r)
			},
			get: func(ctx context.Context, c *accesstokens.Client, id string) (*accesstokens.AccessToken, error) {
				return c.RepoTokens.Get(ctx, project, repo, id)
			},
			update: func(ctx context.Context, c *accesstokens.Client, id string, r accesstokens.UpdateTokenRequest) (*accesstokens.AccessToken, error) {
				return c.RepoTokens.Update(ctx, project, repo, id, r)
			},
			delete: func(ctx context.Context, c *accesstokens.Client, id string) error {
				return c.RepoTokens.Delete(ctx, project, repo, id)
			},
		},
	}
}

// demoScopes are alice's personal tokens and the demo project's and repository's tokens.
func demoScopes() []tokenScope {
	return scopesFor(accesstokenstest.DemoAlice, accesstokenstest.DemoProject, accesstokenstest.DemoRepo)
}

// fakeVariants are the ways a client can reach the same fake: both API versions,
// with and without a context path.
var fakeVariants = []struct {
	name        string
	version     string
	contextPath string
}{
	{"latest", "latest", ""},
	{"1.0", "1.0", ""},
	{"latest under context path", "latest", "/bitbucket"},
	{"1.0 under context path", "1.0", "/bitbucket"},
}
