// API roots and routes: which API, operation, scope and token id an escaped path names.

package accesstokenstest

import (
	"net/http"
	"net/url"
	"strings"
)

// API roots, relative to the server's base URL. The fake answers identically under both.
const (
	APIPath   = "/rest/access-tokens/latest" // the root clients use by default
	APIPath10 = "/rest/access-tokens/1.0"    // the versioned root some clients use
)

// Roots of Bitbucket's core REST API, relative to the server's base URL, which the fake serves
// read-only for a server-wide inventory: application-properties, projects, repos,
// projects/{key}/repos, admin/users and users.
const (
	CoreAPIPath   = "/rest/api/latest" // the root clients use by default
	CoreAPIPath10 = "/rest/api/1.0"    // the versioned root
)

type operation int

const (
	opList operation = iota
	opCreate
	opGet
	opUpdate
	opDelete
	opAdminGet
	opAdminSet
	opAdminDelete
	// The core REST API (/rest/api/latest): reads for an inventory.
	opAppProperties
	opProjects
	opProjectRepos
	opRepos
	opAdminUsers
	opUsers
	// The core REST API: the rate limit's settings, for system administrators.
	opRateLimitGet
	opRateLimitSet
	opUserRateLimitGet
	opUserRateLimitSet
	opUserRateLimitDelete
)

// takesBody says whether an operation reads a JSON body (and so checks its content type).
func (op operation) takesBody() bool {
	switch op {
	case opCreate, opUpdate, opAdminSet, opRateLimitSet, opUserRateLimitSet:
		return true
	}
	return false
}

// api says which REST API a path belongs to.
type api int

const (
	noAPI    api = iota
	tokenAPI     // /rest/access-tokens/{latest,1.0}
	coreAPI      // /rest/api/{latest,1.0}
)

// route is a parsed API path. Segments are split on the escaped path and unescaped one by one,
// so an encoded "%2F" stays inside its segment.
type route struct {
	api        api
	admin      bool
	item       bool // a single token rather than a collection
	core       operation
	kind       scopeKind
	userSlug   string
	projectKey string
	repoSlug   string
	tokenID    string
}

// splitPath unescapes the segments of an escaped path. Like Bitbucket's servlet container, it
// refuses (400) an escape that is not one and a "." or ".." segment, written plainly or escaped.
func splitPath(rawPath string) ([]string, *apiError) {
	parts := strings.Split(strings.TrimPrefix(rawPath, "/"), "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, message: "The request path is not a valid URL path: " + err.Error() + "."}
		}
		if s == "." || s == ".." {
			return nil, &apiError{status: http.StatusBadRequest, message: "The request path must not contain \".\" or \"..\" segments."}
		}
		parts[i] = s
	}
	return parts, nil
}

func parseRoute(a api, parts []string) (route, bool) {
	for _, p := range parts {
		if p == "" {
			return route{}, false
		}
	}
	if a == coreAPI {
		return parseCoreRoute(parts)
	}
	n := len(parts)
	switch {
	case n == 1 && parts[0] == "admin":
		return route{api: tokenAPI, admin: true}, true
	case parts[0] == "users" && (n == 2 || n == 3):
		rt := route{api: tokenAPI, kind: scopeUser, userSlug: parts[1], item: n == 3}
		if n == 3 {
			rt.tokenID = parts[2]
		}
		return rt, true
	case parts[0] == "projects" && (n == 2 || n == 3):
		rt := route{api: tokenAPI, kind: scopeProject, projectKey: parts[1], item: n == 3}
		if n == 3 {
			rt.tokenID = parts[2]
		}
		return rt, true
	case parts[0] == "projects" && (n == 4 || n == 5) && parts[2] == "repos":
		rt := route{api: tokenAPI, kind: scopeRepo, projectKey: parts[1], repoSlug: parts[3], item: n == 5}
		if n == 5 {
			rt.tokenID = parts[4]
		}
		return rt, true
	}
	return route{}, false
}

func parseCoreRoute(parts []string) (route, bool) {
	rt := route{api: coreAPI}
	switch strings.Join(parts, "/") {
	case "application-properties":
		rt.core = opAppProperties
	case "projects":
		rt.core = opProjects
	case "repos":
		rt.core = opRepos
	case "admin/users":
		rt.core = opAdminUsers
	case "users":
		rt.core = opUsers
	case "admin/rate-limit/settings":
		rt.core = opRateLimitGet
	default:
		if len(parts) == 5 && strings.Join(parts[:4], "/") == "admin/rate-limit/settings/users" {
			rt.core, rt.userSlug = opUserRateLimitGet, parts[4]
			return rt, true
		}
		if len(parts) != 3 || parts[0] != "projects" || parts[2] != "repos" {
			return route{}, false
		}
		rt.core, rt.projectKey = opProjectRepos, parts[1]
	}
	return rt, true
}

// operation maps a method on a route; false means 405, with the allowed methods. HEAD is GET
// without the body.
func (rt route) operation(method string) (operation, string, bool) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var ops map[string]operation
	var allow string
	switch {
	case rt.core == opRateLimitGet:
		ops, allow = map[string]operation{"GET": opRateLimitGet, "PUT": opRateLimitSet}, "GET, HEAD, PUT"
	case rt.core == opUserRateLimitGet:
		ops, allow = map[string]operation{"GET": opUserRateLimitGet, "PUT": opUserRateLimitSet,
			"DELETE": opUserRateLimitDelete}, "GET, HEAD, PUT, DELETE"
	case rt.api == coreAPI:
		ops, allow = map[string]operation{"GET": rt.core}, "GET, HEAD"
	case rt.admin:
		ops, allow = map[string]operation{"GET": opAdminGet, "PUT": opAdminSet, "DELETE": opAdminDelete}, "GET, HEAD, PUT, DELETE"
	case rt.item:
		ops, allow = map[string]operation{"GET": opGet, "POST": opUpdate, "DELETE": opDelete}, "GET, HEAD, POST, DELETE"
	default:
		ops, allow = map[string]operation{"GET": opList, "PUT": opCreate}, "GET, HEAD, PUT"
	}
	op, ok := ops[method]
	return op, allow, ok
}

// locate strips the context path and an API root from an escaped path, and says which API it is.
func (f *Fake) locate(rawPath string) (api, string) {
	p := rawPath
	if cp := f.cfg.contextPath; cp != "" {
		rest, ok := strings.CutPrefix(p, cp)
		if !ok || !strings.HasPrefix(rest, "/") {
			return noAPI, ""
		}
		p = rest
	}
	for _, root := range []struct {
		path string
		api  api
	}{{APIPath, tokenAPI}, {APIPath10, tokenAPI}, {CoreAPIPath, coreAPI}, {CoreAPIPath10, coreAPI}} {
		if rest, ok := strings.CutPrefix(p, root.path); ok && (rest == "" || rest[0] == '/') {
			return root.api, rest
		}
	}
	return noAPI, ""
}

// faultPath is the path a Fault's Path is matched against: relative to the token API's root, the
// core API's path from /rest/api/latest on (whichever version was asked), or the whole escaped path.
func (f *Fake) faultPath(rawPath string) string {
	switch a, rel := f.locate(rawPath); a {
	case tokenAPI:
		return rel
	case coreAPI:
		return CoreAPIPath + rel
	}
	return rawPath
}
