// Internal tests of server.go: Go's own answers rewritten into the envelope.

package accesstokenstest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvelopeForRewritesOnlyGoOwnAnswers(t *testing.T) {
	t.Parallel()
	own := map[string]int{
		"HTTP/1.1 400 Bad Request" + goErrorHeaders + "400 Bad Request":                                                             400,
		"HTTP/1.1 431 Request Header Fields Too Large" + goErrorHeaders + "431 Request Header Fields Too Large":                     431,
		"HTTP/1.1 400 Bad Request: missing required Host header" + goErrorHeaders + "400 Bad Request: missing required Host header": 400,
		"HTTP/1.1 501 Not Implemented" + goErrorHeaders + "Unsupported transfer encoding":                                           501,
	}
	for in, status := range own {
		out, ok := envelopeFor([]byte(in))
		require.True(t, ok, in)
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
		require.NoError(t, err, in)
		assert.Equal(t, status, resp.StatusCode, in)
		assert.Equal(t, jsonContentType, resp.Header.Get("Content-Type"), in)
		var env wireErrors
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&env), in)
		require.Len(t, env.Errors, 1, in)
		assert.Contains(t, env.Errors[0].Message, "could not be read", in)
	}
	for _, in := range []string{
		// A handler's answer: Go sorts the headers, so Connection never follows Content-Type.
		"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n502 Bad Gateway",
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 200 OK\r\nDate: x" + goErrorHeaders + "200 OK",
		"HTTP/1.1 999 Whatever" + goErrorHeaders + "999 Whatever",
		`{"errors":[]}`,
	} {
		_, ok := envelopeFor([]byte(in))
		assert.False(t, ok, in)
	}
}
