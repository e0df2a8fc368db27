package accesstokens_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
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

// requireAPIError requires err to be an *accesstokens.Error and returns it.
func requireAPIError(t *testing.T, err error) *accesstokens.Error {
	t.Helper()
	require.Error(t, err)
	var apiErr *accesstokens.Error
	require.True(t, errors.As(err, &apiErr), "want *accesstokens.Error, got %T: %v", err, err)
	return apiErr
}

// writeRawBody answers with status, a content type and body.
func writeRawBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
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

func TestErrorStringStaysShortWhateverTheBody(t *testing.T) {
	t.Parallel()
	const marker = "Quota exceeded for this user: "
	hugeJSON := func(n int) []byte {
		return []byte(`{"errors":[{"context":null,"message":"` + marker + strings.Repeat("x", n) +
			`","exceptionName":"com.example.QuotaException"}]}`)
	}
	manyMessages := `{"errors":[` + strings.TrimSuffix(strings.Repeat(`{"context":"field","message":"`+marker+strings.Repeat("y", 200)+`"},`, 3000), ",") + `]}`
	cases := []struct {
		name        string
		contentType string
		body        []byte
		wantText    string
		wantParsed  bool // the body fits under the error cap, so Messages is filled
	}{
		{"5 MB of JSON message text", "application/json", hugeJSON(5 << 20), marker, false},
		{"900 KB JSON message, under the cap", "application/json", hugeJSON(900 << 10), marker, true},
		{"thousands of messages", "application/json", []byte(manyMessages), marker, true},
		{"5 MB of HTML", "text/html", []byte("<html><head><title>Gateway exploded</title></head><body>" +
			strings.Repeat("<p>lorem ipsum dolor sit amet</p>\n", (5<<20)/34) + "</body></html>"), "Gateway exploded", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, http.StatusInternalServerError, tc.contentType, tc.body)
			})

			_, err := c.UserTokens.List(testContext(t), "alice", nil)

			apiErr := requireAPIError(t, err)
			assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
			msg := err.Error()
			assert.Less(t, len(msg), 600, "Error() must stay short, got %d bytes", len(msg))
			assert.Contains(t, msg, tc.wantText)
			assert.Contains(t, msg, "500")
			if tc.wantParsed {
				require.NotEmpty(t, apiErr.Messages)
				assert.True(t, strings.HasPrefix(apiErr.Messages[0].Message, marker))
			}
		})
	}
}

func TestErrorFromNonJSONOrEmptyBodyIsStillUseful(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		sentinel    error
		wantText    []string
	}{
		{
			name: "HTML page from a proxy", status: http.StatusBadGateway, contentType: "text/html",
			body: fixture(t, "proxy_502.html"), sentinel: accesstokens.ErrServer,
			wantText: []string{"502 Bad Gateway", "invalid response from an upstream server"},
		},
		{
			name: "empty body", status: http.StatusInternalServerError, contentType: "",
			body: nil, sentinel: accesstokens.ErrServer,
			wantText: []string{"500", "Internal Server Error"},
		},
		{
			name: "plain text failed login", status: http.StatusUnauthorized, contentType: "text/plain",
			body: []byte("Authentication failed. Please check your credentials and try again.\n"), sentinel: accesstokens.ErrUnauthorized,
			wantText: []string{"401", "Authentication failed. Please check your credentials"},
		},
		{
			name: "JSON that is not Bitbucket's error shape", status: http.StatusServiceUnavailable, contentType: "application/json",
			body: []byte(`{"status":"maintenance"}`), sentinel: accesstokens.ErrServer,
			wantText: []string{"503", "maintenance"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodDelete, "/projects/PRJ/7", func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, tc.status, tc.contentType, tc.body)
			})

			err := c.ProjectTokens.Delete(testContext(t), "PRJ", "7")

			apiErr := requireAPIError(t, err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, http.MethodDelete, apiErr.Method)
			assert.Equal(t, apiRoot+"/projects/PRJ/7", apiErr.Path)
			assert.Empty(t, apiErr.Messages)
			assert.ErrorIs(t, err, tc.sentinel)
			msg := err.Error()
			assert.Contains(t, msg, http.MethodDelete)
			assert.Contains(t, msg, apiRoot+"/projects/PRJ/7")
			for _, want := range tc.wantText {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, "<", "HTML tags are dropped")
			assert.NotContains(t, msg, "\n", "Error() is one line")
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

