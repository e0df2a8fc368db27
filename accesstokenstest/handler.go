package accesstokenstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	jsonContentType = "application/json;charset=UTF-8"
	maxBodyBytes    = 1 << 20
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
	// The core REST API (/rest/api/latest), read only.
	opAppProperties
	opProjects
	opProjectRepos
	opRepos
	opAdminUsers
	opUsers
)

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
	default:
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

// response is an answer built under the lock and written after it.
type response struct {
	status int
	body   any // nil for no body
	header http.Header
}

func errorResponse(e *apiError) response {
	return response{status: e.status, body: e.body(), header: e.header}
}

// incoming is what ServeHTTP read of a request before handling it.
type incoming struct {
	r        *http.Request
	body     []byte
	tooLarge bool
	bodyErr  error
}

// ServeHTTP answers one request, after any injected fault, and records it. The record is made
// before the answer is written, so a client that has its answer also finds it in Requests.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rawPath := r.URL.EscapedPath()
	if f.cfg.control {
		if rest, ok := f.controlPath(rawPath); ok {
			f.serveControl(w, r, rest)
			return
		}
	}
	rec := Request{Method: r.Method, RawPath: rawPath, Query: r.URL.RawQuery, Credential: CredentialNone}
	answer := func(resp response, a authResult) {
		rec.Credential, rec.User, rec.Status = a.kind, a.userName(), resp.status
		f.record(rec)
		writeResponse(w, r, resp)
	}
	if len(rawPath)+len(r.URL.RawQuery) > MaxRequestTarget {
		answer(errorResponse(&apiError{status: http.StatusRequestURITooLong,
			message: fmt.Sprintf("The request URL is longer than %d bytes.", MaxRequestTarget)}), authResult{kind: CredentialNone})
		return
	}

	in := incoming{r: r}
	in.body, in.bodyErr = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	in.tooLarge = len(in.body) > maxBodyBytes
	if in.bodyErr == nil && !in.tooLarge {
		// The server's ReadTimeout guarded the body, which is read; clearing the deadline makes
		// sure that an injected Delay is never cut short by it (outside a server there is
		// nothing to clear). A body left unread keeps the deadline, so that net/http's
		// discarding of its rest cannot hang.
		_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	}

	fl := f.takeFault(r.Method, f.faultPath(rawPath))
	if fl == nil {
		answer(f.process(in))
		return
	}
	a := f.authenticate(r.Header.Get("Authorization"))
	rec.Credential, rec.User = a.kind, a.userName()

	rec.Faulted = true
	if fl.Delay > 0 && !f.wait(r, fl.Delay) {
		select {
		case <-f.closing:
			e := &apiError{status: http.StatusServiceUnavailable, message: "The fake server is shutting down.",
				exception: ExceptionInjectedFault}
			rec.Status = e.status
			f.record(rec)
			writeResponse(w, r, errorResponse(e))
		default: // the client went away
			f.record(rec)
		}
		return
	}
	failing := fl.Status != 0 || fl.DropConnection
	if !failing {
		answer(f.process(in))
		return
	}
	if fl.AfterHandling {
		_, a := f.process(in)
		rec.Credential, rec.User = a.kind, a.userName()
	}
	if fl.DropConnection {
		f.record(rec) // Status 0
		dropConnection(w)
		return
	}
	rec.Status = fl.Status
	f.record(rec)
	writeFault(w, r, fl)
}

