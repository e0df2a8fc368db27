package accesstokenstest

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// The demo world every Fake starts with unless [WithEmptyWorld] is given.
const (
	DemoAdmin         = "admin"        // system administrator
	DemoAdminPassword = "admin"        // DemoAdmin's password
	DemoAlice         = "alice"        // project admin of DemoProject
	DemoAlicePassword = "alice"        // DemoAlice's password
	DemoBob           = "bob"          // no project or repository rights
	DemoBobPassword   = "bob"          // DemoBob's password
	DemoProject       = "PRJ"          // key of the demo project
	DemoProjectName   = "Demo project" // name of the demo project
	DemoRepo          = "repo"         // slug of the demo repository in DemoProject
)

// API roots, relative to the server's base URL. The fake answers identically under both.
const (
	APIPath   = "/rest/access-tokens/latest" // the root clients use by default
	APIPath10 = "/rest/access-tokens/1.0"    // the versioned root some clients use
)

// Paging defaults, as on a stock Bitbucket.
const (
	DefaultPageLimit    = 25   // limit applied when a list request gives none
	DefaultMaxPageLimit = 1000 // largest limit the server applies
	// SparseStride is the distance between the positions of consecutive tokens in a listing when
	// [WithSparsePositions] is on: the n-th newest token (counting from 0) sits at position
	// n*SparseStride, so nextPageStart is (index after the page)*SparseStride, and a client that
	// computes start+size instead of using nextPageStart sees tokens twice.
	SparseStride = 3
)

// Scope strings name where a token lives, in [TokenInfo.Scope] and [Fake.SeedTokens].

// UserScope returns the scope string of a user's personal tokens: "user:<slug>".
func UserScope(userSlug string) string { return "user:" + userSlug }

// ProjectScope returns the scope string of a project's tokens: "project:<key>".
func ProjectScope(projectKey string) string { return "project:" + projectKey }

// RepoScope returns the scope string of a repository's tokens: "repo:<key>/<slug>".
func RepoScope(projectKey, repoSlug string) string { return "repo:" + projectKey + "/" + repoSlug }

// DefaultStartTime is the fake clock's initial time unless [WithClock] is given:
// 2026-01-01T00:00:00Z. The fake clock moves only through [Fake.Advance].
func DefaultStartTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

type config struct {
	defaultLimit int
	maxLimit     int
	tokenLimit   int
	sparse       bool
	empty        bool
	start        time.Time
	contextPath  string
	requestLog   func(Request)
	keepLast     int // 0: keep every request
}

// Option configures a Fake (and so a Server).
type Option func(*config)

// WithDefaultPageLimit sets the limit applied when a list request gives none (default 25).
// It panics if n < 1.
func WithDefaultPageLimit(n int) Option {
	if n < 1 {
		panic("accesstokenstest: WithDefaultPageLimit needs n >= 1")
	}
	return func(c *config) { c.defaultLimit = n }
}

// WithMaxPageLimit sets the cap on a list request's limit (default 1000); the response's limit
// reports the applied value. It panics if n < 1.
func WithMaxPageLimit(n int) Option {
	if n < 1 {
		panic("accesstokenstest: WithMaxPageLimit needs n >= 1")
	}
	return func(c *config) { c.maxLimit = n }
}

// WithTokenLimit sets the most tokens one owner (a user's personal tokens, a project, a repository)
// may hold; creating one more answers 400 "... already has the maximum number of tokens".
// 0, the default, means unlimited. It panics if n < 0.
func WithTokenLimit(n int) Option {
	if n < 0 {
		panic("accesstokenstest: WithTokenLimit needs n >= 0")
	}
	return func(c *config) { c.tokenLimit = n }
}

// WithSparsePositions makes list positions non-contiguous, as Bitbucket allows: the n-th newest
// token sits at position n*[SparseStride]. A request's start is rounded up to the next position,
// the response echoes it, and nextPageStart is the position after the page. A client that pages
// with start+size instead of nextPageStart then receives tokens it has already seen.
func WithSparsePositions() Option { return func(c *config) { c.sparse = true } }

// WithEmptyWorld starts the Fake without the demo world: no users, projects or repositories
// until [Fake.AddUser], [Fake.AddProject] and [Fake.AddRepo] add them.
func WithEmptyWorld() Option { return func(c *config) { c.empty = true } }

// WithClock sets the fake clock's initial time (default [DefaultStartTime]). Dates are reported
// in milliseconds, so anything finer is dropped.
func WithClock(start time.Time) Option {
	return func(c *config) { c.start = start.UTC().Truncate(time.Millisecond) }
}

