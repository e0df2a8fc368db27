// Command audit lists every access token of a user, a project or a
// repository and flags the ones that need attention: expired, expiring soon,
// or unused for a long time.
//
// Usage:
//
//	audit (-user SLUG | -project KEY [-repo SLUG]) [-expiring-days N] [-unused-days N] [-json] [-now TIME] [-page-size N]
//
// A token is
//
//   - expired when its expiry date has been reached;
//   - expiring when it expires within -expiring-days (default 14) days;
//   - unused when it has not authenticated for -unused-days (default 30)
//     days; a token that never authenticated counts from its creation.
//
// An expired token gets no other flag. A 0 for -expiring-days or
// -unused-days turns that check off. The text report is an aligned table
// with a summary line; -json prints a JSON array instead, one object per
// token (id, name, status, flags, permissions, created, expiry,
// lastAuthenticated, daysToExpiry, idleDays), ordered by status (expired
// first), then name, then id. Secrets never appear: the server does not
// return them after creation.
//
// "Now" is the local clock against a real server, the fake's clock with the
// fake, or -now (RFC 3339, e.g. 2026-02-10T00:00:00Z) when given. Tokens are
// read page by page; -page-size sets the page length (default: the server's).
//
// Against a real server set BITBUCKET_URL and BITBUCKET_USERNAME with
// BITBUCKET_PASSWORD (or BITBUCKET_TOKEN, for a personal token reading its
// own owner's tokens: a token can never list other tokens). Credentials are
// only sent over https or to loopback; set BITBUCKET_INSECURE_HTTP=1 to send
// them over plain http to another host anyway (a test server you trust).
//
// With BITBUCKET_URL unset, audit starts the built-in fake Bitbucket
// in-process, seeds project PRJ with a few tokens of different expiries, lets
// forty days pass on the fake clock while some of them authenticate, and
// audits PRJ (or the scope given by flags) as admin:
//
//	go run ./examples/audit
//	go run ./examples/audit -json
//
// It exits with status 1 on any error.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "audit:", err)
		os.Exit(1)
	}
}

const day = 24 * time.Hour

// options are the parsed command line.
type options struct {
	scope        scope
	expiringDays int
	unusedDays   int
	json         bool
	now          time.Time // zero: the server's clock (fake) or the local one
	pageSize     int       // 0: the server's default
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
	if getenv("BITBUCKET_URL") == "" {
		return runDemo(ctx, out, opts)
	}
	if opts.scope.empty() {
		return errors.New("choose what to audit: -user SLUG, or -project KEY [-repo SLUG]")
	}
	client, err := accesstokens.NewClientFromEnv(accesstokens.WithUserAgent("audit"))
	if err != nil {
		return err
	}
	if opts.now.IsZero() {
		opts.now = time.Now()
	}
	err = audit(ctx, out, client, opts)
	if errors.Is(err, accesstokens.ErrUnauthorized) && getenv("BITBUCKET_TOKEN") != "" {
		err = fmt.Errorf("%w (%s)", err, tokenHint)
	}
	return err
}

// tokenHint explains a 401 met with BITBUCKET_TOKEN set.
const tokenHint = "tokens cannot manage or list other tokens; use BITBUCKET_USERNAME/BITBUCKET_PASSWORD"

func parseArgs(args []string, out io.Writer) (options, error) {
	o := options{expiringDays: 14, unusedDays: 30}
	var now string
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.scope.user, "user", "", "audit the personal tokens of the user `SLUG`")
	fs.StringVar(&o.scope.project, "project", "", "audit the tokens of the project `KEY`")
	fs.StringVar(&o.scope.repo, "repo", "", "with -project: audit the tokens of the repository `SLUG`")
	fs.IntVar(&o.expiringDays, "expiring-days", o.expiringDays, "flag tokens that expire within `N` days (0: off)")
	fs.IntVar(&o.unusedDays, "unused-days", o.unusedDays, "flag tokens unused for `N` days or more (0: off)")
	fs.BoolVar(&o.json, "json", false, "print a JSON array instead of a table")
	fs.StringVar(&now, "now", "", "audit as of `TIME` (RFC 3339) instead of the current time")
	fs.IntVar(&o.pageSize, "page-size", 0, "tokens per page `N` (0: the server's default)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: audit (-user SLUG | -project KEY [-repo SLUG]) [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q (flags only; see -h)", fs.Arg(0))
	case o.expiringDays < 0:
		return o, fmt.Errorf("-expiring-days must not be negative, got %d", o.expiringDays)
	case o.unusedDays < 0:
		return o, fmt.Errorf("-unused-days must not be negative, got %d", o.unusedDays)
	case o.pageSize < 0:
		return o, fmt.Errorf("-page-size must not be negative, got %d", o.pageSize)
	}
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return o, fmt.Errorf("-now %q is not an RFC 3339 time such as 2026-02-10T00:00:00Z", now)
		}
		o.now = t
	}
	return o, o.scope.check()
}

