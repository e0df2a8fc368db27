// Reading and checking create and update bodies: names, permissions, expiry.

package accesstokenstest

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Permissions and their levels; a token's repository level must be at least its project level.
var permissionLevels = map[string]struct {
	project bool
	level   int
}{
	"PROJECT_READ": {true, 1}, "PROJECT_WRITE": {true, 2}, "PROJECT_ADMIN": {true, 3},
	"REPO_READ": {false, 1}, "REPO_WRITE": {false, 2}, "REPO_ADMIN": {false, 3},
}

// tokenBody is a create or update body; a nil field was absent (or null).
type tokenBody struct {
	name        *string
	permissions []string // nil: absent
	expiryDays  *int
}

// parseTokenBody decodes a create or update body. Field names are matched exactly, as Jackson does;
// unknown fields are ignored.
func parseTokenBody(body []byte) (tokenBody, *apiError) {
	var tb tokenBody
	fields, err := parseObject(body)
	if err != nil {
		return tb, err
	}
	if raw, ok := fields["name"]; ok && !isNull(raw) {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return tb, badRequest("name", "The name must be a string.")
		}
		tb.name = &s
	}
	if raw, ok := fields["permissions"]; ok && !isNull(raw) {
		var ps []string
		if json.Unmarshal(raw, &ps) != nil {
			return tb, badRequest("permissions", "The permissions must be a list of strings.")
		}
		if ps == nil {
			ps = []string{}
		}
		tb.permissions = ps
	}
	if raw, ok := fields["expiryDays"]; ok && !isNull(raw) {
		var n int64
		if json.Unmarshal(raw, &n) != nil || n > math.MaxInt32 || n < math.MinInt32 {
			return tb, badRequest("expiryDays", "The expiry must be a whole number of days.")
		}
		d := int(n)
		tb.expiryDays = &d
	}
	return tb, nil
}

// parseObject decodes a JSON object body; an empty body counts as {}.
func parseObject(body []byte) (map[string]json.RawMessage, *apiError) {
	fields := map[string]json.RawMessage{}
	if strings.TrimSpace(string(body)) == "" {
		return fields, nil
	}
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return nil, badRequest("", "The request body is not a valid JSON object.")
	}
	return fields, nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

func validateName(name *string) *apiError {
	if name == nil || strings.TrimSpace(*name) == "" {
		return badRequest("name", "A name is required.")
	}
	if utf8.RuneCountInString(*name) > MaxNameLength {
		return badRequest("name", fmt.Sprintf("The name must be at most %d characters long.", MaxNameLength))
	}
	return nil
}

// validatePermissions applies Bitbucket's documented permission rules for a scope: known values,
// each at most once, at most one PROJECT_* and one REPO_*, none of PROJECT_* on a repository
// token, and a repository level at least the project level.
func validatePermissions(perms []string, kind scopeKind) *apiError {
	if len(perms) == 0 {
		return badRequest("permissions", "At least one permission is required.")
	}
	seen := map[string]bool{}
	projectLevel, repoLevel := 0, 0
	for _, p := range perms {
		pl, ok := permissionLevels[p]
		if !ok {
			return badRequest("permissions", fmt.Sprintf("%q is not a valid permission.", p))
		}
		if seen[p] {
			return badRequest("permissions", fmt.Sprintf("The permission %s is listed more than once.", p))
		}
		seen[p] = true
		switch {
		case pl.project && kind == scopeRepo:
			return badRequest("permissions", fmt.Sprintf("A repository token cannot have the permission %s.", p))
		case pl.project && projectLevel > 0, !pl.project && repoLevel > 0:
			return badRequest("permissions",
				"A token can have at most one project permission and one repository permission.")
		case pl.project:
			projectLevel = pl.level
		default:
			repoLevel = pl.level
		}
	}
	if projectLevel > 0 && repoLevel > 0 && repoLevel < projectLevel {
		return badRequest("permissions", "The repository permission must be at least the project permission.")
	}
	return nil
}

// validateExpiry checks expiryDays on create at now, on its own (see checkExpiryDays) and against
// the admin policy (0 = none).
func validateExpiry(days *int, policy int, now time.Time) *apiError {
	if days != nil {
		if e := checkExpiryDays(*days, now); e != nil {
			return e
		}
	}
	if policy > 0 {
		if days == nil || *days == 0 {
			return badRequest("expiryDays", fmt.Sprintf("An expiry of at most %d days is required.", policy))
		}
		if *days > policy {
			return badRequest("expiryDays", fmt.Sprintf("The expiry must be at most %d days.", policy))
		}
	}
	return nil
}

// MaxNameLength is the longest token name (in characters) the fake accepts, as Bitbucket's
// database column; a longer one is 400 with context "name".
const MaxNameLength = 255

// checkExpiryDays refuses a negative expiry, and one that would end after 9999-12-31, the last
// day RFC 3339 dates (and so JSON date libraries) can write: a token with such an expiry could
// be created but never listed by a client that reads its dates.
func checkExpiryDays(days int, now time.Time) *apiError {
	if days < 0 {
		return badRequest("expiryDays", "The expiry must not be negative.")
	}
	if most := maxExpiryDays(now); days > most {
		return badRequest("expiryDays", fmt.Sprintf(
			"The expiry must end by 9999-12-31: at most %d days from now, not %d.", most, days))
	}
	return nil
}

// maxExpiryDays is the most days a token created at now may last: whole days up to latestTime.
func maxExpiryDays(now time.Time) int {
	return int((latestTime.UnixMilli() - now.UnixMilli()) / (24 * 60 * 60 * 1000))
}
