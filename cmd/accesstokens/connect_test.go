package main

import (
	"bytes"
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func factoryWith(env map[string]string, conn connFlags, stdin string) *Factory {
	var out, errOut bytes.Buffer
	if conn.timeout == 0 {
		conn.timeout = defaultTimeout
	}
	return &Factory{
		IO:     &IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut},
		Getenv: func(k string) string { return env[k] },
		conn:   conn,
	}
}

func TestConnectRefusesBadSettingsAsUsageErrors(t *testing.T) {
	t.Parallel()
	url := map[string]string{"BITBUCKET_URL": "https://bitbucket.example.com"}
	withURL := func(kv ...string) map[string]string {
		m := map[string]string{"BITBUCKET_URL": url["BITBUCKET_URL"]}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		conn  connFlags
		stdin string
		want  string
	}{
		{"no server", nil, connFlags{}, "", "no server: set --url or BITBUCKET_URL (or try --demo)"},
		{"no credentials", url, connFlags{}, "", "no credentials: set BITBUCKET_TOKEN, or BITBUCKET_USERNAME and BITBUCKET_PASSWORD, or use --username with --password-stdin"},
		{"password without user", withURL("BITBUCKET_PASSWORD", "pw"), connFlags{}, "", "BITBUCKET_USERNAME: is not set but BITBUCKET_PASSWORD is"},
		{"user without password", withURL("BITBUCKET_USERNAME", "u"), connFlags{}, "", "BITBUCKET_PASSWORD: is not set but BITBUCKET_USERNAME is"},
		{"username without stdin", url, connFlags{username: "u"}, "", "--username needs --password-stdin (a password is never a flag: it would show in ps and shell history)"},
		{"stdin without username", url, connFlags{passwordStdin: true}, "", "--password-stdin needs --username"},
		{"empty stdin", url, connFlags{username: "u", passwordStdin: true}, "\n", "--password-stdin: stdin is empty"},
		{"negative rate", url, connFlags{rate: -2}, "", "--rate: must not be negative, got -2"},
		{"demo and url", nil, connFlags{demo: true, url: "https://x"}, "", "--demo and --url cannot be used together"},
		{"demo and username", nil, connFlags{demo: true, username: "u"}, "", "--demo acts as the demo admin: drop --username/--password-stdin"},
		{"bad insecure", withURL("BITBUCKET_TOKEN", "t", "BITBUCKET_INSECURE_HTTP", "yes please"), connFlags{}, "", `BITBUCKET_INSECURE_HTTP: must be 1 or 0 (true or false), got "yes please"`},
		{"plain http elsewhere", withURL("BITBUCKET_TOKEN", "t"), connFlags{url: "http://bitbucket.example.com"}, "", "--url/BITBUCKET_URL: refusing to send credentials over plain http to bitbucket.example.com; use https, or --insecure-http (or BITBUCKET_INSECURE_HTTP=1) if you must"},
		{"control characters in the token", withURL("BITBUCKET_TOKEN", "t\n"), connFlags{}, "", "BITBUCKET_TOKEN: must not contain control characters (a trailing newline from a file?)"},
		{"negative timeout", url, connFlags{timeout: -time.Second}, "", "--timeout: must be positive, got -1s"},
		{"negative max-wait", url, connFlags{maxWait: -time.Minute}, "", "--max-wait: must not be negative, got -1m0s"},
		{"no scheme", map[string]string{"BITBUCKET_TOKEN": "t"}, connFlags{url: "bitbucket.example.com:7990"}, "", "--url/BITBUCKET_URL: the URL has no scheme: write https://bitbucket.example.com:7990 (or http:// for a server without TLS)"},
		{"no scheme, password not repeated", map[string]string{"BITBUCKET_TOKEN": "t"}, connFlags{url: "me:pw@bitbucket.example.com"}, "", "--url/BITBUCKET_URL: the URL has no scheme: write https://me:xxxxx@bitbucket.example.com (or http:// for a server without TLS)"},
		{"ends in /rest", map[string]string{"BITBUCKET_TOKEN": "t"}, connFlags{url: "https://git.example.com/bitbucket/rest/"}, "", `--url/BITBUCKET_URL "https://git.example.com/bitbucket/rest/": give the server's base URL, without /rest and what follows: write https://git.example.com/bitbucket`},
		{"a REST API path", map[string]string{"BITBUCKET_URL": "https://git.example.com/rest/api/1.0/projects", "BITBUCKET_TOKEN": "t"}, connFlags{}, "", `--url/BITBUCKET_URL "https://git.example.com/rest/api/1.0/projects": give the server's base URL, without /rest and what follows: write https://git.example.com`},
		{"missing CA file", withURL("BITBUCKET_TOKEN", "t"), connFlags{caCert: "/nonexistent/ca.pem"}, "", `--ca-cert: cannot be read: open /nonexistent/ca.pem: no such file or directory`},
		{"missing CA file from the environment", withURL("BITBUCKET_TOKEN", "t", "BITBUCKET_CA_CERT", "/nonexistent/ca.pem"), connFlags{}, "", `BITBUCKET_CA_CERT: cannot be read: open /nonexistent/ca.pem: no such file or directory`},
		{"CA file without a certificate", withURL("BITBUCKET_TOKEN", "t"), connFlags{caCert: "connect_test.go"}, "", `--ca-cert: connect_test.go holds no PEM certificate`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := factoryWith(tc.env, tc.conn, tc.stdin).Connect(context.Background())
			code, err := exitCodeOf(err)
			assert.Equal(t, exitUsage, code)
			assert.EqualError(t, err, tc.want)
		})
	}
}

