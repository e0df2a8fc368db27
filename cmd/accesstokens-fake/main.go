// Command accesstokens-fake serves the accesstokenstest fake Bitbucket on a
// fixed address, so programs in any language can test against it. It starts
// with the demo world (users admin/admin, alice/alice, bob/bob; project PRJ
// with repository repo), or a generated one with -world.
//
//	go run ./cmd/accesstokens-fake -addr 127.0.0.1:7990
//	go run ./cmd/accesstokens-fake -world 1000x10x2000x3 -control -rate-limit 60:5
//	go run ./cmd/accesstokens-fake -server-version 9.4.0 -nodes 2 -rate-limit 60:5 -rate-limit-headers
//
// The first line on standard output is the base URL (http://HOST:PORT plus
// the context path); each request is then logged as one line on standard
// error. SIGINT or SIGTERM stops it cleanly (exit 0), even when sent as soon
// as that line is read: requests held by injected delays are answered 503, and
// connections still open 2 s later are closed. -h prints the flags (exit 0).
// Flag values the fake cannot use are reported with exit status 1. With
// -control on an address other hosts can reach, a warning goes to standard
// error: the control API needs no credentials.
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
	"os"
	"os/signal"
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

// run serves until SIGINT or SIGTERM.
func run(args []string, stdout, stderr io.Writer) error {
	// Catch signals before anyone can learn the address: a caller that reads the first line and
	// signals at once must get a clean stop, not the default kill.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, args, stdout, stderr)
}

// serve runs the fake until ctx ends.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger := log.New(stderr, "", log.LstdFlags|log.Lmicroseconds)
	opts, err := s.options(logger)
	if err != nil {
		return err
	}
	began := time.Now()
	fake := accesstokenstest.NewFake(opts...)
	if s.world != "" {
		logger.Printf("generated a world of %d tokens in %s", fake.TokenCount(), time.Since(began).Round(time.Millisecond))
	}

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           fake,
		ReadHeaderTimeout: s.readHeaderTimeout,
		ReadTimeout:       s.readTimeout,
		IdleTimeout:       s.idle,
	}
	// Requests held by injected delays are answered (503) as soon as the shutdown starts, so
	// that it does not wait for them.
	srv.RegisterOnShutdown(fake.Close)
	if warning := controlReachableWarning(s.control, ln.Addr()); warning != "" {
		logger.Print(warning) // before the URL, so that whoever reads the URL can see it
	}
	base := fmt.Sprintf("http://%s%s", ln.Addr().String(), normalizedContextPath(s.contextPath))
	fmt.Fprintln(stdout, base)
	if s.control {
		logger.Printf("control API at %s%s/", base, accesstokenstest.ControlPath)
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(accesstokenstest.EnvelopeListener(ln)) }()

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Printf("stopping")
	if err := shutdown(srv, shutdownGrace); err != nil {
		return err
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// controlReachableWarning is what to say when the control API, which needs no credentials,
// listens where other hosts can reach it; "" when it is off or on a loopback address.
func controlReachableWarning(control bool, addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); !control || (ok && tcp.IP.IsLoopback()) {
		return ""
	}
	return fmt.Sprintf("warning: -control serves the control API without credentials on %s, which other hosts "+
		"can reach: anyone there can mint tokens, move the clock and reset the world. Listen on 127.0.0.1 "+
		"(-addr 127.0.0.1:PORT) unless that is what you want.", addr)
}

// shutdownGrace is how long a stop waits for requests in flight (injected delays end at once)
// before it closes the connections that are left.
const shutdownGrace = 2 * time.Second

// shutdown stops srv gracefully, and after grace closes what is still open: connections that
// never sent a request (net/http's Shutdown waits 5 s for those) and bodies still arriving. A
// fake has nothing to lose there, and a stop must not fail on a client's spare connection.
func shutdown(srv *http.Server, grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	return err
}
