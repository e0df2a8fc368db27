// Storing tokens: ids, secrets, the per-scope order lists are paged from, and retired secrets;
// and the Go shortcuts that add tokens without HTTP.

package accesstokenstest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

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

// MintToken creates a token without HTTP, rights, validation or the token limit, and returns its
// id and secret (which [Fake.MintedSecrets] then lists). scope is a scope string such as
// "project:PRJ" (see [ProjectScopeString]); permissions are the wire's names, such as "REPO_READ";
// expiryDays 0 means no expiry. Use it to get, say, a project token for Bearer tests in one line.
// It panics if the scope does not exist, or if expiryDays is negative or would put the expiry
// past 9999-12-31.
func (f *Fake) MintToken(scope, name string, expiryDays int, permissions ...string) (id, secret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.issueLocked(f.mustScopeLocked(scope), name, expiryDays, permissions)
	return t.id, t.secret
}

// IssueToken creates a token without HTTP, as [Fake.MintToken] does.
//
// Deprecated: use [Fake.MintToken]; its name says it takes the wire's strings, not the SDK's types.
func (f *Fake) IssueToken(scope, name string, expiryDays int, permissions ...string) (id, secret string) {
	return f.MintToken(scope, name, expiryDays, permissions...)
}

// issueLocked is MintToken under the lock. It panics on an expiry checkExpiryDays refuses; the
// control API checks it first.
func (f *Fake) issueLocked(sc scopeRef, name string, expiryDays int, permissions []string) *token {
	now := f.clock.now()
	if e := checkExpiryDays(expiryDays, now); e != nil {
		panic("accesstokenstest: MintToken: " + e.message)
	}
	return f.addTokenLocked(sc, name, append([]string(nil), permissions...), now, expiryAfter(now, expiryDays), true)
}

// expiryAfter is the expiry of a token created at created for days days; none when days is 0.
func expiryAfter(created time.Time, days int) epochMillis {
	if days <= 0 {
		return 0
	}
	return epochMillisOf(created.AddDate(0, 0, days))
}

// addTokenLocked stores a new token, newest at the end of its scope's slice. Tokens must be added
// in order of creation (created never before the newest of the scope).
func (f *Fake) addTokenLocked(sc scopeRef, name string, perms []string, created time.Time, expiry epochMillis, withSecret bool) *token {
	return f.addTokenAtLocked(sc, name, perms, epochMillisOf(created), expiry, withSecret)
}

// addTokenAtLocked is addTokenLocked with the creation date in epoch milliseconds.
func (f *Fake) addTokenAtLocked(sc scopeRef, name string, perms []string, created, expiry epochMillis, withSecret bool) *token {
	f.nextSeq++
	t := &token{
		seq: f.nextSeq, id: f.newTokenIDLocked(), name: name, scope: sc.key, kind: sc.kind,
		owner: sc.owner(), perms: perms, created: created, expiry: expiry,
	}
	if withSecret {
		t.secret = newSecret(t.id, !f.cfg.unprefixedSecrets)
		f.bySecret[t.secret] = t
		if !slices.Contains(f.secretLens, len(t.secret)) {
			f.secretLens = append(f.secretLens, len(t.secret))
		}
	}
	f.tokens[t.id] = t
	f.scopes[sc.key] = append(f.scopes[sc.key], t)
	return t
}

// newTokenIDLocked mints an id no live token has. 8.x ids have 12 digits and grow, keeping their
// leading zeros ("075905477751"); 9.x ids have 10 to 12 digits, no leading zero, in no order.
func (f *Fake) newTokenIDLocked() string {
	if !f.cfg.version.mintsShortIDs() {
		f.nextToken += 1 + f.rnd.Int64N(1000)
		return fmt.Sprintf("%012d", f.nextToken)
	}
	for {
		lowest := int64(1_000_000_000) // 10 digits
		for range f.rnd.IntN(3) {
			lowest *= 10
		}
		id := strconv.FormatInt(lowest+f.rnd.Int64N(9*lowest), 10)
		if f.tokens[id] == nil {
			return id
		}
	}
}

// removeTokenLocked deletes a token; its scope slice stays in creation order. Its secret joins
// the ring of recently retired ones, pushing the oldest out.
func (f *Fake) removeTokenLocked(t *token) {
	list := f.scopes[t.scope]
	i := sort.Search(len(list), func(i int) bool { return list[i].seq >= t.seq })
	if i < len(list) && list[i] == t {
		list = append(list[:i], list[i+1:]...)
		list[:len(list)+1][len(list)] = nil // let the deleted token go
		f.scopes[t.scope] = list
	}
	delete(f.tokens, t.id)
	if t.secret != "" {
		delete(f.bySecret, t.secret)
		f.retireLocked(mintedSecret{seq: t.seq, secret: t.secret})
	}
}

func (f *Fake) retireLocked(m mintedSecret) {
	if len(f.retired) < RetiredSecrets {
		f.retired = append(f.retired, m)
	} else {
		delete(f.retiredSet, f.retired[f.retiredNext].secret)
		f.retired[f.retiredNext] = m
		f.retiredNext = (f.retiredNext + 1) % RetiredSecrets
	}
	f.retiredSet[m.secret] = true
}

// pageLocked returns the page of a scope's tokens, newest first, at position start. The scope's
// slice is oldest first, so the n-th newest is list[len-1-n]: a page costs O(limit).
func (f *Fake) pageLocked(scope string, start, limit int) (vals []*token, next int, last bool) {
	list := f.scopes[scope]
	stride := 1
	if f.cfg.sparse {
		stride = SparseStride
	}
	idx := start / stride
	if start%stride != 0 {
		idx++
	}
	n := len(list)
	if idx >= n {
		return nil, 0, true
	}
	end := n
	if limit < n-idx {
		end = idx + limit
	}
	vals = make([]*token, 0, end-idx)
	for i := idx; i < end; i++ {
		vals = append(vals, list[n-1-i])
	}
	return vals, end * stride, end >= n
}

// RetiredSecrets is how many secrets of deleted tokens the fake remembers, for [Fake.MintedSecrets]
// and for blanking them out of recorded requests. Older ones are forgotten, so memory stays flat
// over any number of create and delete cycles.
const RetiredSecrets = 1000
