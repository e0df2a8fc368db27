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

// DefaultStartTime is 2026-01-01T00:00:00Z, the time every fake clock was pinned to before 0.2.
// Pass it to [WithClock] for tests that want that fixed date again; without [WithClock] the fake
// uses the real time.
func DefaultStartTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// DefaultRequestHistory is how many of the most recent requests [Fake.Requests] keeps unless
// [WithRequestHistory] says otherwise.
const DefaultRequestHistory = 10_000

// RetiredSecrets is how many secrets of deleted tokens the fake remembers, for [Fake.MintedSecrets]
// and for blanking them out of recorded requests. Older ones are forgotten, so memory stays flat
// over any number of create and delete cycles.
const RetiredSecrets = 1000

// MaxNameLength is the longest token name (in characters) the fake accepts, as Bitbucket's
// database column; a longer one is 400 with context "name".
const MaxNameLength = 255

// MaxRequestTarget is the longest path plus query (escaped, in bytes, context path included) the
// fake reads; a longer one is answered 414 with the error envelope and recorded shortened.
const MaxRequestTarget = 16 << 10

type config struct {
	defaultLimit int
	maxLimit     int
	tokenLimit   int
	sparse       bool
	empty        bool
	world        *World
	pinnedAt     *time.Time
	contextPath  string
	requestLog   func(Request)
	keepLast     int // 0: keep every request
	rateLimit    *RateLimit
	control      bool
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
func WithEmptyWorld() Option { return func(c *config) { c.empty, c.world = true, nil } }

// WithClock pins the fake clock at start: it then moves only through [Fake.Advance] and
// [Fake.SetNow]. Without it the fake clock is the real time (and Advance shifts it), so code that
// compares dates with time.Now() sees what it would see on a real server. Dates are reported in
// milliseconds, so anything finer is dropped.
func WithClock(start time.Time) Option {
	at := start.UTC().Truncate(time.Millisecond)
	return func(c *config) { c.pinnedAt = &at }
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
// (default [DefaultRequestHistory]; n < 1: keep every one, which grows without bound).
func WithRequestHistory(n int) Option { return func(c *config) { c.keepLast = max(n, 0) } }

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
	inactive    bool       // deactivated: cannot authenticate, nor can its tokens
	lastLogin   *time.Time // last successful authentication; nil: never
	botOf       *project   // for a project's bot: the project
	botOfRepo   *repo      // for a repository's bot: the repository
}

type project struct {
	id          int
	key         string
	name        string
	description string
	owner       *user           // personal project (~SLUG): its user; nil for a normal project
	admins      map[string]bool // user names
	repos       map[string]*repo
	bot         *user
}

type repo struct {
	id       int
	slug     string
	name     string
	archived bool
	project  *project
	admins   map[string]bool // user names
	bot      *user
}

type token struct {
	id       string
	name     string
	secret   string // "" for seeded and generated tokens, which cannot authenticate
	scope    string
	kind     scopeKind
	owner    *user
	perms    []string
	created  time.Time
	expiry   stamp // 0: never expires
	lastAuth stamp // 0: never used
}

// stamp is a date as Bitbucket sends it, Unix milliseconds; 0 means none. Tokens keep their
// optional dates this way rather than as *time.Time: fewer objects for the garbage collector to
// walk in a world of 100k tokens.
type stamp int64

func stampOf(t time.Time) stamp { return stamp(t.UnixMilli()) }

// json is the wire's value: nil for none.
func (s stamp) json() *int64 {
	if s == 0 {
		return nil
	}
	v := int64(s)
	return &v
}

// time is the date in UTC; nil for none.
func (s stamp) time() *time.Time {
	if s == 0 {
		return nil
	}
	t := time.UnixMilli(int64(s)).UTC()
	return &t
}

// mintedSecret is a secret the fake handed out, with the id of its token (ids grow with time).
type mintedSecret struct{ id, secret string }

// Fake is the in-memory Bitbucket. It is an [http.Handler]: mount it anywhere, or use [NewServer]
// for a running server. Create it with [NewFake]; the zero value is not usable.
type Fake struct {
	cfg     config
	closing chan struct{}
	closed  sync.Once
	limiter *rateLimiter // nil: no rate limit

	mu          sync.Mutex // guards the world below
	clock       clock
	users       map[string]*user // by name; the slug equals the name
	bots        []*user
	projects    map[string]*project // by key, personal ones (~SLUG) included
	tokens      map[string]*token   // by id
	bySecret    map[string]*token   // secrets of live tokens
	retired     []mintedSecret      // secrets of the most recently deleted tokens, a ring of RetiredSecrets
	retiredNext int                 // where the ring writes next
	retiredSet  map[string]bool
	secretLens  []int               // the lengths minted secrets have (one, in practice)
	passwords   []string            // passwords to blank out of records: not empty, not a user's name
	scopes      map[string][]*token // per scope, oldest first (so ids ascending)
	dir         *directory          // sorted listings for the core REST API; nil: to be rebuilt
	policy      int                 // maxExpiryDays, 0 = none
	nextUserID  int
	nextProject int
	nextRepo    int
	nextToken   int64
	rnd         *rand.Rand

	faultMu sync.Mutex
	faults  []*Fault

	recMu    sync.Mutex
	requests []Request
}

// NewFake returns a Fake seeded with the demo world (see the package documentation), or the world
// [WithWorld] describes, not listening anywhere. Serve it with [NewServer] or any [http.Server].
func NewFake(opts ...Option) *Fake {
	cfg := config{defaultLimit: DefaultPageLimit, maxLimit: DefaultMaxPageLimit, keepLast: DefaultRequestHistory}
	for _, o := range opts {
		o(&cfg)
	}
	f := &Fake{cfg: cfg, closing: make(chan struct{})}
	if cfg.rateLimit != nil {
		f.limiter = newRateLimiter(*cfg.rateLimit)
	}
	f.mu.Lock()
	f.seedLocked()
	f.mu.Unlock()
	return f
}

// seedLocked (re)builds the world the options describe, at the clock's start.
func (f *Fake) seedLocked() {
	f.clock = newClock(f.cfg.pinnedAt)
	f.users = map[string]*user{}
	f.bots = nil
	f.projects = map[string]*project{}
	f.tokens = map[string]*token{}
	f.bySecret = map[string]*token{}
	f.retired, f.retiredNext, f.retiredSet = nil, 0, map[string]bool{}
	f.secretLens, f.passwords = nil, nil
	f.scopes = map[string][]*token{}
	f.dir = nil
	f.policy, f.nextUserID, f.nextProject, f.nextRepo = 0, 0, 0, 0
	f.rnd = rand.New(rand.NewPCG(0x5eed, 0xacce55))
	// Ids start below 10^11 and grow by at most 1000 per token, so they keep a leading zero
	// for tens of millions of tokens, like the real "075905477751".
	f.nextToken = 1_000_000_000 + f.rnd.Int64N(9_000_000_000)
	switch {
	case f.cfg.world != nil:
		f.generateLocked(*f.cfg.world)
	case !f.cfg.empty:
		f.addUserLocked(DemoAdmin, DemoAdminPassword, true)
		f.addUserLocked(DemoAlice, DemoAlicePassword, false)
		f.addUserLocked(DemoBob, DemoBobPassword, false)
		f.addProjectLocked(DemoProject, DemoProjectName)
		f.addRepoLocked(f.projects[DemoProject], DemoRepo)
		f.projects[DemoProject].admins[DemoAlice] = true
	}
}

// Reset puts the fake back as [NewFake] made it: the seeded world (demo or generated, with the
// same ids), the clock as at start (the real time again, or the pinned time), no expiry policy,
// no faults, no recorded requests, full rate-limit buckets. Everything added or changed since,
// through HTTP or through the Go methods, is gone.
func (f *Fake) Reset() {
	f.mu.Lock()
	f.seedLocked()
	f.mu.Unlock()
	f.ClearFaults()
	f.ResetRequests()
	if f.limiter != nil {
		f.limiter.reset()
	}
}

// AddUser adds a NORMAL user whose slug equals name, or updates the password and system-admin flag
// of an existing one. An empty password disables password authentication for the user.
func (f *Fake) AddUser(name, password string, sysAdmin bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addUserLocked(name, password, sysAdmin)
}

func (f *Fake) addUserLocked(name, password string, sysAdmin bool) *user {
	defer f.refreshPasswordsLocked()
	f.dir = nil
	if u, ok := f.users[name]; ok {
		u.password, u.sysAdmin = password, sysAdmin
		return u
	}
	f.nextUserID++
	u := &user{
		id: f.nextUserID, name: name, slug: name, displayName: displayName(name),
		email: name + "@example.com", password: password, sysAdmin: sysAdmin,
	}
	f.users[name] = u
	return u
}

// refreshPasswordsLocked lists the passwords that recorded requests must not show: a password that
// equals a user's name is that name, and blanking it would blank the name.
func (f *Fake) refreshPasswordsLocked() {
	f.passwords = f.passwords[:0]
	for _, u := range f.users {
		if u.password != "" && f.users[u.password] == nil {
			f.passwords = append(f.passwords, u.password)
		}
	}
}

// SetUserActive deactivates (false) or reactivates (true) a user, as an admin does in Bitbucket:
// a deactivated user cannot authenticate, by password or token, and is listed with active false
// by /rest/api/latest/admin/users and not at all by /rest/api/latest/users; its personal tokens
// stay. It panics if the user does not exist.
func (f *Fake) SetUserActive(name string, active bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustUserLocked(name).inactive = !active
	f.dir = nil
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
	f.addProjectLocked(key, name)
}

func (f *Fake) addProjectLocked(key, name string) *project {
	f.dir = nil
	if p, ok := f.projects[key]; ok {
		p.name = name
		return p
	}
	f.nextProject++
	p := &project{id: f.nextProject, key: key, name: name, admins: map[string]bool{}, repos: map[string]*repo{}}
	p.bot = f.newBotLocked(1, p.id, name)
	p.bot.botOf = p
	f.projects[key] = p
	return p
}

// PersonalProjectKey returns the key of a user's personal project: "~" and the slug in upper case,
// as Bitbucket writes it ("~ALICE").
func PersonalProjectKey(userSlug string) string { return "~" + strings.ToUpper(userSlug) }

// AddPersonalRepo adds a repository to a user's personal project (key [PersonalProjectKey]),
// creating the project on first use; its token endpoints are
// /projects/~ALICE/repos/{slug}, for the user and system administrators. Personal projects are
// not in /rest/api/latest/projects; their repositories are in /rest/api/latest/repos with a
// project of type PERSONAL. It panics if the user does not exist.
func (f *Fake) AddPersonalRepo(userName, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addPersonalRepoLocked(f.mustUserLocked(userName), slug)
}

func (f *Fake) addPersonalRepoLocked(u *user, slug string) *repo {
	key := PersonalProjectKey(u.slug)
	p := f.projects[key]
	if p == nil {
		p = f.addProjectLocked(key, u.displayName)
		p.owner = u
		p.admins[u.name] = true
	}
	return f.addRepoLocked(p, slug)
}

// AddRepo adds a repository to a project; adding an existing one does nothing.
// It panics if the project does not exist.
func (f *Fake) AddRepo(projectKey, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addRepoLocked(f.mustProjectLocked(projectKey), slug)
}

func (f *Fake) addRepoLocked(p *project, slug string) *repo {
	if rp, ok := p.repos[slug]; ok {
		return rp
	}
	f.dir = nil
	f.nextRepo++
	rp := &repo{id: f.nextRepo, slug: slug, name: slug, project: p, admins: map[string]bool{}}
	rp.bot = f.newBotLocked(2, rp.id, slug)
	rp.bot.botOfRepo = rp
	p.repos[slug] = rp
	return rp
}

// SetRepoArchived archives (true) or unarchives (false) a repository. Archived repositories are
// left out of /rest/api/latest/repos unless archived=ARCHIVED or ALL is asked for; their tokens
// work as before. It panics if the repository does not exist.
func (f *Fake) SetRepoArchived(projectKey, repoSlug string, archived bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepoLocked(projectKey, repoSlug).archived = archived
	f.dir = nil
}

// newBotLocked makes the SERVICE user that owns a project's (kind 1) or repository's (kind 2) tokens.
func (f *Fake) newBotLocked(kind, id int, label string) *user {
	f.nextUserID++
	name := fmt.Sprintf("access-token-user/%d/%d", kind, id)
	bot := &user{
		id: f.nextUserID, name: name, slug: strings.ReplaceAll(name, "/", "_"),
		displayName: "Access Token User - " + label, service: true,
	}
	f.bots = append(f.bots, bot)
	return bot
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
	rp := f.mustRepoLocked(projectKey, repoSlug)
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

func (f *Fake) mustRepoLocked(projectKey, repoSlug string) *repo {
	rp, ok := f.mustProjectLocked(projectKey).repos[repoSlug]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no repository %s/%s", projectKey, repoSlug))
	}
	return rp
}

func (f *Fake) mustUserLocked(name string) *user {
	u, ok := f.users[name]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no user %q", name))
	}
	return u
}

