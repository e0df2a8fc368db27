package accesstokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// The examples run against accesstokenstest's fake Bitbucket: users admin,
// alice and bob (each user's password is the user name), project PRJ with
// repository repo, and a clock that starts at 2026-01-01 and moves only when
// told to. Token ids and secrets are never printed because they are not
// stable; names, permissions and dates are.

func ExampleNewClient() {
	// Many installations serve Bitbucket under a context path.
	srv := accesstokenstest.NewServer(accesstokenstest.WithContextPath("/bitbucket"))
	defer srv.Close()

	// A trailing slash is fine; the context path is kept on every request.
	client, err := accesstokens.NewClient(srv.URL+"/",
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithUserAgent("token-janitor/1.2"),
	)
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.UserTokens.List(context.Background(), "alice", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice has", len(page.Values), "personal tokens")
	fmt.Println("request went to", srv.Requests()[0].RawPath)

	// Anything but an absolute http or https URL is refused.
	_, err = accesstokens.NewClient("bitbucket.example.com")
	fmt.Println(err)
	// Output:
	// alice has 0 personal tokens
	// request went to /bitbucket/rest/access-tokens/latest/users/alice
	// accesstokens: invalid argument baseURL: must be an absolute http or https URL, got "bitbucket.example.com"
}

func ExampleNewClientFromEnv() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// A real program finds these variables already set. The example sets
	// them itself, and puts the old values back when it is done.
	for k, v := range map[string]string{
		"BITBUCKET_URL":      srv.URL,
		"BITBUCKET_TOKEN":    "", // empty counts as unset; a token would win over username and password
		"BITBUCKET_USERNAME": "alice",
		"BITBUCKET_PASSWORD": "alice",
	} {
		old, had := os.LookupEnv(k)
		os.Setenv(k, v)
		defer func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		}()
	}

	// Options given here apply after the environment.
	client, err := accesstokens.NewClientFromEnv(accesstokens.WithRetry(accesstokens.RetryPolicy{}))
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.ProjectTokens.List(context.Background(), "PRJ", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("PRJ has", len(page.Values), "tokens")
	fmt.Println("authenticated as", srv.Requests()[0].User, "with", srv.Requests()[0].Credential)
	// Output:
	// PRJ has 0 tokens
	// authenticated as alice with basic-password
}

// A program that takes the BITBUCKET_* variables reads them through
// ReadEnvironment, and can say which credential it uses when both are set.
// Here getenv is a map's lookup; a program passes os.Getenv.
func ExampleReadEnvironment() {
	vars := map[string]string{
		"BITBUCKET_URL":      "https://bitbucket.example.com",
		"BITBUCKET_TOKEN":    "BBDC-example",
		"BITBUCKET_USERNAME": "alice",
		"BITBUCKET_PASSWORD": "alice",
	}
	env, err := accesstokens.ReadEnvironment(func(k string) string { return vars[k] })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("using", env.Credential)
	if env.Ignored != "" {
		fmt.Println("ignoring", env.Ignored)
	}
	client, err := accesstokens.NewClient(env.URL, env.Options()...)
	if err != nil {
		log.Fatal(err)
	}
	_ = client
	// Output:
	// using BITBUCKET_TOKEN
	// ignoring BITBUCKET_USERNAME/BITBUCKET_PASSWORD
}

func ExampleWithToken() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	// Creating a token needs the password ...
	alice, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := alice.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
		Name:        "reader",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}

	// ... and the new token then authenticates as a Bearer token.
	bearer, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(tok.Token.Reveal()))
	if err != nil {
		log.Fatal(err)
	}
	page, err := bearer.UserTokens.List(ctx, "alice", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("the token sees", page.Values[0].Name)
	fmt.Println("and was just used:", page.Values[0].LastAuthenticated != nil)
	// Output:
	// the token sees reader
	// and was just used: true
}

