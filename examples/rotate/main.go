// Command rotate replaces an access token with a fresh one of the same name,
// permissions and expiry length, then revokes the old one.
//
// Usage:
//
//	rotate -project KEY [-repo SLUG] -id TOKEN_ID [-reveal]
//	rotate -user SLUG -id TOKEN_ID [-reveal]
//
// Against a real server, set BITBUCKET_URL and BITBUCKET_USERNAME with
// BITBUCKET_PASSWORD. BITBUCKET_TOKEN is read too, but Bitbucket never lets a
// token create or revoke tokens, so rotation needs a password. Credentials
// are only sent over https or to loopback; set BITBUCKET_INSECURE_HTTP=1 to
// send them over plain http to another host anyway (a test server you trust).
//
// A rotation takes four steps:
//
//  1. read the old token, and note the ids of the scope's tokens with its name;
//  2. create the replacement with the same name and permissions and an expiry
//     of the same length: whole days from the old token's creation to its
//     expiry, rounded up (up to an hour of daylight-saving shift is ignored),
//     or none if the old token never expires;
//  3. verify it: read it back by id and compare; a personal token's new secret
//     is also used once to authenticate (project and repository tokens cannot
//     call this API, so theirs is not tried);
//  4. revoke the old token.
//
// If the create fails in a way that leaves its outcome unknown (a server
// error, a lost connection, an interruption), the scope is listed again and a
// token with the old one's name and an id not seen in step 1 is revoked: the
// server created it, but its secret was lost. If step 3 or 4 fails, the new
// token is revoked again, so no orphan is left and the old token keeps
// working; the error says what failed, and names the new token if undoing
// failed too. When the revoke of the old token fails, the old token is read
// again: if the server revoked it after all, the new token is kept; if the
// old token's state cannot be told, the new token is kept too (its secret is
// printed) and the error names both tokens, so that the old one can be
// checked by hand. These checks and repairs run even after SIGINT or SIGTERM,
// each bounded by a timeout of its own.
//
// The new secret is printed masked except for its last four characters: a
// rotation's output tends to end up in CI logs and terminal scrollback. Pass
// -reveal to print it whole, to hand it to a secret store; the server never
// shows it again.
//
// With BITBUCKET_URL unset, rotate starts the built-in fake Bitbucket
// in-process, creates a demo token (on project PRJ unless a scope is given;
// not at all when -id is given), lets ten days pass on the fake clock and
// rotates it. It acts as alice, or as the demo user named by -user:
//
//	go run ./examples/rotate
//	go run ./examples/rotate -repo repo -reveal
//
// It exits with status 1 on any error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	// SIGTERM too: CI cancellation, timeout(1) and Kubernetes send it, and an
	// uncaught one would kill the program between the create and the revoke.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "rotate:", err)
		os.Exit(1)
	}
}

// options are the parsed command line.
type options struct {
	scope  scope
	id     string
	reveal bool
	// clientOpts go to every client the program makes (from the environment).
	clientOpts []accesstokens.Option
}

// run is the whole program, with its output, arguments and environment passed in.
func run(ctx context.Context, out io.Writer, args []string, getenv func(string) string) error {
	opts, err := parseArgs(args, out)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	baseURL := getenv("BITBUCKET_URL")
	if baseURL == "" {
		if opts.scope.user == "" && opts.scope.project == "" {
			opts.scope.project = accesstokenstest.DemoProject
		}
		if err := opts.scope.check(); err != nil {
			return err
		}
		return runDemo(ctx, out, opts)
	}
	if err := opts.scope.check(); err != nil {
		return err
	}
	if opts.scope.empty() {
		return errors.New("choose the token's scope: -user SLUG, or -project KEY [-repo SLUG]")
	}
	if opts.id == "" {
		return errors.New("-id is required: the id of the token to rotate")
	}
	opts.clientOpts = clientOptions(getenv)
	client, err := accesstokens.NewClientFromEnv(accesstokens.WithUserAgent("rotate"))
	if err != nil {
		return err
	}
	err = rotateAndReport(ctx, out, client, baseURL, opts)
	if errors.Is(err, accesstokens.ErrUnauthorized) && getenv("BITBUCKET_TOKEN") != "" {
		err = fmt.Errorf("%w (tokens cannot manage tokens: set BITBUCKET_USERNAME and BITBUCKET_PASSWORD instead of BITBUCKET_TOKEN)", err)
	}
	return err
}

