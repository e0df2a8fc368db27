// Tests of client.go against the fake: one client shared by many goroutines.

package accesstokens_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

func TestFakeOneClientSharedByManyGoroutinesKeepsTheFakeConsistent(t *testing.T) {
	t.Parallel()
	const (
		workers   = 16
		perWorker = 3
	)
	srv := startFake(t)
	alice := fakeClientAs(t, srv, accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword)
	ctx := testContext(t)
	scopes := demoScopes()

	type result struct {
		scope   string
		kept    map[string]string // id → name, what the worker was told still exists
		deleted []string
		err     error
	}
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := scopes[w%len(scopes)]
			res := result{scope: sc.scope, kept: map[string]string{}}
			defer func() { results <- res }()
			var ids []string
			for i := range perWorker {
				name := fmt.Sprintf("w%02d-%d", w, i)
				raw, err := sc.create(ctx, alice, accesstokens.CreateTokenRequest{Name: name, Permissions: sc.perms})
				if err != nil {
					res.err = fmt.Errorf("create %s: %w", name, err)
					return
				}
				if !fakeTokenID.MatchString(raw.ID) || raw.Name != name {
					res.err = fmt.Errorf("create %s answered id %q name %q", name, raw.ID, raw.Name)
					return
				}
				ids = append(ids, raw.ID)
				res.kept[raw.ID] = name
			}
			// One page holds the whole scope (at most 6 workers × 3 tokens): paging by
			// position while other goroutines delete would legitimately skip tokens.
			seen := map[string]bool{}
			for tok, err := range sc.all(ctx, alice, nil) {
				if err != nil {
					res.err = fmt.Errorf("all: %w", err)
					return
				}
				seen[tok.ID] = true
			}
			for _, id := range ids {
				if !seen[id] {
					res.err = fmt.Errorf("all did not list %s, created by this worker", id)
					return
				}
			}
			if err := sc.delete(ctx, alice, ids[0]); err != nil {
				res.err = fmt.Errorf("delete %s: %w", ids[0], err)
				return
			}
			delete(res.kept, ids[0])
			res.deleted = append(res.deleted, ids[0])
			if _, err := sc.get(ctx, alice, ids[0]); !errors.Is(err, accesstokens.ErrNotFound) {
				res.err = fmt.Errorf("get after delete: want ErrNotFound, got %v", err)
			}
		}()
	}
	wg.Wait()
	close(results)

	want := map[string]string{} // id → scope + name
	var deleted []string
	for res := range results {
		require.NoError(t, res.err)
		for id, name := range res.kept {
			_, dup := want[id]
			require.False(t, dup, "id %s handed out twice", id)
			want[id] = res.scope + " " + name
		}
		deleted = append(deleted, res.deleted...)
	}
	require.Len(t, want, workers*(perWorker-1))
	require.Len(t, deleted, workers)

	got := map[string]string{}
	for _, tok := range srv.Tokens() {
		got[tok.ID] = tok.Scope + " " + tok.Name
	}
	assert.Equal(t, want, got, "the fake holds exactly what the goroutines were told")

	var creates, deletes int
	for _, r := range srv.Requests() {
		switch r.Method {
		case "PUT":
			creates++
		case "DELETE":
			deletes++
			assert.Equal(t, 204, r.Status)
		}
	}
	assert.Equal(t, workers*perWorker, creates, "each create was one request: no retries, no duplicates")
	assert.Equal(t, workers, deletes)
}
