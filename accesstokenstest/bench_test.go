// Benchmarks of the fake's handler: pages, worlds, huge queries.

package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// BenchmarkListPage shows that a page costs the same however many tokens the scope holds: the
// allocations per page are flat; what little time grows is the garbage collector scanning a larger heap.
func BenchmarkListPage(b *testing.B) {
	for _, stored := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("tokens=%d", stored), func(b *testing.B) {
			f := accesstokenstest.NewFake()
			f.SeedTokens(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), stored)
			req := httptest.NewRequest(http.MethodGet, accesstokenstest.APIPath+"/projects/PRJ?start=500&limit=25", nil)
			req.SetBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
			serveRepeatedly(b, f, req)
		})
	}
}

// BenchmarkListPageParallelHTTP lists pages concurrently through the real HTTP server.
func BenchmarkListPageParallelHTTP(b *testing.B) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.UserScopeString(accesstokenstest.DemoAlice), 10_000)
	url := srv.URL + accesstokenstest.APIPath + "/users/alice?limit=25"
	hc := srv.Client()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := send(hc, url, http.MethodGet, asAlice, "")
			if err != nil || res.status != http.StatusOK {
				b.Errorf("list: %v %d", err, res.status)
				return
			}
		}
	})
}

// BenchmarkListOnServerWithTokens lists one page of a scope, and one page of the core API's
// repositories, on servers holding about 1k and 100k tokens in all: the cost must not grow with
// the tokens stored (within 1.2x).
func BenchmarkListOnServerWithTokens(b *testing.B) {
	worlds := []struct {
		name  string
		world accesstokenstest.World
	}{
		{"tokens=1k", accesstokenstest.World{Projects: 10, ReposPerProject: 10, Users: 20, TokensPerScope: 8, Seed: 1}},
		{"tokens=100k", accesstokenstest.World{Projects: 1000, ReposPerProject: 10, Users: 2000, TokensPerScope: 8, Seed: 1}},
	}
	for _, w := range worlds {
		f := accesstokenstest.NewFake(accesstokenstest.WithWorld(w.world))
		for _, target := range []string{
			accesstokenstest.APIPath + "/projects/PLAT?limit=25",
			accesstokenstest.APIPath + "/users/alice?limit=25",
			accesstokenstest.CoreAPIPath + "/repos?archived=ALL&start=50&limit=25",
		} {
			b.Run(w.name+"/"+strings.TrimPrefix(strings.SplitN(target, "?", 2)[0], "/rest/"), func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, target, nil)
				req.SetBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword)
				serveRepeatedly(b, f, req)
			})
		}
	}
}

// BenchmarkWorldStartup builds an audit-sized world: 1,000 projects of 10
// repositories, 2,000 users, 3 tokens a scope (39,303 tokens). Goal: under 2 s.
func BenchmarkWorldStartup(b *testing.B) {
	w := accesstokenstest.World{Projects: 1000, ReposPerProject: 10, Users: 2000, TokensPerScope: 3, Seed: 1}
	b.ReportAllocs()
	for range b.N {
		f := accesstokenstest.NewFake(accesstokenstest.WithWorld(w))
		if f.TokenCount() != 39_303 {
			b.Fatalf("%d tokens", f.TokenCount())
		}
	}
}

// serveRepeatedly times b.N answers of the fake's handler to req, each of which must be a 200.
func serveRepeatedly(b *testing.B, f *accesstokenstest.Fake, req *http.Request) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHugeQueryOfSecretPrefixes answers a request whose query is about 1 MB of "BBDC-"
// repeats, with 250k secrets minted: the fake answers 414 and records the request shortened, at
// a cost that does not grow with the secrets it remembers.
func BenchmarkHugeQueryOfSecretPrefixes(b *testing.B) {
	f := accesstokenstest.NewFake()
	for range 250_000 {
		f.MintToken(accesstokenstest.UserScopeString(accesstokenstest.DemoBob), "ci", 0, "REPO_READ")
	}
	target := accesstokenstest.APIPath + "/users/alice?q=" + strings.Repeat("BBDC-", 200_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusRequestURITooLong {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