// WithContextPath serves the fake under a context path such as "/bitbucket", as many real
// installations are: the API is then at <URL>/rest/access-tokens/latest with [Server.URL] ending in
// the context path, and requests that drop the context path get 404.
func WithContextPath(p string) Option {
	p = strings.Trim(p, "/")
	return func(c *config) {
		if p == "" {
			c.contextPath = ""
		} else {
			c.contextPath = "/" + p
		}
	}
}

// WithRequestLog calls fn after each request has been answered, with the same record
// [Fake.Requests] keeps (never a credential). fn may be called from many goroutines at once.
func WithRequestLog(fn func(Request)) Option { return func(c *config) { c.requestLog = fn } }

// WithRequestHistory keeps only the n most recent requests for [Fake.Requests]
// (n < 1: keep every one, the default), so a long-running fake, such as
// cmd/accesstokens-fake, does not grow without bound.
func WithRequestHistory(n int) Option { return func(c *config) { c.keepLast = n } }

type scopeKind int

const (
	scopeUser scopeKind = iota
	scopeProject
	scopeRepo
)

type user struct {
	id          int
	name        string
	slug        string
	displayName string
	email       string // "" for bot users (JSON null)
	password    string
	sysAdmin    bool
	service     bool
}

type project struct {
	id     int
	key    string
	name   string
	admins map[string]bool // user names
	repos  map[string]*repo
	bot    *user
}

type repo struct {
	id      int
	slug    string
	project *project
	admins  map[string]bool // user names
	bot     *user
}

type token struct {
	id       string
	name     string
	secret   string // "" for seeded tokens, which cannot authenticate
	scope    string
	kind     scopeKind
	owner    *user
	perms    []string
	created  time.Time
	expiry   *time.Time
	lastAuth *time.Time
}

// Fake is the in-memory Bitbucket access-token API. It is an [http.Handler]: mount it anywhere,
// or use [NewServer] for a running server. Create it with [NewFake]; the zero value is not usable.
type Fake struct {
	cfg     config
	closing chan struct{}
	closed  sync.Once

	mu          sync.Mutex
	now         time.Time
	users       map[string]*user // by name; the slug equals the name
	projects    map[string]*project
	tokens      map[string]*token   // by id
	bySecret    map[string]*token   // minted secrets of live tokens
	scopes      map[string][]*token // per scope, oldest first (so ids ascending)
	minted      []string
	policy      int // maxExpiryDays, 0 = none
	nextUserID  int
	nextProject int
	nextRepo    int
	nextToken   int64
	rnd         *rand.Rand
	faults      []*Fault
	requests    []Request
}

// NewFake returns a Fake seeded with the demo world (see the package documentation), not listening
// anywhere. Serve it with [NewServer] or any [http.Server].
func NewFake(opts ...Option) *Fake {
	cfg := config{defaultLimit: DefaultPageLimit, maxLimit: DefaultMaxPageLimit, start: DefaultStartTime()}
	for _, o := range opts {
		o(&cfg)
	}
	rnd := rand.New(rand.NewPCG(0x5eed, 0xacce55))
	f := &Fake{
		cfg:      cfg,
		closing:  make(chan struct{}),
		now:      cfg.start,
		users:    map[string]*user{},
		projects: map[string]*project{},
		tokens:   map[string]*token{},
		bySecret: map[string]*token{},
		scopes:   map[string][]*token{},
		rnd:      rnd,
		// Ids start below 10^11 and grow by at most 1000 per token, so they keep a leading zero
		// for tens of millions of tokens, like the real "075905477751".
		nextToken: 1_000_000_000 + rnd.Int64N(9_000_000_000),
	}
	if !cfg.empty {
		f.AddUser(DemoAdmin, DemoAdminPassword, true)
		f.AddUser(DemoAlice, DemoAlicePassword, false)
		f.AddUser(DemoBob, DemoBobPassword, false)
		f.AddProject(DemoProject, DemoProjectName)
		f.AddRepo(DemoProject, DemoRepo)
		f.GrantProjectAdmin(DemoProject, DemoAlice)
	}
	return f
}

// AddUser adds a NORMAL user whose slug equals name, or updates the password and system-admin flag
// of an existing one. An empty password disables password authentication for the user.
func (f *Fake) AddUser(name, password string, sysAdmin bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.users[name]; ok {
		u.password, u.sysAdmin = password, sysAdmin
		return
	}
	f.nextUserID++
	f.users[name] = &user{
		id: f.nextUserID, name: name, slug: name, displayName: displayName(name),
		email: name + "@example.com", password: password, sysAdmin: sysAdmin,
	}
}

