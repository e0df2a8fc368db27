package accesstokens

// The request path, top to bottom. A service method describes its call as a
// request and hands it to Client.do, which
//
//  1. builds the HTTP request (newHTTPRequest) and paces its first attempt
//     (beforeAttempt: the 429 gate and the rate limits of pacing.go);
//  2. runs go-retryablehttp's loop, whose hooks each do one job: the HTTP
//     client sends; CheckRetry (afterAttempt) reads the answer and decides
//     by the retry table (retry.go) whether to try again and how long to
//     wait first; PrepareRetry (beforeRetry) waits that long, then paces the
//     next attempt like the first; ErrorHandler (keepLastAnswer) hands back
//     the last answer as it is;
//  3. turns the final answer into the call's value or error (finish):
//     decode.go for a 2xx answer, servertext.go for any other.
//
// What a call learns on the way (the attempt count, the last answer, whether
// the server may have acted) travels with it: the call is its request's
// context, where every hook finds it (callOf).

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// request is one logical call, as a service method describes it.
type request struct {
	api    restAPI   // tokensAPI or coreAPI
	method string    // GET, PUT, POST or DELETE
	segs   []string  // the path below the API's root, one unescaped segment each
	query  string    // the encoded query string, "" for none
	body   []byte    // a JSON body, nil for none
	flags  callFlags // how it may be retried and what answer it accepts
	// out receives the 2xx JSON answer (a pointer); nil: the answer
	// carries no value, and anything but JSON or nothing is an error.
	out any
	// header, when set, receives the final answer's header.
	header *http.Header
}

// callFlags say how a request may be retried and what answer it accepts.
type callFlags uint8

const (
	// callCreate marks a non-idempotent create: retried only when the server cannot have acted.
	callCreate callFlags = 1 << iota
	// callDelete marks a delete: a 404 after an attempt that may have succeeded is success.
	callDelete
	// callEmptyOK accepts an empty 2xx body as a zero answer.
	callEmptyOK
	// callRefusesTokens marks, for a client with an access token, an
	// endpoint where Bitbucket refuses them (set by newCall).
	callRefusesTokens
)

// do sends r, with its retries, and decodes the final 2xx answer into r.out.
func (c *Client) do(ctx context.Context, r request) error {
	if ctx == nil {
		return invalidArg("ctx", "must not be nil")
	}
	t := c.t
	plain, raw := t.paths(r.api, r.segs)
	cl := t.newCall(ctx, r, raw)
	defer cl.releaseBody()
	req, err := cl.newHTTPRequest(r, plain, raw)
	if err != nil {
		return err
	}
	if err := cl.beforeAttempt(); err != nil {
		return cl.finish(nil, err, r.out) // given up before it was sent
	}
	resp, err := t.retry.Do(req)
	if resp != nil && r.header != nil {
		*r.header = resp.Header
	}
	return cl.finish(resp, err, r.out)
}

// call follows one logical request through its attempts.
//
// It is the request's context (it embeds the caller's), because
// go-retryablehttp hands its hooks only the request, its context or the
// answer. A per-call copy of the retry client with hooks bound to the call
// would be the other way: it costs 176 more bytes a call (the Delete pair of
// bench_test.go went from 2,531 to 2,707 B/op, over its budget of 2,546) and
// copies the client's locks.
type call struct {
	context.Context
	t            *transport
	method, path string // path: escaped, without the query, as errors and logs show it
	flags        callFlags
	wantsValue   bool          // the answer is decoded into a value
	mayHaveActed bool          // an attempt may have reached the server and taken effect
	attempt      int           // 1 for the first attempt
	retries      int           // retries counted against the RetryPolicy (read patience's are not)
	waited       time.Duration // how long this call has waited before its retries so far
	nextWait     time.Duration // how long the coming retry waits first (set by allowRetry)
	started      time.Time     // when the current attempt began (only with a logger)
	lastEnded    time.Time     // when the previous attempt ended (only with a logger)
	answer       *Error        // the last non-2xx answer, read as it arrived
	body         *[]byte       // the last 2xx answer's body (pooled; see releaseBody)
}

// callKey finds the call in its request's context.
type callKey struct{}

// Value returns the call itself for callKey.
func (c *call) Value(key any) any {
	if _, ok := key.(callKey); ok {
		return c
	}
	return c.Context.Value(key)
}

// callOf is the call whose request ctx belongs to, nil for none.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

func (t *transport) newCall(ctx context.Context, r request, path string) *call {
	flags := r.flags
	if t.bearer && refusesTokens(r) {
		flags |= callRefusesTokens
	}
	return &call{Context: ctx, t: t, method: r.method, path: path, flags: flags, wantsValue: r.out != nil}
}

// refusesTokens reports the endpoints where Bitbucket does not accept an
// access token as the credential: token management (and the expiry
// policy), the admin endpoints and the user directory.
func refusesTokens(r request) bool {
	if r.api == tokensAPI {
		return true
	}
	return len(r.segs) > 0 && (r.segs[0] == "admin" || r.segs[0] == "users")
}

