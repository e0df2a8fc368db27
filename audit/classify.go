// Judging one token: the rules (clock and thresholds), the Token an audit
// reports, and Classify.

package audit

import (
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// The thresholds used when Rules leaves them zero.
const (
	DefaultExpiring = 30 * day // a token expiring within this is "expiring"
	DefaultUnused   = 90 * day // a token last used longer ago than this is "unused"
)

// Rules are the clock and the thresholds a token is judged by.
type Rules struct {
	Now      time.Time     // zero: time.Now() (at the start of Run)
	Expiring time.Duration // 0: DefaultExpiring (30 days)
	Unused   time.Duration // 0: DefaultUnused (90 days)
}

// withDefaults fills the zero fields in.
func (r Rules) withDefaults() Rules {
	if r.Now.IsZero() {
		r.Now = time.Now()
	}
	if r.Expiring <= 0 {
		r.Expiring = DefaultExpiring
	}
	if r.Unused <= 0 {
		r.Unused = DefaultUnused
	}
	return r
}

// Token is one token as the audit reports it: where it lives, what the
// server says about it (never a secret: the server shows a secret only once,
// at creation), and what the audit found.
type Token struct {
	Scope accesstokens.Scope
	accesstokens.AccessToken
	// Findings are in AllFindings order, empty when there is nothing to say.
	Findings []Finding
	// DaysLeft is how many whole days remain until expiry, rounded toward
	// minus infinity: 0 in the last day, -1 for a token that expired in the
	// last 24 hours (so an expired token always has a negative DaysLeft).
	// nil: the token never expires.
	DaysLeft *int
}

// Owner returns the slug of the token's owner: the user for a personal
// token, Bitbucket's bot (SERVICE) user for a project or repository token,
// or "" when the server did not say.
func (t Token) Owner() string {
	if t.User == nil {
		return ""
	}
	return t.User.Slug
}

// Has reports whether the token carries the finding.
func (t Token) Has(f Finding) bool {
	for _, g := range t.Findings {
		if g == f {
			return true
		}
	}
	return false
}

// Classify judges one token of scope by r and returns it with its findings
// (in AllFindings order) and DaysLeft. ownerActive matters only for a
// personal token (a user scope): false gives it InactiveOwner.
//
// The boundaries: a token is Expired from its expiry instant on; Expiring
// when it expires after now and at most r.Expiring from now (exactly 30 days
// away is expiring); Unused when its last use is more than r.Unused ago
// (exactly 90 days ago is not yet unused). A zero r.Now is time.Now().
func Classify(scope accesstokens.Scope, t accesstokens.AccessToken, ownerActive bool, r Rules) Token {
	r = r.withDefaults()
	return judged(scope, t, ownerActive, &r)
}

// judged is a token with its findings and days left under r (defaults filled in).
func judged(scope accesstokens.Scope, t accesstokens.AccessToken, ownerActive bool, r *Rules) Token {
	set, daysLeft := judge(scope, &t, ownerActive, r)
	tok := Token{Scope: scope, AccessToken: t, Findings: set.list()}
	if t.ExpiryDate != nil {
		tok.DaysLeft = &daysLeft
	}
	return tok
}

// judge computes a token's findings and, when it expires, its days left.
func judge(scope accesstokens.Scope, t *accesstokens.AccessToken, ownerActive bool, r *Rules) (findingSet, int) {
	var s findingSet
	daysLeft := 0
	if t.ExpiryDate == nil {
		s = s.with(noExpiryBit)
	} else {
		left := t.ExpiryDate.Sub(r.Now)
		daysLeft = floorDays(left)
		if left == 0 {
			daysLeft = -1 // expired this very instant: an expired token has a negative DaysLeft
		}
		s = s.withIf(expiredBit, left <= 0)
		s = s.withIf(expiringBit, left > 0 && left <= r.Expiring)
	}
	if t.LastAuthenticated == nil {
		s = s.with(neverUsedBit)
	} else {
		s = s.withIf(unusedBit, r.Now.Sub(*t.LastAuthenticated) > r.Unused)
	}
	s = s.withIf(adminBit, holdsAdmin(t.Permissions))
	s = s.withIf(inactiveOwnerBit, !ownerActive && isUserScope(scope))
	return s, daysLeft
}

// Bits of the findings in a findingSet (their index in AllFindings).
const (
	expiredBit = iota
	expiringBit
	noExpiryBit
	neverUsedBit
	unusedBit
	adminBit
	inactiveOwnerBit
)

func holdsAdmin(perms []accesstokens.Permission) bool {
	for _, p := range perms {
		if p == accesstokens.ProjectAdmin || p == accesstokens.RepoAdmin {
			return true
		}
	}
	return false
}

// isUserScope reports whether the scope is a user's (personal tokens).
func isUserScope(s accesstokens.Scope) bool {
	return s.UserSlug != "" && s.ProjectKey == "" && s.RepoSlug == ""
}

// floorDays counts whole days in d, rounding toward minus infinity, so that
// a token that expired an hour ago has -1 days left, not 0.
func floorDays(d time.Duration) int {
	days := d / day
	if d < 0 && d%day != 0 {
		days--
	}
	return int(days)
}
