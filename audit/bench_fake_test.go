package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// benchWorld is a fake with 200 projects of 3 tokens each; its scopes repeat
// to make n targets, one request each.
func benchWorld(b *testing.B, n int) (*accesstokenstest.Server, []audit.Target) {
	b.Helper()
	srv := accesstokenstest.NewServer(accesstokenstest.WithRequestHistory(10))
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = fmt.Sprintf("P%03d", i)
		srv.AddProject(keys[i], "Project "+keys[i])
		srv.SeedTokens(accesstokenstest.ProjectScope(keys[i]), 3)
	}
	targets := make([]audit.Target, n)
	for i := range targets {
		targets[i] = audit.TargetsOf(accesstokens.ProjectScope(keys[i%len(keys)]))[0]
	}
	return srv, targets
}

// BenchmarkAuditOnFake is the audit through the real SDK at 8 workers; one
// iteration is one scope (one request). Compare its scopes/s with
// BenchmarkHandWrittenLoopOnFake's:
//
//	go test -run '^$' -bench OnFake -benchtime 20000x ./audit/
//
// "default" is the SDK's own transport (a clone of http.DefaultTransport,
// which keeps 2 idle connections per host: 6 of the 8 workers' connections
// are closed and dialled again all the time); "pooled" gives the SDK the
// hand-written loop's transport, which keeps 8.
func BenchmarkAuditOnFake(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []accesstokens.Option
	}{
		{"default", nil},
		{"pooled", []accesstokens.Option{accesstokens.WithHTTPClient(&http.Client{Transport: pooledTransport()})}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv, targets := benchWorld(b, b.N)
			defer srv.Close()
			client, err := accesstokens.NewClient(srv.URL, append(tc.opts, accesstokens.WithBasicAuth("admin", "admin"))...)
			if err != nil {
				b.Fatal(err)
			}
			w, _ := audit.NewWriter("jsonl", io.Discard, audit.Meta{})
			b.ReportAllocs()
			b.ResetTimer()
			sum, err := audit.Run(context.Background(), client.Tokens, targets, audit.Options{Concurrency: 8}, w.Write)
			b.StopTimer()
			if err != nil || len(sum.Failed) > 0 || sum.Tokens != 3*b.N {
				b.Fatal(err, sum.Failed, sum.Tokens)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scopes/s")
		})
	}
}

// pooledTransport keeps an idle connection for each of 8 workers.
func pooledTransport() *http.Transport { return &http.Transport{MaxIdleConnsPerHost: 8} }

// BenchmarkHandWrittenLoopOnFake is the baseline: 8 goroutines taking scopes
// from a channel, one net/http GET per scope, the page decoded into a
// minimal struct.
func BenchmarkHandWrittenLoopOnFake(b *testing.B) {
	srv, targets := benchWorld(b, b.N)
	defer srv.Close()
	hc := &http.Client{Transport: pooledTransport()}
	queue := make(chan string, len(targets))
	for _, t := range targets {
		queue <- srv.URL + accesstokenstest.APIPath + "/projects/" + t.Scope.ProjectKey + "?limit=1000"
	}
	close(queue)
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	var mu sync.Mutex
	tokens := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for url := range queue {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.SetBasicAuth("admin", "admin")
				resp, err := hc.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var page struct {
					Values []struct {
						ID   string `json:"id"`
						Name string `json:"name"`
					} `json:"values"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Error(err, resp.Status)
					return
				}
				mu.Lock()
				tokens += len(page.Values)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if tokens != 3*b.N {
		b.Fatal(tokens)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scopes/s")
}
