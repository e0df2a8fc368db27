package audit

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var stateKey = StateKey{Server: "https://git.example.com", Selection: "--all"}

// scopeCalls is a stubTokens that records which scopes were listed.
func scopeCalls(perScope int) (*stubTokens, func() []accesstokens.Scope) {
	var mu sync.Mutex
	var listed []accesstokens.Scope
	stub := &stubTokens{count: func(accesstokens.Scope) int { return perScope }}
	stub.enter = func(_ context.Context, s accesstokens.Scope) error {
		mu.Lock()
		defer mu.Unlock()
		listed = append(listed, s)
		return nil
	}
	return stub, func() []accesstokens.Scope {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(listed)
	}
}

// interruptedRun runs an audit with a state file that is cut off (its
// context cancelled) once its first `after` scopes are read, while the
// others hang, and returns the path.
func interruptedRun(t *testing.T, targets []Target, after int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "audit.state")
	st, err := CreateState(path, stateKey)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stub := &stubTokens{count: func(accesstokens.Scope) int { return 300 }}
	stub.enter = func(ctx context.Context, s accesstokens.Scope) error {
		if scopeIndex(s) >= after {
			return waitForCancel(ctx) // a server that stopped answering
		}
		return nil
	}
	sum, err := Run(ctx, stub, targets, Options{Concurrency: 4, Rules: stubRules, State: st, Progress: func(p Progress) {
		if p.ScopesDone == after {
			cancel()
		}
	}}, func(Token) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, after, sum.ScopesRead)
	require.NoError(t, st.Close())
	return path
}

// resumedRun resumes the audit recorded at path over 300-token scopes and
// runs it to its end; it returns what it emitted, its summary, how many
// scopes the file held, and the scopes it listed.
func resumedRun(t *testing.T, path string, targets []Target, opts Options) (emitted []Token, sum *Summary, resumed int, listed []accesstokens.Scope) {
	t.Helper()
	st, err := ResumeState(path, stateKey)
	require.NoError(t, err)
	resumed = st.Resumed()
	stub, calls := scopeCalls(300)
	c := &collector{t: t}
	opts.State = st
	sum, err = Run(context.Background(), stub, targets, opts, c.emit)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	return c.tokens, sum, resumed, calls()
}

func sortedTokens(toks []Token) []Token {
	slices.SortFunc(toks, CompareTokens)
	return toks
}

// TestResumedRunReadsOnlyWhatWasNotRecorded: an audit cut off after 8 of 20
// scopes, resumed, reads the 12 others (and at most the 4 that were in
// flight a second time: here none, they were not done) and emits every
// token, as an audit that was never interrupted does.
func TestResumedRunReadsOnlyWhatWasNotRecorded(t *testing.T) {
	t.Parallel()
	targets := scopes(20)
	path := interruptedRun(t, targets, 8)
	got, sum, resumed, listed := resumedRun(t, path, targets, Options{Concurrency: 4, Rules: stubRules})
	assert.Equal(t, 8, resumed)
	assert.Len(t, listed, 12, "only the scopes not recorded as read are listed")
	assert.Equal(t, 20, sum.ScopesRead)
	assert.Equal(t, 8, sum.ScopesResumed)
	assert.True(t, sum.Complete())

	whole := &collector{t: t}
	want, err := Run(context.Background(), &stubTokens{count: func(accesstokens.Scope) int { return 300 }}, targets, Options{Rules: stubRules}, whole.emit)
	require.NoError(t, err)
	assert.Equal(t, sortedTokens(whole.tokens), sortedTokens(got), "the whole inventory, token by token")
	assert.Equal(t, want.Findings, sum.Findings)
	assert.Equal(t, want.Tokens, sum.Tokens)
}

// TestResumedRunJudgesAndFiltersByItsOwnRules: the file records what was
// read; findings and the Keep filter are today's.
func TestResumedRunJudgesAndFiltersByItsOwnRules(t *testing.T) {
	t.Parallel()
	targets := scopes(6)
	path := interruptedRun(t, targets, 3)
	later := Rules{Now: stubNow.AddDate(1, 0, 0)}
	got, _, _, _ := resumedRun(t, path, targets, Options{Rules: later, Keep: func(t Token) bool { return !t.Has(NoExpiry) }})
	require.Len(t, got, 6*240, "a fifth of the stub's tokens never expire and are dropped")
	for _, tok := range got {
		want := Classify(tok.Scope, tok.AccessToken, true, later)
		require.Equal(t, want.Findings, tok.Findings, "token %s of %s judged a year later", tok.ID, tok.Scope)
		require.True(t, tok.Has(Expired), "a year later every expiring token has expired")
	}
}