func TestConnectAcceptsEachWayOfGivingCredentials(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		conn  connFlags
		stdin string
	}{
		{"token", map[string]string{"BITBUCKET_URL": "https://b.example.com", "BITBUCKET_TOKEN": "BBDC-x"}, connFlags{}, ""},
		{"user and password", map[string]string{"BITBUCKET_URL": "https://b.example.com", "BITBUCKET_USERNAME": "u", "BITBUCKET_PASSWORD": "p"}, connFlags{}, ""},
		{"password on stdin", nil, connFlags{url: "https://b.example.com", username: "u", passwordStdin: true}, "p4ss\r\n"},
		{"plain http with --insecure-http", map[string]string{"BITBUCKET_TOKEN": "t"}, connFlags{url: "http://b.example.com", insecureHTTP: true}, ""},
		{"plain http with BITBUCKET_INSECURE_HTTP", map[string]string{"BITBUCKET_URL": "http://b.example.com", "BITBUCKET_TOKEN": "t", "BITBUCKET_INSECURE_HTTP": "1"}, connFlags{}, ""},
		{"plain http to loopback", map[string]string{"BITBUCKET_URL": "http://127.0.0.1:7990", "BITBUCKET_TOKEN": "t"}, connFlags{}, ""},
		{"--url wins over BITBUCKET_URL", map[string]string{"BITBUCKET_URL": "http://b.example.com", "BITBUCKET_TOKEN": "t"}, connFlags{url: "https://c.example.com"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			conn, err := factoryWith(tc.env, tc.conn, tc.stdin).Connect(context.Background())
			require.NoError(t, err)
			assert.NotNil(t, conn.Client)
			assert.False(t, conn.Demo)
		})
	}
}

func TestReadPasswordTakesTheFirstLineOnly(t *testing.T) {
	t.Parallel()
	var prompt bytes.Buffer
	pw, err := readPassword(strings.NewReader("s3cret\r\nsecond line\n"), &prompt, "u")
	require.NoError(t, err)
	assert.Equal(t, "s3cret", pw)
	pw, err = readPassword(strings.NewReader("no-newline"), &prompt, "u")
	require.NoError(t, err)
	assert.Equal(t, "no-newline", pw)
	assert.Empty(t, prompt.String(), "no prompt when stdin is not a terminal")
}

func TestDemoStartsAFakeAndStopsItOnClose(t *testing.T) {
	t.Parallel()
	f := factoryWith(nil, connFlags{demo: true}, "")
	conn, err := f.Connect(context.Background())
	require.NoError(t, err)
	assert.True(t, conn.Demo)
	_, err = conn.Client.Admin.GetExpiryPolicy(context.Background())
	require.NoError(t, err, "acts as the demo admin")
	f.Close()
	resp, err := http.Get(conn.URL)
	if err == nil {
		resp.Body.Close()
	}
	assert.Error(t, err, "the fake is gone after Close")
}

