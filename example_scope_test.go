package accesstokens_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func ExampleScope() {
	scopes := []accesstokens.Scope{
		accesstokens.UserScope("alice"),
		accesstokens.ProjectScope("PRJ"),
		accesstokens.RepoScope("PRJ", "repo"),
	}
	for _, s := range scopes {
		fmt.Println(s)
	}
	// Output:
	// user:alice
	// project:PRJ
	// repo:PRJ/repo
}

func ExampleParseScope() {
	for _, in := range []string{"repo:PRJ/repo", "Project:PRJ", "repo:PRJ/", "team:x"} {
		s, err := accesstokens.ParseScope(in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%q is %#v\n", in, s)
	}
	// Output:
	// "repo:PRJ/repo" is accesstokens.Scope{UserSlug:"", ProjectKey:"PRJ", RepoSlug:"repo"}
	// "Project:PRJ" is accesstokens.Scope{UserSlug:"", ProjectKey:"PRJ", RepoSlug:""}
	// accesstokens: invalid argument repoSlug: must not be empty
	// accesstokens: invalid argument scope: unknown kind "team" in "team:x": use user, project or repo
}

// Client.Tokens takes the scope as a value, so one loop covers personal,
// project and repository tokens.
func ExampleTokensService() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []string{"user:alice", "project:PRJ", "repo:PRJ/repo"} {
		scope, err := accesstokens.ParseScope(s)
		if err != nil {
			log.Fatal(err)
		}
		tok, err := client.Tokens.Create(ctx, scope, accesstokens.CreateTokenRequest{
			Name:        "ci",
			Permissions: []accesstokens.Permission{accesstokens.RepoRead},
			ExpiryDays:  30,
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-14s %s owned by a %s user\n", scope, tok.Name, tok.User.Type)
	}
	// An invalid scope never reaches the server.
	_, err = client.Tokens.List(ctx, accesstokens.Scope{RepoSlug: "repo"}, nil)
	fmt.Println(err)
	// Output:
	// user:alice     ci owned by a NORMAL user
	// project:PRJ    ci owned by a SERVICE user
	// repo:PRJ/repo  ci owned by a SERVICE user
	// accesstokens: invalid argument projectKey: must not be empty
}

// The lifecycle helpers answer "is it expired", "does it expire soon" and
// "how long was it made to live" without date arithmetic.
func ExampleAccessToken_ExpiresWithin() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	scope := accesstokenstest.ProjectScopeString("PRJ")
	srv.MintToken(scope, "nightly", 30, "REPO_READ")
	srv.MintToken(scope, "release", 90, "REPO_WRITE")
	srv.MintToken(scope, "legacy", 0, "PROJECT_ADMIN", "REPO_ADMIN")
	srv.MintToken(scope, "weekly", 7, "REPO_READ")
	srv.Advance(25 * 24 * time.Hour)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	now := srv.Now() // the fake's clock; time.Now() against a real server
	for tok, err := range client.Tokens.All(context.Background(), accesstokens.ProjectScope("PRJ"), nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-8s %2d-day token  expired: %-5t  within 7 days: %t\n",
			tok.Name, tok.ExpiryDays(), tok.Expired(now), tok.ExpiresWithin(7*24*time.Hour, now))
	}
	// Output:
	// weekly    7-day token  expired: true   within 7 days: true
	// legacy    0-day token  expired: false  within 7 days: false
	// release  90-day token  expired: false  within 7 days: false
	// nightly  30-day token  expired: false  within 7 days: true
}

func ExampleParsePermission() {
	for _, in := range []string{"repo_write", "PROJECT_READ", "admin"} {
		p, err := accesstokens.ParsePermission(in)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p)
	}
	// Output:
	// REPO_WRITE
	// PROJECT_READ
	// accesstokens: invalid argument permission: unknown permission "admin": use PROJECT_READ, PROJECT_WRITE, PROJECT_ADMIN, REPO_READ, REPO_WRITE or REPO_ADMIN
}