func displayName(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// AddProject adds a project, or renames an existing one.
func (f *Fake) AddProject(key, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.projects[key]; ok {
		p.name = name
		return
	}
	f.nextProject++
	p := &project{id: f.nextProject, key: key, name: name, admins: map[string]bool{}, repos: map[string]*repo{}}
	p.bot = f.newBotLocked(1, p.id, name)
	f.projects[key] = p
}

// AddRepo adds a repository to a project; adding an existing one does nothing.
// It panics if the project does not exist.
func (f *Fake) AddRepo(projectKey, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustProjectLocked(projectKey)
	if _, ok := p.repos[slug]; ok {
		return
	}
	f.nextRepo++
	rp := &repo{id: f.nextRepo, slug: slug, project: p, admins: map[string]bool{}}
	rp.bot = f.newBotLocked(2, rp.id, slug)
	p.repos[slug] = rp
}

// newBotLocked makes the SERVICE user that owns a project's (kind 1) or repository's (kind 2) tokens.
func (f *Fake) newBotLocked(kind, id int, label string) *user {
	f.nextUserID++
	name := fmt.Sprintf("access-token-user/%d/%d", kind, id)
	return &user{
		id: f.nextUserID, name: name, slug: strings.ReplaceAll(name, "/", "_"),
		displayName: "Access Token User - " + label, service: true,
	}
}

// GrantProjectAdmin makes user a project admin of the project (and so repository admin of all its
// repositories). It panics if either does not exist.
func (f *Fake) GrantProjectAdmin(projectKey, userName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustProjectLocked(projectKey)
	f.mustUserLocked(userName)
	p.admins[userName] = true
}

// GrantRepoAdmin makes user a repository admin of one repository. It panics if the repository or
// the user does not exist.
func (f *Fake) GrantRepoAdmin(projectKey, repoSlug, userName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustProjectLocked(projectKey)
	rp, ok := p.repos[repoSlug]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no repository %s/%s", projectKey, repoSlug))
	}
	f.mustUserLocked(userName)
	rp.admins[userName] = true
}

func (f *Fake) mustProjectLocked(key string) *project {
	p, ok := f.projects[key]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no project %q", key))
	}
	return p
}

func (f *Fake) mustUserLocked(name string) *user {
	u, ok := f.users[name]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no user %q", name))
	}
	return u
}

// Now returns the fake clock's time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake clock forward by d; tokens whose expiry date is reached stop
// authenticating. It panics if d is negative: the clock never goes back, which keeps listings in
// creation order.
func (f *Fake) Advance(d time.Duration) {
	if d < 0 {
		panic("accesstokenstest: Advance needs d >= 0")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d).Truncate(time.Millisecond)
}

// SetExpiryPolicy sets the admin expiry policy directly, as PUT /admin would; maxExpiryDays 0
// removes it, as DELETE /admin would. It panics if maxExpiryDays is negative.
func (f *Fake) SetExpiryPolicy(maxExpiryDays int) {
	if maxExpiryDays < 0 {
		panic("accesstokenstest: SetExpiryPolicy needs maxExpiryDays >= 0")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.policy = maxExpiryDays
}

// ExpiryPolicy returns the admin expiry policy's maxExpiryDays, 0 when none is set.
func (f *Fake) ExpiryPolicy() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policy
}

// TokenInfo describes a stored token, without its secret.
type TokenInfo struct {
	ID                string
	Name              string
	Scope             string // "user:alice", "project:PRJ" or "repo:PRJ/repo"
	Owner             string // owner's user name; a bot such as "access-token-user/1/1" for project and repository tokens
	Permissions       []string
	Created           time.Time
	Expiry            *time.Time // nil: never expires
	LastAuthenticated *time.Time // nil: never used
}

// Tokens returns a snapshot of every stored token, oldest first.
func (f *Fake) Tokens() []TokenInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]TokenInfo, 0, len(f.tokens))
	for _, t := range f.tokens {
		out = append(out, t.info())
	}
	// Ids grow with creation, and all have 12 digits.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (t *token) info() TokenInfo {
	return TokenInfo{
		ID: t.id, Name: t.name, Scope: t.scope, Owner: t.owner.name,
		Permissions: append([]string(nil), t.perms...), Created: t.created,
		Expiry: copyTime(t.expiry), LastAuthenticated: copyTime(t.lastAuth),
	}
}

func copyTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// MintedSecrets returns every secret the fake has handed out (in create responses and from
// [Fake.IssueToken]), deleted tokens' included, oldest first: search logs and errors for them.
func (f *Fake) MintedSecrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.minted...)
}