// Now returns the fake clock's time: the real time unless [WithClock] pinned it, plus whatever
// [Fake.Advance] and [Fake.SetNow] added.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock.now()
}

// Advance moves the fake clock forward by d, whether it follows the real time or is pinned; tokens
// whose expiry date is reached stop authenticating. It panics if d is negative, as the clock never
// goes back (which keeps listings in creation order), or if it would take the clock past
// 9999-12-31T23:59:59.999Z, the last time the wire's RFC 3339 dates can show.
func (f *Fake) Advance(d time.Duration) {
	if err := f.advance(d); err != nil {
		panic(err.Error())
	}
}

// advance is Advance with an error instead of a panic.
func (f *Fake) advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("accesstokenstest: Advance needs d >= 0, got %s", d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clock.moveTo(f.clock.now().Add(d))
}

// SetNow moves the fake clock forward to t (a real clock keeps running from there). It returns an
// error, and changes nothing, if t is before the fake's current time (the clock never goes back)
// or after 9999-12-31T23:59:59.999Z.
func (f *Fake) SetNow(t time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.now()
	t = t.Truncate(time.Millisecond)
	if t.Before(now) {
		return fmt.Errorf("accesstokenstest: the clock cannot go back from %s to %s",
			now.Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano))
	}
	return f.clock.moveTo(t)
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
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Scope             string     `json:"scope"`       // "user:alice", "project:PRJ" or "repo:PRJ/repo" ("repo:~ALICE/scratch" in a personal project)
	Owner             string     `json:"owner"`       // owner's user name; a bot such as "access-token-user/1/1" for project and repository tokens
	OwnerSlug         string     `json:"ownerSlug"`   // owner's slug, as the wire's user.slug ("access-token-user_1_1" for a bot)
	OwnerActive       bool       `json:"ownerActive"` // false for a personal token whose owner is deactivated (bots are always active)
	Permissions       []string   `json:"permissions"`
	Created           time.Time  `json:"created"`
	Expiry            *time.Time `json:"expiry"`            // nil: never expires
	LastAuthenticated *time.Time `json:"lastAuthenticated"` // nil: never used
	RepoArchived      bool       `json:"repoArchived"`      // a repository token whose repository is archived
}

