package accesstokens_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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

func TestErrorStringStaysShortWhateverTheBody(t *testing.T) {
	t.Parallel()
	const marker = "Quota exceeded for this user: "
	hugeJSON := func(n int) []byte {
		return []byte(`{"errors":[{"context":null,"message":"` + marker + strings.Repeat("x", n) +
			`","exceptionName":"com.example.QuotaException"}]}`)
	}
	manyMessages := `{"errors":[` + strings.TrimSuffix(strings.Repeat(`{"context":"field","message":"`+marker+strings.Repeat("y", 200)+`"},`, 3000), ",") + `]}`
	cases := []struct {
		name        string
		contentType string
		body        []byte
		wantText    string
		wantParsed  bool // the body fits under the error cap, so Messages is filled
	}{
		{"5 MB of JSON message text", "application/json", hugeJSON(5 << 20), marker, false},
		{"900 KB JSON message, under the cap", "application/json", hugeJSON(900 << 10), marker, true},
		{"thousands of messages", "application/json", []byte(manyMessages), marker, true},
		{"5 MB of HTML", "text/html", []byte("<html><head><title>Gateway exploded</title></head><body>" +
			strings.Repeat("<p>lorem ipsum dolor sit amet</p>\n", (5<<20)/34) + "</body></html>"), "Gateway exploded", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, http.StatusInternalServerError, tc.contentType, tc.body)
			})

			_, err := c.UserTokens.List(testContext(t), "alice", nil)

			apiErr := requireAPIError(t, err)
			assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
			msg := err.Error()
			assert.Less(t, len(msg), 600, "Error() must stay short, got %d bytes", len(msg))
			assert.Contains(t, msg, tc.wantText)
			assert.Contains(t, msg, "500")
			if tc.wantParsed {
				require.NotEmpty(t, apiErr.Messages)
				assert.True(t, strings.HasPrefix(apiErr.Messages[0].Message, marker))
			}
		})
	}
}

func TestErrorFromNonJSONOrEmptyBodyIsStillUseful(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		status      int
		contentType string
		body        []byte
		sentinel    error
		wantText    []string
	}{
		{
			name: "HTML page from a proxy", status: http.StatusBadGateway, contentType: "text/html",
			body: fixture(t, "proxy_502.html"), sentinel: accesstokens.ErrServer,
			wantText: []string{"502 Bad Gateway", "invalid response from an upstream server"},
		},
		{
			name: "empty body", status: http.StatusInternalServerError, contentType: "",
			body: nil, sentinel: accesstokens.ErrServer,
			wantText: []string{"500", "Internal Server Error"},
		},
		{
			name: "plain text failed login", status: http.StatusUnauthorized, contentType: "text/plain",
			body: []byte("Authentication failed. Please check your credentials and try again.\n"), sentinel: accesstokens.ErrUnauthorized,
			wantText: []string{"401", "Authentication failed. Please check your credentials"},
		},
		{
			name: "JSON that is not Bitbucket's error shape", status: http.StatusServiceUnavailable, contentType: "application/json",
			body: []byte(`{"status":"maintenance"}`), sentinel: accesstokens.ErrServer,
			wantText: []string{"503", "maintenance"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodDelete, "/projects/PRJ/7", func(w http.ResponseWriter, r *http.Request) {
				writeRawBody(w, tc.status, tc.contentType, tc.body)
			})

			err := c.ProjectTokens.Delete(testContext(t), "PRJ", "7")

			apiErr := requireAPIError(t, err)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, http.MethodDelete, apiErr.Method)
			assert.Equal(t, apiRoot+"/projects/PRJ/7", apiErr.Path)
			assert.Empty(t, apiErr.Messages)
			assert.ErrorIs(t, err, tc.sentinel)
			msg := err.Error()
			assert.Contains(t, msg, http.MethodDelete)
			assert.Contains(t, msg, apiRoot+"/projects/PRJ/7")
			for _, want := range tc.wantText {
				assert.Contains(t, msg, want)
			}
			assert.NotContains(t, msg, "<", "HTML tags are dropped")
			assert.NotContains(t, msg, "\n", "Error() is one line")
		})
	}
}

