package accesstokens_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// getOnce makes one Get through c and returns what the server saw.
func getOnce(t *testing.T, rs *recServer, c *accesstokens.Client) recRequest {
	t.Helper()
	before := len(rs.requests())
	_, err := c.UserTokens.Get(testContext(t), "alice", "075905477751")
	require.NoError(t, err)
	reqs := rs.requests()
	require.Len(t, reqs, before+1)
	return reqs[before]
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuthorizationHeader(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts []accesstokens.Option
		want string
	}{
		{"token is sent as Bearer", []accesstokens.Option{accesstokens.WithToken("x")}, "Bearer x"},
		{"basic auth is base64 of user:pass", []accesstokens.Option{accesstokens.WithBasicAuth("alice", "p@ss:word")}, basic("alice", "p@ss:word")},
		{"the last credential option wins", []accesstokens.Option{accesstokens.WithBasicAuth("alice", "pw"), accesstokens.WithToken("tok")}, "Bearer tok"},
		{"no credentials, no header", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := newRecServer(t, answerFixture(t, 200, "token.json"))
			c, err := accesstokens.NewClient(rs.URL+"/bitbucket", tc.opts...)
			require.NoError(t, err)
			r := getOnce(t, rs, c)
			assert.Equal(t, tc.want, r.Header.Get("Authorization"))
			if tc.want == "" {
				assert.NotContains(t, r.Header, "Authorization")
			}
		})
	}
}

func TestCredentialOptionsRefuseEmptyValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opt   accesstokens.Option
		field string
	}{
		{"empty token", accesstokens.WithToken(""), "token"},
		{"empty username", accesstokens.WithBasicAuth("", "pw"), "username"},
		{"empty password", accesstokens.WithBasicAuth("alice", ""), "password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient("https://bitbucket.example.com", tc.opt)
			assert.Nil(t, c)
			requireInvalidArgument(t, err, tc.field)
		})
	}
}

func TestNewClientGuardsCredentialsOverPlainHTTP(t *testing.T) {
	t.Parallel()
	token := accesstokens.WithToken("x")
	basicAuth := accesstokens.WithBasicAuth("alice", "pw")
	insecure := accesstokens.WithInsecureHTTP()
	cases := []struct {
		name    string
		baseURL string
		opts    []accesstokens.Option
		refused bool
	}{
		{"token over http to a remote host", "http://bitbucket.example.com", []accesstokens.Option{token}, true},
		{"basic auth over http to a remote host", "http://bitbucket.example.com/bitbucket", []accesstokens.Option{basicAuth}, true},
		{"http to a private address is not loopback", "http://192.0.2.10:7990", []accesstokens.Option{token}, true},
		{"localhost as a subdomain is not loopback", "http://localhost.example.com", []accesstokens.Option{token}, true},
		{"loopback-looking name is not loopback", "http://127.0.0.1.example.com", []accesstokens.Option{token}, true},
		{"remote http allowed with WithInsecureHTTP", "http://bitbucket.example.com", []accesstokens.Option{token, insecure}, false},
		{"WithInsecureHTTP before the credential", "http://bitbucket.example.com", []accesstokens.Option{insecure, basicAuth}, false},
		{"127.0.0.1", "http://127.0.0.1:7990/bitbucket", []accesstokens.Option{token}, false},
		{"other 127/8 address", "http://127.1.2.3:7990", []accesstokens.Option{basicAuth}, false},
		{"localhost", "http://localhost:7990", []accesstokens.Option{token}, false},
		{"LOCALHOST in capitals", "http://LOCALHOST:7990", []accesstokens.Option{token}, false},
		{"[::1]", "http://[::1]:7990/bitbucket/", []accesstokens.Option{token}, false},
		{"https to a remote host", "https://bitbucket.example.com/bitbucket", []accesstokens.Option{token}, false},
		{"https with basic auth", "https://bitbucket.example.com", []accesstokens.Option{basicAuth}, false},
		{"http without credentials", "http://bitbucket.example.com", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient(tc.baseURL, tc.opts...)
			if tc.refused {
				assert.Nil(t, c)
				requireInvalidArgument(t, err, "baseURL")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, c)
		})
	}
}

