package accesstokenstest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// scopeRef is a resolved token scope: a user's personal tokens, a project's or a repository's.
type scopeRef struct {
	kind    scopeKind
	key     string // scope string, the key of Fake.scopes
	user    *user
	project *project
	repo    *repo
}

func (s scopeRef) owner() *user {
	switch s.kind {
	case scopeProject:
		return s.project.bot
	case scopeRepo:
		return s.repo.bot
	}
	return s.user
}

// describe names the owner in messages, as Bitbucket does.
func (s scopeRef) describe() string {
	switch s.kind {
	case scopeProject:
		return "Project " + s.project.key
	case scopeRepo:
		return "Repository " + s.project.key + "/" + s.repo.slug
	}
	return "User " + s.user.name
}

// addTokenLocked stores a new token, newest at the end of its scope's slice. Tokens must be added
// in order of creation (created never before the newest of the scope).
func (f *Fake) addTokenLocked(sc scopeRef, name string, perms []string, created time.Time, expiry stamp, withSecret bool) *token {
	f.nextToken += 1 + f.rnd.Int64N(1000)
	t := &token{
		id: fmt.Sprintf("%012d", f.nextToken), name: name, scope: sc.key, kind: sc.kind,
		owner: sc.owner(), perms: perms, created: created, expiry: expiry,
	}
	if withSecret {
		t.secret = newSecret(t.id)
		f.bySecret[t.secret] = t
		if !slices.Contains(f.secretLens, len(t.secret)) {
			f.secretLens = append(f.secretLens, len(t.secret))
		}
	}
	f.tokens[t.id] = t
	f.scopes[sc.key] = append(f.scopes[sc.key], t)
	return t
}

// newSecret makes a secret in the newer server format: "BBDC-" + base64("<id>:" + 20 random bytes).
func newSecret(id string) string {
	raw := make([]byte, 20)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(append([]byte(id+":"), raw...))
}

// removeTokenLocked deletes a token; its scope slice stays sorted by id. Its secret joins the
// ring of recently retired ones, pushing the oldest out.
func (f *Fake) removeTokenLocked(t *token) {
	list := f.scopes[t.scope]
	i := sort.Search(len(list), func(i int) bool { return list[i].id >= t.id })
	if i < len(list) && list[i] == t {
		list = append(list[:i], list[i+1:]...)
		list[:len(list)+1][len(list)] = nil // let the deleted token go
		f.scopes[t.scope] = list
	}
	delete(f.tokens, t.id)
	if t.secret != "" {
		delete(f.bySecret, t.secret)
		f.retireLocked(mintedSecret{id: t.id, secret: t.secret})
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

func (t *token) expired(now time.Time) bool {
	return t.expiry != 0 && now.UnixMilli() >= int64(t.expiry)
}

// Wire types: what Bitbucket sends. Kept separate from the root package on purpose.

type wireHref struct {
	Href string `json:"href"`
}

type wireLinks struct {
	Self []wireHref `json:"self"`
}

type wireUser struct {
	Name         string    `json:"name"`
	EmailAddress *string   `json:"emailAddress"`
	Active       bool      `json:"active"`
	DisplayName  string    `json:"displayName"`
	ID           int       `json:"id"`
	Slug         string    `json:"slug"`
	Type         string    `json:"type"`
	Links        wireLinks `json:"links"`
}

type wireToken struct {
	ID                string   `json:"id"`
	CreatedDate       int64    `json:"createdDate"`
	ExpiryDate        *int64   `json:"expiryDate,omitempty"`
	LastAuthenticated *int64   `json:"lastAuthenticated,omitempty"`
	Name              string   `json:"name"`
	Permissions       []string `json:"permissions"`
	User              wireUser `json:"user"`
	Token             string   `json:"token,omitempty"`
}

type wirePage[T any] struct {
	Size          int  `json:"size"`
	Limit         int  `json:"limit"`
	IsLastPage    bool `json:"isLastPage"`
	Start         int  `json:"start"`
	NextPageStart *int `json:"nextPageStart,omitempty"`
	Values        []T  `json:"values"`
}

type wirePolicy struct {
	MaxExpiryDays *int `json:"maxExpiryDays,omitempty"`
}

type wireError struct {
	Context       *string `json:"context"`
	Message       string  `json:"message"`
	ExceptionName *string `json:"exceptionName"`
}

type wireErrors struct {
	Errors []wireError `json:"errors"`
}

func (u *user) wire(base string) wireUser {
	w := wireUser{
		ID: u.id, Name: u.name, Slug: u.slug, DisplayName: u.displayName, Active: !u.inactive, Type: "NORMAL",
	}
	dir := "/users/"
	if u.service {
		w.Type, dir = "SERVICE", "/bots/"
	} else {
		email := u.email
		w.EmailAddress = &email
	}
	w.Links.Self = []wireHref{{Href: base + dir + u.slug}}
	return w
}

func (t *token) wire(base string) wireToken {
	return wireToken{
		ID: t.id, Name: t.name, CreatedDate: t.created.UnixMilli(), ExpiryDate: t.expiry.json(),
		LastAuthenticated: t.lastAuth.json(), Permissions: append([]string(nil), t.perms...),
		User: t.owner.wire(base),
	}
}

func millis(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

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

// validateExpiry checks expiryDays on create against the admin policy (0 = none).
func validateExpiry(days *int, policy int) *apiError {
	if days != nil && *days < 0 {
		return badRequest("expiryDays", "The expiry must not be negative.")
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
