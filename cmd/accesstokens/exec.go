package main

// accesstokens exec SCOPE -- CMD: a short-lived token for one command, revoked
// when it ends (the token's life is in exectoken.go, CMD's in child.go).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/bbdc-tools/accesstokens"
)

// ExecOptions are exec's flags and dependencies.
type ExecOptions struct {
	IO      *IOStreams
	Connect func(context.Context) (*Connection, error)

	Scope       accesstokens.Scope
	Name        string
	Permissions []accesstokens.Permission
	ExpiryDays  int
	Argv        []string // CMD and its arguments
	DefaultName bool     // Name was made up by exec: a token with it is this run's
	// Environ is the environment CMD runs in, without the command's own
	// credentials (the process's, in main).
	Environ []string
}

// defaultExecExpiryDays is exec's token lifetime without --expiry-days.
const defaultExecExpiryDays = 1

// NewCmdExec wires `accesstokens exec SCOPE --perm P [--name N] [--expiry-days D] -- CMD [ARG...]`.
func NewCmdExec(f *Factory, runF func(context.Context, *ExecOptions) error) *cobra.Command {
	opts := &ExecOptions{IO: f.IO, Connect: f.Connect}
	var perms []string
	cmd := &cobra.Command{
		Use:   "exec SCOPE --perm P [--perm P2] [--name N] [--expiry-days D] -- CMD [ARG...]",
		Short: "Run a command with a short-lived token, revoked when it ends",
		Long: `Create a token, run CMD with its secret in BITBUCKET_TOKEN (and ACCESSTOKENS_TOKEN_ID,
ACCESSTOKENS_SCOPE) in its environment, and revoke the token when CMD ends, whatever
happens: CMD fails, Ctrl-C, SIGTERM. CMD never sees the command's own credentials
(BITBUCKET_PASSWORD, BITBUCKET_USERNAME and the caller's BITBUCKET_TOKEN are left
out); the secret is never printed. exec exits with CMD's exit code (128 + the signal
when a signal ended it), or 1 when the token could not be revoked, naming its id.

The token expires after --expiry-days (default 1), so one that cannot be revoked
(the machine loses power) does not live on. Its default name is
exec-HOST-YYYYMMDDTHHMMSSZ (the host and the UTC time).

CMD runs in a process group of its own, with stdout and stderr shared and stdin
shared unless it is a terminal. Ctrl-C and SIGTERM reach the command, which passes
them on to CMD's whole group; a second one kills the group. When CMD ends, whatever
it left running in its group is killed, then the token is revoked.`,
		Example: `  accesstokens exec project:PRJ --perm repo_write --name ci-release -- ./release.sh
  accesstokens exec repo:PRJ/app --perm repo_read -- \
    sh -c 'git -c http.extraHeader="Authorization: Bearer $BITBUCKET_TOKEN" clone https://bitbucket.example.com/scm/prj/app.git'
  accesstokens exec repo:PLAT/api --perm repo_read --demo -- sh -c 'echo "token $ACCESSTOKENS_TOKEN_ID"'`,
		ValidArgsFunction: completeScopeFirst,
		Args:              cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := parseExecArgs(cmd, opts, args, perms); err != nil {
				return err
			}
			opts.Environ = os.Environ()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runExecCmd(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "token `NAME` (default exec-HOST-TIME)")
	fl.StringArrayVar(&perms, "perm", nil, "`PERMISSION` (repeat, or comma-separate)")
	fl.IntVar(&opts.ExpiryDays, "expiry-days", defaultExecExpiryDays, "expire after `DAYS` days, 1 to "+expiryDaysMost)
	cmd.SetFlagErrorFunc(execFlagError)
	return cmd
}

// execFlagError adds to an unknown flag that CMD's own flags go after --:
// without it, "exec SCOPE --perm P sh -c '...'" reads -c as exec's.
func execFlagError(cmd *cobra.Command, err error) error {
	if errors.As(err, new(*pflag.NotExistError)) {
		return usageError("%v: if it is CMD's, put -- before CMD (accesstokens exec SCOPE --perm P -- CMD [ARG...]; see '%s --help')", err, cmd.CommandPath())
	}
	return usageError("%v (see '%s --help')", err, cmd.CommandPath())
}

// parseExecArgs reads exec's arguments and flags into opts; every mistake is
// a usage error, before any request.
func parseExecArgs(cmd *cobra.Command, opts *ExecOptions, args, perms []string) error {
	const synopsis = "exec takes SCOPE, then -- CMD [ARG...] (see 'accesstokens exec --help')"
	if cmd.ArgsLenAtDash() != 1 || len(args) < 2 {
		return usageError("%s", synopsis)
	}
	var err error
	if opts.Scope, err = parseScopeArg("SCOPE", args[0]); err != nil {
		return err
	}
	if len(perms) == 0 {
		return usageError("--perm is required (e.g. --perm repo_read)")
	}
	if opts.Permissions, err = parsePermissions(perms); err != nil {
		return err
	}
	if opts.ExpiryDays < 1 {
		return usageError("--expiry-days: at least 1 (exec makes short-lived tokens), got %d", opts.ExpiryDays)
	}
	if err := checkExpiryDays(opts.ExpiryDays); err != nil {
		return err
	}
	opts.DefaultName = !cmd.Flags().Changed("name")
	if opts.DefaultName {
		opts.Name = defaultExecName(time.Now())
	} else if strings.TrimSpace(opts.Name) == "" {
		return usageError("--name: must not be empty")
	}
	opts.Argv = args[1:]
	if _, err := exec.LookPath(opts.Argv[0]); err != nil {
		return usageError("CMD %q: %v", opts.Argv[0], unwrapExecError(err))
	}
	return nil
}

// defaultExecName is exec-HOST-YYYYMMDDTHHMMSSZ: who made the token and
// when, for whoever finds it in a list.
func defaultExecName(now time.Time) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	host = strings.Map(func(r rune) rune {
		if r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, host)
	if len(host) > 40 {
		host = host[:40]
	}
	return "exec-" + host + "-" + now.UTC().Format("20060102T150405Z")
}

func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// execCredentialVars are left out of CMD's environment: the command's own
// credentials. CMD authenticates with the new token alone.
var execCredentialVars = []string{"BITBUCKET_PASSWORD", "BITBUCKET_TOKEN", "BITBUCKET_USERNAME"}

func runExecCmd(ctx context.Context, opts *ExecOptions) error {
	conn, err := opts.Connect(ctx)
	if err != nil {
		return err
	}
	// Caught from before the create to after the revoke: no signal can end
	// the command between them and leave the token behind.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	r := &execRun{opts: opts, conn: conn, signals: signals}

	tok, err := r.create(ctx)
	if err != nil {
		return err
	}
	var code int
	if r.interrupted != nil { // during the create: CMD is not run
		code = 128 + signalNumber(r.interrupted)
	} else if code, err = r.runCMD(tok); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "accesstokens: CMD %q did not start: %v\n", opts.Argv[0], unwrapExecError(err))
		code = exitFailed
	}
	if err := r.revoke(ctx, tok); err != nil {
		return err
	}
	return silentExit(code)
}

