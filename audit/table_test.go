package audit

import (
	"errors"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTable(t *testing.T) {
	t.Parallel()
	toks := reportTokens()
	toks[1].Name = "evil\x1b[31mname\nnext"
	got := writeReport(t, "table", toks, testSummary(), testMeta)
	lines := strings.Split(got, "\n")
	require.GreaterOrEqual(t, len(lines), 6)
	assert.Regexp(t, `^SCOPE +ID +NAME +EXPIRES +DAYS +LAST USED +FINDINGS$`, lines[0])
	assert.Regexp(t, `^user:alice +000000000002 +evil\\x1b\[31mname\\nnext +never +- +never +no-expiry,never-used,inactive-owner$`, lines[1])
	assert.Regexp(t, `^project:PRJ +075905477751 +deploy "prod" +2026-03-01 +-1 +2025-11-01 +expired,unused,admin$`, lines[2])
	assert.Contains(t, got, "2 tokens in 5 scopes (1 could not be read): 1 expired, 0 expiring, 1 no-expiry, 1 never-used, 1 unused, 1 admin, 1 inactive-owner, 0 bad-date")
	assert.Contains(t, got, `could not read repo:PRJ/gone: 404 "gone"`)
	assert.NotContains(t, got, "\x1b", "no escape sequence reaches the terminal")
}

func TestTableSaysOKAndCountsInWords(t *testing.T) {
	t.Parallel()
	tok := reportTokens()[0]
	tok.Findings = []Finding{}
	sum := *newSummary()
	sum.Tokens, sum.ScopesRead = 1, 1
	got := writeReport(t, "table", []Token{tok}, sum, testMeta)
	assert.Regexp(t, `(?m)^project:PRJ +075905477751 .* ok$`, got, "a token without findings is ok, as list shows it")
	assert.Contains(t, got, "\n1 token in 1 scope: 0 expired,")
}

// TestTableShowsAnUnreadableDateAsSuch: a date the server sent that could
// not be read is "unreadable", not "never", and its days left are unknown.
func TestTableShowsAnUnreadableDateAsSuch(t *testing.T) {
	t.Parallel()
	tok := reportTokens()[1]
	tok.UnreadDates = []string{ExpiryDateField, LastAuthenticatedField}
	tok.Findings = []Finding{BadDate}
	got := writeReport(t, "table", []Token{tok}, testSummary(), testMeta)
	assert.Regexp(t, `(?m)^user:alice +000000000002 +ci +unreadable +\? +unreadable +bad-date$`, got)
}

// TestTableShowsHostileNamesEscaped: names meant to drive a terminal (an
// OSC 8 link, a line rewrite, a bidi override, zero-width and line
// separators) and failure messages from the server are shown escaped.
func TestTableShowsHostileNamesEscaped(t *testing.T) {
	t.Parallel()
	for what, name := range hostileNames {
		tok := reportTokens()[0]
		tok.Name = name
		sum := testSummary()
		sum.Failed = []ScopeFailure{{Scope: accesstokens.RepoScope("PRJ", "r"), Err: errors.New("404 " + name)}}
		got := writeReport(t, "table", []Token{tok}, sum, testMeta)
		assertNothingActsOnATerminal(t, got, what)
		assert.Contains(t, got, shorten(textsafe.Terminal(name), 24), what)
		assert.Contains(t, got, "could not read repo:PRJ/r: 404 "+textsafe.Terminal(name), what)
	}
}