func TestConnectSaysWhichCredentialWhenBothAreSet(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"token and user name", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_USERNAME": "u", "BITBUCKET_PASSWORD": "p"},
			"accesstokens: BITBUCKET_TOKEN and BITBUCKET_USERNAME are both set: using BITBUCKET_TOKEN (unset it to use BITBUCKET_USERNAME and BITBUCKET_PASSWORD)\n"},
		{"token alone", map[string]string{"BITBUCKET_TOKEN": "t"}, ""},
		{"user name alone", map[string]string{"BITBUCKET_USERNAME": "u", "BITBUCKET_PASSWORD": "p"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["BITBUCKET_URL"] = "https://b.example.com"
			f := factoryWith(tc.env, connFlags{}, "")
			_, err := f.Connect(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.want, f.IO.ErrOut.(*bytes.Buffer).String())
		})
	}
}

// writeCA starts a TLS server in front of a fake Bitbucket, its certificate
// signed by a CA nobody's system trusts, and writes that CA to a PEM file.
func writeCA(t *testing.T) (url, caFile string) {
	t.Helper()
	hs := httptest.NewUnstartedServer(accesstokenstest.NewFake())
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake of the first case
	hs.StartTLS()
	t.Cleanup(hs.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	require.NoError(t, os.WriteFile(caFile, pemBytes, 0o600))
	return hs.URL, caFile
}

func TestCACertTrustsAnInternalCA(t *testing.T) {
	t.Parallel()
	url, caFile := writeCA(t)
	admin := func(extra ...string) func(string) string {
		env := map[string]string{"BITBUCKET_URL": url, "BITBUCKET_USERNAME": accesstokenstest.DemoAdmin, "BITBUCKET_PASSWORD": accesstokenstest.DemoAdminPassword}
		for i := 0; i < len(extra); i += 2 {
			env[extra[i]] = extra[i+1]
		}
		return func(k string) string { return env[k] }
	}
	list := []string{"list", "project:PRJ", "-o", "json"}
	for _, tc := range []struct {
		name string
		args []string
		env  func(string) string
		code int
		want string
	}{
		{"without it the certificate is refused", list, admin(), exitFailed, "certificate signed by unknown authority"},
		{"--ca-cert", append([]string{"--ca-cert", caFile}, list...), admin(), exitOK, ""},
		{"BITBUCKET_CA_CERT", list, admin("BITBUCKET_CA_CERT", caFile), exitOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			io, out, errOut := testIO(false)
			code := run(context.Background(), tc.args, io, tc.env)
			assert.Equal(t, tc.code, code, errOut.String())
			if tc.code == exitOK {
				assert.Equal(t, "[]\n", out.String(), "the fake's PRJ has no tokens")
			} else {
				assert.Contains(t, errOut.String(), tc.want)
			}
		})
	}
}

// TestTimeoutBoundsEachAttempt: a server that never answers costs
// --timeout per attempt, not the default minute.
func TestTimeoutBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the client gives up
	}))
	t.Cleanup(stalled.Close)
	io, _, errOut := testIO(false)
	env := map[string]string{"BITBUCKET_URL": stalled.URL, "BITBUCKET_TOKEN": "t"}
	code := run(context.Background(), []string{"get", "project:PRJ", "1", "--timeout", "50ms"}, io, func(k string) string { return env[k] })
	assert.Equal(t, exitFailed, code)
	assert.Regexp(t, `timeout|deadline`, errOut.String())
}

