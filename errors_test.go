package accesstokens_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// everySentinel names every sentinel error, so tests can check that an error
// matches one of them and none of the others.
var everySentinel = map[string]error{
	"ErrBadRequest":      accesstokens.ErrBadRequest,
	"ErrUnauthorized":    accesstokens.ErrUnauthorized,
	"ErrForbidden":       accesstokens.ErrForbidden,
	"ErrNotFound":        accesstokens.ErrNotFound,
	"ErrConflict":        accesstokens.ErrConflict,
	"ErrRateLimited":     accesstokens.ErrRateLimited,
	"ErrServer":          accesstokens.ErrServer,
	"ErrInvalidArgument": accesstokens.ErrInvalidArgument,
	"ErrOutcomeUnknown":  accesstokens.ErrOutcomeUnknown,
	"ErrAuthentication":  accesstokens.ErrAuthentication,
	"ErrNotPermitted":    accesstokens.ErrNotPermitted,
}

func TestErrorCarriesStatusMethodEscapedPathAndServerMessages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		status   int
		fixture  string
		method   string
		rawPath  string
		call     func(ctx context.Context, c *accesstokens.Client) error
		wantMsgs []accesstokens.ErrorMessage
	}{
		{
			name: "list with a query string", status: http.StatusNotFound, fixture: "error_no_such_project.json",
			method: http.MethodGet, rawPath: "/projects/PRJX",
			call: func(ctx context.Context, c *accesstokens.Client) error {
				_, err := c.ProjectTokens.List(ctx, "PRJX", &accesstokens.ListOptions{Limit: 5})
				return err
			},
			wantMsgs: []accesstokens.ErrorMessage{{
				Message:       "Project PRJX does not exist.",
				ExceptionName: "com.atlassian.bitbucket.project.NoSuchProjectException",
			}},
		},
		{
			name: "get with a slug that needs escaping", status: http.StatusUnauthorized, fixture: "error_unauthorized.json",
			method: http.MethodGet, rawPath: "/users/a%20b%2Fc/0042",
			call: func(ctx context.Context, c *accesstokens.Client) error {
				_, err := c.UserTokens.Get(ctx, "a b/c", "0042")
				return err
			},
			wantMsgs: []accesstokens.ErrorMessage{{
				Message:       "You are not permitted to access this resource",
				ExceptionName: "com.atlassian.bitbucket.AuthorisationException",
			}},
		},
		{
			name: "create rejected by validation", status: http.StatusBadRequest, fixture: "error_validation.json",
			method: http.MethodPut, rawPath: "/projects/PRJ/repos/repo",
			call: func(ctx context.Context, c *accesstokens.Client) error {
				_, err := c.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
				return err
			},
			wantMsgs: []accesstokens.ErrorMessage{{
				Context:       "name",
				Message:       "A name is required.",
				ExceptionName: "com.atlassian.bitbucket.validation.ArgumentValidationException",
			}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(tc.method, tc.rawPath, respond(t, tc.status, tc.fixture))

			err := tc.call(testContext(t), c)

			apiErr := requireAPIError(t, err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, tc.method, apiErr.Method)
			assert.Equal(t, apiRoot+tc.rawPath, apiErr.Path, "the escaped path, context path included")
			assert.NotContains(t, apiErr.Path, "?", "no query string in Path")
			assert.Equal(t, tc.wantMsgs, apiErr.Messages)
			assert.Zero(t, apiErr.RetryAfter)

			msg := err.Error()
			assert.Contains(t, msg, tc.wantMsgs[0].Message, "Error() repeats the server's message")
			assert.Contains(t, msg, strconv.Itoa(tc.status))
			assert.Contains(t, msg, tc.method)
			assert.Contains(t, msg, apiRoot+tc.rawPath)
			assert.NotContains(t, msg, "test-token", "no credentials in Error()")
			assert.NotContains(t, msg, "limit=", "no query string in Error()")
			assert.Equal(t, 1, ts.count(tc.method, tc.rawPath))
		})
	}
}