// clientOptions go to the client that tries the new secret, which is built
// with NewClient and so does not read the environment: the user agent, and
// WithInsecureHTTP when BITBUCKET_INSECURE_HTTP allowed it for the first client.
func clientOptions(getenv func(string) string) []accesstokens.Option {
	opts := []accesstokens.Option{accesstokens.WithUserAgent("rotate")}
	if insecure, _ := strconv.ParseBool(getenv("BITBUCKET_INSECURE_HTTP")); insecure {
		opts = append(opts, accesstokens.WithInsecureHTTP())
	}
	return opts
}

func parseArgs(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("rotate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.scope.user, "user", "", "rotate a personal token of the user `SLUG`")
	fs.StringVar(&o.scope.project, "project", "", "rotate a token of the project `KEY`")
	fs.StringVar(&o.scope.repo, "repo", "", "with -project: rotate a token of the repository `SLUG`")
	fs.StringVar(&o.id, "id", "", "`TOKEN_ID` of the token to rotate (required with BITBUCKET_URL)")
	fs.BoolVar(&o.reveal, "reveal", false, "print the new secret whole instead of masked")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: rotate (-user SLUG | -project KEY [-repo SLUG]) -id TOKEN_ID [-reveal]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	}
	return o, nil
}

// scope is where a token lives: a user's personal tokens, a project's, or a repository's.
type scope struct{ user, project, repo string }

func (s scope) empty() bool { return s.user == "" && s.project == "" && s.repo == "" }

func (s scope) check() error {
	switch {
	case s.user != "" && (s.project != "" || s.repo != ""):
		return errors.New("choose either -user or -project [-repo], not both")
	case s.repo != "" && s.project == "":
		return errors.New("-repo needs -project: a repository lives in a project")
	}
	return nil
}

func (s scope) String() string {
	switch {
	case s.user != "":
		return "user " + s.user
	case s.repo != "":
		return "repository " + s.project + "/" + s.repo
	default:
		return "project " + s.project
	}
}

// tokenStore is what a rotation needs from the SDK, bound to one scope.
type tokenStore struct {
	all    func(ctx context.Context) iter.Seq2[accesstokens.AccessToken, error]
	get    func(ctx context.Context, id string) (*accesstokens.AccessToken, error)
	create func(ctx context.Context, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error)
	revoke func(ctx context.Context, id string) error
}

func storeFor(c *accesstokens.Client, s scope) tokenStore {
	switch {
	case s.user != "":
		return tokenStore{
			all: func(ctx context.Context) iter.Seq2[accesstokens.AccessToken, error] {
				return c.UserTokens.All(ctx, s.user, nil)
			},
			get: func(ctx context.Context, id string) (*accesstokens.AccessToken, error) {
				return c.UserTokens.Get(ctx, s.user, id)
			},
			create: func(ctx context.Context, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.UserTokens.Create(ctx, s.user, req)
			},
			revoke: func(ctx context.Context, id string) error { return c.UserTokens.Delete(ctx, s.user, id) },
		}
	case s.repo != "":
		return tokenStore{
			all: func(ctx context.Context) iter.Seq2[accesstokens.AccessToken, error] {
				return c.RepoTokens.All(ctx, s.project, s.repo, nil)
			},
			get: func(ctx context.Context, id string) (*accesstokens.AccessToken, error) {
				return c.RepoTokens.Get(ctx, s.project, s.repo, id)
			},
			create: func(ctx context.Context, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.RepoTokens.Create(ctx, s.project, s.repo, req)
			},
			revoke: func(ctx context.Context, id string) error { return c.RepoTokens.Delete(ctx, s.project, s.repo, id) },
		}
	default:
		return tokenStore{
			all: func(ctx context.Context) iter.Seq2[accesstokens.AccessToken, error] {
				return c.ProjectTokens.All(ctx, s.project, nil)
			},
			get: func(ctx context.Context, id string) (*accesstokens.AccessToken, error) {
				return c.ProjectTokens.Get(ctx, s.project, id)
			},
			create: func(ctx context.Context, req accesstokens.CreateTokenRequest) (*accesstokens.RawAccessToken, error) {
				return c.ProjectTokens.Create(ctx, s.project, req)
			},
			revoke: func(ctx context.Context, id string) error { return c.ProjectTokens.Delete(ctx, s.project, id) },
		}
	}
}

// rotator performs one rotation and narrates it.
type rotator struct {
	scope scope
	store tokenStore
	// tryToken authenticates with a new secret and reads the token it belongs
	// to; nil when tokens of the scope cannot call this API.
	tryToken func(ctx context.Context, secret accesstokens.Secret, id string) error
	say      func(format string, args ...any)
}

