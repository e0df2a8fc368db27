package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

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

func TestHTMLErrorPagesBecomeShortErrorsAfterTheRetries(t *testing.T) {
	t.Parallel()
	big := "<html><body>" + strings.Repeat("<p>upstream is down</p>", 200_000) + "</body></html>" // ~4.6 MB
	tests := []struct {
		name         string
		op           retryOp
		status       int
		body         string
		wantRequests int
	}{
		{"proxy 502 on a get", idempotentOps[0], 502, "", quickRetry.MaxRetries + 1},
		{"proxy 502 on a create", createOp, 502, "", 1},
		{"huge 503 page on a list", idempotentOps[1], 503, big, quickRetry.MaxRetries + 1},
		{"huge 401 page on a create", createOp, 401, big, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
			body := []byte(tt.body)
			if tt.body == "" {
				body = fixture(t, "proxy_502.html")
			}
			ts.on(tt.op.method, tt.op.path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tt.status)
				_, _ = w.Write(body)
			})

			err := tt.op.call(t, testContext(t), c)

			var apiErr *accesstokens.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Empty(t, apiErr.Messages)
			assert.Less(t, len(err.Error()), 1024)
			assert.NotContains(t, err.Error(), "<")
			assert.Contains(t, strings.ToLower(err.Error()), "upstream")
			assert.Equal(t, tt.wantRequests, ts.count(tt.op.method, tt.op.path))
		})
	}
}

func TestSuccessBodiesOverTheCapAreErrors(t *testing.T) {
	t.Parallel()
	for _, op := range decodingOps {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(accesstokens.MaxResponseBytes+1))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"id":"1"`))
			})

			_, err := op.call(testContext(t), c)

			require.Error(t, err)
			assert.Contains(t, err.Error(), "larger than the client accepts")
		})
	}
}

// trickle answers status and then sends one byte at a time, forever, until
// the client goes away.
func trickle(status int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so the server notices the client leaving
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for first := true; ; first = false {
			b := []byte(" ")
			if first {
				b = []byte("{")
			}
			if _, err := w.Write(b); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
			}
		}
	}
}

// silent reads the request and never answers.
func silent(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

func TestServersThatNeverFinishAnsweringAreCutOffByTheContext(t *testing.T) {
	t.Parallel()
	handlers := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"200 body that trickles forever", trickle(http.StatusOK)},
		{"503 body that trickles forever", trickle(http.StatusServiceUnavailable)},
		{"no answer at all", silent},
	}
	for _, op := range decodingOps {
		for _, h := range handlers {
			t.Run(op.name+"/"+h.name, func(t *testing.T) {
				t.Parallel()
				ts, c := newTestServer(t, accesstokens.WithRetry(quickRetry))
				ts.on(op.method, op.path, h.h)
				ctx, cancel := context.WithTimeout(testContext(t), 200*time.Millisecond)
				defer cancel()

				start := time.Now()
				_, err := op.call(ctx, c)

				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Less(t, time.Since(start), 3*time.Second)
			})
		}
	}
}

// TestAMislabelledCreateAnswerDoesNotLeakItsSecretIntoTheError: a create
// whose answer holds the secret but comes with a wrong content type is an
// error, and that error quotes nothing of the body; an HTML page still is.
func TestAMislabelledCreateAnswerDoesNotLeakItsSecretIntoTheError(t *testing.T) {
	t.Parallel()
	const secret = "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw"
	body := fixture(t, "token_created.json")
	require.Contains(t, string(body), secret)
	for _, contentType := range []string{"text/plain", "text/html; charset=utf-8", "application/octet-stream"} {
		ts, c := newTestServer(t)
		ts.on(http.MethodPut, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write(body)
		})
		raw, err := c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
			Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		})
		require.Error(t, err, contentType)
		assert.Nil(t, raw)
		for _, shown := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, shown, secret, contentType)
			assert.NotContains(t, shown, "786587856882", "no part of the body is quoted (%s)", contentType)
		}
		assert.Contains(t, err.Error(), contentType)
	}

	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html><body><h1>Please log in</h1></body></html>"))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Please log in", "a page that is not JSON is still quoted, to help")
}

// TestDatesOutsideYears1970To9999AreDecodeErrorsNamingTheField: Bitbucket's
// dates are epoch milliseconds; a number no real date has (1e30 decoded as
// year -292275055) is an error that says which field, not a silent value.
func TestDatesOutsideYears1970To9999AreDecodeErrorsNamingTheField(t *testing.T) {
	t.Parallel()
	token := func(field, value string) string {
		return `{"id":"075905477751","name":"ci","createdDate":1672996351030,"permissions":["REPO_READ"],"` +
			field + `":` + value + `}`
	}
	bad := []struct{ field, value string }{
		{"createdDate", "1e30"},
		{"createdDate", "-1e30"},
		{"createdDate", "-1"},
		{"createdDate", "253402300800000"}, // 10000-01-01
		{"createdDate", "9223372036854775807"},
		{"createdDate", `"99999999999999999"`},
		{"createdDate", `"-5"`},
		{"createdDate", `"1969-12-31T23:59:59Z"`},
		{"expiryDate", "1e300"},
		{"expiryDate", "-62135596800000"}, // year 1
		{"lastAuthenticated", "1.5e16"},
		{"lastAuthenticated", `"0001-01-01T00:00:00Z"`},
	}
	for _, tc := range bad {
		t.Run(tc.field+"="+tc.value, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, []byte(token(tc.field, tc.value)))
			})

			tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")

			require.Error(t, err, "decoded as %v", tok)
			assert.Nil(t, tok)
			assert.Contains(t, err.Error(), tc.field)
			assert.Contains(t, err.Error(), "1970")
			var apiErr *accesstokens.Error
			assert.False(t, errors.As(err, &apiErr))
		})
	}
	good := []struct {
		field, value string
		want         time.Time
	}{
		{"createdDate", "0", time.Unix(0, 0).UTC()},
		{"createdDate", "253402300799999", time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)},
		{"createdDate", "1.6729963510e12", time.UnixMilli(1672996351000).UTC()},
		{"createdDate", `"9999-12-31T23:59:59Z"`, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	for _, tc := range good {
		ts, c := newTestServer(t)
		ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(token(tc.field, tc.value)))
		})
		tok, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
		require.NoError(t, err, tc.value)
		assert.Equal(t, tc.want, tok.CreatedDate, tc.value)
	}
}