func TestErrorsIsMatchesOnlyTheSentinelOfItsStatus(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status int
		want   string // key in everySentinel; "" for none
	}{
		{400, "ErrBadRequest"},
		{401, "ErrUnauthorized"},
		{403, "ErrForbidden"},
		{404, "ErrNotFound"},
		{409, "ErrConflict"},
		{429, "ErrRateLimited"},
		{500, "ErrServer"},
		{502, "ErrServer"},
		{503, "ErrServer"},
		{504, "ErrServer"},
		{599, "ErrServer"},
		{418, ""},
		{422, ""},
		{405, ""},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tc.status, fixture(t, "error_validation.json"))
			})

			tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")

			assert.Nil(t, tok)
			apiErr := requireAPIError(t, err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			for name, sentinel := range everySentinel {
				if name == tc.want {
					assert.ErrorIs(t, err, sentinel, "status %d must match %s", tc.status, name)
				} else {
					assert.NotErrorIs(t, err, sentinel, "status %d must not match %s", tc.status, name)
				}
			}
			assert.False(t, apiErr.Is(nil), "nil is never matched")
			assert.Equal(t, 1, ts.count(http.MethodGet, "/projects/PRJ/1"), "no retries with RetryPolicy{}")
		})
	}
}

func TestErrorsAsWorksOnEveryServiceMethod(t *testing.T) {
	t.Parallel()
	create := accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.RepoRead}}
	name := "renamed"
	update := accesstokens.UpdateTokenRequest{Name: &name}
	firstErr := func(seq func(yield func(accesstokens.AccessToken, error) bool)) error {
		for _, err := range seq {
			if err != nil {
				return err
			}
		}
		return nil
	}
	type call func(ctx context.Context, c *accesstokens.Client) error
	cases := []struct {
		name, method, rawPath string
		call                  call
	}{
		{"UserTokens.List", "GET", "/users/alice", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.List(ctx, "alice", nil)
			return err
		}},
		{"UserTokens.All", "GET", "/users/alice", func(ctx context.Context, c *accesstokens.Client) error {
			return firstErr(c.UserTokens.All(ctx, "alice", nil))
		}},
		{"UserTokens.Create", "PUT", "/users/alice", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Create(ctx, "alice", create)
			return err
		}},
		{"UserTokens.Get", "GET", "/users/alice/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Get(ctx, "alice", "1")
			return err
		}},
		{"UserTokens.Update", "POST", "/users/alice/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.UserTokens.Update(ctx, "alice", "1", update)
			return err
		}},
		{"UserTokens.Delete", "DELETE", "/users/alice/1", func(ctx context.Context, c *accesstokens.Client) error {
			return c.UserTokens.Delete(ctx, "alice", "1")
		}},
		{"ProjectTokens.List", "GET", "/projects/PRJ", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.List(ctx, "PRJ", nil)
			return err
		}},
		{"ProjectTokens.All", "GET", "/projects/PRJ", func(ctx context.Context, c *accesstokens.Client) error {
			return firstErr(c.ProjectTokens.All(ctx, "PRJ", nil))
		}},
		{"ProjectTokens.Create", "PUT", "/projects/PRJ", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Create(ctx, "PRJ", create)
			return err
		}},
		{"ProjectTokens.Get", "GET", "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Get(ctx, "PRJ", "1")
			return err
		}},
		{"ProjectTokens.Update", "POST", "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Update(ctx, "PRJ", "1", update)
			return err
		}},
		{"ProjectTokens.Delete", "DELETE", "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1")
		}},
		{"RepoTokens.List", "GET", "/projects/PRJ/repos/repo", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.List(ctx, "PRJ", "repo", nil)
			return err
		}},
		{"RepoTokens.All", "GET", "/projects/PRJ/repos/repo", func(ctx context.Context, c *accesstokens.Client) error {
			return firstErr(c.RepoTokens.All(ctx, "PRJ", "repo", nil))
		}},
		{"RepoTokens.Create", "PUT", "/projects/PRJ/repos/repo", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Create(ctx, "PRJ", "repo", create)
			return err
		}},
		{"RepoTokens.Get", "GET", "/projects/PRJ/repos/repo/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Get(ctx, "PRJ", "repo", "1")
			return err
		}},
		{"RepoTokens.Update", "POST", "/projects/PRJ/repos/repo/1", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.RepoTokens.Update(ctx, "PRJ", "repo", "1", update)
			return err
		}},
		{"RepoTokens.Delete", "DELETE", "/projects/PRJ/repos/repo/1", func(ctx context.Context, c *accesstokens.Client) error {
			return c.RepoTokens.Delete(ctx, "PRJ", "repo", "1")
		}},
		{"Admin.GetExpiryPolicy", "GET", "/admin", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.Admin.GetExpiryPolicy(ctx)
			return err
		}},
		{"Admin.SetExpiryPolicy", "PUT", "/admin", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
		}},
		{"Admin.DeleteExpiryPolicy", "DELETE", "/admin", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.DeleteExpiryPolicy(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(tc.method, tc.rawPath, respond(t, http.StatusConflict, "error_validation.json"))

			err := tc.call(testContext(t), c)

			apiErr := requireAPIError(t, err)
			assert.Equal(t, http.StatusConflict, apiErr.StatusCode)
			assert.Equal(t, tc.method, apiErr.Method)
			assert.Equal(t, apiRoot+tc.rawPath, apiErr.Path)
			require.Len(t, apiErr.Messages, 1)
			assert.Equal(t, "name", apiErr.Messages[0].Context)
			assert.ErrorIs(t, err, accesstokens.ErrConflict)
			assert.Equal(t, 1, ts.count(tc.method, tc.rawPath))
		})
	}
}

