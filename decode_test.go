package accesstokens_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAPageIsNotSuccessForCallsThatExpectNoData: Delete and the policy writes
// expect 204, an empty body or JSON; an HTML page with 200 (an SSO login
// page) is an error, not a done deal.
func TestAPageIsNotSuccessForCallsThatExpectNoData(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name, method, path string
		call               func(context.Context, *accesstokens.Client) error
	}{
		{"Delete", http.MethodDelete, "/projects/PRJ/1", func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1")
		}},
		{"SetExpiryPolicy", http.MethodPut, "/admin", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
		}},
		{"DeleteExpiryPolicy", http.MethodDelete, "/admin", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.DeleteExpiryPolicy(ctx)
		}},
	}
	answers := []struct {
		name, contentType, body string
		ok                      bool
	}{
		{"204", "", "", true},
		{"empty 200", "application/json", "", true},
		{"JSON 200", "application/json;charset=UTF-8", `{"maxExpiryDays":30}`, true},
		{"JSON 200 without a content type", "", `{}`, true},
		{"HTML login page", "text/html", "<html><body>Log in</body></html>", false},
		{"plain text", "text/plain", "OK", false},
		{"HTML labelled as nothing", "", "<html>Log in</html>", false},
	}
	for _, call := range calls {
		for _, a := range answers {
			t.Run(call.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t)
				ts.on(call.method, call.path, func(w http.ResponseWriter, r *http.Request) {
					if a.name == "204" {
						w.WriteHeader(http.StatusNoContent)
						return
					}
					w.Header()["Content-Type"] = []string{a.contentType}
					if a.contentType == "" {
						w.Header()["Content-Type"] = nil // no sniffing: send none
					}
					_, _ = io.WriteString(w, a.body)
				})
				err := call.call(testContext(t), c)
				if a.ok {
					assert.NoError(t, err)
					return
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), "expected no content or JSON")
			})
		}
	}
}

// badServerOp is a call whose answer must be decoded, with its route.
type badServerOp struct {
	name, method, path string
	good               string // a fixture with a good answer, for truncation
	call               func(ctx context.Context, c *accesstokens.Client) (any, error)
}

var decodingOps = []badServerOp{
	{"UserTokens.Get", http.MethodGet, "/users/alice/" + retryTokenID, "token.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.UserTokens.Get(ctx, "alice", retryTokenID)
		}},
	{"RepoTokens.List", http.MethodGet, "/projects/PRJ/repos/repo", "token_list_repo.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.RepoTokens.List(ctx, "PRJ", "repo", nil)
		}},
	{"ProjectTokens.All", http.MethodGet, "/projects/PRJ", "page_last.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			var got []accesstokens.AccessToken
			for tok, err := range c.ProjectTokens.All(ctx, "PRJ", nil) {
				if err != nil {
					return got, err
				}
				got = append(got, tok)
			}
			return got, nil
		}},
	{"UserTokens.Create", http.MethodPut, "/users/alice", "token_created.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
				Name: "ci", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
			})
		}},
	{"ProjectTokens.Update", http.MethodPost, "/projects/PRJ/" + retryTokenID, "token.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			name := "renamed"
			return c.ProjectTokens.Update(ctx, "PRJ", retryTokenID, accesstokens.UpdateTokenRequest{Name: &name})
		}},
	{"Admin.GetExpiryPolicy", http.MethodGet, "/admin", "policy.json",
		func(ctx context.Context, c *accesstokens.Client) (any, error) {
			return c.Admin.GetExpiryPolicy(ctx)
		}},
}

func TestAnswersThatAreNotTheExpectedJSONEndInAnError(t *testing.T) {
	t.Parallel()
	type answer struct {
		name, contentType string
		body              func(t *testing.T, op badServerOp) []byte
	}
	const jsonType = "application/json;charset=UTF-8"
	answers := []answer{
		{"HTML login page", "text/html;charset=UTF-8", func(*testing.T, badServerOp) []byte {
			return []byte("<!DOCTYPE html><html><head><title>Log in - Bitbucket</title></head><body><form></form></body></html>")
		}},
		{"HTML without content type", "", func(t *testing.T, _ badServerOp) []byte { return fixture(t, "proxy_502.html") }},
		{"truncated JSON", jsonType, func(t *testing.T, op badServerOp) []byte {
			good := fixture(t, op.good)
			return good[:len(good)/2]
		}},
		{"good JSON as XML", "application/xml", func(t *testing.T, op badServerOp) []byte { return fixture(t, op.good) }},
		{"JSON array", jsonType, func(*testing.T, badServerOp) []byte { return []byte(`[{"id":"1"}]`) }},
		{"JSON string", jsonType, func(*testing.T, badServerOp) []byte { return []byte(`"ok"`) }},
		{"numbers where strings belong", jsonType, func(*testing.T, badServerOp) []byte {
			return []byte(`{"id":1,"name":2,"isLastPage":"yes","maxExpiryDays":"ninety"}`)
		}},
		{"two documents", jsonType, func(t *testing.T, op badServerOp) []byte {
			return append(fixture(t, op.good), fixture(t, op.good)...)
		}},
	}
	for _, op := range decodingOps {
		for _, a := range answers {
			t.Run(op.name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
				body := a.body(t, op)
				ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
					if a.contentType != "" {
						w.Header().Set("Content-Type", a.contentType)
					}
					w.WriteHeader(http.StatusOK)
					_, _ = w.Write(body)
				})

				_, err := op.call(testContext(t), c)

				require.Error(t, err)
				var apiErr *accesstokens.Error
				assert.False(t, errors.As(err, &apiErr), "a 200 is not a server error: %v", err)
				assert.Less(t, len(err.Error()), 1024)
				assert.Equal(t, 1, ts.count(op.method, op.path), "a bad 200 is not retried")
			})
		}
	}
}

func TestAnEmpty200IsAnErrorWhereAValueIsExpected(t *testing.T) {
	t.Parallel()
	for _, op := range decodingOps {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
			})

			v, err := op.call(testContext(t), c)

			if op.name == "Admin.GetExpiryPolicy" {
				// Documented: an empty answer means no policy is set.
				require.NoError(t, err)
				assert.Equal(t, &accesstokens.ExpiryPolicy{}, v)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "empty")
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
