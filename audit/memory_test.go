package audit

import (
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamJSONL audits `total` generated tokens (1000 per scope) through Run
// and the jsonl Writer into io.Discard, and returns the largest live heap
// seen: after a full GC at every tenth of the tokens.
func streamJSONL(t testing.TB, total int) (peak uint64) {
	const perScope = 1000
	stub := &stubTokens{count: func(accesstokens.Scope) int { return perScope }}
	w, err := NewWriter("jsonl", io.Discard, Meta{})
	require.NoError(t, err)
	every, n := total/10, 0
	var ms runtime.MemStats
	sum, err := Run(context.Background(), stub, scopes(total/perScope), Options{Concurrency: 8, Rules: stubRules}, func(tok Token) error {
		n++
		if n%every == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return w.Write(tok)
	})
	require.NoError(t, err)
	require.NoError(t, w.Close(*sum))
	require.Equal(t, total, sum.Tokens)
	return peak
}

// TestJSONLAuditMemoryDoesNotGrowWithTokens streams 20k and then 200k tokens
// and compares the live heap: kept tokens would cost some 300 bytes each,
// tens of megabytes at 200k; a streaming run holds the same few batches at
// any size. Deterministic: it measures bytes after GC, not time.
func TestJSONLAuditMemoryDoesNotGrowWithTokens(t *testing.T) {
	// Not parallel: other tests' allocations would blur the heap it reads.
	small := streamJSONL(t, 20_000)
	large := streamJSONL(t, 200_000)
	t.Logf("live heap: %d KiB at 20k tokens, %d KiB at 200k tokens", small>>10, large>>10)
	assert.Less(t, large, small+4<<20, "the live heap grew with the number of tokens")
}

// BenchmarkRunJSONL measures the engine alone (stub service, jsonl to
// io.Discard): time and allocations per token.
func BenchmarkRunJSONL(b *testing.B) {
	const perScope, nScopes = 1000, 20
	stub := &stubTokens{count: func(accesstokens.Scope) int { return perScope }}
	targets := scopes(nScopes)
	b.ReportAllocs()
	for range b.N {
		w, _ := NewWriter("jsonl", io.Discard, Meta{})
		sum, err := Run(context.Background(), stub, targets, Options{Rules: stubRules}, w.Write)
		if err != nil || sum.Tokens != perScope*nScopes {
			b.Fatal(err, sum.Tokens)
		}
		_ = w.Close(*sum)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perScope*nScopes), "ns/token")
}
