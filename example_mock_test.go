package accesstokens_test

import (
	"context"
	"fmt"
	"iter"
	"log"
	"net/http"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// revokeExpired stands for code an SDK user writes. It asks for the one
// service it needs, not a *Client, so production passes client.ProjectTokens
// and a unit test passes a stub. It deletes the project's tokens whose expiry
// is at or before now and returns how many it deleted.
func revokeExpired(ctx context.Context, svc accesstokens.ProjectTokensService, projectKey string, now time.Time) (int, error) {
	var expired []string
	for tok, err := range svc.All(ctx, projectKey, nil) {
		if err != nil {
			return 0, err
		}
		if tok.ExpiryDate != nil && !tok.ExpiryDate.After(now) {
			expired = append(expired, tok.ID)
		}
	}
	// Delete only after the walk: deleting while paging would move the
	// tokens of later pages.
	for n, id := range expired {
		if err := svc.Delete(ctx, projectKey, id); err != nil {
			return n, err
		}
	}
	return len(expired), nil
}

// stubProjectTokens is a hand-written ProjectTokensService with canned
// tokens. Embedding the interface satisfies it in one line; only the methods
// the code under test calls are written out (any other would panic on the
// nil embedded value, which points straight at an unexpected call).
type stubProjectTokens struct {
	accesstokens.ProjectTokensService

	tokens  []accesstokens.AccessToken
	listErr error    // if set, All yields it after the tokens
	deleted []string // ids passed to Delete, in order
}

func (s *stubProjectTokens) All(_ context.Context, _ string, _ *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		for _, t := range s.tokens {
			if !yield(t, nil) {
				return
			}
		}
		if s.listErr != nil {
			yield(accesstokens.AccessToken{}, s.listErr)
		}
	}
}

func (s *stubProjectTokens) Delete(_ context.Context, _ string, tokenID string) error {
	s.deleted = append(s.deleted, tokenID)
	return nil
}

// stubToken is a canned token; a zero expiresIn means it never expires.
func stubToken(id string, created time.Time, expiresIn time.Duration) accesstokens.AccessToken {
	t := accesstokens.AccessToken{ID: id, Name: "token-" + id, CreatedDate: created}
	if expiresIn != 0 {
		e := created.Add(expiresIn)
		t.ExpiryDate = &e
	}
	return t
}

// The code under test takes a ProjectTokensService, so a unit test can hand
// it a stub with canned tokens instead of a client.
func ExampleProjectTokensService_stub() {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	stub := &stubProjectTokens{tokens: []accesstokens.AccessToken{
		stubToken("1", now.AddDate(0, 0, -90), 30*24*time.Hour), // expired in January
		stubToken("2", now.AddDate(0, 0, -10), 90*24*time.Hour), // still valid
		stubToken("3", now.AddDate(0, 0, -10), 0),               // never expires
		stubToken("4", now.AddDate(0, 0, -1), 24*time.Hour),     // expires right now
	}}

	n, err := revokeExpired(context.Background(), stub, "PRJ", now)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked", n, "tokens:", stub.deleted)
	// Output:
	// revoked 2 tokens: [1 4]
}

// The same code against accesstokenstest's fake server, through the real
// client: the test then covers the HTTP requests too.
func ExampleProjectTokensService_fake() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	for _, tok := range []struct {
		name string
		days int
	}{{"nightly", 1}, {"weekly", 7}, {"monthly", 30}, {"forever", 0}} {
		if _, err := client.ProjectTokens.Create(ctx, "PRJ", accesstokens.CreateTokenRequest{
			Name: tok.name, Permissions: []accesstokens.Permission{accesstokens.ProjectRead}, ExpiryDays: tok.days,
		}); err != nil {
			log.Fatal(err)
		}
	}
	srv.Advance(8 * 24 * time.Hour) // the fake clock: nightly and weekly have expired

	n, err := revokeExpired(ctx, client.ProjectTokens, "PRJ", srv.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked", n, "tokens")
	for _, t := range srv.Tokens() {
		fmt.Println("kept", t.Name)
	}
	// Output:
	// revoked 2 tokens
	// kept monthly
	// kept forever
}

