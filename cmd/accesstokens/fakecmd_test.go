package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// The `fake` script command: a fake Bitbucket (accesstokenstest, the same
// one cmd/accesstokens-fake serves) on loopback in the test process, which
// the accesstokens processes reach through BITBUCKET_URL. Scripts drive it:
//
//	fake start [-empty] [-ago AGE] [-world W] [-rate-limit B:R] [-unprefixed-secrets]
//	           [-server-version V] [-no-policy-endpoint]  start it; its
//	                                    clock is pinned AGE (e.g. 200d) before now; W: demo, or
//	                                    PROJECTSxREPOSxUSERSxTOKENS (accesstokenstest.World); B:R:
//	                                    Bitbucket's per-user rate limit; secrets without "BBDC-";
//	                                    V: the Bitbucket version it answers as (e.g. 9.4.0); no
//	                                    admin expiry-policy endpoint
//	fake user [-admin] NAME [PASSWORD]  add a user
//	fake deactivate USER | fake archive KEY SLUG
//	fake compare FILE                   FILE (audit -o jsonl) must hold every token of the fake, exactly
//	fake project KEY | fake repo KEY SLUG
//	fake token [-as VAR] [-secret VAR] [-expiry DAYS] SCOPE NAME PERM...  issue a token; $VAR is its id
//	                                    (-secret: its secret)
//	fake seed [-expiry DAYS] SCOPE N    add N plain tokens (expiring in DAYS: each has an expiry sample)
//	fake use ID...                      authenticate with the tokens (sets their last use)
//	fake advance AGE                    move the fake clock
//	fake fault [-body BODY] [-retry-after S] [-delay AGE] METHOD PATH STATUS [TIMES]  answer matching
//	                                    requests with STATUS (0: the fake's own answer), and BODY (JSON if it
//	                                    starts with {), a Retry-After header, after AGE (or when the client goes)
//	fake policy DAYS                    set the expiry policy (0: none)
//	fake tokens                         print every stored token: SCOPE ID NAME, by id
//	fake id VAR SCOPE NAME              put the id of the one token named NAME in SCOPE in $VAR
//	fake requests                       print every request: METHOD PATH STATUS
//	fake reset                          forget the recorded requests
//	fake secret ID                      print the secret of a token issued with fake token
//	fake minted [-as VAR]               print the last secret the fake handed out (or put it in $VAR)
//	fake count                          print how many requests the fake has answered (since reset)
//	fake noleak                         the last command's stdout and stderr hold no secret the fake made
//
// `fake start` sets BITBUCKET_URL and admin's credentials in the environment.

type fakeKey struct{}

type fakeState struct {
	fake    *accesstokenstest.Fake
	url     string
	gate    *gate
	secrets map[string]string // token id -> secret, for `fake use`
}

func stateOf(ts *testscript.TestScript) *fakeState { return ts.Value(fakeKey{}).(*fakeState) }

