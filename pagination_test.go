package accesstokens_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

// pageRecorder records the query of every request a paging handler sees.
type pageRecorder struct {
	mu      sync.Mutex
	queries []url.Values
}

func (p *pageRecorder) record(r *http.Request) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queries = append(p.queries, r.URL.Query())
	return len(p.queries)
}

func (p *pageRecorder) all() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.queries...)
}

func (p *pageRecorder) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queries)
}

// pagingTokenPage renders a page of tokens named "t<position>" as Bitbucket does.
// next < 0 leaves nextPageStart out.
func pagingTokenPage(start, size, limit int, last bool, next int) []byte {
	values := make([]map[string]any, size)
	for i := range values {
		values[i] = map[string]any{
			"id": fmt.Sprintf("%012d", start+i), "name": fmt.Sprintf("t%d", start+i),
			"createdDate": 1672996351030, "permissions": []string{"PROJECT_READ"},
		}
	}
	page := map[string]any{"size": size, "limit": limit, "isLastPage": last, "start": start, "values": values}
	if next >= 0 {
		page["nextPageStart"] = next
	}
	b, err := json.Marshal(page)
	if err != nil {
		panic(err)
	}
	return b
}

func TestListSendsStartAndLimitOnlyWhenSet(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     *accesstokens.ListOptions
		wantRaw  string // "" means no query at all
		wantVals url.Values
	}{
		{"nil options", nil, "", url.Values{}},
		{"zero options", &accesstokens.ListOptions{}, "", url.Values{}},
		{"limit only", &accesstokens.ListOptions{Limit: 5}, "limit=5", url.Values{"limit": {"5"}}},
		{"start only", &accesstokens.ListOptions{Start: 7}, "start=7", url.Values{"start": {"7"}}},
		{"start and limit", &accesstokens.ListOptions{Start: 7, Limit: 5}, "", url.Values{"start": {"7"}, "limit": {"5"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			var rawQuery string
			var query url.Values
			ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
				rawQuery, query = r.URL.RawQuery, r.URL.Query()
				writeJSON(w, http.StatusOK, fixture(t, "page_last.json"))
			})

			_, err := c.ProjectTokens.List(testContext(t), "PRJ", tc.opts)

			require.NoError(t, err)
			assert.Equal(t, tc.wantVals, query)
			if tc.wantRaw != "" || len(tc.wantVals) == 0 {
				assert.Equal(t, tc.wantRaw, rawQuery)
			}
		})
	}
}

func TestListRejectsNegativeOptionsWithoutARequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		field string
		opts  *accesstokens.ListOptions
	}{
		{"Start", &accesstokens.ListOptions{Start: -1}},
		{"Limit", &accesstokens.ListOptions{Limit: -5}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			t.Parallel()
			_, c := newTestServer(t) // no routes: any request fails the test

			page, err := c.UserTokens.List(testContext(t), "alice", tc.opts)

			assert.Nil(t, page)
			require.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
}

func TestListDecodesThePageEnvelope(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ", respond(t, http.StatusOK, "page_first.json"))
	ts.on(http.MethodGet, "/projects/PRJ/repos/repo", respond(t, http.StatusOK, "token_list_repo.json"))
	ctx := testContext(t)

	first, err := c.ProjectTokens.List(ctx, "PRJ", nil)
	require.NoError(t, err)
	assert.Equal(t, 1, first.Size)
	assert.Equal(t, 0, first.Start)
	assert.Equal(t, 1, first.Limit)
	assert.False(t, first.IsLastPage)
	assert.Equal(t, 7, first.NextPageStart)
	require.Len(t, first.Values, 1)
	assert.Equal(t, "000000000003", first.Values[0].ID)
	assert.Equal(t, "third", first.Values[0].Name)
	assert.Equal(t, ms(1672997457717), first.Values[0].CreatedDate)

	repo, err := c.RepoTokens.List(ctx, "PRJ", "repo", nil)
	require.NoError(t, err)
	assert.Equal(t, 2, repo.Size)
	assert.Equal(t, 25, repo.Limit)
	assert.True(t, repo.IsLastPage)
	require.Len(t, repo.Values, 2)
	assert.Equal(t, "848894838086", repo.Values[0].ID)
	assert.Equal(t, "373646823580", repo.Values[1].ID)
}

// collectTokens drains an iterator, returning the IDs seen and the errors yielded.
func collectTokens(seq func(yield func(accesstokens.AccessToken, error) bool)) (ids []string, errs []error) {
	for tok, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, tok.ID)
	}
	return ids, errs
}

func TestAllFollowsNextPageStartNotStartPlusSize(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	rec := &pageRecorder{}
	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		switch r.URL.Query().Get("start") {
		case "":
			writeJSON(w, http.StatusOK, fixture(t, "page_first.json"))
		case "7":
			writeJSON(w, http.StatusOK, fixture(t, "page_last.json"))
		default: // start+size would be 1
			t.Errorf("unexpected start %q", r.URL.Query().Get("start"))
			writeJSON(w, http.StatusBadRequest, fixture(t, "error_validation.json"))
		}
	})

	ids, errs := collectTokens(c.ProjectTokens.All(testContext(t), "PRJ", &accesstokens.ListOptions{Limit: 1}))

	assert.Empty(t, errs)
	assert.Equal(t, []string{"000000000003", "000000000001"}, ids)
	assert.Equal(t, []url.Values{{"limit": {"1"}}, {"start": {"7"}, "limit": {"1"}}}, rec.all())
}