// TestErrorBodyIsReadOnlyUpToItsCap shows that a server streaming an endless
// error body cannot make the client read it all: the client stops after its
// 1 MiB cap and closes the connection, so the handler's writes start failing
// long before it has sent everything.
func TestErrorBodyIsReadOnlyUpToItsCap(t *testing.T) {
	t.Parallel()
	const total = 256 << 20
	ts, c := newTestServer(t)
	written := make(chan int, 1)
	ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("overflowing error text ", 64<<10/23))
		n := 0
		for n < total {
			k, err := w.Write(chunk)
			n += k
			if err != nil {
				break
			}
		}
		written <- n
	})
	ctx := testContext(t)

	_, err := c.UserTokens.List(ctx, "alice", nil)

	apiErr := requireAPIError(t, err)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Less(t, len(err.Error()), 600)
	assert.Contains(t, err.Error(), "overflowing error text")
	select {
	case n := <-written:
		t.Logf("the handler managed to write %d of %d bytes", n, total)
		assert.Less(t, n, total/4, "the client must stop reading an error body after its cap")
	case <-ctx.Done():
		t.Fatal("the handler never finished: the client kept the connection open")
	}
}

// bigTokenBody is valid-looking token JSON of exactly n bytes.
func bigTokenBody(n int) []byte {
	const prefix, suffix = `{"id":"1","createdDate":1672996351030,"name":"`, `"}`
	b := bytes.Repeat([]byte{'a'}, n)
	copy(b, prefix)
	copy(b[n-len(suffix):], suffix)
	return b
}

func TestSuccessBodyOverMaxResponseBytesIsAnError(t *testing.T) {
	t.Parallel()
	limit := strconv.Itoa(accesstokens.MaxResponseBytes)
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"streamed without Content-Length", func(w http.ResponseWriter, r *http.Request) {
			body := bigTokenBody(accesstokens.MaxResponseBytes + 1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			// Written in pieces so that net/http streams it chunked, with no length announced.
			for len(body) > 0 {
				n := min(len(body), 1<<20)
				if _, err := w.Write(body[:n]); err != nil {
					return
				}
				body = body[n:]
			}
		}},
		{"announced by Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(accesstokens.MaxResponseBytes+1))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":"1","name":"`))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/users/alice/1", tc.handler)

			tok, err := c.UserTokens.Get(testContext(t), "alice", "1")

			require.Error(t, err)
			assert.Nil(t, tok)
			assert.Contains(t, err.Error(), limit, "the error names the limit")
			var apiErr *accesstokens.Error
			assert.False(t, errors.As(err, &apiErr), "a 2xx is not an *Error")
		})
	}
}

func TestSuccessBodyThatIsNotTheExpectedJSONIsAnError(t *testing.T) {
	t.Parallel()
	const jsonType = "application/json;charset=UTF-8"
	bodies := []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"HTML page", 200, "text/html; charset=utf-8", string(fixture(t, "proxy_502.html"))},
		{"truncated JSON", 200, jsonType, `{"id":"075905477751","name":"ci de`},
		{"empty body on 200", 200, jsonType, ""},
		{"empty object", 200, jsonType, `{}`},
		{"empty array", 200, jsonType, `[]`},
		{"page without isLastPage", 200, jsonType, `{"size":0,"limit":25,"start":0,"values":[]}`},
		{"JSON served as text/plain", 200, "text/plain", string(fixture(t, "token_list_repo.json"))},
		{"null", 200, jsonType, `null`},
		{"a bare number", 200, jsonType, `42`},
		{"201 with garbage", 201, jsonType, `not json at all`},
	}
	ops := []struct {
		name, method, rawPath string
		call                  func(ctx context.Context, c *accesstokens.Client) (any, error)
	}{
		{"Get", "GET", "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.ProjectTokens.Get(ctx, "PRJ", "1")
		}},
		{"List", "GET", "/projects/PRJ", func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.ProjectTokens.List(ctx, "PRJ", nil)
		}},
		{"Create", "PUT", "/projects/PRJ", func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
		}},
		{"Update", "POST", "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) (any, error) {
			name := "m"
			return c.ProjectTokens.Update(ctx, "PRJ", "1", accesstokens.UpdateTokenRequest{Name: &name})
		}},
	}
	for _, b := range bodies {
		for _, op := range ops {
			t.Run(b.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t)
				ts.on(op.method, op.rawPath, func(w http.ResponseWriter, r *http.Request) {
					writeRawBody(w, b.status, b.contentType, []byte(b.body))
				})

				var got any
				var err error
				require.NotPanics(t, func() { got, err = op.call(testContext(t), c) })

				require.Error(t, err, "a 2xx that is not the expected JSON must not decode to a zero value")
				assert.Nil(t, got)
				assert.Contains(t, err.Error(), apiRoot+op.rawPath, "the error names the request")
				assert.Less(t, len(err.Error()), 1000)
				for _, sentinel := range everySentinel {
					if sentinel == accesstokens.ErrOutcomeUnknown && op.method != http.MethodGet {
						assert.ErrorIs(t, err, sentinel, "the write was answered 2xx, its answer is lost")
						continue
					}
					assert.NotErrorIs(t, err, sentinel)
				}
			})
		}
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

