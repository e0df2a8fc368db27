package accesstokens

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is this SDK's version; the User-Agent carries it.
const Version = "0.2.0-dev"

// defaultUserAgent identifies the SDK to the server.
const defaultUserAgent = "accesstokens-go/" + Version

// defaultHTTPTimeout bounds one attempt (headers and body; each redirect is
// an attempt of its own) when the caller brings no *http.Client of its own;
// contexts can always cut it shorter. See attemptTimeout.
const defaultHTTPTimeout = 60 * time.Second

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
	// echoes are the credential strings (token, password, Basic blob) that
	// are blanked out of any server text an *Error repeats, in case a proxy
	// echoes request headers. Behind a pointer for the same reason.
	echoes    *[]string
	userAgent string
	logger    *slog.Logger
	retry     *retryablehttp.Client
	policy    RetryPolicy
	maxBody   int64
	pacer     *pacer // WithRateLimit's; nil without it
}

// Option configures a Client; see the With… functions.
type Option func(*options) error

type options struct {
	authorization string
	credentials   []string // the secret parts of authorization
	httpClient    *http.Client
	userAgent     string
	apiVersion    string
	retry         RetryPolicy
	logger        *slog.Logger
	insecureHTTP  bool
	paced         bool    // WithRateLimit was given
	rateLimit     float64 // requests a second; <= 0: no pacing
	rateBurst     int
	adaptive      bool          // WithAdaptiveRateLimit was given
	readPatience  time.Duration // WithReadPatience's bound; 0: none
	tlsConfig     *tls.Config   // WithRootCAs or WithTLSConfig; nil: the system's roots
	timeout       time.Duration // WithAttemptTimeout's; 0: defaultHTTPTimeout
}

// WithToken authenticates with a personal, project or repository access
// token, sent as "Authorization: Bearer <token>".
func WithToken(token string) Option {
	return func(o *options) error {
		if token == "" {
			return invalidArg("token", "must not be empty")
		}
		if hasControl(token) {
			return invalidArg("token", "must not contain control characters (a trailing newline from a file?)")
		}
		o.authorization = "Bearer " + token
		o.credentials = []string{token}
		return nil
	}
}

// WithBasicAuth authenticates with a username and a password or personal
// access token. Managing tokens needs a password (tokens cannot manage tokens).
func WithBasicAuth(username, password string) Option {
	return func(o *options) error {
		if username == "" {
			return invalidArg("username", "must not be empty")
		}
		if password == "" {
			return invalidArg("password", "must not be empty")
		}
		if hasControl(username) || strings.Contains(username, ":") {
			return invalidArg("username", "must not contain control characters or ':'")
		}
		if hasControl(password) {
			return invalidArg("password", "must not contain control characters (a trailing newline from a file?)")
		}
		blob := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
		o.authorization = "Basic " + blob
		o.credentials = []string{blob, password}
		return nil
	}
}

// WithHTTPClient sets the *http.Client whose transport, TLS settings, proxy and
// timeout are used. The client is copied: the SDK adds its own redirect rule
// (credentials never follow a redirect to another host) without changing yours.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return invalidArg("httpClient", "must not be nil")
		}
		o.httpClient = hc
		return nil
	}
}

// WithUserAgent puts ua in front of the default "accesstokens-go/<version>".
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if hasControl(ua) {
			return invalidArg("userAgent", "must not contain control characters")
		}
		o.userAgent = strings.TrimSpace(ua)
		return nil
	}
}

// WithAPIVersion selects the REST path version: "latest" (default) or "1.0".
func WithAPIVersion(v string) Option {
	return func(o *options) error {
		if v != "latest" && v != "1.0" {
			return invalidArg("apiVersion", `must be "latest" or "1.0", got %q`, v)
		}
		o.apiVersion = v
		return nil
	}
}

// WithRetry sets the retry policy; RetryPolicy{} disables retries. Whatever
// the policy, a create is retried only when the server cannot have acted on it.
func WithRetry(p RetryPolicy) Option {
	return func(o *options) error {
		if p.MaxRetries < 0 {
			return invalidArg("MaxRetries", "must not be negative")
		}
		if p.MinWait < 0 {
			return invalidArg("MinWait", "must not be negative")
		}
		if p.MaxWait < 0 {
			return invalidArg("MaxWait", "must not be negative")
		}
		if p.MaxWait > 0 && p.MaxWait < p.MinWait {
			return invalidArg("MaxWait", "must not be below MinWait")
		}
		o.retry = p
		return nil
	}
}

