package accesstokens_test

// Testing your own code three ways: against the fake server, with a testify
// mock, with a hand-written stub. The README's "Testing your code" section
// walks through the same function.

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"net/http"
	"path"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokensmock"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
)

// revokeExpired stands for code an SDK user writes: it revokes every expired
// token of a scope and returns their ids. It asks for the one interface it
// needs, not a *Client, so production passes client.Tokens and a test passes
// the fake's client, a mock or a stub.
func revokeExpired(ctx context.Context, tokens accesstokens.TokensService, scope accesstokens.Scope, now time.Time) ([]string, error) {
	var expired []string
	for tok, err := range tokens.All(ctx, scope, nil) {
		if err != nil {
			return nil, err
		}
		if tok.Expired(now) {
			expired = append(expired, tok.ID)
		}
	}
	// Revoke only after the walk: deleting while paging would move the
	// tokens of later pages.
	for i, id := range expired {
		if err := tokens.Delete(ctx, scope, id); err != nil {
			return expired[:i], err
		}
	}
	return expired, nil
}

// The fake server, through the real client: the test covers the requests on
// the wire too (paging, status codes, rights). Choose it for behaviour.
func ExampleTokensService_fake() {
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	for _, tok := range []struct {
		name string
		days int
	}{{"nightly", 1}, {"weekly", 7}, {"monthly", 30}, {"forever", 0}} {
		srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), tok.name, tok.days, "PROJECT_READ")
	}
	srv.Advance(8 * 24 * time.Hour) // the fake's clock: nightly and weekly have expired

	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth("alice", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	revoked, err := revokeExpired(context.Background(), client.Tokens, accesstokens.ProjectScope("PRJ"), srv.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked", len(revoked), "tokens")
	for _, t := range srv.Tokens() {
		fmt.Println("kept", t.Name)
	}
	// Output:
	// revoked 2 tokens
	// kept monthly
	// kept forever
}

// A testify mock says which calls the code must make, with which arguments.
// Choose it when the calls are the point. In a test, pass your *testing.T to
// NewMockTokensService: the expectations are then checked when the test ends.
func ExampleTokensService_mock() {
	t := &exampleT{} // in a test: t is the test's *testing.T
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	scope := accesstokens.ProjectScope("PRJ")

	tokens := accesstokensmock.NewMockTokensService(t)
	tokens.EXPECT().All(mock.Anything, scope, mock.Anything).Return(accesstokensmock.Seq(
		expiringToken("1", now.Add(-time.Hour)), // expired
		expiringToken("2", now.Add(time.Hour)),  // still valid
	)).Once()
	tokens.EXPECT().Delete(mock.Anything, scope, "1").Return(nil).Once()

	revoked, err := revokeExpired(context.Background(), tokens, scope, now)
	fmt.Println("revoked", revoked, err)

	t.finish() // the testing package does this when the test ends
	// Output:
	// revoked [1] <nil>
}

// cannedTokens is a hand-written stub TokensService. Embedding the interface
// satisfies it in one line; only the methods the code under test calls are
// written out (any other panics on the nil embedded value, which points
// straight at the unexpected call).
type cannedTokens struct {
	accesstokens.TokensService
	tokens  []accesstokens.AccessToken
	listErr error    // if set, All yields it after the tokens
	deleted []string // ids passed to Delete, in order
}

func (s *cannedTokens) All(context.Context, accesstokens.Scope, *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return accesstokensmock.SeqWithError(s.listErr, s.tokens...)
}

func (s *cannedTokens) Delete(_ context.Context, _ accesstokens.Scope, tokenID string) error {
	s.deleted = append(s.deleted, tokenID)
	return nil
}

// A hand-written stub with canned data: the least code for a tiny case.
// accesstokensmock.Seq and SeqWithError build what All returns, and NewError
// an error as the server would answer.
func ExampleTokensService_stub() {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ctx, scope := context.Background(), accesstokens.ProjectScope("PRJ")

	stub := &cannedTokens{tokens: []accesstokens.AccessToken{
		expiringToken("1", now.Add(-time.Hour)), // expired
		expiringToken("2", now),                 // expires right now: expired too
		expiringToken("3", now.Add(time.Hour)),  // still valid
	}}
	revoked, err := revokeExpired(ctx, stub, scope, now)
	fmt.Println("revoked", revoked, err)

	// A listing that breaks half-way revokes nothing.
	broken := &cannedTokens{tokens: stub.tokens, listErr: accesstokensmock.NewError(503, "Service Unavailable")}
	_, err = revokeExpired(ctx, broken, scope, now)
	fmt.Println("server error:", errors.Is(err, accesstokens.ErrServer), "revoked:", len(broken.deleted))
	// Output:
	// revoked [1 2] <nil>
	// server error: true revoked: 0
}

// Rotate works over any TokensService, so a mock shows the calls it makes and
// their order: the old token is read, the scope listed, the new token made
// like the old one and its secret delivered, and only then is the old token
// revoked. A strict mock expects each call once, in that order;
// accesstokensmock.ExpectRotate sets the same four expectations in one call.
func ExampleRotate_mock() {
	t := &exampleT{} // in a test: t is the test's *testing.T
	scope := accesstokens.ProjectScope("PRJ")
	old := tokenWithLifetime("7", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 30)

	tokens := accesstokensmock.NewMockTokensService(t)
	read := tokens.EXPECT().Get(mock.Anything, scope, "7").Return(&old, nil)
	// Rotate always lists the scope before it creates: a token whose create
	// answer is lost is then told from those that were there before.
	list := tokens.EXPECT().All(mock.Anything, scope, mock.Anything).Return(accesstokensmock.Seq(old))
	create := tokens.EXPECT().Create(mock.Anything, scope, accesstokens.CreateTokenRequest{
		Name: "ci", Permissions: old.Permissions, ExpiryDays: 30, // like the old one
	}).Run(func(context.Context, accesstokens.Scope, accesstokens.CreateTokenRequest) {
		fmt.Println("create")
	}).Return(&accesstokens.RawAccessToken{
		AccessToken: tokenWithLifetime("8", time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC), 30),
		Token:       newSecret("BBDC-new-secret"),
	}, nil)
	revoke := tokens.EXPECT().Delete(mock.Anything, scope, "7").Run(func(_ context.Context, _ accesstokens.Scope, id string) {
		fmt.Println("revoke", id)
	}).Return(nil)
	mock.InOrder(read.Once(), list.Once(), create.Once(), revoke.Once())

	rot, err := accesstokens.Rotate(context.Background(), tokens, scope, "7", accesstokens.RotateOptions{
		Deliver: func(_ context.Context, tok *accesstokens.RawAccessToken) error {
			fmt.Println("deliver", tok.ID) // store tok.Token.Reveal() in your vault here
			return nil
		},
	})
	if err != nil {
		fmt.Println("rotate:", err)
	} else {
		fmt.Println("rotated", rot.Old.ID, "to", rot.New.ID, "old revoked:", rot.OldRevoked)
	}

	t.finish()
	// Output:
	// create
	// deliver 8
	// revoke 7
	// rotated 7 to 8 old revoked: true
}