func writeResponse(w http.ResponseWriter, r *http.Request, resp response) {
	var b []byte
	if resp.body != nil {
		buf := encodeBuffers.Get().(*bytes.Buffer)
		defer encodeBuffers.Put(buf)
		buf.Reset()
		if err := json.NewEncoder(buf).Encode(resp.body); err != nil {
			// Only our own wire types get here; a date JSON cannot show (before year 0 or after
			// 9999, in the control API's RFC 3339) is the one way they fail.
			writeResponse(w, r, errorResponse(&apiError{status: http.StatusInternalServerError,
				message: "The fake could not encode its answer: " + err.Error() + "."}))
			return
		}
		b = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	}
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// encodeBuffers keeps the buffers answers are encoded into, so a list page allocates less.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// process handles a request against the state, under the lock, and says who authenticated.
// The order of checks: the path's form (400), rate limit (429), route (404), authentication
// (401), method (405), body (413, 415, 400), then the operation's own.
func (f *Fake) process(in incoming) (response, authResult) {
	r := in.r
	_, pathErr := splitPath(r.URL.EscapedPath())
	which, rel := f.locate(r.URL.EscapedPath())

	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.authenticateAndMarkLocked(r.Header.Get("Authorization"))
	if pathErr != nil {
		return errorResponse(pathErr), a
	}
	if e := f.rateLimit(a); e != nil {
		return errorResponse(e), a
	}
	var rt route
	ok := false
	if which != noAPI {
		parts, _ := splitPath(rel) // the whole path's form is checked above
		rt, ok = parseRoute(which, parts)
	}
	if !ok {
		return errorResponse(&apiError{status: http.StatusNotFound, message: "No resource at " + r.URL.EscapedPath()}), a
	}
	switch a.kind {
	case CredentialNone:
		if rt.api != coreAPI || rt.core != opAppProperties {
			return errorResponse(notPermitted()), a
		}
	case CredentialInvalid:
		return errorResponse(authFailed()), a
	}
	op, allow, ok := rt.operation(r.Method)
	if !ok {
		return errorResponse(&apiError{status: http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed here; use %s.", r.Method, allow),
			header:  http.Header{"Allow": {allow}}}), a
	}
	if in.bodyErr != nil {
		var ne net.Error
		if errors.As(in.bodyErr, &ne) && ne.Timeout() {
			return errorResponse(&apiError{status: http.StatusRequestTimeout, message: "The request body did not arrive in time."}), a
		}
		return errorResponse(&apiError{status: http.StatusBadRequest, message: "The request body could not be read."}), a
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorResponse(&apiError{status: http.StatusBadRequest, message: "The query string is not valid: " + err.Error() + "."}), a
	}
	base := "http://" + r.Host + f.cfg.contextPath
	if r.TLS != nil {
		base = "https://" + r.Host + f.cfg.contextPath
	}
	if rt.api == coreAPI {
		return f.coreLocked(op, rt, a, q, base), a
	}
	if op == opCreate || op == opUpdate || op == opAdminSet {
		if e := checkBody(r.Header.Get("Content-Type"), in.body, in.tooLarge); e != nil {
			return errorResponse(e), a
		}
	}
	if rt.admin {
		if a.token != nil || !a.user.sysAdmin {
			return errorResponse(notPermitted()), a
		}
		return f.adminLocked(op, in.body), a
	}
	sc, e := f.resolveLocked(rt)
	if e != nil {
		return errorResponse(e), a
	}
	if a.token != nil {
		// A token may only read its own owner's personal tokens.
		readsOwn := a.token.kind == scopeUser && sc.kind == scopeUser && sc.user == a.user &&
			(op == opList || op == opGet)
		if !readsOwn {
			return errorResponse(notPermitted()), a
		}
	} else if !mayManage(a.user, sc, op) {
		return errorResponse(notPermitted()), a
	}
	return f.tokenOpLocked(op, sc, rt.tokenID, q, in.body, base), a
}

// checkBody rejects bodies Jersey would not read as JSON.
func checkBody(contentType string, body []byte, tooLarge bool) *apiError {
	if tooLarge {
		return &apiError{status: http.StatusRequestEntityTooLarge, message: "The request body is too large."}
	}
	if len(body) == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType,
			message: fmt.Sprintf("Unsupported media type %q; send application/json.", contentType)}
	}
	return nil
}

// resolveLocked finds the user, project or repository a route names.
func (f *Fake) resolveLocked(rt route) (scopeRef, *apiError) {
	switch rt.kind {
	case scopeUser:
		u := f.users[rt.userSlug]
		if u == nil {
			return scopeRef{}, notFound(ExceptionNoSuchUser, fmt.Sprintf("User %s does not exist.", rt.userSlug))
		}
		return scopeRef{kind: scopeUser, key: UserScope(u.slug), user: u}, nil
	}
	p := f.projects[rt.projectKey]
	if p == nil {
		return scopeRef{}, notFound(ExceptionNoSuchProject, fmt.Sprintf("Project %s does not exist.", rt.projectKey))
	}
	if rt.kind == scopeProject {
		return scopeRef{kind: scopeProject, key: ProjectScope(p.key), project: p}, nil
	}
	rp := p.repos[rt.repoSlug]
	if rp == nil {
		return scopeRef{}, notFound(ExceptionNoSuchRepository,
			fmt.Sprintf("Repository %s/%s does not exist.", p.key, rt.repoSlug))
	}
	return scopeRef{kind: scopeRepo, key: RepoScope(p.key, rp.slug), project: p, repo: rp}, nil
}

