// The world's records: users, projects, repositories and tokens, as the fake keeps them.

package accesstokenstest

import (
	"time"
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
	id          int
	slug        string
	name        string
	description string // "" for none (left out of the JSON)
	archived    bool
	project     *project
	admins      map[string]bool // user names
	bot         *user
}

type token struct {
	seq      uint64 // creation order: ids need not grow with time (see WithServerVersion)
	id       string
	name     string
	secret   string // "" for seeded and generated tokens, which cannot authenticate
	scope    string
	kind     scopeKind
	owner    *user
	perms    []string
	created  epochMillis // never 0 in meaning: a token is always created
	expiry   epochMillis // 0: never expires
	lastAuth epochMillis // 0: never used
}

// epochMillis is a date as Bitbucket sends it, Unix milliseconds; for the optional dates 0 means none.
// Tokens keep their dates this way rather than as time.Time or *time.Time: a third of the size,
// and nothing for the garbage collector to walk, in a world of 100k tokens.
type epochMillis int64

// epochMillisOf is t in Unix milliseconds.
func epochMillisOf(t time.Time) epochMillis { return epochMillis(t.UnixMilli()) }

// json is the wire's value: nil for none.
func (s epochMillis) json() *int64 {
	if s == 0 {
		return nil
	}
	v := int64(s)
	return &v
}

// at is the date in UTC, 0 included (a creation date is never "none").
func (s epochMillis) at() time.Time { return time.UnixMilli(int64(s)).UTC() }

// time is the date in UTC; nil for none.
func (s epochMillis) time() *time.Time {
	if s == 0 {
		return nil
	}
	t := time.UnixMilli(int64(s)).UTC()
	return &t
}

// mintedSecret is a secret the fake handed out, with its token's creation order.
type mintedSecret struct {
	seq    uint64
	secret string
}

func (t *token) expired(now time.Time) bool {
	return t.expiry != 0 && now.UnixMilli() >= int64(t.expiry)
}
