// The options a Fake is made with that belong to no single feature: paging, token limit, world,
// context path.

package accesstokenstest

import (
	"strings"
	"time"
)

type config struct {
	defaultLimit     int
	maxLimit         int
	tokenLimit       int
	sparse           bool
	empty            bool
	world            *World
	pinnedAt         *time.Time
	contextPath      string
	requestLog       func(Request)
	keepLast         int        // 0: keep every request
	rateLimit        *RateLimit // nil: off until an admin turns it on
	nodes            int        // cluster nodes, each with its own buckets (0 or 1: one server)
	rateLimitHeaders bool
	control          bool
	version          serverVersion
	// unprefixedSecrets mints secrets without "BBDC-" (WithUnprefixedSecrets).
	unprefixedSecrets bool
	// withoutPolicy answers 404 on /admin (WithoutExpiryPolicyEndpoint).
	withoutPolicy bool
}

// Option configures a Fake (and so a Server).
type Option func(*config)

// WithDefaultPageLimit sets the limit applied when a list request gives none (default 25).
// It panics if n < 1.
func WithDefaultPageLimit(n int) Option {
	if n < 1 {
		panic("accesstokenstest: WithDefaultPageLimit needs n >= 1")
	}
	return func(c *config) { c.defaultLimit = n }
}

// WithMaxPageLimit sets the cap on a list request's limit (default 1000); the response's limit
// reports the applied value. It panics if n < 1.
func WithMaxPageLimit(n int) Option {
	if n < 1 {
		panic("accesstokenstest: WithMaxPageLimit needs n >= 1")
	}
	return func(c *config) { c.maxLimit = n }
}

// WithTokenLimit sets the most tokens one owner (a user's personal tokens, a project, a repository)
// may hold; creating one more answers 400 "... already has the maximum number of tokens".
// 0, the default, means unlimited. It panics if n < 0.
func WithTokenLimit(n int) Option {
	if n < 0 {
		panic("accesstokenstest: WithTokenLimit needs n >= 0")
	}
	return func(c *config) { c.tokenLimit = n }
}

// WithSparsePositions makes list positions non-contiguous, as Bitbucket allows: the n-th newest
// token sits at position n*[SparseStride]. A request's start is rounded up to the next position,
// the response echoes it, and nextPageStart is the position after the page. A client that pages
// with start+size instead of nextPageStart then receives tokens it has already seen.
func WithSparsePositions() Option { return func(c *config) { c.sparse = true } }

// WithEmptyWorld starts the Fake without the demo world: no users, projects or repositories
// until [Fake.AddUser], [Fake.AddProject] and [Fake.AddRepo] add them.
func WithEmptyWorld() Option { return func(c *config) { c.empty, c.world = true, nil } }

// WithContextPath serves the fake under a context path such as "/bitbucket", as many real
// installations are: the API is then at <URL>/rest/access-tokens/latest with [Server.URL] ending in
// the context path, and requests that drop the context path get 404.
func WithContextPath(p string) Option {
	p = strings.Trim(p, "/")
	return func(c *config) {
		if p == "" {
			c.contextPath = ""
		} else {
			c.contextPath = "/" + p
		}
	}
}

// Paging defaults, as on a stock Bitbucket.
const (
	DefaultPageLimit    = 25   // limit applied when a list request gives none
	DefaultMaxPageLimit = 1000 // largest limit the server applies
	// SparseStride is the distance between the positions of consecutive tokens in a listing when
	// [WithSparsePositions] is on: the n-th newest token (counting from 0) sits at position
	// n*SparseStride, so nextPageStart is (index after the page)*SparseStride, and a client that
	// computes start+size instead of using nextPageStart sees tokens twice.
	SparseStride = 3
)