// exampleT stands in, in the examples, for the *testing.T a test passes to a
// mock's constructor: it prints what the mock reports, so that a missed or
// unexpected call changes the example's output.
type exampleT struct{ cleanups []func() }

func (t *exampleT) Logf(string, ...any)               { /* a mock's PASS lines: not shown */ }
func (t *exampleT) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (t *exampleT) FailNow()                          { panic("FailNow") }
func (t *exampleT) Cleanup(fn func())                 { t.cleanups = append(t.cleanups, fn) }

// finish runs the cleanups, last registered first, as the testing package does.
func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

// expiringToken is a canned token that expires at expiry.
func expiringToken(id string, expiry time.Time) accesstokens.AccessToken {
	return accesstokens.AccessToken{ID: id, Name: "token-" + id, CreatedDate: expiry.AddDate(0, 0, -30), ExpiryDate: &expiry}
}

// tokenWithLifetime is a canned token named "ci", made at created to live
// days days (0: never expires).
func tokenWithLifetime(id string, created time.Time, days int) accesstokens.AccessToken {
	t := accesstokens.AccessToken{ID: id, Name: "ci", CreatedDate: created,
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite}}
	if days > 0 {
		expiry := created.AddDate(0, 0, days)
		t.ExpiryDate = &expiry
	}
	return t
}

// newSecret is the one place this file makes a Secret.
func newSecret(value string) accesstokens.Secret { return accesstokens.NewSecret(value) }

