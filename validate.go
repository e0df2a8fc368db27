package accesstokens

import "strings"

// Input validation. Everything here runs before a request is built, so bad
// input never reaches the server; each error wraps ErrInvalidArgument and
// names the field.

// checkSegment refuses path segments that would change which resource a
// request reaches once the server normalises the path.
func checkSegment(field, v string) error {
	switch v {
	case "":
		return invalidArg(field, "must not be empty")
	case ".", "..":
		return invalidArg(field, "must not be %q", v)
	}
	return nil
}

func validateCreate(kind scopeKind, req CreateTokenRequest) error {
	if strings.TrimSpace(req.Name) == "" {
		return invalidArg("Name", "must not be empty")
	}
	if len(req.Permissions) == 0 {
		return invalidArg("Permissions", "at least one permission is required")
	}
	if err := validatePermissions(kind, req.Permissions); err != nil {
		return err
	}
	return checkExpiryDays(req.ExpiryDays)
}

// MaxExpiryDays is the longest expiry, in days, a create may ask for: 36,500,
// about 100 years. A token that lives longer does not expire in any way that
// matters, and past about 2.9 million days its expiry date falls after the
// year 9999, which no client can read back (a server that accepted such a
// create made a token nobody could list). For a token that never expires,
// leave ExpiryDays 0.
const MaxExpiryDays = 36500

// checkExpiryDays refuses a negative expiry and one longer than MaxExpiryDays.
func checkExpiryDays(days int) error {
	switch {
	case days < 0:
		return invalidArg("ExpiryDays", "must not be negative, got %d", days)
	case days > MaxExpiryDays:
		return invalidArg("ExpiryDays", "must be at most %d (MaxExpiryDays, about 100 years), got %d: a longer expiry is no expiry (0: never expires)", MaxExpiryDays, days)
	}
	return nil
}

func validateUpdate(kind scopeKind, req UpdateTokenRequest) error {
	if req.Name != nil && strings.TrimSpace(*req.Name) == "" {
		return invalidArg("Name", "must not be empty when set")
	}
	if req.Permissions != nil {
		if len(req.Permissions) == 0 {
			return invalidArg("Permissions", "must not be empty when set (nil leaves them unchanged)")
		}
		return validatePermissions(kind, req.Permissions)
	}
	return nil
}

// permissionLevel orders READ < WRITE < ADMIN within each family.
var permissionLevel = map[Permission]int{
	ProjectRead: 1, ProjectWrite: 2, ProjectAdmin: 3,
	RepoRead: 1, RepoWrite: 2, RepoAdmin: 3,
}

func validatePermissions(kind scopeKind, perms []Permission) error {
	var project, repo Permission
	for i, p := range perms {
		level, known := permissionLevel[p]
		if !known || level == 0 {
			return invalidArg("Permissions", "unknown permission %q", string(p))
		}
		for _, q := range perms[:i] {
			if q == p {
				return invalidArg("Permissions", "%s is repeated", p)
			}
		}
		if strings.HasPrefix(string(p), "PROJECT_") {
			if kind == repoScope {
				return invalidArg("Permissions", "a repository token cannot hold %s", p)
			}
			if project != "" {
				return invalidArg("Permissions", "at most one PROJECT_* permission, got %s and %s", project, p)
			}
			project = p
		} else {
			if repo != "" {
				return invalidArg("Permissions", "at most one REPO_* permission, got %s and %s", repo, p)
			}
			repo = p
		}
	}
	if project != "" && repo != "" && permissionLevel[repo] < permissionLevel[project] {
		return invalidArg("Permissions", "%s is below %s: the repository level must be at least the project level", repo, project)
	}
	return nil
}