// newRotator rotates tokens of s through c; clientOpts go to the client that
// tries a new personal secret.
func newRotator(out io.Writer, c *accesstokens.Client, baseURL string, s scope, clientOpts []accesstokens.Option) *rotator {
	r := &rotator{
		scope: s,
		store: storeFor(c, s),
		say:   func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) },
	}
	if s.user != "" {
		// Only a personal token may use this API, and only to read its owner's tokens.
		r.tryToken = func(ctx context.Context, secret accesstokens.Secret, id string) error {
			opts := append([]accesstokens.Option{accesstokens.WithToken(secret.Reveal())}, clientOpts...)
			tc, err := accesstokens.NewClient(baseURL, opts...)
			if err != nil {
				return err
			}
			_, err = tc.UserTokens.Get(ctx, s.user, id)
			return err
		}
	}
	return r
}

// rotateAndReport rotates opts.id in opts.scope and prints the new token.
// The new secret is printed whenever the new token is kept, even when the
// rotation ends with an error (the old token's state unknown): the server
// never shows it again.
func rotateAndReport(ctx context.Context, out io.Writer, c *accesstokens.Client, baseURL string, opts options) error {
	created, err := newRotator(out, c, baseURL, opts.scope, opts.clientOpts).rotate(ctx, opts.id)
	if created != nil {
		printSecret(out, created, opts.reveal)
	}
	return err
}

// rotate replaces token id and returns the new token with its secret. A
// non-nil token comes with a nil error, or with one that says the old
// token's state is unknown; either way the new token was kept.
func (r *rotator) rotate(ctx context.Context, id string) (*accesstokens.RawAccessToken, error) {
	old, err := r.store.get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("reading token %s of %s: %w", id, r.scope, err)
	}
	req := replacementFor(*old)
	r.say("Rotating token %s %q of %s", old.ID, old.Name, r.scope)
	r.say("  old token: %s, permissions %s", describeExpiry(old), joinPermissions(old.Permissions))

	// Noted so that a token the create made without telling can be found.
	before, err := r.idsNamed(ctx, old.Name)
	if err != nil {
		return nil, fmt.Errorf("listing the tokens of %s: %w (nothing was changed)", r.scope, err)
	}

	created, err := r.store.create(ctx, req)
	if err != nil {
		return nil, r.createFailed(ctx, old, before, err)
	}
	r.say("  created the replacement %s, %s", created.ID, describeExpiry(&created.AccessToken))

	if err := r.verify(ctx, req, created); err != nil {
		return nil, r.undo(ctx, created.ID, old.ID, fmt.Errorf("verifying the new token %s: %w", created.ID, err))
	}
	return r.revokeOld(ctx, old.ID, created)
}

// cleanupTimeout bounds each check or repair made after a failure.
const cleanupTimeout = 30 * time.Second

// cleanupContext is for checks and repairs after a failure: they run even
// when ctx was cancelled (an interruption must not leave an orphan), but not
// for ever.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}

// idsNamed returns the ids of the scope's tokens named name.
func (r *rotator) idsNamed(ctx context.Context, name string) (map[string]bool, error) {
	ids := map[string]bool{}
	for t, err := range r.store.all(ctx) {
		if err != nil {
			return nil, err
		}
		if t.Name == name {
			ids[t.ID] = true
		}
	}
	return ids, nil
}

// replacementFor asks for a token like old: same name, permissions and expiry length.
func replacementFor(old accesstokens.AccessToken) accesstokens.CreateTokenRequest {
	return accesstokens.CreateTokenRequest{
		Name:        old.Name,
		Permissions: slices.Clone(old.Permissions),
		ExpiryDays:  expiryDays(old),
	}
}

// dstSlack is how far beyond whole days an expiry may lie and still count as
// whole days: servers add days in their local time zone, so a token that
// spans a daylight-saving change lives an hour more or less than N*24h.
const dstSlack = time.Hour

// expiryDays is a token's lifetime in days, rounded up; 0 when it never expires.
func expiryDays(t accesstokens.AccessToken) int {
	if t.ExpiryDate == nil {
		return 0
	}
	life := t.ExpiryDate.Sub(t.CreatedDate) - dstSlack
	const day = 24 * time.Hour
	days := int((life + day - 1) / day)
	return max(days, 1)
}

