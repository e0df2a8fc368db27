package accesstokens_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFailuresDoNotCloseTheCallersIdleConnections: go-retryablehttp closes
// idle connections after a failure; a transport the caller brought may be
// shared with the whole program, so it must not see that.
func TestFailuresDoNotCloseTheCallersIdleConnections(t *testing.T) {
	t.Parallel()
	rt := &closeCounter{RoundTripper: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return nil, errors.New("connection reset by peer")
	})}
	c, err := accesstokens.NewClient("https://bitbucket.example.com", accesstokens.WithToken("t"),
		accesstokens.WithHTTPClient(&http.Client{Transport: rt}),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MinWait: 1, MaxWait: 1}))
	require.NoError(t, err)
	_, err = c.ProjectTokens.Get(testContext(t), "PRJ", "1")
	require.Error(t, err)
	assert.Equal(t, int64(0), rt.closes.Load())
}

type closeCounter struct {
	http.RoundTripper
	closes atomic.Int64
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

func jsonResponse(r *http.Request, status int, body []byte) *http.Response {
	return &http.Response{
		StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(string(body))),
		ContentLength: int64(len(body)), Request: r,
	}
}

// TestUnrequestedSwitchingProtocolsRespectsDeadline: every call returns by its
// context's deadline, and promptly without one, whatever the server does.
func TestUnrequestedSwitchingProtocolsRespectsDeadline(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		call func(context.Context, *accesstokens.Client) error
	}{
		{"Get", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Get(ctx, "PRJ", "1")
			return err
		}},
		{"List", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.List(ctx, "PRJ", nil)
			return err
		}},
		{"Create", func(ctx context.Context, c *accesstokens.Client) error {
			_, err := c.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{Name: "x", Permissions: []accesstokens.Permission{accesstokens.ProjectRead}})
			return err
		}},
		{"Delete", func(ctx context.Context, c *accesstokens.Client) error {
			return c.ProjectTokens.Delete(ctx, "PRJ", "1")
		}},
		{"SetExpiryPolicy", func(ctx context.Context, c *accesstokens.Client) error {
			return c.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 1})
		}},
	}
	for _, tc := range calls {
		for _, deadline := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/deadline=%v", tc.name, deadline), func(t *testing.T) {
				t.Parallel()
				c, err := accesstokens.NewClient(switchingProtocols(t), accesstokens.WithToken("t"),
					accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 2, MinWait: time.Millisecond, MaxWait: time.Millisecond}))
				require.NoError(t, err)
				ctx, cancel := context.WithCancel(context.Background())
				if deadline {
					ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
				}
				defer cancel()

				done := make(chan error, 1)
				start := time.Now()
				go func() { done <- tc.call(ctx, c) }()
				select {
				case err = <-done:
				case <-time.After(5 * time.Second): // a hang guard only
					t.Fatal("the call is still waiting on a connection the server switched to another protocol")
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), "101")
				assert.Less(t, time.Since(start), 2*time.Second)
			})
		}
	}
}

// switchingProtocols answers every request with an unrequested 101 and keeps
// the connection open until the client closes it (or 10 s pass): net/http
// hands such a connection over as the body, which no context or timeout watches.
func switchingProtocols(t *testing.T) string {
	return newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		_ = buf.Flush()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // until the client closes
	}))
}

// TestDefaultTransportKeepsAConnectionPerGoroutine: a Client without
// WithHTTPClient, shared by 8 goroutines, reuses its connections instead of
// dialling one per request (net/http's default keeps only 2 idle per host).
func TestDefaultTransportKeepsAConnectionPerGoroutine(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, fixture(t, "token.json"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	require.NoError(t, err)

	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				_, err := c.UserTokens.Get(testContext(t), "alice", "075905477751")
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	// At most one connection per goroutine, with room for a few dialled
	// while another was on its way back to the pool; with 2 idle per host
	// this was in the hundreds.
	assert.LessOrEqual(t, int(dials.Load()), 2*workers, "new connections for %d requests", workers*perWorker)
}

func TestWithAttemptTimeoutBoundsEachAttempt(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	c, err := accesstokens.NewClient(srvURL, accesstokens.WithAttemptTimeout(50*time.Millisecond), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	_, err = c.Tokens.Get(testContext(t), accesstokens.UserScope("alice"), "1")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "the attempt's own deadline ended it, not the test's context")

	_, err = accesstokens.NewClient(srvURL, accesstokens.WithAttemptTimeout(0))
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}

// An attempt without a whole answer in time, headers or body, says so and
// matches ErrAttemptTimeout; a deadline of the caller's own context matches
// context.DeadlineExceeded alone, so that a program (or the command) can tell
// a slow server from its own deadline.
func TestAnAttemptTimeoutIsToldFromTheCallersOwnDeadline(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	defer close(release)
	srvURL := newLoopbackServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/body") { // headers at once, the body never
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte(`{"id":"1",`))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	slow, err := accesstokens.NewClient(srvURL, accesstokens.WithAttemptTimeout(50*time.Millisecond), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	for _, user := range []string{"headers", "body"} {
		_, err = slow.Tokens.Get(testContext(t), accesstokens.UserScope(user), "1")
		require.Error(t, err, user)
		assert.ErrorIs(t, err, accesstokens.ErrAttemptTimeout, user)
		assert.ErrorIs(t, err, context.DeadlineExceeded, user)
		assert.Contains(t, err.Error(), "no answer within 50ms (the attempt timeout)", user)
	}

	patient, err := accesstokens.NewClient(srvURL, accesstokens.WithAttemptTimeout(time.Hour), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(testContext(t), 50*time.Millisecond)
	defer cancel()
	_, err = patient.Tokens.Get(ctx, accesstokens.UserScope("headers"), "1")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, accesstokens.ErrAttemptTimeout, "the caller's deadline, not the attempt's")
}

func TestWithRootCAsTrustsAnInternalCAAndNothingElseChanges(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewTLSServer()
	defer srv.Close()
	ctx := testContext(t)

	plain, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	require.NoError(t, err)
	_, err = plain.Tokens.List(ctx, accesstokens.UserScope("alice"), nil)
	require.Error(t, err, "the fake's self-signed CA is not among the system's")
	var unknownCA x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknownCA)

	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	for name, opt := range map[string]accesstokens.Option{
		"WithRootCAs":   accesstokens.WithRootCAs(roots),
		"WithTLSConfig": accesstokens.WithTLSConfig(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}),
	} {
		c, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"), opt)
		require.NoError(t, err, name)
		page, err := c.Tokens.List(ctx, accesstokens.UserScope("alice"), nil)
		require.NoError(t, err, name)
		assert.True(t, page.IsLastPage, name)

		_, err = accesstokens.NewClient(srv.URL, opt, accesstokens.WithHTTPClient(srv.Client()))
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, "%s with WithHTTPClient: two sources of TLS settings", name)
	}
	_, err = accesstokens.NewClient(srv.URL, accesstokens.WithRootCAs(nil))
	assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
}
