package accesstokens

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An attempt without an answer is reported as stalled while it waits, once:
// the server answers only after the report came.
func TestWaitObserverHearsOfAStalledAttemptWhileItWaits(t *testing.T) {
	t.Parallel()
	stalled := make(chan Wait, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stalled:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"version":"9.4.0"}`))
	}))
	t.Cleanup(srv.Close)
	var reports []Wait
	c, err := NewClient(srv.URL, WithWaitObserver(func(w Wait) {
		reports = append(reports, w) // one report, from the timer's goroutine, before the answer
		stalled <- w
	}))
	require.NoError(t, err)
	sw, ok := c.t.retry.HTTPClient.Transport.(stallWatch)
	require.True(t, ok, "transport %T", c.t.retry.HTTPClient.Transport)
	assert.Equal(t, stallReportAfter, sw.after)
	sw.after = 20 * time.Millisecond
	c.t.retry.HTTPClient.Transport = sw

	info, err := c.Directory.ServerInfo(testCtx(t))

	require.NoError(t, err)
	assert.Equal(t, "9.4.0", info.Version)
	require.Len(t, reports, 1)
	assert.Equal(t, Wait{Method: http.MethodGet, Path: "/rest/api/latest/application-properties", Attempt: 1,
		Reason: WaitStalled, Duration: 20 * time.Millisecond}, reports[0])
}
