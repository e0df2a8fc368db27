// Command quickstart tours the accesstokens SDK.
//
// With BITBUCKET_URL unset it starts the built-in fake Bitbucket in-process
// and tells a short story: alice creates a project token for CI, lists
// tokens page by page, renames one and revokes one; admin reads and sets the
// expiry policy, and a create that breaks it fails with a clear message.
//
//	go run ./examples/quickstart
//
// With BITBUCKET_URL and BITBUCKET_TOKEN (or BITBUCKET_USERNAME and
// BITBUCKET_PASSWORD) set, it runs only the read-only part against that
// server: the expiry policy, the personal tokens of BITBUCKET_USERNAME (if
// set) and the tokens of project BITBUCKET_PROJECT (if set). What cannot be
// read is reported as "not readable" and the tour goes on. A token can only
// read its own owner's personal tokens, never a project's, and not the
// policy: use BITBUCKET_USERNAME and BITBUCKET_PASSWORD to see more.
// Credentials are only sent over https or to loopback; set
// BITBUCKET_INSECURE_HTTP=1 to send them over plain http to another host
// anyway (a test server you trust).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run is the whole program, with its output and environment passed in.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	if getenv("BITBUCKET_URL") != "" {
		client, err := accesstokens.NewClientFromEnv(accesstokens.WithUserAgent("quickstart"))
		if err != nil {
			return err
		}
		return readOnlyTour(ctx, out, client, readOnlyConfig{
			user: getenv("BITBUCKET_USERNAME"), project: getenv("BITBUCKET_PROJECT"),
			tokenAuth: getenv("BITBUCKET_TOKEN") != "",
		})
	}
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	fmt.Fprintf(out, "Started a fake Bitbucket at %s (users admin, alice, bob; project PRJ with repository repo)\n\n", srv.URL)
	return demoTour(ctx, out, srv.URL, tourConfig{})
}

// tourConfig lets a test watch the tour: extra client options (a logger),
// other passwords than the demo world's, and every error the tour meets,
// the expected ones included.
type tourConfig struct {
	opts      []accesstokens.Option
	passwords map[string]string // user → password; missing: the demo password (the user's name)
	observe   func(error)
}

func (cfg tourConfig) client(baseURL, user string) (*accesstokens.Client, error) {
	password := cfg.passwords[user]
	if password == "" {
		password = user
	}
	opts := append([]accesstokens.Option{accesstokens.WithBasicAuth(user, password)}, cfg.opts...)
	return accesstokens.NewClient(baseURL, opts...)
}

// seen hands err to the observer, if any, and returns it.
func (cfg tourConfig) seen(err error) error {
	if err != nil && cfg.observe != nil {
		cfg.observe(err)
	}
	return err
}

// demoTour is the story told against the fake server.
func demoTour(ctx context.Context, out io.Writer, baseURL string, cfg tourConfig) (err error) {
	defer func() { cfg.seen(err) }()
	alice, err := cfg.client(baseURL, "alice")
	if err != nil {
		return err
	}
	admin, err := cfg.client(baseURL, "admin")
	if err != nil {
		return err
	}

	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	say("1. alice creates a project token for CI on PRJ")
	ci, err := alice.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci-pipeline",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		ExpiryDays:  90,
	})
	if err != nil {
		return err
	}
	say("   created %q (id %s), expires %s", ci.Name, ci.ID, ci.ExpiryDate.Format(time.DateOnly))
	say("   secret, shown only now: %s", mask(ci.Token))
	say("   printed as a value it stays hidden: %v", ci.Token)

	for _, name := range []string{"nightly-backup", "release-bot", "docs-preview"} {
		if _, err := alice.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
			Name:        name,
			Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
			ExpiryDays:  30,
		}); err != nil {
			return err
		}
	}
	say("   and three more: nightly-backup, release-bot, docs-preview")

	say("\n2. alice lists PRJ's tokens, two per page (newest first)")
	opts := &accesstokens.ListOptions{Limit: 2}
	for n := 1; ; n++ {
		page, err := alice.ProjectTokens.List(ctx, "PRJ", opts)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(page.Values))
		for _, t := range page.Values {
			names = append(names, t.Name)
		}
		say("   page %d: %s", n, strings.Join(names, ", "))
		if page.IsLastPage {
			break
		}
		opts.Start = page.NextPageStart
	}

	say("\n3. alice renames docs-preview")
	var docs accesstokens.AccessToken
	for t, err := range alice.ProjectTokens.All(ctx, "PRJ", nil) {
		if err != nil {
			return err
		}
		if t.Name == "docs-preview" {
			docs = t
			break
		}
	}
	newName := "docs-preview-2026"
	renamed, err := alice.ProjectTokens.Update(ctx, "PRJ", docs.ID, accesstokens.UpdateTokenRequest{Name: &newName})
	if err != nil {
		return err
	}
	say("   %s is now %q", renamed.ID, renamed.Name)

	say("\n4. alice revokes release-bot")
	var bot accesstokens.AccessToken
	for t, err := range alice.ProjectTokens.All(ctx, "PRJ", nil) {
		if err != nil {
			return err
		}
		if t.Name == "release-bot" {
			bot = t
		}
	}
	if err := alice.ProjectTokens.Delete(ctx, "PRJ", bot.ID); err != nil {
		return err
	}
	_, err = alice.ProjectTokens.Get(ctx, "PRJ", bot.ID)
	cfg.seen(err)
	say("   revoked; reading it again gives not found: %t", errors.Is(err, accesstokens.ErrNotFound))

	say("\n5. admin reads and sets the expiry policy")
	policy, err := admin.Admin.GetExpiryPolicy(ctx)
	if err != nil {
		return err
	}
	say("   current policy: %s", describePolicy(policy))
	if err := admin.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30}); err != nil {
		return err
	}
	policy, err = admin.Admin.GetExpiryPolicy(ctx)
	if err != nil {
		return err
	}
	say("   new policy: %s", describePolicy(policy))

	say("\n6. alice asks for a token that never expires, which the policy forbids")
	_, err = alice.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name:        "forever",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	cfg.seen(err)
	var apiErr *accesstokens.Error
	if !errors.As(err, &apiErr) || !errors.Is(err, accesstokens.ErrBadRequest) {
		return fmt.Errorf("expected the policy to refuse the token, got %v", err)
	}
	say("   refused (%d): %s", apiErr.StatusCode, apiErr.Messages[0].Message)

	say("\n7. bob, who has no rights on PRJ, cannot list its tokens")
	bob, err := cfg.client(baseURL, "bob")
	if err != nil {
		return err
	}
	_, err = bob.ProjectTokens.List(ctx, "PRJ", nil)
	cfg.seen(err)
	say("   unauthorized: %t", errors.Is(err, accesstokens.ErrUnauthorized))

	if err := admin.Admin.DeleteExpiryPolicy(ctx); err != nil {
		return err
	}
	say("\nDone. admin removed the policy again; the fake server stops with this program.")
	return nil
}