func TestAllStopsFetchingWhenTheCallerBreaks(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJ", respond(t, http.StatusOK, "page_first.json"))

	var seen []string
	for tok, err := range c.ProjectTokens.All(testContext(t), "PRJ", nil) {
		require.NoError(t, err)
		seen = append(seen, tok.ID)
		break
	}

	assert.Equal(t, []string{"000000000003"}, seen)
	assert.Equal(t, 1, ts.count(http.MethodGet, "/projects/PRJ"), "no page is fetched after the caller stops")
}

func TestAllNeverMutatesTheCallersOptionsAndKeepsItsLimit(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	rec := &pageRecorder{}
	ts.on(http.MethodGet, "/users/alice", func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		if start >= 30 {
			writeJSON(w, http.StatusOK, pagingTokenPage(start, 2, 2, true, -1))
			return
		}
		writeJSON(w, http.StatusOK, pagingTokenPage(start, 2, 2, false, start+10))
	})
	opts := &accesstokens.ListOptions{Start: 10, Limit: 2}
	before := *opts
	ctx := testContext(t)

	first, errs := collectTokens(c.UserTokens.All(ctx, "alice", opts))
	require.Empty(t, errs)
	assert.Equal(t, before, *opts, "All must not change the caller's options")

	second, errs := collectTokens(c.UserTokens.All(ctx, "alice", opts))
	require.Empty(t, errs)
	assert.Equal(t, first, second, "walking again with the same options starts from the same place")
	assert.Equal(t, before, *opts)

	assert.Equal(t, []string{"000000000010", "000000000011", "000000000020", "000000000021", "000000000030", "000000000031"}, first)
	queries := rec.all()
	require.Len(t, queries, 6)
	for i, q := range queries {
		assert.Equal(t, "2", q.Get("limit"), "request %d keeps the caller's limit", i)
		assert.Equal(t, strconv.Itoa(10+10*(i%3)), q.Get("start"), "request %d", i)
	}
}

func TestAllEndsWithAnErrorOnAPageThatDoesNotMoveForward(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		pages    map[int][]byte // by requested start
		wantIDs  []string
		requests int
		wantText string
	}{
		{
			name:     "not last but no nextPageStart",
			pages:    map[int][]byte{0: pagingTokenPage(0, 2, 2, false, -1)},
			wantIDs:  []string{"000000000000", "000000000001"},
			requests: 1, wantText: "nextPageStart",
		},
		{
			name:     "nextPageStart equals start",
			pages:    map[int][]byte{0: pagingTokenPage(0, 2, 2, false, 2), 2: pagingTokenPage(2, 2, 2, false, 2)},
			wantIDs:  []string{"000000000000", "000000000001", "000000000002", "000000000003"},
			requests: 2, wantText: "nextPageStart 2",
		},
		{
			name:     "nextPageStart below start",
			pages:    map[int][]byte{0: pagingTokenPage(0, 2, 2, false, 5), 5: pagingTokenPage(5, 1, 2, false, 3)},
			wantIDs:  []string{"000000000000", "000000000001", "000000000005"},
			requests: 2, wantText: "nextPageStart 3",
		},
		{
			name:     "nextPageStart zero on the first page",
			pages:    map[int][]byte{0: pagingTokenPage(0, 1, 1, false, 0)},
			wantIDs:  []string{"000000000000"},
			requests: 1, wantText: "nextPageStart 0",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, c := newTestServer(t)
			rec := &pageRecorder{}
			ts.on(http.MethodGet, "/projects/PRJ/repos/repo", func(w http.ResponseWriter, r *http.Request) {
				if n := rec.record(r); n > tc.requests {
					// A looping iterator would end here instead of hanging the test.
					t.Errorf("request %d: the iterator should have stopped", n)
					writeJSON(w, http.StatusBadRequest, fixture(t, "error_validation.json"))
					return
				}
				start, _ := strconv.Atoi(r.URL.Query().Get("start"))
				body, ok := tc.pages[start]
				if !ok {
					t.Errorf("unexpected start %d", start)
					writeJSON(w, http.StatusBadRequest, fixture(t, "error_validation.json"))
					return
				}
				writeJSON(w, http.StatusOK, body)
			})

			var ids []string
			var errs []error
			var afterError int
			for tok, err := range c.RepoTokens.All(testContext(t), "PRJ", "repo", nil) {
				if len(errs) > 0 {
					afterError++
				}
				if err != nil {
					errs = append(errs, err)
					continue
				}
				ids = append(ids, tok.ID)
			}

			assert.Equal(t, tc.wantIDs, ids, "the values before the faulty page's end are still yielded")
			require.Len(t, errs, 1, "exactly one error ends the walk")
			assert.Zero(t, afterError, "the error is the last thing yielded")
			assert.Contains(t, errs[0].Error(), tc.wantText)
			assert.Equal(t, tc.requests, rec.count(), "nothing is fetched after the error")
		})
	}
}