// TestRevokeExpiredSameAnswerFromFakeMockAndStub runs revokeExpired over the
// three doubles with the same tokens: 10 and 13 have expired (13 exactly at
// now, which Expired counts as expired), 11 and 14 have not (14 a day later
// than 13), 12 never expires. All three must agree; the fake also shows the
// real client's walk (two tokens a page: three pages) and its DELETEs.
func TestRevokeExpiredSameAnswerFromFakeMockAndStub(t *testing.T) {
	t.Parallel()
	scope := accesstokens.ProjectScope(accesstokenstest.DemoProject)
	lifetimes := []struct { // the fake's clock moves 30 days after the tokens are made
		name string
		days int
	}{{"token-10", 10}, {"token-11", 90}, {"token-12", 0}, {"token-13", 30}, {"token-14", 31}}
	canned := func(now time.Time) []accesstokens.AccessToken {
		var out []accesstokens.AccessToken
		for i, lt := range lifetimes {
			tok := tokenWithLifetime(fmt.Sprint(10+i), now.AddDate(0, 0, -30), lt.days)
			tok.Name = lt.name
			out = append(out, tok)
		}
		return out
	}
	// names maps ids to names in the canned tokens.
	names := func(toks []accesstokens.AccessToken, ids []string) (deleted, kept []string) {
		for _, tok := range toks {
			if slices.Contains(ids, tok.ID) {
				deleted = append(deleted, tok.Name)
			} else {
				kept = append(kept, tok.Name)
			}
		}
		return deleted, kept
	}

	tests := []struct {
		name string
		// setup returns the service, the time to pass, and a function that
		// reports, after the run, the names of the deleted and kept tokens.
		setup func(t *testing.T) (accesstokens.TokensService, time.Time, func() (deleted, kept []string))
	}{
		{
			name: "fake server, real client",
			setup: func(t *testing.T) (accesstokens.TokensService, time.Time, func() ([]string, []string)) {
				// A pinned clock, so that token-13 expires exactly at srv.Now().
				srv := accesstokenstest.NewServer(accesstokenstest.WithDefaultPageLimit(2),
					accesstokenstest.WithClock(accesstokenstest.DefaultStartTime()))
				t.Cleanup(srv.Close)
				client, err := accesstokens.NewClient(srv.URL,
					accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword))
				require.NoError(t, err)
				byID := map[string]string{}
				for _, lt := range lifetimes {
					id, _ := srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), lt.name, lt.days, "PROJECT_READ")
					byID[id] = lt.name
				}
				srv.Advance(30 * 24 * time.Hour)
				return client.Tokens, srv.Now(), func() (deleted, kept []string) {
					pages := 0
					for _, r := range srv.Requests() {
						switch r.Method {
						case http.MethodGet:
							pages++
						case http.MethodDelete:
							require.Equal(t, http.StatusNoContent, r.Status)
							deleted = append(deleted, byID[path.Base(r.RawPath)])
						}
					}
					assert.Equal(t, 3, pages, "five tokens, two a page")
					for _, tok := range srv.Tokens() {
						kept = append(kept, tok.Name)
					}
					return deleted, kept
				}
			},
		},
		{
			name: "testify mock",
			setup: func(t *testing.T) (accesstokens.TokensService, time.Time, func() ([]string, []string)) {
				now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				toks := canned(now)
				var ids []string
				m := accesstokensmock.NewMockTokensService(t)
				m.EXPECT().All(mock.Anything, scope, mock.Anything).Return(accesstokensmock.Seq(toks...)).Once()
				m.EXPECT().Delete(mock.Anything, scope, mock.Anything).Run(func(_ context.Context, _ accesstokens.Scope, id string) {
					ids = append(ids, id)
				}).Return(nil).Times(2)
				return m, now, func() ([]string, []string) { return names(toks, ids) }
			},
		},
		{
			name: "hand-written stub",
			setup: func(t *testing.T) (accesstokens.TokensService, time.Time, func() ([]string, []string)) {
				now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
				stub := &cannedTokens{tokens: canned(now)}
				return stub, now, func() ([]string, []string) { return names(stub.tokens, stub.deleted) }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc, now, result := tt.setup(t)

			revoked, err := revokeExpired(context.Background(), svc, scope, now)

			require.NoError(t, err)
			assert.Len(t, revoked, 2)
			deleted, kept := result()
			assert.ElementsMatch(t, []string{"token-10", "token-13"}, deleted)
			assert.ElementsMatch(t, []string{"token-11", "token-12", "token-14"}, kept)
		})
	}
}

