package accesstokenstest

import (
	"net/http"
	"net/http/httptest"
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

// NewServer starts a plain-HTTP Server on loopback, seeded with the demo world unless
// [WithEmptyWorld] is given. Stop it with Close.
func NewServer(opts ...Option) *Server {
	f := NewFake(opts...)
	return newServer(f, httptest.NewServer(f))
}

// NewTLSServer is NewServer over HTTPS with a self-signed certificate; [Server.Client] trusts it.
func NewTLSServer(opts ...Option) *Server {
	f := NewFake(opts...)
	return newServer(f, httptest.NewTLSServer(f))
}

func newServer(f *Fake, hs *httptest.Server) *Server {
	return &Server{Fake: f, URL: hs.URL + f.cfg.contextPath, hs: hs}
}

// Client returns an HTTP client for the server (for NewTLSServer, one that trusts its certificate).
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close releases requests held by injected delays, then shuts the server down and waits for
// outstanding requests.
func (s *Server) Close() {
	s.Fake.close()
	s.hs.Close()
}