func TestAllYieldsAFirstPageErrorOnce(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	ts.on(http.MethodGet, "/projects/PRJX", respond(t, http.StatusNotFound, "error_no_such_project.json"))

	var calls int
	var got error
	for tok, err := range c.ProjectTokens.All(testContext(t), "PRJX", &accesstokens.ListOptions{Limit: 5}) {
		calls++
		assert.Zero(t, tok)
		got = err
	}

	assert.Equal(t, 1, calls)
	require.ErrorIs(t, got, accesstokens.ErrNotFound)
	var apiErr *accesstokens.Error
	require.ErrorAs(t, got, &apiErr)
	assert.Equal(t, apiRoot+"/projects/PRJX", apiErr.Path)
	assert.Equal(t, 1, ts.count(http.MethodGet, "/projects/PRJX"))
}

func TestAllWithInvalidArgumentsSendsNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		field string
		seq   func(c *accesstokens.Client) func(yield func(accesstokens.AccessToken, error) bool)
	}{
		{"empty project key", "projectKey", func(c *accesstokens.Client) func(yield func(accesstokens.AccessToken, error) bool) {
			return c.ProjectTokens.All(testContext(t), "", nil)
		}},
		{"empty user slug", "userSlug", func(c *accesstokens.Client) func(yield func(accesstokens.AccessToken, error) bool) {
			return c.UserTokens.All(testContext(t), "", nil)
		}},
		{"empty repository slug", "repoSlug", func(c *accesstokens.Client) func(yield func(accesstokens.AccessToken, error) bool) {
			return c.RepoTokens.All(testContext(t), "PRJ", "", nil)
		}},
		{"negative limit", "Limit", func(c *accesstokens.Client) func(yield func(accesstokens.AccessToken, error) bool) {
			return c.ProjectTokens.All(testContext(t), "PRJ", &accesstokens.ListOptions{Limit: -1})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, c := newTestServer(t) // no routes: any request fails the test

			ids, errs := collectTokens(tc.seq(c))

			assert.Empty(t, ids)
			require.Len(t, errs, 1)
			assert.ErrorIs(t, errs[0], accesstokens.ErrInvalidArgument)
			assert.Contains(t, errs[0].Error(), tc.field)
		})
	}
}

// TestAllWalksManyPagesOnePageAtATime shows that the iterator fetches a page
// only when the previous one is used up (it never reads ahead), and asks for
// the right start each time, across 50 pages with gaps between positions.
func TestAllWalksManyPagesOnePageAtATime(t *testing.T) {
	t.Parallel()
	const pages, perPage, stride = 50, 2, 10
	ts, c := newTestServer(t)
	rec := &pageRecorder{}
	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		n := rec.record(r)
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		last := n >= pages
		next := -1
		if !last {
			next = start + stride
		}
		writeJSON(w, http.StatusOK, pagingTokenPage(start, perPage, perPage, last, next))
	})

	var ids []string
	for tok, err := range c.ProjectTokens.All(testContext(t), "PRJ", &accesstokens.ListOptions{Limit: perPage}) {
		require.NoError(t, err)
		// While reading value i, only the page holding it has been fetched.
		require.Equal(t, len(ids)/perPage+1, rec.count(), "value %d", len(ids))
		ids = append(ids, tok.ID)
	}

	require.Len(t, ids, pages*perPage)
	queries := rec.all()
	require.Len(t, queries, pages)
	for i, q := range queries {
		wantStart := ""
		if i > 0 {
			wantStart = strconv.Itoa(i * stride)
		}
		assert.Equal(t, wantStart, q.Get("start"), "page %d", i)
		assert.Equal(t, strconv.Itoa(perPage), q.Get("limit"), "page %d", i)
		assert.Equal(t, fmt.Sprintf("%012d", i*stride), ids[i*perPage])
		assert.Equal(t, fmt.Sprintf("%012d", i*stride+1), ids[i*perPage+1])
	}
}

// TestAllStopsOnAnEmptyPageThatIsNotTheLast: a server that answers empty
// pages while moving forward would otherwise keep All going for ever.
func TestAllStopsOnAnEmptyPageThatIsNotTheLast(t *testing.T) {
	t.Parallel()
	ts, c := newTestServer(t)
	var requests atomic.Int64
	ts.on(http.MethodGet, "/projects/PRJ", func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		writeJSON(w, 200, []byte(fmt.Sprintf(`{"size":0,"limit":25,"isLastPage":false,"start":%d,"nextPageStart":%d,"values":[]}`, n-1, n)))
	})
	var errs []error
	for _, err := range c.ProjectTokens.All(testContext(t), "PRJ", nil) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "empty but not the last")
	assert.Equal(t, int64(1), requests.Load())
}
