package accesstokens

// The retry table: which outcomes of an attempt are worth another, within
// what budget, after how long.
//
// Bitbucket has no idempotency key, so a create (PUT on a token collection)
// is retried only when the server cannot have acted on it: a 429, a 503 in
// Bitbucket's own error format, or a connection that failed before the
// request was sent. Everything else is idempotent and is retried on
// connection errors, a 2xx answer cut off mid-read, 429, 502, 503 and 504.
// Every retry counts against the RetryPolicy's MaxRetries, except a read's
// 429s under WithReadPatience, which count against its time instead.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

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

// decide applies the retry table to one attempt's outcome: an answer (resp,
// read already), or an error: a transport error, or a 2xx answer cut off
// mid-read (cutOff).
func (c *call) decide(resp *http.Response, err error, cutOff bool) (bool, string) {
	create := c.flags&callCreate != 0
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
		case cutOff:
			return true, "answer cut off: " + errorClass(err)
		default:
			return true, "connection error: " + errorClass(err)
		}
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return true, "429 rate limited"
	case http.StatusServiceUnavailable:
		if create && !c.answer.fromBitbucket() {
			// A proxy's 503 (an HTML page, an empty body) may come after
			// Bitbucket received the create and made the token.
			return false, "create not retried after a 503 that is not Bitbucket's own: the server may have created the token"
		}
		return true, "503 service unavailable"
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if create {
			return false, fmt.Sprintf("create not retried after %d: the server may have created the token", resp.StatusCode)
		}
		return true, fmt.Sprintf("%d from a gateway", resp.StatusCode)
	}
	if isSuccess(resp.StatusCode) {
		return false, "success"
	}
	return false, fmt.Sprintf("status %d is final", resp.StatusCode)
}

// outcomeUnknown says whether the server may have acted on an attempt: a
// connection lost after sending, a 2xx answer cut off (it acted), a
// gateway's 502 or 504, or a 503 to a write that is not Bitbucket's own.
func (c *call) outcomeUnknown(resp *http.Response, err error, cutOff bool) bool {
	switch {
	case cutOff:
		return true
	case err != nil:
		return !failedBeforeSending(err)
	}
	switch resp.StatusCode {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return true
	case http.StatusServiceUnavailable:
		return c.method != http.MethodGet && !c.answer.fromBitbucket()
	}
	return false
}

// allowRetry counts a retry that decide allowed against the call's budget,
// and sets how long to wait before it. A 429 to a GET under read patience
// waits its Retry-After (at least minPatientWait) for as long as the call's
// waits add up to at most the patience; any other retry is one of the
// RetryPolicy's MaxRetries and waits its backoff.
func (c *call) allowRetry(resp *http.Response, reason string) (bool, string) {
	if patience := c.t.readPatience; patience > 0 && c.method == http.MethodGet &&
		resp != nil && resp.StatusCode == http.StatusTooManyRequests {
		wait := max(c.answer.RetryAfter, minPatientWait)
		if c.waited+wait > patience {
			return false, fmt.Sprintf("%s; read patience used up (%s waited, %s more asked, %s allowed)",
				reason, c.waited.Round(time.Millisecond), wait, patience)
		}
		c.planWait(wait, reason)
		return true, reason
	}
	if c.retries >= c.t.policy.MaxRetries {
		return false, reason + "; no retries left"
	}
	c.retries++
	c.planWait(backoff(c.t.policy.MinWait, c.t.policy.MaxWait, c.attempt-1, resp), reason)
	return true, reason
}

// minPatientWait is the least a read waits before it asks again after a 429
// under read patience: a server that answers Retry-After 0 again and again
// cannot make it spin.
const minPatientWait = time.Second

// planWait sets how long the coming retry waits (beforeRetry waits it), and
// reports the wait as it begins.
func (c *call) planWait(d time.Duration, reason string) {
	c.nextWait = d
	c.report(c.attempt+1, WaitRetry, d, reason)
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
