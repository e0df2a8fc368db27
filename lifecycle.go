package accesstokens

import (
	"strings"
	"time"
)

// Token lifecycle: when a token expires, how long it was made to live, and
// the permission names people type.

// Expired reports whether the token's expiry date is at or before now. A
// token that never expires is never expired.
func (t AccessToken) Expired(now time.Time) bool {
	return t.ExpiryDate != nil && !now.Before(*t.ExpiryDate)
}

// ExpiresWithin reports whether the token expires at or before now+d. It is
// false for a token that never expires and true for one already expired
// (whatever d, so ExpiresWithin(0, now) is Expired(now)).
func (t AccessToken) ExpiresWithin(d time.Duration, now time.Time) bool {
	return t.ExpiryDate != nil && (t.Expired(now) || !now.Add(d).Before(*t.ExpiryDate))
}

// ExpiryDays is the token's lifetime in whole days, from CreatedDate to
// ExpiryDate rounded to the nearest day: the server adds days in its own time
// zone, so a lifetime that crosses a daylight-saving change is an hour
// short or long of whole days and still counts whole days. It is 0 for a
// token that never expires and at least 1 for one that does.
func (t AccessToken) ExpiryDays() int {
	if t.ExpiryDate == nil {
		return 0
	}
	const day = 24 * time.Hour
	life := t.ExpiryDate.Sub(t.CreatedDate) // saturates, so no overflow below
	days := int(life / day)
	if life%day >= day/2 {
		days++
	}
	return max(days, 1)
}

// ParsePermission reads a permission name, case-insensitively: "repo_write"
// is RepoWrite. An unknown name is ErrInvalidArgument.
func ParsePermission(s string) (Permission, error) {
	p := Permission(strings.ToUpper(strings.TrimSpace(s)))
	if _, known := permissionLevel[p]; !known {
		return "", invalidArg("permission", "unknown permission %q: use PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE or REPO_ADMIN", truncate(s, 40))
	}
	return p, nil
}
