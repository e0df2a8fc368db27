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

// ExpiresWithin reports whether the token expires before now+d. It is false
// for a token that never expires and true for one already expired.
func (t AccessToken) ExpiresWithin(d time.Duration, now time.Time) bool {
	return t.ExpiryDate != nil && t.ExpiryDate.Before(now.Add(d))
}

// ExpiryDays is the token's lifetime in whole days, from CreatedDate to
// ExpiryDate rounded to the nearest day (so a lifetime that crosses a
// daylight-saving change, 23 or 25 hours short or long of whole days, still
// counts whole days). It is 0 for a token that never expires, and at least 1
// for one that does.
func (t AccessToken) ExpiryDays() int {
	if t.ExpiryDate == nil {
		return 0
	}
	days := int((t.ExpiryDate.Sub(t.CreatedDate) + 12*time.Hour) / (24 * time.Hour))
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
