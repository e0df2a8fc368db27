// Command accesstokens-fake serves the accesstokenstest fake Bitbucket on a
// fixed address, seeded with the demo world (users admin/admin, alice/alice,
// bob/bob; project PRJ with repository repo), so programs in any language can
// test against it.
//
//	go run ./cmd/accesstokens-fake -addr 127.0.0.1:7990
//
// The first line on standard output is the base URL (http://HOST:PORT);
// each request is then logged as one line on standard error. SIGINT or
// SIGTERM stops it cleanly (exit 0), even when sent as soon as that line is
// read. Flag values the fake cannot use (-page-limit or -max-page-limit below
// 1, a negative -token-limit, a -context-path segment that needs escaping)
// are reported with exit status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "accesstokens-fake:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("accesstokens-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:7990", "address to listen on (use port 0 for any free port)")
	contextPath := fs.String("context-path", "", "context path to serve under, e.g. /bitbucket")
	empty := fs.Bool("empty", false, "start without the demo world")
	pageLimit := fs.Int("page-limit", accesstokenstest.DefaultPageLimit, "page size when a request gives no limit")
	maxPageLimit := fs.Int("max-page-limit", accesstokenstest.DefaultMaxPageLimit, "largest page size applied")
	tokenLimit := fs.Int("token-limit", 0, "maximum tokens per user, project or repository (0: unlimited)")
	sparse := fs.Bool("sparse", false, "make page positions non-contiguous, to catch clients that compute start+size")
	quiet := fs.Bool("quiet", false, "do not log requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := validateFlags(*pageLimit, *maxPageLimit, *tokenLimit, *contextPath); err != nil {
		return err
	}

	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	opts := []accesstokenstest.Option{
		accesstokenstest.WithContextPath(*contextPath),
		accesstokenstest.WithDefaultPageLimit(*pageLimit),
		accesstokenstest.WithMaxPageLimit(*maxPageLimit),
		accesstokenstest.WithTokenLimit(*tokenLimit),
		accesstokenstest.WithRequestHistory(1000), // nobody reads it here; keep memory bounded
	}
	if *empty {
		opts = append(opts, accesstokenstest.WithEmptyWorld())
	}
	if *sparse {
		opts = append(opts, accesstokenstest.WithSparsePositions())
	}
	if !*quiet {
		opts = append(opts, accesstokenstest.WithRequestLog(func(r accesstokenstest.Request) {
			target := r.RawPath
			if r.Query != "" {
				target += "?" + r.Query
			}
			logger.Printf("%s %s -> %d (credential: %s, user: %q)", r.Method, target, r.Status, r.Credential, r.User)
		}))
	}
	fake := accesstokenstest.NewFake(opts...)

	// Catch signals before anyone can learn the address: a caller that reads the first line and
	// signals at once must get a clean stop, not the default kill.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "http://%s%s\n", ln.Addr().String(), normalizedContextPath(*contextPath))

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Printf("stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
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
