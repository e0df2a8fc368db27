package accesstokenstest_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestPagingEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      []accesstokenstest.Option
		seed      int
		query     string
		size      int
		limit     int
		start     int
		last      bool
		nextStart any // json.Number text, or nil when absent
	}{
		{"defaults", nil, 30, "", 25, 25, 0, false, "25"},
		{"second page", nil, 30, "?start=25", 5, 25, 25, true, nil},
		{"explicit limit", nil, 30, "?limit=10&start=10", 10, 10, 10, false, "20"},
		{"exact fit is last", nil, 10, "?limit=10", 10, 10, 0, true, nil},
		{"limit zero means default", nil, 30, "?limit=0", 25, 25, 0, false, "25"},
		{"limit capped at 1000", nil, 1500, "?limit=5000", 1000, 1000, 0, false, "1000"},
		{"configured cap", []accesstokenstest.Option{accesstokenstest.WithMaxPageLimit(7)}, 30, "?limit=50", 7, 7, 0, false, "7"},
		{"configured default", []accesstokenstest.Option{accesstokenstest.WithDefaultPageLimit(4)}, 30, "", 4, 4, 0, false, "4"},
		{"default above cap", []accesstokenstest.Option{accesstokenstest.WithDefaultPageLimit(50), accesstokenstest.WithMaxPageLimit(20)}, 30, "", 20, 20, 0, false, "20"},
		{"start past the end", nil, 3, "?start=10", 0, 25, 10, true, nil},
		{"empty scope", nil, 0, "", 0, 25, 0, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, tt.opts...)
			srv.SeedTokens(accesstokenstest.ProjectScope("PRJ"), tt.seed)
			res := call(t, srv, http.MethodGet, "/projects/PRJ"+tt.query, asAlice, "")
			require.Equal(t, http.StatusOK, res.status, "%s", res.body)
			page := res.object(t)
			assert.EqualValues(t, tt.size, num(t, page["size"]))
			assert.Len(t, page["values"], tt.size)
			assert.EqualValues(t, tt.limit, num(t, page["limit"]))
			assert.EqualValues(t, tt.start, num(t, page["start"]))
			assert.Equal(t, tt.last, page["isLastPage"])
			if tt.nextStart == nil {
				assert.NotContains(t, page, "nextPageStart", "present only when not the last page")
			} else {
				assert.Equal(t, tt.nextStart, fmt.Sprint(page["nextPageStart"]))
			}
		})
	}
}

func TestPagingRejectsBadParameters(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"start=-1", "start=x", "limit=-5", "limit=1.5", "start=99999999999999999999"} {
		t.Run(q, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			res := call(t, srv, http.MethodGet, "/users/alice?"+q, asAlice, "")
			require.Equal(t, http.StatusBadRequest, res.status)
			e := res.firstError(t)
			assert.Contains(t, []any{"start", "limit"}, e["context"])
			assert.Equal(t, accesstokenstest.ExceptionArgumentValidation, e["exceptionName"])
		})
	}
}

func TestListsAreNewestFirst(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	var created []string
	for i := range 6 {
		id, _ := create(t, srv, "/projects/PRJ/repos/repo", asAlice, `{"name":"t`+strconv.Itoa(i)+`","permissions":["REPO_READ"]}`)
		created = append(created, id)
		if i%2 == 0 {
			srv.Advance(time.Second) // some tokens share a createdDate; ids break the tie
		}
	}
	// Remove one from the middle: the order of the rest holds.
	require.Equal(t, http.StatusNoContent, call(t, srv, http.MethodDelete, "/projects/PRJ/repos/repo/"+created[2], asAlice, "").status)
	created = append(created[:2], created[3:]...)

	var got []string
	var dates []int64
	start := "0"
	for {
		page := call(t, srv, http.MethodGet, "/projects/PRJ/repos/repo?limit=2&start="+start, asAlice, "").object(t)
		got = append(got, ids(t, page)...)
		for _, v := range page["values"].([]any) {
			dates = append(dates, num(t, v.(map[string]any)["createdDate"]))
		}
		if page["isLastPage"] == true {
			break
		}
		start = fmt.Sprint(page["nextPageStart"])
	}
	want := make([]string, 0, len(created))
	for i := len(created) - 1; i >= 0; i-- {
		want = append(want, created[i])
	}
	assert.Equal(t, want, got)
	for i := 1; i < len(dates); i++ {
		assert.GreaterOrEqual(t, dates[i-1], dates[i])
	}
}