// TestErrorBlanksInvisibleAndBidiCharactersFromServerText: line and paragraph
// separators, bidi overrides and isolates, zero-width characters and a BOM in
// server text could reorder or hide what a terminal or log viewer shows.
func TestErrorBlanksInvisibleAndBidiCharactersFromServerText(t *testing.T) {
	t.Parallel()
	invisible := []rune{
		'\u2028', '\u2029', // line and paragraph separators
		'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', // bidi embeddings and overrides
		'\u2066', '\u2067', '\u2068', '\u2069', // bidi isolates
		'\u200B', '\u200C', '\u200D', '\u200E', '\u200F', '\u2060', '\u061C', // zero-width and marks
		'\uFEFF', // byte-order mark
	}
	for _, r := range invisible {
		t.Run(fmt.Sprintf("U+%04X", r), func(t *testing.T) {
			t.Parallel()
			for _, e := range []*accesstokens.Error{
				{StatusCode: 400, Messages: []accesstokens.ErrorMessage{{Context: "na" + string(r) + "me", Message: "bad" + string(r) + "name"}}},
				{StatusCode: 400, Messages: []accesstokens.ErrorMessage{{Message: string(r) + "bad name"}}},
			} {
				msg := e.Error()
				assert.NotContains(t, msg, string(r))
				assert.True(t, utf8.ValidString(msg))
				assert.Contains(t, msg, "bad")
			}
		})
	}
	// Through the wire too, with JSON escapes; Messages keeps the raw text.
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ/1", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, []byte(`{"errors":[{"message":"evil\u202Etxt.exe\u2028INFO approved\ufeff"}]}`))
	})
	_, err := c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	apiErr := requireAPIError(t, err)
	assert.Equal(t, "accesstokens: GET "+apiRoot+"/projects/PRJ/1: 400 Bad Request: evil txt.exe INFO approved", err.Error())
	assert.Equal(t, "evil\u202Etxt.exe\u2028INFO approved\ufeff", apiErr.Messages[0].Message)

	// A 2xx HTML page quoted in a decode error is server text too.
	ts.on(http.MethodGet, "/projects/PRJ/2", func(w http.ResponseWriter, r *http.Request) {
		writeRawBody(w, http.StatusOK, "text/html", []byte("<html><body>Log\u202Ein\u2066 \u200bnow\u0085</body></html>"))
	})
	_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "2")
	require.Error(t, err)
	for _, r := range invisible {
		assert.NotContains(t, err.Error(), string(r))
	}
	assert.NotContains(t, err.Error(), "\u0085")
	assert.Contains(t, err.Error(), "Log in")
}

// TestATokenRefusedByBitbucketSaysToUseBasicAuthOfAnAdmin: Bitbucket does
// not accept access tokens for token management, admin endpoints or the
// user directory, and says only "not permitted". The error says why and
// what works; where tokens are accepted, or the credential is a password,
// the error stays as the server put it.
func TestATokenRefusedByBitbucketSaysToUseBasicAuthOfAnAdmin(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	_, secret := srv.MintToken(accesstokenstest.UserScopeString(accesstokenstest.DemoAdmin), "ci", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	ctx := testContext(t)
	token, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(secret), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	refused := map[string]func() error{
		"listing a project's tokens": func() error {
			_, err := token.Tokens.List(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject), nil)
			return err
		},
		"creating a token": func() error {
			_, err := token.Tokens.Create(ctx, accesstokens.UserScope(accesstokenstest.DemoAdmin),
				accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
			return err
		},
		"reading the expiry policy": func() error { _, err := token.Admin.GetExpiryPolicy(ctx); return err },
	}
	for name, call := range refused {
		err := call()
		require.ErrorIs(t, err, accesstokens.ErrNotPermitted, name)
		assert.Contains(t, err.Error(), "Bitbucket does not accept access tokens", name)
		assert.Contains(t, err.Error(), "username and password of an admin (Basic auth)", name)
	}

	users, err := collect(token.Directory.Users(ctx))
	require.NoError(t, err, "the user directory falls back to the list a token may read")
	assert.NotEmpty(t, users)

	bob, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoBob, accesstokenstest.DemoBobPassword))
	require.NoError(t, err)
	_, err = bob.Tokens.List(ctx, accesstokens.ProjectScope(accesstokenstest.DemoProject), nil)
	require.ErrorIs(t, err, accesstokens.ErrNotPermitted)
	assert.NotContains(t, err.Error(), "access tokens", "a password is no token: bob is just not permitted")
}