// WithLogger logs each attempt and each retry decision at Debug level: method,
// path, status, attempt, wait, duration and reason. Headers, bodies, query
// strings and credentials are never logged. Nil, or no WithLogger at all,
// means no logging anywhere.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithInsecureHTTP allows credentials over plain http to a host that is not
// loopback. Without it NewClient refuses such a configuration.
func WithInsecureHTTP() Option {
	return func(o *options) error {
		o.insecureHTTP = true
		return nil
	}
}

// WithRateLimit paces every request of this Client (all goroutines together) to at most rps requests
// a second with bursts of burst, and makes every goroutine wait out a 429's Retry-After together,
// instead of each finding the limit on its own. rps <= 0: no pacing (the 429 gate stays on).
//
// Every attempt is paced, retries and redirects included, and a wait ends
// early, with the context's error, when the request's context ends. An
// attempt waits for its turn before its own timeout (WithHTTPClient's
// Timeout, 60 s by default) starts: waiting in a long queue is no timeout. A 429
// holds all requests for its Retry-After (1 s when it has none), capped like
// any wait at the retry policy's MaxWait (5 s when retries are off); the
// request that met the 429 is retried as the policy says, a create included
// (the server did not act on it). Pacing uses golang.org/x/time/rate. A
// Client without this option has no pacing and no gate.
//
// Bitbucket's own rate limiting (a token bucket per user, Data Center):
// https://confluence.atlassian.com/bitbucketserver0819/improving-instance-stability-with-rate-limiting-1416826922.html
func WithRateLimit(rps float64, burst int) Option {
	return func(o *options) error {
		if math.IsNaN(rps) {
			return invalidArg("rps", "must be a number")
		}
		if rps > 0 && !math.IsInf(rps, 1) && burst < 1 {
			return invalidArg("burst", "must be at least 1 when rps > 0, got %d", burst)
		}
		o.paced, o.rateLimit, o.rateBurst = true, rps, burst
		return nil
	}
}

// WithAdaptiveRateLimit makes the Client learn the rate the server sustains
// and pace every goroutine to it, the way the AWS SDK for Go's "adaptive"
// retry mode does: nothing is paced until the first 429; then every
// goroutine waits out its Retry-After together, and requests are released at
// the rate the server was seen to sustain (from its X-RateLimit-* headers
// when it sends them, else from the answers), creeping up again while no
// 429 comes. With WithRateLimit as well, the lower of the two rates wins.
//
// Bitbucket's rate limiting (a token bucket per user and cluster node):
// https://confluence.atlassian.com/bitbucketserver/improving-instance-stability-with-rate-limiting-776640707.html
func WithAdaptiveRateLimit() Option {
	return func(o *options) error {
		o.adaptive = true
		return nil
	}
}

// WithReadPatience lets a read (a GET) answered 429 be retried for as long
// as its waits add up to at most maxWait, without using up the RetryPolicy's
// attempts: a long inventory behind a rate limit then loses no read while
// the server keeps answering. Writes keep the RetryPolicy's rules. 0 (the
// default) means 429s count against the RetryPolicy like any retry.
func WithReadPatience(maxWait time.Duration) Option {
	return func(o *options) error {
		if maxWait < 0 {
			return invalidArg("maxWait", "must not be negative, got %s", maxWait)
		}
		o.readPatience = maxWait
		return nil
	}
}

// WithRootCAs trusts the certificates of pool for the server's TLS
// certificate, instead of the system's: for an internal certificate
// authority, build pool from x509.SystemCertPool and add the CA to it. It
// keeps every other safety of the SDK's own transport. It cannot be combined
// with WithHTTPClient, whose transport has TLS settings of its own.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *options) error {
		if pool == nil {
			return invalidArg("rootCAs", "must not be nil")
		}
		o.tlsConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		return nil
	}
}

// WithTLSConfig uses cfg (cloned) for TLS connections to the server: client
// certificates, roots, a minimum version. It keeps every other safety of the
// SDK's own transport. It cannot be combined with WithHTTPClient, whose
// transport has TLS settings of its own.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(o *options) error {
		if cfg == nil {
			return invalidArg("tlsConfig", "must not be nil")
		}
		o.tlsConfig = cfg.Clone()
		return nil
	}
}