func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! fake")
	}
	if len(args) == 0 {
		ts.Fatalf("usage: fake SUBCOMMAND ...")
	}
	st := stateOf(ts)
	if args[0] != "start" && st.fake == nil {
		ts.Fatalf("fake %s: run 'fake start' first", args[0])
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "start":
		fakeStart(ts, st, args)
	case "user":
		fs := flag.NewFlagSet("fake user", flag.ContinueOnError)
		admin := fs.Bool("admin", false, "system administrator")
		ts.Check(fs.Parse(args))
		if fs.NArg() < 1 {
			ts.Fatalf("usage: fake user [-admin] NAME [PASSWORD]")
		}
		password := fs.Arg(0) + "-secret-pw"
		if fs.NArg() > 1 {
			password = fs.Arg(1)
		}
		st.fake.AddUser(fs.Arg(0), password, *admin)
	case "deactivate":
		needArgs(ts, args, 1, "fake deactivate USER")
		st.fake.SetUserActive(args[0], false)
	case "archive":
		needArgs(ts, args, 2, "fake archive KEY SLUG")
		st.fake.SetRepoArchived(args[0], args[1], true)
	case "compare":
		needArgs(ts, args, 1, "fake compare FILE")
		compareInventory(ts, st.fake, ts.ReadFile(args[0]))
	case "project":
		needArgs(ts, args, 1, "fake project KEY")
		st.fake.AddProject(args[0], args[0]+" project")
	case "repo":
		needArgs(ts, args, 2, "fake repo KEY SLUG")
		st.fake.AddRepo(args[0], args[1])
	case "token":
		fakeToken(ts, st, args)
	case "seed":
		fakeSeed(ts, st, args)
	case "use":
		for _, id := range args {
			fakeUse(ts, st, id)
		}
	case "advance":
		needArgs(ts, args, 1, "fake advance AGE")
		st.fake.Advance(parseAge(ts, args[0]))
	case "fault":
		fakeFault(ts, st, args)
	case "policy":
		needArgs(ts, args, 1, "fake policy DAYS")
		days, err := strconv.Atoi(args[0])
		ts.Check(err)
		st.fake.SetExpiryPolicy(days)
	case "tokens":
		for _, t := range st.fake.Tokens() {
			fmt.Fprintf(ts.Stdout(), "%s %s %s\n", t.Scope, t.ID, t.Name)
		}
	case "id":
		needArgs(ts, args, 3, "fake id VAR SCOPE NAME")
		var ids []string
		for _, t := range st.fake.Tokens() {
			if t.Scope == args[1] && t.Name == args[2] {
				ids = append(ids, t.ID)
			}
		}
		if len(ids) != 1 {
			ts.Fatalf("fake id: %d tokens named %q in %s, want 1", len(ids), args[2], args[1])
		}
		ts.Setenv(args[0], ids[0])
	case "requests":
		for _, r := range st.fake.Requests() {
			fmt.Fprintf(ts.Stdout(), "%s %s %d\n", r.Method, r.RawPath, r.Status)
		}
	case "reset":
		st.fake.ResetRequests()
	case "count":
		fmt.Fprintln(ts.Stdout(), len(st.fake.Requests()))
	case "noleak":
		fakeNoLeak(ts, st)
	case "secret":
		needArgs(ts, args, 1, "fake secret ID")
		fmt.Fprintln(ts.Stdout(), st.secrets[args[0]])
	case "minted":
		fs := flag.NewFlagSet("fake minted", flag.ContinueOnError)
		as := fs.String("as", "", "environment variable to hold the secret instead of printing it")
		ts.Check(fs.Parse(args))
		minted := st.fake.MintedSecrets()
		if len(minted) == 0 {
			ts.Fatalf("fake minted: no secret minted yet")
		}
		if *as != "" {
			ts.Setenv(*as, minted[len(minted)-1])
			break
		}
		fmt.Fprintln(ts.Stdout(), minted[len(minted)-1])
	default:
		ts.Fatalf("fake: unknown subcommand %q", sub)
	}
}

func needArgs(ts *testscript.TestScript, args []string, n int, usage string) {
	if len(args) != n {
		ts.Fatalf("usage: %s", usage)
	}
}

func fakeStart(ts *testscript.TestScript, st *fakeState, args []string) {
	if st.fake != nil {
		ts.Fatalf("fake start: already started")
	}
	fs := flag.NewFlagSet("fake start", flag.ContinueOnError)
	empty := fs.Bool("empty", false, "no demo users, project or repository (admin is still added)")
	ago := fs.String("ago", "0d", "start the clock this long before now")
	world := fs.String("world", "", "a generated world: demo, or PROJECTSxREPOSxUSERSxTOKENS")
	rateLimit := fs.String("rate-limit", "", "per-user rate limit BURST:REFILL_PER_S, as Bitbucket's")
	unprefixed := fs.Bool("unprefixed-secrets", false, `secrets without "BBDC-", as older servers mint them`)
	version := fs.String("server-version", "", "answer as this Bitbucket version does (MAJOR.MINOR[.PATCH])")
	noPolicy := fs.Bool("no-policy-endpoint", false, "no admin expiry-policy endpoint (404), as 9.2 and 9.4 specifications show")
	ts.Check(fs.Parse(args))
	opts := []accesstokenstest.Option{
		accesstokenstest.WithClock(time.Now().Add(-parseAge(ts, *ago))),
		accesstokenstest.WithRequestHistory(10000),
	}
	if *empty {
		opts = append(opts, accesstokenstest.WithEmptyWorld())
	}
	if *world != "" {
		opts = append(opts, accesstokenstest.WithWorld(parseWorld(ts, *world)))
	}
	if *unprefixed {
		opts = append(opts, accesstokenstest.WithUnprefixedSecrets())
	}
	if *version != "" {
		ts.Check(accesstokenstest.CheckServerVersion(*version))
		opts = append(opts, accesstokenstest.WithServerVersion(*version))
	}
	if *noPolicy {
		opts = append(opts, accesstokenstest.WithoutExpiryPolicyEndpoint())
	}
	if *rateLimit != "" {
		rl, err := accesstokenstest.ParseRateLimit(*rateLimit)
		ts.Check(err)
		opts = append(opts, accesstokenstest.WithRateLimit(rl))
	}
	st.fake = accesstokenstest.NewFake(opts...)
	if *empty {
		st.fake.AddUser(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword, true)
	}
	st.gate = &gate{next: st.fake}
	srv := httptest.NewServer(st.gate)
	ts.Defer(func() {
		st.gate.open()
		srv.Close()
	})
	st.url = srv.URL
	st.secrets = map[string]string{}
	ts.Setenv("BITBUCKET_URL", srv.URL)
	ts.Setenv("BITBUCKET_USERNAME", accesstokenstest.DemoAdmin)
	ts.Setenv("BITBUCKET_PASSWORD", accesstokenstest.DemoAdminPassword)
}

