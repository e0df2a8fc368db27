// Tests of serve: the server the flags describe, its timeouts and its stop.

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorldClockRateLimitAndControlFlags(t *testing.T) {
	t.Parallel()
	base := startServe(t, "-quiet", "-world", "demo", "-world-seed", "1", "-clock", "2026-06-01T00:00:00Z",
		"-rate-limit", "100:0.001", "-control", "-context-path", "/bitbucket")
	assert.True(t, strings.HasSuffix(base, "/bitbucket"), base)

	var clock struct {
		Now    time.Time
		Pinned bool
	}
	require.Equal(t, http.StatusOK, getJSON(t, base+"/_fake/clock", "", "", &clock))
	assert.Equal(t, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), clock.Now)
	assert.True(t, clock.Pinned)

	var toks []struct{ Scope string }
	require.Equal(t, http.StatusOK, getJSON(t, base+"/_fake/tokens", "", "", &toks))
	assert.Len(t, toks, 54, "the demo world")

	var page struct{ Values []struct{ Key string } }
	require.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/projects", "admin", "admin", &page))
	assert.Len(t, page.Values, 4)

	// alice's bucket of 100 empties; admin's does not.
	got429 := false
	for range 101 {
		if getJSON(t, base+"/rest/api/latest/users", "alice", "alice", nil) == http.StatusTooManyRequests {
			got429 = true
			break
		}
	}
	assert.True(t, got429)
	assert.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/users", "admin", "admin", nil))
}

func TestGeneratedWorldFlag(t *testing.T) {
	t.Parallel()
	base := startServe(t, "-quiet", "-world", "20x3x10x2", "-world-seed", "9")
	var page struct {
		Size   int
		Values []struct{ Slug string }
	}
	require.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/repos?archived=ALL&limit=1000", "admin", "admin", &page))
	assert.Equal(t, 20*3+1, page.Size, "60 repositories and one personal one")
	assert.Equal(t, http.StatusNotFound, getJSON(t, base+"/_fake/clock", "", "", nil), "the control API is off by default")
}

// TestSlowBodiesCannotPinTheServer opens 1,000 connections that send headers and never finish
// their bodies: the server still answers others at once, and the read timeout closes every slow
// one, with a 408 in Bitbucket's envelope.
func TestSlowBodiesCannotPinTheServer(t *testing.T) {
	t.Parallel()
	base := startServe(t, "-quiet", "-read-timeout", "1s", "-read-header-timeout", "1s")
	addr := strings.TrimPrefix(base, "http://")
	const slow = 1000
	conns := make([]net.Conn, 0, slow)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for range slow {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		require.NoError(t, err)
		conns = append(conns, c)
		_, err = fmt.Fprintf(c, "PUT /rest/access-tokens/latest/users/alice HTTP/1.1\r\nHost: %s\r\n"+
			"Authorization: Basic YWxpY2U6YWxpY2U=\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na", addr)
		require.NoError(t, err)
	}

	began := time.Now()
	assert.Equal(t, http.StatusOK, getJSON(t, base+"/rest/access-tokens/latest/users/alice", "alice", "alice", nil))
	t.Logf("answered beside %d slow connections in %s", slow, time.Since(began))

	var wg sync.WaitGroup
	statuses := make(chan int, slow)
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a hang guard
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
			_, err = c.Read(make([]byte, 1))
			if err == nil {
				statuses <- -1 // still open
			}
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{http.StatusRequestTimeout: slow}, counts, "every slow connection got a 408 and was closed")
}