// createFailed explains a failed create, after cleaning up behind it. A 4xx
// answer means nothing changed. Otherwise (a 5xx answer, a lost connection,
// an interruption) the server may have created the token and lost its
// answer: the scope is listed again and any token named like old whose id
// was not in before is revoked, since nobody has its secret.
func (r *rotator) createFailed(ctx context.Context, old *accesstokens.AccessToken, before map[string]bool, err error) error {
	what := fmt.Sprintf("creating the replacement for %q", old.Name)
	var apiErr *accesstokens.Error
	if errors.As(err, &apiErr) && apiErr.StatusCode < 500 {
		return fmt.Errorf("%s: %w (nothing was changed; the old token %s still works)", what, err, old.ID)
	}
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	after, listErr := r.idsNamed(ctx, old.Name)
	if listErr != nil {
		return fmt.Errorf("%s: %w; the server may have created a token named %q anyway, and listing the tokens of %s to find it failed: %w; "+
			"the old token %s still works: look for a second token named %q in %s and revoke it by hand",
			what, err, old.Name, r.scope, listErr, old.ID, old.Name, r.scope)
	}
	var strays []string
	for id := range after {
		if !before[id] {
			strays = append(strays, id)
		}
	}
	slices.Sort(strays)
	if len(strays) == 0 {
		return fmt.Errorf("%s: %w (the server created no token after all: nothing was changed; the old token %s still works)", what, err, old.ID)
	}
	var revoked []string
	var failures []error
	for _, id := range strays {
		if rerr := r.store.revoke(ctx, id); rerr != nil && !errors.Is(rerr, accesstokens.ErrNotFound) {
			failures = append(failures, fmt.Errorf("revoking token %s: %w", id, rerr))
			continue
		}
		revoked = append(revoked, id)
		r.say("  the create answered an error, but the server created token %s anyway: revoked it", id)
	}
	if len(failures) > 0 {
		return fmt.Errorf("%s: %w; the server created a token named %q anyway (%s) and undoing failed: %w: revoke it by hand; the old token %s still works",
			what, err, old.Name, strings.Join(strays, ", "), errors.Join(failures...), old.ID)
	}
	return fmt.Errorf("%s: %w; the server created token %s anyway, and it was revoked again: nothing was changed; the old token %s still works",
		what, err, strings.Join(revoked, ", "), old.ID)
}

// verify reads the new token back and checks it is what was asked for.
func (r *rotator) verify(ctx context.Context, want accesstokens.CreateTokenRequest, created *accesstokens.RawAccessToken) error {
	got, err := r.store.get(ctx, created.ID)
	if err != nil {
		return err
	}
	switch {
	case got.Name != want.Name:
		return fmt.Errorf("the server named it %q, want %q", got.Name, want.Name)
	case !samePermissions(got.Permissions, want.Permissions):
		return fmt.Errorf("it has permissions %s, want %s", joinPermissions(got.Permissions), joinPermissions(want.Permissions))
	case expiryDays(*got) != want.ExpiryDays:
		return fmt.Errorf("it lives %d days, want %d (0: no expiry)", expiryDays(*got), want.ExpiryDays)
	}
	r.say("  verified: read back by id, same name, permissions and expiry length")
	if r.tryToken == nil {
		return nil
	}
	if err := r.tryToken(ctx, created.Token, created.ID); err != nil {
		return fmt.Errorf("authenticating with the new secret: %w", err)
	}
	r.say("  verified: the new secret authenticates")
	return nil
}

// revokeOld deletes the old token and returns created when the new token is
// kept. When the delete reports an error, the old token is read again (even
// if ctx was cancelled): gone means the server acted and the answer was lost,
// which is success; still there means the rotation is undone; unknown means
// the new token is kept (undoing could leave no working token at all) and the
// error names both.
func (r *rotator) revokeOld(ctx context.Context, oldID string, created *accesstokens.RawAccessToken) (*accesstokens.RawAccessToken, error) {
	err := r.store.revoke(ctx, oldID)
	if err == nil {
		r.say("  revoked the old token %s", oldID)
		return created, nil
	}
	checkCtx, cancel := cleanupContext(ctx)
	_, getErr := r.store.get(checkCtx, oldID)
	cancel()
	switch {
	case getErr == nil:
		return nil, r.undo(ctx, created.ID, oldID, fmt.Errorf("revoking the old token %s: %w", oldID, err))
	case errors.Is(getErr, accesstokens.ErrNotFound):
		r.say("  the revoke answered %v, but the old token is gone: keeping the new one", err)
		return created, nil
	default:
		r.say("  the revoke failed and the old token %s could not be read back: keeping the new token %s", oldID, created.ID)
		return created, fmt.Errorf("revoking the old token %s: %w; reading it back to see whether it is gone failed too: %w; "+
			"the new token %s was kept (its secret is printed above) and the old token %s may still exist: check it and revoke it by hand",
			oldID, err, getErr, created.ID, oldID)
	}
}