// newHTTPRequest builds the request by hand from pre-split parts, so no URL
// is parsed on the hot path. Its context is the call.
func (c *call) newHTTPRequest(r request, plain, raw string) (*retryablehttp.Request, error) {
	t := c.t
	hreq, err := http.NewRequestWithContext(c, r.method, "", nil)
	if err != nil {
		return nil, err
	}
	// Fill in the empty URL that parsing "" gave rather than allocate another.
	u := hreq.URL
	u.Scheme, u.Host, u.Path, u.RawQuery = t.scheme, t.host, plain, r.query
	if raw != plain {
		u.RawPath = raw // set only when it differs, as url.URL does itself
	}
	hreq.Host = t.host
	h := hreq.Header
	h.Set("Accept", "application/json")
	h.Set("User-Agent", t.userAgent)
	if t.authorization != nil {
		h.Set("Authorization", *t.authorization)
	}
	req := &retryablehttp.Request{Request: hreq}
	if r.body != nil {
		h.Set("Content-Type", "application/json")
		if err := req.SetBody(r.body); err != nil {
			return nil, err
		}
		if r.flags&callCreate != 0 {
			// GetBody lets net/http replay a request on its own (HTTP/2
			// does after some stream errors, when the server may have
			// acted). go-retryablehttp rewinds bodies without it, so a
			// create keeps none: only our retry policy may repeat one.
			hreq.GetBody = nil
			// A create's answer holds the new secret. Bytes a server
			// sends past the Content-Length stay on the connection, and
			// net/http prints them to stderr ("Unsolicited response
			// received on idle HTTP channel") if it is reused: it is not.
			hreq.Close = true
		}
	}
	return req, nil
}

// newRetryClient is the request loop every call runs, with the hooks below.
// go-retryablehttp's own count of retries is set out of reach: afterAttempt
// counts them, since read patience retries a GET's 429s beyond the
// RetryPolicy's MaxRetries.
func newRetryClient(hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		Logger:       nil, // go-retryablehttp's own stderr logging stays off
		RetryMax:     math.MaxInt,
		CheckRetry:   afterAttempt,
		Backoff:      noBackoff,
		PrepareRetry: beforeRetry,
		ErrorHandler: keepLastAnswer,
	}
}

// beforeAttempt counts the attempt and waits for its turn (the 429 gate and
// the rate limits): before http.Client.Do, so that the attempt's own
// timeout does not run while it waits. An attempt given up here was never
// sent (notSentError).
func (c *call) beforeAttempt() error {
	c.attempt++
	if p := c.t.pacer; p != nil {
		if err := p.wait(c); err != nil {
			return notSentError{err}
		}
	}
	if c.t.logger != nil {
		c.started = time.Now()
	}
	return nil
}

// afterAttempt is go-retryablehttp's CheckRetry, run once after every
// attempt: it reads the answer (read), applies the retry table (decide),
// counts the retry against its budget (allowRetry) and leaves in the call how
// long to wait before it. The error it returns, with no retry, is a 2xx
// answer cut off mid-read, or the context's when it ended where a retry would
// have followed; finish makes the call's error of it.
func afterAttempt(ctx context.Context, resp *http.Response, err error) (bool, error) {
	c := callOf(ctx)
	if c == nil {
		return false, ctx.Err()
	}
	cutOff, incomplete := false, false // a 2xx body, or another answer's, not read whole
	if err == nil {
		if readErr := c.read(resp); readErr != nil && isSuccess(resp.StatusCode) {
			err, cutOff = readErr, true
		} else {
			incomplete = readErr != nil
		}
	}
	if c.outcomeUnknown(resp, err, cutOff) {
		c.mayHaveActed = true
	}
	c.logAttempt(resp, err)
	retry, reason := c.decide(resp, err, cutOff)
	switch {
	case ctx.Err() != nil && cutOff:
		retry, reason = false, "the context ended while the answer was read"
	case ctx.Err() != nil && (retry || incomplete):
		// The caller gets this answer's error with the context's in the
		// chain (finish): both say something true.
		return false, ctx.Err()
	case retry:
		retry, reason = c.allowRetry(resp, reason)
	}
	c.logDecision(retry, reason)
	if !retry && cutOff {
		return false, err
	}
	return retry, nil
}

// noBackoff is go-retryablehttp's Backoff. Every wait before a retry is
// beforeRetry's, where the call is in reach even when the attempt brought no
// answer: the wait can then be reported, and counted against read patience.
func noBackoff(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 }

// beforeRetry is go-retryablehttp's PrepareRetry: it waits as long as
// allowRetry decided (and reported), then paces the retry like a first
// attempt. An error
// (the context ended) ends the loop; finish reports it with the last answer.
func beforeRetry(req *http.Request) error {
	c := callOf(req.Context())
	if c == nil {
		return nil
	}
	began := time.Now()
	err := sleep(c, c.nextWait)
	if err == nil {
		err = c.beforeAttempt()
	}
	c.waited += time.Since(began) // the backoff and the turn in the pace
	return err
}

