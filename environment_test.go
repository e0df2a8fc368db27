package accesstokens_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// envOf is a getenv over vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestReadEnvironmentNamesTheCredentialItChose(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name              string
		vars              map[string]string
		credential        string
		ignored           string
		wantAuthorization string
	}{
		{"a token", map[string]string{"BITBUCKET_TOKEN": "env-token"}, accesstokens.CredentialToken, "", "Bearer env-token"},
		{"a user name and password", map[string]string{"BITBUCKET_USERNAME": "alice", "BITBUCKET_PASSWORD": "env-pass"},
			accesstokens.CredentialBasic, "", basic("alice", "env-pass")},
		{"both: the token wins, and says so", map[string]string{"BITBUCKET_TOKEN": "env-token", "BITBUCKET_USERNAME": "alice", "BITBUCKET_PASSWORD": "env-pass"},
			accesstokens.CredentialToken, accesstokens.CredentialBasic, "Bearer env-token"},
		{"none", map[string]string{}, "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rs := newRecServer(t, answerFixture(t, 200, "token.json"))
			tc.vars["BITBUCKET_URL"] = rs.URL
			env, err := accesstokens.ReadEnvironment(envOf(tc.vars))
			require.NoError(t, err)
			assert.Equal(t, rs.URL, env.URL)
			assert.Equal(t, tc.credential, env.Credential)
			assert.Equal(t, tc.ignored, env.Ignored)
			assert.Equal(t, tc.credential == "", env.Credentials == nil)
			c, err := accesstokens.NewClient(env.URL, env.Options()...)
			require.NoError(t, err)
			assert.Equal(t, tc.wantAuthorization, getOnce(t, rs, c).Header.Get("Authorization"))
		})
	}
}

func TestReadEnvironmentRefusesIncompleteOrUnreadableSettings(t *testing.T) {
	t.Parallel()
	notPEM := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("not a certificate"), 0o600))
	cases := []struct {
		name  string
		vars  map[string]string
		field string
	}{
		{"a password without a user name", map[string]string{"BITBUCKET_PASSWORD": "p"}, "BITBUCKET_USERNAME"},
		{"a user name without a password", map[string]string{"BITBUCKET_USERNAME": "u"}, "BITBUCKET_PASSWORD"},
		{"a token and half of Basic", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_USERNAME": "u"}, "BITBUCKET_PASSWORD"},
		{"a CA file that is not there", map[string]string{"BITBUCKET_CA_CERT": filepath.Join(t.TempDir(), "missing.pem")}, "BITBUCKET_CA_CERT"},
		{"a CA file without a certificate", map[string]string{"BITBUCKET_CA_CERT": notPEM}, "BITBUCKET_CA_CERT"},
		{"BITBUCKET_INSECURE_HTTP neither yes nor no", map[string]string{"BITBUCKET_INSECURE_HTTP": "yes please"}, "BITBUCKET_INSECURE_HTTP"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, err := accesstokens.ReadEnvironment(envOf(tc.vars))
			assert.Nil(t, env)
			requireInvalidArgument(t, err, tc.field)
		})
	}
	_, err := accesstokens.ReadEnvironment(nil)
	requireInvalidArgument(t, err, "getenv")
}

// TestReadEnvironmentTrustsTheCAOfBITBUCKET_CA_CERT: a server whose
// certificate no system trusts is reached once BITBUCKET_CA_CERT names a
// PEM file with it; the system's roots stay trusted too.
func TestReadEnvironmentTrustsTheCAOfBITBUCKET_CA_CERT(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"version":"9.4.0"}`))
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "internal-ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))
	ctx := testContext(t)

	without, err := accesstokens.ReadEnvironment(envOf(map[string]string{"BITBUCKET_URL": srv.URL}))
	require.NoError(t, err)
	c, err := accesstokens.NewClient(without.URL, without.Options()...)
	require.NoError(t, err)
	_, err = c.Directory.ServerInfo(ctx)
	var unknownCA x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknownCA, "without the CA file the server is not trusted")

	with, err := accesstokens.ReadEnvironment(envOf(map[string]string{"BITBUCKET_URL": srv.URL, "BITBUCKET_CA_CERT": caFile}))
	require.NoError(t, err)
	require.Len(t, with.Connection, 1)
	c, err = accesstokens.NewClient(with.URL, with.Options()...)
	require.NoError(t, err)
	info, err := c.Directory.ServerInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, "9.4.0", info.Version)
}

func TestReadEnvironmentAllowsPlainHTTPOnlyWhenAskedTo(t *testing.T) {
	t.Parallel()
	for value, want := range map[string]bool{"": false, "0": false, "false": false, "1": true, "true": true} {
		env, err := accesstokens.ReadEnvironment(envOf(map[string]string{
			"BITBUCKET_URL": "http://example.invalid", "BITBUCKET_TOKEN": "t", "BITBUCKET_INSECURE_HTTP": value}))
		require.NoError(t, err)
		_, err = accesstokens.NewClient(env.URL, env.Options()...)
		assert.Equal(t, want, err == nil, "BITBUCKET_INSECURE_HTTP=%q: %v", value, err)
	}
}

func TestEnvironmentShowsNoSecretThroughFmt(t *testing.T) {
	t.Parallel()
	env, err := accesstokens.ReadEnvironment(envOf(map[string]string{
		"BITBUCKET_URL": "https://git.example.com", "BITBUCKET_TOKEN": "env-token-secret",
		"BITBUCKET_USERNAME": "alice", "BITBUCKET_PASSWORD": "env-password-secret"}))
	require.NoError(t, err)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{env, *env} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, "env-token-secret", verb)
			assert.NotContains(t, out, "env-password-secret", verb)
			assert.NotContains(t, out, fmt.Sprintf("%x", "env-token-secret"), verb)
		}
	}
}

// clearBitbucketEnv sets every variable NewClientFromEnv reads to empty, so
// the machine's own environment cannot leak into a test.
func clearBitbucketEnv(t *testing.T) {
	for _, k := range []string{"BITBUCKET_URL", "BITBUCKET_TOKEN", "BITBUCKET_USERNAME", "BITBUCKET_PASSWORD", "BITBUCKET_INSECURE_HTTP", "BITBUCKET_CA_CERT"} {
		t.Setenv(k, "")
	}
}

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
