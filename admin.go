package accesstokens

// The admin expiry policy: AdminService over /rest/access-tokens/latest/admin.

import (
	"context"
	"errors"
	"net/http"
	"strconv"
)

// ExpiryPolicy is the server-wide rule for token expiry. Its JSON is the
// /admin endpoint's: {"maxExpiryDays": N}, or {} when expiry is not required.
type ExpiryPolicy struct {
	MaxExpiryDays int `json:"maxExpiryDays,omitempty"` // 0: expiry is not required
}

// AdminService reads and changes the server-wide token expiry policy. It needs
// a system administrator. Bitbucket documents the endpoint for 8.3; servers
// that do not offer it answer 404, reported as ErrNotFound with that explanation.
//
// Atlassian reference: https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/
type AdminService interface {
	// GetExpiryPolicy reads the policy (GET /admin); MaxExpiryDays 0 means none is set.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-admin-get
	GetExpiryPolicy(ctx context.Context) (*ExpiryPolicy, error)
	// SetExpiryPolicy makes expiry required, at most p.MaxExpiryDays days (PUT /admin).
	// MaxExpiryDays must be >= 1.
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-admin-put
	SetExpiryPolicy(ctx context.Context, p ExpiryPolicy) error
	// DeleteExpiryPolicy makes expiry optional again (DELETE /admin).
	//
	// https://developer.atlassian.com/server/bitbucket/rest/v803/api-group-access-tokens/#api-access-tokens-latest-admin-delete
	DeleteExpiryPolicy(ctx context.Context) error
}

type adminService struct{ c *Client }

var _ AdminService = adminService{}

var adminSegments = []string{"admin"}

const adminMissingHint = "this server does not offer the expiry-policy endpoint (documented for Bitbucket 8.3)"

type policyJSON struct {
	MaxExpiryDays *int `json:"maxExpiryDays"`
}

// GetExpiryPolicy implements AdminService. A 200 with {} or an empty body and
// a 204 all mean that no policy is set.
func (a adminService) GetExpiryPolicy(ctx context.Context) (*ExpiryPolicy, error) {
	var out policyJSON
	if err := a.c.do(ctx, request{api: tokensAPI, method: http.MethodGet, segs: adminSegments, flags: callEmptyOK, out: &out}); err != nil {
		return nil, adminError(err)
	}
	p := &ExpiryPolicy{}
	if out.MaxExpiryDays != nil {
		if *out.MaxExpiryDays < 0 {
			return nil, &decodeError{what: "expiry policy", method: http.MethodGet, path: a.c.requestPath(tokensAPI, adminSegments), err: errors.New("negative maxExpiryDays")}
		}
		p.MaxExpiryDays = *out.MaxExpiryDays
	}
	return p, nil
}

// SetExpiryPolicy implements AdminService. The server may answer 200 or 204.
func (a adminService) SetExpiryPolicy(ctx context.Context, p ExpiryPolicy) error {
	if p.MaxExpiryDays < 1 {
		return invalidArg("MaxExpiryDays", "must be at least 1, got %d (use DeleteExpiryPolicy to drop the policy)", p.MaxExpiryDays)
	}
	body := []byte(`{"maxExpiryDays":` + strconv.Itoa(p.MaxExpiryDays) + `}`)
	return adminError(a.c.do(ctx, request{api: tokensAPI, method: http.MethodPut, segs: adminSegments, body: body}))
}

// DeleteExpiryPolicy implements AdminService. The server may answer 200 or 204.
func (a adminService) DeleteExpiryPolicy(ctx context.Context) error {
	return adminError(a.c.do(ctx, request{api: tokensAPI, method: http.MethodDelete, segs: adminSegments}))
}

// adminError explains a 404 from /admin: the endpoint is missing, not a policy.
func adminError(err error) error {
	var apiErr *Error
	if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound {
		apiErr.hint = adminMissingHint
	}
	return err
}
