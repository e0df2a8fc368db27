package accesstokens

// The Client: what NewClient builds from its options, and the services it
// hands out, which all share one transport.

import (
	"log/slog"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is this SDK's version; the User-Agent carries it.
const Version = "0.3.0-dev"

// defaultUserAgent identifies the SDK to the server.
const defaultUserAgent = "accesstokens-go/" + Version

// MaxResponseBytes caps how much of a successful answer is read (32 MiB; a
// page of 1000 tokens is well under 1 MiB). A larger body is an error, so a
// hostile or broken server cannot exhaust the client's memory. Error answers
// are capped at 1 MiB.
const MaxResponseBytes = 32 << 20

// Client talks to one Bitbucket Data Center server. It is safe for concurrent
// use by many goroutines; build one and share it.
type Client struct {
	UserTokens    UserTokensService    // personal tokens
	ProjectTokens ProjectTokensService // project tokens
	RepoTokens    RepoTokensService    // repository tokens
	Admin         AdminService         // the server-wide expiry policy
	Tokens        TokensService        // the three token services in one, addressed by Scope
	Directory     DirectoryService     // projects, repositories, users and server info (read-only)

	// t holds credentials and HTTP machinery behind a pointer, so that
	// printing a Client with fmt shows an address, never a credential.
	t *transport
}

// transport is everything a request needs; it never changes after NewClient.
type transport struct {
	scheme, host string // from the base URL
	// roots are the REST APIs below the base URL, indexed by restAPI.
	roots [2]apiRoot
	// authorization is the whole Authorization header value, nil for none.
	// It sits behind a pointer because fmt expands this struct under verbs
	// such as %s or %q given a Client, and prints a nested pointer only as an
	// address.
	authorization *string
	// credentials are the secret strings (token, password, Basic blob)
	// that are blanked out of any server text an *Error repeats, in case a
	// proxy echoes request headers. Behind a pointer for the same reason.
	credentials  *[]string
	bearer       bool // the credential is an access token (WithToken)
	userAgent    string
	logger       *slog.Logger
	observe      func(Wait) // WithWaitObserver's; nil without it
	retry        *retryablehttp.Client
	policy       RetryPolicy
	readPatience time.Duration // WithReadPatience's; 0: none
	maxBody      int64
	pacer        *pacer // WithRateLimit's; nil without it
}

// NewClient returns a Client for the server at baseURL: an absolute http or
// https URL, optionally with a context path ("https://host/bitbucket"), with
// or without a trailing slash.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	o := options{apiVersion: "latest", retry: DefaultRetryPolicy()}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if o.authorization != "" && base.Scheme == "http" && !o.insecureHTTP && !isLoopback(base.Hostname()) {
		return nil, invalidArg("baseURL", "refusing to send credentials over plain http to %s; use https, or WithInsecureHTTP() if you must", base.Hostname())
	}
	t := &transport{
		scheme:       base.Scheme,
		host:         base.Host,
		userAgent:    defaultUserAgent,
		logger:       o.logger,
		observe:      o.observe,
		policy:       o.retry.normalized(),
		readPatience: o.readPatience,
		maxBody:      MaxResponseBytes,
		bearer:       o.bearer,
	}
	t.roots[tokensAPI] = newAPIRoot(base, "/rest/access-tokens/"+o.apiVersion)
	t.roots[coreAPI] = newAPIRoot(base, "/rest/api/"+o.apiVersion)
	if o.userAgent != "" {
		t.userAgent = o.userAgent + " " + defaultUserAgent
	}
	if o.authorization != "" {
		auth := o.authorization
		t.authorization = &auth
		creds := o.credentials
		t.credentials = &creds
	}
	if o.tlsConfig != nil && o.httpClient != nil {
		return nil, invalidArg("httpClient", "WithRootCAs or WithTLSConfig cannot be combined with WithHTTPClient: set TLS on your own client's transport")
	}
	hc := newHTTPClient(o.httpClient, o.tlsConfig, o.timeout)
	if o.observe != nil {
		hc.Transport = stallWatch{next: hc.Transport, after: stallReportAfter, observe: o.observe}
	}
	if o.paced || o.adaptive {
		t.pacer = newPacer(o.rateLimit, o.rateBurst, o.adaptive, t.maxPause(), o.logger)
		hc.Transport = pacingTransport{next: hc.Transport, pacer: t.pacer}
	}
	t.retry = newRetryClient(hc)
	c := &Client{t: t}
	ts := &tokenService{c: c}
	c.UserTokens = userTokens{ts}
	c.ProjectTokens = projectTokens{ts}
	c.RepoTokens = repoTokens{ts}
	c.Admin = adminService{c}
	c.Tokens = scopedTokens{ts}
	c.Directory = directoryService{c}
	return c, nil
}

// maxPause caps how long one 429 holds every request of the Client: the
// retry policy's MaxWait (5 s when retries are off), or the read patience
// when that is longer.
func (t *transport) maxPause() time.Duration {
	d := t.policy.MaxWait
	if d <= 0 {
		d = DefaultRetryPolicy().MaxWait
	}
	return max(d, t.readPatience)
}
