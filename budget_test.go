//go:build budget && !race

// This check takes most of a plain `go test .` run (it benchmarks every
// pair), so it is built only with the budget tag: .ci/run runs it in a step
// of its own, and the README's test command stays quick. The race detector
// changes what allocates (sync.Pool drops items at random under it), so it
// is never built with -race:
//
//	go test -tags budget -count=1 -run '^TestAllocationBudget$' -v .

package accesstokens_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// maxRatio is the performance budget: the SDK may cost at most
// 10% more than the hand-written baseline.
const maxRatio = 1.10

// TestAllocationBudget holds every benchmark pair to the budget in bytes
// allocated per operation, which, unlike time, does not depend on what else
// the machine is doing. Time is measured and reported in BENCHMARKS.md.
func TestAllocationBudget(t *testing.T) {
	pairs := []struct {
		name string
		p    pair
	}{
		{"Get", getPair()},
		{"Create", createPair()},
		{"Update", updatePair()},
		{"Delete", deletePair()},
		{"List25", listPair(benchPage25, 25, 25)},
		{"List1000", listPair(benchPage1000, 1000, 1000)},
		{"All10000", all10000Pair()},
		{"List3Of1000", listPair(benchPage3Of1000, 1000, 3)},
	}
	for _, tc := range pairs {
		t.Run(tc.name, func(t *testing.T) {
			sdk := testing.Benchmark(tc.p.sdk)
			baseline := testing.Benchmark(tc.p.baseline)
			sdkBytes, baseBytes := sdk.AllocedBytesPerOp(), baseline.AllocedBytesPerOp()
			t.Logf("B/op sdk %d, baseline %d (%.2fx); ns/op sdk %d, baseline %d",
				sdkBytes, baseBytes, float64(sdkBytes)/float64(baseBytes), sdk.NsPerOp(), baseline.NsPerOp())
			assert.LessOrEqual(t, float64(sdkBytes), maxRatio*float64(baseBytes),
				"the SDK allocates more than %.2fx the hand-written baseline", maxRatio)
		})
	}
}