// SeedTokens adds n tokens to a scope ("user:alice", "project:PRJ", "repo:PRJ/repo") without HTTP,
// rights, validation or the token limit, for paging tests and benchmarks. They are named
// "seed-<k>", hold REPO_READ (plus PROJECT_READ outside repositories), never expire, are created
// at the current fake time, and have no secret, so they cannot authenticate.
// It panics if the scope does not exist.
func (f *Fake) SeedTokens(scope string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sc := f.mustScopeLocked(scope)
	perms := []string{"PROJECT_READ", "REPO_READ"}
	if sc.kind == scopeRepo {
		perms = []string{"REPO_READ"}
	}
	for k := range n {
		f.addTokenLocked(sc, fmt.Sprintf("seed-%d", k), perms, 0, false)
	}
}

// IssueToken creates a token without HTTP, rights, validation or the token limit, and returns its
// id and secret (which MintedSecrets then lists). expiryDays 0 means no expiry. Use it to get, say,
// a project token for Bearer tests in one line. It panics if the scope does not exist.
func (f *Fake) IssueToken(scope, name string, expiryDays int, permissions ...string) (id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.addTokenLocked(f.mustScopeLocked(scope), name, append([]string(nil), permissions...), expiryDays, true)
	return t.id, t.secret
}

func (f *Fake) mustScopeLocked(scope string) scopeRef {
	sc, ok := f.parseScopeLocked(scope)
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no scope %q", scope))
	}
	return sc
}

// parseScopeLocked resolves a scope string to its owner.
func (f *Fake) parseScopeLocked(scope string) (scopeRef, bool) {
	kind, rest, _ := strings.Cut(scope, ":")
	switch kind {
	case "user":
		if u, ok := f.users[rest]; ok {
			return scopeRef{kind: scopeUser, key: scope, user: u}, true
		}
	case "project":
		if p, ok := f.projects[rest]; ok {
			return scopeRef{kind: scopeProject, key: scope, project: p}, true
		}
	case "repo":
		key, slug, _ := strings.Cut(rest, "/")
		if p, ok := f.projects[key]; ok {
			if rp, ok := p.repos[slug]; ok {
				return scopeRef{kind: scopeRepo, key: scope, project: p, repo: rp}, true
			}
		}
	}
	return scopeRef{}, false
}

// CredentialKind says how a request authenticated.
type CredentialKind string

// The kinds of credential a [Request] can carry.
const (
	CredentialNone          CredentialKind = "none"           // no Authorization header
	CredentialBasicPassword CredentialKind = "basic-password" // Basic with the user's password
	CredentialBasicToken    CredentialKind = "basic-token"    // Basic with a personal token as the password
	CredentialBearer        CredentialKind = "bearer"         // Bearer with a live token
	CredentialInvalid       CredentialKind = "invalid"        // a header that did not authenticate: wrong password, unknown, expired or deleted token, malformed
)

// Request is the record of one request the fake answered. It never holds a credential value:
// the Authorization header is reduced to its [CredentialKind], and every secret the fake minted
// and every user's password is replaced by [Redacted] wherever it appears in RawPath or Query,
// written plainly or percent-encoded (in Query also with "+" for a space). A password that equals
// a user's name, as in the demo world, is left alone there, because it is that name; a password
// that is part of the API's own path words (say "re", in "repos") would blank those words too,
// so give test users passwords that look like passwords.
type Request struct {
	Method     string
	RawPath    string // escaped path as received, context path included, without the query; credentials redacted
	Query      string // raw query string; credentials redacted
	Credential CredentialKind
	User       string // who authenticated ("" if nobody); a bot's name for project and repository tokens
	Status     int    // status answered; 0 when the connection was dropped or the client went away first
	Faulted    bool   // an injected fault matched the request (it may only have delayed it)
}

// Requests returns the requests answered so far, in the order they finished
// (with [WithRequestHistory], only the most recent ones).
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	reqs := f.requests
	if n := f.cfg.keepLast; n > 0 && len(reqs) > n {
		reqs = reqs[len(reqs)-n:]
	}
	return append([]Request(nil), reqs...)
}

// ResetRequests forgets the recorded requests.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *Fake) record(rec Request) {
	f.mu.Lock()
	rec.RawPath = f.redactLocked(rec.RawPath, false)
	rec.Query = f.redactLocked(rec.Query, true)
	f.requests = append(f.requests, rec)
	if n := f.cfg.keepLast; n > 0 && len(f.requests) >= 2*n {
		// Drop the oldest in one go, now and then, so recording stays O(1) amortised.
		f.requests = append(f.requests[:0:0], f.requests[len(f.requests)-n:]...)
	}
	f.mu.Unlock()
	if f.cfg.requestLog != nil {
		f.cfg.requestLog(rec)
	}
}

// close releases requests waiting in an injected Delay; used by Server.Close.
func (f *Fake) close() { f.closed.Do(func() { close(f.closing) }) }

var _ http.Handler = (*Fake)(nil)
