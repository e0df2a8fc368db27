package accesstokens_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestARedirectNeverTurnsAWriteIntoARead: net/http follows a 301/302/303 on
// DELETE or POST with a GET, whose 200 used to pass for the write's success.
func TestARedirectNeverTurnsAWriteIntoARead(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			fake := accesstokenstest.NewFake()
			id, _ := fake.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 0, "PROJECT_READ")
			// A front end that redirects every API call to the same path under /bitbucket.
			mux := http.NewServeMux()
			mux.Handle("/bitbucket/", http.StripPrefix("/bitbucket", fake))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/bitbucket"+r.URL.RequestURI(), status)
			})
			srv := newLoopbackServer(t, mux)
			c, err := accesstokens.NewClient(srv, accesstokens.WithBasicAuth("alice", "alice"),
				accesstokens.WithRetry(accesstokens.RetryPolicy{}))
			require.NoError(t, err)
			ctx := testContext(t)

			err = c.ProjectTokens.Delete(ctx, "PRJ", id)
			var apiErr *accesstokens.Error
			require.ErrorAs(t, err, &apiErr, "a redirected delete is not a success")
			assert.Equal(t, status, apiErr.StatusCode)

			name := "renamed"
			_, err = c.ProjectTokens.Update(ctx, "PRJ", id, accesstokens.UpdateTokenRequest{Name: &name})
			require.ErrorAs(t, err, &apiErr, "a redirected update is not a success")

			tokens := fake.Tokens()
			require.Len(t, tokens, 1, "the token still exists")
			assert.Equal(t, "deploy", tokens[0].Name)

			// A redirect that keeps the method is still followed.
			got, err := c.ProjectTokens.Get(ctx, "PRJ", id)
			require.NoError(t, err)
			assert.Equal(t, id, got.ID)
		})
	}
}

// TestACrossHostRedirectOfAWriteIsAnErrorNotASuccess: net/http follows a 307
// or 308 with the same method and body. Authorization is dropped on the way
// to another host, so the other host's 2xx says nothing about the write: a
// revoke that never happened must not be reported done.
func TestACrossHostRedirectOfAWriteIsAnErrorNotASuccess(t *testing.T) {
	t.Parallel()
	writes := []struct {
		name, method string
		call         func(context.Context, *accesstokens.Client) error
	}{
		{"Delete", http.MethodDelete, func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1")
		}},
		{"Update", http.MethodPost, func(ctx context.Context, c *accesstokens.Client) error {
			name := "x"
			_, err := c.ProjectTokens.Update(ctx, "PRJ", "1", accesstokens.UpdateTokenRequest{Name: &name})
			return err
		}},
		{"Create", http.MethodPut, func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
			return err
		}},
		{"SetExpiryPolicy", http.MethodPut, func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30})
		}},
		{"DeleteExpiryPolicy", http.MethodDelete, func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.DeleteExpiryPolicy(ctx)
		}},
	}
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for _, w := range writes {
			t.Run(fmt.Sprintf("%d/%s", status, w.name), func(t *testing.T) {
				t.Parallel()
				var otherHits atomic.Int64
				// The other host says yes to everything, as if the write were done.
				other := newLoopbackServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
					otherHits.Add(1)
					if r.Method == http.MethodDelete || r.URL.Path == "/admin" {
						rw.WriteHeader(http.StatusNoContent)
						return
					}
					writeJSON(rw, http.StatusOK, fixture(t, "token_created.json"))
				}))
				front := newLoopbackServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
					http.Redirect(rw, r, other+r.URL.Path, status)
				}))
				c, err := accesstokens.NewClient(front, accesstokens.WithBasicAuth("alice", "alice"),
					accesstokens.WithRetry(accesstokens.RetryPolicy{}))
				require.NoError(t, err)

				err = w.call(testContext(t), c)

				var apiErr *accesstokens.Error
				require.ErrorAs(t, err, &apiErr, "a write redirected to another host is not a success")
				assert.Equal(t, status, apiErr.StatusCode)
				assert.Equal(t, w.method, apiErr.Method)
				assert.Equal(t, int64(0), otherHits.Load(), "the write is not sent to the other host")
				assert.Contains(t, err.Error(), "redirect not followed")
			})
		}
	}

	t.Run("a read still follows, without credentials", func(t *testing.T) {
		t.Parallel()
		var sawAuth atomic.Bool
		other := newLoopbackServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			sawAuth.Store(r.Header.Get("Authorization") != "")
			writeJSON(rw, http.StatusOK, fixture(t, "token.json"))
		}))
		front := newLoopbackServer(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, other+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		c, err := accesstokens.NewClient(front, accesstokens.WithBasicAuth("alice", "alice"))
		require.NoError(t, err)
		_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "1")
		require.NoError(t, err)
		assert.False(t, sawAuth.Load())
	})

	t.Run("a write redirected on the same host is followed", func(t *testing.T) {
		t.Parallel()
		fake := accesstokenstest.NewFake()
		id, _ := fake.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "deploy", 0, "PROJECT_READ")
		mux := http.NewServeMux()
		mux.Handle("/bitbucket/", http.StripPrefix("/bitbucket", fake))
		mux.HandleFunc("/", func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "/bitbucket"+r.URL.RequestURI(), http.StatusPermanentRedirect)
		})
		c, err := accesstokens.NewClient(newLoopbackServer(t, mux), accesstokens.WithBasicAuth("alice", "alice"))
		require.NoError(t, err)
		require.NoError(t, c.ProjectTokens.Delete(testContext(t), "PRJ", id))
		assert.Empty(t, fake.Tokens())
	})
}

