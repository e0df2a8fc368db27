package accesstokens

// The base URL: what NewClient accepts, and the paths of the REST APIs below
// it that every request is built from.

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

func parseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url.Parse quotes the whole input, password included: keep only the cause.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, invalidArg("baseURL", "not a URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalidArg("baseURL", "must be an absolute http or https URL, got %q", u.Redacted())
	case u.Host == "" || u.Hostname() == "":
		return nil, invalidArg("baseURL", "has no host")
	case u.User != nil:
		return nil, invalidArg("baseURL", "must not carry credentials; use WithBasicAuth or WithToken")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, invalidArg("baseURL", "must not have a query or fragment")
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// restAPI says which of Bitbucket's REST APIs a request goes to.
type restAPI uint8

const (
	tokensAPI restAPI = iota // /rest/access-tokens/<version>: the token services and Admin
	coreAPI                  // /rest/api/<version>: Directory
)

// apiRoot is the path of one REST API below the base URL.
type apiRoot struct {
	plain string // unescaped: context path + /rest/<api>/<version>
	raw   string // the same, escaped as on the wire
}

func newAPIRoot(base *url.URL, rest string) apiRoot {
	return apiRoot{
		plain: strings.TrimRight(base.Path, "/") + rest,
		raw:   strings.TrimRight(base.EscapedPath(), "/") + rest,
	}
}

// requestPath is the escaped request path for segs below api, as errors
// and logs show it.
func (c *Client) requestPath(api restAPI, segs []string) string {
	_, raw := c.t.paths(api, segs)
	return raw
}

// paths builds the unescaped and the escaped path for segs below the API
// root. Every segment is escaped, so "/", "?" and "%" in a slug stay in it.
// When nothing needs escaping, both are the same string, built once.
func (t *transport) paths(api restAPI, segs []string) (plain, raw string) {
	root := &t.roots[api]
	n, escapes := len(root.raw), root.plain != root.raw
	for _, s := range segs {
		n += 1 + len(s)
		escapes = escapes || url.PathEscape(s) != s
	}
	if !escapes {
		var b strings.Builder
		b.Grow(n)
		b.WriteString(root.plain)
		for _, s := range segs {
			b.WriteByte('/')
			b.WriteString(s)
		}
		return b.String(), b.String()
	}
	n += 2 * (n - len(root.raw)) // room for every segment byte to become %XX
	var p, r strings.Builder
	p.Grow(n)
	r.Grow(n)
	p.WriteString(root.plain)
	r.WriteString(root.raw)
	for _, s := range segs {
		p.WriteByte('/')
		p.WriteString(s)
		r.WriteByte('/')
		r.WriteString(url.PathEscape(s))
	}
	return p.String(), r.String()
}
