package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/bbdc-tools/accesstokens"
)

// The global flags that say which server to talk to, as whom, and how: the
// Factory checks them and builds the client every command uses.

// userAgent goes in front of the SDK's own User-Agent.
const userAgent = "accesstokens-cli"

// Defaults of the connection flags.
const (
	defaultTimeout = 60 * time.Second // one attempt of one request
	defaultMaxWait = 15 * time.Minute // waiting out 429s, per scope, for reading commands
)

// connFlags are the global flags that say which server to talk to, as whom,
// and how fast.
type connFlags struct {
	url           string
	username      string
	passwordStdin bool
	insecureHTTP  bool
	caCert        string
	demo          bool
	verbose       bool
	rate          float64
	timeout       time.Duration
	maxWait       time.Duration
}

func (c *connFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&c.url, "url", "", "Bitbucket base URL, e.g. https://bitbucket.example.com (default $BITBUCKET_URL)")
	fs.StringVar(&c.username, "username", "", "user name for Basic auth; the password is read with --password-stdin")
	fs.BoolVar(&c.passwordStdin, "password-stdin", false, "read the password (or personal token) for --username from the first line of stdin (without echo on a terminal)")
	fs.BoolVar(&c.insecureHTTP, "insecure-http", false, "allow credentials over plain http to a host that is not loopback (or BITBUCKET_INSECURE_HTTP=1)")
	fs.StringVar(&c.caCert, "ca-cert", "", "trust the PEM certificates in `FILE` besides the system's, for an internal CA (default $BITBUCKET_CA_CERT)")
	fs.BoolVar(&c.demo, "demo", false, "run against a built-in fake Bitbucket with a generated demo world, as admin")
	fs.BoolVarP(&c.verbose, "verbose", "v", false, "log requests and retry decisions to stderr (never secrets)")
	fs.Float64Var(&c.rate, "rate", 0, "at most `RPS` requests a second, all workers together (0: no ceiling; the pace always follows the server's 429s)")
	fs.DurationVar(&c.timeout, "timeout", defaultTimeout, "limit of one request attempt")
	fs.DurationVar(&c.maxWait, "max-wait", defaultMaxWait, "reading commands wait out 429s up to this long per scope (0: give up after the usual retries)")
}

// Connection is a ready client and what the commands print about it.
type Connection struct {
	Client *accesstokens.Client
	URL    string
	Demo   bool
	// Now is the server's clock: the fake's in --demo, the local one otherwise.
	Now func() time.Time
	// Waits is what the client waits for, for the progress line; nil when
	// no progress is shown.
	Waits *waitBoard
	// MaxWait is how long a read waits out 429s (--max-wait) for a command
	// that only reads; 0 otherwise.
	MaxWait time.Duration
	// Timeout is the limit of one request attempt (--timeout).
	Timeout time.Duration

	infoOnce sync.Once
	info     *accesstokens.ServerInfo
	infoErr  error
}

// ServerInfo reads the server's application-properties once per run: every
// later call returns the first answer (or error).
func (c *Connection) ServerInfo(ctx context.Context) (*accesstokens.ServerInfo, error) {
	c.infoOnce.Do(func() { c.info, c.infoErr = c.Client.Directory.ServerInfo(ctx) })
	return c.info, c.infoErr
}

// Factory builds what the commands need from the global flags and the
// environment. Commands get its Connect as a function, so that tests can
// hand them any client.
type Factory struct {
	IO     *IOStreams
	Getenv func(string) string

	conn    connFlags
	closers []func()
	// reading: the command run only reads (audit, list, get, ...): its GETs
	// wait out 429s up to --max-wait.
	reading bool
	// usedToken: the client authenticates with BITBUCKET_TOKEN.
	usedToken bool
	// trust is how the run's client trusts the server, for identify
	// --ask-server's client of its own.
	trust serverTrust
	// waits hears the client's waits, when progress is shown.
	waits *waitBoard
}

