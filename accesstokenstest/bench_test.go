package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// BenchmarkListPage shows that a page costs the same however many tokens the scope holds: the
// allocations per page are flat; what little time grows is the garbage collector scanning a larger heap.
func BenchmarkListPage(b *testing.B) {
	for _, stored := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("tokens=%d", stored), func(b *testing.B) {
			f := accesstokenstest.NewFake()
			f.SeedTokens(accesstokenstest.ProjectScope(accesstokenstest.DemoProject), stored)
			req := httptest.NewRequest(http.MethodGet, accesstokenstest.APIPath+"/projects/PRJ?start=500&limit=25", nil)
			req.SetBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rec := httptest.NewRecorder()
				f.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// BenchmarkListPageParallelHTTP lists pages concurrently through the real HTTP server.
func BenchmarkListPageParallelHTTP(b *testing.B) {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	srv.SeedTokens(accesstokenstest.UserScope(accesstokenstest.DemoAlice), 10_000)
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