// execRun is one exec: the signals it catches and what it has made.
type execRun struct {
	opts        *ExecOptions
	conn        *Connection
	signals     chan os.Signal
	interrupted os.Signal // the first signal before CMD started: CMD is not run
}

// runCMD runs CMD with the new token and returns its exit code. Signals are
// passed on to CMD's group; a second one kills it.
func (r *execRun) runCMD(tok *accesstokens.RawAccessToken) (int, error) {
	env := slices.DeleteFunc(slices.Clone(r.opts.Environ), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return slices.Contains(execCredentialVars, name)
	})
	env = append(env, "BITBUCKET_TOKEN="+tok.Token.Reveal(), "ACCESSTOKENS_TOKEN_ID="+tok.ID, "ACCESSTOKENS_SCOPE="+r.opts.Scope.String())
	c, err := startChild(childSpec{argv: r.opts.Argv, env: env, stdin: cmdStdin(r.opts.IO.In), stdout: r.opts.IO.Out, stderr: r.opts.IO.ErrOut})
	if err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- c.wait() }()
	for n := 0; ; n++ {
		select {
		case <-exited:
			return c.exitCode(), nil
		case sig := <-r.signals:
			if n == 0 {
				c.signal(sig)
				r.notice("interrupted: passed %s on to CMD; token %s is revoked when it ends (interrupt again to kill it)", sig, tok.ID)
			} else {
				c.kill()
				r.notice("interrupted again: killed CMD and everything it started")
			}
		}
	}
}

// cmdStdin is the command's stdin for CMD, unless it is a terminal (CMD
// runs outside the terminal's foreground group and cannot read from it):
// then CMD gets none.
func cmdStdin(in io.Reader) io.Reader {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return in
}

func (r *execRun) notice(format string, args ...any) {
	fmt.Fprintf(r.opts.IO.ErrOut, "accesstokens: "+format+"\n", args...)
}

// untilSignalledTwice runs step; the first signal only notes it (say
// says what happens now), the second abandons step (what names it).
func (r *execRun) untilSignalledTwice(ctx context.Context, step func(context.Context) error, say, what string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- step(ctx) }()
	for n := 0; ; n++ {
		select {
		case err := <-done:
			return err
		case sig := <-r.signals:
			if n == 0 {
				if r.interrupted == nil {
					r.interrupted = sig
				}
				r.notice("interrupted: %s (interrupt again to abandon %s)", say, what)
			} else {
				cancel()
				r.notice("interrupted again: abandoning %s", what)
			}
		}
	}
}

// signalNumber is sig's number, for the exit code 128 + n.
func signalNumber(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return int(s)
	}
	return int(syscall.SIGINT)
}