func TestNewClientRefusesInvalidBaseURLs(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"",
		"   ",
		"/bitbucket",
		"bitbucket.example.com",
		"bitbucket.example.com:7990",
		"ftp://bitbucket.example.com",
		"ws://bitbucket.example.com",
		"file:///etc/passwd",
		"mailto:admin@example.com",
		"https://",
		"http://:7990",
		"https://bitbucket.example.com/?a=1",
		"https://bitbucket.example.com/bitbucket?",
		"https://bitbucket.example.com/#frag",
		"https://alice:secret@bitbucket.example.com",
		"https://alice@bitbucket.example.com",
		"https://bitbucket.example.com/%zz",
		"https://bitbucket.example.com:port",
		"://bitbucket.example.com",
	} {
		t.Run(fmt.Sprintf("%q", raw), func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient(raw)
			assert.Nil(t, c)
			requireInvalidArgument(t, err, "baseURL")
		})
	}
}

// TestNewClientErrorNeverRepeatsAPasswordFromTheBaseURL: a refused base URL
// ends up in logs, so its password must not be in the error text.
func TestNewClientErrorNeverRepeatsAPasswordFromTheBaseURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://alice:hunter2secret@bitbucket.example.com",
		"ftp://alice:hunter2secret@bitbucket.example.com",
		"https://alice:hunter2secret@bitbucket.example.com/%zz",
		"https://alice:hunter2secret@bitbucket.example.com/?q=1",
		"https://alice:hunter2secret@bitbucket.example.com:port",
	} {
		t.Run(raw, func(t *testing.T) {
			t.Parallel()
			_, err := accesstokens.NewClient(raw)
			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			assert.NotContains(t, err.Error(), "hunter2secret")
		})
	}
}

func TestOptionsRefuseBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opt   accesstokens.Option
		field string
	}{
		{"API version 2.0", accesstokens.WithAPIVersion("2.0"), "apiVersion"},
		{"empty API version", accesstokens.WithAPIVersion(""), "apiVersion"},
		{"API version with a path", accesstokens.WithAPIVersion("latest/../x"), "apiVersion"},
		{"nil HTTP client", accesstokens.WithHTTPClient(nil), "httpClient"},
		{"user agent with a line break", accesstokens.WithUserAgent("app\r\nX-Evil: 1"), "userAgent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := accesstokens.NewClient("https://bitbucket.example.com", tc.opt)
			assert.Nil(t, c)
			requireInvalidArgument(t, err, tc.field)
		})
	}
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts []accesstokens.Option
		want string
	}{
		{"default names the SDK and its version", nil, "accesstokens-go/" + accesstokens.Version},
		{"WithUserAgent goes in front", []accesstokens.Option{accesstokens.WithUserAgent("myapp/1.0")}, "myapp/1.0 accesstokens-go/" + accesstokens.Version},
		{"empty WithUserAgent keeps the default", []accesstokens.Option{accesstokens.WithUserAgent("")}, "accesstokens-go/" + accesstokens.Version},
	}
	assert.Equal(t, "0.2.0-dev", accesstokens.Version)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := newRecServer(t, answerFixture(t, 200, "token.json"))
			c, err := accesstokens.NewClient(rs.URL, tc.opts...)
			require.NoError(t, err)
			assert.Equal(t, tc.want, getOnce(t, rs, c).Header.Get("User-Agent"))
		})
	}
}

