package accesstokens

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sync"
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
	mayHaveActed bool      // an earlier attempt may have reached the server and taken effect
	interrupted  bool      // the context ended where a retry would have followed
	maxRetries   int       // from the client's RetryPolicy
	attempt      int       // 1 for the first attempt
	started      time.Time // when the current attempt began (only with a logger)
	lastEnded    time.Time // when the previous attempt ended (only with a logger)
}

// Value returns the state itself for callStateKey.
func (s *callState) Value(key any) any {
	if _, ok := key.(callStateKey); ok {
		return s
	}
	return s.Context.Value(key)
}

func (t *transport) newCallState(ctx context.Context, method, path string, flags callFlags) *callState {
	return &callState{Context: ctx, logger: t.logger, method: method, path: path, flags: flags, maxRetries: t.policy.MaxRetries}
}

func stateOf(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// beforeAttempt runs before every attempt (go-retryablehttp's RequestLogHook).
func beforeAttempt(_ retryablehttp.Logger, req *http.Request, _ int) {
	st := stateOf(req.Context())
	if st == nil {
		return
	}
	st.attempt++
	if st.logger != nil {
		st.started = time.Now()
	}
}

// checkRetry decides after every attempt whether to try again.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := stateOf(ctx)
	if ctx.Err() != nil {
		if st == nil {
			return false, ctx.Err()
		}
		st.logAttempt(resp, err)
		if retry, _ := st.decide(resp, err); !retry {
			return false, nil // a final answer stands, whatever the context does now
		}
		// The caller gets this answer's *Error with the context's error in
		// the chain (see Client.call): both say something true.
		st.interrupted = true
		return false, ctx.Err()
	}
	if st == nil {
		return false, nil
	}
	retry, reason := st.decide(resp, err)
	if retry && st.attempt > st.maxRetries {
		// Saying so here keeps the log true; go-retryablehttp would stop anyway.
		retry, reason = false, reason+"; no retries left"
	}
	st.logAttempt(resp, err)
	if retry && st.outcomeUnknown(resp, err) {
		st.mayHaveActed = true
	}
	if st.logger != nil {
		st.logger.LogAttrs(ctx, slog.LevelDebug, "accesstokens: retry decision",
			slog.String("method", st.method), slog.String("path", st.path),
			slog.Int("attempt", st.attempt), slog.Bool("retry", retry), slog.String("reason", reason))
	}
	return retry, nil
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
	case errors.Is(err, errTooManyRedirects):
		return false
	}
	return true
}

// failedBeforeSending is true for errors that happen before a single byte
// reaches the server: refused connections and failed name lookups.
func failedBeforeSending(err error) bool {
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
		d *= 2
	}
	d += rand.N(d/2 + 1)
	return min(d, maxWait)
}

// keepLastAnswer runs when the request loop ends without success: it hands
// back the last response, so the caller gets an *Error with the server's
// status, messages and Retry-After rather than a bare "giving up".
func keepLastAnswer(resp *http.Response, err error, _ int) (*http.Response, error) {
	if resp != nil {
		return resp, nil
	}
	return nil, err
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

// transportError wraps a failure that produced no HTTP answer. The URL in
// net/http's own error is dropped (it carries the query); the cause stays in
// the chain, with the context's error when the context ended.
func (st *callState) transportError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	if ctxErr := st.Context.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("accesstokens: %s %s: %w (%w)", st.method, st.path, ctxErr, err)
	}
	return fmt.Errorf("accesstokens: %s %s: %w", st.method, st.path, err)
}

// statusError turns a non-2xx answer into an *Error, except a 404 to a
// delete whose earlier attempt may already have removed the token.
//
// echoes, when not nil, are the client's credentials: blanked out of the body
// before anything of it is kept, in case a proxy echoes request headers.
func (st *callState) statusError(resp *http.Response, echoes *[]string) error {
	body, _ := readBody(resp.Body, resp.ContentLength, maxErrorBodyBytes, true)
	body = blankEchoes(body, echoes)
	if st.flags&callDelete != 0 && resp.StatusCode == http.StatusNotFound && st.mayHaveActed {
		if st.logger != nil {
			st.logger.LogAttrs(st.Context, slog.LevelDebug, "accesstokens: delete treated as done",
				slog.String("method", st.method), slog.String("path", st.path),
				slog.String("reason", "404 after an earlier attempt that may have deleted the token"))
		}
		return nil
	}
	return newError(st.method, st.path, resp.StatusCode, resp.Header, body)
}

// readBufs recycles the buffers that 2xx answers are read into. Nothing
// decoded points into them (json.Unmarshal copies every string and byte
// slice out, and error texts are copied too), so a buffer is free again as
// soon as decode returns.
var readBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledReadBuf keeps rare huge answers from staying in the pool; a page
// of 1000 tokens is well below it.
const maxPooledReadBuf = 1 << 20

