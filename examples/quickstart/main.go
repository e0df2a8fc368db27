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
// set) and the tokens of project BITBUCKET_PROJECT (if set).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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
		return readOnlyTour(ctx, out, client, getenv("BITBUCKET_USERNAME"), getenv("BITBUCKET_PROJECT"), nil)
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

// readOnlyTour only reads: safe to point at a real server.
// observe, when not nil, sees every error met.
func readOnlyTour(ctx context.Context, out io.Writer, client *accesstokens.Client, user, project string, observe func(error)) (err error) {
	if observe != nil {
		defer func() {
			if err != nil {
				observe(err)
			}
		}()
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	say("Read-only tour against BITBUCKET_URL")
	if policy, err := client.Admin.GetExpiryPolicy(ctx); err != nil {
		if observe != nil {
			observe(err)
		}
		say("expiry policy: not readable: %v", err)
	} else {
		say("expiry policy: %s", describePolicy(policy))
	}
	if user != "" {
		if err := printTokens(out, "personal tokens of "+user, client.UserTokens.All(ctx, user, nil)); err != nil {
			return err
		}
	}
	if project != "" {
		if err := printTokens(out, "tokens of project "+project, client.ProjectTokens.All(ctx, project, nil)); err != nil {
			return err
		}
	}
	if user == "" && project == "" {
		say("set BITBUCKET_USERNAME or BITBUCKET_PROJECT to list tokens")
	}
	return nil
}

func printTokens(out io.Writer, title string, tokens func(func(accesstokens.AccessToken, error) bool)) error {
	fmt.Fprintf(out, "%s:\n", title)
	n := 0
	for t, err := range tokens {
		if err != nil {
			return err
		}
		n++
		expiry := "never"
		if t.ExpiryDate != nil {
			expiry = t.ExpiryDate.Format(time.DateOnly)
		}
		fmt.Fprintf(out, "  %s  %-30s expires %-10s %v\n", t.ID, t.Name, expiry, t.Permissions)
	}
	fmt.Fprintf(out, "  (%d tokens)\n", n)
	return nil
}

func describePolicy(p *accesstokens.ExpiryPolicy) string {
	if p.MaxExpiryDays == 0 {
		return "expiry not required"
	}
	return fmt.Sprintf("expiry required, at most %d days", p.MaxExpiryDays)
}

// mask shows only the last four characters of a secret.
func mask(s accesstokens.Secret) string {
	v := s.Reveal()
	if len(v) <= 8 {
		return strings.Repeat("*", len(v))
	}
	return strings.Repeat("*", 12) + v[len(v)-4:]
}