func ExampleWithInsecureHTTP() {
	// Credentials are not sent over plain http to another machine ...
	_, err := accesstokens.NewClient("http://bitbucket.example.com", accesstokens.WithToken("secret"))
	fmt.Println(errors.Is(err, accesstokens.ErrInvalidArgument))

	// ... unless the caller insists. Loopback addresses need no such option.
	_, err = accesstokens.NewClient("http://bitbucket.example.com",
		accesstokens.WithToken("secret"), accesstokens.WithInsecureHTTP())
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

func ExampleDefaultRetryPolicy() {
	fmt.Printf("%+v\n", accesstokens.DefaultRetryPolicy())
	// Output:
	// {MaxRetries:3 MinWait:250ms MaxWait:5s}
}

func ExampleWithRetry() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// The server is rate limiting: the next two requests get 429.
	srv.InjectFault(accesstokenstest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0", Times: 2})

	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: time.Second}),
	)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.ProjectTokens.List(context.Background(), "PRJ", nil); err != nil {
		log.Fatal(err)
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.RawPath, r.Status)
	}
	// Output:
	// GET /rest/access-tokens/latest/projects/PRJ 429
	// GET /rest/access-tokens/latest/projects/PRJ 429
	// GET /rest/access-tokens/latest/projects/PRJ 200
}

func ExampleWithRetry_createIsNotRepeated() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	// A gateway answers 502 after Bitbucket has already created the token.
	srv.InjectFault(accesstokenstest.Fault{
		Method: http.MethodPut, Path: "/projects/PRJ",
		Status: http.StatusBadGateway, AfterHandling: true,
	})

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name:        "deploy",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	fmt.Println("server error:", errors.Is(err, accesstokens.ErrServer))
	fmt.Println("attempts:", len(srv.Requests()))

	// Retrying would have made a second token. Instead, look whether the
	// first one exists.
	for tok, err := range client.ProjectTokens.All(ctx, "PRJ", nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("found:", tok.Name)
	}
	// Output:
	// server error: true
	// attempts: 1
	// found: deploy
}

func ExampleWithLogger() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// The first create meets a 503, which is safe to retry even for a create.
	srv.InjectFault(accesstokenstest.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable, RetryAfter: "0"})

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		// Drop what changes from run to run, so the output is stable.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey, "duration", "wait":
				return slog.Attr{}
			}
			return a
		},
	}))
	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithLogger(logger),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Second}),
	)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(logs.String())
	fmt.Println("secret in the log:", strings.Contains(logs.String(), tok.Token.Reveal()))
	// Output:
	// level=DEBUG msg="accesstokens: attempt" method=PUT path=/rest/access-tokens/latest/projects/PRJ attempt=1 status=503
	// level=DEBUG msg="accesstokens: retry decision" method=PUT path=/rest/access-tokens/latest/projects/PRJ attempt=1 retry=true reason="503 service unavailable"
	// level=DEBUG msg="accesstokens: attempt" method=PUT path=/rest/access-tokens/latest/projects/PRJ attempt=2 status=200
	// level=DEBUG msg="accesstokens: retry decision" method=PUT path=/rest/access-tokens/latest/projects/PRJ attempt=2 retry=false reason=success
	// secret in the log: false
}

// Personal tokens.

func ExampleUserTokensService_Create() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.UserTokens.Create(context.Background(), "alice", accesstokens.CreateTokenRequest{
		Name:        "laptop",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		ExpiryDays:  30,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions)
	fmt.Println("created", tok.CreatedDate.Format(time.DateOnly), "expires", tok.ExpiryDate.Format(time.DateOnly))
	fmt.Println("owner:", tok.User.Name, tok.User.Type)
	// The secret is shown only in this answer, and never prints by accident.
	fmt.Println("secret:", tok.Token)
	fmt.Println("a new-style secret:", strings.HasPrefix(tok.Token.Reveal(), "BBDC-"))
	// Output:
	// laptop [PROJECT_READ REPO_WRITE]
	// created 2026-01-01 expires 2026-01-31
	// owner: alice NORMAL
	// secret: [REDACTED]
	// a new-style secret: true
}

func ExampleUserTokensService_Get() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	created, err := client.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
		Name:        "laptop",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.UserTokens.Get(ctx, "alice", created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions)
	fmt.Println("never expires:", tok.ExpiryDate == nil)
	fmt.Println("never used:", tok.LastAuthenticated == nil)
	// Output:
	// laptop [REPO_READ]
	// never expires: true
	// never used: true
}

