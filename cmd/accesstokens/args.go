package main

// Positional arguments and their checks: scopes, token ids, permissions,
// expiry days; a bad one is a usage error naming it.

import (
	"strconv"
	"strings"

	"github.com/bbdc-tools/accesstokens"
)

// parseScopeArg reads a SCOPE argument or --scope value ("user:alice",
// "project:PRJ", "repo:PRJ/my-repo"); a bad one is a usage error naming it.
func parseScopeArg(what, s string) (accesstokens.Scope, error) {
	sc, err := accesstokens.ParseScope(s)
	if err != nil {
		return sc, usageError("%s", namedValue(what, s, trimPrefix(err)))
	}
	return sc, nil
}

// namedValue writes `FLAG "value": reason`, or `FLAG: reason` when the
// reason already quotes the value; a value that looks like a token secret
// is not repeated.
func namedValue(what, value, reason string) string {
	if looksLikeSecret(value) {
		return what + " " + secretArgNote + ": " + strings.ReplaceAll(reason, strconv.Quote(value), "it")
	}
	if strings.Contains(reason, strconv.Quote(value)) {
		return what + ": " + reason
	}
	return what + " " + strconv.Quote(value) + ": " + reason
}

// parseScopeArgs reads repeated --scope values.
func parseScopeArgs(values []string) ([]accesstokens.Scope, error) {
	scopes := make([]accesstokens.Scope, 0, len(values))
	for _, v := range values {
		sc, err := parseScopeArg("--scope", v)
		if err != nil {
			return nil, err
		}
		scopes = append(scopes, sc)
	}
	return scopes, nil
}

// parseScopeAndID reads the SCOPE ID arguments of get, update and rotate.
func parseScopeAndID(args []string) (accesstokens.Scope, string, error) {
	scope, err := parseScopeArg("SCOPE", args[0])
	if err != nil {
		return accesstokens.Scope{}, "", err
	}
	if err := checkTokenID(args[1]); err != nil {
		return accesstokens.Scope{}, "", err
	}
	return scope, args[1], nil
}

// checkTokenID refuses what cannot be a token id (Bitbucket's ids are
// strings of digits, leading zeros included) before any request.
func checkTokenID(id string) error {
	if id == "" || strings.Trim(id, "0123456789") != "" {
		return usageError("ID %s: a token id is a string of digits, as list shows it", argText(id))
	}
	return nil
}

// parsePermissions reads repeated --perm values; each may also be a
// comma-separated list ("--perm project_read,repo_write").
func parsePermissions(values []string) ([]accesstokens.Permission, error) {
	var perms []accesstokens.Permission
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			p, err := accesstokens.ParsePermission(part)
			if err != nil {
				return nil, usageError("--perm %q: use PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE or REPO_ADMIN", part)
			}
			perms = append(perms, p)
		}
	}
	return perms, nil
}

// checkExpiryDays refuses a negative or absurd --expiry-days before anything
// is sent: the SDK's bound, accesstokens.MaxExpiryDays (about 100 years).
func checkExpiryDays(days int) error {
	switch {
	case days < 0:
		return usageError("--expiry-days: must not be negative, got %d", days)
	case days > accesstokens.MaxExpiryDays:
		return usageError("--expiry-days: at most %d (100 years), got %d: a later expiry date cannot be stored and read back", accesstokens.MaxExpiryDays, days)
	}
	return nil
}

// expiryDaysMost is the bound of --expiry-days as its flag's help says it.
var expiryDaysMost = strconv.Itoa(accesstokens.MaxExpiryDays)