// TestResumedRunKeepsABadDate: a token whose expiry could not be read is
// recorded as such, so that the resumed audit reports it as the first run
// did (bad-date, not no-expiry), without reading its scope again.
func TestResumedRunKeepsABadDate(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "audit.state")
	targets := TargetsOf(accesstokens.ProjectScope("PRJ"))
	opts := Options{Rules: Rules{Now: fakeStart}}
	st, err := CreateState(path, stateKey)
	require.NoError(t, err)
	first := &collector{t: t}
	opts.State = st
	_, err = Run(context.Background(), badDateClient(t).Tokens, targets, opts, first.emit)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	st, err = ResumeState(path, stateKey)
	require.NoError(t, err)
	defer st.Close()
	stub, calls := scopeCalls(0)
	second := &collector{t: t}
	opts.State = st
	sum, err := Run(context.Background(), stub, targets, opts, second.emit)
	require.NoError(t, err)
	assert.Empty(t, calls(), "the scope was recorded as read")
	require.Len(t, second.tokens, len(first.tokens))
	for i, tok := range second.tokens {
		assert.Equal(t, first.tokens[i].ID, tok.ID)
		assert.Equal(t, first.tokens[i].Findings, tok.Findings, tok.Name)
		assert.Equal(t, first.tokens[i].UnreadDates, tok.UnreadDates, tok.Name)
	}
	assert.Equal(t, 1, sum.Findings[BadDate])
}

// TestResumingAgainAfterASecondCutKeepsEverything: the file is rewritten
// when resumed; cut again and resumed again, it still gives the whole
// inventory.
func TestResumingAgainAfterASecondCutKeepsEverything(t *testing.T) {
	t.Parallel()
	targets := scopes(12)
	path := interruptedRun(t, targets, 4)

	// The second run reads scopes 4 to 8, then scopes 9 on hang until it is cut off.
	st, err := ResumeState(path, stateKey)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hanging := &stubTokens{count: func(accesstokens.Scope) int { return 300 }}
	hanging.enter = func(ctx context.Context, s accesstokens.Scope) error {
		if scopeIndex(s) >= 9 {
			return waitForCancel(ctx)
		}
		return nil
	}
	sum, err := Run(ctx, hanging, targets, Options{Concurrency: 2, Rules: stubRules, State: st, Progress: func(p Progress) {
		if p.ScopesDone == 9 {
			cancel()
		}
	}}, func(Token) error { return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 9, sum.ScopesRead)
	require.Equal(t, 4, sum.ScopesResumed)
	require.NoError(t, st.Close())

	got, sum, resumed, listed := resumedRun(t, path, targets, Options{Concurrency: 2, Rules: stubRules})
	assert.Equal(t, 9, resumed)
	assert.Len(t, listed, 3, "the third run reads the three scopes left")
	assert.Equal(t, 12, sum.ScopesRead)
	assert.Len(t, got, 12*300)
	_, err = os.Stat(path + ".new")
	assert.ErrorIs(t, err, os.ErrNotExist, "no rewrite left behind")
}

func TestStateFileIsPrivateAndRemovedOnRequest(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s")
	st, err := CreateState(path, stateKey)
	require.NoError(t, err)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	_, err = CreateState(path, stateKey)
	assert.ErrorIs(t, err, ErrStateExists, "an unfinished audit's progress is never overwritten")
	require.NoError(t, st.Remove())
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestResumeStateOfAMissingFileStartsANewOne(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s")
	st, err := ResumeState(path, stateKey)
	require.NoError(t, err)
	assert.Zero(t, st.Resumed())
	require.NoError(t, st.Close())
	head, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `{"format":"accesstokens audit state","version":1,"server":"https://git.example.com","selection":"--all"}`+"\n", string(head))
}

// TestResumeStateRefusesAnotherAudit: a file written for another server or
// other scopes is refused before anything is read, saying which.
func TestResumeStateRefusesAnotherAudit(t *testing.T) {
	t.Parallel()
	path := interruptedRun(t, scopes(4), 2)
	for _, tc := range []struct {
		key  StateKey
		want string
	}{
		{StateKey{Server: "https://other.example.com", Selection: "--all"}, `records an audit of "https://git.example.com", not of "https://other.example.com"`},
		{StateKey{Server: stateKey.Server, Selection: "--scope project:P0"}, "records an audit of --all, not of --scope project:P0: resume it with the same scopes"},
	} {
		_, err := ResumeState(path, tc.key)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument)
		assert.ErrorContains(t, err, tc.want)
	}
}