// scope is whose tokens to audit: a user's personal tokens, a project's, or a repository's.
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

// tokens walks every token of the scope, page after page.
func (s scope) tokens(ctx context.Context, c *accesstokens.Client, pageSize int) iter.Seq2[accesstokens.AccessToken, error] {
	var opts *accesstokens.ListOptions
	if pageSize > 0 {
		opts = &accesstokens.ListOptions{Limit: pageSize}
	}
	switch {
	case s.user != "":
		return c.UserTokens.All(ctx, s.user, opts)
	case s.repo != "":
		return c.RepoTokens.All(ctx, s.project, s.repo, opts)
	default:
		return c.ProjectTokens.All(ctx, s.project, opts)
	}
}

// The flags a token can get, worst first; a token with none is "ok".
const (
	flagExpired  = "expired"
	flagExpiring = "expiring"
	flagUnused   = "unused"
	statusOK     = "ok"
)

// severity orders statuses for the report: the worst first.
var severity = map[string]int{flagExpired: 0, flagExpiring: 1, flagUnused: 2, statusOK: 3}

// thresholds are the audit's limits; zero turns a check off.
type thresholds struct {
	expiringWithin time.Duration
	unusedFor      time.Duration
}

// classify returns the flags of a token as of now, worst first.
func classify(t accesstokens.AccessToken, now time.Time, th thresholds) []string {
	var flags []string
	if t.ExpiryDate != nil {
		if !now.Before(*t.ExpiryDate) {
			return []string{flagExpired}
		}
		if th.expiringWithin > 0 && t.ExpiryDate.Sub(now) <= th.expiringWithin {
			flags = append(flags, flagExpiring)
		}
	}
	if th.unusedFor > 0 && now.Sub(lastUse(t)) >= th.unusedFor {
		flags = append(flags, flagUnused)
	}
	return flags
}

// lastUse is when the token last authenticated, or its creation if it never did.
func lastUse(t accesstokens.AccessToken) time.Time {
	if t.LastAuthenticated != nil {
		return *t.LastAuthenticated
	}
	return t.CreatedDate
}

// record is one token in the report; it is also the JSON form.
type record struct {
	ID                string                    `json:"id"`
	Name              string                    `json:"name"`
	Status            string                    `json:"status"` // the worst flag, or "ok"
	Flags             []string                  `json:"flags"`  // every flag; [] when ok
	Permissions       []accesstokens.Permission `json:"permissions"`
	Created           time.Time                 `json:"created"`
	Expiry            *time.Time                `json:"expiry"`            // null: never expires
	LastAuthenticated *time.Time                `json:"lastAuthenticated"` // null: never used
	DaysToExpiry      *int                      `json:"daysToExpiry"`      // whole days left, negative once expired; null: never expires
	IdleDays          int                       `json:"idleDays"`          // whole days since the last use (or creation)
}

func newRecord(t accesstokens.AccessToken, now time.Time, th thresholds) record {
	r := record{
		ID:                t.ID,
		Name:              t.Name,
		Flags:             classify(t, now, th),
		Permissions:       t.Permissions,
		Created:           t.CreatedDate.UTC(),
		Expiry:            utc(t.ExpiryDate),
		LastAuthenticated: utc(t.LastAuthenticated),
		IdleDays:          int(now.Sub(lastUse(t)) / day),
	}
	if r.Flags == nil {
		r.Flags = []string{}
	}
	if r.Permissions == nil {
		r.Permissions = []accesstokens.Permission{}
	}
	r.Status = statusOK
	if len(r.Flags) > 0 {
		r.Status = r.Flags[0]
	}
	if t.ExpiryDate != nil {
		left := floorDays(t.ExpiryDate.Sub(now))
		r.DaysToExpiry = &left
	}
	return r
}

// floorDays counts whole days, rounding down, so that a token that expired
// an hour ago has -1 days left, not 0.
func floorDays(d time.Duration) int {
	days := d / day
	if d < 0 && d%day != 0 {
		days--
	}
	return int(days)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// collect reads every token of the scope and classifies it, worst first.
func collect(ctx context.Context, c *accesstokens.Client, opts options) ([]record, error) {
	th := thresholds{
		expiringWithin: time.Duration(opts.expiringDays) * day,
		unusedFor:      time.Duration(opts.unusedDays) * day,
	}
	records := []record{}
	for t, err := range opts.scope.tokens(ctx, c, opts.pageSize) {
		if err != nil {
			return nil, fmt.Errorf("listing the tokens of %s: %w", opts.scope, err)
		}
		records = append(records, newRecord(t, opts.now, th))
	}
	slices.SortStableFunc(records, func(a, b record) int {
		return cmp.Or(
			cmp.Compare(severity[a.Status], severity[b.Status]),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.ID, b.ID),
		)
	})
	return records, nil
}

