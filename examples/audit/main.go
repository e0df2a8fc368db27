// Command audit lists the access tokens of a whole Bitbucket server that are
// expired, expire within 14 days or were never used. It finds every user,
// project and repository (archived ones too) with Client.Directory; a scope it
// cannot read is reported and makes it exit 1. It needs BITBUCKET_URL and an
// administrator's credentials; without them it audits the fake Bitbucket.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

const soon = 14 * 24 * time.Hour // an expiry this close needs attention

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "audit:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	if os.Getenv("BITBUCKET_URL") == "" {
		return demo(ctx, out)
	}
	client, err := accesstokens.NewClientFromEnv(accesstokens.WithRateLimit(20, 20)) // a steady walk, not bursts
	if err != nil {
		return err
	}
	return audit(ctx, out, client, time.Now())
}

// audit prints the tokens that need attention, then a summary line.
func audit(ctx context.Context, out io.Writer, client *accesstokens.Client, now time.Time) error {
	const row = "%-18s %-13s %-12s %s\n"
	fmt.Fprintf(out, row, "SCOPE", "TOKEN", "NAME", "STATUS")
	var tokens, flagged, unreadable int
	check := func(scope accesstokens.Scope) {
		for tok, err := range client.Tokens.All(ctx, scope, nil) {
			if err != nil {
				fmt.Fprintf(out, row, scope, "", "", "not readable: "+err.Error())
				unreadable++
				return
			}
			tokens++
			if status := statusOf(tok, now); status != "" {
				fmt.Fprintf(out, row, scope, tok.ID, tok.Name, status)
				flagged++
			}
		}
	}
	for user, err := range client.Directory.Users(ctx) {
		if err != nil {
			return err
		}
		if user.Type != "SERVICE" { // a SERVICE user's tokens are its project's or repository's
			check(accesstokens.UserScope(user.Slug))
		}
	}
	for project, err := range client.Directory.Projects(ctx) {
		if err != nil {
			return err
		}
		check(accesstokens.ProjectScope(project.Key))
	}
	for repo, err := range client.Directory.Repositories(ctx) {
		if err != nil {
			return err
		}
		check(accesstokens.RepoScope(repo.Project.Key, repo.Slug))
	}
	fmt.Fprintf(out, "\n%d tokens, %d need attention\n", tokens, flagged)
	if unreadable > 0 {
		return fmt.Errorf("%d scopes could not be read", unreadable)
	}
	return nil
}

func statusOf(tok accesstokens.AccessToken, now time.Time) string {
	switch {
	case tok.Expired(now):
		return "expired " + tok.ExpiryDate.Format(time.DateOnly)
	case tok.ExpiresWithin(soon, now):
		return "expires " + tok.ExpiryDate.Format(time.DateOnly)
	case tok.LastAuthenticated == nil:
		return "never used"
	}
	return ""
}

// demo audits the fake as admin, 25 days after a few tokens were made and used.
func demo(ctx context.Context, out io.Writer) error {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	prj, repo := "project:PRJ", "repo:PRJ/repo"
	_, nightly := srv.MintToken(prj, "nightly", 20, "REPO_READ")
	_, release := srv.MintToken(prj, "release", 0, "REPO_READ")
	_, deploy := srv.MintToken(repo, "deploy", 30, "REPO_READ")
	_, laptop := srv.MintToken("user:alice", "laptop", 365, "REPO_READ")
	srv.MintToken(repo, "mirror", 0, "REPO_READ")                      // never used
	for _, secret := range []string{nightly, release, deploy, laptop} { // any request marks a token used
		if user, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(secret)); err == nil {
			_, _ = user.Tokens.List(ctx, accesstokens.UserScope("alice"), nil)
		}
	}
	srv.Advance(25 * 24 * time.Hour)
	admin, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		return err
	}
	fmt.Fprint(out, "Auditing a fake Bitbucket as admin, 25 days after its tokens were made:\n\n")
	return audit(ctx, out, admin, srv.Now())
}
