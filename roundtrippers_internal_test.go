package accesstokens

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The default Client bounds each attempt with attemptTimeout, not with
// http.Client.Timeout (which would cost a goroutine per request), in a
// transport that keeps idle connections for concurrent callers.
func TestDefaultClientBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	c, err := NewClient("https://bitbucket.example.com")
	require.NoError(t, err)
	hc := c.t.retry.HTTPClient
	assert.Zero(t, hc.Timeout, "http.Client.Timeout would start a goroutine per request")
	up, ok := hc.Transport.(refuseUpgrades)
	require.True(t, ok, "transport %T", hc.Transport)
	at, ok := up.RoundTripper.(attemptTimeout)
	require.True(t, ok, "transport below refuseUpgrades: %T", up.RoundTripper)
	assert.Equal(t, defaultHTTPTimeout, at.timeout)
	tr, ok := at.next.(*http.Transport)
	require.True(t, ok, "transport below attemptTimeout: %T", at.next)
	assert.Equal(t, defaultIdleConnsPerHost, tr.MaxIdleConnsPerHost)

	// A caller's client is left as it is: its own Timeout, no attemptTimeout.
	own := &http.Client{Timeout: time.Minute}
	c, err = NewClient("https://bitbucket.example.com", WithHTTPClient(own))
	require.NoError(t, err)
	assert.Equal(t, time.Minute, c.t.retry.HTTPClient.Timeout)
	_, wrapped := c.t.retry.HTTPClient.Transport.(refuseUpgrades).RoundTripper.(attemptTimeout)
	assert.False(t, wrapped)
}

func TestAttemptTimeoutEndsAnAnswerThatDoesNotCome(t *testing.T) {
	t.Parallel()
	url, _ := hangingServer(t, false)
	rt := attemptTimeout{next: defaultTransport(), timeout: 50 * time.Millisecond}
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := rt.RoundTrip(req)
	require.Error(t, err)
	assert.Nil(t, resp)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "retried as a timeout: %v", err)
	assert.NoError(t, req.Context().Err(), "the caller's context is not the attempt's")
}

func TestAttemptTimeoutEndsABodyThatStopsComing(t *testing.T) {
	t.Parallel()
	url, _ := hangingServer(t, true)
	rt := attemptTimeout{next: defaultTransport(), timeout: 100 * time.Millisecond}
	req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err, "the headers came in time")
	defer resp.Body.Close()
	_, err = io.ReadAll(resp.Body)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// stubTransport answers body and keeps the request it was given.
type stubTransport struct {
	body   string
	err    error
	req    *http.Request
	closed int
}

func (s *stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s.req = req
	if s.err != nil {
		return nil, s.err
	}
	return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader(s.body)), Request: req}, nil
}

func (s *stubTransport) CloseIdleConnections() { s.closed++ }

// Each attempt's context, and so its timer, ends with the attempt: at the
// body's end, at its Close, or with a transport error.
func TestAttemptTimeoutEndsItsContextWithTheAttempt(t *testing.T) {
	t.Parallel()
	read := func(b io.ReadCloser) { _, _ = io.ReadAll(b) }
	closeBody := func(b io.ReadCloser) { _ = b.Close() }
	for name, end := range map[string]func(io.ReadCloser){"read to the end": read, "closed unread": closeBody} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stub := &stubTransport{body: `{"version":"8.19.0"}`}
			parent, cancel := context.WithCancel(context.Background()) // no deadline of its own
			defer cancel()
			req, err := http.NewRequestWithContext(parent, http.MethodGet, "http://bitbucket.example.com/x", nil)
			require.NoError(t, err)
			resp, err := attemptTimeout{next: stub, timeout: time.Hour}.RoundTrip(req)
			require.NoError(t, err)
			attemptCtx := stub.req.Context()
			deadline, ok := attemptCtx.Deadline()
			require.True(t, ok)
			assert.WithinDuration(t, time.Now().Add(time.Hour), deadline, time.Minute)
			assert.NoError(t, attemptCtx.Err(), "alive while the body is read")
			end(resp.Body)
			assert.ErrorIs(t, attemptCtx.Err(), context.Canceled)
			assert.NoError(t, req.Context().Err(), "the caller's context goes on")
		})
	}

	t.Run("transport error", func(t *testing.T) {
		t.Parallel()
		stub := &stubTransport{err: errors.New("connection refused")}
		req, err := http.NewRequestWithContext(testCtx(t), http.MethodGet, "http://bitbucket.example.com/x", nil)
		require.NoError(t, err)
		_, err = attemptTimeout{next: stub, timeout: time.Hour}.RoundTrip(req)
		require.Error(t, err)
		assert.ErrorIs(t, stub.req.Context().Err(), context.Canceled)
	})
}

func TestAttemptTimeoutPassesCloseIdleConnectionsOn(t *testing.T) {
	t.Parallel()
	stub := &stubTransport{}
	refuseUpgrades{attemptTimeout{next: stub, timeout: time.Second}}.CloseIdleConnections()
	assert.Equal(t, 1, stub.closed)
}
