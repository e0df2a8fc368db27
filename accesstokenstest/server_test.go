// Tests of server.go: the loopback servers, plain and TLS, and malformed requests.

package accesstokenstest_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// TestMalformedRequestsGetTheEnvelope: requests that Go's server refuses before any handler
// runs, and those the fake refuses itself, all answer with Bitbucket's JSON error envelope.
func TestMalformedRequestsGetTheEnvelope(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	addr := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name, requestLine string
		header            string
		want              int
	}{
		{"bad escape in the path", "GET /rest/access-tokens/latest/users/alice%zz HTTP/1.1", "", http.StatusBadRequest},
		{"bad escape in the query", "GET /rest/access-tokens/latest/users/alice?limit=%zz HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"URL over 16 KiB", "GET /rest/access-tokens/latest/users/alice?q=" + strings.Repeat("x", 20_000) + " HTTP/1.1", "", http.StatusRequestURITooLong},
		{"URL over 1 MiB", "GET /rest/access-tokens/latest/users/alice?q=" + strings.Repeat("x", 1<<20+10_000) + " HTTP/1.1", "", http.StatusRequestHeaderFieldsTooLarge},
		{"dot-dot segment", "GET /rest/access-tokens/latest/users/alice/.. HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"escaped dot segment", "GET /rest/access-tokens/latest/users/alice/%2e HTTP/1.1", "Authorization: Basic YWxpY2U6YWxpY2U=\r\n", http.StatusBadRequest},
		{"malformed request line", "GET /rest/access-tokens/latest/users/alice HTTP/1.1 extra", "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
			_, err = fmt.Fprintf(conn, "%s\r\nHost: %s\r\n%sConnection: close\r\n\r\n", tt.requestLine, addr, tt.header)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tt.want, resp.StatusCode)
			assert.Equal(t, "application/json;charset=UTF-8", resp.Header.Get("Content-Type"))
			var env struct {
				Errors []struct {
					Message string `json:"message"`
				} `json:"errors"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
			require.Len(t, env.Errors, 1)
			assert.NotEmpty(t, env.Errors[0].Message)
		})
	}
}

func TestTLSServer(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewTLSServer()
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	res := call(t, srv, http.MethodGet, "/users/alice", asAlice, "")
	assert.Equal(t, http.StatusOK, res.status)
}