// TestWithHTTPClientIsUsedButNotChanged: the caller's client carries the
// requests, and the SDK's redirect rule is added to a copy, not to it.
func TestWithHTTPClientIsUsedButNotChanged(t *testing.T) {
	t.Parallel()
	rs := newRecServer(t, answerFixture(t, 200, "token.json"))
	var used atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, err := accesstokens.NewClient(rs.URL, accesstokens.WithHTTPClient(hc))
	require.NoError(t, err)
	getOnce(t, rs, c)
	assert.Equal(t, int32(1), used.Load())
	assert.Nil(t, hc.CheckRedirect, "the caller's client must not be modified")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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

// clearBitbucketEnv sets every variable NewClientFromEnv reads to empty, so
// the machine's own environment cannot leak into a test.
func clearBitbucketEnv(t *testing.T) {
	for _, k := range []string{"BITBUCKET_URL", "BITBUCKET_TOKEN", "BITBUCKET_USERNAME", "BITBUCKET_PASSWORD", "BITBUCKET_INSECURE_HTTP", "BITBUCKET_CA_CERT"} {
		t.Setenv(k, "")
	}
}

// The NewClientFromEnv tests use t.Setenv and so cannot run in parallel.

func TestNewClientFromEnvWithToken(t *testing.T) {
	rs := newRecServer(t, answerFixture(t, 200, "token.json"))
	clearBitbucketEnv(t)
	t.Setenv("BITBUCKET_URL", rs.URL+"/bitbucket/")
	t.Setenv("BITBUCKET_TOKEN", "env-token")
	c, err := accesstokens.NewClientFromEnv()
	require.NoError(t, err)
	r := getOnce(t, rs, c)
	assert.Equal(t, "Bearer env-token", r.Header.Get("Authorization"))
	assert.Equal(t, "/bitbucket/rest/access-tokens/latest/users/alice/075905477751", r.RequestURI)
}

func TestNewClientFromEnvWithUsernameAndPassword(t *testing.T) {
	rs := newRecServer(t, answerFixture(t, 200, "token.json"))
	clearBitbucketEnv(t)
	t.Setenv("BITBUCKET_URL", rs.URL)
	t.Setenv("BITBUCKET_USERNAME", "alice")
	t.Setenv("BITBUCKET_PASSWORD", "env-pass")
	c, err := accesstokens.NewClientFromEnv()
	require.NoError(t, err)
	assert.Equal(t, basic("alice", "env-pass"), getOnce(t, rs, c).Header.Get("Authorization"))
}

func TestNewClientFromEnvWithURLOnlySendsNoCredentials(t *testing.T) {
	rs := newRecServer(t, answerFixture(t, 200, "token.json"))
	clearBitbucketEnv(t)
	t.Setenv("BITBUCKET_URL", rs.URL)
	c, err := accesstokens.NewClientFromEnv()
	require.NoError(t, err)
	assert.Empty(t, getOnce(t, rs, c).Header.Values("Authorization"))
}

func TestNewClientFromEnvRefusesIncompleteSettings(t *testing.T) {
	cases := []struct {
		name  string
		env   map[string]string
		field string
	}{
		{"no URL", map[string]string{"BITBUCKET_TOKEN": "t"}, "BITBUCKET_URL"},
		{"password without username", map[string]string{"BITBUCKET_URL": "https://git.example.com", "BITBUCKET_PASSWORD": "p"}, "BITBUCKET_USERNAME"},
		{"username without password", map[string]string{"BITBUCKET_URL": "https://git.example.com", "BITBUCKET_USERNAME": "u"}, "BITBUCKET_PASSWORD"},
		{"invalid URL", map[string]string{"BITBUCKET_URL": "git.example.com"}, "baseURL"},
		{"token over plain http to a remote host", map[string]string{"BITBUCKET_URL": "http://git.example.com", "BITBUCKET_TOKEN": "t"}, "baseURL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clearBitbucketEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := accesstokens.NewClientFromEnv()
			assert.Nil(t, c)
			requireInvalidArgument(t, err, tc.field)
		})
	}
}

// TestNewClientFromEnvSendsCredentialsOverPlainHTTPOnlyWhenAskedTo: the
// environment that names the server and the credentials may also allow
// plain http to another host, and only explicitly.
func TestNewClientFromEnvSendsCredentialsOverPlainHTTPOnlyWhenAskedTo(t *testing.T) {
	clearBitbucketEnv(t)
	t.Setenv("BITBUCKET_URL", "http://example.invalid")
	t.Setenv("BITBUCKET_USERNAME", "alice")
	t.Setenv("BITBUCKET_PASSWORD", "alice")

	for _, no := range []string{"", "0", "false"} {
		t.Setenv("BITBUCKET_INSECURE_HTTP", no)
		_, err := accesstokens.NewClientFromEnv()
		require.Error(t, err, no)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
		assert.Contains(t, err.Error(), "plain http")
	}

	for _, yes := range []string{"1", "true"} {
		t.Setenv("BITBUCKET_INSECURE_HTTP", yes)
		c, err := accesstokens.NewClientFromEnv()
		require.NoError(t, err, yes)
		require.NotNil(t, c)
	}

	t.Setenv("BITBUCKET_INSECURE_HTTP", "yes please")
	_, err := accesstokens.NewClientFromEnv()
	var invalid *accesstokens.InvalidArgumentError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, "BITBUCKET_INSECURE_HTTP", invalid.Field)
}

