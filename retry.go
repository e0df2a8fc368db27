package accesstokens

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// This file holds the request loop's policy: when to retry, how long to
// wait, what to log, and how answers become values or errors.
//
// Bitbucket has no idempotency key, so a create (PUT on a token collection)
// is retried only when the server cannot have acted on it: 429, 503, or a
// connection that failed before the request was fully written. Everything
// else is idempotent and is retried on connection errors, 429, 502, 503, 504.

// RetryPolicy says how often and how long to retry. Retries happen only where
// they cannot duplicate a write; see the README's retry table.
type RetryPolicy struct {
	MaxRetries int           // retries after the first attempt
	MinWait    time.Duration // first backoff
	MaxWait    time.Duration // cap on any single wait, Retry-After included; 0 with retries: 5 s
}

// DefaultRetryPolicy is 3 retries, exponential backoff with jitter from 250 ms,
// each wait capped at 5 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 250 * time.Millisecond, MaxWait: 5 * time.Second}
}

// normalized fills in a cap when retries are on but no cap was given.
func (p RetryPolicy) normalized() RetryPolicy {
	if p.MaxRetries > 0 && p.MaxWait == 0 {
		p.MaxWait = max(p.MinWait, DefaultRetryPolicy().MaxWait)
	}
	return p
}

func (t *transport) newRetryClient(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:     hc,
		Logger:         nil, // go-retryablehttp's own stderr logging stays off
		RetryWaitMin:   t.policy.MinWait,
		RetryWaitMax:   t.policy.MaxWait,
		RetryMax:       t.policy.MaxRetries,
		RequestLogHook: beforeAttempt,
		CheckRetry:     checkRetry,
		Backoff:        backoff,
		ErrorHandler:   keepLastAnswer,
	}
}

type callStateKey struct{}

// callState follows one logical request through its attempts. It is the
// request's context, so go-retryablehttp's hooks, which see only the request
// or its context, can find it without an extra allocation.
type callState struct {
	context.Context
	logger       *slog.Logger
	method, path string
	flags        callFlags
	mayHaveActed bool      // an attempt may have reached the server and taken effect
	interrupted  bool      // the context ended where a retry would have followed
	bodyRead     bool      // readAnswer ran: the next checkRetry is about the body
	notSent      error     // the context ended while this attempt waited for the pacer
	maxRetries   int       // from the client's RetryPolicy
	attempt      int       // 1 for the first attempt
	started      time.Time // when the current attempt began (only with a logger)
	lastEnded    time.Time // when the previous attempt ended (only with a logger)
	t            *transport
	answer       *Error  // the last non-2xx answer, read as it arrived
	body         *[]byte // the 2xx answer's body, read by readAnswer (pooled)
}

// Value returns the state itself for callStateKey.
func (s *callState) Value(key any) any {
	if _, ok := key.(callStateKey); ok {
		return s
	}
	return s.Context.Value(key)
}

func (t *transport) newCallState(ctx context.Context, method, path string, flags callFlags) *callState {
	return &callState{Context: ctx, logger: t.logger, method: method, path: path, flags: flags, maxRetries: t.policy.MaxRetries, t: t}
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// beforeAttempt runs before every attempt (go-retryablehttp's RequestLogHook).
// With WithRateLimit it waits here for the attempt's turn: before
// http.Client.Do, so that the attempt's own timeout does not run while it
// waits. A wait the context cut short is kept in st.notSent, and
// pacedTransport then sends nothing.
func beforeAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	st := stateOf(req.Context())
	if st == nil {
		return
	}
	st.attempt++
	if st.t.pacer != nil {
		st.notSent = st.t.pacer.wait(st.Context)
	}
	if st.logger != nil {
		st.started = time.Now()
	}
}

// checkRetry decides after every attempt whether to try again. A non-2xx
// answer's body is read here, so that its *Error outlives the attempt (see
// callState.result). go-retryablehttp calls it a second time for a final
// answer, after readAnswer: that call is about reading the body.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if st == nil {
		return false, ctx.Err()
	}
	if st.bodyRead {
		return st.checkBodyRead(ctx, err)
	}
	if resp != nil {
		st.keepAnswer(resp)
	}
	if st.outcomeUnknown(resp, err) {
		st.mayHaveActed = true
	}
	if ctx.Err() != nil {
		st.logAttempt(resp, err)
		if retry, _ := st.decide(resp, err); !retry {
			return false, nil // a final answer stands, whatever the context does now
		}
		// The caller gets this answer's *Error with the context's error in
		// the chain (see callState.result): both say something true.
		st.interrupted = true
		return false, ctx.Err()
	}
	retry, reason := st.decide(resp, err)
	if retry && st.attempt > st.maxRetries {
		// Saying so here keeps the log true; go-retryablehttp would stop anyway.
		retry, reason = false, reason+"; no retries left"
	}
	st.logAttempt(resp, err)
	if err == nil && isSuccess(resp.StatusCode) {
		return false, nil // decided once the body is read (checkBodyRead)
	}
	st.logDecision(retry, reason)
	return retry, nil
}