// TestRevokeExpiredRevokesNothingWhenTheWalkBreaks: the real client's All,
// when its second page fails, yields the first page's tokens and then the
// *Error, so code that revokes after the walk revokes nothing.
func TestRevokeExpiredRevokesNothingWhenTheWalkBreaks(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithDefaultPageLimit(2))
	t.Cleanup(srv.Close)
	for range 4 {
		srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), "short", 1, "PROJECT_READ")
	}
	srv.Advance(48 * time.Hour) // all four have expired
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithRetry(accesstokens.RetryPolicy{}),
		accesstokens.WithBasicAuth(accesstokenstest.DemoAlice, accesstokenstest.DemoAlicePassword))
	require.NoError(t, err)
	tokens := &failNextPage{TokensService: client.Tokens, srv: srv}

	revoked, err := revokeExpired(context.Background(), tokens, accesstokens.ProjectScope(accesstokenstest.DemoProject), srv.Now())

	var apiErr *accesstokens.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.ErrorIs(t, err, accesstokens.ErrServer)
	assert.Empty(t, revoked)
	assert.Equal(t, 2, tokens.seen, "the first page's tokens came before the error")
	var calls []string
	for _, r := range srv.Requests() {
		calls = append(calls, fmt.Sprint(r.Method, " ", r.Status))
	}
	assert.Equal(t, []string{"GET 200", "GET 503"}, calls, "two pages asked for, nothing deleted")
	assert.Len(t, srv.Tokens(), 4)
}

// failNextPage makes the fake fail the next GET as soon as the first token
// of a walk arrives: All asks for a page only once the previous one is used
// up, so that GET is the walk's second page.
type failNextPage struct {
	accesstokens.TokensService
	srv  *accesstokenstest.Server
	seen int // tokens the walk yielded
}

func (f *failNextPage) All(ctx context.Context, scope accesstokens.Scope, opts *accesstokens.ListOptions) iter.Seq2[accesstokens.AccessToken, error] {
	return func(yield func(accesstokens.AccessToken, error) bool) {
		for tok, err := range f.TokensService.All(ctx, scope, opts) {
			if err == nil {
				if f.seen++; f.seen == 1 {
					f.srv.InjectFault(accesstokenstest.Fault{Method: http.MethodGet, Status: http.StatusServiceUnavailable})
				}
			}
			if !yield(tok, err) {
				return
			}
		}
	}
}

// newRotateMock is a MockTokensService holding old, a 30-day token "7" in
// scope, whose Create answers with fresh, token "8". It expects what every
// Rotate does before it creates: read the old token, then list the scope.
func newRotateMock(t *testing.T, scope accesstokens.Scope) (m *accesstokensmock.MockTokensService, start *accesstokensmock.RotateCalls, fresh *accesstokens.RawAccessToken) {
	old := tokenWithLifetime("7", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 30)
	fresh = &accesstokens.RawAccessToken{
		AccessToken: tokenWithLifetime("8", time.Date(2026, 1, 25, 0, 0, 0, 0, time.UTC), 30),
		Token:       newSecret("BBDC-new-secret"),
	}
	m = accesstokensmock.NewMockTokensService(t)
	return m, accesstokensmock.ExpectRotateStart(m, scope, old), fresh
}

// TestRotateOverMockMakesTheNewTokenLikeTheOld: what Rotate asks Create for,
// from the old token and the options.
func TestRotateOverMockMakesTheNewTokenLikeTheOld(t *testing.T) {
	t.Parallel()
	perms := []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoWrite}
	tests := []struct {
		name     string
		lifetime int // the old token's, in days; 0: never expires
		opts     accesstokens.RotateOptions
		want     accesstokens.CreateTokenRequest
	}{
		{"zero options: like the old one", 30, accesstokens.RotateOptions{},
			accesstokens.CreateTokenRequest{Name: "ci", Permissions: perms, ExpiryDays: 30}},
		{"an old token that never expires", 0, accesstokens.RotateOptions{},
			accesstokens.CreateTokenRequest{Name: "ci", Permissions: perms, ExpiryDays: 0}},
		{"options override", 30, accesstokens.RotateOptions{Name: "ci-2", Permissions: []accesstokens.Permission{accesstokens.RepoRead}, ExpiryDays: 7},
			accesstokens.CreateTokenRequest{Name: "ci-2", Permissions: []accesstokens.Permission{accesstokens.RepoRead}, ExpiryDays: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			scope := accesstokens.ProjectScope("PRJ")
			old := tokenWithLifetime("7", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), tt.lifetime)
			m := accesstokensmock.NewMockTokensService(t)
			accesstokensmock.ExpectRotate(m, scope, old, tt.want, &accesstokens.RawAccessToken{
				AccessToken: accesstokens.AccessToken{ID: "8", Name: tt.want.Name}, Token: newSecret("BBDC-new-secret"),
			})

			rot, err := accesstokens.Rotate(context.Background(), m, scope, "7", tt.opts)

			require.NoError(t, err)
			assert.Equal(t, "8", rot.New.ID)
			assert.True(t, rot.OldRevoked)
		})
	}
}

