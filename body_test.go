package accesstokens_test

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuccessBodiesOverTheCapAreErrors(t *testing.T) {
	t.Parallel()
	for _, op := range decodingOps {
		t.Run(op.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(op.method, op.path, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(accesstokens.MaxResponseBytes+1))
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"id":"1"`))
			})

			_, err := op.call(testContext(t), c)

			require.Error(t, err)
			assert.Contains(t, err.Error(), "larger than the client accepts")
		})
	}
}

// TestErrorBodyIsReadOnlyUpToItsCap shows that a server streaming an endless
// error body cannot make the client read it all: the client stops after its
// 1 MiB cap and closes the connection, so the handler's writes start failing
// long before it has sent everything.
func TestErrorBodyIsReadOnlyUpToItsCap(t *testing.T) {
	t.Parallel()
	const total = 256 << 20
	ts, c := newTestServer(t)
	written := make(chan int, 1)
	ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("overflowing error text ", 64<<10/23))
		n := 0
		for n < total {
			k, err := w.Write(chunk)
			n += k
			if err != nil {
				break
			}
		}
		written <- n
	})
	ctx := testContext(t)

	_, err := c.UserTokens.List(ctx, "alice", nil)

	apiErr := requireAPIError(t, err)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Less(t, len(err.Error()), 600)
	assert.Contains(t, err.Error(), "overflowing error text")
	select {
	case n := <-written:
		t.Logf("the handler managed to write %d of %d bytes", n, total)
		assert.Less(t, n, total/4, "the client must stop reading an error body after its cap")
	case <-ctx.Done():
		t.Fatal("the handler never finished: the client kept the connection open")
	}
}

// bigTokenBody is valid-looking token JSON of exactly n bytes.
func bigTokenBody(n int) []byte {
	const prefix, suffix = `{"id":"1","createdDate":1672996351030,"name":"`, `"}`
	b := bytes.Repeat([]byte{'a'}, n)
	copy(b, prefix)
	copy(b[n-len(suffix):], suffix)
	return b
}

func TestSuccessBodyOverMaxResponseBytesIsAnError(t *testing.T) {
	t.Parallel()
	limit := strconv.Itoa(accesstokens.MaxResponseBytes)
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"streamed without Content-Length", func(w http.ResponseWriter, r *http.Request) {
			body := bigTokenBody(accesstokens.MaxResponseBytes + 1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			// Written in pieces so that net/http streams it chunked, with no length announced.
			for len(body) > 0 {
				n := min(len(body), 1<<20)
				if _, err := w.Write(body[:n]); err != nil {
					return
				}
				body = body[n:]
			}
		}},
		{"announced by Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(accesstokens.MaxResponseBytes+1))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":"1","name":"`))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			ts.on(http.MethodGet, "/users/alice/1", tc.handler)

			tok, err := c.UserTokens.Get(testContext(t), "alice", "1")

			require.Error(t, err)
			assert.Nil(t, tok)
			assert.Contains(t, err.Error(), limit, "the error names the limit")
			var apiErr *accesstokens.Error
			assert.False(t, errors.As(err, &apiErr), "a 2xx is not an *Error")
		})
	}
}
