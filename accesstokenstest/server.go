// Server: the Fake on a loopback listener, and Go's own error answers in Bitbucket's envelope.

package accesstokenstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Server is a Fake listening on loopback. Its Fake methods (AddUser, InjectFault, Requests, ...)
// are promoted, so a test needs only the Server.
type Server struct {
	*Fake
	// URL is the base URL, like http://127.0.0.1:PORT, plus the context path when one was set
	// with [WithContextPath], with no trailing slash. Clients append [APIPath] or [APIPath10].
	URL string

	hs *httptest.Server
}

// Timeouts of the servers [NewServer], [NewTLSServer] and cmd/accesstokens-fake start, so that
// slow or idle connections cannot pin them. ReadTimeout covers the headers and the body; once
// the body is read, a handler held by an injected Delay is not cut short by it.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
)

// NewServer starts a plain-HTTP Server on loopback, seeded with the demo world unless
// [WithEmptyWorld] or [WithWorld] says otherwise. Stop it with Close. Requests Go's HTTP server
// cannot read (a bad %-escape in the path, headers over 1 MiB) get Bitbucket's error envelope
// too (see [EnvelopeListener]).
func NewServer(opts ...Option) *Server {
	f := NewFake(opts...)
	hs := newHTTPTestServer(f)
	hs.Listener = EnvelopeListener(hs.Listener)
	hs.Start()
	return newServer(f, hs)
}

// NewTLSServer is NewServer over HTTPS with a self-signed certificate; [Server.Client] trusts it.
// Requests Go's HTTP server cannot read are answered by Go itself, in plain text.
func NewTLSServer(opts ...Option) *Server {
	f := NewFake(opts...)
	hs := newHTTPTestServer(f)
	hs.StartTLS()
	return newServer(f, hs)
}

func newHTTPTestServer(f *Fake) *httptest.Server {
	hs := httptest.NewUnstartedServer(f)
	hs.Config.ReadHeaderTimeout = DefaultReadHeaderTimeout
	hs.Config.ReadTimeout = DefaultReadTimeout
	hs.Config.IdleTimeout = DefaultIdleTimeout
	return hs
}

func newServer(f *Fake, hs *httptest.Server) *Server {
	return &Server{Fake: f, URL: hs.URL + f.cfg.contextPath, hs: hs}
}

// Client returns an HTTP client for the server (for NewTLSServer, one that trusts its certificate).
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close releases requests held by injected delays, then shuts the server down and waits for
// outstanding requests.
func (s *Server) Close() {
	s.Fake.Close()
	s.hs.Close()
}

// EnvelopeListener wraps a plain-TCP listener whose connections an [http.Server] serves, so that
// the answers Go's server writes by itself, before any handler runs, to requests it cannot read
// (400 for a malformed request line or a bad %-escape in the path, 431 for headers over
// MaxHeaderBytes, 501 for an unknown transfer encoding) carry Bitbucket's JSON error envelope
// instead of Go's plain text, in 8.x's shape (a null context and exception name, whatever
// [WithServerVersion] says: the listener knows no Fake). Everything else passes untouched. Over
// TLS it has no effect.
func EnvelopeListener(ln net.Listener) net.Listener { return envelopeListener{ln} }

type envelopeListener struct{ net.Listener }

func (l envelopeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return envelopeConn{c}, nil
}

type envelopeConn struct{ net.Conn }

// CloseWrite half-closes the connection when the wrapped one can, as net/http does before it
// closes a connection whose client may still be sending.
func (c envelopeConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// goErrorHeaders follows the status line of every answer net/http's server writes by itself.
const goErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

func (c envelopeConn) Write(p []byte) (int, error) {
	if answer, ok := envelopeFor(p); ok {
		if _, err := c.Conn.Write(answer); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// envelopeFor rewrites one of net/http's own plain-text answers ("HTTP/1.1 400 Bad Request" +
// goErrorHeaders + text, in one write) into the same status with a JSON envelope.
func envelopeFor(p []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(p, []byte("HTTP/1.1 "))
	if !ok {
		return nil, false
	}
	statusLine, text, ok := bytes.Cut(rest, []byte(goErrorHeaders))
	if !ok || bytes.ContainsAny(text, "\r\n") || bytes.ContainsAny(statusLine, "\r\n") || len(statusLine) < 4 {
		return nil, false
	}
	code, err := strconv.Atoi(string(statusLine[:3]))
	if err != nil || statusLine[3] != ' ' || http.StatusText(code) == "" {
		return nil, false
	}
	detail := strings.TrimPrefix(string(text), string(statusLine[:4]))
	body, _ := json.Marshal((&apiError{status: code, message: "The request could not be read: " + detail + "."}).body(wireContext{}))
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), jsonContentType, len(body), body), true
}
