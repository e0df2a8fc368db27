package audit

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCSV(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "csv", reportTokens(), testSummary(), testMeta)
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings,days_left\n"+
		"user:alice,000000000002,ci,2026-01-01T00:00:00Z,,,,,no-expiry;never-used;inactive-owner,\n"+
		`project:PRJ,075905477751,"deploy ""prod""",2026-01-02T03:05:06Z,2026-03-01T11:00:00Z,2025-11-01T00:00:00.123Z,PROJECT_ADMIN;REPO_WRITE,access-token-user/1/1,expired;unused;admin,-1`+"\n", got)
	records, err := csv.NewReader(strings.NewReader(got)).ReadAll()
	require.NoError(t, err)
	assert.Len(t, records, 3)
}

func TestCSVWithoutTokensStillHasItsHeader(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, err := NewWriter("csv", &out, Meta{})
	require.NoError(t, err)
	require.NoError(t, w.Close(*newSummary()))
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings,days_left\n", out.String())
}

// TestCSVCellsAreNeverFormulas: a token name or owner that starts like a
// formula (=, +, -, @, tab, carriage return) gets a leading "'", so that a
// spreadsheet shows it as text instead of running it; numbers such as a
// negative days_left stay numbers.
func TestCSVCellsAreNeverFormulas(t *testing.T) {
	t.Parallel()
	for _, name := range []string{`=HYPERLINK("https://evil.example/","open me")`, "+1+1", "@SUM(1)", "-2+3", "\t=1", "\r=1"} {
		tok := reportTokens()[0]
		tok.Name = name
		tok.User = &accesstokens.User{Slug: "=" + name}
		records := csvRecords(t, writeReport(t, "csv", []Token{tok}, testSummary(), Meta{}))
		require.Len(t, records, 2)
		assert.Equal(t, "'"+name, records[1][2], "name")
		assert.Equal(t, "'="+name, records[1][7], "owner")
		assert.Equal(t, "-1", records[1][9], "a negative days_left is a number")
	}
}

// TestCSVOnATerminalShowsHiddenCharactersEscaped: csv read by a program
// keeps a name as the server has it; csv shown on a terminal escapes what
// would act on the terminal, as the table does.
func TestCSVOnATerminalShowsHiddenCharactersEscaped(t *testing.T) {
	t.Parallel()
	for what, name := range hostileNames {
		tok := reportTokens()[0]
		tok.Name = name
		raw := csvRecords(t, writeReport(t, "csv", []Token{tok}, testSummary(), Meta{}))
		assert.Equal(t, name, raw[1][2], "%s: kept as it is for programs", what)
		out := writeReport(t, "csv", []Token{tok}, testSummary(), Meta{Terminal: true})
		assertNothingActsOnATerminal(t, out, what)
		shown := csvRecords(t, out)
		assert.Equal(t, textsafe.Terminal(name), shown[1][2], what)
	}
}

func csvRecords(t *testing.T, s string) [][]string {
	t.Helper()
	records, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	require.NoError(t, err)
	return records
}