// TestRedirectToAnotherHostDropsAuthorization uses two servers: the first
// redirects, the second must never see the credential.
func TestRedirectToAnotherHostDropsAuthorization(t *testing.T) {
	t.Parallel()
	for _, cred := range []struct {
		name string
		opt  accesstokens.Option
		want string
	}{
		{"bearer", accesstokens.WithToken("redirect-secret"), "Bearer redirect-secret"},
		{"basic", accesstokens.WithBasicAuth("alice", "redirect-secret"), basic("alice", "redirect-secret")},
	} {
		t.Run(cred.name, func(t *testing.T) {
			t.Parallel()
			other := newRecServer(t, answerFixture(t, 200, "token.json"))
			first := newRecServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusFound)
			})
			c, err := accesstokens.NewClient(first.URL+"/bitbucket", cred.opt, accesstokens.WithRetry(accesstokens.RetryPolicy{}))
			require.NoError(t, err)

			tok, err := c.UserTokens.Get(testContext(t), "alice", "075905477751")
			require.NoError(t, err)
			assert.Equal(t, "075905477751", tok.ID, "the redirect was followed")

			firstReqs, otherReqs := first.requests(), other.requests()
			require.Len(t, firstReqs, 1)
			require.Len(t, otherReqs, 1)
			assert.Equal(t, cred.want, firstReqs[0].Header.Get("Authorization"), "the original host gets the credential")
			assert.Empty(t, otherReqs[0].Header.Values("Authorization"), "another host must not")
			assert.Equal(t, "/bitbucket/rest/access-tokens/latest/users/alice/075905477751", otherReqs[0].RequestURI)
			for k, vs := range otherReqs[0].Header {
				for _, v := range vs {
					assert.NotContains(t, v, "redirect-secret", "header %s", k)
				}
			}
		})
	}
}

func TestRedirectOnTheSameHostKeepsAuthorization(t *testing.T) {
	t.Parallel()
	const moved = "/bitbucket/rest/access-tokens/latest/users/alice/000000000002"
	rs := newRecServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == moved {
			writeJSON(w, 200, fixture(t, "token.json"))
			return
		}
		http.Redirect(w, r, moved, http.StatusMovedPermanently)
	})
	c, err := accesstokens.NewClient(rs.URL+"/bitbucket", accesstokens.WithToken("same-host"))
	require.NoError(t, err)
	_, err = c.UserTokens.Get(testContext(t), "alice", "000000000001")
	require.NoError(t, err)
	reqs := rs.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/bitbucket/rest/access-tokens/latest/users/alice/000000000001", reqs[0].RequestURI)
	assert.Equal(t, moved, reqs[1].RequestURI)
	assert.Equal(t, "Bearer same-host", reqs[0].Header.Get("Authorization"))
	assert.Equal(t, "Bearer same-host", reqs[1].Header.Get("Authorization"))
}
