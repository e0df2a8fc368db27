package audit

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompareScopesPutsUsersThenProjectsThenRepositories(t *testing.T) {
	t.Parallel()
	want := []accesstokens.Scope{
		accesstokens.UserScope("alice"), accesstokens.UserScope("bob"),
		accesstokens.ProjectScope("ALPHA"), accesstokens.ProjectScope("ZED"),
		accesstokens.RepoScope("ALPHA", "a"), accesstokens.RepoScope("ALPHA", "b"), accesstokens.RepoScope("BETA", "a"),
		accesstokens.RepoScope("~ALICE", "scratch"),
	}
	got := slices.Clone(want)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
	slices.SortFunc(got, CompareScopes)
	assert.Equal(t, want, got)
	assert.Zero(t, CompareScopes(want[0], want[0]))
}

func TestCompareTokensOrdersIDsAsNumbers(t *testing.T) {
	t.Parallel()
	ids := []string{"000000000002", "9", "10", "000000000010", "99", "100000000000", "2"}
	toks := make([]Token, len(ids))
	for i, id := range ids {
		toks[i] = Token{Scope: projectSc, AccessToken: accesstokens.AccessToken{ID: id}}
	}
	slices.SortFunc(toks, CompareTokens)
	var got []string
	for _, tok := range toks {
		got = append(got, tok.ID)
	}
	assert.Equal(t, []string{"000000000002", "2", "9", "000000000010", "10", "99", "100000000000"}, got,
		"by number, the same number by its text")
	assert.Negative(t, CompareTokens(Token{Scope: userSc, AccessToken: accesstokens.AccessToken{ID: "9"}}, toks[0]),
		"the scope first")
}

// shuffledReport is the same tokens and failed scopes in another order
// for each seed, as concurrent workers would hand them over.
func shuffledReport(seed uint64) ([]Token, Summary) {
	var toks []Token
	for _, sc := range []accesstokens.Scope{repoSc, projectSc, userSc, accesstokens.UserScope("bob")} {
		for _, id := range []string{"000000000011", "000000000003", "000000000200"} {
			tok := reportTokens()[0]
			tok.Scope, tok.ID = sc, id
			toks = append(toks, tok)
		}
	}
	sum := testSummary()
	sum.Failed = append(sum.Failed, ScopeFailure{Scope: accesstokens.UserScope("zoe"), Err: errors.New("404")},
		ScopeFailure{Scope: accesstokens.ProjectScope("GONE"), Err: errors.New("404")})
	r := rand.New(rand.NewPCG(seed, seed))
	r.Shuffle(len(toks), func(i, j int) { toks[i], toks[j] = toks[j], toks[i] })
	r.Shuffle(len(sum.Failed), func(i, j int) { sum.Failed[i], sum.Failed[j] = sum.Failed[j], sum.Failed[i] })
	return toks, sum
}

// TestOrderedFormatsWriteTheSameBytesWhateverTheOrderRead: two audits of
// the same server read scopes in different orders; their table, json and
// csv reports are the same bytes. jsonl keeps the order read.
func TestOrderedFormatsWriteTheSameBytesWhateverTheOrderRead(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "csv"} {
		toks, sum := shuffledReport(1)
		first := writeReport(t, format, toks, sum, testMeta)
		for seed := uint64(2); seed < 6; seed++ {
			toks, sum := shuffledReport(seed)
			assert.Equal(t, first, writeReport(t, format, toks, sum, testMeta), "%s, order %d", format, seed)
		}
		user := strings.Index(first, "user:alice")
		project := strings.Index(first, "project:PRJ")
		repo := strings.Index(first, "repo:PRJ/repo")
		assert.True(t, user < project && project < repo, "%s: users, projects, repositories", format)
		assert.Less(t, strings.Index(first, "000000000003"), strings.Index(first, "000000000011"), format)
	}
	toks, sum := shuffledReport(3)
	lines := strings.Split(writeReport(t, "jsonl", toks, sum, testMeta), "\n")
	for i, tok := range toks {
		require.Contains(t, lines[i], `"scope":"`+tok.Scope.String()+`","id":"`+tok.ID+`"`, "jsonl: line %d in the order written", i+1)
	}
}

func TestSortedWriterHoldsTokensUntilClose(t *testing.T) {
	t.Parallel()
	rec := &recordingWriter{}
	w := Sorted(rec)
	toks, sum := shuffledReport(7)
	for _, tok := range toks {
		require.NoError(t, w.Write(tok))
	}
	assert.Empty(t, rec.ids, "nothing written before Close")
	require.NoError(t, w.Close(sum))
	assert.True(t, slices.IsSortedFunc(rec.tokens, CompareTokens))
	assert.Len(t, rec.tokens, len(toks))
	assert.True(t, slices.IsSortedFunc(rec.sum.Failed, func(a, b ScopeFailure) int { return CompareScopes(a.Scope, b.Scope) }))
	assert.ErrorIs(t, w.Write(toks[0]), errClosed)
	assert.ErrorIs(t, w.Close(sum), errClosed)
}

// recordingWriter keeps what it is given.
type recordingWriter struct {
	tokens []Token
	ids    []string
	sum    Summary
}

func (r *recordingWriter) Write(t Token) error {
	r.tokens = append(r.tokens, t)
	r.ids = append(r.ids, t.ID)
	return nil
}

func (r *recordingWriter) Close(s Summary) error { r.sum = s; return nil }
