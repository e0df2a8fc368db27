// The admin expiry policy: /rest/access-tokens/latest/admin and its Go face.

package accesstokenstest

import (
	"encoding/json"
	"net/http"
)

// SetExpiryPolicy sets the admin expiry policy directly, as PUT /admin would; maxExpiryDays 0
// removes it, as DELETE /admin would. It panics if maxExpiryDays is negative.
func (f *Fake) SetExpiryPolicy(maxExpiryDays int) {
	if maxExpiryDays < 0 {
		panic("accesstokenstest: SetExpiryPolicy needs maxExpiryDays >= 0")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.policy = maxExpiryDays
}

// ExpiryPolicy returns the admin expiry policy's maxExpiryDays, 0 when none is set.
func (f *Fake) ExpiryPolicy() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.policy
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

type wirePolicy struct {
	MaxExpiryDays *int `json:"maxExpiryDays,omitempty"`
}

// WithoutExpiryPolicyEndpoint makes /rest/access-tokens/latest/admin (and under 1.0) answer 404
// to every method, as a route the server does not serve: Atlassian's 9.2 and 9.4 specifications
// no longer list it, and whether those servers still serve it is not known. An expiry policy set
// with [Fake.SetExpiryPolicy] still applies to creates (on such servers it lives in the
// administration pages).
func WithoutExpiryPolicyEndpoint() Option { return func(c *config) { c.withoutPolicy = true } }
