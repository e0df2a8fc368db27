package accesstokens

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
)

// Decoding a 2xx answer: strictly, JSON of the expected shape or an error
// that says what came instead (quoting nothing of a create's answer).

// decode decodes the 2xx answer into out.
func (c *call) decode(resp *http.Response, out any) error {
	body := c.bodyBytes()
	fail := func(what string, err error) error {
		return &decodeError{what: what, method: c.method, path: c.path, err: err}
	}
	if resp.StatusCode == http.StatusNoContent || len(bytes.TrimSpace(body)) == 0 {
		if c.flags&callEmptyOK != 0 {
			return nil
		}
		return fail("JSON answer", errors.New("the body is empty"))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" && !isJSONContentType(ct) {
		return fail("JSON answer", fmt.Errorf("content type %q%s", truncate(blankCredentialText(ct, c.t.credentials), 60), c.successExcerpt(body, c.t.credentials)))
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
func (c *call) successExcerpt(body []byte, creds *[]string) string {
	trimmed := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if c.flags&callCreate != 0 || len(trimmed) == 0 || trimmed[0] != '<' {
		return fmt.Sprintf(" (%d bytes not shown)", len(body))
	}
	return ": " + blankCredentialText(bodyExcerpt(blankCredentials(body, creds)), creds)
}

// checkNoContent accepts the answer of a call that expects no data: a 204, an
// empty body, or JSON (SetExpiryPolicy's 200 may carry the policy). Anything
// else, such as an HTML login page answered with 200, is not a success.
func (c *call) checkNoContent(resp *http.Response) error {
	body := c.bodyBytes()
	if resp.StatusCode == http.StatusNoContent || resp.ContentLength == 0 {
		return nil
	}
	ct := resp.Header.Get("Content-Type")
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || ((ct == "" || isJSONContentType(ct)) && json.Valid(trimmed)) {
		return nil
	}
	return &decodeError{what: "answer", method: c.method, path: c.path,
		err: fmt.Errorf("expected no content or JSON, got content type %q%s", truncate(blankCredentialText(ct, c.t.credentials), 60), c.successExcerpt(body, c.t.credentials))}
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