func ExampleUserTokensService_List() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.UserScopeString("alice"), 5) // seed-0 … seed-4

	// An administrator may list anyone's personal tokens.
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	opts := &accesstokens.ListOptions{Limit: 2}
	for {
		page, err := client.UserTokens.List(context.Background(), "alice", opts)
		if err != nil {
			log.Fatal(err)
		}
		var names []string
		for _, tok := range page.Values {
			names = append(names, tok.Name)
		}
		fmt.Printf("start %d: %v last=%t\n", page.Start, names, page.IsLastPage)
		if page.IsLastPage {
			break
		}
		opts.Start = page.NextPageStart
	}
	// Output:
	// start 0: [seed-4 seed-3] last=false
	// start 2: [seed-2 seed-1] last=false
	// start 4: [seed-0] last=true
}

func ExampleUserTokensService_All() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.UserScopeString("alice"), 5)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	// Two tokens per request, to show that All follows the pages.
	for tok, err := range client.UserTokens.All(context.Background(), "alice", &accesstokens.ListOptions{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tok.Name)
	}
	fmt.Println("requests:", len(srv.Requests()))
	// Output:
	// seed-4
	// seed-3
	// seed-2
	// seed-1
	// seed-0
	// requests: 3
}

func ExampleUserTokensService_Update() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
		Name:        "laptop",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
		ExpiryDays:  7,
	})
	if err != nil {
		log.Fatal(err)
	}

	// Rename only: nil Permissions stay as they are.
	name := "old-laptop"
	updated, err := client.UserTokens.Update(ctx, "alice", tok.ID, accesstokens.UpdateTokenRequest{Name: &name})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(updated.Name, updated.Permissions, updated.ExpiryDate.Format(time.DateOnly))
	// Output:
	// old-laptop [REPO_READ] 2026-01-08
}

func ExampleUserTokensService_Delete() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.UserTokens.Create(ctx, "alice", accesstokens.CreateTokenRequest{
		Name:        "laptop",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.UserTokens.Delete(ctx, "alice", tok.ID); err != nil {
		log.Fatal(err)
	}
	_, err = client.UserTokens.Get(ctx, "alice", tok.ID)
	fmt.Println("gone:", errors.Is(err, accesstokens.ErrNotFound))
	// Output:
	// gone: true
}

// Project tokens.

func ExampleProjectTokensService_Create() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()

	// alice is a project admin of PRJ, which project tokens need.
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci-pipeline",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		ExpiryDays:  90,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions, "expires", tok.ExpiryDate.Format(time.DateOnly))
	// Project tokens belong to a bot user, not to alice.
	fmt.Println("owner type:", tok.User.Type)
	fmt.Printf("secret: %v\n", tok.Token)
	// Output:
	// ci-pipeline [PROJECT_READ REPO_WRITE] expires 2026-04-01
	// owner type: SERVICE
	// secret: [REDACTED]
}

func ExampleProjectTokensService_Get() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	created, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci-pipeline",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
		ExpiryDays:  90,
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ProjectTokens.Get(ctx, "PRJ", created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions, tok.ExpiryDate.Format(time.DateOnly))
	// Output:
	// ci-pipeline [PROJECT_READ] 2026-04-01
}

func ExampleProjectTokensService_List() {
	// Bitbucket's list positions need not be contiguous. This fake spaces
	// them out, so only NextPageStart finds the next page.
	srv := accesstokenstest.NewServer(accesstokenstest.WithSparsePositions())
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.ProjectScopeString("PRJ"), 5)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	opts := &accesstokens.ListOptions{Limit: 2}
	for {
		page, err := client.ProjectTokens.List(context.Background(), "PRJ", opts)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("start %d, size %d:", page.Start, page.Size)
		for _, tok := range page.Values {
			fmt.Print(" ", tok.Name)
		}
		fmt.Println()
		if page.IsLastPage {
			break
		}
		opts.Start = page.NextPageStart // not Start+Size
	}
	// Output:
	// start 0, size 2: seed-4 seed-3
	// start 6, size 2: seed-2 seed-1
	// start 12, size 1: seed-0
}

func ExampleProjectTokensService_All() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.ProjectScopeString("PRJ"), 30)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	// Stop early: once the loop breaks, no further page is fetched.
	n := 0
	for tok, err := range client.ProjectTokens.All(context.Background(), "PRJ", nil) {
		if err != nil {
			log.Fatal(err)
		}
		n++
		if tok.Name == "seed-10" {
			break
		}
	}
	fmt.Println("read", n, "tokens with", len(srv.Requests()), "request")
	// Output:
	// read 20 tokens with 1 request
}