func TestErrorRetryAfterIsParsedFromSecondsAndHTTPDate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		header   func() string
		min, max time.Duration
	}{
		{"seconds", func() string { return "120" }, 120 * time.Second, 120 * time.Second},
		{"HTTP date", func() string { return time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat) }, 80 * time.Second, 90 * time.Second},
		{"absent", func() string { return "" }, 0, 0},
		{"garbage", func() string { return "soon" }, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/users/alice/1", func(w http.ResponseWriter, r *http.Request) {
				if v := tc.header(); v != "" {
					w.Header().Set("Retry-After", v)
				}
				writeJSON(w, http.StatusTooManyRequests, []byte(`{"errors":[{"message":"Slow down"}]}`))
			})

			_, err := c.UserTokens.Get(testContext(t), "alice", "1")

			apiErr := requireAPIError(t, err)
			assert.ErrorIs(t, err, accesstokens.ErrRateLimited)
			assert.GreaterOrEqual(t, apiErr.RetryAfter, tc.min)
			assert.LessOrEqual(t, apiErr.RetryAfter, tc.max)
			if tc.max > 0 {
				assert.Contains(t, err.Error(), "retry after")
			}
			assert.Contains(t, err.Error(), "Slow down")
		})
	}
}

// TestErrorOfAHandBuiltOrZeroErrorReadsWell: stubs in downstream tests build
// errors by hand, often with a status alone; Error() has no holes then.
func TestErrorOfAHandBuiltOrZeroErrorReadsWell(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  *accesstokens.Error
		want string
	}{
		{&accesstokens.Error{StatusCode: 404}, "accesstokens: 404 Not Found"},
		{&accesstokens.Error{}, "accesstokens: error without a status"},
		{&accesstokens.Error{StatusCode: 799}, "accesstokens: 799"},
		{&accesstokens.Error{StatusCode: 500, Method: http.MethodGet}, "accesstokens: GET: 500 Internal Server Error"},
		{&accesstokens.Error{StatusCode: 409, Path: "/rest/x"}, "accesstokens: /rest/x: 409 Conflict"},
		{&accesstokens.Error{StatusCode: 400, Method: http.MethodPut, Path: "/rest/x"}, "accesstokens: PUT /rest/x: 400 Bad Request"},
		{&accesstokens.Error{Messages: []accesstokens.ErrorMessage{{Message: "boom"}}}, "accesstokens: error without a status: boom"},
		{&accesstokens.Error{StatusCode: 401, Messages: []accesstokens.ErrorMessage{{Context: "name", Message: "  "}}}, "accesstokens: 401 Unauthorized: name"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.err.Error())
	}
}