// checkBodyRead decides about a final answer once readAnswer has read it. A
// 2xx body cut off mid-read (a reset, the attempt's timeout) is retried like
// a connection error, where that is safe: never a create.
func (st *callState) checkBodyRead(ctx context.Context, err error) (bool, error) {
	st.bodyRead = false
	if st.interrupted {
		return false, ctx.Err()
	}
	if err == nil {
		if st.answer == nil {
			st.logDecision(false, "success")
		}
		return false, nil
	}
	st.mayHaveActed = true // the server answered 2xx: it acted
	retry, reason := st.decide(nil, err)
	switch {
	case ctx.Err() != nil:
		retry, reason = false, "the context ended while the answer was read"
	case retry && st.attempt > st.maxRetries:
		retry, reason = false, "answer cut off: "+errorClass(err)+"; no retries left"
	case retry:
		reason = "answer cut off: " + errorClass(err)
	}
	st.logDecision(retry, reason)
	return retry, nil
}

// logDecision records a retry decision, with a logger.
func (st *callState) logDecision(retry bool, reason string) {
	if st.logger != nil {
		st.logger.LogAttrs(st.Context, slog.LevelDebug, "accesstokens: retry decision",
			slog.String("method", st.method), slog.String("path", st.path),
			slog.Int("attempt", st.attempt), slog.Bool("retry", retry), slog.String("reason", reason))
	}
}

// decide applies the retry table to one attempt's outcome.
func (st *callState) decide(resp *http.Response, err error) (bool, string) {
	create := st.flags&callCreate != 0
	if err != nil {
		switch {
		case !retryableTransportError(err):
			return false, "error that a retry cannot fix: " + errorClass(err)
		case create && !failedBeforeSending(err):
			// Only a connection that was never made proves the server saw
			// nothing; after a reset or a timeout the token may exist.
			return false, "create not retried: the server may have created the token (" + errorClass(err) + ")"
		case create:
			return true, "the create never reached the server: " + errorClass(err)
		default:
			return true, "connection error: " + errorClass(err)
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, "429 rate limited"
	case http.StatusServiceUnavailable:
		return true, "503 service unavailable"
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if create {
			return false, fmt.Sprintf("create not retried after %d: the server may have created the token", resp.StatusCode)
		}
		return true, fmt.Sprintf("%d from a gateway", resp.StatusCode)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return false, "success"
	}
	return false, fmt.Sprintf("status %d is final", resp.StatusCode)
}

// outcomeUnknown says whether the server may have acted on an attempt that
// is about to be retried: a gateway error or a connection lost after sending.
func (st *callState) outcomeUnknown(resp *http.Response, err error) bool {
	if err != nil {
		return !failedBeforeSending(err)
	}
	return resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout
}

// retryableTransportError is false for errors a retry cannot fix: bad
// certificates, redirect loops, a request the transport refused to build.
func retryableTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return false
	case errors.Is(err, context.Canceled):
		return false
	// No DeadlineExceeded here: checkRetry has already stopped when the
	// caller's context ended, so a deadline seen now is one attempt's
	// http.Client.Timeout, which a retry can fix.
	case errors.Is(err, errTooManyRedirects), errors.Is(err, errUnrequestedUpgrade), errors.Is(err, errBodyTooLarge):
		return false
	}
	return true
}

// failedBeforeSending is true for errors that happen before a single byte
// reaches the server: refused connections, failed name lookups, and
// requests given up while they waited for WithRateLimit's pacing.
func failedBeforeSending(err error) bool {
	if errors.As(err, new(notSentError)) { // given up while waiting for the rate limit
		return true
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// errorClass names an error for logs without its text, which may quote URLs.
func errorClass(err error) string {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return "DNS lookup failed"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection refused or unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	case errors.Is(err, errUnrequestedUpgrade):
		return "unrequested 101 Switching Protocols"
	case errors.Is(err, errBodyTooLarge):
		return "answer larger than the client accepts"
	case errors.As(err, &opErr):
		return "connection " + opErr.Op + " failed"
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "timeout"
	}
	return "transport error"
}

// backoff waits exponentially from MinWait with up to 50% jitter, capped at
// MaxWait. Retry-After wins (capped too); a 429 without it waits the backoff.
func backoff(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
	if resp != nil && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			return min(d, maxWait)
		}
	}
	if minWait <= 0 {
		return 0
	}
	d := minWait
	for i := 0; i < attemptNum && d < maxWait; i++ {
		if d > maxWait/2 { // doubling would pass the cap, or overflow
			return maxWait
		}
		d *= 2
	}
	if d >= maxWait {
		return maxWait
	}
	jitter := rand.N(d/2 + 1)
	if jitter > maxWait-d {
		return maxWait
	}
	return d + jitter
}

// keepLastAnswer runs when the request loop ends without success: it hands
// back the last response and the error as they are, so that
// callState.result can give the caller the answer's *Error (the server's
// status, messages and Retry-After) rather than a bare "giving up".
func keepLastAnswer(resp *http.Response, err error, _ int) (*http.Response, error) {
	return resp, err
}

func (st *callState) logAttempt(resp *http.Response, err error) {
	if st.logger == nil {
		return
	}
	now := time.Now()
	attrs := []slog.Attr{
		slog.String("method", st.method), slog.String("path", st.path), slog.Int("attempt", st.attempt),
	}
	if resp != nil {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
	} else if err != nil {
		attrs = append(attrs, slog.String("error", errorClass(err)))
	}
	if !st.lastEnded.IsZero() {
		attrs = append(attrs, slog.Duration("wait", st.started.Sub(st.lastEnded)))
	}
	attrs = append(attrs, slog.Duration("duration", now.Sub(st.started)))
	st.lastEnded = now
	st.logger.LogAttrs(st.Context, slog.LevelDebug, "accesstokens: attempt", attrs...)
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		d := at.Sub(now)
		if d < 0 {
			d = 0
		}
		return min(d, 24*time.Hour), true // capped like delay-seconds above
	}
	return 0, false
}