func TestNewClientFromEnvOptionsOverrideTheEnvironment(t *testing.T) {
	t.Run("WithBasicAuth replaces BITBUCKET_TOKEN", func(t *testing.T) {
		rs := newRecServer(t, answerFixture(t, 200, "token.json"))
		clearBitbucketEnv(t)
		t.Setenv("BITBUCKET_URL", rs.URL)
		t.Setenv("BITBUCKET_TOKEN", "env-token")
		c, err := accesstokens.NewClientFromEnv(accesstokens.WithBasicAuth("bob", "opt-pass"))
		require.NoError(t, err)
		assert.Equal(t, basic("bob", "opt-pass"), getOnce(t, rs, c).Header.Get("Authorization"))
	})
	t.Run("WithToken replaces BITBUCKET_USERNAME and BITBUCKET_PASSWORD", func(t *testing.T) {
		rs := newRecServer(t, answerFixture(t, 200, "token.json"))
		clearBitbucketEnv(t)
		t.Setenv("BITBUCKET_URL", rs.URL)
		t.Setenv("BITBUCKET_USERNAME", "alice")
		t.Setenv("BITBUCKET_PASSWORD", "env-pass")
		c, err := accesstokens.NewClientFromEnv(accesstokens.WithToken("opt-token"))
		require.NoError(t, err)
		assert.Equal(t, "Bearer opt-token", getOnce(t, rs, c).Header.Get("Authorization"))
	})
	t.Run("other options apply too", func(t *testing.T) {
		rs := newRecServer(t, answerFixture(t, 200, "token.json"))
		clearBitbucketEnv(t)
		t.Setenv("BITBUCKET_URL", rs.URL+"/bitbucket")
		t.Setenv("BITBUCKET_TOKEN", "env-token")
		c, err := accesstokens.NewClientFromEnv(accesstokens.WithAPIVersion("1.0"), accesstokens.WithUserAgent("envapp/2"))
		require.NoError(t, err)
		r := getOnce(t, rs, c)
		assert.Equal(t, "/bitbucket/rest/access-tokens/1.0/users/alice/075905477751", r.RequestURI)
		assert.Equal(t, "envapp/2 accesstokens-go/"+accesstokens.Version, r.Header.Get("User-Agent"))
		assert.Equal(t, "Bearer env-token", r.Header.Get("Authorization"))
	})
	t.Run("WithInsecureHTTP allows the environment's plain http URL", func(t *testing.T) {
		clearBitbucketEnv(t)
		t.Setenv("BITBUCKET_URL", "http://git.example.com")
		t.Setenv("BITBUCKET_TOKEN", "env-token")
		c, err := accesstokens.NewClientFromEnv(accesstokens.WithInsecureHTTP())
		require.NoError(t, err)
		assert.NotNil(t, c)
	})
}

// fakeTokenServer answers the token endpoints below /rest/access-tokens/latest
// from the request itself, so that every answer is tied to its caller: ids
// and names echo the path and the body.
func fakeTokenServer(t *testing.T, hits *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		rel, ok := strings.CutPrefix(r.URL.EscapedPath(), "/rest/access-tokens/latest/users/")
		if !ok {
			t.Errorf("unexpected path %s", r.URL.EscapedPath())
			w.WriteHeader(http.StatusTeapot)
			return
		}
		slug, id, hasID := strings.Cut(rel, "/")
		var in struct {
			Name        *string  `json:"name"`
			Permissions []string `json:"permissions"`
		}
		if body, _ := io.ReadAll(r.Body); len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				t.Errorf("bad body: %v", err)
			}
		}
		tok := func(id, name string, perms []string) map[string]any {
			return map[string]any{
				"id": id, "name": name, "createdDate": 1672996351030, "permissions": perms,
				"user": map[string]any{"slug": slug, "name": slug, "type": "NORMAL"},
			}
		}
		var out any
		switch {
		case r.Method == http.MethodGet && !hasID:
			out = map[string]any{"size": 1, "limit": 25, "start": 0, "isLastPage": true,
				"values": []any{tok("0"+slug, "listed-"+slug, []string{"REPO_READ"})}}
		case r.Method == http.MethodPut && !hasID:
			t := tok("00"+slug, *in.Name, in.Permissions)
			t["token"] = "secret-" + slug
			out = t
		case r.Method == http.MethodGet:
			out = tok(id, "got-"+slug, []string{"REPO_READ"})
		case r.Method == http.MethodPost:
			out = tok(id, *in.Name, []string{"REPO_WRITE"})
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
			return
		default:
			w.WriteHeader(http.StatusTeapot)
			return
		}
		b, _ := json.Marshal(out)
		writeJSON(w, 200, b)
	}
}

