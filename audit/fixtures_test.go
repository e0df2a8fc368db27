// Fixtures of the audit package's tests: stub services and directories,
// tokens and reports to write, and the fake Bitbucket through the real SDK.

package audit

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stubTokens is a TokensService whose scopes hold generated tokens, read
// through All only. It counts the calls it gets and how many run at once.
type stubTokens struct {
	accesstokens.TokensService // nil: any other method panics

	count func(scope accesstokens.Scope) int
	// fail, when it returns an error for a scope, ends that scope's
	// listing with it after failAfter(scope) tokens.
	fail      func(scope accesstokens.Scope) error
	failAfter func(scope accesstokens.Scope) int
	// enter, when set, runs as each listing starts; an error ends the listing with it.
	enter func(ctx context.Context, scope accesstokens.Scope) error

	calls       atomic.Int64
	inflight    atomic.Int64
	maxInflight atomic.Int64
	limits      sync.Map // ListOptions.Limit values seen
}

func (s *stubTokens) All(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		s.calls.Add(1)
		n := s.inflight.Add(1)
		defer s.inflight.Add(-1)
		for m := s.maxInflight.Load(); n > m && !s.maxInflight.CompareAndSwap(m, n); m = s.maxInflight.Load() {
		}
		if opts != nil {
			s.limits.Store(opts.Limit, true)
		}
		if s.enter != nil {
			if err := s.enter(ctx, scope); err != nil {
				yield(accesstokens.AccessToken{}, err)
				return
			}
		}
		var failErr error
		failAt := -1
		if s.fail != nil {
			if failErr = s.fail(scope); failErr != nil {
				failAt = s.failAfter(scope)
			}
		}
		total := 0
		if s.count != nil {
			total = s.count(scope)
		}
		for i := range total {
			if i == failAt {
				break
			}
			if ctx.Err() != nil { // as the SDK's pages do
				yield(accesstokens.AccessToken{}, ctx.Err())
				return
			}
			if !yield(stubToken(scope, i), nil) {
				return
			}
		}
		if failErr != nil {
			yield(accesstokens.AccessToken{}, failErr)
		}
	}
}

// stubNow is the clock of the stub's tokens.
var stubNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

var stubPerms = [][]accesstokens.Permission{
	{accesstokens.RepoRead},
	{accesstokens.ProjectRead, accesstokens.RepoWrite},
	{accesstokens.ProjectAdmin, accesstokens.RepoAdmin},
	{accesstokens.RepoAdmin},
}

var stubOwner = &accesstokens.User{ID: 7, Slug: "bot", Type: "SERVICE", Active: true}

// stubToken is the i-th token of a scope: its id says which (so order can
// be checked) and its dates cycle through every finding.
func stubToken(scope accesstokens.Scope, i int) accesstokens.AccessToken {
	t := accesstokens.AccessToken{
		ID:          strconv.Itoa(1_000_000 + i),
		Name:        "token-" + scope.ProjectKey + scope.UserSlug,
		CreatedDate: stubNow.Add(-time.Duration(i%400) * day),
		Permissions: stubPerms[i%len(stubPerms)],
		User:        stubOwner,
	}
	if i%5 != 0 {
		e := stubNow.Add(time.Duration(i%90-30) * day)
		t.ExpiryDate = &e
	}
	if i%7 != 0 {
		l := stubNow.Add(-time.Duration(i%200) * day)
		t.LastAuthenticated = &l
	}
	return t
}

var stubRules = Rules{Now: stubNow}

// scopes returns n project scopes P0 … Pn-1 as targets.
func scopes(n int) []Target {
	out := make([]Target, n)
	for i := range out {
		out[i] = Target{Scope: accesstokens.ProjectScope("P" + strconv.Itoa(i)), OwnerActive: true}
	}
	return out
}

// scopeIndex is i of a scope "project:Pi" (or "user:Pi").
func scopeIndex(s accesstokens.Scope) int {
	i, _ := strconv.Atoi((s.ProjectKey + s.UserSlug)[1:])
	return i
}

// hangGuard bounds a wait that should end quickly; a test that reaches it failed.
const hangGuard = 20 * time.Second

// waitFor waits for ch to close, failing the listing (not hanging the test) after hangGuard.
func waitFor(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-time.After(hangGuard):
		return errors.New("stub: waited too long: the run did not do what the test expected")
	}
}

