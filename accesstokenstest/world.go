// Generated worlds (WithWorld): many users, projects, repositories and tokens of every kind.

package accesstokenstest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// World describes a generated Bitbucket for [WithWorld]: deterministic for a given World, and
// made to be audited. It holds:
//
//   - the system administrator "admin" (password "admin") and Users more users, named alice, bob,
//     carol, ... and then user00020, user00021, ..., each with their name as password; a share of
//     them deactivated (their personal tokens stay), and some that never logged in;
//   - Projects projects (keys PLAT, WEB, DATA, ... INFRA, and then P0007, P0008, ...), each with
//     ReposPerProject repositories and one project admin; a share of users with a personal
//     project (~ALICE) holding one repository, "scratch"; a share of all repositories archived;
//   - TokensPerScope tokens in every scope: each user's personal tokens (admin's and deactivated
//     users' included), each project's and each repository's. Their mix cycles through expired
//     (up to 90 days ago), expiring (within 28 days), never expiring and expiring in more than 30
//     days; through never used, unused for more than 90 days and used in the last 30 days; and
//     every fifth holds PROJECT_ADMIN or REPO_ADMIN. Dates are relative to the fake clock at start
//     (or at [Fake.Reset]): with the real clock, "expired" means expired now.
//
// Generated tokens have no secret, so they cannot authenticate; [Fake.Tokens] lists them all.
type World struct {
	Projects        int   // normal projects
	ReposPerProject int   // repositories in each normal project
	Users           int   // users besides admin
	TokensPerScope  int   // tokens in every user's, project's and repository's scope
	Seed            int64 // the same World and Seed make the same world, ids included

	// Shares, from 0 to 1; 0 means the default given, a negative value none.
	ArchivedRepos    float64 // of all repositories, archived (default 0.1)
	DeactivatedUsers float64 // of users, deactivated (default 0.1)
	PersonalProjects float64 // of users, with a personal project (default 0.05)
}

// DemoWorld is the small world the accesstokens command's --demo flag audits: 8 users (carol and
// grace deactivated; alice and erin with personal projects ~ALICE and ~ERIN), 4 projects (PLAT,
// WEB, DATA, OPS) of 3 repositories each, 3 of the 14 repositories archived, and 2 tokens in each
// of the 27 scopes, 54 in all, covering every finding.
func DemoWorld() World {
	return World{Projects: 4, ReposPerProject: 3, Users: 8, TokensPerScope: 2, Seed: 1,
		ArchivedRepos: 0.2, DeactivatedUsers: 0.25, PersonalProjects: 0.25}
}

// WithWorld seeds the fake with a generated world (see [World]) instead of the demo world. It
// panics if a count is negative or a share is above 1.
func WithWorld(w World) Option {
	if w.Projects < 0 || w.ReposPerProject < 0 || w.Users < 0 || w.TokensPerScope < 0 {
		panic("accesstokenstest: WithWorld needs counts >= 0")
	}
	if w.ArchivedRepos > 1 || w.DeactivatedUsers > 1 || w.PersonalProjects > 1 {
		panic("accesstokenstest: WithWorld needs shares <= 1")
	}
	return func(c *config) { c.world, c.empty = &w, false }
}

// Names the generator uses first, before numbered ones.
var (
	worldUserNames = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
		"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yvonne"}
	worldProjects = []struct{ key, name string }{{"PLAT", "Platform"}, {"WEB", "Web"}, {"DATA", "Data"},
		{"OPS", "Operations"}, {"MOB", "Mobile"}, {"SEC", "Security"}, {"INFRA", "Infrastructure"}}
	worldRepoSlugs  = []string{"api", "web", "worker", "docs", "deploy", "tools", "auth", "billing", "search", "mobile"}
	worldTokenNames = []string{"ci", "deploy", "backup", "release", "renovate", "jenkins", "sonar", "mirror", "nightly", "bamboo"}
)

func worldUserName(i int) string {
	if i < len(worldUserNames) {
		return worldUserNames[i]
	}
	return fmt.Sprintf("user%05d", i)
}

func worldProject(i int) (key, name string) {
	if i < len(worldProjects) {
		return worldProjects[i].key, worldProjects[i].name
	}
	return fmt.Sprintf("P%04d", i), fmt.Sprintf("Project %04d", i)
}

func worldRepoSlug(i int) string {
	if i < len(worldRepoSlugs) {
		return worldRepoSlugs[i]
	}
	return fmt.Sprintf("repo-%02d", i)
}

// share is how many of n a share picks: at least one when the share is positive and n > 0.
func share(n int, s, def float64) int {
	if s == 0 {
		s = def
	}
	if s <= 0 || n == 0 {
		return 0
	}
	return max(1, min(n, int(math.Round(s*float64(n)))))
}

// spread picks count of n indices, evenly spaced and ascending, starting phase (0 or 1) half
// steps in.
func spread(n, count, phase int) []int {
	picked := make([]int, count)
	for k := range picked {
		picked[k] = ((2*k + phase) * n) / (2 * count)
	}
	return picked
}

const day = 24 * time.Hour

// Shared permission sets of generated tokens (tokens never change them in place).
var (
	worldScopePerms = [][]string{{"PROJECT_READ", "REPO_READ"}, {"PROJECT_READ", "REPO_WRITE"},
		{"PROJECT_WRITE", "REPO_WRITE"}, {"REPO_READ"}}
	worldScopeAdminPerms = [][]string{{"PROJECT_ADMIN", "REPO_ADMIN"}, {"PROJECT_READ", "REPO_ADMIN"}}
	worldRepoPerms       = [][]string{{"REPO_READ"}, {"REPO_WRITE"}}
	worldRepoAdminPerms  = []string{"REPO_ADMIN"}
)

