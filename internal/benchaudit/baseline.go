package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
)

// The hand-written baseline: what a careful user writes with net/http and
// encoding/json alone to make the audit's requests. It runs in a process of
// its own (this program, started again with "baseline" as its first
// argument), so that it pays what the audit pays: a process start, its own
// heap, its own connections.
//
// It sends what `accesstokens audit --all` sends, in the same order: the
// application properties, every page of admin/users, projects and repos
// (archived=ALL), then, from `concurrency` goroutines taking scopes from a
// queue, every page of each user's, project's and repository's tokens, with
// the same limit and the same query strings. The driver checks that the
// server saw the same requests from both.

// baselineSettings are the baseline's flags.
type baselineSettings struct {
	url, user, password string
	concurrency, limit  int
	repeatPath          string // instead of the audit's requests: GET this path repeat times
	repeat              int
}

// baselineMain runs the baseline and prints what it read as one JSON line:
// {"scopes":N,"tokens":N}.
func baselineMain(args []string) error {
	var s baselineSettings
	fs := flag.NewFlagSet("benchaudit baseline", flag.ContinueOnError)
	fs.StringVar(&s.url, "url", "", "base URL of the server")
	fs.StringVar(&s.user, "user", "admin", "user name (Basic auth)")
	fs.StringVar(&s.password, "password", "admin", "password (Basic auth)")
	fs.IntVar(&s.concurrency, "concurrency", 8, "scopes read at once")
	fs.IntVar(&s.limit, "limit", 1000, "page size asked for")
	fs.StringVar(&s.repeatPath, "repeat-path", "", "GET this path (below the base URL) -repeat times instead")
	fs.IntVar(&s.repeat, "repeat", 0, "how many times to GET -repeat-path")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE`")
	traceFile := fs.String("trace", "", "write an execution trace of the run to `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := startProfiles(*cpuProfile, *traceFile)
	if err != nil {
		return err
	}
	defer stop()
	b := newBaseline(s)
	var read readCount
	if s.repeatPath != "" {
		read, err = b.repeatGet(context.Background(), s.repeatPath, s.repeat)
	} else {
		read, err = b.audit(context.Background())
	}
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(read)
}

// startProfiles starts a CPU profile and an execution trace into the files
// named (none for ""); stop ends them.
func startProfiles(cpuProfile, traceFile string) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for _, s := range stops {
			s()
		}
	}
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return stop, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return stop, err
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return stop, err
		}
		if err := trace.Start(f); err != nil {
			return stop, err
		}
		stops = append(stops, func() { trace.Stop(); f.Close() })
	}
	return stop, nil
}

// readCount is what a baseline run read.
type readCount struct {
	Scopes int `json:"scopes"`
	Tokens int `json:"tokens"`
}

type baseline struct {
	hc          *http.Client
	base        string
	user, pass  string
	concurrency int
	limit       string
}

func newBaseline(s baselineSettings) *baseline {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = s.concurrency // one kept-alive connection per goroutine
	return &baseline{
		hc:          &http.Client{Transport: tr},
		base:        s.url,
		user:        s.user,
		pass:        s.password,
		concurrency: max(1, s.concurrency),
		limit:       strconv.Itoa(s.limit),
	}
}