func fakeToken(ts *testscript.TestScript, st *fakeState, args []string) {
	fs := flag.NewFlagSet("fake token", flag.ContinueOnError)
	as := fs.String("as", "", "environment variable to hold the id")
	secretVar := fs.String("secret", "", "environment variable to hold the secret")
	expiry := fs.Int("expiry", 0, "expiry in days (0: never)")
	ts.Check(fs.Parse(args))
	if fs.NArg() < 3 {
		ts.Fatalf("usage: fake token [-as VAR] [-secret VAR] [-expiry DAYS] SCOPE NAME PERM...")
	}
	id, secret := st.fake.MintToken(fs.Arg(0), fs.Arg(1), *expiry, fs.Args()[2:]...)
	st.secrets[id] = secret
	if *as != "" {
		ts.Setenv(*as, id)
	}
	if *secretVar != "" {
		ts.Setenv(*secretVar, secret)
	}
}

func fakeSeed(ts *testscript.TestScript, st *fakeState, args []string) {
	fs := flag.NewFlagSet("fake seed", flag.ContinueOnError)
	expiry := fs.Int("expiry", 0, "expiry in days (0: never)")
	ts.Check(fs.Parse(args))
	if fs.NArg() != 2 {
		ts.Fatalf("usage: fake seed [-expiry DAYS] SCOPE N")
	}
	n, err := strconv.Atoi(fs.Arg(1))
	ts.Check(err)
	if *expiry == 0 {
		st.fake.SeedTokens(fs.Arg(0), n)
		return
	}
	for i := range n {
		st.fake.MintToken(fs.Arg(0), "seed-"+strconv.Itoa(i), *expiry, "REPO_READ")
	}
}

// fakeUse authenticates with a token, as a CI job would; the fake records the use whatever it answers.
func fakeUse(ts *testscript.TestScript, st *fakeState, id string) {
	secret, ok := st.secrets[id]
	if !ok {
		ts.Fatalf("fake use: no secret for token %q (issue it with fake token)", id)
	}
	req, err := http.NewRequest(http.MethodGet, st.url+accesstokenstest.APIPath+"/users/nobody", nil)
	ts.Check(err)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	_ = resp.Body.Close()
}

// fakeNoLeak fails when the last command's stdout or stderr holds a
// secret the fake made, or its base64 part alone.
func fakeNoLeak(ts *testscript.TestScript, st *fakeState) {
	out := ts.ReadFile("stdout") + ts.ReadFile("stderr")
	for _, secret := range st.fake.MintedSecrets() {
		if strings.Contains(out, strings.TrimPrefix(secret, "BBDC-")) {
			ts.Fatalf("fake noleak: the output holds a secret")
		}
	}
}

func fakeFault(ts *testscript.TestScript, st *fakeState, args []string) {
	fs := flag.NewFlagSet("fake fault", flag.ContinueOnError)
	body := fs.String("body", "", "the answer's body (default: Bitbucket's error envelope)")
	retryAfter := fs.String("retry-after", "", "the answer's Retry-After header")
	delay := fs.String("delay", "", "wait this long (or until the client gives up) before answering")
	ts.Check(fs.Parse(args))
	args = fs.Args()
	if len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: fake fault [-body BODY] [-retry-after SECONDS] [-delay AGE] METHOD PATH STATUS [TIMES]")
	}
	status, err := strconv.Atoi(args[2])
	ts.Check(err)
	times := 1
	if len(args) == 4 {
		times, err = strconv.Atoi(args[3])
		ts.Check(err)
	}
	fl := accesstokenstest.Fault{Method: args[0], Path: args[1], Status: status, Times: times, Body: *body, RetryAfter: *retryAfter}
	if strings.HasPrefix(*body, "{") {
		fl.ContentType = "application/json"
	}
	if *delay != "" {
		fl.Delay = parseAge(ts, *delay)
	}
	st.fake.InjectFault(fl)
}