func ExampleProjectTokensService_Update() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci-pipeline",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead},
		ExpiryDays:  90,
	})
	if err != nil {
		log.Fatal(err)
	}

	// Let the pipeline push: new permissions, same name. The expiry cannot
	// change; to extend it, create a new token and delete this one.
	updated, err := client.ProjectTokens.Update(ctx, "PRJ", tok.ID, accesstokens.UpdateTokenRequest{
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(updated.Name, updated.Permissions, updated.ExpiryDate.Format(time.DateOnly))
	// Output:
	// ci-pipeline [PROJECT_READ REPO_WRITE] 2026-04-01
}

func ExampleProjectTokensService_Delete() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	// Rotation: create the successor first, then revoke the old token.
	old, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name: "deploy-2025", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name: "deploy-2026", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	}); err != nil {
		log.Fatal(err)
	}
	if err := client.ProjectTokens.Delete(ctx, "PRJ", old.ID); err != nil {
		log.Fatal(err)
	}
	for tok, err := range client.ProjectTokens.All(ctx, "PRJ", nil) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(tok.Name)
	}
	// Output:
	// deploy-2026
}

// Repository tokens.

func ExampleRepoTokensService_Create() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name:        "mirror",
		Permissions: []accesstokens.Permission{accesstokens.RepoRead},
		ExpiryDays:  365,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions, "expires", tok.ExpiryDate.Format(time.DateOnly), "owner", tok.User.Type)

	// A repository token cannot hold a PROJECT_* permission. The client
	// says so without asking the server.
	_, err = client.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name:        "too-wide",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	fmt.Println(err)
	// Output:
	// mirror [REPO_READ] expires 2027-01-01 owner SERVICE
	// accesstokens: invalid argument Permissions: a repository token cannot hold PROJECT_READ
}

func ExampleRepoTokensService_Get() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	created, err := client.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name: "mirror", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.RepoTokens.Get(ctx, "PRJ", "repo", created.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Name, tok.Permissions, tok.CreatedDate.Format(time.RFC3339))
	// Output:
	// mirror [REPO_READ] 2026-01-01T00:00:00Z
}

func ExampleRepoTokensService_List() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.RepoScopeString("PRJ", "repo"), 3)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.RepoTokens.List(context.Background(), "PRJ", "repo", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d tokens, limit %d, last page %t\n", page.Size, page.Limit, page.IsLastPage)
	for _, tok := range page.Values {
		fmt.Println(tok.Name, tok.Permissions)
	}
	// Output:
	// 3 tokens, limit 25, last page true
	// seed-2 [REPO_READ]
	// seed-1 [REPO_READ]
	// seed-0 [REPO_READ]
}

func ExampleRepoTokensService_All() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.RepoScopeString("PRJ", "repo"), 60)

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	// All holds one page at a time, so this works for any number of tokens.
	n := 0
	for _, err := range client.RepoTokens.All(context.Background(), "PRJ", "repo", nil) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	fmt.Println(n, "tokens in", len(srv.Requests()), "pages of at most 25")
	// Output:
	// 60 tokens in 3 pages of at most 25
}

func ExampleRepoTokensService_Update() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name: "mirror", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	name := "mirror-and-push"
	updated, err := client.RepoTokens.Update(ctx, "PRJ", "repo", tok.ID, accesstokens.UpdateTokenRequest{
		Name:        &name,
		Permissions: []accesstokens.Permission{accesstokens.RepoWrite},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(updated.Name, updated.Permissions)
	// Output:
	// mirror-and-push [REPO_WRITE]
}

func ExampleRepoTokensService_Delete() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := client.RepoTokens.Create(ctx, "PRJ", "repo", accesstokens.CreateTokenRequest{
		Name: "mirror", Permissions: []accesstokens.Permission{accesstokens.RepoRead},
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := client.RepoTokens.Delete(ctx, "PRJ", "repo", tok.ID); err != nil {
		log.Fatal(err)
	}
	// The token no longer authenticates.
	reader, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(tok.Token.Reveal()))
	if err != nil {
		log.Fatal(err)
	}
	_, err = reader.RepoTokens.List(ctx, "PRJ", "repo", nil)
	fmt.Println("revoked:", errors.Is(err, accesstokens.ErrUnauthorized))
	// Output:
	// revoked: true
}

// The admin expiry policy.

func ExampleAdminService_GetExpiryPolicy() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	policy, err := client.Admin.GetExpiryPolicy(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	if policy.MaxExpiryDays == 0 {
		fmt.Println("tokens may live forever")
	} else {
		fmt.Println("tokens expire within", policy.MaxExpiryDays, "days")
	}
	// Output:
	// tokens may live forever
}

func ExampleAdminService_GetExpiryPolicy_notOffered() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	// Servers without the endpoint (it is documented for Bitbucket 8.3) answer 404.
	srv.InjectFault(accesstokenstest.Fault{Path: "/admin", Status: http.StatusNotFound})

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Admin.GetExpiryPolicy(context.Background())
	if errors.Is(err, accesstokens.ErrNotFound) {
		fmt.Println("no expiry policy on this server")
	}
	// Output:
	// no expiry policy on this server
}

