package accesstokens_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestOptionsRefuseBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opt   accesstokens.Option
		field string
	}{
		{"empty token", accesstokens.WithToken(""), "token"},
		{"empty username", accesstokens.WithBasicAuth("", "pw"), "username"},
		{"empty password", accesstokens.WithBasicAuth("alice", ""), "password"},
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
	assert.Equal(t, "0.3.0-dev", accesstokens.Version)
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
