package accesstokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Answer reading: how an HTTP answer becomes a value or an error. Bodies are
// read through size caps, 2xx answers are decoded strictly, and nothing of a
// create's answer (it holds the new secret) is ever quoted in an error.

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

// redirectHint explains a 3xx answer: the redirect guard (client.go) returns
// one when following it could make a write look done when it is not.
const redirectHint = "redirect not followed: a write is sent only to the configured host, with its own method"

func isSuccess(status int) bool { return status >= 200 && status <= 299 }

// readBufs recycles the buffers that 2xx answers are read into. Nothing
// decoded points into them (json.Unmarshal copies every string and byte
// slice out, and error texts are copied too), so a buffer is free again as
// soon as decode returns.
var readBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledReadBuf keeps rare huge answers from staying in the pool; a page
// of 1000 tokens is well below it.
const maxPooledReadBuf = 1 << 20

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

// decode decodes the 2xx answer into out.
func (st *callState) decode(resp *http.Response, out any) error {
	body := st.bodyBytes()
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
		return fail("JSON answer", fmt.Errorf("content type %q%s", truncate(blankEchoText(ct, st.t.echoes), 60), st.successExcerpt(body, st.t.echoes)))
	}
	if err := unmarshalAnswer(body, out); err != nil {
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
	return ": " + blankEchoText(bodyExcerpt(blankEchoes(body, echoes)), echoes)
}

// minEchoLen is the shortest credential blanked wherever it appears; a
// shorter one (a demo password such as "alice") is blanked only where it
// stands as a whole word, so that it cannot mangle ordinary words.
const minEchoLen = 8

// blankEchoes replaces the client's credentials (echoes, which may be nil)
// wherever body repeats them, in the escapings a server or proxy is likely
// to use. A JSON body is re-encoded first, so that \uXXXX escapes cannot hide
// an echo. Text decoded from the result goes through blankEchoText again.
func blankEchoes(body []byte, echoes *[]string) []byte {
	if echoes == nil || len(*echoes) == 0 || len(body) == 0 {
		return body
	}
	return []byte(blankEchoText(string(canonicalJSON(body)), echoes))
}

// blankEchoText replaces the client's credentials wherever s repeats them.
func blankEchoText(s string, echoes *[]string) string {
	if echoes == nil {
		return s
	}
	for _, credential := range *echoes {
		for _, form := range echoForms(credential) {
			s = replaceEcho(s, form, len(credential) < minEchoLen)
		}
	}
	return s
}

// echoForms is a credential as it may come back: as is, escaped as in a JSON
// string (with and without HTML escaping), as HTML text, and URL-encoded.
func echoForms(credential string) []string {
	forms := []string{credential}
	add := func(form string) {
		if form != "" && !slices.Contains(forms, form) {
			forms = append(forms, form)
		}
	}
	if quoted, err := json.Marshal(credential); err == nil {
		add(string(quoted[1 : len(quoted)-1])) // "<" as \u003c, "&" as \u0026
	}
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	if enc.Encode(credential) == nil {
		q := bytes.TrimSpace(plain.Bytes())
		add(string(q[1 : len(q)-1])) // only " and \ escaped
	}
	add(html.EscapeString(credential))
	add(url.QueryEscape(credential))
	add(url.PathEscape(credential))
	return forms
}