func ExampleAdminService_SetExpiryPolicy() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	admin, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	if err := admin.Admin.SetExpiryPolicy(ctx, accesstokens.ExpiryPolicy{MaxExpiryDays: 30}); err != nil {
		log.Fatal(err)
	}
	policy, err := admin.Admin.GetExpiryPolicy(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("max expiry:", policy.MaxExpiryDays, "days")

	// From now on every new token must expire within 30 days.
	alice, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = alice.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
		Name: "forever", Permissions: []accesstokens.Permission{accesstokens.ProjectRead},
	})
	fmt.Println("refused:", errors.Is(err, accesstokens.ErrBadRequest))
	// Output:
	// max expiry: 30 days
	// refused: true
}

func ExampleAdminService_DeleteExpiryPolicy() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	srv.SetExpiryPolicy(90) // as if an administrator had set one earlier

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("admin", "admin"))
	if err != nil {
		log.Fatal(err)
	}
	if err := client.Admin.DeleteExpiryPolicy(ctx); err != nil {
		log.Fatal(err)
	}
	policy, err := client.Admin.GetExpiryPolicy(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("max expiry:", policy.MaxExpiryDays)
	// Output:
	// max expiry: 0
}

// Errors.

func ExampleError() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.ProjectTokens.Get(ctx, "PRJ", "000000000001")

	// errors.Is answers the common question ...
	fmt.Println("not found:", errors.Is(err, accesstokens.ErrNotFound))

	// ... and errors.As gives the details.
	var apiErr *accesstokens.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Method, apiErr.Path)
		for _, m := range apiErr.Messages {
			fmt.Println(m.ExceptionName)
		}
	}

	// Bitbucket reports a missing right as 401, like a failed login.
	bob, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("bob", "bob"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = bob.ProjectTokens.List(ctx, "PRJ", nil)
	fmt.Println(err)
	fmt.Println("unauthorized:", errors.Is(err, accesstokens.ErrUnauthorized))
	// Output:
	// not found: true
	// 404 GET /rest/access-tokens/latest/projects/PRJ/000000000001
	// com.atlassian.bitbucket.NoSuchEntityException
	// accesstokens: GET /rest/access-tokens/latest/projects/PRJ: 401 Unauthorized: You are not permitted to access this resource
	// unauthorized: true
}

func ExampleInvalidArgumentError() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci",
		Permissions: []accesstokens.Permission{accesstokens.ProjectWrite, accesstokens.RepoRead},
	})
	var invalid *accesstokens.InvalidArgumentError
	if errors.As(err, &invalid) {
		fmt.Println("field:", invalid.Field)
		fmt.Println("reason:", invalid.Reason)
	}
	fmt.Println("matches ErrInvalidArgument:", errors.Is(err, accesstokens.ErrInvalidArgument))
	fmt.Println("requests sent:", len(srv.Requests()))
	// Output:
	// field: Permissions
	// reason: REPO_READ is below PROJECT_WRITE: the repository level must be at least the project level
	// matches ErrInvalidArgument: true
	// requests sent: 0
}

func ExampleSecret() {
	s := accesstokens.NewSecret("BBDC-not-a-real-token")

	// Every way of printing or encoding a Secret hides the value.
	fmt.Println(s)
	fmt.Printf("%s %q %v %#v\n", s, s, s, s)
	b, _ := json.Marshal(struct{ Token accesstokens.Secret }{s})
	fmt.Println(string(b))
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	logger.Info("created", "token", s)

	// Reveal is the one way to the value.
	fmt.Println(s.Reveal())
	// Output:
	// [REDACTED]
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED]
	// {"Token":"[REDACTED]"}
	// level=INFO msg=created token=[REDACTED]
	// BBDC-not-a-real-token
}
