package audit_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// Audit a few scopes of the fake Bitbucket through the real client.
func Example() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	defer srv.Close()
	prj := accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject)
	srv.MintToken(prj, "deploy", 30, "PROJECT_READ", "REPO_READ")
	srv.MintToken(prj, "release", 120, "PROJECT_ADMIN", "REPO_ADMIN")
	srv.MintToken(accesstokenstest.UserScopeString("alice"), "laptop", 0, "REPO_WRITE")
	srv.Advance(100 * 24 * time.Hour)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	targets := audit.TargetsOf(accesstokens.ProjectScope("PRJ"), accesstokens.UserScope("alice"))
	opts := audit.Options{Rules: audit.Rules{Now: srv.Now()}} // the fake's clock
	var lines []string
	sum, err := audit.Run(context.Background(), client.Tokens, targets, opts, func(t audit.Token) error {
		lines = append(lines, fmt.Sprintf("%s %s: %v", t.Scope, t.Name, t.Findings))
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(lines) // scopes are read concurrently
	for _, l := range lines {
		fmt.Println(l)
	}
	fmt.Printf("%d tokens in %d scopes, %d expired\n", sum.Tokens, sum.ScopesRead, sum.Findings[audit.Expired])
	// Output:
	// project:PRJ deploy: [expired never-used]
	// project:PRJ release: [expiring never-used admin]
	// user:alice laptop: [no-expiry never-used]
	// 3 tokens in 2 scopes, 1 expired
}

// Write a report in one of the command's formats.
func ExampleNewWriter() {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	expiry := now.Add(10 * 24 * time.Hour)
	tok := audit.Classify(accesstokens.ProjectScope("PRJ"), accesstokens.AccessToken{
		ID: "075905477751", Name: "ci", CreatedDate: now.AddDate(0, -3, 0), ExpiryDate: &expiry,
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		User:        &accesstokens.User{Slug: "access-token-user_1_1", Type: "SERVICE"},
	}, true, audit.Rules{Now: now})

	w, err := audit.NewWriter("csv", os.Stdout, audit.Meta{})
	if err != nil {
		log.Fatal(err)
	}
	_ = w.Write(tok)
	_ = w.Close(audit.Summary{Tokens: 1})
	// Output:
	// scope,id,name,created,expiry,last_used,permissions,owner,findings,days_left
	// project:PRJ,075905477751,ci,2025-12-01T00:00:00Z,2026-03-11T00:00:00Z,,PROJECT_READ;REPO_WRITE,access-token-user_1_1,expiring;never-used,10
}

// Choose the tokens a bulk revoke would act on.
func ExampleParseWhere() {
	w, err := audit.ParseWhere("unused,name=ci-*")
	if err != nil {
		log.Fatal(err)
	}
	used := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"ci-deploy", "laptop"} {
		tok := audit.Classify(accesstokens.UserScope("alice"), accesstokens.AccessToken{
			ID: "1", Name: name, LastAuthenticated: &used,
		}, true, audit.Rules{Now: used.AddDate(1, 0, 0)})
		fmt.Println(name, w.Match(tok))
	}
	// Output:
	// ci-deploy true
	// laptop false
}

// Audit every scope of a server: here the fake's demo world, as the
// command's --demo does.
func ExampleTargets() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()),
		accesstokenstest.WithClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	defer srv.Close()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	targets, err := audit.Targets(ctx, client.Directory)
	if err != nil {
		log.Fatal(err)
	}
	opts := audit.Options{Rules: audit.Rules{Now: srv.Now()}}
	sum, err := audit.Run(ctx, client.Tokens, targets, opts, func(audit.Token) error { return nil })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d scopes read, %d failed, %d tokens\n", sum.ScopesRead, len(sum.Failed), sum.Tokens)
	for _, f := range audit.AllFindings() {
		fmt.Printf("%s: %d\n", f, sum.Findings[f])
	}
	// Output:
	// 27 scopes read, 0 failed, 54 tokens
	// expired: 14
	// expiring: 14
	// no-expiry: 13
	// never-used: 20
	// unused: 18
	// admin: 11
	// inactive-owner: 4
	// bad-date: 0
}