func (f *Fake) tokenOpLocked(op operation, sc scopeRef, id string, q url.Values, body []byte, base string) response {
	if op == opList {
		return f.listLocked(sc, q, base)
	}
	if op == opCreate {
		return f.createLocked(sc, body, base)
	}
	t := f.tokens[id]
	if t == nil || t.scope != sc.key {
		return errorResponse(notFound(ExceptionNoSuchEntity, fmt.Sprintf("No access token with ID %s exists.", id)))
	}
	switch op {
	case opGet:
		return response{status: http.StatusOK, body: t.wire(base)}
	case opUpdate:
		tb, e := parseTokenBody(body)
		if e != nil {
			return errorResponse(e)
		}
		if tb.name != nil {
			if e := validateName(tb.name); e != nil {
				return errorResponse(e)
			}
		}
		if tb.permissions != nil {
			if e := validatePermissions(tb.permissions, sc.kind); e != nil {
				return errorResponse(e)
			}
		}
		// expiryDays is ignored: an expiry can never change.
		if tb.name != nil {
			t.name = *tb.name
		}
		if tb.permissions != nil {
			t.perms = tb.permissions
		}
		return response{status: http.StatusOK, body: t.wire(base)}
	default: // opDelete
		f.removeTokenLocked(t)
		return response{status: http.StatusNoContent}
	}
}

func (f *Fake) createLocked(sc scopeRef, body []byte, base string) response {
	tb, e := parseTokenBody(body)
	if e == nil {
		e = validateName(tb.name)
	}
	if e == nil {
		e = validatePermissions(tb.permissions, sc.kind)
	}
	if e == nil {
		e = validateExpiry(tb.expiryDays, f.policy)
	}
	if e == nil && f.cfg.tokenLimit > 0 && len(f.scopes[sc.key]) >= f.cfg.tokenLimit {
		e = badRequest("", sc.describe()+" already has the maximum number of tokens.")
	}
	if e != nil {
		return errorResponse(e)
	}
	days := 0
	if tb.expiryDays != nil {
		days = *tb.expiryDays
	}
	now := f.clock.now()
	t := f.addTokenLocked(sc, *tb.name, tb.permissions, now, expiryAfter(now, days), true)
	w := t.wire(base)
	w.Token = t.secret
	return response{status: http.StatusOK, body: w}
}

func (f *Fake) listLocked(sc scopeRef, q url.Values, base string) response {
	start, e := queryInt(q, "start", 0)
	if e != nil {
		return errorResponse(e)
	}
	limit, e := queryInt(q, "limit", 0)
	if e != nil {
		return errorResponse(e)
	}
	if limit == 0 {
		limit = f.cfg.defaultLimit
	}
	limit = min(limit, f.cfg.maxLimit)
	vals, next, last := f.pageLocked(sc.key, start, limit)
	page := wirePage[wireToken]{Size: len(vals), Limit: limit, IsLastPage: last, Start: start, Values: make([]wireToken, 0, len(vals))}
	for _, t := range vals {
		page.Values = append(page.Values, t.wire(base))
	}
	if !last {
		page.NextPageStart = &next
	}
	return response{status: http.StatusOK, body: page}
}

// queryInt reads a non-negative integer query parameter; absent means def.
func queryInt(q url.Values, name string, def int) (int, *apiError) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badRequest(name, fmt.Sprintf("%s must be a non-negative integer.", name))
	}
	return n, nil
}

func (f *Fake) adminLocked(op operation, body []byte) response {
	switch op {
	case opAdminGet:
		return response{status: http.StatusOK, body: f.policyBodyLocked()}
	case opAdminSet:
		fields, e := parseObject(body)
		if e != nil {
			return errorResponse(e)
		}
		var n int64
		raw, ok := fields["maxExpiryDays"]
		if !ok || json.Unmarshal(raw, &n) != nil || n < 1 || n > 1<<31-1 {
			return errorResponse(badRequest("maxExpiryDays", "maxExpiryDays must be a whole number of at least 1."))
		}
		f.policy = int(n)
		return response{status: http.StatusOK, body: f.policyBodyLocked()}
	default: // opAdminDelete
		f.policy = 0
		return response{status: http.StatusNoContent}
	}
}

func (f *Fake) policyBodyLocked() wirePolicy {
	if f.policy == 0 {
		return wirePolicy{}
	}
	n := f.policy
	return wirePolicy{MaxExpiryDays: &n}
}
