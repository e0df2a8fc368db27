// The order of checks every API request goes through, from the path's form to the operation.

package accesstokenstest

import (
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
)

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
	q, e := f.rateLimit(a)
	var resp response
	if e != nil {
		resp = errorResponse(e)
	} else {
		resp = f.routeLocked(in, a, which, rel)
	}
	resp.header = q.headers(f.cfg.rateLimitHeaders, resp.header)
	return resp, a
}

// routeLocked answers a request that passed the rate limit: route (404), authentication (401),
// method (405), body, then the operation's own checks.
func (f *Fake) routeLocked(in incoming, a authResult, which api, rel string) response {
	r := in.r
	var rt route
	ok := false
	if which != noAPI {
		parts, _ := splitPath(rel) // the whole path's form is checked above
		rt, ok = parseRoute(which, parts)
		ok = ok && !(rt.admin && f.cfg.withoutPolicy)
	}
	if !ok {
		return errorResponse(&apiError{status: http.StatusNotFound, message: "No resource at " + r.URL.EscapedPath()})
	}
	switch a.kind {
	case CredentialNone:
		if rt.api != coreAPI || rt.core != opAppProperties {
			return errorResponse(notPermitted())
		}
	case CredentialInvalid:
		return errorResponse(authFailed())
	}
	op, allow, ok := rt.operation(r.Method)
	if !ok {
		return errorResponse(&apiError{status: http.StatusMethodNotAllowed,
			message: fmt.Sprintf("Method %s is not allowed here; use %s.", r.Method, allow),
			header:  http.Header{"Allow": {allow}}})
	}
	if in.bodyErr != nil {
		var ne net.Error
		if errors.As(in.bodyErr, &ne) && ne.Timeout() {
			return errorResponse(&apiError{status: http.StatusRequestTimeout, message: "The request body did not arrive in time."})
		}
		return errorResponse(&apiError{status: http.StatusBadRequest, message: "The request body could not be read."})
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorResponse(&apiError{status: http.StatusBadRequest, message: "The query string is not valid: " + err.Error() + "."})
	}
	wc := f.wireContext(baseURL(r, f.cfg.contextPath))
	if op.takesBody() {
		if e := checkBody(r.Header.Get("Content-Type"), in.body, in.tooLarge); e != nil {
			return errorResponse(e)
		}
	}
	if rt.api == coreAPI {
		if op.isRateLimitAdmin() {
			return f.rateLimitAdminLocked(op, rt.userSlug, a, in.body, wc)
		}
		return f.coreLocked(op, rt, a, q, wc)
	}
	if rt.admin {
		if a.token != nil || !a.user.sysAdmin {
			return errorResponse(notPermitted())
		}
		return f.adminLocked(op, in.body)
	}
	sc, e := f.resolveLocked(rt)
	if e != nil {
		return errorResponse(e)
	}
	if a.token != nil {
		// A token may only read its own owner's personal tokens.
		readsOwn := a.token.kind == scopeUser && sc.kind == scopeUser && sc.user == a.user &&
			(op == opList || op == opGet)
		if !readsOwn {
			return errorResponse(notPermitted())
		}
	} else if !mayManage(a.user, sc, op) {
		return errorResponse(notPermitted())
	}
	return f.tokenOpLocked(op, sc, rt.tokenID, q, in.body, wc)
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
