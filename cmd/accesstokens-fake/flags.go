// The command's flags: parsing, checking, and the fake's options they make.

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

const usageHead = `Usage: accesstokens-fake [flags]

Serves a fake Bitbucket Data Center (access-token REST API, and the core REST
reads a server-wide inventory needs) for tests in any language. The first line
on stdout is the base URL; requests are logged on stderr.

Flags:
`

// settings are the parsed flags.
type settings struct {
	addr, contextPath                    string
	empty, sparse, quiet, control        bool
	pageLimit, maxPageLimit, tokenLimit  int
	history, nodes                       int
	world, rateLimit, clock              string
	serverVersion                        string
	unprefixedSecrets, noPolicyEndpoint  bool
	rateLimitHeaders                     bool
	worldSeed                            int64
	readHeaderTimeout, readTimeout, idle time.Duration
}

func parseFlags(args []string, stdout, stderr io.Writer) (*settings, error) {
	var s settings
	fs := flag.NewFlagSet("accesstokens-fake", flag.ContinueOnError)
	fs.StringVar(&s.addr, "addr", "127.0.0.1:7990", "address to listen on (use port 0 for any free port)")
	fs.StringVar(&s.contextPath, "context-path", "", "context path to serve under, e.g. /bitbucket")
	fs.BoolVar(&s.empty, "empty", false, "start without any world: no users, projects or repositories")
	fs.StringVar(&s.world, "world", "", "generate a world instead of the demo one: `demo` (the small world of accesstokens --demo)\nor PROJECTSxREPOSxUSERSxTOKENS, e.g. 1000x10x2000x3 (repositories per project, tokens per scope)")
	fs.Int64Var(&s.worldSeed, "world-seed", 1, "seed of the generated world: the same seed gives the same world")
	fs.IntVar(&s.pageLimit, "page-limit", accesstokenstest.DefaultPageLimit, "page size when a request gives no limit")
	fs.IntVar(&s.maxPageLimit, "max-page-limit", accesstokenstest.DefaultMaxPageLimit, "largest page size applied")
	fs.IntVar(&s.tokenLimit, "token-limit", 0, "maximum tokens per user, project or repository (0: unlimited)")
	fs.BoolVar(&s.sparse, "sparse", false, "make page positions non-contiguous, to catch clients that compute start+size")
	fs.StringVar(&s.rateLimit, "rate-limit", "", "per-user token buckets as `BURST:REFILL_PER_S`, e.g. 60:5 (Bitbucket's defaults); off when empty,\nuntil a system administrator turns it on (PUT /rest/api/latest/admin/rate-limit/settings)")
	fs.IntVar(&s.nodes, "nodes", 1, "cluster nodes, each with its own rate-limit bucket per user; requests go to them in turn")
	fs.BoolVar(&s.rateLimitHeaders, "rate-limit-headers", false, "send X-RateLimit-Limit, -Remaining, -Interval-Seconds and -FillRate on rate-limited answers\n(whether Bitbucket sends them is not known)")
	fs.StringVar(&s.serverVersion, "server-version", accesstokenstest.ServerVersion, "Bitbucket `version` to answer as: 9.0 and later leave null fields out and mint\ntoken ids of 10-12 digits without leading zeros")
	fs.BoolVar(&s.unprefixedSecrets, "unprefixed-secrets", false, "mint secrets without the BBDC- prefix (plain base64 of \"<id>:\" and 20 bytes)")
	fs.BoolVar(&s.noPolicyEndpoint, "no-policy-endpoint", false, "answer 404 on /rest/access-tokens/latest/admin, as servers without the expiry-policy endpoint")
	fs.StringVar(&s.clock, "clock", "", "pin the fake clock at this `RFC3339` time (default: the real time)")
	fs.BoolVar(&s.control, "control", false, "serve the control API under /_fake/ (clock, faults, requests, tokens, reset)")
	fs.IntVar(&s.history, "history", accesstokenstest.DefaultRequestHistory, "how many recent requests to keep for /_fake/requests")
	fs.BoolVar(&s.quiet, "quiet", false, "do not log requests")
	fs.DurationVar(&s.readHeaderTimeout, "read-header-timeout", accesstokenstest.DefaultReadHeaderTimeout, "time allowed to read a request's headers")
	fs.DurationVar(&s.readTimeout, "read-timeout", accesstokenstest.DefaultReadTimeout, "time allowed to read a whole request, body included")
	fs.DurationVar(&s.idle, "idle-timeout", accesstokenstest.DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHead)
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil, err
		}
		fs.SetOutput(stderr)
		fs.Usage()
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (all settings are flags; see -h)", fs.Arg(0))
	}
	if err := validateFlags(s.pageLimit, s.maxPageLimit, s.tokenLimit, s.contextPath); err != nil {
		return nil, err
	}
	if s.history < 1 {
		return nil, fmt.Errorf("-history must be at least 1, got %d", s.history)
	}
	if s.nodes < 1 {
		return nil, fmt.Errorf("-nodes must be at least 1, got %d", s.nodes)
	}
	if err := accesstokenstest.CheckServerVersion(s.serverVersion); err != nil {
		return nil, fmt.Errorf("-server-version: %w", err)
	}
	for name, d := range map[string]time.Duration{"-read-header-timeout": s.readHeaderTimeout, "-read-timeout": s.readTimeout, "-idle-timeout": s.idle} {
		if d <= 0 {
			return nil, fmt.Errorf("%s must be more than 0, got %s", name, d)
		}
	}
	return &s, nil
}

