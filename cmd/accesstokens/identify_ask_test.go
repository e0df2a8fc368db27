package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// leakedSecret is a well-formed secret of token 252973515069 (Atlassian's
// own example).
const leakedSecret = "BBDC-MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ"

// askFactory is a Factory as the command makes it, with -v on: stderr
// holds the SDK's log lines.
func askFactory() (*Factory, *bytes.Buffer) {
	var errOut bytes.Buffer
	f := &Factory{IO: &IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut}, Getenv: func(string) string { return "" }}
	f.conn.timeout, f.conn.verbose = 10*time.Second, true
	return f, &errOut
}

func TestIdentifyAskServerReadsTheUserTheSecretAuthenticates(t *testing.T) {
	t.Parallel()
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		w.Header()["X-AUSERNAME"] = []string{"access-token-user/2/14"}
		w.Header()["X-AUSERID"] = []string{"52"}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.4.0","buildNumber":"9004000","displayName":"Bitbucket"}`))
	}))
	defer srv.Close()
	f, errOut := askFactory()
	who, err := f.askServer(context.Background(), srv.URL+"/bitbucket", accesstokens.NewSecret(leakedSecret))
	require.NoError(t, err)
	assert.Equal(t, tokenUser{Name: "access-token-user/2/14", ID: 52}, who)
	assert.Equal(t, []string{"GET /bitbucket/rest/api/latest/application-properties Bearer " + leakedSecret}, got,
		"one request, to the server's own context path, the secret as its Bearer credential")
	assert.NotEmpty(t, errOut.String(), "-v logs the request")
	assert.NotContains(t, errOut.String(), leakedSecret[5:], "never the secret")
}

func TestIdentifyAskServerFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.Header()["X-AUSERNAME"] = []string{"alice"}
	}))
	defer other.Close()
	for _, target := range []string{other.URL + "/login", "/login"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/login" {
				w.Header()["X-AUSERNAME"] = []string{"alice"}
				return
			}
			http.Redirect(w, r, target, http.StatusFound)
		}))
		f, errOut := askFactory()
		_, err := f.askServer(context.Background(), srv.URL, accesstokens.NewSecret(leakedSecret))
		srv.Close()
		require.Error(t, err, target)
		assert.Contains(t, err.Error(), "302", target)
		assert.NotContains(t, err.Error()+errOut.String(), leakedSecret[5:], target)
	}
	assert.Zero(t, elsewhere.Load(), "nothing reaches another host")
}

func TestIdentifyAskServerSaysARefusedSecretIsNoLongerValid(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"Bitbucket's error": `{"errors":[{"context":null,"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"}]}`,
		"a login page":      `<html>log in</html>`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(body))
		}))
		f, errOut := askFactory()
		_, err := f.askServer(context.Background(), srv.URL, accesstokens.NewSecret(leakedSecret))
		srv.Close()
		assert.ErrorIs(t, err, errSecretRefused, name)
		assert.NotContains(t, errOut.String(), leakedSecret[5:], name)
	}
}

func TestIdentifyAskServerWithoutAUserHeader(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.4.0"}`))
	}))
	defer srv.Close()
	f, _ := askFactory()
	_, err := f.askServer(context.Background(), srv.URL, accesstokens.NewSecret(leakedSecret))
	assert.ErrorIs(t, err, errNoUserHeader)
}

func TestIdentifyAskServerSendsNoSecretOverPlainHTTPToAnotherHost(t *testing.T) {
	t.Parallel()
	f, _ := askFactory()
	_, err := f.askServer(context.Background(), "http://bitbucket.example.com", accesstokens.NewSecret(leakedSecret))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plain http")
	assert.NotContains(t, err.Error(), leakedSecret[5:])
}
