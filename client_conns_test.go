package accesstokens_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// Concurrent callers of one Client reuse its connections: the default
// transport keeps an idle connection for each of them. With net/http's own
// default (2 idle connections per host), 8 goroutines opened a new
// connection for most of their requests, which cost the client and the
// server more than the requests themselves (BENCHMARKS.md, server scale).
func TestConcurrentCallersReuseConnections(t *testing.T) {
	t.Parallel()
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		_, _ = w.Write([]byte(`{"version":"8.19.0","buildNumber":"8019000","displayName":"Bitbucket"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken("secret-token-value"))
	require.NoError(t, err)

	const goroutines, each = 8, 100
	var wg sync.WaitGroup
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, err := c.Directory.ServerInfo(testContext(t)); !assert.NoError(t, err) {
					return
				}
			}
		}()
	}
	wg.Wait()
	// One connection per goroutine, and a few more where a dial raced a
	// connection coming back to the pool; never one per request.
	assert.LessOrEqual(t, opened.Load(), int64(3*goroutines), "connections opened for %d requests", goroutines*each)
}
