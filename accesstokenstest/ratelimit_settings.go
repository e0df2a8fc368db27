// The rate limit's settings, as a system administrator changes them: on or off, the default
// bucket, and a user's own bucket or exemption (/rest/api/latest/admin/rate-limit/settings).

package accesstokenstest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
)

// Wire types of the rate-limit settings.

type wireBucketSettings struct {
	Capacity int     `json:"capacity"`
	FillRate float64 `json:"fillRate"`
}

type wireRateLimitSettings struct {
	Enabled         bool               `json:"enabled"`
	DefaultSettings wireBucketSettings `json:"defaultSettings"`
}

type wireUserRateLimitSettings struct {
	User        wireUser            `json:"user"`
	Whitelisted bool                `json:"whitelisted"`
	Settings    *wireBucketSettings `json:"settings,omitempty"`
}

func bucketSettings(rl RateLimit) wireBucketSettings {
	return wireBucketSettings{Capacity: rl.Burst, FillRate: rl.RefillPerSecond}
}

// isRateLimitAdmin says whether an operation is one of the rate-limit settings endpoints.
func (op operation) isRateLimitAdmin() bool {
	switch op {
	case opRateLimitGet, opRateLimitSet, opUserRateLimitGet, opUserRateLimitSet, opUserRateLimitDelete:
		return true
	}
	return false
}

// rateLimitAdminLocked answers the rate-limit settings endpoints: a system administrator's, by
// password (Bitbucket refuses tokens on admin endpoints).
func (f *Fake) rateLimitAdminLocked(op operation, userSlug string, a authResult, body []byte, wc wireContext) response {
	if a.token != nil || !a.user.sysAdmin {
		return errorResponse(notPermitted())
	}
	switch op {
	case opRateLimitGet:
		return response{status: http.StatusOK, body: f.limiter.settings()}
	case opRateLimitSet:
		if e := f.limiter.configure(body); e != nil {
			return errorResponse(e)
		}
		return response{status: http.StatusOK, body: f.limiter.settings()}
	}
	u := f.userBySlugLocked(userSlug)
	if u == nil {
		return errorResponse(notFound(ExceptionNoSuchUser, fmt.Sprintf("User %s does not exist.", userSlug)))
	}
	switch op {
	case opUserRateLimitGet:
		own, ok := f.limiter.ownOf(u.name)
		if !ok {
			return errorResponse(notFound(ExceptionNoSuchEntity,
				fmt.Sprintf("User %s has no rate limit settings of their own.", u.name)))
		}
		return response{status: http.StatusOK, body: own.wire(u, wc)}
	case opUserRateLimitSet:
		own, e := parseUserRateLimit(body)
		if e != nil {
			return errorResponse(e)
		}
		f.limiter.setOwn(u.name, own)
		return response{status: http.StatusOK, body: own.wire(u, wc)}
	default: // opUserRateLimitDelete
		f.limiter.forgetOwn(u.name)
		return response{status: http.StatusNoContent}
	}
}

// userBySlugLocked finds a user, or a project's or repository's bot, by slug.
func (f *Fake) userBySlugLocked(slug string) *user {
	if u := f.users[slug]; u != nil {
		return u
	}
	for _, b := range f.bots {
		if b.slug == slug {
			return b
		}
	}
	return nil
}

func (own userRateLimit) wire(u *user, wc wireContext) wireUserRateLimitSettings {
	w := wireUserRateLimitSettings{User: u.wire(wc), Whitelisted: own.exempt}
	if !own.exempt {
		b := bucketSettings(own.limit)
		w.Settings = &b
	}
	return w
}

// parseBucketSettings reads {"capacity": N, "fillRate": R}: a capacity of at least 1 and a
// fill rate above 0, under field's name in errors.
func parseBucketSettings(raw json.RawMessage, field string) (RateLimit, *apiError) {
	var b struct {
		Capacity *int64   `json:"capacity"`
		FillRate *float64 `json:"fillRate"`
	}
	if json.Unmarshal(raw, &b) != nil || b.Capacity == nil || b.FillRate == nil ||
		*b.Capacity < 1 || *b.Capacity > math.MaxInt32 {
		return RateLimit{}, badRequest(field, field+" needs a capacity of at least 1 and a fillRate above 0.")
	}
	rl := RateLimit{Burst: int(*b.Capacity), RefillPerSecond: *b.FillRate}
	if rl.validate() != nil {
		return RateLimit{}, badRequest(field, field+" needs a capacity of at least 1 and a fillRate above 0.")
	}
	return rl, nil
}

// parseUserRateLimit reads a user's settings: {"whitelisted": true}, or {"settings": {...}}.
func parseUserRateLimit(body []byte) (userRateLimit, *apiError) {
	fields, e := parseObject(body)
	if e != nil {
		return userRateLimit{}, e
	}
	var exempt bool
	if raw, ok := fields["whitelisted"]; ok && !isNull(raw) && json.Unmarshal(raw, &exempt) != nil {
		return userRateLimit{}, badRequest("whitelisted", "whitelisted must be true or false.")
	}
	if exempt {
		return userRateLimit{exempt: true}, nil
	}
	raw, ok := fields["settings"]
	if !ok || isNull(raw) {
		return userRateLimit{}, badRequest("settings",
			`Send {"whitelisted":true}, or {"settings":{"capacity":N,"fillRate":R}} for a bucket of the user's own.`)
	}
	rl, e := parseBucketSettings(raw, "settings")
	if e != nil {
		return userRateLimit{}, e
	}
	return userRateLimit{limit: rl}, nil
}

// settings is what GET .../admin/rate-limit/settings answers.
func (l *rateLimiter) settings() wireRateLimitSettings {
	l.mu.Lock()
	defer l.mu.Unlock()
	return wireRateLimitSettings{Enabled: l.enabled, DefaultSettings: bucketSettings(l.defaults)}
}

// configure applies a PUT of the settings: enabled and defaultSettings, each when present.
func (l *rateLimiter) configure(body []byte) *apiError {
	fields, e := parseObject(body)
	if e != nil {
		return e
	}
	var enabled *bool
	if raw, ok := fields["enabled"]; ok && !isNull(raw) {
		enabled = new(bool)
		if json.Unmarshal(raw, enabled) != nil {
			return badRequest("enabled", "enabled must be true or false.")
		}
	}
	var defaults *RateLimit
	if raw, ok := fields["defaultSettings"]; ok && !isNull(raw) {
		rl, e := parseBucketSettings(raw, "defaultSettings")
		if e != nil {
			return e
		}
		defaults = &rl
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if enabled != nil {
		l.enabled = *enabled
	}
	if defaults != nil {
		l.defaults = *defaults
	}
	return nil
}

func (l *rateLimiter) ownOf(userName string) (userRateLimit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	own, ok := l.own[userName]
	return own, ok
}

func (l *rateLimiter) setOwn(userName string, own userRateLimit) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.own[userName] = own
}

func (l *rateLimiter) forgetOwn(userName string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.own, userName)
}
