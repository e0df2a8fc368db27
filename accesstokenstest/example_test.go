package accesstokenstest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// A test starts the fake in one line and points the real client at it.
func ExampleNewServer() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.ProjectTokens.Create(context.Background(), "PRJ", accesstokens.CreateTokenRequest{
		Name:        "ci",
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
		ExpiryDays:  90,
	})
	if err != nil {
		log.Fatal(err)
	}

	// The fake's own view: what it stores and what it was asked.
	for _, t := range srv.Tokens() {
		fmt.Println(t.Scope, t.Name, t.Permissions, "expires after", t.Expiry.Sub(t.Created).Hours()/24, "days")
	}
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.RawPath, r.User, r.Credential, r.Status)
	}
	// Output:
	// project:PRJ ci [PROJECT_READ REPO_WRITE] expires after 90 days
	// PUT /rest/access-tokens/latest/projects/PRJ alice basic-password 200
}

// The fake is a real HTTP server, so any HTTP client (or language) can use it.
func ExampleNewServer_plainHTTP() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// Create is a PUT to the collection, as on a real Bitbucket.
	body := `{"name":"reader","permissions":["REPO_READ"]}`
	req, err := http.NewRequest(http.MethodPut, srv.URL+accesstokenstest.APIPath+"/users/alice", strings.NewReader(body))
	if err != nil {
		log.Fatal(err)
	}
	req.SetBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	var tok struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		CreatedDate int64  `json:"createdDate"` // epoch milliseconds
		Token       string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		log.Fatal(err)
	}
	// The fake clock is the real time unless WithClock pins it.
	fmt.Println(resp.StatusCode, tok.Name, "created just now:", time.Since(time.UnixMilli(tok.CreatedDate)) < time.Minute)
	fmt.Println("id has 12 digits:", len(tok.ID) == 12)
	fmt.Println("secret handed out:", tok.Token == srv.MintedSecrets()[0])
	// Output:
	// 200 reader created just now: true
	// id has 12 digits: true
	// secret handed out: true
}

// Faults make the failures a real network produces happen on demand.
func ExampleFake_InjectFault() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()

	// The next two list requests for PRJ meet an overloaded server.
	srv.InjectFault(accesstokenstest.Fault{
		Method: http.MethodGet, Path: "/projects/PRJ",
		Status: http.StatusServiceUnavailable, RetryAfter: "0", Times: 2,
	})

	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 1, MinWait: time.Millisecond, MaxWait: time.Second}),
	)
	if err != nil {
		log.Fatal(err)
	}
	// One retry is not enough this time.
	_, err = client.ProjectTokens.List(context.Background(), "PRJ", nil)
	fmt.Println("server error:", errors.Is(err, accesstokens.ErrServer))
	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Status, "faulted:", r.Faulted)
	}
	fmt.Println("faults left:", srv.PendingFaults())
	// Output:
	// server error: true
	// GET 503 faulted: true
	// GET 503 faulted: true
	// faults left: 0
}

// A pinned fake clock moves only when a test says so: expiry is tested without waiting.
// (Advance moves the default, real-time clock forward just the same.)
func ExampleFake_Advance() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	ctx := context.Background()

	// A personal token of alice's that expires in one day.
	_, secret := srv.MintToken(accesstokenstest.UserScopeString("alice"), "short-lived", 1, "REPO_READ")
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithToken(secret))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.UserTokens.List(ctx, "alice", nil)
	fmt.Println(srv.Now().Format(time.DateOnly), "works:", err == nil)

	srv.Advance(24 * time.Hour)
	_, err = client.UserTokens.List(ctx, "alice", nil)
	fmt.Println(srv.Now().Format(time.DateOnly), "unauthorized:", errors.Is(err, accesstokens.ErrUnauthorized))
	// Output:
	// 2026-01-01 works: true
	// 2026-01-02 unauthorized: true
}

// A generated world gives an audit something to find: here, the small world of
// accesstokens --demo, counted by scope and by how its tokens stand today.
func ExampleWithWorld() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithWorld(accesstokenstest.DemoWorld()))
	defer srv.Close()

	scopes := map[string]int{}
	expired, noExpiry, inactiveOwner := 0, 0, 0
	for _, t := range srv.Tokens() {
		scopes[strings.SplitN(t.Scope, ":", 2)[0]]++
		switch {
		case t.Expiry == nil:
			noExpiry++
		case t.Expiry.Before(time.Now()):
			expired++
		}
		if strings.HasPrefix(t.Scope, "user:") && !t.OwnerActive {
			inactiveOwner++
		}
	}
	fmt.Println("tokens by scope:", scopes)
	fmt.Println("expired:", expired, "never expiring:", noExpiry, "of deactivated users:", inactiveOwner)
	// Output:
	// tokens by scope: map[project:8 repo:28 user:18]
	// expired: 14 never expiring: 13 of deactivated users: 4
}

// The control API serves tests written in any language; here plain HTTP moves the clock.
func ExampleWithControlAPI() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithControlAPI(),
		accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()

	resp, err := srv.Client().Post(srv.URL+accesstokenstest.ControlPath+"/clock", "application/json",
		strings.NewReader(`{"advance":"720h"}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var clock struct {
		Now    time.Time `json:"now"`
		Pinned bool      `json:"pinned"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&clock); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, clock.Now.Format(time.DateOnly), "pinned:", clock.Pinned, "fake now:", srv.Now().Format(time.DateOnly))
	// Output:
	// 200 2026-01-31 pinned: true fake now: 2026-01-31
}

// A fake answering as Bitbucket 9.4 does: its version, ids without leading zeros, and the user
// every answer names; its Date header is the fake clock's.
func ExampleWithServerVersion() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithServerVersion("9.4.0"),
		accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
	defer srv.Close()
	id, secret := srv.MintToken(accesstokenstest.RepoScopeString("PRJ", "repo"), "ci", 30, "REPO_READ")

	req, _ := http.NewRequest(http.MethodGet, srv.URL+accesstokenstest.CoreAPIPath+"/application-properties", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var props struct{ Version, BuildNumber string }
	if err := json.NewDecoder(resp.Body).Decode(&props); err != nil {
		log.Fatal(err)
	}
	fmt.Println(props.Version, props.BuildNumber)
	fmt.Println("leading zero:", strings.HasPrefix(id, "0"))
	fmt.Println(resp.Header.Get("X-AUSERNAME"))
	fmt.Println(resp.Header.Get("Date"))
	// Output:
	// 9.4.0 9004000
	// leading zero: false
	// access-token-user/2/1
	// Thu, 01 Jan 2026 00:00:00 GMT
}
