// The core REST API's reads a server-wide inventory walks: projects, repositories and users,
// filtered by who is asking, and paged.

package accesstokenstest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// directory holds the sorted listings of the core REST API, so that a page costs O(limit) for a
// caller who sees everything. It is rebuilt after any change to users, projects or repositories.
type directory struct {
	projects    []*project // normal (not personal) projects, by key
	repos       []*repo    // every repository, by project key then slug
	active      []*repo    // those not archived
	archived    []*repo    // those archived
	users       []*user    // every user, bots included, by name
	activeUsers []*user    // those not deactivated
}

func (f *Fake) directoryLocked() *directory {
	if f.dir != nil {
		return f.dir
	}
	d := &directory{}
	for _, p := range f.projects {
		if p.owner == nil {
			d.projects = append(d.projects, p)
		}
		for _, rp := range p.repos {
			d.repos = append(d.repos, rp)
		}
	}
	sort.Slice(d.projects, func(i, j int) bool { return d.projects[i].key < d.projects[j].key })
	sort.Slice(d.repos, func(i, j int) bool {
		a, b := d.repos[i], d.repos[j]
		if a.project.key != b.project.key {
			return a.project.key < b.project.key
		}
		return a.slug < b.slug
	})
	for _, rp := range d.repos {
		if rp.archived {
			d.archived = append(d.archived, rp)
		} else {
			d.active = append(d.active, rp)
		}
	}
	for _, u := range f.users {
		d.users = append(d.users, u)
	}
	d.users = append(d.users, f.bots...)
	sort.Slice(d.users, func(i, j int) bool { return d.users[i].name < d.users[j].name })
	for _, u := range d.users {
		if !u.inactive {
			d.activeUsers = append(d.activeUsers, u)
		}
	}
	f.dir = d
	return d
}

// coreLocked answers a read of the core REST API; the caller has authenticated (except for
// application-properties, which needs nothing).
func (f *Fake) coreLocked(op operation, rt route, a authResult, q url.Values, wc wireContext) response {
	if op == opAppProperties {
		return response{status: http.StatusOK, body: f.appProperties()}
	}
	start, limit, e := f.pageParams(q)
	if e != nil {
		return errorResponse(e)
	}
	d := f.directoryLocked()
	u := a.user
	switch op {
	case opProjects:
		keep, e := projectFilter(u, q)
		if e != nil {
			return errorResponse(e)
		}
		return pageResponse(d.projects, keep, start, limit, func(p *project) wireProject { return p.wire(wc) })
	case opRepos:
		set, keep, e := repoFilter(d, u, q)
		if e != nil {
			return errorResponse(e)
		}
		return pageResponse(set, keep, start, limit, func(rp *repo) wireRepo { return rp.wire(wc) })
	case opProjectRepos:
		p := f.projects[rt.projectKey]
		if p == nil {
			return errorResponse(notFound(ExceptionNoSuchProject, fmt.Sprintf("Project %s does not exist.", rt.projectKey)))
		}
		if !canReadProject(u, p) {
			return errorResponse(notPermitted())
		}
		repos := make([]*repo, 0, len(p.repos))
		for _, rp := range p.repos {
			repos = append(repos, rp)
		}
		sort.Slice(repos, func(i, j int) bool { return repos[i].slug < repos[j].slug })
		return pageResponse(repos, func(rp *repo) bool { return canReadRepo(u, rp) }, start, limit,
			func(rp *repo) wireRepo { return rp.wire(wc) })
	case opAdminUsers:
		if a.token != nil || !u.sysAdmin {
			return errorResponse(notPermitted())
		}
		return pageResponse(d.users, userFilter(q), start, limit, func(u *user) wireAdminUser { return u.wireAdmin(wc) })
	default: // opUsers
		return pageResponse(d.activeUsers, userFilter(q), start, limit, func(u *user) wireUser { return u.wire(wc) })
	}
}

// pageParams reads start and limit as the token lists do.
func (f *Fake) pageParams(q url.Values) (start, limit int, e *apiError) {
	if start, e = queryInt(q, "start", 0); e != nil {
		return 0, 0, e
	}
	if limit, e = queryInt(q, "limit", 0); e != nil {
		return 0, 0, e
	}
	if limit == 0 {
		limit = f.cfg.defaultLimit
	}
	return start, min(limit, f.cfg.maxLimit), nil
}