// parseAge reads "200d", "12h" or any time.ParseDuration string.
func parseAge(ts *testscript.TestScript, s string) time.Duration {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		ts.Check(err)
		return time.Duration(n) * 24 * time.Hour
	}
	d, err := time.ParseDuration(s)
	ts.Check(err)
	return d
}

// gate holds the first request matching an armed method and path prefix
// until it is opened (or its client goes away): `interrupt` uses it to
// signal a command while exactly one of its requests is in flight. Other
// requests wait until the held one has been handled, so a client that gives
// up on it and then looks for what it did (Rotate does) sees the outcome.
type gate struct {
	next http.Handler

	mu      sync.Mutex
	method  string
	prefix  string
	held    chan struct{} // closed when a request is being held
	release chan struct{} // closed to let it through
	handled chan struct{} // closed once the held request was handled
}

func (g *gate) arm(method, prefix string) (held <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.method, g.prefix = method, prefix
	g.held, g.release, g.handled = make(chan struct{}), make(chan struct{}), nil
	return g.held
}

// open lets the held request through and holds no other.
func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.release != nil {
		close(g.release)
	}
	g.method, g.release = "", nil
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	var release, handled chan struct{}
	if g.method != "" && r.Method == g.method && strings.HasPrefix(r.URL.EscapedPath(), g.prefix) {
		release, handled = g.release, make(chan struct{})
		g.handled = handled
		close(g.held)
		g.method = "" // hold only the first
	}
	wait := g.handled
	if handled != nil {
		wait = nil // the held request does not wait for itself
	}
	g.mu.Unlock()

	if release == nil {
		if wait != nil {
			select {
			case <-wait:
			case <-r.Context().Done():
			}
		}
		g.next.ServeHTTP(w, r)
		return
	}
	// Read the body first: net/http notices a client that goes away (and
	// ends r's context) only once the body is read.
	body, err := io.ReadAll(r.Body)
	if err == nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	select {
	case <-release:
	case <-r.Context().Done():
	}
	g.next.ServeHTTP(w, r)
	close(handled)
}

// hangGuard bounds every wait of interrupt: generous, it only turns a hang into a failure.
const hangGuard = 2 * time.Minute

