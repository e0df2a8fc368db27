package accesstokens_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// These tests pin down answers to a review of the first version: each names
// a way a broken or hostile server (or proxy) could have fooled the client.

// TestARedirectNeverTurnsAWriteIntoARead: net/http follows a 301/302/303 on
// DELETE or POST with a GET, whose 200 used to pass for the write's success.
func TestARedirectNeverTurnsAWriteIntoARead(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			fake := accesstokenstest.NewFake()
			id, _ := fake.IssueToken(accesstokenstest.ProjectScope("PRJ"), "deploy", 0, "PROJECT_READ")
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

// TestNoPartOfACreateAnswerIsEverQuoted: however the answer is wrapped (a
// byte-order mark, an anti-XSSI prefix, HTML around it), an error about a
// create's answer quotes none of it, since it may hold the new secret.
func TestNoPartOfACreateAnswerIsEverQuoted(t *testing.T) {
	t.Parallel()
	const secret = "BBDC-NEWSECRETvalue-0123456789"
	token := `{"id":"000000000001","name":"ci","createdDate":1,"permissions":["PROJECT_READ"],"token":"` + secret + `"}`
	for name, body := range map[string]string{
		"byte-order mark": "\ufeff" + token,
		"XSSI prefix":     ")]}'\n" + token,
		"HTML around it":  "<html><body><pre>" + token + "</pre></body></html>",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodPut, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/plain")
				_, _ = io.WriteString(w, body)
			})
			_, err := c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
				Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
			})
			require.Error(t, err)
			assert.NotContains(t, fmt.Sprintf("%v %+v", err, err), secret)
		})
	}
}

// TestCredentialsEchoedInASuccessPageAreBlanked: a 200 HTML page that echoes
// request headers is quoted in the error, without the client's credentials.
func TestCredentialsEchoedInASuccessPageAreBlanked(t *testing.T) {
	t.Parallel()
	const token = "BBDC-TOPSECRET-bearer-0123456789"
	ts, c := newTestServer(t, accesstokens.WithToken(token))
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>Your headers: Authorization: "+r.Header.Get("Authorization")+"</body></html>")
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), token)
	assert.Contains(t, err.Error(), "Your headers", "the page is still quoted, to help")
}