// TokenCount returns how many tokens are stored.
func (f *Fake) TokenCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.tokens)
}

// Tokens returns a snapshot of every stored token, oldest first.
func (f *Fake) Tokens() []TokenInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]TokenInfo, 0, len(f.tokens))
	for _, t := range f.tokens {
		out = append(out, f.infoLocked(t))
	}
	// Ids grow with creation, and all have 12 digits.
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (f *Fake) infoLocked(t *token) TokenInfo {
	info := TokenInfo{
		ID: t.id, Name: t.name, Scope: t.scope, Owner: t.owner.name, OwnerSlug: t.owner.slug,
		OwnerActive: !t.owner.inactive, Permissions: append([]string(nil), t.perms...), Created: t.created,
		Expiry: t.expiry.time(), LastAuthenticated: t.lastAuth.time(),
	}
	if rp := t.owner.botOfRepo; rp != nil {
		info.RepoArchived = rp.archived
	}
	return info
}

// MintedSecrets returns the secrets the fake has handed out (in create responses and from
// [Fake.IssueToken]) that it still remembers, oldest first: those of every live token and of the
// last [RetiredSecrets] deleted ones. Search logs and errors for them.
func (f *Fake) MintedSecrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]mintedSecret, 0, len(f.bySecret)+len(f.retired))
	for s, t := range f.bySecret {
		all = append(all, mintedSecret{id: t.id, secret: s})
	}
	all = append(all, f.retired...)
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	out := make([]string, len(all))
	for i, m := range all {
		out[i] = m.secret
	}
	return out
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
	now := f.clock.now()
	for k := range n {
		f.addTokenLocked(sc, fmt.Sprintf("seed-%d", k), perms, now, 0, false)
	}
}