// TestDelayOutlastsTheReadTimeout: the read timeout guards reading a request, not an injected
// Delay that holds the answer afterwards.
func TestDelayOutlastsTheReadTimeout(t *testing.T) {
	t.Parallel()
	base := startServe(t, "-quiet", "-control", "-read-timeout", "200ms")
	resp, err := http.Post(base+"/_fake/faults", "application/json", strings.NewReader(`{"delay":"1s"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	began := time.Now()
	assert.Equal(t, http.StatusOK, getJSON(t, base+"/rest/access-tokens/latest/users/alice", "alice", "alice", nil))
	assert.GreaterOrEqual(t, time.Since(began), time.Second)
}

// TestStopReleasesDelayedRequests: a request held by an injected Delay does not hold up a stop:
// it is answered 503 in Bitbucket's envelope, and serve returns nil (exit 0) without waiting
// for its shutdown timeout.
func TestStopReleasesDelayedRequests(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-quiet", "-control"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	first, err := lines.ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	base := strings.TrimSpace(first)

	resp, err := http.Post(base+"/_fake/faults", "application/json", strings.NewReader(`{"delay":"1h"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	type answer struct {
		status int
		body   string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, base+"/rest/access-tokens/latest/users/alice", nil)
		req.SetBasicAuth("alice", "alice")
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{status: resp.StatusCode, body: string(b), err: err}
	}()
	// The request is held once it has used up the fault.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var faults struct{ Pending int }
		require.Equal(t, http.StatusOK, getJSON(t, base+"/_fake/faults", "", "", &faults))
		if faults.Pending == 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the request never reached the fake")
	}

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "a stop with a delayed request in flight is clean")
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	got := <-answered
	require.NoError(t, got.err)
	assert.Equal(t, http.StatusServiceUnavailable, got.status)
	assert.Contains(t, got.body, `"errors"`)
}

// TestStopClosesConnectionsThatHoldItUp: connections that would hold up a graceful shutdown (one
// that never sent a request, which net/http waits 5 s for; one whose body never finishes, which
// the read timeout would end after 30 s) are closed after a short grace period, and serve
// returns nil (exit 0).
func TestStopClosesConnectionsThatHoldItUp(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, []string{"-addr", "127.0.0.1:0", "-quiet"}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	first, err := lines.ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	go func() { _, _ = io.Copy(io.Discard, lines) }()
	base := strings.TrimSpace(first)
	addr := strings.TrimPrefix(base, "http://")

	silent, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer silent.Close()
	slow, err := net.DialTimeout("tcp", addr, 10*time.Second)
	require.NoError(t, err)
	defer slow.Close()
	_, err = fmt.Fprintf(slow, "PUT /rest/access-tokens/latest/users/alice HTTP/1.1\r\nHost: %s\r\n"+
		"Authorization: Basic YWxpY2U6YWxpY2U=\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na", addr)
	require.NoError(t, err)
	// The server has both: a request on a third connection is answered after they were accepted.
	require.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/application-properties", "", "", nil))

	began := time.Now()
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err, "a stop is clean whatever the connections")
		t.Logf("stopped in %s", time.Since(began))
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestVersionClusterAndSecretFlags: -server-version, -nodes, -rate-limit-headers,
// -unprefixed-secrets and -no-policy-endpoint reach the fake.
func TestVersionClusterAndSecretFlags(t *testing.T) {
	t.Parallel()
	base := startServe(t, "-quiet", "-control", "-server-version", "9.4.0", "-nodes", "2", "-rate-limit", "2:0.001",
		"-rate-limit-headers", "-unprefixed-secrets", "-no-policy-endpoint")

	var props struct{ Version, BuildNumber string }
	require.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/application-properties", "", "", &props))
	assert.Equal(t, "9.4.0", props.Version)
	assert.Equal(t, "9004000", props.BuildNumber)

	assert.Equal(t, http.StatusNotFound, getJSON(t, base+"/rest/access-tokens/latest/admin", "admin", "admin", nil))

	// Two nodes of two: four requests, then a 429 that says what the bucket holds.
	for i := range 4 {
		require.Equal(t, http.StatusOK, getJSON(t, base+"/rest/api/latest/users", "alice", "alice", nil), "request %d", i)
	}
	req, err := http.NewRequest(http.MethodGet, base+"/rest/api/latest/users", nil)
	require.NoError(t, err)
	req.SetBasicAuth("alice", "alice")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))

	resp, err = http.Post(base+"/_fake/tokens", "application/json",
		strings.NewReader(`{"scope":"project:PRJ","name":"ci","permissions":["PROJECT_READ"]}`))
	require.NoError(t, err)
	var minted struct{ ID, Token string }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&minted))
	_ = resp.Body.Close()
	assert.Regexp(t, `^[1-9][0-9]{9,11}$`, minted.ID)
	assert.NotContains(t, minted.Token, "BBDC-")
	assert.Len(t, minted.Token, 44)
}
