// The Fake itself: its state, how it is made, reset and closed, and the demo world.

package accesstokenstest

import (
	"math/rand/v2"
	"net/http"
	"sync"
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

// Fake is the in-memory Bitbucket. It is an [http.Handler]: mount it anywhere, or use [NewServer]
// for a running server. Create it with [NewFake]; the zero value is not usable.
type Fake struct {
	cfg     config
	closing chan struct{}
	closed  sync.Once
	limiter *rateLimiter

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
	nextToken   int64  // the last 8.x token id minted
	nextSeq     uint64 // the creation order of the next token
	rnd         *rand.Rand

	faultMu sync.Mutex
	faults  []*Fault

	recMu    sync.Mutex
	requests []Request
}

// NewFake returns a Fake seeded with the demo world (see the package documentation), or the world
// [WithWorld] describes, not listening anywhere. Serve it with [NewServer] or any [http.Server].
func NewFake(opts ...Option) *Fake {
	cfg := config{defaultLimit: DefaultPageLimit, maxLimit: DefaultMaxPageLimit, keepLast: DefaultRequestHistory,
		version: defaultServerVersion}
	for _, o := range opts {
		o(&cfg)
	}
	f := &Fake{cfg: cfg, closing: make(chan struct{})}
	f.limiter = newRateLimiter(cfg.rateLimit, cfg.nodes)
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
	f.nextSeq = 0
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
// no faults, no recorded requests, the rate limit's settings as the options made them and full
// buckets. Everything added or changed since,
// through HTTP or through the Go methods, is gone.
func (f *Fake) Reset() {
	f.mu.Lock()
	f.seedLocked()
	f.mu.Unlock()
	f.ClearFaults()
	f.ResetRequests()
	f.limiter.reset(f.cfg.rateLimit)
}

// Close ends every injected Delay, now and for good: the requests delays hold, and any a fault
// delays later, are answered at once with 503 and the error envelope (exception
// [ExceptionInjectedFault]); everything else is answered as before. [Server.Close] calls it; a
// program that serves a Fake with its own [http.Server] calls it when shutting down, so that
// Shutdown does not wait for delays to run out. It is safe to call more than once.
func (f *Fake) Close() { f.closed.Do(func() { close(f.closing) }) }

var _ http.Handler = (*Fake)(nil)
