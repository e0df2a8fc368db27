package accesstokenstest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
)

// route is a parsed API path. Segments are split on the escaped path and unescaped one by one,
// so an encoded "%2F" stays inside its segment.
type route struct {
	admin      bool
	item       bool // a single token rather than a collection
	kind       scopeKind
	userSlug   string
	projectKey string
	repoSlug   string
	tokenID    string
}

func parseRoute(rel string) (route, bool) {
	if !strings.HasPrefix(rel, "/") {
		return route{}, false
	}
	parts := strings.Split(rel[1:], "/")
	for i, p := range parts {
		s, err := url.PathUnescape(p)
		if err != nil || s == "" {
			return route{}, false
		}
		parts[i] = s
	}
	n := len(parts)
	switch {
	case n == 1 && parts[0] == "admin":
		return route{admin: true}, true
	case parts[0] == "users" && (n == 2 || n == 3):
		rt := route{kind: scopeUser, userSlug: parts[1], item: n == 3}
		if n == 3 {
			rt.tokenID = parts[2]
		}
		return rt, true
	case parts[0] == "projects" && (n == 2 || n == 3):
		rt := route{kind: scopeProject, projectKey: parts[1], item: n == 3}
		if n == 3 {
			rt.tokenID = parts[2]
		}
		return rt, true
	case parts[0] == "projects" && (n == 4 || n == 5) && parts[2] == "repos":
		rt := route{kind: scopeRepo, projectKey: parts[1], repoSlug: parts[3], item: n == 5}
		if n == 5 {
			rt.tokenID = parts[4]
		}
		return rt, true
	}
	return route{}, false
}

// operation maps a method on a route; false means 405, with the allowed methods.
func (rt route) operation(method string) (operation, string, bool) {
	var ops map[string]operation
	var allow string
	switch {
	case rt.admin:
		ops, allow = map[string]operation{"GET": opAdminGet, "PUT": opAdminSet, "DELETE": opAdminDelete}, "GET, PUT, DELETE"
	case rt.item:
		ops, allow = map[string]operation{"GET": opGet, "POST": opUpdate, "DELETE": opDelete}, "GET, POST, DELETE"
	default:
		ops, allow = map[string]operation{"GET": opList, "PUT": opCreate}, "GET, PUT"
	}
	op, ok := ops[method]
	return op, allow, ok
}

// relativePath strips the context path and API root from an escaped path.
func (f *Fake) relativePath(rawPath string) (string, bool) {
	p := rawPath
	if cp := f.cfg.contextPath; cp != "" {
		rest, ok := strings.CutPrefix(p, cp)
		if !ok || !strings.HasPrefix(rest, "/") {
			return "", false
		}
		p = rest
	}
	for _, root := range []string{APIPath, APIPath10} {
		if rest, ok := strings.CutPrefix(p, root); ok && (rest == "" || rest[0] == '/') {
			return rest, true
		}
	}
	return "", false
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

// ServeHTTP answers one request, after any injected fault, and records it. The record is made
// before the answer is written, so a client that has its answer also finds it in Requests.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rawPath := r.URL.EscapedPath()
	rec := Request{Method: r.Method, RawPath: rawPath, Query: r.URL.RawQuery, Credential: CredentialNone}
	answer := func(resp response, a authResult) {
		rec.Credential, rec.User, rec.Status = a.kind, a.userName(), resp.status
		f.record(rec)
		writeResponse(w, resp)
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	tooLarge := len(body) > maxBodyBytes
	if err != nil {
		body = nil
	}
	rel, inAPI := f.relativePath(rawPath)
	faultPath := rel
	if !inAPI {
		faultPath = rawPath
	}

	f.mu.Lock()
	fl := f.takeFaultLocked(r.Method, faultPath)
	if fl != nil {
		a := f.authenticateLocked(r.Header.Get("Authorization"))
		rec.Credential, rec.User = a.kind, a.userName()
	}
	f.mu.Unlock()

	if fl == nil {
		answer(f.process(r, rel, inAPI, body, tooLarge))
		return
	}

	rec.Faulted = true
	if fl.Delay > 0 && !f.wait(r, fl.Delay) {
		select {
		case <-f.closing:
			e := &apiError{status: http.StatusServiceUnavailable, message: "The fake server is shutting down.",
				exception: ExceptionInjectedFault}
			rec.Status = e.status
			f.record(rec)
			writeResponse(w, errorResponse(e))
		default: // the client went away
			f.record(rec)
		}
		return
	}
	failing := fl.Status != 0 || fl.DropConnection
	if !failing {
		answer(f.process(r, rel, inAPI, body, tooLarge))
		return
	}
	if fl.AfterHandling {
		_, a := f.process(r, rel, inAPI, body, tooLarge)
		rec.Credential, rec.User = a.kind, a.userName()
	}
	if fl.DropConnection {
		f.record(rec) // Status 0
		dropConnection(w)
		return
	}
	rec.Status = fl.Status
	f.record(rec)
	writeFault(w, fl)
}

func writeResponse(w http.ResponseWriter, resp response) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		return
	}
	b, err := json.Marshal(resp.body)
	if err != nil {
		panic(err) // only our own wire types get here
	}
	w.Header().Set("Content-Type", jsonContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(b)
}

// process handles a request against the state, under the lock, and says who authenticated.
func (f *Fake) process(r *http.Request, rel string, inAPI bool, body []byte, tooLarge bool) (response, authResult) {
	header := r.Header.Get("Authorization")
	rt, ok := parseRoute(rel)
	if !inAPI || !ok {
		a := f.authenticateAndMark(header)
		return errorResponse(&apiError{status: http.StatusNotFound, message: "No resource at " + r.URL.EscapedPath()}), a
	}
	op, allow, ok := rt.operation(r.Method)
	if !ok {
		a := f.authenticateAndMark(header)
		return errorResponse(&apiError{status: http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed here; use %s.", r.Method, allow),
			header:  http.Header{"Allow": {allow}}}), a
	}
	base := "http://" + r.Host + f.cfg.contextPath
	if r.TLS != nil {
		base = "https://" + r.Host + f.cfg.contextPath
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.authenticateAndMarkLocked(header)
	switch a.kind {
	case CredentialNone:
		return errorResponse(notPermitted()), a
	case CredentialInvalid:
		return errorResponse(authFailed()), a
	}
	if op == opCreate || op == opUpdate || op == opAdminSet {
		if e := checkBody(r.Header.Get("Content-Type"), body, tooLarge); e != nil {
			return errorResponse(e), a
		}
	}
	if rt.admin {
		if a.token != nil || !a.user.sysAdmin {
			return errorResponse(notPermitted()), a
		}
		return f.adminLocked(op, body), a
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
	return f.tokenOpLocked(op, sc, rt.tokenID, r.URL.Query(), body, base), a
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
	t := f.addTokenLocked(sc, *tb.name, tb.permissions, days, true)
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
	page := wirePage{Size: len(vals), Limit: limit, IsLastPage: last, Start: start, Values: make([]wireToken, 0, len(vals))}
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