// decode reads a 2xx answer through the size cap and decodes it into out.
func (st *callState) decode(resp *http.Response, maxBody int64, out any, echoes *[]string) error {
	pooled := readBufs.Get().(*[]byte)
	defer readBufs.Put(pooled)
	body, err := readBodyInto(*pooled, resp.Body, resp.ContentLength, maxBody, false)
	if cap(body) > cap(*pooled) && cap(body) <= maxPooledReadBuf {
		*pooled = body[:0] // keep the larger buffer for next time
	}
	if err != nil {
		return st.readError(err)
	}
	fail := func(what string, err error) error {
		return &decodeError{what: what, method: st.method, path: st.path, err: err}
	}
	if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
		if st.flags&callEmptyOK != 0 {
			return nil
		}
		return fail("JSON answer", errors.New("the body is empty"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		return fail("JSON answer", fmt.Errorf("content type %q%s", truncate(ct, 60), st.successExcerpt(body, echoes)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fail("JSON answer", err)
	}
	if c, ok := out.(interface{ check() error }); ok {
		if err := c.check(); err != nil {
			return fail("token", err)
		}
	}
	return nil
}

// successExcerpt quotes a little of a 2xx body that is an HTML page (a
// proxy's login page, say), to make the error useful. Nothing else is quoted,
// and nothing of a create's answer: it holds the new token's secret, however
// it is wrapped. The client's own credentials are blanked first, in case the
// page echoes request headers.
func (st *callState) successExcerpt(body []byte, echoes *[]string) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if st.flags&callCreate != 0 || len(trimmed) == 0 || trimmed[0] != '<' {
		return fmt.Sprintf(" (%d bytes not shown)", len(body))
	}
	return ": " + bodyExcerpt(blankEchoes(body, echoes))
}

// blankEchoes replaces the client's credentials wherever body repeats them.
func blankEchoes(body []byte, echoes *[]string) []byte {
	if echoes == nil {
		return body
	}
	for _, secret := range *echoes {
		body = bytes.ReplaceAll(body, []byte(secret), []byte(redacted))
	}
	return body
}

// checkNoContent accepts the answer of a call that expects no data: a 204, an
// empty body, or JSON (SetExpiryPolicy's 200 may carry the policy). Anything
// else, such as an HTML login page answered with 200, is not a success.
func (st *callState) checkNoContent(resp *http.Response, echoes *[]string) error {
	if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
		return nil
	}
	body, err := readBody(resp.Body, resp.ContentLength, maxErrorBodyBytes, true)
	if err != nil {
		return st.readError(err)
	}
	ct := resp.Header.Get("Content-Type")
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || ((ct == "" || isJSONContentType(ct)) && json.Valid(trimmed)) {
		return nil
	}
	return &decodeError{what: "answer", method: st.method, path: st.path,
		err: fmt.Errorf("expected no content or JSON, got content type %q%s", truncate(ct, 60), st.successExcerpt(body, echoes))}
}

func (st *callState) readError(err error) error {
	if errors.Is(err, errBodyTooLarge) {
		return fmt.Errorf("accesstokens: %s %s: %w", st.method, st.path, err)
	}
	return st.transportError(fmt.Errorf("reading the answer: %w", err))
}

func isJSONContentType(ct string) bool {
	switch ct { // Bitbucket's own spellings, known good without parsing
	case "application/json", "application/json;charset=UTF-8", "application/json; charset=UTF-8",
		"application/json;charset=utf-8", "application/json; charset=utf-8":
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (len(mt) > 5 && mt[len(mt)-5:] == "+json")
}

var errBodyTooLarge = errors.New("the answer is larger than the client accepts")

// readBody reads at most limit bytes. Over the limit it fails, unless
// truncateOK (error bodies), where the first limit bytes are enough.
// Content-Length, when known and within the limit, sizes the buffer at once.
func readBody(r io.Reader, contentLength, limit int64, truncateOK bool) ([]byte, error) {
	return readBodyInto(nil, r, contentLength, limit, truncateOK)
}

// readBodyInto is readBody reading into buf, which it reuses from its start
// when its capacity is enough and replaces when it is not.
func readBodyInto(buf []byte, r io.Reader, contentLength, limit int64, truncateOK bool) ([]byte, error) {
	if contentLength > limit && !truncateOK {
		return nil, fmt.Errorf("%w (%d bytes announced, limit %d)", errBodyTooLarge, contentLength, limit)
	}
	size := int64(512)
	if contentLength >= 0 && contentLength <= limit {
		size = contentLength + 1 // +1 so that the EOF read needs no growth
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:0]
	lr := io.LimitedReader{R: r, N: limit + 1}
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, err
		}
	}
	if int64(len(buf)) > limit {
		if truncateOK {
			return buf[:limit], nil
		}
		return nil, fmt.Errorf("%w (limit %d bytes)", errBodyTooLarge, limit)
	}
	return buf, nil
}