func TestErrorRoundsRetryAfterToWholeSeconds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		retryAfter time.Duration
		want       string
	}{
		{1500 * time.Millisecond, "(retry after 2s)"},
		{89*time.Second + 10*time.Millisecond, "(retry after 1m30s)"},
		{time.Millisecond, "(retry after 1s)"},
		{5 * time.Second, "(retry after 5s)"},
	}
	for _, tc := range cases {
		e := &accesstokens.Error{StatusCode: 429, RetryAfter: tc.retryAfter}
		assert.Equal(t, "accesstokens: 429 Too Many Requests "+tc.want, e.Error())
	}
}

// TestBitbucket401sTellFailedAuthenticationFromNotPermitted: Bitbucket answers
// 401 both to wrong credentials and to a user who may not do something; the
// answer's exception name (or text) tells which, and both stay 401s.
func TestBitbucket401sTellFailedAuthenticationFromNotPermitted(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	ctx := testContext(t)
	client := func(user, password string) *accesstokens.Client {
		c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, password))
		require.NoError(t, err)
		return c
	}
	_, wrongPassword := client("alice", "not-alices-password").ProjectTokens.List(ctx, "PRJ", nil)
	_, notPermitted := client("bob", "bob").ProjectTokens.List(ctx, "PRJ", nil)

	wrong := []struct {
		name  string
		err   error
		match []error
	}{
		{"fake: wrong password", wrongPassword, []error{accesstokens.ErrUnauthorized, accesstokens.ErrAuthentication}},
		{"fake: bob may not read PRJ's tokens", notPermitted, []error{accesstokens.ErrUnauthorized, accesstokens.ErrNotPermitted}},
		{"403 not permitted", &accesstokens.Error{StatusCode: 403, Messages: []accesstokens.ErrorMessage{{
			Message: "You are not permitted to access this resource", ExceptionName: "com.atlassian.bitbucket.AuthorisationException"}}},
			[]error{accesstokens.ErrForbidden, accesstokens.ErrNotPermitted}},
		{"401 not permitted, message only", &accesstokens.Error{StatusCode: 401, Messages: []accesstokens.ErrorMessage{{
			Message: "You are not permitted to access this resource"}}},
			[]error{accesstokens.ErrUnauthorized, accesstokens.ErrNotPermitted}},
		{"401 authentication failed, message only", &accesstokens.Error{StatusCode: 401, Messages: []accesstokens.ErrorMessage{{
			Message: "Authentication failed. Please check your credentials and try again."}}},
			[]error{accesstokens.ErrUnauthorized, accesstokens.ErrAuthentication}},
		{"401 with some other body", &accesstokens.Error{StatusCode: 401, Messages: []accesstokens.ErrorMessage{{
			Context: "name", Message: "A name is required."}}},
			[]error{accesstokens.ErrUnauthorized}},
		{"401 with no body", &accesstokens.Error{StatusCode: 401}, []error{accesstokens.ErrUnauthorized}},
		{"404 that says not permitted", &accesstokens.Error{StatusCode: 404, Messages: []accesstokens.ErrorMessage{{
			Message: "You are not permitted", ExceptionName: "com.atlassian.bitbucket.AuthorisationException"}}},
			[]error{accesstokens.ErrNotFound}},
		{"400 that says authentication failed", &accesstokens.Error{StatusCode: 400, Messages: []accesstokens.ErrorMessage{{
			Message: "Authentication failed", ExceptionName: "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}}},
			[]error{accesstokens.ErrBadRequest}},
	}
	for _, tc := range wrong {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			for name, sentinel := range everySentinel {
				if slices.Contains(tc.match, sentinel) {
					assert.ErrorIs(t, tc.err, sentinel, "must match %s: %v", name, tc.err)
				} else {
					assert.NotErrorIs(t, tc.err, sentinel, "must not match %s: %v", name, tc.err)
				}
			}
		})
	}
	// A plain-text failed login from a proxy says so too.
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
		writeRawBody(w, http.StatusUnauthorized, "text/plain", []byte("Authentication failed. Please check your credentials and try again.\n"))
	})
	_, err := c.UserTokens.List(testContext(t), "alice", nil)
	assert.ErrorIs(t, err, accesstokens.ErrAuthentication)
	assert.ErrorIs(t, err, accesstokens.ErrUnauthorized)
	assert.NotErrorIs(t, err, accesstokens.ErrNotPermitted)
}
