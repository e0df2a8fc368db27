// The package's test fixtures: servers, credentials and requests over HTTP or through the handler.

package accesstokenstest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// cred sets a request's credentials; nil sends none.
type cred func(*http.Request)

func basic(user, password string) cred {
	return func(r *http.Request) { r.SetBasicAuth(user, password) }
}

func bearer(token string) cred {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

var (
	asAdmin = basic(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword)
	asAlice = basic(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	asBob   = basic(accesstokenstest.DemoBob, accesstokenstest.DemoBobPassword)
)

// result is a raw HTTP answer.
type result struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object, keeping numbers exact.
func (r result) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), "body: %s", r.body)
	return m
}

// firstError returns the only entry of an {"errors":[...]} body.
func (r result) firstError(t testing.TB) map[string]any {
	t.Helper()
	errs, ok := r.object(t)["errors"].([]any)
	require.True(t, ok, "no errors array in %s", r.body)
	require.Len(t, errs, 1)
	return errs[0].(map[string]any)
}

// pinned pins the fake clock at 2026-01-01, for tests that compare dates with the fake's Now.
var pinned = accesstokenstest.WithClock(accesstokenstest.DefaultStartTime())

func newServer(t testing.TB, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	t.Helper()
	srv := accesstokenstest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request to path under the latest API root.
func call(t testing.TB, srv *accesstokenstest.Server, method, path string, c cred, body string) result {
	t.Helper()
	return callAt(t, srv.Client(), srv.URL+accesstokenstest.APIPath+path, method, c, body)
}

// callAt sends a request to an absolute URL; a non-empty body goes as JSON.
func callAt(t testing.TB, hc *http.Client, url, method string, c cred, body string) result {
	t.Helper()
	res, err := send(hc, url, method, c, body)
	require.NoError(t, err)
	return res
}

func send(hc *http.Client, url, method string, c cred, body string) (result, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return result{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c != nil {
		c(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// create makes a token over HTTP and returns its id and secret.
func create(t testing.TB, srv *accesstokenstest.Server, path string, c cred, body string) (id, secret string) {
	t.Helper()
	res := call(t, srv, http.MethodPut, path, c, body)
	require.Equal(t, http.StatusOK, res.status, "body: %s", res.body)
	obj := res.object(t)
	return obj["id"].(string), obj["token"].(string)
}

// ids lists the ids in a page body, in order.
func ids(t testing.TB, page map[string]any) []string {
	t.Helper()
	var out []string
	for _, v := range page["values"].([]any) {
		out = append(out, v.(map[string]any)["id"].(string))
	}
	return out
}

// newestFirstIDs lists the ids the fake stores in scope in the order Bitbucket lists them.
func newestFirstIDs(srv *accesstokenstest.Server, scope string) []string {
	var out []string
	for _, tok := range srv.Tokens() { // oldest first
		if tok.Scope == scope {
			out = append(out, tok.ID)
		}
	}
	slices.Reverse(out)
	return out
}

func num(t testing.TB, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	require.True(t, ok, "%v (%T) is not a JSON number", v, v)
	i, err := n.Int64()
	require.NoError(t, err)
	return i
}

const readBody = `{"name":"ci","permissions":["PROJECT_READ","REPO_READ"]}`
const repoReadBody = `{"name":"ci","permissions":["REPO_READ"]}`

// jsonOf encodes a decoded JSON value back to text, for JSONEq.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// waitFor polls cond, yielding between tries, until it holds; it fails the test if that takes
// more than 10 s (a hang guard: the conditions it waits for come within milliseconds).
func waitFor(t testing.TB, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), msg)
		runtime.Gosched()
	}
}

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

// core calls the core REST API under /rest/api/latest.
func core(t testing.TB, srv *accesstokenstest.Server, path string, c cred) result {
	t.Helper()
	return callAt(t, srv.Client(), srv.URL+accesstokenstest.CoreAPIPath+path, http.MethodGet, c, "")
}

// values returns a page's values, checking the envelope.
func values(t testing.TB, res result) []map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	page := res.object(t)
	for _, k := range []string{"size", "limit", "isLastPage", "start", "values"} {
		require.Contains(t, page, k)
	}
	var out []map[string]any
	for _, v := range page["values"].([]any) {
		out = append(out, v.(map[string]any))
	}
	assert.Equal(t, int64(len(out)), num(t, page["size"]))
	return out
}

func field(vals []map[string]any, key string) []string {
	var out []string
	for _, v := range vals {
		out = append(out, v[key].(string))
	}
	return out
}

// dirServer is the demo world plus a personal repository of bob's, an archived repository and a
// deactivated user.
func dirServer(t testing.TB, opts ...accesstokenstest.Option) *accesstokenstest.Server {
	srv := newServer(t, opts...)
	srv.AddProject("OPS", "Operations")
	srv.AddRepo("OPS", "infra")
	srv.AddRepo("PRJ", "old")
	srv.SetRepoArchived("PRJ", "old", true)
	srv.AddPersonalRepo("bob", "scratch")
	srv.AddUser("carol", "carol-pw-1", false)
	srv.SetUserActive("carol", false)
	return srv
}

// ctl calls the control API, with no credentials, as a test in another language would.
func ctl(t testing.TB, srv *accesstokenstest.Server, method, path, body string) result {
	t.Helper()
	var sendsJSON cred
	if method == http.MethodPost || method == http.MethodDelete {
		sendsJSON = contentType("application/json")
	}
	return callAt(t, srv.Client(), srv.URL+accesstokenstest.ControlPath+path, method, sendsJSON, body)
}

// contentType sets a request's Content-Type (send sets application/json when there is a body).
func contentType(ct string) cred {
	return func(r *http.Request) { r.Header.Set("Content-Type", ct) }
}

// noKeepAlive is a client whose failed requests are not silently resent on a fresh connection.
func noKeepAlive() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}
