package audit

// Classify: judging one token by the Rules, into its findings and days left.

import (
	"slices"
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
	// nil: the token never expires, or its expiry date cannot be read.
	DaysLeft *int
	// UnreadDates names the dates the server sent that could not be read,
	// by their JSON field ("createdDate", "expiryDate",
	// "lastAuthenticated"): nil or zero in the token, they are unknown, not
	// absent. Such a token carries BadDate; it is never NoExpiry, Expired or
	// Expiring for want of an expiry date it cannot read, nor NeverUsed or
	// Unused for want of a last use. Empty for a token read in full.
	UnreadDates []string
}

// The JSON fields of a token's dates, as UnreadDates names them.
const (
	CreatedDateField       = "createdDate"
	ExpiryDateField        = "expiryDate"
	LastAuthenticatedField = "lastAuthenticated"
)

// Unread reports whether the date of the JSON field (such as "expiryDate")
// could not be read.
func (t Token) Unread(field string) bool { return slices.Contains(t.UnreadDates, field) }

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
	return classified(scope, t, nil, ownerActive, &r)
}

// ClassifyInvalid is Classify for a token the server sent that could not be
// read in full (an *accesstokens.InvalidTokenError, as Get returns it or All
// yields it): inv.Token, as far as it was read, with BadDate and its
// UnreadDates (see UnreadDatesOf).
func ClassifyInvalid(scope accesstokens.Scope, inv *accesstokens.InvalidTokenError, ownerActive bool, r Rules) Token {
	r = r.withDefaults()
	return classified(scope, inv.Token, UnreadDatesOf(inv), ownerActive, &r)
}

// UnreadDatesOf names the dates of inv's token that cannot be trusted, in
// the token's order (createdDate, expiryDate, lastAuthenticated): the field
// that failed and, when more than one failed (the SDK then joins their
// errors into one), every date the token lacks, since any of them may be
// one that failed.
func UnreadDatesOf(inv *accesstokens.InvalidTokenError) []string {
	_, several := inv.Err.(interface{ Unwrap() []error })
	t := &inv.Token
	var unread []string
	for _, d := range [...]struct {
		field  string
		absent bool
	}{
		{CreatedDateField, t.CreatedDate.IsZero()},
		{ExpiryDateField, t.ExpiryDate == nil},
		{LastAuthenticatedField, t.LastAuthenticated == nil},
	} {
		if d.field == inv.Field || (several && d.absent) {
			unread = append(unread, d.field)
		}
	}
	if unread == nil { // a field this package does not know: still unreadable
		unread = []string{inv.Field}
	}
	return unread
}

// classified is a token with its findings and days left under r (defaults
// filled in); unread names its dates that could not be read.
func classified(scope accesstokens.Scope, t accesstokens.AccessToken, unread []string, ownerActive bool, r *Rules) Token {
	tok := Token{Scope: scope, AccessToken: t, UnreadDates: unread}
	set := findingsOf(scope, &tok, ownerActive, r)
	tok.Findings = set.list()
	if t.ExpiryDate != nil {
		left := DaysLeft(*t.ExpiryDate, r.Now)
		tok.DaysLeft = &left
	}
	return tok
}

// findingsOf computes a token's findings. A date that could not be read gives
// BadDate and nothing else: its absence says nothing.
func findingsOf(scope accesstokens.Scope, t *Token, ownerActive bool, r *Rules) findingSet {
	var s findingSet
	switch {
	case len(t.UnreadDates) > 0 && t.Unread(ExpiryDateField):
	case t.ExpiryDate == nil:
		s = s.with(noExpiryBit)
	default:
		left := t.ExpiryDate.Sub(r.Now)
		s = s.withIf(expiredBit, left <= 0)
		s = s.withIf(expiringBit, left > 0 && left <= r.Expiring)
	}
	switch {
	case len(t.UnreadDates) > 0 && t.Unread(LastAuthenticatedField):
	case t.LastAuthenticated == nil:
		s = s.with(neverUsedBit)
	default:
		s = s.withIf(unusedBit, r.Now.Sub(*t.LastAuthenticated) > r.Unused)
	}
	s = s.withIf(adminBit, holdsAdmin(t.Permissions))
	s = s.withIf(inactiveOwnerBit, !ownerActive && isUserScope(scope))
	s = s.withIf(badDateBit, len(t.UnreadDates) > 0)
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
	badDateBit
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