// options turns the settings into the fake's options.
func (s *settings) options(logger *log.Logger) ([]accesstokenstest.Option, error) {
	opts := []accesstokenstest.Option{
		accesstokenstest.WithContextPath(s.contextPath),
		accesstokenstest.WithDefaultPageLimit(s.pageLimit),
		accesstokenstest.WithMaxPageLimit(s.maxPageLimit),
		accesstokenstest.WithTokenLimit(s.tokenLimit),
		accesstokenstest.WithRequestHistory(s.history), // keep memory bounded
		accesstokenstest.WithClusterNodes(s.nodes),
		accesstokenstest.WithServerVersion(s.serverVersion),
	}
	if s.rateLimitHeaders {
		opts = append(opts, accesstokenstest.WithRateLimitHeaders())
	}
	if s.unprefixedSecrets {
		opts = append(opts, accesstokenstest.WithUnprefixedSecrets())
	}
	if s.noPolicyEndpoint {
		opts = append(opts, accesstokenstest.WithoutExpiryPolicyEndpoint())
	}
	if s.empty && s.world != "" {
		return nil, errors.New("-empty and -world cannot be used together")
	}
	if s.empty {
		opts = append(opts, accesstokenstest.WithEmptyWorld())
	}
	if s.world != "" {
		w, err := parseWorld(s.world)
		if err != nil {
			return nil, err
		}
		w.Seed = s.worldSeed
		opts = append(opts, accesstokenstest.WithWorld(w))
	}
	if s.sparse {
		opts = append(opts, accesstokenstest.WithSparsePositions())
	}
	if s.rateLimit != "" {
		rl, err := accesstokenstest.ParseRateLimit(s.rateLimit)
		if err != nil {
			return nil, fmt.Errorf("-rate-limit: %w", err)
		}
		opts = append(opts, accesstokenstest.WithRateLimit(rl))
	}
	if s.clock != "" {
		t, err := time.Parse(time.RFC3339Nano, s.clock)
		if err != nil {
			return nil, fmt.Errorf("-clock %q: want an RFC 3339 time such as 2026-01-01T00:00:00Z", s.clock)
		}
		opts = append(opts, accesstokenstest.WithClock(t))
	}
	if s.control {
		opts = append(opts, accesstokenstest.WithControlAPI())
	}
	if !s.quiet {
		opts = append(opts, accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
			target := r.RawPath
			if r.Query != "" {
				target += "?" + r.Query
			}
			logger.Printf("%s %s -> %d (credential: %s, user: %q)", r.Method, target, r.Status, r.Credential, r.User)
		}))
	}
	return opts, nil
}

// parseWorld reads -world: "demo" or PROJECTSxREPOSxUSERSxTOKENS.
func parseWorld(s string) (accesstokenstest.World, error) {
	if s == "demo" {
		return accesstokenstest.DemoWorld(), nil
	}
	parts := strings.Split(s, "x")
	var n [4]int
	if len(parts) != 4 {
		return accesstokenstest.World{}, fmt.Errorf("-world %q: want demo or PROJECTSxREPOSxUSERSxTOKENS, such as 1000x10x2000x3", s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return accesstokenstest.World{}, fmt.Errorf("-world %q: %q is not a count of 0 or more", s, p)
		}
		n[i] = v
	}
	return accesstokenstest.World{Projects: n[0], ReposPerProject: n[1], Users: n[2], TokensPerScope: n[3]}, nil
}

// validateFlags rejects values the fake's options would panic on, and context paths that would
// not appear in a URL as written.
func validateFlags(pageLimit, maxPageLimit, tokenLimit int, contextPath string) error {
	if pageLimit < 1 {
		return fmt.Errorf("-page-limit must be at least 1, got %d", pageLimit)
	}
	if maxPageLimit < 1 {
		return fmt.Errorf("-max-page-limit must be at least 1, got %d", maxPageLimit)
	}
	if tokenLimit < 0 {
		return fmt.Errorf("-token-limit must be 0 (unlimited) or more, got %d", tokenLimit)
	}
	if p := normalizedContextPath(contextPath); p != "" {
		for _, seg := range strings.Split(p[1:], "/") {
			if seg == "" || seg == "." || seg == ".." || url.PathEscape(seg) != seg {
				return fmt.Errorf("-context-path %q: each segment must be non-empty and need no escaping (letters, digits, '-', '.', '_', '~' ...)", contextPath)
			}
		}
	}
	return nil
}

func normalizedContextPath(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	if p == "" {
		return ""
	}
	return "/" + p
}
