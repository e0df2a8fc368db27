package accesstokens

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Fixtures of the internal tests (package accesstokens): a hang guard and
// the one server constructor they need. The external tests have theirs in
// fixtures_test.go.

// testCtx is the test's context with a generous deadline: a hang guard.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// hangingServer answers after release is closed (headers only, or headers
// and part of the body first when partial is set).
func hangingServer(t *testing.T, partial bool) (url string, release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if partial {
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte(`{"values":[`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL, release
}