// TestErrorBlanksInvisibleAndBidiCharactersFromServerText: line and paragraph
// separators, bidi overrides and isolates, zero-width characters and a BOM in
// server text could reorder or hide what a terminal or log viewer shows.
func TestErrorBlanksInvisibleAndBidiCharactersFromServerText(t *testing.T) {
	t.Parallel()
	invisible := []rune{
		'\u2028', '\u2029', // line and paragraph separators
		'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', // bidi embeddings and overrides
		'\u2066', '\u2067', '\u2068', '\u2069', // bidi isolates
		'\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\u061C', // zero-width and marks
		'\uFEFF', // byte-order mark
	}
	for _, r := range invisible {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			t.Parallel()
			for _, e := range []*accesstokens.Error{
				{StatusCode: 400, Messages: []accesstokens.ErrorMessage{{Context: "na" + string(r) + "me", Message: "bad" + string(r) + "name"}}},
				{StatusCode: 400, Messages: []accesstokens.ErrorMessage{{Message: string(r) + "bad name"}}},
			} {
				msg := e.Error()
				assert.NotContains(t, msg, string(r))
				assert.True(t, utf8.ValidString(msg))
				assert.Contains(t, msg, "bad")
			}
		})
	}
	// Through the wire too, with JSON escapes; Messages keeps the raw text.
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, []byte(`{"errors":[{"message":"evil\u202Etxt.exe\u2028INFO approved\ufeff"}]}`))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	apiErr := requireAPIError(t, err)
	assert.Equal(t, "accesstokens: GET "+apiRoot+"/projects/PRJ/1: 400 Bad Request: evil txt.exe INFO approved", err.Error())
	assert.Equal(t, "evil\u202Etxt.exe\u2028INFO approved\ufeff", apiErr.Messages[0].Message)

	// A 2xx HTML page quoted in a decode error is server text too.
	ts.on(http.MethodGet, "/projects/PRJ/2", func(w http.ResponseWriter, r *http.Request) {
		writeRawBody(w, http.StatusOK, "text/html", []byte("<html><body>Log\u202Ein\u2066 \u200bnow\u0085</body></html>"))
	})
	_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "2")
	require.Error(t, err)
	for _, r := range invisible {
		assert.NotContains(t, err.Error(), string(r))
	}
	assert.NotContains(t, err.Error(), "\u0085")
	assert.Contains(t, err.Error(), "Log in")
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
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
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

// TestATokenRefusedByBitbucketSaysToUseBasicAuthOfAnAdmin: Bitbucket does
// not accept access tokens for token management, admin endpoints or the
// user directory, and says only "not permitted". The error says why and
// what works; where tokens are accepted, or the credential is a password,
// the error stays as the server put it.
func TestATokenRefusedByBitbucketSaysToUseBasicAuthOfAnAdmin(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	_, secret := srv.IssueToken(accesstokenstest.UserScope(accesstokenstest.DemoAdmin), "ci", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	ctx := testContext(t)
	token, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(secret), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	refused := map[string]func() error{
		"listing a project's tokens": func() error {
			_, err := token.Tokens.List(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject), nil)
			return err
		},
		"creating a token": func() error {
			_, err := token.Tokens.Create(ctx, accesstokens.UserScope(accesstokenstest.DemoAdmin),
				accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
			return err
		},
		"reading the expiry policy": func() error { _, err := token.Admin.GetExpiryPolicy(ctx); return err },
	}
	for name, call := range refused {
		err := call()
		require.ErrorIs(t, err, accesstokens.ErrNotPermitted, name)
		assert.Contains(t, err.Error(), "Bitbucket does not accept access tokens", name)
		assert.Contains(t, err.Error(), "username and password of an admin (Basic auth)", name)
	}

	users, err := collect(token.Directory.Users(ctx))
	require.NoError(t, err, "the user directory falls back to the list a token may read")
	assert.NotEmpty(t, users)

	bob, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoBob, accesstokenstest.DemoBobPassword))
	require.NoError(t, err)
	_, err = bob.Tokens.List(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject), nil)
	require.ErrorIs(t, err, accesstokens.ErrNotPermitted)
	assert.NotContains(t, err.Error(), "access tokens", "a password is no token: bob is just not permitted")
}
