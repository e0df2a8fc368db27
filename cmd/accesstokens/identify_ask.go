// identify --ask-server: one request to the same server with the leaked
// secret as its credential, to read whom the server takes it for.

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/bbdc-tools/accesstokens"
)

// tokenUser is whom the server took the leaked secret for, as it says on
// every answer to an authenticated request.
type tokenUser struct {
	Name string // X-AUSERNAME: a person's user name, or a token bot's ("access-token-user/2/1405")
	ID   int    // X-AUSERID; 0 when absent
}

var (
	// errSecretRefused: the server answered 401 to the secret.
	errSecretRefused = errors.New("the server refused the secret: it is no longer valid (revoked, or expired)")
	// errNoUserHeader: the server answered without naming the user.
	errNoUserHeader = errors.New("the server's answer did not name the user (no X-AUSERNAME header; a proxy may remove it)")
)

// askServer sends GET application-properties (which every credential may
// read) to baseURL, the server the run talks to, with the secret as a
// Bearer credential, and returns the user the answer names. It follows no
// redirect (a 3xx is the answer, an error), whatever host it points to;
// the secret goes to no other host, and appears in no log line or error
// (the SDK redacts it). It has its own client: a 401 here is the secret's,
// never the admin's failed login.
func (f *Factory) askServer(ctx context.Context, baseURL string, secret accesstokens.Secret) (tokenUser, error) {
	seen := &userHeaders{next: f.askTransport()}
	opts := []accesstokens.Option{
		accesstokens.WithUserAgent(userAgent),
		accesstokens.WithAttemptTimeout(f.conn.timeout),
		accesstokens.WithHTTPClient(&http.Client{Transport: seen, CheckRedirect: refuseRedirects}),
		accesstokens.WithToken(secret.Reveal()),
	}
	if f.conn.verbose {
		opts = append(opts, accesstokens.WithLogger(slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	if f.trust.insecure {
		opts = append(opts, accesstokens.WithInsecureHTTP())
	}
	client, err := accesstokens.NewClient(baseURL, opts...)
	if err != nil {
		return tokenUser{}, fmt.Errorf("the secret cannot be sent as a credential: %s", trimPrefix(err))
	}
	_, err = client.Directory.ServerInfo(ctx)
	who := seen.user()
	switch {
	case errors.Is(err, accesstokens.ErrUnauthorized), errors.Is(err, accesstokens.ErrAuthentication):
		// application-properties needs no right: a 401 refuses the credential itself.
		return tokenUser{}, errSecretRefused
	case who.Name != "":
		return who, nil // named, whatever the body said
	case err != nil:
		return tokenUser{}, err
	}
	return tokenUser{}, errNoUserHeader
}

// askTransport is a transport of its own for askServer, trusting what the
// run's client trusts (--ca-cert).
func (f *Factory) askTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if pool := askCAPool(f.trust.caFile); pool != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return t
}

// refuseRedirects makes a redirect the answer: the secret is sent once, to
// the server asked, and nowhere else.
func refuseRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// userHeaders keeps the user the last answer named.
type userHeaders struct {
	next http.RoundTripper
	mu   sync.Mutex
	last tokenUser
}

func (u *userHeaders) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := u.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	id, _ := strconv.Atoi(resp.Header.Get("X-AUSERID"))
	u.mu.Lock()
	u.last = tokenUser{Name: resp.Header.Get("X-AUSERNAME"), ID: id}
	u.mu.Unlock()
	return resp, nil
}

func (u *userHeaders) user() tokenUser {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}
