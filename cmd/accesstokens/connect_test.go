package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func factoryWith(env map[string]string, conn connFlags, stdin string) *Factory {
	var out, errOut bytes.Buffer
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
		{"password without user", withURL("BITBUCKET_PASSWORD", "pw"), connFlags{}, "", "BITBUCKET_PASSWORD is set but BITBUCKET_USERNAME is not"},
		{"user without password", withURL("BITBUCKET_USERNAME", "u"), connFlags{}, "", "BITBUCKET_USERNAME is set but BITBUCKET_PASSWORD is not"},
		{"username without stdin", url, connFlags{username: "u"}, "", "--username needs --password-stdin (a password is never a flag: it would show in ps and shell history)"},
		{"stdin without username", url, connFlags{passwordStdin: true}, "", "--password-stdin needs --username"},
		{"empty stdin", url, connFlags{username: "u", passwordStdin: true}, "\n", "--password-stdin: stdin is empty"},
		{"negative rate", url, connFlags{rate: -2}, "", "--rate: must not be negative, got -2"},
		{"demo and url", nil, connFlags{demo: true, url: "https://x"}, "", "--demo and --url cannot be used together"},
		{"demo and username", nil, connFlags{demo: true, username: "u"}, "", "--demo acts as the demo admin: drop --username/--password-stdin"},
		{"bad insecure", withURL("BITBUCKET_TOKEN", "t", "BITBUCKET_INSECURE_HTTP", "yes please"), connFlags{}, "", `BITBUCKET_INSECURE_HTTP: must be 1 or 0 (true or false), got "yes please"`},
		{"plain http elsewhere", withURL("BITBUCKET_TOKEN", "t"), connFlags{url: "http://bitbucket.example.com"}, "", "--url/BITBUCKET_URL: refusing to send credentials over plain http to bitbucket.example.com; use https, or --insecure-http (or BITBUCKET_INSECURE_HTTP=1) if you must"},
		{"control characters in the token", withURL("BITBUCKET_TOKEN", "t\n"), connFlags{}, "", "BITBUCKET_TOKEN: must not contain control characters (a trailing newline from a file?)"},
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
	pw, err := readPassword(strings.NewReader("s3cret\r\nsecond line\n"))
	require.NoError(t, err)
	assert.Equal(t, "s3cret", pw)
	pw, err = readPassword(strings.NewReader("no-newline"))
	require.NoError(t, err)
	assert.Equal(t, "no-newline", pw)
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