// cmdInterrupt: interrupt [-twice] [-abandons] [-unread-stdout] CODE METHOD PATHPREFIX PROGRAM [ARGS...]
//
// Runs PROGRAM with the first request matching METHOD and PATHPREFIX (an
// escaped path, e.g. /rest/access-tokens/latest/projects/PRJ/) held by the
// fake; sends it SIGINT while that request is in flight; waits until the
// program says on stderr that it was interrupted; then lets the request
// through. With -twice, a second SIGINT follows once the first was noticed,
// and the request goes through once its client has gone away (the fake
// handles it anyway, as a server would that did not notice). With -abandons (a reading command,
// which abandons the request in flight at the first signal), the request likewise goes through
// only once its client has gone away: were it let through at once, its answer could still reach
// a client whose cancellation is under way. With -unread-stdout, the program's stdout is a pipe
// read only once it has ended, as a pager's that does not read: a program that writes more than
// the pipe holds is stuck writing. The program's exit code must be CODE; its stdout and
// stderr are then checked with stdout and stderr as usual. No sleeps: each
// step waits for the one before it.
func cmdInterrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! interrupt")
	}
	var twice, abandons, unread bool
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-twice":
			twice = true
		case "-abandons":
			abandons = true
		case "-unread-stdout":
			unread = true
		default:
			ts.Fatalf("interrupt: unknown flag %s", args[0])
		}
		args = args[1:]
	}
	if len(args) < 4 {
		ts.Fatalf("usage: interrupt [-twice] [-abandons] [-unread-stdout] CODE METHOD PATHPREFIX PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	st := stateOf(ts)
	if st.fake == nil {
		ts.Fatalf("interrupt: run 'fake start' first")
	}
	held := st.gate.arm(args[1], args[2])
	defer st.gate.open()

	cmd := exec.Command(lookPath(ts, args[3]), args[4:]...)
	cmd.Dir = ts.MkAbs(".")
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "WORK", "BITBUCKET_URL", "BITBUCKET_USERNAME", "BITBUCKET_PASSWORD", "BITBUCKET_TOKEN", "GORACE"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	var unreadOut, stdoutEnd *os.File // -unread-stdout's pipe: read once PROGRAM has ended
	if unread {
		unreadOut, stdoutEnd, err = os.Pipe()
		ts.Check(err)
		defer unreadOut.Close()
		cmd.Stdout = stdoutEnd
	}
	stderrPipe, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	if stdoutEnd != nil {
		_ = stdoutEnd.Close() // PROGRAM holds its own copy
	}

	watch := watchStderr(stderrPipe)
	noticed, abandoned, readDone := watch.noticed, watch.noticedAgain, watch.done
	fail := func(format string, a ...any) {
		_ = cmd.Process.Kill()
		<-readDone
		_ = cmd.Wait()
		ts.Logf("[stdout]\n%s[stderr]\n%s", stdout.String(), watch.text.String())
		ts.Fatalf(format, a...)
	}
	select {
	case <-held:
	case <-readDone:
		fail("interrupt: %s ended before sending %s %s*", args[3], args[1], args[2])
	case <-time.After(hangGuard):
		fail("interrupt: no %s %s* request within %v", args[1], args[2], hangGuard)
	}
	ts.Check(cmd.Process.Signal(os.Interrupt))
	select {
	case <-noticed:
	case <-time.After(hangGuard):
		fail("interrupt: %s did not say it was interrupted within %v", args[3], hangGuard)
	}
	if twice {
		ts.Check(cmd.Process.Signal(os.Interrupt))
		select {
		case <-abandoned:
		case <-time.After(hangGuard):
			fail("interrupt: %s did not say it abandoned the step within %v", args[3], hangGuard)
		}
		// The gate stays shut: the held request goes through once the fake
		// sees its client gone. Opening it now would race the client's
		// cancellation with the fake's answer, which could still arrive first.
	} else if !abandons {
		st.gate.open()
	}
	<-readDone
	err = cmd.Wait()
	if unreadOut != nil {
		b, err := io.ReadAll(unreadOut)
		ts.Check(err)
		stdout.Write(b)
	}
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("interrupt: %v", err)
	}
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), watch.text.String())
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// lookPath finds a program on the script's PATH (where accesstokens is).
func lookPath(ts *testscript.TestScript, prog string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, prog)
		if info, err := os.Stat(p); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	ts.Fatalf("%s not found on the script's PATH", prog)
	return ""
}

// parseWorld reads "demo" or "PROJECTSxREPOSxUSERSxTOKENS".
func parseWorld(ts *testscript.TestScript, spec string) accesstokenstest.World {
	if spec == "demo" {
		return accesstokenstest.DemoWorld()
	}
	parts := strings.Split(spec, "x")
	if len(parts) != 4 {
		ts.Fatalf("fake start -world %q: want demo or PROJECTSxREPOSxUSERSxTOKENS", spec)
	}
	n := make([]int, 4)
	for i, p := range parts {
		var err error
		n[i], err = strconv.Atoi(p)
		ts.Check(err)
	}
	return accesstokenstest.World{Projects: n[0], ReposPerProject: n[1], Users: n[2], TokensPerScope: n[3], Seed: 1}
}

// stderrWatch reads a program's stderr line by line, keeps it, and says when
// the program has announced the first and the second interrupt.
type stderrWatch struct {
	text         strings.Builder // complete once done is closed
	noticed      chan struct{}   // "interrupted: " was written
	noticedAgain chan struct{}   // "interrupted again" was written
	done         chan struct{}   // stderr reached its end
}

// watchStderr starts reading r.
func watchStderr(r io.Reader) *stderrWatch {
	w := &stderrWatch{noticed: make(chan struct{}), noticedAgain: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(r)
		var once, onceAgain sync.Once
		for sc.Scan() {
			w.text.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "interrupted: ") {
				once.Do(func() { close(w.noticed) })
			}
			if strings.Contains(sc.Text(), "interrupted again") {
				onceAgain.Do(func() { close(w.noticedAgain) })
			}
		}
	}()
	return w
}