// TestCredentialsEchoedAnywhereInASuccessAnswerAreBlanked: a 2xx answer
// that is not what the call expects is quoted in the error in other places
// than its body: its Content-Type, and a bad date's value. A server or proxy
// echoing the request's headers there must not put the credential into it.
func TestCredentialsEchoedAnywhereInASuccessAnswerAreBlanked(t *testing.T) {
	t.Parallel()
	const token = "BBDC-TOPSECRET-bearer-0123456789"
	answers := map[string]http.HandlerFunc{
		"content type": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; echo="+r.Header.Get("Authorization"))
			_, _ = io.WriteString(w, "ok")
		},
		"date": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, []byte(`{"id":"1","name":"x","createdDate":"`+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")+`"}`))
		},
		"no content, content type": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; echo="+r.Header.Get("Authorization"))
			_, _ = io.WriteString(w, "deleted")
		},
	}
	for name, answer := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t, accesstokens.WithToken(token))
			ts.on(http.MethodGet, "/projects/PRJ/1", answer)
			ts.on(http.MethodDelete, "/projects/PRJ/1", answer)
			var err error
			if strings.HasPrefix(name, "no content") {
				err = c.ProjectTokens.Delete(testContext(t), "PRJ", "1")
			} else {
				_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "1")
			}
			require.Error(t, err)
			assert.NotContains(t, err.Error(), token[5:20])
		})
	}
}

// TestACreateCarriesNoGetBodySoNetHTTPCannotReplayIt: only the retry policy
// may repeat a create; net/http replays requests that have GetBody.
func TestACreateCarriesNoGetBodySoNetHTTPCannotReplayIt(t *testing.T) {
	t.Parallel()
	var createHadGetBody, updateHadGetBody atomic.Bool
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		switch r.Method {
		case http.MethodPut:
			createHadGetBody.Store(r.GetBody != nil)
			return jsonResponse(r, 200, fixture(t, "token_created.json")), nil
		default:
			updateHadGetBody.Store(r.GetBody != nil)
			return jsonResponse(r, 200, fixture(t, "token.json")), nil
		}
	})
	c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithToken("t"),
		accesstokens.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)
	_, err = c.ProjectTokens.Create(testContext(t), "PRJ", accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	require.NoError(t, err)
	name := "x"
	_, err = c.ProjectTokens.Update(testContext(t), "PRJ", "1", accesstokens.UpdateTokenRequest{Name: &name})
	require.NoError(t, err)
	assert.False(t, createHadGetBody.Load(), "a create must not be replayable by net/http")
	assert.True(t, updateHadGetBody.Load(), "an update may be")
}

// TestAllStopsOnAnEmptyPageThatIsNotTheLast: a server that answers empty
// pages while moving forward would otherwise keep All going for ever.
func TestAllStopsOnAnEmptyPageThatIsNotTheLast(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	var requests atomic.Int64
	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		writeJSON(w, 200, []byte(fmt.Sprintf(`{"size":0,"limit":25,"isLastPage":false,"start":%d,"nextPageStart":%d,"values":[]}`, n-1, n)))
	})
	var errs []error
	for _, err := range c.ProjectTokens.All(testContext(t), "PRJ", nil) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "empty but not the last")
	assert.Equal(t, int64(1), requests.Load())
}

// TestServerTextCannotForgeLogLines: control characters in Bitbucket's
// messages become spaces in Error(); Messages keeps the raw text.
func TestServerTextCannotForgeLogLines(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, []byte(`{"errors":[{"context":null,"message":"bad\n2026/11/27 INFO deploy approved user=admin\u001b[2K","exceptionName":"x"}]}`))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	var apiErr *accesstokens.Error
	require.ErrorAs(t, err, &apiErr)
	assert.NotContains(t, err.Error(), "\n")
	assert.NotContains(t, err.Error(), "\x1b")
	assert.Contains(t, err.Error(), "bad 2026/11/27 INFO")
	assert.Contains(t, apiErr.Messages[0].Message, "\n", "the raw message is still there for those who want it")
}

// TestCredentialsWithControlCharactersAreRefusedUpFront: a token read from a
// file keeps its newline; it is refused by name instead of failing later.
func TestCredentialsWithControlCharactersAreRefusedUpFront(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		field string
		opt   accesstokens.Option
	}{
		{"token", accesstokens.WithToken("BBDC-abc\n")},
		{"password", accesstokens.WithBasicAuth("alice", "pw\r\n")},
		{"username", accesstokens.WithBasicAuth("al\tice", "pw")},
		{"username", accesstokens.WithBasicAuth("al:ice", "pw")},
		{"userAgent", accesstokens.WithUserAgent("app\x00")},
	} {
		_, err := accesstokens.NewClient("https://bitbucket.example.com", tc.opt)
		var invalid *accesstokens.InvalidArgumentError
		require.ErrorAs(t, err, &invalid, tc.field)
		assert.Equal(t, tc.field, invalid.Field)
		assert.NotContains(t, err.Error(), "BBDC-abc")
	}
	_, err := accesstokens.NewClient("https://x", accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MaxWait: -1}))
	var invalid *accesstokens.InvalidArgumentError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "MaxWait", invalid.Field)
}

// TestFailuresDoNotCloseTheCallersIdleConnections: go-retryablehttp closes
// idle connections after a failure; a transport the caller brought may be
// shared with the whole program, so it must not see that.
func TestFailuresDoNotCloseTheCallersIdleConnections(t *testing.T) {
	t.Parallel()
	rt := &closeCounter{RoundTripper: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("connection reset by peer")
	})}
	c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithToken("t"),
		accesstokens.WithHTTPClient(&http.Client{Transport: rt}),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MinWait: 1, MaxWait: 1}))
	require.NoError(t, err)
	_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.Equal(t, int64(0), rt.closes.Load())
}

type closeCounter struct {
	http.RoundTripper
	closes atomic.Int64
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

func jsonResponse(r *http.Request, status int, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(string(body))),
		ContentLength: int64(len(body)), Request: r,
	}
}

// newLoopbackServer serves h on loopback for the test's life and returns its URL.
func newLoopbackServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
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
		id, _ := fake.IssueToken(accesstokenstest.ProjectScope("PRJ"), "deploy", 0, "PROJECT_READ")
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

// switchingProtocols answers every request with an unrequested 101 and keeps
// the connection open until the client closes it (or 10 s pass): net/http
// hands such a connection over as the body, which no context or timeout watches.
func switchingProtocols(t *testing.T) string {
	return newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		_ = buf.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // until the client closes
	}))
}

// TestUnrequestedSwitchingProtocolsRespectsDeadline: every call returns by its
// context's deadline, and promptly without one, whatever the server does.
func TestUnrequestedSwitchingProtocolsRespectsDeadline(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		call func(context.Context, *accesstokens.Client) error
	}{
		{"Get", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Get(ctx, "PRJ", "1")
			return err
		}},
		{"List", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.List(ctx, "PRJ", nil)
			return err
		}},
		{"Create", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
			return err
		}},
		{"Delete", func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1")
		}},
		{"SetExpiryPolicy", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 1})
		}},
	}
	for _, tc := range calls {
		for _, deadline := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/deadline=%v", tc.name, deadline), func(t *testing.T) {
				t.Parallel()
				c, err := accesstokens.NewClient(switchingProtocols(t), accesstokens.WithToken("t"),
					accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
				require.NoError(t, err)
				ctx, cancel := context.WithCancel(context.Background())
				if deadline {
					ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
				}
				defer cancel()

				done := make(chan error, 1)
				start := time.Now()
				go func() { done <- tc.call(ctx, c) }()
				select {
				case err = <-done:
				case <-time.After(5 * time.Second): // a hang guard only
					t.Fatal("the call is still waiting on a connection the server switched to another protocol")
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), "101")
				assert.Less(t, time.Since(start), 2*time.Second)
			})
		}
	}
}
