package accesstokens

// The request path: one logical call, from the service method's request to
// the value or error it returns.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/hashicorp/go-retryablehttp"
)

// callFlags say how a request may be retried and what answer it expects.
type callFlags uint8

const (
	// callCreate marks a non-idempotent create: retried only when the server cannot have acted.
	callCreate callFlags = 1 << iota
	// callDelete marks a delete: a 404 after an attempt that may have succeeded is success.
	callDelete
	// callEmptyOK accepts an empty 2xx body as a zero answer.
	callEmptyOK
	// callNoValue marks a call that decodes no answer (set by call).
	callNoValue
)

// callIdempotent is a request that is safe to repeat.
const callIdempotent callFlags = 0

// call sends one logical request to the token API; see callAPI.
func (c *Client) call(ctx context.Context, method string, segs []string, rawQuery string, body []byte, flags callFlags, out any) (int, error) {
	return c.callAPI(ctx, tokensAPI, method, segs, rawQuery, body, flags, out)
}

// callAPI sends one logical request (with its retries) to segs below api and
// decodes a 2xx JSON answer into out, when out is not nil. It returns the
// final status code.
func (c *Client) callAPI(ctx context.Context, api restAPI, method string, segs []string, rawQuery string, body []byte, flags callFlags, out any) (int, error) {
	if ctx == nil {
		return 0, invalidArg("ctx", "must not be nil")
	}
	t := c.t
	if out == nil {
		flags |= callNoValue
	}
	plain, raw := t.paths(api, segs)
	st := t.newCallState(ctx, method, raw, flags)
	req, err := t.newRequest(st, method, plain, raw, rawQuery, body, flags)
	if err != nil {
		return 0, err
	}
	resp, err := t.retry.Do(req)
	return st.result(resp, err, out)
}

// newRequest builds the request by hand from pre-split parts, so no URL is
// parsed on the hot path.
func (t *transport) newRequest(ctx context.Context, method, plain, raw, rawQuery string, body []byte, flags callFlags) (*retryablehttp.Request, error) {
	hreq, err := http.NewRequestWithContext(ctx, method, "", nil)
	if err != nil {
		return nil, err
	}
	// Fill in the empty URL that parsing "" gave rather than allocate another.
	u := hreq.URL
	u.Scheme, u.Host, u.Path, u.RawQuery = t.scheme, t.host, plain, rawQuery
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
	req.SetResponseHandler(readAnswer)
	if body != nil {
		h.Set("Content-Type", "application/json")
		if err := req.SetBody(body); err != nil {
			return nil, err
		}
		if flags&callCreate != 0 {
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

// result turns what the request loop ended with into the call's status and
// error, and decodes a 2xx answer (read by readAnswer) into out.
func (st *callState) result(resp *http.Response, err error, out any) (int, error) {
	defer st.releaseBody()
	status := 0
	if resp != nil {
		status = resp.StatusCode
		_ = resp.Body.Close() // read already, by readAnswer or keepAnswer
	}
	switch {
	case err == nil && isSuccess(status):
		if out == nil {
			return status, st.markLost(st.checkNoContent(resp))
		}
		return status, st.markLost(st.decode(resp, out))
	case err == nil && st.answer != nil: // a final answer, or the last before retries ran out
		return status, st.markLost(st.answerError())
	case st.answer != nil && st.Context.Err() != nil:
		// The context ended after a retryable answer: as it arrived, while
		// its retry waited, or during the retry. Both errors are true. The
		// answer is marked first, so that its text says what its Is says.
		return status, fmt.Errorf("%w (then the context ended: %w)", st.markLost(st.answer), st.Context.Err())
	}
	return status, st.markLost(st.transportError(err))
}

// markLost marks err as ErrOutcomeUnknown when the call is a write that an
// attempt may have carried out: sent, with its answer lost (a reset, a
// timeout, a 502 or 504, a 2xx that could not be read).
func (st *callState) markLost(err error) error {
	if err == nil || !st.mayHaveActed || st.method == http.MethodGet {
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

// keepAnswer reads a non-2xx answer's body (capped) and keeps its *Error in
// st.answer, so that it outlives the attempt; a 2xx answer clears it. The
// body is closed: nothing else reads it.
func (st *callState) keepAnswer(resp *http.Response) {
	if isSuccess(resp.StatusCode) {
		st.answer = nil
		return
	}
	body, _ := readBody(resp.Body, resp.ContentLength, maxErrorBodyBytes, true)
	_ = resp.Body.Close()
	st.answer = newError(st.method, st.path, resp.StatusCode, resp.Header, body, st.t.echoes)
	if resp.StatusCode >= 300 && resp.StatusCode <= 399 && st.method != http.MethodGet {
		st.answer.hint = redirectHint
	}
}

// answerError is the final non-2xx answer's error, except a 404 to a delete
// whose earlier attempt may already have removed the token: that is done.
func (st *callState) answerError() error {
	if st.flags&callDelete != 0 && st.answer.StatusCode == http.StatusNotFound && st.mayHaveActed {
		if st.logger != nil {
			st.logger.LogAttrs(st.Context, slog.LevelDebug, "accesstokens: delete treated as done",
				slog.String("method", st.method), slog.String("path", st.path),
				slog.String("reason", "404 after an earlier attempt that may have deleted the token"))
		}
		return nil
	}
	return st.answer
}

func isSuccess(status int) bool { return status >= 200 && status <= 299 }

// readAnswer reads a final 2xx answer's body through the size cap into
// st.body. It is go-retryablehttp's response handler, so it runs inside the
// request loop: a body cut off mid-read goes to checkRetry (checkBodyRead)
// like a connection error, and may be retried under the same policy and
// context. A call that expects no value reads at most maxErrorBodyBytes.
func readAnswer(resp *http.Response) error {
	st := stateOf(resp.Request.Context())
	if st == nil {
		return nil
	}
	st.bodyRead = true
	if !isSuccess(resp.StatusCode) {
		return nil // read by keepAnswer
	}
	limit, truncateOK := st.t.maxBody, false
	if st.flags&callNoValue != 0 {
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
	st.body = pooled
	return nil
}

// releaseBody gives the 2xx body's buffer back to the pool, unless it grew
// too large to keep.
func (st *callState) releaseBody() {
	if st.body == nil {
		return
	}
	if cap(*st.body) <= maxPooledReadBuf {
		*st.body = (*st.body)[:0]
		readBufs.Put(st.body)
	}
	st.body = nil
}

// bodyBytes is the 2xx body readAnswer read, nil for none.
func (st *callState) bodyBytes() []byte {
	if st.body == nil {
		return nil
	}
	return *st.body
}
