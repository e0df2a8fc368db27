// Tests of pagination.go against the fake: All and List over sparse positions and a capped limit.

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

func TestFakeListPagesReportTheirPosition(t *testing.T) {
	t.Parallel()
	srv := startFake(t, accesstokenstest.WithSparsePositions())
	sc := demoScope("project")
	srv.SeedTokens(sc.scope, 57)
	want := newestFirst(storedIDs(srv, sc.scope))
	alice := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)
	stride := accesstokenstest.SparseStride

	first, err := sc.list(ctx, alice, &accesstokens.ListOptions{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[:10], pageIDs(first))
	assert.Equal(t, 10, first.Size)
	assert.Equal(t, 0, first.Start)
	assert.Equal(t, 10, first.Limit)
	assert.False(t, first.IsLastPage)
	assert.Equal(t, 10*stride, first.NextPageStart, "positions are sparse: not start+size")

	second, err := sc.list(ctx, alice, &accesstokens.ListOptions{Start: first.NextPageStart, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[10:20], pageIDs(second))
	assert.Equal(t, first.NextPageStart, second.Start)
	assert.Equal(t, 20*stride, second.NextPageStart)

	last, err := sc.list(ctx, alice, &accesstokens.ListOptions{Start: 50 * stride, Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, want[50:], pageIDs(last))
	assert.Equal(t, 7, last.Size)
	assert.Equal(t, 50*stride, last.Start)
	assert.Equal(t, 10, last.Limit)
	assert.True(t, last.IsLastPage)
	assert.Zero(t, last.NextPageStart, "no nextPageStart on the last page")

	defaults, err := sc.list(ctx, alice, nil)
	require.NoError(t, err)
	assert.Equal(t, accesstokenstest.DefaultPageLimit, defaults.Limit)
	assert.Equal(t, want[:accesstokenstest.DefaultPageLimit], pageIDs(defaults))
}

func TestFakeServerCapsTheLimitAndThePageSaysSo(t *testing.T) {
	t.Parallel()
	srv := startFake(t, accesstokenstest.WithMaxPageLimit(20))
	sc := demoScope("user")
	srv.SeedTokens(sc.scope, 57)
	want := newestFirst(storedIDs(srv, sc.scope))
	alice := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)

	page, err := sc.list(ctx, alice, &accesstokens.ListOptions{Limit: 500})
	require.NoError(t, err)
	assert.Equal(t, 20, page.Limit, "the applied limit, not the requested one")
	assert.Equal(t, 20, page.Size)
	assert.Equal(t, want[:20], pageIDs(page))
	assert.False(t, page.IsLastPage)
	assert.Equal(t, 20, page.NextPageStart)

	srv.ResetRequests()
	assert.Equal(t, want, collectIDs(t, sc.all(ctx, alice, &accesstokens.ListOptions{Limit: 500})))
	assert.Len(t, srv.Requests(), 3, "57 tokens at 20 a page")
}