// waitForCancel waits for ctx to end and returns its error; after hangGuard
// it gives up with an error the test notices (as a failed scope).
func waitForCancel(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(hangGuard):
		return errors.New("stub: the run did not cancel the listing")
	}
}

// collector is an emit func that keeps every token and checks that calls never overlap.
type collector struct {
	t       *testing.T
	tokens  []Token
	running atomic.Int32
}

func (c *collector) emit(tok Token) error {
	if c.running.Add(1) != 1 {
		c.t.Error("emit called concurrently")
	}
	c.tokens = append(c.tokens, tok) // the race detector also sees an overlap here
	c.running.Add(-1)
	return nil
}

// fixedTokens is a TokensService whose All lists the given tokens of each scope.
type fixedTokens struct {
	accesstokens.TokensService // nil: any other method panics
	tokens                     map[accesstokens.Scope][]accesstokens.AccessToken
}

func (f fixedTokens) All(_ context.Context, s accesstokens.Scope, _ *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		for _, t := range f.tokens[s] {
			if !yield(t, nil) {
				return
			}
		}
	}
}

// stubDirectory serves fixed lists, each optionally ending in an error.
type stubDirectory struct {
	users                          []accesstokens.DirectoryUser
	projects                       []accesstokens.Project
	repos                          []accesstokens.Repository
	usersErr, projectsErr, repoErr error
}