// readOnlyConfig says what the read-only tour lists and how it authenticates.
type readOnlyConfig struct {
	user, project string      // whose tokens to list; "" skips
	tokenAuth     bool        // the client authenticates with a token (BITBUCKET_TOKEN)
	observe       func(error) // when not nil, sees every error met
}

// tokenHint explains a 401 met with BITBUCKET_TOKEN set.
const tokenHint = "hint: tokens cannot manage or list other tokens; use BITBUCKET_USERNAME/BITBUCKET_PASSWORD"

// readOnlyTour only reads: safe to point at a real server. Whatever cannot
// be read is reported as such and the tour goes on.
func readOnlyTour(ctx context.Context, out io.Writer, client *accesstokens.Client, cfg readOnlyConfig) error {
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	hinted := false
	failed := func(err error, listing bool) {
		if cfg.observe != nil {
			cfg.observe(err)
		}
		if listing && cfg.tokenAuth && !hinted && errors.Is(err, accesstokens.ErrUnauthorized) {
			say("  " + tokenHint)
			hinted = true
		}
	}
	say("Read-only tour against BITBUCKET_URL")
	if policy, err := client.Admin.GetExpiryPolicy(ctx); err != nil {
		say("expiry policy: not readable: %v", err)
		failed(err, false)
	} else {
		say("expiry policy: %s", describePolicy(policy))
	}
	if cfg.user != "" {
		if err := printTokens(out, "personal tokens of "+cfg.user, client.UserTokens.All(ctx, cfg.user, nil)); err != nil {
			failed(err, true)
		}
	}
	if cfg.project != "" {
		if err := printTokens(out, "tokens of project "+cfg.project, client.ProjectTokens.All(ctx, cfg.project, nil)); err != nil {
			failed(err, true)
		}
	}
	if cfg.user == "" && cfg.project == "" {
		say("set BITBUCKET_USERNAME or BITBUCKET_PROJECT to list tokens")
	}
	return nil
}

// printTokens lists tokens under title; on an error it says "not readable"
// and returns the error.
func printTokens(out io.Writer, title string, tokens func(func(accesstokens.AccessToken, error) bool)) error {
	fmt.Fprintf(out, "%s:\n", title)
	n := 0
	for t, err := range tokens {
		if err != nil {
			fmt.Fprintf(out, "  not readable: %v\n", err)
			return err
		}
		n++
		expiry := "never"
		if t.ExpiryDate != nil {
			expiry = t.ExpiryDate.Format(time.DateOnly)
		}
		fmt.Fprintf(out, "  %s  %-30s expires %-10s %v\n", t.ID, t.Name, expiry, t.Permissions)
	}
	fmt.Fprintf(out, "  (%s)\n", countTokens(n))
	return nil
}

// countTokens is "1 token", "2 tokens", "0 tokens".
func countTokens(n int) string {
	if n == 1 {
		return "1 token"
	}
	return fmt.Sprintf("%d tokens", n)
}

func describePolicy(p *accesstokens.ExpiryPolicy) string {
	if p.MaxExpiryDays == 0 {
		return "expiry not required"
	}
	return fmt.Sprintf("expiry required, at most %d days", p.MaxExpiryDays)
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