// TestOneClientIsSafeForManyGoroutines shares one Client between goroutines
// doing different operations at once; each must get its own answers. Run
// with -race.
func TestOneClientIsSafeForManyGoroutines(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	rs := newRecServer(t, fakeTokenServer(t, &hits))
	c, err := accesstokens.NewClient(rs.URL, accesstokens.WithToken("shared"), accesstokens.WithUserAgent("conc/1"))
	require.NoError(t, err)
	ctx := testContext(t)

	const goroutines, rounds = 32, 4
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			<-start
			slug := fmt.Sprintf("user%02d", g)
			for i := 0; i < rounds; i++ {
				// Vary the order so that different operations overlap.
				switch (g + i) % 2 {
				case 0:
					raw, err := c.UserTokens.Create(ctx, slug, accesstokens.CreateTokenRequest{
						Name: fmt.Sprintf("%s-%d", slug, i), Permissions: []accesstokens.Permission{accesstokens.RepoRead},
					})
					if assert.NoError(t, err) {
						assert.Equal(t, "00"+slug, raw.ID)
						assert.Equal(t, fmt.Sprintf("%s-%d", slug, i), raw.Name)
						assert.Equal(t, "secret-"+slug, raw.Token.Reveal())
					}
					page, err := c.UserTokens.List(ctx, slug, nil)
					if assert.NoError(t, err) && assert.Len(t, page.Values, 1) {
						assert.Equal(t, "listed-"+slug, page.Values[0].Name)
					}
				default:
					id := fmt.Sprintf("%012d", g*100+i)
					got, err := c.UserTokens.Get(ctx, slug, id)
					if assert.NoError(t, err) {
						assert.Equal(t, id, got.ID)
						assert.Equal(t, "got-"+slug, got.Name)
						assert.Equal(t, slug, got.User.Slug)
					}
					name := fmt.Sprintf("renamed-%s-%d", slug, i)
					upd, err := c.UserTokens.Update(ctx, slug, id, accesstokens.UpdateTokenRequest{Name: &name})
					if assert.NoError(t, err) {
						assert.Equal(t, id, upd.ID)
						assert.Equal(t, name, upd.Name)
					}
				}
				assert.NoError(t, c.UserTokens.Delete(ctx, slug, fmt.Sprintf("%012d", g)))
			}
		}(g)
	}
	close(start)
	wg.Wait()

	assert.Equal(t, int64(goroutines*rounds*3), hits.Load())
	for _, r := range rs.requests() {
		assert.Equal(t, "Bearer shared", r.Header.Get("Authorization"))
		assert.Equal(t, "conc/1 accesstokens-go/"+accesstokens.Version, r.Header.Get("User-Agent"))
	}
}

// TestDefaultTransportKeepsAConnectionPerGoroutine: a Client without
// WithHTTPClient, shared by 8 goroutines, reuses its connections instead of
// dialling one per request (net/http's default keeps only 2 idle per host).
func TestDefaultTransportKeepsAConnectionPerGoroutine(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, fixture(t, "token.json"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	require.NoError(t, err)

	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				_, err := c.UserTokens.Get(testContext(t), "alice", "075905477751")
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	// At most one connection per goroutine, with room for a few dialled
	// while another was on its way back to the pool; with 2 idle per host
	// this was in the hundreds.
	assert.LessOrEqual(t, int(dials.Load()), 2*workers, "new connections for %d requests", workers*perWorker)
}

func TestWithRootCAsTrustsAnInternalCAAndNothingElseChanges(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewTLSServer()
	defer srv.Close()
	ctx := testContext(t)

	plain, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	_, err = plain.Tokens.List(ctx, accesstokens.UserScope("alice"), nil)
	require.Error(t, err, "the fake's self-signed CA is not among the system's")
	var unknownCA x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknownCA)

	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	for name, opt := range map[string]accesstokens.Option{
		"WithRootCAs":   accesstokens.WithRootCAs(roots),
		"WithTLSConfig": accesstokens.WithTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
	} {
		c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"), opt)
		require.NoError(t, err, name)
		page, err := c.Tokens.List(ctx, accesstokens.UserScope("alice"), nil)
		require.NoError(t, err, name)
		assert.True(t, page.IsLastPage, name)

		_, err = accesstokens.NewClient(srv.URL, opt, accesstokens.WithHTTPClient(srv.Client()))
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, "%s with WithHTTPClient: two sources of TLS settings", name)
	}
	_, err = accesstokens.NewClient(srv.URL, accesstokens.WithRootCAs(nil))
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}

func TestWithAttemptTimeoutBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithAttemptTimeout(50*time.Millisecond), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	_, err = c.Tokens.Get(testContext(t), accesstokens.UserScope("alice"), "1")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the attempt's own deadline ended it, not the test's context")

	_, err = accesstokens.NewClient(srv.URL, accesstokens.WithAttemptTimeout(0))
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}
