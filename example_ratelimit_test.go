package accesstokens_test

import (
	"context"
	"fmt"
	"log"
	"sync"
	"sync/atomic"

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
