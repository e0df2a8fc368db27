package accesstokens_test

// Benchmarks that hold the SDK to the cost of the code a careful user would
// write with net/http and encoding/json alone. Each SDK benchmark has a
// hand-written baseline beside it (BenchmarkX/impl=sdk, BenchmarkX/impl=baseline), and
// both go through the same in-memory RoundTripper, so the difference is the
// SDK's own overhead. See BENCHMARKS.md for the commands and the budget.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

const (
	benchBaseURL   = "https://bitbucket.example.com/bitbucket"
	benchProject   = "PRJ"
	benchTokenID   = "075905477751"
	benchBearer    = "test-token"
	benchUserAgent = "hand-written/1.0"
)

// appendToken appends one project token as Bitbucket sends it: epoch-ms
// dates (expiry and last use on every other token), two permissions and the
// project's SERVICE bot user with its links. secret, when set, is the
// "token" field that only a create answer carries.
func appendToken(b []byte, i int, secret string) []byte {
	n := int64(i)
	b = append(b, `{"id":"`...)
	b = append(b, fmt.Sprintf("%012d", 75905477751+n)...)
	b = append(b, `","createdDate":`...)
	b = strconv.AppendInt(b, 1672996351030+n*1000, 10)
	if i%2 == 0 {
		b = append(b, `,"expiryDate":`...)
		b = strconv.AppendInt(b, 1684328824446+n*1000, 10)
		b = append(b, `,"lastAuthenticated":`...)
		b = strconv.AppendInt(b, 1673000000123+n*1000, 10)
	}
	b = append(b, `,"name":"ci deploy `...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `","permissions":["PROJECT_READ","REPO_WRITE"],"user":{"name":"access-token-user/1/`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `","active":true,"displayName":"Access Token User - PRJ","emailAddress":null,"id":`...)
	b = strconv.AppendInt(b, 16771+n, 10)
	b = append(b, `,"slug":"access-token-user_1_`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `","type":"SERVICE","links":{"self":[{"href":"https://git/bots/access-token-user_1_`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `"}]}}`...)
	if secret != "" {
		b = append(b, `,"token":"`...)
		b = append(b, secret...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendPage appends the page of tokens [start, start+limit) out of total.
func appendPage(b []byte, start, limit, total int) []byte {
	end := min(start+limit, total)
	last := end >= total
	b = append(b, `{"size":`...)
	b = strconv.AppendInt(b, int64(end-start), 10)
	b = append(b, `,"limit":`...)
	b = strconv.AppendInt(b, int64(limit), 10)
	b = append(b, `,"isLastPage":`...)
	b = strconv.AppendBool(b, last)
	b = append(b, `,"start":`...)
	b = strconv.AppendInt(b, int64(start), 10)
	if !last {
		b = append(b, `,"nextPageStart":`...)
		b = strconv.AppendInt(b, int64(end), 10)
	}
	b = append(b, `,"values":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = appendToken(b, i, "")
	}
	return append(b, "]}"...)
}

// Answers built once, before any benchmark runs.
var (
	benchTokenBody   = appendToken(nil, 0, "")
	benchCreatedBody = appendToken(nil, 0, "BBDC-NzU5MDU0Nzc3NTE6c2VjcmV0LXZhbHVlLWZvci10ZXN0cw")
	benchPage25      = appendPage(nil, 0, 25, 25)
	benchPage1000    = appendPage(nil, 0, 1000, 1000)
	benchPage3Of1000 = appendPage(nil, 0, 1000, 3) // a whole-server audit's usual answer: a scope of a few tokens
	benchPages10000  = pagesByQuery(10000, 1000)
)

// pagesByQuery prebuilds every page of a walk over total tokens, keyed by the
// raw query that asks for it (url.Values sorts keys, as both clients do).
func pagesByQuery(total, limit int) map[string][]byte {
	pages := map[string][]byte{}
	for start := 0; start < total; start += limit {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if start > 0 {
			q.Set("start", strconv.Itoa(start))
		}
		pages[q.Encode()] = appendPage(nil, start, limit, total)
	}
	return pages
}

// cannedTransport answers every request in memory with prebuilt bytes: body
// for every request, or the page that pages holds for the request's query.
// The request body, if any, is read as a real transport would write it.
type cannedTransport struct {
	status int
	body   []byte
	pages  map[string][]byte
}

func (c *cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	body := c.body
	if c.pages != nil {
		var ok bool
		if body, ok = c.pages[req.URL.RawQuery]; !ok {
			return nil, fmt.Errorf("no page for query %q", req.URL.RawQuery)
		}
	}
	return cannedResponse(req, c.status, body), nil
}

// cannedResponse is what net/http hands back for a JSON answer: a fresh
// header and a fresh reader over the body, with its length known.
func cannedResponse(req *http.Request, status int, body []byte) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json;charset=UTF-8"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// newBenchSDK is the SDK as a user would configure it: a token, the default
// retry policy, and their own *http.Client (here over rt).
func newBenchSDK(tb testing.TB, rt http.RoundTripper) *accesstokens.Client {
	tb.Helper()
	c, err := accesstokens.NewClient(benchBaseURL,
		accesstokens.WithToken(benchBearer),
		accesstokens.WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(tb, err)
	return c
}

// The baseline: what a careful user writes with net/http and encoding/json.

type plainUser struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	DisplayName  string `json:"displayName"`
	EmailAddress string `json:"emailAddress"`
	Active       bool   `json:"active"`
	Type         string `json:"type"`
}

type plainToken struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	CreatedDate       int64     `json:"createdDate"`
	ExpiryDate        *int64    `json:"expiryDate"`
	LastAuthenticated *int64    `json:"lastAuthenticated"`
	Permissions       []string  `json:"permissions"`
	User              plainUser `json:"user"`
}

type plainCreated struct {
	plainToken
	Token string `json:"token"`
}

type plainPage struct {
	Values        []plainToken `json:"values"`
	Size          int          `json:"size"`
	Start         int          `json:"start"`
	Limit         int          `json:"limit"`
	IsLastPage    bool         `json:"isLastPage"`
	NextPageStart int          `json:"nextPageStart"`
}

type plainCreate struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	ExpiryDays  int      `json:"expiryDays,omitempty"`
}

type plainUpdate struct {
	Name        string   `json:"name,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

type plainClient struct {
	hc   *http.Client
	root string // base URL + /rest/access-tokens/latest
}

func newPlainClient(rt http.RoundTripper) *plainClient {
	return &plainClient{hc: &http.Client{Transport: rt}, root: benchBaseURL + "/rest/access-tokens/latest"}
}

func (p *plainClient) do(ctx context.Context, method, path, query string, body []byte, out any) error {
	u := p.root + path
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+benchBearer)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", benchUserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func tokenPath(projectKey, tokenID string) string {
	return "/projects/" + url.PathEscape(projectKey) + "/" + url.PathEscape(tokenID)
}

func (p *plainClient) get(ctx context.Context, projectKey, tokenID string) (*plainToken, error) {
	var t plainToken
	if err := p.do(ctx, http.MethodGet, tokenPath(projectKey, tokenID), "", nil, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

func (p *plainClient) create(ctx context.Context, projectKey string, req plainCreate) (*plainCreated, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var t plainCreated
	if err := p.do(ctx, http.MethodPut, "/projects/"+url.PathEscape(projectKey), "", body, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

func (p *plainClient) update(ctx context.Context, projectKey, tokenID string, req plainUpdate) (*plainToken, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var t plainToken
	if err := p.do(ctx, http.MethodPost, tokenPath(projectKey, tokenID), "", body, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

func (p *plainClient) delete(ctx context.Context, projectKey, tokenID string) error {
	return p.do(ctx, http.MethodDelete, tokenPath(projectKey, tokenID), "", nil, nil)
}

func (p *plainClient) list(ctx context.Context, projectKey string, start, limit int) (*plainPage, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if start > 0 {
		q.Set("start", strconv.Itoa(start))
	}
	var page plainPage
	if err := p.do(ctx, http.MethodGet, "/projects/"+url.PathEscape(projectKey), q.Encode(), nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// all calls fn on every token, page after page.
func (p *plainClient) all(ctx context.Context, projectKey string, limit int, fn func(*plainToken)) error {
	start := 0
	for {
		page, err := p.list(ctx, projectKey, start, limit)
		if err != nil {
			return err
		}
		for i := range page.Values {
			fn(&page.Values[i])
		}
		if page.IsLastPage {
			return nil
		}
		start = page.NextPageStart
	}
}

// Sinks keep results alive so the compiler cannot drop the work.
var (
	sinkToken   *accesstokens.AccessToken
	sinkRaw     *accesstokens.RawAccessToken
	sinkPage    *accesstokens.Page[accesstokens.AccessToken]
	sinkPlain   *plainToken
	sinkCreated *plainCreated
	sinkPlainPg *plainPage
	sinkCount   int
)

// benchPair runs sdk and baseline as sub-benchmarks of b, named
// BenchmarkX/impl=sdk and BenchmarkX/impl=baseline: pairs sort together, and
// `benchstat -col /impl@(baseline,sdk)` puts them side by side with the ratio.
func benchPair(b *testing.B, p pair) {
	b.Run("impl=sdk", func(b *testing.B) { b.ReportAllocs(); p.sdk(b) })
	b.Run("impl=baseline", func(b *testing.B) { b.ReportAllocs(); p.baseline(b) })
}

// pair is one operation done by the SDK and by the hand-written baseline,
// each as a benchmark body. The benchmarks and TestAllocationBudget share them.
type pair struct{ sdk, baseline func(b *testing.B) }

func getPair() pair {
	rt := &cannedTransport{status: http.StatusOK, body: benchTokenBody}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		for i := 0; i < b.N; i++ {
			t, err := c.ProjectTokens.Get(ctx, benchProject, benchTokenID)
			if err != nil {
				b.Fatal(err)
			}
			sinkToken = t
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		for i := 0; i < b.N; i++ {
			t, err := p.get(ctx, benchProject, benchTokenID)
			if err != nil {
				b.Fatal(err)
			}
			sinkPlain = t
		}
	}}
}

func BenchmarkGet(b *testing.B) { benchPair(b, getPair()) }

func createPair() pair {
	rt := &cannedTransport{status: http.StatusOK, body: benchCreatedBody}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		req := accesstokens.CreateTokenRequest{
			Name:        "ci deploy",
			Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite},
			ExpiryDays:  90,
		}
		for i := 0; i < b.N; i++ {
			t, err := c.ProjectTokens.Create(ctx, benchProject, req)
			if err != nil {
				b.Fatal(err)
			}
			sinkRaw = t
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		req := plainCreate{Name: "ci deploy", Permissions: []string{"PROJECT_READ", "REPO_WRITE"}, ExpiryDays: 90}
		for i := 0; i < b.N; i++ {
			t, err := p.create(ctx, benchProject, req)
			if err != nil {
				b.Fatal(err)
			}
			sinkCreated = t
		}
	}}
}

func BenchmarkCreate(b *testing.B) { benchPair(b, createPair()) }

func updatePair() pair {
	rt := &cannedTransport{status: http.StatusOK, body: benchTokenBody}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		name := "ci deploy (renamed)"
		req := accesstokens.UpdateTokenRequest{
			Name:        &name,
			Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoAdmin},
		}
		for i := 0; i < b.N; i++ {
			t, err := c.ProjectTokens.Update(ctx, benchProject, benchTokenID, req)
			if err != nil {
				b.Fatal(err)
			}
			sinkToken = t
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		req := plainUpdate{Name: "ci deploy (renamed)", Permissions: []string{"PROJECT_READ", "REPO_ADMIN"}}
		for i := 0; i < b.N; i++ {
			t, err := p.update(ctx, benchProject, benchTokenID, req)
			if err != nil {
				b.Fatal(err)
			}
			sinkPlain = t
		}
	}}
}

func BenchmarkUpdate(b *testing.B) { benchPair(b, updatePair()) }

func deletePair() pair {
	rt := &cannedTransport{status: http.StatusNoContent}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		for i := 0; i < b.N; i++ {
			if err := c.ProjectTokens.Delete(ctx, benchProject, benchTokenID); err != nil {
				b.Fatal(err)
			}
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		for i := 0; i < b.N; i++ {
			if err := p.delete(ctx, benchProject, benchTokenID); err != nil {
				b.Fatal(err)
			}
		}
	}}
}

func BenchmarkDelete(b *testing.B) { benchPair(b, deletePair()) }

// listPair lists a page asked with limit, whose answer, body, holds n tokens.
func listPair(body []byte, limit, n int) pair {
	rt := &cannedTransport{status: http.StatusOK, body: body}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		opts := &accesstokens.ListOptions{Limit: limit}
		for i := 0; i < b.N; i++ {
			page, err := c.ProjectTokens.List(ctx, benchProject, opts)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Values) != n {
				b.Fatalf("got %d tokens, want %d", len(page.Values), n)
			}
			sinkPage = page
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		for i := 0; i < b.N; i++ {
			page, err := p.list(ctx, benchProject, 0, limit)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Values) != n {
				b.Fatalf("got %d tokens, want %d", len(page.Values), n)
			}
			sinkPlainPg = page
		}
	}}
}

func BenchmarkList25(b *testing.B)   { benchPair(b, listPair(benchPage25, 25, 25)) }
func BenchmarkList1000(b *testing.B) { benchPair(b, listPair(benchPage1000, 1000, 1000)) }

// BenchmarkList3Of1000 is the call a whole-server audit makes for most
// scopes: up to 1000 tokens asked for, 3 answered.
func BenchmarkList3Of1000(b *testing.B) { benchPair(b, listPair(benchPage3Of1000, 1000, 3)) }

// A page is given room for the values it says it holds, not for the limit
// asked for: a whole-server audit asks for 1000 tokens a scope and most
// scopes hold a few, and room for 1000 on every page cost it 2.5 times its
// time in allocation and garbage collection.
func TestAPageOfAFewTokensAskedWith1000IsNotGivenRoomFor1000(t *testing.T) {
	t.Parallel()
	rt := &cannedTransport{status: http.StatusOK, body: benchPage3Of1000}
	page, err := newBenchSDK(t, rt).ProjectTokens.List(testContext(t), benchProject, &accesstokens.ListOptions{Limit: 1000})
	require.NoError(t, err)
	require.Len(t, page.Values, 3)
	assert.LessOrEqual(t, cap(page.Values), 25)
}

func all10000Pair() pair {
	const total, limit = 10000, 1000
	rt := &cannedTransport{status: http.StatusOK, pages: benchPages10000}
	ctx := context.Background()
	return pair{func(b *testing.B) {
		c := newBenchSDK(b, rt)
		opts := &accesstokens.ListOptions{Limit: limit}
		for i := 0; i < b.N; i++ {
			n := 0
			for t, err := range c.ProjectTokens.All(ctx, benchProject, opts) {
				if err != nil {
					b.Fatal(err)
				}
				n += len(t.ID)
			}
			if n != total*len(benchTokenID) {
				b.Fatalf("walked %d ID bytes, want %d", n, total*len(benchTokenID))
			}
			sinkCount = n
		}
	}, func(b *testing.B) {
		p := newPlainClient(rt)
		for i := 0; i < b.N; i++ {
			n := 0
			err := p.all(ctx, benchProject, limit, func(t *plainToken) { n += len(t.ID) })
			if err != nil {
				b.Fatal(err)
			}
			if n != total*len(benchTokenID) {
				b.Fatalf("walked %d ID bytes, want %d", n, total*len(benchTokenID))
			}
			sinkCount = n
		}
	}}
}

func BenchmarkAll10000(b *testing.B) { benchPair(b, all10000Pair()) }

// TestBenchmarkPairsDecodeTheSameTokens proves that each benchmark pair does
// the same work: the SDK and the baseline read the same answers from the same
// transport and agree on every field.
func TestBenchmarkPairsDecodeTheSameTokens(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	same := func(t *testing.T, want *plainToken, got accesstokens.AccessToken) {
		t.Helper()
		assert.Equal(t, want.ID, got.ID)
		assert.Equal(t, want.Name, got.Name)
		assert.Equal(t, ms(want.CreatedDate), got.CreatedDate)
		if want.ExpiryDate == nil {
			assert.Nil(t, got.ExpiryDate)
		} else if assert.NotNil(t, got.ExpiryDate) {
			assert.Equal(t, ms(*want.ExpiryDate), *got.ExpiryDate)
		}
		if want.LastAuthenticated == nil {
			assert.Nil(t, got.LastAuthenticated)
		} else if assert.NotNil(t, got.LastAuthenticated) {
			assert.Equal(t, ms(*want.LastAuthenticated), *got.LastAuthenticated)
		}
		perms := make([]string, len(got.Permissions))
		for i, p := range got.Permissions {
			perms[i] = string(p)
		}
		assert.Equal(t, want.Permissions, perms)
		require.NotNil(t, got.User)
		assert.Equal(t, accesstokens.User(want.User), *got.User)
		assert.Equal(t, "SERVICE", got.User.Type)
	}

	t.Run("get", func(t *testing.T) {
		rt := &cannedTransport{status: http.StatusOK, body: benchTokenBody}
		want, err := newPlainClient(rt).get(ctx, benchProject, benchTokenID)
		require.NoError(t, err)
		got, err := newBenchSDK(t, rt).ProjectTokens.Get(ctx, benchProject, benchTokenID)
		require.NoError(t, err)
		same(t, want, *got)
	})
	t.Run("create", func(t *testing.T) {
		rt := &cannedTransport{status: http.StatusOK, body: benchCreatedBody}
		want, err := newPlainClient(rt).create(ctx, benchProject, plainCreate{Name: "n", Permissions: []string{"REPO_READ"}})
		require.NoError(t, err)
		got, err := newBenchSDK(t, rt).ProjectTokens.Create(ctx, benchProject,
			accesstokens.CreateTokenRequest{Name: "n", Permissions: []accesstokens.Permission{accesstokens.RepoRead}})
		require.NoError(t, err)
		same(t, &want.plainToken, got.AccessToken)
		assert.Equal(t, want.Token, got.Token.Reveal())
	})
	t.Run("all", func(t *testing.T) {
		rt := &cannedTransport{status: http.StatusOK, pages: benchPages10000}
		var want []plainToken
		require.NoError(t, newPlainClient(rt).all(ctx, benchProject, 1000, func(t *plainToken) { want = append(want, *t) }))
		require.Len(t, want, 10000)
		i := 0
		for got, err := range newBenchSDK(t, rt).ProjectTokens.All(ctx, benchProject, &accesstokens.ListOptions{Limit: 1000}) {
			require.NoError(t, err)
			require.Less(t, i, len(want))
			if i%997 == 0 { // a spread of tokens, both with and without dates
				same(t, &want[i], got)
			}
			i++
		}
		assert.Equal(t, len(want), i)
	})
}

// generatedPages serves a walk over total tokens, generating each page when
// it is asked for, so the test holds no page of its own. Its tokens are
// short (like testdata/page_first.json) to keep the walk fast under -race;
// smaller pages make the memory bound stricter, not looser.
type generatedPages struct{ total int }

func (g *generatedPages) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	start, _ := strconv.Atoi(q.Get("start"))
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 {
		return nil, fmt.Errorf("bad limit %q", q.Get("limit"))
	}
	return cannedResponse(req, http.StatusOK, appendShortPage(nil, start, limit, g.total)), nil
}

// appendShortPage appends the page [start, start+limit) of short tokens.
func appendShortPage(b []byte, start, limit, total int) []byte {
	end := min(start+limit, total)
	b = fmt.Appendf(b, `{"size":%d,"limit":%d,"isLastPage":%t,"start":%d,`, end-start, limit, end >= total, start)
	if end < total {
		b = fmt.Appendf(b, `"nextPageStart":%d,`, end)
	}
	b = append(b, `"values":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"id":"%012d","createdDate":%d,"name":"t%d","permissions":["REPO_READ"],"user":{"type":"SERVICE"}}`,
			75905477751+i, 1672996351030+i, i)
	}
	return append(b, "]}"...)
}

// liveHeap is the heap still reachable after a full collection.
func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestAllHoldsOnePageAtATime walks 100,000 tokens in pages of 1000 and
// checks that the live heap never grows by two pages' worth: All must let
// each page go before it holds the next. It is not parallel on purpose: it
// reads the process-wide heap, which concurrent tests would disturb.
func TestAllHoldsOnePageAtATime(t *testing.T) {
	const total, limit = 100_000, 1000
	ctx := testContext(t)
	c := newBenchSDK(t, &generatedPages{total: total})
	opts := &accesstokens.ListOptions{Limit: limit}

	// What one page costs: its raw bytes plus the decoded page, held alive.
	raw := int64(len(appendShortPage(nil, 0, limit, total)))
	before := liveHeap()
	page, err := c.ProjectTokens.List(ctx, benchProject, opts)
	require.NoError(t, err)
	require.Len(t, page.Values, limit)
	decoded := liveHeap() - before
	runtime.KeepAlive(page)
	require.Positive(t, decoded, "a decoded page must take heap")
	pageCost := raw + decoded
	t.Logf("one page: %d raw bytes + %d decoded bytes", raw, decoded)

	// Between two tokens of one page the live heap is the same, so about one
	// sample per page is enough; a prime step moves the sample through the
	// page (just after a fetch, mid-page, at its end) as the walk goes on.
	const sampleEvery = 997
	base := liveHeap()
	var maxGrowth int64
	n := 0
	for tok, err := range c.ProjectTokens.All(ctx, benchProject, opts) {
		require.NoError(t, err)
		if want := fmt.Sprintf("%012d", 75905477751+int64(n)); tok.ID != want {
			require.Equal(t, want, tok.ID, "token %d", n)
		}
		n++
		if n%sampleEvery == 0 {
			maxGrowth = max(maxGrowth, liveHeap()-base)
		}
	}
	require.Equal(t, total, n)
	t.Logf("max live heap growth during the walk: %d bytes (one page: %d)", maxGrowth, pageCost)
	assert.Less(t, maxGrowth, 2*pageCost, "All holds more than one page at a time")
}