// WithAttemptTimeout bounds each attempt of a request, headers and body (60
// s by default); a retry gets a new attempt, and waits for the rate limit do
// not count. Contexts can always cut a call shorter.
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalidArg("timeout", "must be positive, got %s", d)
		}
		o.timeout = d
		return nil
	}
}

// RetryPolicy says how often and how long to retry. Retries happen only where
// they cannot duplicate a write; see the README's retry table.
type RetryPolicy struct {
	MaxRetries int           // retries after the first attempt
	MinWait    time.Duration // first backoff
	MaxWait    time.Duration // cap on any single wait, Retry-After included; 0 with retries: 5 s
}

// DefaultRetryPolicy is 3 retries, exponential backoff with jitter from 250 ms,
// each wait capped at 5 s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxRetries: 3, MinWait: 250 * time.Millisecond, MaxWait: 5 * time.Second}
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
		scheme:    base.Scheme,
		host:      base.Host,
		userAgent: defaultUserAgent,
		logger:    o.logger,
		policy:    o.retry.normalized(),
		maxBody:   MaxResponseBytes,
	}
	t.roots[tokensAPI] = newAPIRoot(base, "/rest/access-tokens/"+o.apiVersion)
	t.roots[coreAPI] = newAPIRoot(base, "/rest/api/"+o.apiVersion)
	if o.userAgent != "" {
		t.userAgent = o.userAgent + " " + defaultUserAgent
	}
	if o.authorization != "" {
		auth := o.authorization
		t.authorization = &auth
		echoes := o.credentials
		t.echoes = &echoes
	}
	if o.tlsConfig != nil && o.httpClient != nil {
		return nil, invalidArg("httpClient", "WithRootCAs or WithTLSConfig cannot be combined with WithHTTPClient: set TLS on your own client's transport")
	}
	hc := guardRedirects(o.httpClient, o.tlsConfig, o.timeout)
	if o.paced {
		maxPause := t.policy.MaxWait
		if maxPause <= 0 {
			maxPause = DefaultRetryPolicy().MaxWait
		}
		t.pacer = newPacer(o.rateLimit, o.rateBurst, maxPause, o.logger)
		hc.Transport = pacedTransport{next: hc.Transport, pacer: t.pacer}
	}
	t.retry = t.newRetryClient(hc)
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

// NewClientFromEnv reads BITBUCKET_URL, and BITBUCKET_TOKEN (Bearer) or
// BITBUCKET_USERNAME with BITBUCKET_PASSWORD (Basic); opts apply after the
// environment, so they can override it. BITBUCKET_INSECURE_HTTP=1 (or true)
// stands for WithInsecureHTTP, for whoever sets the environment to choose
// plain http to another host on purpose.
func NewClientFromEnv(opts ...Option) (*Client, error) {
	baseURL := os.Getenv("BITBUCKET_URL")
	if baseURL == "" {
		return nil, invalidArg("BITBUCKET_URL", "is not set")
	}
	var envOpts []Option
	token, user, pass := os.Getenv("BITBUCKET_TOKEN"), os.Getenv("BITBUCKET_USERNAME"), os.Getenv("BITBUCKET_PASSWORD")
	switch {
	case token != "":
		envOpts = append(envOpts, WithToken(token))
	case user != "" || pass != "":
		if user == "" {
			return nil, invalidArg("BITBUCKET_USERNAME", "is not set but BITBUCKET_PASSWORD is")
		}
		if pass == "" {
			return nil, invalidArg("BITBUCKET_PASSWORD", "is not set but BITBUCKET_USERNAME is")
		}
		envOpts = append(envOpts, WithBasicAuth(user, pass))
	}
	if v := os.Getenv("BITBUCKET_INSECURE_HTTP"); v != "" {
		insecure, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalidArg("BITBUCKET_INSECURE_HTTP", "must be 1 or 0 (true or false), got %q", v)
		}
		if insecure {
			envOpts = append(envOpts, WithInsecureHTTP())
		}
	}
	return NewClient(baseURL, append(envOpts, opts...)...)
}

// hasControl reports ASCII control characters, which cannot travel in a header.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}

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