// keepLastAnswer is go-retryablehttp's ErrorHandler, run when the loop ends
// without success: it hands back the last answer and the error as they are,
// so that finish can give the caller the answer's *Error (the server's
// status, messages and Retry-After) rather than a bare "giving up".
func keepLastAnswer(resp *http.Response, err error, _ int) (*http.Response, error) {
	return resp, err
}

// read reads an attempt's answer through its size cap and closes it: a 2xx
// body into a pooled buffer (c.body), any other into its *Error (c.answer,
// from as much of the body as came). It fails for a body that could not be
// read whole: a 2xx answer's is then retried like a connection error where
// that is safe. A call that expects no value reads at most
// maxErrorBodyBytes of a 2xx body.
func (c *call) read(resp *http.Response) error {
	c.releaseBody()
	defer resp.Body.Close()
	if !isSuccess(resp.StatusCode) {
		body, err := readBody(resp.Body, resp.ContentLength, maxErrorBodyBytes, true)
		c.answer = c.newError(resp, body)
		return err
	}
	c.answer = nil
	limit, truncateOK := c.t.maxBody, false
	if !c.wantsValue {
		if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
			return nil
		}
		limit, truncateOK = maxErrorBodyBytes, true
	}
	pooled := readBufs.Get().(*[]byte)
	body, err := readBodyInto(*pooled, resp.Body, resp.ContentLength, limit, truncateOK)
	if err != nil {
		readBufs.Put(pooled)
		if errors.Is(err, errBodyTooLarge) {
			return err
		}
		return fmt.Errorf("reading the answer: %w", err)
	}
	*pooled = body
	c.body = pooled
	return nil
}

// finish turns what the loop ended with into the call's error, and decodes
// a 2xx answer (read by read) into out.
func (c *call) finish(resp *http.Response, err error, out any) error {
	if resp != nil {
		_ = resp.Body.Close() // read already
	}
	switch {
	case err == nil && isSuccess(resp.StatusCode):
		if out == nil {
			return c.markOutcomeUnknown(c.checkNoContent(resp))
		}
		return c.markOutcomeUnknown(c.decode(resp, out))
	case err == nil && c.answer != nil: // a final answer, or the last before retries ran out
		return c.markOutcomeUnknown(c.answerError())
	case c.answer != nil && c.Context.Err() != nil:
		// The context ended after a retryable answer: as it arrived, while
		// its retry waited, or during the retry. Both errors are true. The
		// answer is marked first, so that its text says what its Is says.
		return fmt.Errorf("%w (then the context ended: %w)", c.markOutcomeUnknown(c.answer), c.Context.Err())
	}
	return c.markOutcomeUnknown(c.transportError(err))
}

// answerError is the final non-2xx answer's error, except a 404 to a delete
// whose earlier attempt may already have removed the token: that is done.
func (c *call) answerError() error {
	if c.flags&callDelete != 0 && c.answer.StatusCode == http.StatusNotFound && c.mayHaveActed {
		c.logDeleteDone()
		return nil
	}
	return c.answer
}

// transportError wraps a failure that produced no HTTP answer. The URL in
// net/http's own error is dropped (it carries the query); the cause stays in
// the chain, with the context's error when the context ended.
func (c *call) transportError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	if ctxErr := c.Context.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("accesstokens: %s %s: %w (%w)", c.method, c.path, ctxErr, err)
	}
	return fmt.Errorf("accesstokens: %s %s: %w", c.method, c.path, err)
}

// markOutcomeUnknown marks err as ErrOutcomeUnknown when the call is a write
// that an attempt may have carried out: sent, with its answer lost (a reset,
// a timeout, a 502 or 504, a proxy's 503 to a create, a 2xx that could not
// be read).
func (c *call) markOutcomeUnknown(err error) error {
	if err == nil || !c.mayHaveActed || c.method == http.MethodGet {
		return err
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		apiErr.outcomeUnknown = true
		return err
	}
	var decodeErr *decodeError
	if errors.As(err, &decodeErr) {
		return err // a write's decodeError says so itself
	}
	return &outcomeUnknownError{err: err}
}

// releaseBody gives the 2xx body's buffer back to the pool, unless it grew
// too large to keep.
func (c *call) releaseBody() {
	if c.body == nil {
		return
	}
	if cap(*c.body) <= maxPooledReadBuf {
		*c.body = (*c.body)[:0]
		readBufs.Put(c.body)
	}
	c.body = nil
}

// bodyBytes is the 2xx body read read, nil for none.
func (c *call) bodyBytes() []byte {
	if c.body == nil {
		return nil
	}
	return *c.body
}

func isSuccess(status int) bool { return status >= 200 && status <= 299 }