// TestResumeStateRefusesADamagedFile: a file that is not a state file, or
// whose lines do not add up, is refused; nothing of it is trusted.
func TestResumeStateRefusesADamagedFile(t *testing.T) {
	t.Parallel()
	good, err := os.ReadFile(interruptedRun(t, scopes(4), 2))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(good), "\n")
	doneLine := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, `{"done":`) })
	require.Positive(t, doneLine)
	for name, content := range map[string]string{
		"empty":                  "",
		"not json":               "hello\n",
		"another format":         `{"format":"something else","version":1}` + "\n",
		"a later version":        strings.Replace(lines[0], `"version":1`, `"version":2`, 1),
		"a line that is no line": lines[0] + "[1,2]\n" + strings.Join(lines[1:], ""),
		"a bad scope":            lines[0] + `{"done":"team:x","tokens":0}` + "\n",
		"a token without id":     lines[0] + `{"scope":"project:P0","token":{"name":"x"}}` + "\n",
		"an unknown key":         lines[0] + `{"scope":"project:P0","token":{"id":"1"},"secret":"x"}` + "\n",
		"a count that is off":    strings.Join(lines[:doneLine-1], "") + strings.Join(lines[doneLine:], ""),
	} {
		path := filepath.Join(t.TempDir(), "s")
		require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
		_, err := ResumeState(path, stateKey)
		assert.ErrorIs(t, err, accesstokens.ErrInvalidArgument, name)
		assert.ErrorContains(t, err, "remove it to start over", name)
		after, _ := os.ReadFile(path)
		assert.Equal(t, content, string(after), "%s: the file is left as it was", name)
	}
}

// TestResumeStateDropsALastLineCutShort: a process killed while writing
// leaves half a line; it is not damage, and its scope is read again.
func TestResumeStateDropsALastLineCutShort(t *testing.T) {
	t.Parallel()
	targets := scopes(4)
	path := interruptedRun(t, targets, 2)
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(content, `{"scope":"project:P3","tok`...), 0o600))
	_, sum, resumed, listed := resumedRun(t, path, targets, Options{Rules: stubRules})
	require.Equal(t, 2, resumed, "the cut line was not a scope's end")
	assert.Len(t, listed, 2)
	assert.Equal(t, 4*300, sum.Tokens)
}

// TestStateFileHoldsNoSecret: the audit reads tokens as the server lists
// them, without their secrets, so none can reach the file.
func TestStateFileHoldsNoSecret(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	defer srv.Close()
	prj := accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject)
	var secrets []string
	for _, name := range []string{"ci", "deploy", "release"} {
		_, secret := srv.MintToken(prj, name, 30, "PROJECT_READ")
		secrets = append(secrets, secret)
	}
	path := filepath.Join(t.TempDir(), "s")
	st, err := CreateState(path, stateKey)
	require.NoError(t, err)
	sum, err := Run(context.Background(), adminClient(t, srv).Tokens, TargetsOf(accesstokens.ProjectScope(accesstokenstest.DemoProject)),
		Options{State: st}, func(Token) error { return nil })
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Equal(t, 3, sum.Tokens)
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(content), `"name":"deploy"`)
	for _, secret := range secrets {
		require.NotEmpty(t, secret)
		assert.NotContains(t, string(content), secret)
		assert.NotContains(t, string(content), secret[len(secret)/2:], "nor a part of it")
	}
}