// generateLocked builds a world into an empty fake.
func (f *Fake) generateLocked(w World) {
	rnd := rand.New(rand.NewPCG(uint64(w.Seed), 0x77071d))
	now := f.clock.now()

	f.addUserLocked(DemoAdmin, DemoAdminPassword, true)
	users := make([]*user, w.Users)
	deactivated := map[int]bool{}
	for _, i := range spread(w.Users, share(w.Users, w.DeactivatedUsers, 0.1), 1) {
		deactivated[i] = true
	}
	for i := range users {
		name := worldUserName(i)
		f.nextUserID++
		u := &user{id: f.nextUserID, name: name, slug: name, displayName: displayName(name),
			email: name + "@example.com", password: name, inactive: deactivated[i]}
		if i%7 != 6 {
			t := now.Add(-time.Duration(rnd.Int64N(int64(200 * day)))).Truncate(time.Millisecond)
			u.lastLogin = &t
		}
		f.users[name] = u
		users[i] = u
	}
	f.refreshPasswordsLocked()

	var repos []*repo
	for i := range w.Projects {
		key, name := worldProject(i)
		p := f.addProjectLocked(key, name)
		p.description = "Generated project " + key
		if len(users) > 0 {
			p.admins[users[(i*7)%len(users)].name] = true
		}
		for j := range w.ReposPerProject {
			rp := f.addRepoLocked(p, worldRepoSlug(j))
			rp.description = "Generated repository " + rp.slug + " of " + key
			if len(users) > 0 && j%4 == 1 {
				rp.admins[users[(i*7+j)%len(users)].name] = true
			}
			repos = append(repos, rp)
		}
	}
	for _, i := range spread(w.Users, share(w.Users, w.PersonalProjects, 0.05), 0) {
		repos = append(repos, f.addPersonalRepoLocked(users[i], "scratch"))
	}
	for _, i := range spread(len(repos), share(len(repos), w.ArchivedRepos, 0.1), 1) {
		repos[i].archived = true
	}

	if w.TokensPerScope == 0 {
		return
	}
	k := 0 // counts tokens over the whole world, to cycle through the mix
	gen := func(sc scopeRef) {
		specs := make([]*token, w.TokensPerScope)
		for i := range specs {
			specs[i] = worldToken(rnd, now, sc.kind, k)
			specs[i].name = fmt.Sprintf("%s-%d", worldTokenNames[rnd.IntN(len(worldTokenNames))], i+1)
			k++
		}
		sort.Slice(specs, func(i, j int) bool { return specs[i].created < specs[j].created })
		for _, s := range specs {
			t := f.addTokenAtLocked(sc, s.name, s.perms, s.created, s.expiry, false)
			t.lastAuth = s.lastAuth
		}
	}
	gen(scopeRef{kind: scopeUser, key: UserScopeString(DemoAdmin), user: f.users[DemoAdmin]})
	for _, u := range users {
		gen(scopeRef{kind: scopeUser, key: UserScopeString(u.slug), user: u})
	}
	for i := range w.Projects {
		key, _ := worldProject(i)
		p := f.projects[key]
		gen(scopeRef{kind: scopeProject, key: ProjectScopeString(key), project: p})
	}
	for _, rp := range repos {
		gen(scopeRef{kind: scopeRepo, key: RepoScopeString(rp.project.key, rp.slug), project: rp.project, repo: rp})
	}
}

// worldToken makes the k-th token of the mix (without id, name or scope): its expiry class cycles
// every token, its use class every four, and every fifth is admin-powered.
func worldToken(rnd *rand.Rand, now time.Time, kind scopeKind, k int) *token {
	ageDays := 100 + rnd.IntN(600)
	created := now.Add(-time.Duration(ageDays)*day - time.Minute - time.Duration(rnd.Int64N(int64(12*time.Hour))))
	created = created.Truncate(time.Millisecond)
	t := &token{created: epochMillisOf(created)}
	switch k % 4 {
	case 0: // expired 1 to 90 days ago
		t.expiry = expiryAfter(created, ageDays-1-rnd.IntN(90))
	case 1: // expires within 28 days
		t.expiry = expiryAfter(created, ageDays+1+rnd.IntN(28))
	case 2: // never expires
	default: // expires in more than 30 days
		t.expiry = expiryAfter(created, ageDays+31+rnd.IntN(300))
	}
	switch (k / 4) % 3 {
	case 0: // never used
	case 1: // last used more than 90 days ago
		t.lastAuth = epochMillisOf(now.Add(-time.Duration(91+rnd.IntN(ageDays-91))*day - time.Duration(rnd.Int64N(int64(12*time.Hour)))))
	default: // used in the last 30 days, or shortly before it expired
		t.lastAuth = epochMillisOf(now.Add(-time.Duration(rnd.Int64N(int64(30 * day)))))
		if t.expiry != 0 && t.lastAuth >= t.expiry {
			t.lastAuth = t.expiry - epochMillis(time.Hour/time.Millisecond)
		}
	}
	admin := k%5 == 2
	switch {
	case kind == scopeRepo && admin:
		t.perms = worldRepoAdminPerms
	case kind == scopeRepo:
		t.perms = worldRepoPerms[rnd.IntN(len(worldRepoPerms))]
	case admin:
		t.perms = worldScopeAdminPerms[rnd.IntN(len(worldScopeAdminPerms))]
	default:
		t.perms = worldScopePerms[rnd.IntN(len(worldScopePerms))]
	}
	return t
}
