// Tests of pagination.go against the fake: All over sparse positions.
// How the fake itself pages (positions, the capped limit) is tested in accesstokenstest.

package accesstokens_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestFakeAllYieldsEverySparselyPositionedTokenOnceNewestFirst(t *testing.T) {
	t.Parallel()
	const seeded = 57
	for _, sc := range demoScopes() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, accesstokenstest.WithSparsePositions())
			srv.SeedTokens(sc.scope, seeded)
			want := newestFirst(storedIDs(srv, sc.scope))
			require.Len(t, want, seeded)
			alice := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
			ctx := testContext(t)

			opts := &accesstokens.ListOptions{Limit: 10}
			got := collectIDs(t, sc.all(ctx, alice, opts))
			assert.Equal(t, want, got, "every token once, newest first")
			assert.Equal(t, accesstokens.ListOptions{Limit: 10}, *opts, "All must not change the caller's options")

			// Six pages, each starting where the previous said the next one does.
			var starts []string
			for _, r := range srv.Requests() {
				q, err := url.ParseQuery(r.Query)
				require.NoError(t, err)
				assert.Equal(t, "10", q.Get("limit"))
				starts = append(starts, q.Get("start"))
			}
			stride := accesstokenstest.SparseStride
			assert.Equal(t, []string{"", fmt.Sprint(10 * stride), fmt.Sprint(20 * stride), fmt.Sprint(30 * stride),
				fmt.Sprint(40 * stride), fmt.Sprint(50 * stride)}, starts)
		})
	}
}
