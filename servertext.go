package accesstokens

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// How a non-2xx answer becomes an *Error: Bitbucket's error envelope, or a
// short line cut from any other body, with the client's credentials blanked
// and hidden characters removed, so that an error string is safe to print.

// newError builds the *Error for a non-2xx response from an already capped
// body. The client's credentials (creds, which may be nil) are blanked out of
// the body and again out of the text decoded from it, in case a proxy echoes
// request headers.
func newError(method, path string, status int, header http.Header, body []byte, creds *[]string) *Error {
	e := &Error{StatusCode: status, Method: method, Path: path}
	e.RetryAfter, _ = parseRetryAfter(header.Get("Retry-After"), time.Now())
	body = blankCredentials(body, creds)
	var envelope struct {
		Errors []ErrorMessage `json:"errors"`
	}
	if json.Unmarshal(body, &envelope) == nil && len(envelope.Errors) > 0 {
		for i := range envelope.Errors {
			m := &envelope.Errors[i]
			m.Context = blankCredentialText(m.Context, creds)
			m.Message = blankCredentialText(m.Message, creds)
			m.ExceptionName = blankCredentialText(m.ExceptionName, creds)
		}
		e.Messages = envelope.Errors
		return e
	}
	e.text = blankCredentialText(bodyExcerpt(body), creds)
	return e
}

// bodyExcerpt turns a non-JSON body (often an HTML page from a proxy) into a
// short single line: tags dropped, white space folded.
func bodyExcerpt(body []byte) string {
	if len(body) > 4*maxServerTextInError {
		body = body[:4*maxServerTextInError]
	}
	var b strings.Builder
	inTag, space := false, false
	for _, r := range string(body) {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			space = true
		case inTag:
		case r == ' ' || textsafe.Hidden(r): // invalid UTF-8 too
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return truncate(b.String(), maxServerTextInError)
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// newError is the *Error of an attempt's answer that is not 2xx (its body
// read already, capped), with the client's own explanation where the status
// alone misleads.
func (c *call) newError(resp *http.Response, body []byte) *Error {
	e := newError(c.method, c.path, resp.StatusCode, resp.Header, body, c.t.credentials)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399 && c.method != http.MethodGet:
		e.hint = redirectHint
	case c.flags&callRefusesTokens != 0 && resp.StatusCode == http.StatusUnauthorized && e.Is(ErrNotPermitted):
		e.hint = tokenRefusedHint
	}
	return e
}

// tokenRefusedHint explains a 401 "not permitted" to a client that
// authenticates with an access token, where Bitbucket refuses them.
const tokenRefusedHint = "Bitbucket does not accept access tokens for token management, admin endpoints or the user directory; " +
	"authenticate with the username and password of an admin (Basic auth) instead"