// undo revokes the new token after a failed step, so that no orphan is left.
// It runs even when ctx was cancelled: leaving the orphan would be worse.
func (r *rotator) undo(ctx context.Context, newID, oldID string, cause error) error {
	ctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err := r.store.revoke(ctx, newID); err != nil && !errors.Is(err, accesstokens.ErrNotFound) {
		return fmt.Errorf("%w; undoing also failed, revoking the new token %s: %w: revoke it by hand", cause, newID, err)
	}
	r.say("  undone: revoked the new token %s again", newID)
	return fmt.Errorf("%w; the new token %s was revoked again and the old token %s was left in place", cause, newID, oldID)
}

func samePermissions(a, b []accesstokens.Permission) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func joinPermissions(ps []accesstokens.Permission) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, ", ")
}

func describeExpiry(t *accesstokens.AccessToken) string {
	if t.ExpiryDate == nil {
		return "never expires"
	}
	return fmt.Sprintf("expires %s (%d-day token)", t.ExpiryDate.UTC().Format(time.DateOnly), expiryDays(*t))
}

// printSecret shows the new token and its secret, masked unless reveal.
func printSecret(out io.Writer, t *accesstokens.RawAccessToken, reveal bool) {
	fmt.Fprintf(out, "\nNew token %s %q: %s\n", t.ID, t.Name, describeExpiry(&t.AccessToken))
	if reveal {
		fmt.Fprintf(out, "  secret: %s\n", t.Token.Reveal())
		fmt.Fprintln(out, "  store it now: the server never shows it again")
		return
	}
	fmt.Fprintf(out, "  secret: %s (masked; run with -reveal to print it whole, once: the server never shows it again)\n", mask(t.Token))
}

// mask shows only the last four characters of a secret, behind a fixed run of
// stars so that the length does not show either; short secrets stay hidden.
func mask(s accesstokens.Secret) string {
	v := s.Reveal()
	if len(v) <= 8 {
		return strings.Repeat("*", 12)
	}
	return strings.Repeat("*", 12) + v[len(v)-4:]
}

// runDemo tells the story against the fake server.
func runDemo(ctx context.Context, out io.Writer, opts options) error {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	user := demoUser(opts.scope)
	fmt.Fprintf(out, "Started a fake Bitbucket at %s; acting as %s\n\n", srv.URL, user)
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(user, user), accesstokens.WithUserAgent("rotate"))
	if err != nil {
		return err
	}
	if opts.id == "" {
		t, err := createDemoToken(ctx, client, opts.scope)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s created the token %s %q on %s, %s\n", user, t.ID, t.Name, opts.scope, describeExpiry(t))
		srv.Advance(10 * 24 * time.Hour)
		fmt.Fprintf(out, "Ten days pass on the fake clock (now %s).\n\n", srv.Now().Format(time.DateOnly))
		opts.id = t.ID
	}
	opts.clientOpts = []accesstokens.Option{accesstokens.WithUserAgent("rotate")}
	if err := rotateAndReport(ctx, out, client, srv.URL, opts); err != nil {
		return err
	}
	_, err = storeFor(client, opts.scope).get(ctx, opts.id)
	fmt.Fprintf(out, "\nReading the old token %s again answers not found: %t\n", opts.id, errors.Is(err, accesstokens.ErrNotFound))
	fmt.Fprintln(out, "Done. The fake server stops with this program.")
	return nil
}

// demoUser is who acts in the demo: the owner for personal tokens (demo
// passwords equal user names), else alice, the admin of project PRJ.
func demoUser(s scope) string {
	switch s.user {
	case accesstokenstest.DemoAdmin, accesstokenstest.DemoAlice, accesstokenstest.DemoBob:
		return s.user
	}
	return accesstokenstest.DemoAlice
}

// createDemoToken makes a 30-day token to rotate, with permissions the scope allows.
func createDemoToken(ctx context.Context, c *accesstokens.Client, s scope) (*accesstokens.AccessToken, error) {
	req := accesstokens.CreateTokenRequest{
		Name:        "deploy-bot",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		ExpiryDays:  30,
	}
	if s.repo != "" {
		req.Permissions = []accesstokens.Permission{accesstokens.RepoWrite} // repository tokens hold no PROJECT_*
	}
	created, err := storeFor(c, s).create(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("creating the demo token on %s: %w", s, err)
	}
	return &created.AccessToken, nil
}
