// The access-token endpoints: list, create, get, update and delete in one scope.

package accesstokenstest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

func (f *Fake) tokenOpLocked(op operation, sc scopeRef, id string, q url.Values, body []byte, wc wireContext) response {
	if op == opList {
		return f.listLocked(sc, q, wc)
	}
	if op == opCreate {
		return f.createLocked(sc, body, wc)
	}
	t := f.tokens[id]
	if t == nil || t.scope != sc.key {
		return errorResponse(notFound(ExceptionNoSuchEntity, fmt.Sprintf("No access token with ID %s exists.", id)))
	}
	switch op {
	case opGet:
		return response{status: http.StatusOK, body: t.wire(wc)}
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
		return response{status: http.StatusOK, body: t.wire(wc)}
	default: // opDelete
		f.removeTokenLocked(t)
		return response{status: http.StatusNoContent}
	}
}

func (f *Fake) createLocked(sc scopeRef, body []byte, wc wireContext) response {
	tb, e := parseTokenBody(body)
	if e == nil {
		e = validateName(tb.name)
	}
	if e == nil {
		e = validatePermissions(tb.permissions, sc.kind)
	}
	if e == nil {
		e = validateExpiry(tb.expiryDays, f.policy, f.clock.now())
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
	w := t.wire(wc)
	w.Token = t.secret
	return response{status: http.StatusOK, body: w}
}

func (f *Fake) listLocked(sc scopeRef, q url.Values, wc wireContext) response {
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
		page.Values = append(page.Values, t.wire(wc))
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