// replaceEcho replaces every echo in s with the redaction marker; with
// wholeWord, only those not inside a longer word.
func replaceEcho(s, echo string, wholeWord bool) string {
	if !strings.Contains(s, echo) {
		return s
	}
	if !wholeWord {
		return strings.ReplaceAll(s, echo, redacted)
	}
	var b strings.Builder
	last := 0
	for from := 0; from < len(s); {
		i := strings.Index(s[from:], echo)
		if i < 0 {
			break
		}
		i += from
		end := i + len(echo)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (i == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			b.WriteString(s[last:i])
			b.WriteString(redacted)
			last, from = end, end
			continue
		}
		from = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// canonicalJSON re-encodes a JSON body with Go's plain escaping (\uXXXX
// decoded, HTML characters as is); anything else is returned unchanged.
func canonicalJSON(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || (trimmed[0] != '{' && trimmed[0] != '[' && trimmed[0] != '"') {
		return body
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return body
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return body
	}
	return bytes.TrimSpace(out.Bytes())
}

// checkNoContent accepts the answer of a call that expects no data: a 204, an
// empty body, or JSON (SetExpiryPolicy's 200 may carry the policy). Anything
// else, such as an HTML login page answered with 200, is not a success.
func (st *callState) checkNoContent(resp *http.Response) error {
	body := st.bodyBytes()
	if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || ((ct == "" || isJSONContentType(ct)) && json.Valid(trimmed)) {
		return nil
	}
	return &decodeError{what: "answer", method: st.method, path: st.path,
		err: fmt.Errorf("expected no content or JSON, got content type %q%s", truncate(blankEchoText(ct, st.t.echoes), 60), st.successExcerpt(body, st.t.echoes))}
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

// decodeError reports a 2xx answer that is not what the endpoint returns.
type decodeError struct {
	what, method, path string
	err                error
}

func (e *decodeError) Error() string {
	msg := fmt.Sprintf("accesstokens: %s %s: the answer is not a valid %s: %v", e.method, e.path, e.what, e.err)
	if e.Is(ErrOutcomeUnknown) {
		msg += " (" + outcomeUnknownText + ")"
	}
	return msg
}

func (e *decodeError) Unwrap() error { return e.err }

// Is makes a write's decodeError match ErrOutcomeUnknown: the server answered
// 2xx, so it acted, but the answer (a new token's secret, say) is lost.
func (e *decodeError) Is(target error) bool {
	return target == ErrOutcomeUnknown && e.method != "" && e.method != http.MethodGet
}

// jsonTime decodes Bitbucket's epoch-millisecond dates and, in case a server
// follows the published spec, ISO-8601 strings. Absent or null stays zero.
// A date outside the years 1970 to 9999 is an error: no token has one, and
// a number such as 1e30 would otherwise become a date nobody can use.
type jsonTime struct{ t time.Time }

// Epoch milliseconds of the first and the last instant a date may have.
const (
	minDateMillis = 0               // 1970-01-01T00:00:00Z
	maxDateMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
)

func (j *jsonTime) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
			return j.setMillis(float64(ms), b)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return dateError(nil, "a string that is neither epoch milliseconds nor ISO-8601")
		}
		if t.Year() < 1970 || t.Year() > 9999 {
			return dateError(b, "outside the years 1970 to 9999")
		}
		j.t = t.UTC()
		return nil
	}
	if ms, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return j.setMillis(float64(ms), b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return dateError(nil, "not epoch milliseconds")
	}
	return j.setMillis(f, b)
}

// setMillis sets the date from epoch milliseconds, checked against the range
// before any conversion can overflow.
func (j *jsonTime) setMillis(ms float64, raw []byte) error {
	if !(ms >= minDateMillis && ms <= maxDateMillis) { // also false for NaN
		return dateError(raw, "outside the years 1970 to 9999")
	}
	j.t = time.UnixMilli(int64(ms)).UTC()
	return nil
}

// dateError is a json.UnmarshalTypeError, which encoding/json completes with
// the name of the field being decoded: the error then says which date is bad.
// It quotes raw, the value, only when that is a number or a date: any other
// text may be something the server echoed (a credential in a header, say).
func dateError(raw []byte, why string) error {
	value := "date (" + why + ")"
	if raw != nil {
		value = "date " + truncate(string(raw), 40) + " (" + why + ")"
	}
	return &json.UnmarshalTypeError{Value: value, Type: reflect.TypeFor[time.Time]()}
}

func (j jsonTime) ptr() *time.Time {
	if j.t.IsZero() {
		return nil
	}
	t := j.t
	return &t
}
