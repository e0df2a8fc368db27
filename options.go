package accesstokens

// Options: everything a caller can set on a Client, each With… function
// checking its own value before NewClient builds anything.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"
)

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
	observe       func(Wait)    // WithWaitObserver's; nil: none
	bearer        bool          // the credential is WithToken's
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
		o.bearer = true
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
		o.bearer = false
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
// the rate the server was seen to sustain (learned from the answers, and
// never below what its X-RateLimit-* headers say when it sends them),
// creeping up again while no 429 comes. With WithRateLimit as well, the lower of the two rates wins.
// A 429 holds every request as with WithRateLimit (for its Retry-After,
// capped at the RetryPolicy's MaxWait or at WithReadPatience's bound);
// with WithReadPatience, reads wait their 429s out instead of running out
// of retries. Until the first 429 it costs nothing: an audit of a server
// without a rate limit runs exactly as without it.
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
// the server keeps answering. Each such wait is the 429's Retry-After, at
// least 1 s and not capped by the RetryPolicy's MaxWait; a read gives up at
// once when the Retry-After would take it past maxWait. With WithRateLimit
// or WithAdaptiveRateLimit, a 429 may then hold every request of the Client
// for up to maxWait. Writes keep the RetryPolicy's rules, and no answer but
// a 429 is retried beyond them: a failed login (401) is never retried. 0
// (the default) means 429s count against the RetryPolicy like any retry.
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
// not count. Contexts can always cut a call shorter. A call whose last
// attempt ran out of time matches ErrAttemptTimeout (and
// context.DeadlineExceeded).
func WithAttemptTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return invalidArg("timeout", "must be positive, got %s", d)
		}
		o.timeout = d
		return nil
	}
}

// hasControl reports ASCII control characters, which cannot travel in a header.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f })
}

// WithWaitObserver calls observe for every wait of every request of the
// Client, as it begins: a 429 holding every request (WaitRateLimited), a
// turn under the pace (WaitPaced), the wait before a retry (WaitRetry), and
// an attempt that has had no answer for 5 s (WaitStalled), so that a
// program can show that it is waiting and why. observe runs on the
// request's goroutine (for WaitStalled, on a timer's), so it must be quick
// and safe for concurrent use. A Wait holds the method, the escaped path,
// the attempt, the reason and the duration: never a credential, a query
// string or a body. Nil, or no WithWaitObserver at all, means no reports.
func WithWaitObserver(observe func(Wait)) Option {
	return func(o *options) error {
		o.observe = observe
		return nil
	}
}
