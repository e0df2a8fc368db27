package accesstokens

// The redirect guard: which redirects net/http may follow for the SDK, and
// which come back to the caller as the answer instead.

import (
	"errors"
	"net/http"
)

// guardRedirects returns the CheckRedirect of the SDK's *http.Client, which
// wraps the caller's own (userCheck, nil for none). It drops the
// Authorization header whenever a redirect leaves the original scheme and
// host, and never lets a redirect turn a write into a read: net/http follows
// a 301, 302 or 303 for a DELETE or POST with a GET, whose 200 would then
// pass for the write's success. Nor does a write follow a 307 or 308 to
// another scheme or host: sent there without credentials, its 2xx would say
// nothing about the write. Such a redirect is returned as the answer (an
// *Error, with redirectHint) instead.
func guardRedirects(userCheck func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if req.Method != via[0].Method {
			return http.ErrUseLastResponse
		}
		first := via[0].URL
		if req.URL.Host != first.Host || req.URL.Scheme != first.Scheme {
			if req.Method != http.MethodGet {
				return http.ErrUseLastResponse
			}
			req.Header.Del("Authorization")
		}
		if userCheck != nil {
			return userCheck(req, via)
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		return nil
	}
}

// errTooManyRedirects ends a redirect chain; retrying would not help.
var errTooManyRedirects = errors.New("stopped after 10 redirects")

// redirectHint explains a 3xx answer to a write: the redirect guard returns
// one when following it could make a write look done when it is not.
const redirectHint = "redirect not followed: a write is sent only to the configured host, with its own method"
