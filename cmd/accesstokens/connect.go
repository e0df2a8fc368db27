package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/bbdc-tools/accesstokens"
)

// userAgent goes in front of the SDK's own User-Agent.
const userAgent = "accesstokens-cli"

// connFlags are the global flags that say which server to talk to, as whom,
// and how fast.
type connFlags struct {
	url           string
	username      string
	passwordStdin bool
	insecureHTTP  bool
	demo          bool
	verbose       bool
	rate          float64
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.url, "url", "", "Bitbucket base URL, e.g. https://bitbucket.example.com (default $BITBUCKET_URL)")
	fs.StringVar(&c.username, "username", "", "user name for Basic auth; the password is read with --password-stdin")
	fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password (or personal token) for --username from the first line of stdin")
	fs.BoolVar(&c.insecureHTTP, "insecure-http", false, "allow credentials over plain http to a host that is not loopback (or BITBUCKET_INSECURE_HTTP=1)")
	fs.BoolVar(&c.demo, "demo", false, "run against a built-in fake Bitbucket with a generated demo world, as admin")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "log requests and retry decisions to stderr (never secrets)")
	fs.Float64Var(&c.rate, "rate", 0, "at most `RPS` requests a second, all workers together (0: unlimited)")
}

// Connection is a ready client and what the commands print about it.
type Connection struct {
	Client *accesstokens.Client
	URL    string
	Demo   bool
	// Now is the server's clock: the fake's in --demo, the local one otherwise.
	Now func() time.Time
}

// Factory builds what the commands need from the global flags and the
// environment. Commands get its Connect as a function, so that tests can
// hand them any client.
type Factory struct {
	IO     *IOStreams
	Getenv func(string) string

	conn    connFlags
	closers []func()
}

// Close stops whatever Connect started (the --demo fake).
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// checkConn validates the connection settings without touching the network
// or stdin: every mistake here is a usage error (exit 2).
func (f *Factory) checkConn() error {
	c := f.conn
	if c.rate < 0 {
		return usageError("--rate: must not be negative, got %s", strconv.FormatFloat(c.rate, 'g', -1, 64))
	}
	if c.demo {
		switch {
		case c.url != "":
			return usageError("--demo and --url cannot be used together")
		case c.username != "" || c.passwordStdin:
			return usageError("--demo acts as the demo admin: drop --username/--password-stdin")
		}
		return nil
	}
	if c.passwordStdin && c.username == "" {
		return usageError("--password-stdin needs --username")
	}
	if c.username != "" && !c.passwordStdin {
		return usageError("--username needs --password-stdin (a password is never a flag: it would show in ps and shell history)")
	}
	if f.baseURL() == "" {
		return usageError("no server: set --url or BITBUCKET_URL (or try --demo)")
	}
	if c.username == "" && f.Getenv("BITBUCKET_TOKEN") == "" {
		user, pass := f.Getenv("BITBUCKET_USERNAME"), f.Getenv("BITBUCKET_PASSWORD")
		switch {
		case user == "" && pass == "":
			return usageError("no credentials: set BITBUCKET_TOKEN, or BITBUCKET_USERNAME and BITBUCKET_PASSWORD, or use --username with --password-stdin")
		case user == "":
			return usageError("BITBUCKET_PASSWORD is set but BITBUCKET_USERNAME is not")
		case pass == "":
			return usageError("BITBUCKET_USERNAME is set but BITBUCKET_PASSWORD is not")
		}
	}
	if v := f.Getenv("BITBUCKET_INSECURE_HTTP"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return usageError("BITBUCKET_INSECURE_HTTP: must be 1 or 0 (true or false), got %q", v)
		}
	}
	return nil
}

func (f *Factory) baseURL() string {
	if f.conn.url != "" {
		return f.conn.url
	}
	return f.Getenv("BITBUCKET_URL")
}

// Connect returns a client for the configured server, or for a freshly
// started demo fake. It sends no request: credentials are checked by the
// first call that needs them.
func (f *Factory) Connect(ctx context.Context) (*Connection, error) {
	if err := f.checkConn(); err != nil {
		return nil, err
	}
	opts := []accesstokens.Option{accesstokens.WithUserAgent(userAgent)}
	if f.conn.verbose {
		f.IO.NoProgress = true
		opts = append(opts, accesstokens.WithLogger(slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	// Always on: without --rate (rate 0) nothing is paced, but a 429 still
	// pauses every worker for its Retry-After, as cli.md promises.
	opts = append(opts, accesstokens.WithRateLimit(f.conn.rate, 1))
	if f.conn.demo {
		return f.connectDemo(opts)
	}
	auth, err := f.credentials()
	if err != nil {
		return nil, err
	}
	opts = append(opts, auth)
	if f.conn.insecureHTTP || envTrue(f.Getenv("BITBUCKET_INSECURE_HTTP")) {
		opts = append(opts, accesstokens.WithInsecureHTTP())
	}
	client, err := accesstokens.NewClient(f.baseURL(), opts...)
	if err != nil {
		return nil, connError(err)
	}
	return &Connection{Client: client, URL: f.baseURL(), Now: time.Now}, nil
}

// credentials picks, in order: --username with --password-stdin,
// BITBUCKET_TOKEN, BITBUCKET_USERNAME with BITBUCKET_PASSWORD.
func (f *Factory) credentials() (accesstokens.Option, error) {
	if f.conn.username != "" {
		password, err := readPassword(f.IO.In)
		if err != nil {
			return nil, err
		}
		return accesstokens.WithBasicAuth(f.conn.username, password), nil
	}
	if token := f.Getenv("BITBUCKET_TOKEN"); token != "" {
		return accesstokens.WithToken(token), nil
	}
	return accesstokens.WithBasicAuth(f.Getenv("BITBUCKET_USERNAME"), f.Getenv("BITBUCKET_PASSWORD")), nil
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--password-stdin: reading stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", usageError("--password-stdin: stdin is empty")
	}
	return password, nil
}

// connError turns the SDK's refusal of a URL or credential into a usage
// error naming where it came from.
func connError(err error) error {
	var inv *accesstokens.InvalidArgumentError
	if !errors.As(err, &inv) {
		return err
	}
	where := map[string]string{
		"baseURL":  "--url/BITBUCKET_URL",
		"token":    "BITBUCKET_TOKEN",
		"username": "--username/BITBUCKET_USERNAME",
		"password": "the password",
	}[inv.Field]
	if where == "" {
		where = inv.Field
	}
	// The SDK names its option; the command's user has a flag and a variable.
	reason := strings.ReplaceAll(inv.Reason, "WithInsecureHTTP()", "--insecure-http (or BITBUCKET_INSECURE_HTTP=1)")
	return usageError("%s: %s", where, reason)
}

func envTrue(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}
