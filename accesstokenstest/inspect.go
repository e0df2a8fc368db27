// Reading the fake's state from a test: its tokens and the secrets it handed out.

package accesstokenstest

import (
	"sort"
	"time"
)

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
	toks := make([]*token, 0, len(f.tokens))
	for _, t := range f.tokens {
		toks = append(toks, t)
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].seq < toks[j].seq })
	out := make([]TokenInfo, len(toks))
	for i, t := range toks {
		out[i] = f.infoLocked(t)
	}
	return out
}

func (f *Fake) infoLocked(t *token) TokenInfo {
	info := TokenInfo{
		ID: t.id, Name: t.name, Scope: t.scope, Owner: t.owner.name, OwnerSlug: t.owner.slug,
		OwnerActive: !t.owner.inactive, Permissions: append([]string(nil), t.perms...), Created: t.created.at(),
		Expiry: t.expiry.time(), LastAuthenticated: t.lastAuth.time(),
	}
	if rp := t.owner.botOfRepo; rp != nil {
		info.RepoArchived = rp.archived
	}
	return info
}

// MintedSecrets returns the secrets the fake has handed out (in create responses and from
// [Fake.MintToken]) that it still remembers, oldest first: those of every live token and of the
// last [RetiredSecrets] deleted ones. Search logs and errors for them.
func (f *Fake) MintedSecrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	all := make([]mintedSecret, 0, len(f.bySecret)+len(f.retired))
	for s, t := range f.bySecret {
		all = append(all, mintedSecret{seq: t.seq, secret: s})
	}
	all = append(all, f.retired...)
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]string, len(all))
	for i, m := range all {
		out[i] = m.secret
	}
	return out
}
