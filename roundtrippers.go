package accesstokens

// The HTTP client under every request: the caller's *http.Client (copied) or
// the SDK's own, and the round trippers the SDK puts around its transport
// (the attempt timeout, the refusal of 101, the caller's idle connections
// kept open). Pacing sits on top of these (pacing.go).

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// defaultHTTPTimeout bounds one attempt (headers and body; each redirect is
// an attempt of its own) when the caller brings no *http.Client of its own;
// contexts can always cut it shorter. See attemptTimeout.
const defaultHTTPTimeout = 60 * time.Second

// newHTTPClient returns a copy of hc (or a default client) with the SDK's
// redirect guard (guardRedirects) and its round trippers.
//
// A caller's transport is wrapped so that go-retryablehttp, which closes idle
// connections after a failed request, cannot close those of a transport the
// whole program shares (http.DefaultTransport, say). Every transport is
// wrapped in refuseUpgrades.
//
// tlsConfig (nil: the system's) and timeout (0: defaultHTTPTimeout) apply to
// the SDK's own transport; a caller's client keeps its own TLS settings and
// gets timeout on top of its Timeout only when timeout is set.
func newHTTPClient(hc *http.Client, tlsConfig *tls.Config, timeout time.Duration) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		rt = keepIdleConns{rt}
		if timeout > 0 {
			rt = newAttemptTimeout(rt, timeout)
		}
		c.Transport = refuseUpgrades{rt}
	} else {
		if timeout <= 0 {
			timeout = defaultHTTPTimeout
		}
		t := defaultTransport()
		if tlsConfig != nil {
			t.TLSClientConfig = tlsConfig
		}
		c.Transport = refuseUpgrades{newAttemptTimeout(t, timeout)}
	}
	c.CheckRedirect = guardRedirects(c.CheckRedirect)
	return &c
}

// defaultIdleConnsPerHost is how many idle connections the SDK's own
// transport keeps to the server. A Client is one server, shared by many
// goroutines: net/http's default of 2 makes every goroutine past the second
// open a new connection per request (an 8-worker audit ran at 0.57x of a
// hand-written loop with it; see BENCHMARKS.md).
const defaultIdleConnsPerHost = 64

// defaultTransport is http.DefaultTransport's settings, with room for the
// idle connections of a Client shared by many goroutines.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = defaultIdleConnsPerHost
	return t
}

// attemptTimeout bounds each request it sends, headers and body, as
// http.Client.Timeout would: the request's context gets the deadline, and
// the response body ends it (at EOF or Close, as net/http does). Not
// http.Client.Timeout itself: for a transport it does not know (the SDK
// wraps every transport), net/http starts a goroutine, a timer and two
// channels per request to enforce it, which cost a concurrent whole-server
// audit about 15% of its CPU (BENCHMARKS.md, server scale). It sits below
// the rate limiter, so a wait for the pacer does not count.
// An attempt whose time is up ends with an attemptTimedOut cause, which net/http
// returns as the attempt's error: it matches ErrAttemptTimeout and
// context.DeadlineExceeded, where a deadline of the caller's context matches
// only the latter.
type attemptTimeout struct {
	next    http.RoundTripper
	timeout time.Duration
	cause   error // attemptTimedOut(timeout), made once; nil: made per attempt
}

func newAttemptTimeout(next http.RoundTripper, timeout time.Duration) attemptTimeout {
	return attemptTimeout{next: next, timeout: timeout, cause: attemptTimedOut(timeout)}
}

func (t attemptTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	cause := t.cause
	if cause == nil {
		cause = attemptTimedOut(t.timeout)
	}
	ctx, cancel := context.WithTimeoutCause(req.Context(), t.timeout, cause)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelAtEnd{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// attemptTimedOut is the error of an attempt that had no whole answer
// within its timeout.
type attemptTimedOut time.Duration

func (e attemptTimedOut) Error() string {
	return fmt.Sprintf("no answer within %s (the attempt timeout)", time.Duration(e))
}

// Is matches ErrAttemptTimeout and context.DeadlineExceeded.
func (e attemptTimedOut) Is(target error) bool {
	return target == ErrAttemptTimeout || target == context.DeadlineExceeded
}

// Timeout and Temporary make it a net.Error that timed out, as
// context.DeadlineExceeded is: the retry table retries it like one.
func (e attemptTimedOut) Timeout() bool   { return true }
func (e attemptTimedOut) Temporary() bool { return true }

// CloseIdleConnections passes on to the transport.
func (t attemptTimeout) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// cancelAtEnd ends a request's context once its body is read to the end or
// closed.
type cancelAtEnd struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelAtEnd) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}

func (b *cancelAtEnd) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// keepIdleConns hides the CloseIdleConnections of a transport the caller
// brought, which may be shared with the rest of the program.
type keepIdleConns struct{ http.RoundTripper }

// refuseUpgrades turns an unrequested 101 Switching Protocols into an error
// at once. net/http hands the connection itself over as the body of a 101,
// and neither the request's context nor the client's timeout watches it:
// reading it would wait for as long as the server keeps it open.
type refuseUpgrades struct{ http.RoundTripper }

func (r refuseUpgrades) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.RoundTripper.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusSwitchingProtocols {
		_ = resp.Body.Close() // closes the connection
		return nil, errUnrequestedUpgrade
	}
	return resp, err
}

// CloseIdleConnections passes on to the transport, unless keepIdleConns hides it.
func (r refuseUpgrades) CloseIdleConnections() {
	if c, ok := r.RoundTripper.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// errUnrequestedUpgrade is the answer 101, which the client never asks for;
// retrying would not help.
var errUnrequestedUpgrade = errors.New("the server answered 101 Switching Protocols, which the client never asks for")