// TestRevokeExpiredWorksWithStubAndFake runs the downstream function against
// both test doubles, with the same tokens: a unit test with canned data, and
// the real client against the fake server. Tokens 10 and 13 have expired
// (13 exactly at now), 11 and 14 have not, 12 never expires.
func TestRevokeExpiredWorksWithStubAndFake(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		// setup returns the service, the time to pass, and a function that
		// reports, after the run, the names of the deleted and of the kept tokens.
		setup func(t *testing.T) (svc accesstokens.ProjectTokensService, now time.Time, result func() (deleted, kept []string))
	}{
		{
			name: "hand-written stub",
			setup: func(t *testing.T) (accesstokens.ProjectTokensService, time.Time, func() ([]string, []string)) {
				now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				day := 24 * time.Hour
				stub := &stubProjectTokens{tokens: []accesstokens.AccessToken{
					stubToken("10", now.AddDate(0, 0, -40), 30*day),
					stubToken("11", now.AddDate(0, 0, -5), 90*day),
					stubToken("12", now.AddDate(0, 0, -5), 0),
					stubToken("13", now.AddDate(0, 0, -1), day),
					stubToken("14", now.AddDate(0, 0, -1), day+time.Millisecond),
				}}
				return stub, now, func() (deleted, kept []string) {
					for _, tok := range stub.tokens {
						if slices.Contains(stub.deleted, tok.ID) {
							deleted = append(deleted, tok.Name)
						} else {
							kept = append(kept, tok.Name)
						}
					}
					return deleted, kept
				}
			},
		},
		{
			name: "real client against accesstokenstest",
			setup: func(t *testing.T) (accesstokens.ProjectTokensService, time.Time, func() ([]string, []string)) {
				srv := accesstokenstest.NewServer()
				t.Cleanup(srv.Close)
				client, err := accesstokens.NewClient(srv.URL,
					accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword))
				require.NoError(t, err)

				scope := accesstokenstest.ProjectScope(accesstokenstest.DemoProject)
				names := map[string]string{} // id -> name
				for _, tok := range []struct {
					name string
					days int
				}{{"token-10", 10}, {"token-11", 90}, {"token-12", 0}, {"token-13", 30}, {"token-14", 31}} {
					id, _ := srv.IssueToken(scope, tok.name, tok.days, "PROJECT_READ")
					names[id] = tok.name
				}
				srv.Advance(30 * 24 * time.Hour)
				srv.ResetRequests()

				// Two tokens per page, so the walk crosses pages.
				svc := smallPages{client.ProjectTokens, 2}
				return svc, srv.Now(), func() (deleted, kept []string) {
					pages := 0
					for _, r := range srv.Requests() {
						switch r.Method {
						case http.MethodGet:
							pages++
						case http.MethodDelete:
							deleted = append(deleted, names[path.Base(r.RawPath)])
						}
					}
					assert.Equal(t, 3, pages, "five tokens, two per page")
					for _, tok := range srv.Tokens() {
						kept = append(kept, tok.Name)
					}
					return deleted, kept
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, now, result := tt.setup(t)

			n, err := revokeExpired(context.Background(), svc, accesstokenstest.DemoProject, now)

			require.NoError(t, err)
			assert.Equal(t, 2, n)
			deleted, kept := result()
			assert.ElementsMatch(t, []string{"token-10", "token-13"}, deleted)
			assert.ElementsMatch(t, []string{"token-11", "token-12", "token-14"}, kept)
		})
	}
}

// TestRevokeExpiredDeletesNothingWhenListingFails: a listing that breaks
// half-way must not lead to a partial clean-up.
func TestRevokeExpiredDeletesNothingWhenListingFails(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	listErr := &accesstokens.Error{StatusCode: 503, Method: "GET", Path: "/rest/access-tokens/latest/projects/PRJ"}
	stub := &stubProjectTokens{
		tokens:  []accesstokens.AccessToken{stubToken("1", now.AddDate(0, 0, -40), 24*time.Hour)},
		listErr: listErr,
	}

	n, err := revokeExpired(context.Background(), stub, "PRJ", now)

	require.ErrorIs(t, err, accesstokens.ErrServer)
	assert.Zero(t, n)
	assert.Empty(t, stub.deleted)
}

// smallPages forces a small page size on All, so that a handful of tokens
// spans several pages.
type smallPages struct {
	accesstokens.ProjectTokensService
	limit int
}

func (p smallPages) All(ctx context.Context, key string, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	o := accesstokens.ListOptions{Limit: p.limit}
	if opts != nil {
		o.Start = opts.Start
	}
	return p.ProjectTokensService.All(ctx, key, &o)
}
