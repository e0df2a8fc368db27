package accesstokens_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// Goroutines that share a Client share its pace: here at most 20 requests a
// second with bursts of 5. When the server still answers 429, every
// goroutine of the Client waits out its Retry-After together, and the call
// that met it is retried.
func ExampleWithRateLimit() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/users/*", Status: 429, RetryAfter: "1"})

	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("admin", "admin"),
		accesstokens.WithRateLimit(20, 5),
	)
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for _, user := range []string{"admin", "alice", "bob", "admin", "alice", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := client.Tokens.List(context.Background(), accesstokens.UserScope(user), nil); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	fmt.Println("failed calls:", failed.Load())
	fmt.Println("requests the server saw:", len(srv.Requests()))
	// Output:
	// failed calls: 0
	// requests the server saw: 7
}

// A Client with WithAdaptiveRateLimit paces nothing until the server says
// 429; then every goroutine waits out the Retry-After together, and the
// Client releases requests at the rate the server was seen to sustain. With
// WithReadPatience, reads wait their 429s out instead of running out of
// retries. Here 8 goroutines read 40 times behind the fake's bucket of 5
// requests, refilled at 50 a second.
func ExampleWithAdaptiveRateLimit() {
	srv := accesstokenstest.NewServer(accesstokenstest.WithRateLimit(accesstokenstest.RateLimit{Burst: 5, RefillPerSecond: 50}))
	defer srv.Close()
	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("admin", "admin"),
		accesstokens.WithAdaptiveRateLimit(),
		accesstokens.WithReadPatience(time.Minute),
	)
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if _, err := client.Tokens.List(context.Background(), accesstokens.ProjectScope("PRJ"), nil); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	fmt.Println("failed reads:", failed.Load())
	// Output:
	// failed reads: 0
}

// A read answered 429 waits out its Retry-After, however few retries the
// RetryPolicy allows, as long as its waits stay within the patience.
func ExampleWithReadPatience() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/users/alice", Status: 429, RetryAfter: "1", Times: 2})
	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{}), // no retries: writes are never repeated
		accesstokens.WithReadPatience(time.Minute),
	)
	if err != nil {
		log.Fatal(err)
	}
	page, err := client.UserTokens.List(context.Background(), "alice", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("read", len(page.Values), "tokens after", len(srv.Requests())-1, "answers of 429")
	// Output:
	// read 0 tokens after 2 answers of 429
}

// A program can show that its requests are waiting, and why: here a 503,
// then a 429 without Retry-After, each retried after its wait.
func ExampleWithWaitObserver() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/users/alice", Status: 503})
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/users/alice", Status: 429})
	client, err := accesstokens.NewClient(srv.URL,
		accesstokens.WithBasicAuth("alice", "alice"),
		accesstokens.WithRetry(accesstokens.RetryPolicy{MaxRetries: 3, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}),
		accesstokens.WithWaitObserver(func(w accesstokens.Wait) {
			fmt.Printf("%s %s: attempt %d waits (%s: %s)\n", w.Method, w.Path, w.Attempt, w.Reason, w.Detail)
		}),
	)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := client.UserTokens.List(context.Background(), "alice", nil); err != nil {
		log.Fatal(err)
	}
	// Output:
	// GET /rest/access-tokens/latest/users/alice: attempt 2 waits (retry: 503 service unavailable)
	// GET /rest/access-tokens/latest/users/alice: attempt 3 waits (retry: 429 rate limited)
}
