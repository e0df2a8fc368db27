package audit

// Findings: the names of what an audit says about a token, and their parsing.

import (
	"strconv"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// Finding is one thing an audit says about a token. A token can carry
// several. The names are those of the command's contract and never change.
type Finding string

// The findings, in the order AllFindings lists them.
const (
	Expired       Finding = "expired"        // expiry date is past
	Expiring      Finding = "expiring"       // not yet expired, expires within Rules.Expiring
	NoExpiry      Finding = "no-expiry"      // never expires
	NeverUsed     Finding = "never-used"     // no last-authenticated date
	Unused        Finding = "unused"         // used, but last longer ago than Rules.Unused
	Admin         Finding = "admin"          // holds PROJECT_ADMIN or REPO_ADMIN
	InactiveOwner Finding = "inactive-owner" // a personal token whose owner is deactivated
	// BadDate: a date the server sent cannot be read (a year past 9999, a
	// malformed value); the token is shown without it, and no finding comes
	// from that date's absence (see Token.UnreadDates).
	BadDate Finding = "bad-date"
)

// allFindings is AllFindings' answer; a finding's index here is its bit in a findingSet.
var allFindings = [...]Finding{Expired, Expiring, NoExpiry, NeverUsed, Unused, Admin, InactiveOwner, BadDate}

// numFindings is how many findings there are.
const numFindings = len(allFindings)

// AllFindings returns every finding, in a fixed order: expired, expiring,
// no-expiry, never-used, unused, admin, inactive-owner, bad-date. The slice
// is the caller's.
func AllFindings() []Finding {
	out := make([]Finding, numFindings)
	copy(out, allFindings[:])
	return out
}

// index returns the finding's position in AllFindings, or -1 for a name that
// is not a finding.
func (f Finding) index() int {
	for i, g := range allFindings {
		if g == f {
			return i
		}
	}
	return -1
}

// findingNames is the list of names for error messages.
func findingNames() string {
	names := make([]string, numFindings)
	for i, f := range allFindings {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// ParseFindings reads a comma-separated list of finding names, such as
// "expired,expiring" (the command's --fail-on). Spaces around names are
// ignored and a repeated name counts once. An unknown or empty name is an
// error naming it that matches accesstokens.ErrInvalidArgument.
func ParseFindings(list string) ([]Finding, error) {
	if strings.TrimSpace(list) == "" {
		return nil, invalid("findings", "the list is empty: use one or more of "+findingNames())
	}
	var seen findingSet
	var out []Finding
	for _, name := range strings.Split(list, ",") {
		f := Finding(strings.TrimSpace(name))
		if f == "" {
			return nil, invalid("findings", strconv.Quote(list)+" has an empty name (two commas, or one at an end)")
		}
		i := f.index()
		if i < 0 {
			return nil, invalid("findings", "unknown finding "+strconv.Quote(string(f))+": use "+findingNames())
		}
		if !seen.has(i) {
			seen = seen.with(i)
			out = append(out, f)
		}
	}
	return out, nil
}

// maxAgeDays bounds an age so that it fits a time.Duration with room to
// spare (about 27 years).
const maxAgeDays = 10_000

// ParseAge reads an age such as "30d" (days), "12h" (hours) or "2w"
// (weeks): a whole number above zero and one unit, as the command's
// --expiring and --unused take it. "30x", "", "0d" and "-1d" are errors
// naming the value that match accesstokens.ErrInvalidArgument.
func ParseAge(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, invalid("age", strconv.Quote(s)+": "+why)
	}
	if len(s) < 2 {
		return bad("want a whole number and a unit, like 30d, 12h or 2w")
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'h':
		unit = time.Hour
	case 'd':
		unit = day
	case 'w':
		unit = 7 * day
	default:
		return bad("unknown unit: use h (hours), d (days) or w (weeks), like 30d")
	}
	digits := s[:len(s)-1]
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return bad("want a whole number and a unit, like 30d, 12h or 2w")
		}
	}
	n, err := strconv.Atoi(digits)
	switch {
	case err != nil || time.Duration(n) > maxAgeDays*day/unit:
		return bad("too long (at most " + strconv.Itoa(maxAgeDays) + "d)")
	case n == 0:
		return bad("must be more than zero")
	}
	return time.Duration(n) * unit, nil
}

// day is 24 hours: the unit of ages such as --expiring 30d.
const day = 24 * time.Hour

// invalid is an argument error naming the field, matching accesstokens.ErrInvalidArgument.
func invalid(field, reason string) error {
	return &accesstokens.InvalidArgumentError{Field: field, Reason: reason}
}

// findingSet holds findings as bits, indexed as in AllFindings (room for 16).
type findingSet uint16

func (s findingSet) has(i int) bool        { return s&(1<<i) != 0 }
func (s findingSet) with(i int) findingSet { return s | 1<<i }
func (s findingSet) withIf(i int, on bool) findingSet {
	if on {
		return s.with(i)
	}
	return s
}

// list returns the set's findings in AllFindings order: an empty, non-nil
// slice for the empty set.
func (s findingSet) list() []Finding {
	out := []Finding{}
	for i, f := range allFindings {
		if s.has(i) {
			out = append(out, f)
		}
	}
	return out
}
