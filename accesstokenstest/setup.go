// Building a world by hand: users, projects, repositories, their bots and admin rights.

package accesstokenstest

import (
	"fmt"
	"strings"
)

// AddUser adds a NORMAL user whose slug equals name, or updates the password and system-admin flag
// of an existing one. An empty password disables password authentication for the user.
func (f *Fake) AddUser(name, password string, sysAdmin bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addUserLocked(name, password, sysAdmin)
}

func (f *Fake) addUserLocked(name, password string, sysAdmin bool) *user {
	defer f.refreshPasswordsLocked()
	f.dir = nil
	if u, ok := f.users[name]; ok {
		u.password, u.sysAdmin = password, sysAdmin
		return u
	}
	f.nextUserID++
	u := &user{
		id: f.nextUserID, name: name, slug: name, displayName: displayName(name),
		email: name + "@example.com", password: password, sysAdmin: sysAdmin,
	}
	f.users[name] = u
	return u
}

// refreshPasswordsLocked lists the passwords that recorded requests must not show: a password that
// equals a user's name is that name, and blanking it would blank the name.
func (f *Fake) refreshPasswordsLocked() {
	f.passwords = f.passwords[:0]
	for _, u := range f.users {
		if u.password != "" && f.users[u.password] == nil {
			f.passwords = append(f.passwords, u.password)
		}
	}
}

// SetUserActive deactivates (false) or reactivates (true) a user, as an admin does in Bitbucket:
// a deactivated user cannot authenticate, by password or token, and is listed with active false
// by /rest/api/latest/admin/users and not at all by /rest/api/latest/users; its personal tokens
// stay. It panics if the user does not exist.
func (f *Fake) SetUserActive(name string, active bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustUserLocked(name).inactive = !active
	f.dir = nil
}

func displayName(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// AddProject adds a project, or renames an existing one.
func (f *Fake) AddProject(key, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addProjectLocked(key, name)
}

func (f *Fake) addProjectLocked(key, name string) *project {
	f.dir = nil
	if p, ok := f.projects[key]; ok {
		p.name = name
		return p
	}
	f.nextProject++
	p := &project{id: f.nextProject, key: key, name: name, admins: map[string]bool{}, repos: map[string]*repo{}}
	p.bot = f.newBotLocked(1, p.id, name)
	p.bot.botOf = p
	f.projects[key] = p
	return p
}

// AddPersonalRepo adds a repository to a user's personal project (key [PersonalProjectKey]),
// creating the project on first use; its token endpoints are
// /projects/~ALICE/repos/{slug}, for the user and system administrators. Personal projects are
// not in /rest/api/latest/projects; their repositories are in /rest/api/latest/repos with a
// project of type PERSONAL. It panics if the user does not exist.
func (f *Fake) AddPersonalRepo(userName, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addPersonalRepoLocked(f.mustUserLocked(userName), slug)
}

func (f *Fake) addPersonalRepoLocked(u *user, slug string) *repo {
	key := PersonalProjectKey(u.slug)
	p := f.projects[key]
	if p == nil {
		p = f.addProjectLocked(key, u.displayName)
		p.owner = u
		p.admins[u.name] = true
	}
	return f.addRepoLocked(p, slug)
}

// AddRepo adds a repository to a project; adding an existing one does nothing.
// It panics if the project does not exist.
func (f *Fake) AddRepo(projectKey, slug string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addRepoLocked(f.mustProjectLocked(projectKey), slug)
}

func (f *Fake) addRepoLocked(p *project, slug string) *repo {
	if rp, ok := p.repos[slug]; ok {
		return rp
	}
	f.dir = nil
	f.nextRepo++
	rp := &repo{id: f.nextRepo, slug: slug, name: slug, project: p, admins: map[string]bool{}}
	rp.bot = f.newBotLocked(2, rp.id, slug)
	rp.bot.botOfRepo = rp
	p.repos[slug] = rp
	return rp
}

// SetRepoArchived archives (true) or unarchives (false) a repository. Archived repositories are
// left out of /rest/api/latest/repos unless archived=ARCHIVED or ALL is asked for; their tokens
// work as before. It panics if the repository does not exist.
func (f *Fake) SetRepoArchived(projectKey, repoSlug string, archived bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepoLocked(projectKey, repoSlug).archived = archived
	f.dir = nil
}

// newBotLocked makes the SERVICE user that owns a project's (kind 1) or repository's (kind 2) tokens.
func (f *Fake) newBotLocked(kind, id int, label string) *user {
	f.nextUserID++
	name := fmt.Sprintf("access-token-user/%d/%d", kind, id)
	bot := &user{
		id: f.nextUserID, name: name, slug: strings.ReplaceAll(name, "/", "_"),
		displayName: "Access Token User - " + label, service: true,
	}
	f.bots = append(f.bots, bot)
	return bot
}

// GrantProjectAdmin makes user a project admin of the project (and so repository admin of all its
// repositories). It panics if either does not exist.
func (f *Fake) GrantProjectAdmin(projectKey, userName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustProjectLocked(projectKey)
	f.mustUserLocked(userName)
	p.admins[userName] = true
}

// GrantRepoAdmin makes user a repository admin of one repository. It panics if the repository or
// the user does not exist.
func (f *Fake) GrantRepoAdmin(projectKey, repoSlug, userName string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rp := f.mustRepoLocked(projectKey, repoSlug)
	f.mustUserLocked(userName)
	rp.admins[userName] = true
}

func (f *Fake) mustProjectLocked(key string) *project {
	p, ok := f.projects[key]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no project %q", key))
	}
	return p
}

func (f *Fake) mustRepoLocked(projectKey, repoSlug string) *repo {
	rp, ok := f.mustProjectLocked(projectKey).repos[repoSlug]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no repository %s/%s", projectKey, repoSlug))
	}
	return rp
}

func (f *Fake) mustUserLocked(name string) *user {
	u, ok := f.users[name]
	if !ok {
		panic(fmt.Sprintf("accesstokenstest: no user %q", name))
	}
	return u
}