// pageResponse pages the items keep accepts (nil: all of them, in O(limit)).
func pageResponse[T, W any](items []T, keep func(T) bool, start, limit int, wire func(T) W) response {
	if keep != nil {
		kept := make([]T, 0, len(items))
		for _, it := range items {
			if keep(it) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	from := min(start, len(items))
	end := from + min(limit, len(items)-from)
	page := wirePage[W]{Limit: limit, Start: start, IsLastPage: end >= len(items), Values: make([]W, 0, end-from)}
	for _, it := range items[from:end] {
		page.Values = append(page.Values, wire(it))
	}
	page.Size = len(page.Values)
	if !page.IsLastPage {
		page.NextPageStart = &end
	}
	return response{status: http.StatusOK, body: page}
}

// canReadProject: system admins, project admins, admins of one of its repositories, the owner of
// a personal project, and the bots of the project or its repositories.
func canReadProject(u *user, p *project) bool {
	if u.sysAdmin || p.admins[u.name] || u.botOf == p || (u.botOfRepo != nil && u.botOfRepo.project == p) {
		return true
	}
	for _, rp := range p.repos {
		if rp.admins[u.name] {
			return true
		}
	}
	return false
}

// canReadRepo: system admins, admins of the repository or its project, and their bots.
func canReadRepo(u *user, rp *repo) bool {
	return u.sysAdmin || rp.project.admins[u.name] || rp.admins[u.name] || u.botOf == rp.project || u.botOfRepo == rp
}

// canAdminRepo: as canReadRepo, but bots hold no admin right.
func canAdminRepo(u *user, rp *repo) bool {
	return u.sysAdmin || rp.project.admins[u.name] || rp.admins[u.name]
}

// projectFilter reads /projects' name and permission filters; nil keeps everything (a system
// admin without filters).
func projectFilter(u *user, q url.Values) (func(*project) bool, *apiError) {
	name := strings.ToLower(q.Get("name"))
	perm := strings.ToUpper(q.Get("permission"))
	switch perm {
	case "", "PROJECT_VIEW", "PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN":
	default:
		return nil, badRequest("permission", fmt.Sprintf("%q is not a project permission.", q.Get("permission")))
	}
	if u.sysAdmin && name == "" {
		return nil, nil
	}
	return func(p *project) bool {
		if name != "" && !strings.Contains(strings.ToLower(p.name), name) {
			return false
		}
		if perm == "PROJECT_WRITE" || perm == "PROJECT_ADMIN" {
			return u.sysAdmin || p.admins[u.name]
		}
		return canReadProject(u, p)
	}, nil
}

// repoFilter reads /repos' filters: archived picks the listing (ACTIVE by default, as Bitbucket
// since 8.0), the others narrow it; a nil keep means the whole listing.
func repoFilter(d *directory, u *user, q url.Values) ([]*repo, func(*repo) bool, *apiError) {
	var set []*repo
	switch strings.ToUpper(q.Get("archived")) {
	case "", "ACTIVE":
		set = d.active
	case "ARCHIVED":
		set = d.archived
	case "ALL":
		set = d.repos
	default:
		return nil, nil, badRequest("archived", fmt.Sprintf("%q is not one of ACTIVE, ARCHIVED or ALL.", q.Get("archived")))
	}
	perm := strings.ToUpper(q.Get("permission"))
	switch perm {
	case "", "REPO_READ", "REPO_WRITE", "REPO_ADMIN":
	default:
		return nil, nil, badRequest("permission", fmt.Sprintf("%q is not a repository permission.", q.Get("permission")))
	}
	visibility := strings.ToLower(q.Get("visibility"))
	switch visibility {
	case "", "public", "private":
	default:
		return nil, nil, badRequest("visibility", fmt.Sprintf("%q is not one of public or private.", q.Get("visibility")))
	}
	state := strings.ToUpper(q.Get("state"))
	switch state {
	case "", "AVAILABLE", "INITIALISING", "INITIALISATION_FAILED":
	default:
		return nil, nil, badRequest("state", fmt.Sprintf("%q is not a repository state.", q.Get("state")))
	}
	if visibility == "public" || (state != "" && state != "AVAILABLE") {
		return nil, func(*repo) bool { return false }, nil // every repository is private and available
	}
	projectKey, projectName, name := q.Get("projectkey"), strings.ToLower(q.Get("projectname")), strings.ToLower(q.Get("name"))
	if u.sysAdmin && projectKey == "" && projectName == "" && name == "" {
		return set, nil, nil
	}
	return set, func(rp *repo) bool {
		switch {
		case projectKey != "" && !strings.EqualFold(rp.project.key, projectKey),
			projectName != "" && !strings.Contains(strings.ToLower(rp.project.name), projectName),
			name != "" && !strings.Contains(strings.ToLower(rp.name), name):
			return false
		case perm == "REPO_WRITE" || perm == "REPO_ADMIN":
			return canAdminRepo(u, rp)
		}
		return canReadRepo(u, rp)
	}, nil
}

// userFilter reads the users lists' filter: name, display name or email containing it, in any case.
func userFilter(q url.Values) func(*user) bool {
	s := strings.ToLower(q.Get("filter"))
	if s == "" {
		return nil
	}
	return func(u *user) bool {
		return strings.Contains(strings.ToLower(u.name), s) || strings.Contains(strings.ToLower(u.displayName), s) ||
			strings.Contains(strings.ToLower(u.email), s)
	}
}