// IssueToken creates a token without HTTP, rights, validation or the token limit, and returns its
// id and secret (which MintedSecrets then lists). expiryDays 0 means no expiry. Use it to get, say,
// a project token for Bearer tests in one line. It panics if the scope does not exist.
func (f *Fake) IssueToken(scope, name string, expiryDays int, permissions ...string) (id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.issueLocked(f.mustScopeLocked(scope), name, expiryDays, permissions)
	return t.id, t.secret
}

func (f *Fake) issueLocked(sc scopeRef, name string, expiryDays int, permissions []string) *token {
	now := f.clock.now()
	return f.addTokenLocked(sc, name, append([]string(nil), permissions...), now, expiryAfter(now, expiryDays), true)
}

// expiryAfter is the expiry of a token created at created for days days; none when days is 0.
func expiryAfter(created time.Time, days int) stamp {
	if days <= 0 {
		return 0
	}
	return stampOf(created.AddDate(0, 0, days))
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
	CredentialInvalid       CredentialKind = "invalid"        // a header that did not authenticate: wrong password, unknown, expired or deleted token, deactivated user, malformed
)

// Request is the record of one request the fake answered. It never holds a credential value:
// the Authorization header is reduced to its [CredentialKind], and every secret the fake minted
// (that it still remembers, see [Fake.MintedSecrets]) and every user's password is replaced by
// [Redacted] wherever it appears in RawPath or Query, written plainly or percent-encoded (in Query
// also with "+" for a space). A password that equals a user's name, as in the demo world, is left
// alone there, because it is that name; a password that is part of the API's own path words (say
// "re", in "repos") would blank those words too, so give test users passwords that look like
// passwords. A request longer than [MaxRequestTarget] is recorded with RawPath and Query cut to
// their first bytes and marked (see [Truncated]).
type Request struct {
	Method     string         `json:"method"`
	RawPath    string         `json:"rawPath"`    // escaped path as received, context path included, without the query; credentials redacted
	Query      string         `json:"query"`      // raw query string; credentials redacted
	Credential CredentialKind `json:"credential"` // how the request authenticated
	User       string         `json:"user"`       // who authenticated ("" if nobody); a bot's name for project and repository tokens
	Status     int            `json:"status"`     // status answered; 0 when the connection was dropped or the client went away first
	Faulted    bool           `json:"faulted"`    // an injected fault matched the request (it may only have delayed it)
}