func seq[T any](items []T, err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, it := range items {
			if !yield(it, nil) {
				return
			}
		}
		if err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

func (d *stubDirectory) Users(context.Context) iter.Seq2[accesstokens.DirectoryUser, error] {
	return seq(d.users, d.usersErr)
}

func (d *stubDirectory) Projects(context.Context) iter.Seq2[accesstokens.Project, error] {
	return seq(d.projects, d.projectsErr)
}

func (d *stubDirectory) Repositories(context.Context) iter.Seq2[accesstokens.Repository, error] {
	return seq(d.repos, d.repoErr)
}

func (d *stubDirectory) ServerInfo(context.Context) (*accesstokens.ServerInfo, error) {
	return &accesstokens.ServerInfo{Version: "9.4.1"}, nil
}

func dirUser(slug, typ string, active bool) accesstokens.DirectoryUser {
	return accesstokens.DirectoryUser{User: accesstokens.User{Slug: slug, Name: slug, Type: typ, Active: active}}
}

var (
	now       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rules     = Rules{Now: now, Expiring: 30 * day, Unused: 90 * day}
	userSc    = accesstokens.UserScope("alice")
	projectSc = accesstokens.ProjectScope("PRJ")
	repoSc    = accesstokens.RepoScope("PRJ", "repo")
)

func at(d time.Duration) *time.Time { t := now.Add(d); return &t }

func intp(n int) *int { return &n }

// plain is a token that has nothing to report: expires in 100 days, used
// yesterday, reads only.
func plain() accesstokens.AccessToken {
	return accesstokens.AccessToken{
		ID: "000000000001", Name: "ci", CreatedDate: now.Add(-10 * day),
		ExpiryDate: at(100 * day), LastAuthenticated: at(-day),
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
		User:        &accesstokens.User{Slug: "alice", Active: true, Type: "NORMAL"},
	}
}

// reportTokens are two classified tokens: one with every date (and a
// non-UTC zone and milliseconds), one with none of the optional ones.
func reportTokens() []Token {
	paris := time.FixedZone("CET", 3600)
	full := accesstokens.AccessToken{
		ID: "075905477751", Name: `deploy "prod"`,
		CreatedDate:       time.Date(2026, 1, 2, 4, 5, 6, 0, paris),
		ExpiryDate:        at(-time.Hour),
		LastAuthenticated: ptr(time.Date(2025, 11, 1, 0, 0, 0, 123_000_000, time.UTC)),
		Permissions:       []accesstokens.Permission{accesstokens.ProjectAdmin, accesstokens.RepoWrite},
		User:              &accesstokens.User{Slug: "access-token-user/1/1", Type: "SERVICE"},
	}
	bare := accesstokens.AccessToken{
		ID: "000000000002", Name: "ci", CreatedDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	return []Token{Classify(projectSc, full, true, rules), Classify(userSc, bare, false, rules)}
}

func ptr[T any](v T) *T { return &v }

const fullTokenJSON = `{"scope":"project:PRJ","id":"075905477751","name":"deploy \"prod\"",` +
	`"createdDate":"2026-01-02T03:05:06Z","expiryDate":"2026-03-01T11:00:00Z",` +
	`"lastAuthenticated":"2025-11-01T00:00:00.123Z","permissions":["PROJECT_ADMIN","REPO_WRITE"],` +
	`"owner":"access-token-user/1/1","findings":["expired","unused","admin"],"daysLeft":-1}`

const bareTokenJSON = `{"scope":"user:alice","id":"000000000002","name":"ci",` +
	`"createdDate":"2026-01-01T00:00:00Z","expiryDate":null,"lastAuthenticated":null,` +
	`"permissions":[],"owner":null,"findings":["no-expiry","never-used","inactive-owner"],"daysLeft":null}`

func testSummary() Summary {
	s := newSummary()
	s.Tokens, s.ScopesRead = 2, 5
	s.Findings[Expired], s.Findings[Unused], s.Findings[Admin] = 1, 1, 1
	s.Findings[NoExpiry], s.Findings[NeverUsed], s.Findings[InactiveOwner] = 1, 1, 1
	s.Failed = []ScopeFailure{{Scope: accesstokens.RepoScope("PRJ", "gone"), Err: errors.New(`404 "gone"`)}}
	return *s
}

var testMeta = Meta{GeneratedAt: time.Date(2026, 3, 1, 13, 0, 0, 0, time.FixedZone("CET", 3600)), ServerURL: "https://git.example.com", ServerVersion: "9.4.1"}

func writeReport(t *testing.T, format string, toks []Token, sum Summary, meta Meta) string {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(format, &out, meta)
	require.NoError(t, err)
	for _, tok := range toks {
		require.NoError(t, w.Write(tok))
	}
	require.NoError(t, w.Close(sum))
	assert.ErrorIs(t, w.Write(toks[0]), errClosed, "a closed writer refuses more")
	assert.ErrorIs(t, w.Close(sum), errClosed)
	return out.String()
}

const summaryJSON = `{"expired":1,"expiring":0,"no-expiry":1,"never-used":1,"unused":1,"admin":1,"inactive-owner":1,"bad-date":0,"tokens":2}`

const scopesJSON = `{"read":5,"failed":[{"scope":"repo:PRJ/gone","error":"404 \"gone\""}]}`

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// fakeStart pins the fake's clock, so that days left are exact.
var fakeStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// useToken authenticates once with a token's secret, which the fake records
// as the token's last use (whatever the answer).
func useToken(t *testing.T, srv *accesstokenstest.Server, secret string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+accesstokenstest.APIPath+"/projects/"+accesstokenstest.DemoProject, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
}

// adminClient is the real SDK client on the fake, as the demo's admin.
func adminClient(t testing.TB, srv *accesstokenstest.Server) *accesstokens.Client {
	t.Helper()
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	require.NoError(t, err)
	return c
}

// wantFindings recomputes a stored token's findings from the fake's own
// record, independently of the audit package, by the contract's table.
func wantFindings(info accesstokenstest.TokenInfo, r Rules) []Finding {
	now := r.Now
	out := []Finding{}
	if info.Expiry != nil && !info.Expiry.After(now) {
		out = append(out, Expired)
	}
	if info.Expiry != nil && info.Expiry.After(now) && !info.Expiry.After(now.Add(r.Expiring)) {
		out = append(out, Expiring)
	}
	if info.Expiry == nil {
		out = append(out, NoExpiry)
	}
	if info.LastAuthenticated == nil {
		out = append(out, NeverUsed)
	} else if now.Sub(*info.LastAuthenticated) > r.Unused {
		out = append(out, Unused)
	}
	if slices.Contains(info.Permissions, "PROJECT_ADMIN") || slices.Contains(info.Permissions, "REPO_ADMIN") {
		out = append(out, Admin)
	}
	if !info.OwnerActive && strings.HasPrefix(info.Scope, "user:") {
		out = append(out, InactiveOwner)
	}
	return out
}

func timesEqual(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// compareWithFake checks that the audit saw every token the fake holds, and
// only those, each exactly: scope, id, name, dates, permissions, owner and
// findings (which the fake does not know: they are recomputed from its record).
func compareWithFake(t *testing.T, stored []accesstokenstest.TokenInfo, got []Token, r Rules) {
	t.Helper()
	require.Equal(t, len(stored), len(got), "the audit saw as many tokens as the fake holds")
	type key struct{ scope, id string }
	seen := make(map[key]Token, len(got))
	for _, tok := range got {
		k := key{tok.Scope.String(), tok.ID}
		_, dup := seen[k]
		require.False(t, dup, "token %v emitted twice", k)
		seen[k] = tok
	}
	for _, info := range stored {
		tok, ok := seen[key{info.Scope, info.ID}]
		require.True(t, ok, "token %s of %s missing from the audit", info.ID, info.Scope)
		ok = tok.Name == info.Name &&
			tok.CreatedDate.Equal(info.Created) &&
			timesEqual(tok.ExpiryDate, info.Expiry) &&
			timesEqual(tok.LastAuthenticated, info.LastAuthenticated) &&
			tok.User != nil && tok.User.Name == info.Owner && tok.Owner() == info.OwnerSlug &&
			slices.Equal(permissionNames(tok.Permissions), info.Permissions) &&
			slices.Equal(tok.Findings, wantFindings(info, r))
		if !ok {
			require.Failf(t, "token differs from the fake's", "token %s of %s:\naudit: %+v\nfake:  %+v\nwant findings %v",
				info.ID, info.Scope, tok, info, wantFindings(info, r))
		}
		if tok.ExpiryDate == nil {
			require.Nil(t, tok.DaysLeft)
		} else {
			require.NotNil(t, tok.DaysLeft)
			// Calendar days in UTC; an expired token at most -1.
			want := int(tok.ExpiryDate.UTC().Truncate(day).Sub(r.Now.UTC().Truncate(day)) / day)
			if !tok.ExpiryDate.After(r.Now) {
				want = min(want, -1)
			}
			require.Equal(t, want, *tok.DaysLeft, "daysLeft of token %s expiring %v", tok.ID, tok.ExpiryDate)
		}
	}
}

func permissionNames(ps []accesstokens.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// largeWorld is a server-sized world: 1,000 projects of 10 repositories, 2,000
// users, 3 tokens in every scope: 13,101 scopes (with 100 personal
// projects' repositories) and 39,303 tokens.
var largeWorld = accesstokenstest.World{Projects: 1000, ReposPerProject: 10, Users: 2000, TokensPerScope: 3, Seed: 12}

// raceWorld is a fifth of it, for runs under the race detector (the whole
// world takes some 15 s there, on two cores, alone): 2,621 scopes, 7,863 tokens.
var raceWorld = accesstokenstest.World{Projects: 200, ReposPerProject: 10, Users: 400, TokensPerScope: 3, Seed: 12}

// hostileNames are token names anyone who may create a token can choose,
// each meant to act on the terminal that shows it.
var hostileNames = map[string]string{
	"OSC 8 link":       "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\",
	"line rewrite":     "ci\x1b[2K\rrevoked: nothing",
	"bidi override":    "ci-\u202etxt.exe",
	"zero-width space": "ad\u200bmin",
	"line separator":   "one\u2028two",
}

// assertNothingActsOnATerminal checks every line of out for characters a
// terminal would act on (textsafe.Hidden), the line breaks aside.
func assertNothingActsOnATerminal(t *testing.T, out, what string) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		assert.False(t, strings.ContainsFunc(line, textsafe.Hidden), "%s: line %d holds a hidden character: %q", what, i+1, line)
	}
}

// badDatePage is a page of three tokens as a server could send it: the
// second one's expiry is past the year 9999 (epoch milliseconds 1e30).
const badDatePage = `{"size":3,"limit":1000,"start":0,"isLastPage":true,"values":[` +
	`{"id":"100000000001","name":"first","createdDate":1767225600000,"expiryDate":1780000000000,"lastAuthenticated":null,"permissions":["REPO_READ"]},` +
	`{"id":"100000000002","name":"far-future","createdDate":1767225600000,"expiryDate":1e30,"lastAuthenticated":null,"permissions":["REPO_READ"]},` +
	`{"id":"100000000003","name":"third","createdDate":1767225600000,"lastAuthenticated":null,"permissions":["REPO_ADMIN"]}]}`

// badDateClient is the real SDK client on a server whose project PRJ lists
// badDatePage and whose project OK lists one plain token.
func badDateClient(t *testing.T) *accesstokens.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/access-tokens/latest/projects/PRJ", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(badDatePage))
	})
	mux.HandleFunc("GET /rest/access-tokens/latest/projects/OK", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"size":1,"limit":1000,"start":0,"isLastPage":true,"values":[{"id":"200000000001","name":"ok","createdDate":1767225600000,"permissions":["REPO_READ"]}]}`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	require.NoError(t, err)
	return c
}