func TestSparsePositionsPunishStartPlusSize(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithSparsePositions())
	srv.SeedTokens(accesstokenstest.UserScope("bob"), 10)

	first := call(t, srv, http.MethodGet, "/users/bob?limit=4", asBob, "").object(t)
	assert.Equal(t, fmt.Sprint(4*accesstokenstest.SparseStride), fmt.Sprint(first["nextPageStart"]),
		"nextPageStart is not start+size")

	// Following nextPageStart sees every token exactly once.
	seen := map[string]int{}
	start := "0"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "paging does not end")
		page := call(t, srv, http.MethodGet, "/users/bob?limit=4&start="+start, asBob, "").object(t)
		for _, id := range ids(t, page) {
			seen[id]++
		}
		if page["isLastPage"] == true {
			assert.NotContains(t, page, "nextPageStart")
			break
		}
		next := fmt.Sprint(page["nextPageStart"])
		assert.NotEqual(t, start, next)
		start = next
	}
	assert.Len(t, seen, 10)
	for id, n := range seen {
		assert.Equal(t, 1, n, id)
	}

	// start+size lands inside the first page's positions: the client sees repeats.
	naive := call(t, srv, http.MethodGet, "/users/bob?limit=4&start=4", asBob, "").object(t)
	assert.Subset(t, ids(t, first), ids(t, naive)[:1], "start=4 repeats a token of the first page")
}

// TestCorePagingEdges: the core lists page as the token lists do (30 projects, as admin).
func TestCorePagingEdges(t *testing.T) {
	t.Parallel()
	srv := newServer(t, accesstokenstest.WithWorld(accesstokenstest.World{Projects: 30, Seed: 5}),
		accesstokenstest.WithMaxPageLimit(20))
	tests := []struct {
		query              string
		size, limit, start int
		last               bool
		nextStart          any
	}{
		{"", 20, 20, 0, false, "20"}, // the default 25, capped at 20
		{"?limit=0", 20, 20, 0, false, "20"},
		{"?limit=5000", 20, 20, 0, false, "20"},
		{"?limit=7&start=21", 7, 7, 21, false, "28"},
		{"?limit=2&start=28", 2, 2, 28, true, nil}, // an exact fit is the last page
		{"?start=30", 0, 20, 30, true, nil},
		{"?start=9223372036854775807", 0, 20, 9223372036854775807, true, nil},
	}
	for _, tt := range tests {
		res := core(t, srv, "/projects"+tt.query, asAdmin)
		vals := values(t, res)
		page := res.object(t)
		assert.Len(t, vals, tt.size, tt.query)
		assert.EqualValues(t, tt.limit, num(t, page["limit"]), tt.query)
		assert.EqualValues(t, tt.start, num(t, page["start"]), tt.query)
		assert.Equal(t, tt.last, page["isLastPage"], tt.query)
		if tt.nextStart == nil {
			assert.NotContains(t, page, "nextPageStart", tt.query)
		} else {
			assert.Equal(t, tt.nextStart, fmt.Sprint(page["nextPageStart"]), tt.query)
		}
	}
	for _, q := range []string{"limit=-1", "start=-1", "limit=ten", "start=1.5", "limit=99999999999999999999", "limit=%zz"} {
		for _, p := range []string{"/projects", "/repos", "/users", "/admin/users", "/projects/PLAT/repos"} {
			res := core(t, srv, p+"?"+q, asAdmin)
			assert.Equal(t, http.StatusBadRequest, res.status, "%s?%s", p, q)
			assert.NotEmpty(t, res.firstError(t)["message"], "%s?%s", p, q)
		}
	}
}