// Truncated ends a recorded RawPath or Query that was cut because the request was too long.
const Truncated = "[TRUNCATED]"

// recordedPrefix is how much of an over-long path or query a record keeps.
const recordedPrefix = 256

// Requests returns the requests answered so far, in the order they finished
// (only the most recent ones, see [WithRequestHistory]).
func (f *Fake) Requests() []Request {
	f.recMu.Lock()
	defer f.recMu.Unlock()
	reqs := f.requests
	if n := f.cfg.keepLast; n > 0 && len(reqs) > n {
		reqs = reqs[len(reqs)-n:]
	}
	return append([]Request(nil), reqs...)
}

// ResetRequests forgets the recorded requests.
func (f *Fake) ResetRequests() {
	f.recMu.Lock()
	defer f.recMu.Unlock()
	f.requests = nil
}

func (f *Fake) record(rec Request) {
	if len(rec.RawPath)+len(rec.Query) > MaxRequestTarget {
		rec.RawPath, rec.Query = shorten(rec.RawPath), shorten(rec.Query)
	}
	f.mu.Lock()
	rec.RawPath = f.redactLocked(rec.RawPath, false)
	rec.Query = f.redactLocked(rec.Query, true)
	f.mu.Unlock()

	f.recMu.Lock()
	f.requests = append(f.requests, rec)
	if n := f.cfg.keepLast; n > 0 && len(f.requests) >= 2*n {
		// Drop the oldest in one go, now and then, so recording stays O(1) amortised.
		f.requests = append(f.requests[:0:0], f.requests[len(f.requests)-n:]...)
	}
	f.recMu.Unlock()
	if f.cfg.requestLog != nil {
		f.cfg.requestLog(rec)
	}
}

// shorten keeps the start of an over-long path or query. The cut may split a secret, so anything
// from the last "BBDC" on (written plainly or with escapes) is dropped as well.
func shorten(s string) string {
	if len(s) <= recordedPrefix {
		return s
	}
	s = s[:recordedPrefix]
	v := decode(s, false)
	if i := strings.LastIndex(v.text, "BBDC"); i >= 0 {
		s = s[:v.offset(i)]
	}
	return s + Truncated
}

// Close ends every injected Delay, now and for good: the requests delays hold, and any a fault
// delays later, are answered at once with 503 and the error envelope (exception
// [ExceptionInjectedFault]); everything else is answered as before. [Server.Close] calls it; a
// program that serves a Fake with its own [http.Server] calls it when shutting down, so that
// Shutdown does not wait for delays to run out. It is safe to call more than once.
func (f *Fake) Close() { f.closed.Do(func() { close(f.closing) }) }

var _ http.Handler = (*Fake)(nil)