// guardRedirects returns a copy of hc (or a default client) that drops the
// Authorization header whenever a redirect leaves the original scheme and host,
// and never lets a redirect turn a write into a read: net/http follows a 301,
// 302 or 303 for a DELETE or POST with a GET, whose 200 would then pass for
// the write's success. Nor does a write follow a 307 or 308 to another scheme
// or host: sent there without credentials, its 2xx would say nothing about
// the write. Such a redirect is returned as the answer (an *Error) instead.
//
// A caller's transport is wrapped so that go-retryablehttp, which closes idle
// connections after a failed request, cannot close those of a transport the
// whole program shares (http.DefaultTransport, say). Every transport is
// wrapped in refuseUpgrades.
//
// tlsConfig (nil: the system's) and timeout (0: defaultHTTPTimeout) apply to
// the SDK's own transport; a caller's client keeps its own TLS settings and
// gets timeout on top of its Timeout only when timeout is set.
func guardRedirects(hc *http.Client, tlsConfig *tls.Config, timeout time.Duration) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
		rt := c.Transport
		if rt == nil {
			rt = http.DefaultTransport
		}
		rt = keepIdleConns{rt}
		if timeout > 0 {
			rt = attemptTimeout{rt, timeout}
		}
		c.Transport = refuseUpgrades{rt}
	} else {
		if timeout <= 0 {
			timeout = defaultHTTPTimeout
		}
		t := defaultTransport()
		if tlsConfig != nil {
			t.TLSClientConfig = tlsConfig
		}
		c.Transport = refuseUpgrades{attemptTimeout{t, timeout}}
	}
	userCheck := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
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
	return &c
}

// defaultIdleConnsPerHost is how many idle connections the SDK's own
// transport keeps to the server. A Client is one server, shared by many
// goroutines: net/http's default of 2 makes every goroutine past the second
// open a new connection per request (an 8-worker audit ran at 0.57x of a
// hand-written loop with it; see BENCHMARKS.md).
const defaultIdleConnsPerHost = 64

// defaultTransport is http.DefaultTransport's settings, with room for the
// idle connections of a Client shared by many goroutines.
func defaultTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = defaultIdleConnsPerHost
	return t
}

// attemptTimeout bounds each request it sends, headers and body, as
// http.Client.Timeout would: the request's context gets the deadline, and
// the response body ends it (at EOF or Close, as net/http does). Not
// http.Client.Timeout itself: for a transport it does not know (the SDK
// wraps every transport), net/http starts a goroutine, a timer and two
// channels per request to enforce it, which cost a concurrent whole-server
// audit about 15% of its CPU (BENCHMARKS.md, server scale). It sits below
// the rate limiter, so a wait for the pacer does not count.
type attemptTimeout struct {
	next    http.RoundTripper
	timeout time.Duration
}

func (t attemptTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelAtEnd{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// CloseIdleConnections passes on to the transport.
func (t attemptTimeout) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// cancelAtEnd ends a request's context once its body is read to the end or
// closed.
type cancelAtEnd struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelAtEnd) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.cancel()
	}
	return n, err
}

func (b *cancelAtEnd) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// keepIdleConns hides the CloseIdleConnections of a transport the caller
// brought, which may be shared with the rest of the program.
type keepIdleConns struct{ http.RoundTripper }

// refuseUpgrades turns an unrequested 101 Switching Protocols into an error
// at once. net/http hands the connection itself over as the body of a 101,
// and neither the request's context nor the client's timeout watches it:
// reading it would wait for as long as the server keeps it open.
type refuseUpgrades struct{ http.RoundTripper }

func (r refuseUpgrades) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.RoundTripper.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusSwitchingProtocols {
		_ = resp.Body.Close() // closes the connection
		return nil, errUnrequestedUpgrade
	}
	return resp, err
}

// CloseIdleConnections passes on to the transport, unless keepIdleConns hides it.
func (r refuseUpgrades) CloseIdleConnections() {
	if c, ok := r.RoundTripper.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// errUnrequestedUpgrade is the answer 101, which the client never asks for;
// retrying would not help.
var errUnrequestedUpgrade = errors.New("the server answered 101 Switching Protocols, which the client never asks for")

// errTooManyRedirects ends a redirect chain; retrying would not help.
var errTooManyRedirects = errors.New("stopped after 10 redirects")

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

// pathOf is the escaped request path for segs below the token API, as
// errors and logs show it.
func (c *Client) pathOf(segs []string) string { return c.pathIn(tokensAPI, segs) }

// pathIn is the escaped request path for segs below api.
func (c *Client) pathIn(api restAPI, segs []string) string {
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