func TestConnectionFlagsAreParsedAndCheckedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--timeout", "0", "list", "project:PRJ"}, "accesstokens: --timeout: must be positive, got 0s\n"},
		{[]string{"--timeout", "soon", "list", "project:PRJ"}, `accesstokens: invalid argument "soon" for "--timeout" flag: must be a duration like "30s" or "5m" (see 'accesstokens list --help')` + "\n"},
		{[]string{"--max-wait", "-1m", "list", "project:PRJ"}, "accesstokens: --max-wait: must not be negative, got -1m0s\n"},
		{[]string{"--max-wait", "forever", "list", "project:PRJ"}, `accesstokens: invalid argument "forever" for "--max-wait" flag: must be a duration like "30s" or "5m" (see 'accesstokens list --help')` + "\n"},
	} {
		io, out, errOut := testIO(false)
		env := map[string]string{"BITBUCKET_URL": "http://127.0.0.1:1", "BITBUCKET_TOKEN": "t"}
		code := run(context.Background(), tc.args, io, func(k string) string { return env[k] })
		assert.Equal(t, exitUsage, code, tc.args)
		assert.Equal(t, tc.want, errOut.String())
		assert.Empty(t, out.String())
	}

	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}, Getenv: func(string) string { return "" }}
	root := NewCmdRoot(f)
	root.SetArgs([]string{"policy", "get", "--demo", "--max-wait", "90s", "--timeout", "5s", "--rate", "2.5"})
	root.SetOut(io.Discard)
	require.NoError(t, root.Execute())
	assert.Equal(t, 90*time.Second, f.conn.maxWait)
	assert.Equal(t, 5*time.Second, f.conn.timeout)
	assert.Equal(t, 2.5, f.conn.rate)
	f.Close()

	defaults := &Factory{IO: f.IO, Getenv: f.Getenv}
	require.NoError(t, NewCmdRoot(defaults).ParseFlags(nil))
	assert.Equal(t, 15*time.Minute, defaults.conn.maxWait)
	assert.Equal(t, 60*time.Second, defaults.conn.timeout)
}

func TestOnlyReadingCommandsWaitOut429s(t *testing.T) {
	t.Parallel()
	root := NewCmdRoot(&Factory{IO: &IOStreams{}, Getenv: func(string) string { return "" }})
	for args, reading := range map[string]bool{
		"audit --all":                  true,
		"list project:PRJ":             true,
		"--demo get project:PRJ 1":     true,
		"revoke --all --where expired": true,
		"policy get":                   true,
		"policy set 30":                false,
		"create project:PRJ --name x":  false,
		"rotate project:PRJ 1":         false,
		"update project:PRJ 1":         false,
	} {
		assert.Equal(t, reading, isReadingCommand(root, strings.Fields(args)), args)
	}
}

// TestConnectReadsTheEnvironmentAsTheSDKDoes: the command takes the
// BITBUCKET_* variables through accesstokens.ReadEnvironment, so that it
// accepts and refuses exactly what the SDK's NewClientFromEnv does (a
// token with half of a user name and password is a mistake, not a token
// run), naming the variable; the flags that stand for a variable win over it.
func TestConnectReadsTheEnvironmentAsTheSDKDoes(t *testing.T) {
	t.Parallel()
	_, caFile := writeCA(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		conn connFlags
		want string // "": accepted
	}{
		{"a token with a password but no user name", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_PASSWORD": "p"}, connFlags{}, "BITBUCKET_USERNAME: is not set but BITBUCKET_PASSWORD is"},
		{"a token with a user name but no password", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_USERNAME": "u"}, connFlags{}, "BITBUCKET_PASSWORD: is not set but BITBUCKET_USERNAME is"},
		{"a CA file with no certificate", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_CA_CERT": "connect_test.go"}, connFlags{}, "BITBUCKET_CA_CERT: connect_test.go holds no PEM certificate"},
		{"--ca-cert wins over BITBUCKET_CA_CERT", map[string]string{"BITBUCKET_TOKEN": "t", "BITBUCKET_CA_CERT": "/nonexistent/ca.pem"}, connFlags{caCert: caFile}, ""},
		{"--ca-cert is read as the variable is", map[string]string{"BITBUCKET_TOKEN": "t"}, connFlags{caCert: "connect_test.go"}, "--ca-cert: connect_test.go holds no PEM certificate"},
		{"--username wins over half a pair", map[string]string{"BITBUCKET_PASSWORD": "p"}, connFlags{username: "u", passwordStdin: true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["BITBUCKET_URL"] = "https://b.example.com"
			_, sdkErr := accesstokens.ReadEnvironment(func(k string) string { return tc.env[k] })
			_, err := factoryWith(tc.env, tc.conn, "pw\n").Connect(context.Background())
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			code, err := exitCodeOf(err)
			assert.Equal(t, exitUsage, code)
			assert.EqualError(t, err, tc.want)
			if tc.conn == (connFlags{}) {
				var inv *accesstokens.InvalidArgumentError
				require.ErrorAs(t, sdkErr, &inv, "the SDK refuses it too")
				assert.Equal(t, tc.want, inv.Field+": "+inv.Reason)
			}
		})
	}
}
