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
	// DaysLeft counts the days until expiry the way people read a calendar:
	// the days in UTC from today's date to the expiry date (see DaysLeft).
	// nil: the token never expires.
	DaysLeft *int
}

// DaysLeft counts calendar days in UTC from now's date to expiry's date, so
// that a 30-day token created today has 30 days left until its last day,
// one that expires later today has 0, and one that expired yesterday has -1.
// An expired token (expiry at or before now) always has a negative count:
// one that expired earlier today has -1 too. Days are UTC dates, whatever
// the zone of either time: daylight saving never shifts a count.
func DaysLeft(expiry, now time.Time) int {
	n := utcDate(expiry) - utcDate(now)
	if !expiry.After(now) && n > -1 {
		n = -1
	}
	return n
}

// utcDate numbers t's date in UTC (days since 1970-01-01).
func utcDate(t time.Time) int {
	y, m, d := t.UTC().Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / (24 * 60 * 60))
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
// (in AllFindings order) and its DaysLeft. ownerActive matters only for a
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
	tok := Token{Scope: scope, AccessToken: t}
	set := judge(scope, &t, ownerActive, r)
	tok.Findings = set.list()
	if t.ExpiryDate != nil {
		left := DaysLeft(*t.ExpiryDate, r.Now)
		tok.DaysLeft = &left
	}
	return tok
}

// judge computes a token's findings.
func judge(scope accesstokens.Scope, t *accesstokens.AccessToken, ownerActive bool, r *Rules) findingSet {
	var s findingSet
	if t.ExpiryDate == nil {
		s = s.with(noExpiryBit)
	} else {
		left := t.ExpiryDate.Sub(r.Now)
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
	return s
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
