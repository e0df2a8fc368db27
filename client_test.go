package accesstokens_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

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

// The NewClientFromEnv tests use t.Setenv and so cannot run in parallel.

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