// serverTrust is what Connect found about trusting the server: the CA file
// (--ca-cert or BITBUCKET_CA_CERT, "" for none) and whether plain http may
// carry credentials.
type serverTrust struct {
	caFile   string
	insecure bool
}

// Close stops whatever Connect started (the --demo fake).
func (f *Factory) Close() {
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}

// checkFlags validates the connection flags without touching the
// environment, the network or stdin: every mistake here is a usage error
// (exit 2).
func (f *Factory) checkFlags() error {
	c := f.conn
	switch {
	case c.rate < 0:
		return usageError("--rate: must not be negative, got %s", strconv.FormatFloat(c.rate, 'g', -1, 64))
	case c.timeout <= 0:
		return usageError("--timeout: must be positive, got %s", c.timeout)
	case c.maxWait < 0:
		return usageError("--max-wait: must not be negative, got %s", c.maxWait)
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
	return f.checkCredentialFlags()
}

// checkServer refuses a run with no server, a URL that is not a base URL,
// or no credential at all.
func (f *Factory) checkServer(env *accesstokens.Environment) error {
	if env.URL == "" {
		return usageError("no server: set --url or BITBUCKET_URL (or try --demo)")
	}
	if err := checkBaseURL(env.URL); err != nil {
		return err
	}
	if f.conn.username == "" && env.Credentials == nil {
		return usageError("no credentials: set BITBUCKET_TOKEN, or BITBUCKET_USERNAME and BITBUCKET_PASSWORD, or use --username with --password-stdin")
	}
	return nil
}

// Connect returns a client for the configured server, or for a freshly
// started demo fake. It sends no request: credentials are checked by the
// first call that needs them.
func (f *Factory) Connect(ctx context.Context) (*Connection, error) {
	if err := f.checkFlags(); err != nil {
		return nil, err
	}
	opts := f.clientOptions()
	if f.conn.demo {
		return f.connectDemo(opts)
	}
	env, err := f.readEnvironment()
	if err != nil {
		return nil, err
	}
	if err := f.checkServer(env); err != nil {
		return nil, err
	}
	auth, err := f.credentials(env)
	if err != nil {
		return nil, err
	}
	opts = append(append(opts, auth), env.Connection...)
	if f.conn.insecureHTTP {
		opts = append(opts, accesstokens.WithInsecureHTTP())
	}
	client, err := accesstokens.NewClient(env.URL, opts...)
	if err != nil {
		return nil, connError(err)
	}
	return &Connection{Client: client, URL: env.URL, Now: time.Now, Waits: f.waits, MaxWait: f.readPatience(), Timeout: f.conn.timeout}, nil
}

// clientOptions are the options every client of a run gets, the demo's too.
func (f *Factory) clientOptions() []accesstokens.Option {
	opts := []accesstokens.Option{
		accesstokens.WithUserAgent(userAgent),
		accesstokens.WithAttemptTimeout(f.conn.timeout),
		// Always on: the pace follows what the server says (its 429s and
		// rate-limit headers), all workers together.
		accesstokens.WithAdaptiveRateLimit(),
	}
	if f.conn.verbose {
		f.IO.NoProgress = true
		opts = append(opts, accesstokens.WithLogger(slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	}
	if f.IO.showProgress() {
		f.waits = newWaitBoard(f.conn.timeout)
		opts = append(opts, accesstokens.WithWaitObserver(f.waits.observe))
	}
	if f.conn.rate > 0 {
		opts = append(opts, accesstokens.WithRateLimit(f.conn.rate, 1))
	}
	if p := f.readPatience(); p > 0 {
		opts = append(opts, accesstokens.WithReadPatience(p))
	}
	return opts
}

// readPatience is how long the run's reads wait out 429s: --max-wait for a
// command that only reads, 0 (the usual retries) otherwise.
func (f *Factory) readPatience() time.Duration {
	if !f.reading {
		return 0
	}
	return f.conn.maxWait
}
