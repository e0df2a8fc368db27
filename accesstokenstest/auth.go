// Authentication (Basic with a password or personal token, Bearer with any token) and the rights
// of a user who authenticated with a password.

package accesstokenstest

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// authResult is who a request's Authorization header says it is.
type authResult struct {
	kind  CredentialKind
	user  *user  // authenticated user: the token's owner (a bot for project and repository tokens)
	token *token // the token that authenticated, if one did
}

func (a authResult) userName() string {
	if a.user == nil {
		return ""
	}
	return a.user.name
}

// authenticateLocked checks an Authorization header against users and live tokens. It changes
// nothing: the caller marks a token as used.
func (f *Fake) authenticateLocked(header string) authResult {
	if header == "" {
		return authResult{kind: CredentialNone}
	}
	invalid := authResult{kind: CredentialInvalid}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok {
		return invalid
	}
	cred = strings.TrimSpace(cred)
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return invalid
		}
		name, password, ok := strings.Cut(string(raw), ":")
		u := f.users[name]
		if !ok || u == nil || u.inactive || password == "" {
			return invalid
		}
		if u.password != "" && subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1 {
			return authResult{kind: CredentialBasicPassword, user: u}
		}
		// Only personal tokens work as a Basic password, and only with their owner's name.
		if t := f.liveTokenLocked(password); t != nil && t.kind == scopeUser && t.owner == u {
			return authResult{kind: CredentialBasicToken, user: u, token: t}
		}
	case "bearer":
		if t := f.liveTokenLocked(cred); t != nil && !t.owner.inactive {
			return authResult{kind: CredentialBearer, user: t.owner, token: t}
		}
	}
	return invalid
}

// authenticateAndMarkLocked authenticates like authenticateLocked and, when a live token
// authenticated, sets its lastAuthenticated date to the fake time, whatever the request's outcome;
// the user's last authentication too.
func (f *Fake) authenticateAndMarkLocked(header string) authResult {
	a := f.authenticateLocked(header)
	if a.user != nil {
		now := f.clock.now()
		a.user.lastLogin = &now
		if a.token != nil {
			a.token.lastAuth = epochMillisOf(now)
		}
	}
	return a
}

// authenticate says who a header authenticates, changing nothing.
func (f *Fake) authenticate(header string) authResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authenticateLocked(header)
}

// liveTokenLocked finds the unexpired token with this secret.
func (f *Fake) liveTokenLocked(secret string) *token {
	if secret == "" {
		return nil
	}
	t := f.bySecret[secret]
	if t == nil || t.expired(f.clock.now()) {
		return nil
	}
	return t
}

// mayManage reports whether a user (authenticated by password) may perform op on a scope.
func mayManage(u *user, sc scopeRef, op operation) bool {
	if u.service {
		return false
	}
	switch sc.kind {
	case scopeUser:
		if u == sc.user {
			return true
		}
		// Admins may see, edit and revoke anyone's personal tokens, but not create them.
		return u.sysAdmin && op != opCreate
	case scopeProject:
		return u.sysAdmin || sc.project.admins[u.name]
	case scopeRepo:
		return u.sysAdmin || sc.project.admins[u.name] || sc.repo.admins[u.name]
	}
	return false
}