// audit prints the report for opts.scope as of opts.now.
func audit(ctx context.Context, out io.Writer, c *accesstokens.Client, opts options) error {
	records, err := collect(ctx, c, opts)
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(records)
	}
	return printTable(out, records, opts)
}

func printTable(out io.Writer, records []record, opts options) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATUS\tEXPIRES\tLAST USED\tIDLE")
	for _, r := range records {
		status := strings.Join(r.Flags, ",")
		if status == "" {
			status = statusOK
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%dd\n",
			r.ID, printable(r.Name), status, dateOr(r.Expiry, "never"), dateOr(r.LastAuthenticated, "never"), r.IdleDays)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(out, summary(records, opts))
	return err
}

// summary is the report's last line: how many tokens got which flag.
func summary(records []record, opts options) string {
	count := map[string]int{}
	for _, r := range records {
		for _, f := range r.Flags {
			count[f]++
		}
		if len(r.Flags) == 0 {
			count[statusOK]++
		}
	}
	return fmt.Sprintf("%d tokens of %s as of %s: %d expired, %d expiring within %d days, %d unused for %d days or more, %d ok",
		len(records), opts.scope, opts.now.UTC().Format(time.RFC3339),
		count[flagExpired], count[flagExpiring], opts.expiringDays, count[flagUnused], opts.unusedDays, count[statusOK])
}

func dateOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.DateOnly)
}

// printable keeps a token name from breaking the table or the terminal:
// control characters (tabs, newlines, escape sequences) become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// demoToken is one token of the seeded demo, with the days (counted from the
// start of the fake clock) on which it is created and on which it authenticates.
type demoToken struct {
	name       string
	expiryDays int // 0: never expires
	createdDay int
	usedDays   []int
}

// demoDays is how long the demo runs on the fake clock before the audit.
const demoDays = 40

// demoTokens gives every status at least once, with the default thresholds.
var demoTokens = []demoToken{
	{name: "ci-pipeline", expiryDays: 365, usedDays: []int{10, 39}}, // ok
	{name: "release-bot", expiryDays: 50, usedDays: []int{38}},      // expires on day 50: expiring
	{name: "legacy-deploy", expiryDays: 30, usedDays: []int{5}},     // expired on day 30
	{name: "old-integration", usedDays: []int{2}},                   // idle 38 days: unused
	{name: "docs-preview"}, // never used, 40 days old: unused
	{name: "new-webhook", expiryDays: 90, createdDay: 35, usedDays: nil}, // never used, but 5 days old: ok
}

// runDemo seeds a fake Bitbucket and audits it.
func runDemo(ctx context.Context, out io.Writer, opts options) error {
	if opts.scope.empty() {
		opts.scope.project = accesstokenstest.DemoProject
	}
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	if err := seedDemo(ctx, srv); err != nil {
		return err
	}
	if opts.now.IsZero() {
		opts.now = srv.Now()
	}
	if !opts.json {
		fmt.Fprintf(out, "Started a fake Bitbucket at %s, gave project %s %d tokens and let %d days pass (now %s).\n",
			srv.URL, accesstokenstest.DemoProject, len(demoTokens), demoDays, srv.Now().Format(time.DateOnly))
		fmt.Fprintf(out, "Auditing %s as %s.\n\n", opts.scope, accesstokenstest.DemoAdmin)
	}
	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword),
		accesstokens.WithUserAgent("audit"))
	if err != nil {
		return err
	}
	return audit(ctx, out, client, opts)
}

// seedDemo plays demoTokens out day by day on the fake clock.
func seedDemo(ctx context.Context, srv *accesstokenstest.Server) error {
	secrets := make(map[string]string, len(demoTokens))
	for d := 0; d <= demoDays; d++ {
		for _, dt := range demoTokens {
			if dt.createdDay == d {
				_, secrets[dt.name] = srv.IssueToken(accesstokenstest.ProjectScope(accesstokenstest.DemoProject),
					dt.name, dt.expiryDays, "PROJECT_READ", "REPO_READ")
			}
			if slices.Contains(dt.usedDays, d) {
				if err := useToken(ctx, srv.URL, secrets[dt.name]); err != nil {
					return fmt.Errorf("seeding the demo: using %s: %w", dt.name, err)
				}
			}
		}
		if d < demoDays {
			srv.Advance(day)
		}
	}
	return nil
}

// useToken authenticates with a project token, as a CI job would. The server
// records the use; a project token may not read this API, so the answer is
// "not permitted", which is expected.
func useToken(ctx context.Context, baseURL, secret string) error {
	c, err := accesstokens.NewClient(baseURL, accesstokens.WithToken(secret), accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	if err != nil {
		return err
	}
	_, err = c.ProjectTokens.List(ctx, accesstokenstest.DemoProject, &accesstokens.ListOptions{Limit: 1})
	if err != nil && !errors.Is(err, accesstokens.ErrUnauthorized) {
		return err
	}
	return nil
}