// Plain structs holding the fields the SDK's types hold (AccessToken, User,
// DirectoryUser, Project, Repository), as the per-call baseline of
// bench_test.go does: both clients decode the same answers to the same
// values. Dates stay epoch milliseconds.
type (
	plainPage[T any] struct {
		Values        []T  `json:"values"`
		IsLastPage    bool `json:"isLastPage"`
		NextPageStart int  `json:"nextPageStart"`
	}
	plainUser struct {
		ID           int    `json:"id"`
		Name         string `json:"name"`
		Slug         string `json:"slug"`
		DisplayName  string `json:"displayName"`
		EmailAddress string `json:"emailAddress"`
		Active       bool   `json:"active"`
		Type         string `json:"type"`
	}
	plainDirectoryUser struct {
		plainUser
		LastAuthenticationTimestamp *int64 `json:"lastAuthenticationTimestamp"`
	}
	plainProject struct {
		ID   int    `json:"id"`
		Key  string `json:"key"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	plainRepo struct {
		ID       int          `json:"id"`
		Slug     string       `json:"slug"`
		Name     string       `json:"name"`
		Archived bool         `json:"archived"`
		Project  plainProject `json:"project"`
	}
	plainToken struct {
		ID                string    `json:"id"`
		Name              string    `json:"name"`
		CreatedDate       int64     `json:"createdDate"`
		ExpiryDate        *int64    `json:"expiryDate"`
		LastAuthenticated *int64    `json:"lastAuthenticated"`
		Permissions       []string  `json:"permissions"`
		User              plainUser `json:"user"`
	}
)

const (
	coreAPI   = "/rest/api/latest"
	tokensAPI = "/rest/access-tokens/latest"
)

// audit makes the audit's requests: the directory, then every scope's tokens.
func (b *baseline) audit(ctx context.Context) (readCount, error) {
	var props struct {
		Version string `json:"version"`
	}
	if err := b.get(ctx, coreAPI+"/application-properties", "", &props); err != nil {
		return readCount{}, err
	}
	scopes, err := b.scopes(ctx)
	if err != nil {
		return readCount{}, err
	}
	tokens, err := b.readScopes(ctx, scopes)
	return readCount{Scopes: len(scopes), Tokens: tokens}, err
}

// scopes lists the token-list paths of every scope, as audit.Targets does:
// NORMAL users, NORMAL projects, every repository.
func (b *baseline) scopes(ctx context.Context) ([]string, error) {
	var paths []string
	err := walk(ctx, b, coreAPI+"/admin/users", nil, func(u *plainDirectoryUser) {
		if u.Type != "SERVICE" {
			paths = append(paths, tokensAPI+"/users/"+url.PathEscape(u.Slug))
		}
	})
	if err != nil {
		return nil, err
	}
	err = walk(ctx, b, coreAPI+"/projects", nil, func(p *plainProject) {
		if p.Type != "PERSONAL" {
			paths = append(paths, tokensAPI+"/projects/"+url.PathEscape(p.Key))
		}
	})
	if err != nil {
		return nil, err
	}
	err = walk(ctx, b, coreAPI+"/repos", url.Values{"archived": {"ALL"}}, func(r *plainRepo) {
		paths = append(paths, tokensAPI+"/projects/"+url.PathEscape(r.Project.Key)+"/repos/"+url.PathEscape(r.Slug))
	})
	return paths, err
}

// readScopes reads every scope's tokens from b.concurrency goroutines and
// returns how many there were.
func (b *baseline) readScopes(ctx context.Context, paths []string) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	queue := make(chan string, len(paths))
	for _, p := range paths {
		queue <- p
	}
	close(queue)
	var tokens atomic.Int64
	var wg sync.WaitGroup
	for range min(b.concurrency, len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queue {
				n := 0
				if err := walk(ctx, b, p, nil, func(*plainToken) { n++ }); err != nil {
					cancel(err)
					return
				}
				tokens.Add(int64(n))
			}
		}()
	}
	wg.Wait()
	return int(tokens.Load()), context.Cause(ctx)
}

// repeatGet gets one path n times from b.concurrency goroutines: the cost of
// one list request, whatever else the server holds.
func (b *baseline) repeatGet(ctx context.Context, path string, n int) (readCount, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var left, tokens atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for range b.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				var page plainPage[plainToken]
				if err := b.get(ctx, path, "", &page); err != nil {
					cancel(err)
					return
				}
				tokens.Add(int64(len(page.Values)))
			}
		}()
	}
	wg.Wait()
	return readCount{Scopes: n, Tokens: int(tokens.Load())}, context.Cause(ctx)
}

// walk gets every page of a paged resource, with the query the SDK sends:
// extra, limit, and start from the second page on (url.Values sorts keys,
// as go-querystring's encoding does).
func walk[T any](ctx context.Context, b *baseline, path string, extra url.Values, each func(*T)) error {
	start := 0
	for {
		q := url.Values{"limit": {b.limit}}
		for k, v := range extra {
			q[k] = v
		}
		if start > 0 {
			q.Set("start", strconv.Itoa(start))
		}
		var page plainPage[T]
		if err := b.get(ctx, path, q.Encode(), &page); err != nil {
			return err
		}
		for i := range page.Values {
			each(&page.Values[i])
		}
		if page.IsLastPage {
			return nil
		}
		if page.NextPageStart <= start {
			return fmt.Errorf("GET %s: nextPageStart %d does not move on from %d", path, page.NextPageStart, start)
		}
		start = page.NextPageStart
	}
}

// get sends one GET and decodes its 200 answer into out.
func (b *baseline) get(ctx context.Context, path, query string, out any) error {
	u := b.base + path
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(b.user, b.pass)
	req.Header.Set("Accept", "application/json")
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	_, err = io.Copy(io.Discard, resp.Body) // to the end, so the connection is kept
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