// TestRotateOverMockDeliverFails: a failed Deliver revokes the new token and
// leaves the old one alone (the mock fails the test on a Delete of "7").
func TestRotateOverMockDeliverFails(t *testing.T) {
	t.Parallel()
	scope := accesstokens.ProjectScope("PRJ")
	m, start, fresh := newRotateMock(t, scope)
	create := m.EXPECT().Create(mock.Anything, scope, mock.Anything).Return(fresh, nil)
	revokeNew := m.EXPECT().Delete(mock.Anything, scope, "8").Return(nil)
	mock.InOrder(start.All.Call, create.Once(), revokeNew.Once())
	vaultDown := errors.New("vault: sealed")

	rot, err := accesstokens.Rotate(context.Background(), m, scope, "7", accesstokens.RotateOptions{
		Deliver: func(context.Context, *accesstokens.RawAccessToken) error { return vaultDown },
	})

	require.ErrorIs(t, err, vaultDown)
	if rot != nil {
		assert.Nil(t, rot.New, "no new token survives")
		assert.False(t, rot.OldRevoked)
	}
}

// TestRotateOverMockOldRevokeFails: when the old token cannot be revoked,
// Rotate returns the Rotation with the new token and its secret, beside the
// error.
func TestRotateOverMockOldRevokeFails(t *testing.T) {
	t.Parallel()
	scope := accesstokens.ProjectScope("PRJ")
	m, start, fresh := newRotateMock(t, scope)
	create := m.EXPECT().Create(mock.Anything, scope, mock.Anything).Return(fresh, nil)
	revokeOld := m.EXPECT().Delete(mock.Anything, scope, "7").Return(accesstokensmock.NewError(500, "database unavailable"))
	// The failed revoke is checked by reading the old token back.
	readBack := m.EXPECT().Get(mock.Anything, scope, "7").Return(&accesstokens.AccessToken{ID: "7", Name: "ci"}, nil)
	mock.InOrder(start.All.Call, create.Once(), revokeOld.Once(), readBack.Once())

	rot, err := accesstokens.Rotate(context.Background(), m, scope, "7", accesstokens.RotateOptions{})

	require.ErrorIs(t, err, accesstokens.ErrServer)
	require.NotNil(t, rot)
	require.NotNil(t, rot.New)
	assert.Equal(t, "8", rot.New.ID)
	assert.Equal(t, "BBDC-new-secret", rot.New.Token.Reveal())
	assert.Equal(t, "7", rot.Old.ID)
	assert.False(t, rot.OldRevoked)
}

// TestRotateOverMockKeepOld: KeepOld makes the new token and revokes nothing.
func TestRotateOverMockKeepOld(t *testing.T) {
	t.Parallel()
	scope := accesstokens.UserScope("alice")
	m, _, fresh := newRotateMock(t, scope)
	m.EXPECT().Create(mock.Anything, scope, mock.Anything).Return(fresh, nil).Once()

	rot, err := accesstokens.Rotate(context.Background(), m, scope, "7", accesstokens.RotateOptions{KeepOld: true})

	require.NoError(t, err)
	assert.Equal(t, "8", rot.New.ID)
	assert.False(t, rot.OldRevoked)
}

// TestRotateOverMockCreateRefused: a create the server refused made no token,
// so there is nothing to revoke, and the old token stays.
func TestRotateOverMockCreateRefused(t *testing.T) {
	t.Parallel()
	scope := accesstokens.ProjectScope("PRJ")
	m, _, _ := newRotateMock(t, scope)
	m.EXPECT().Create(mock.Anything, scope, mock.Anything).
		Return(nil, accesstokensmock.NewError(400, "PRJ already has the maximum number of tokens")).Once()

	rot, err := accesstokens.Rotate(context.Background(), m, scope, "7", accesstokens.RotateOptions{})

	require.ErrorIs(t, err, accesstokens.ErrBadRequest)
	if rot != nil {
		assert.Nil(t, rot.New)
		assert.False(t, rot.OldRevoked)
	}
}
