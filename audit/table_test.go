package audit

import (
	"strings"
	"testing"

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
	assert.Regexp(t, `^project:PRJ +075905477751 +deploy "prod" +2026-03-01 +-1 +2025-11-01 +expired,unused,admin$`, lines[1])
	assert.Regexp(t, `^user:alice +000000000002 +evil\?\[31mname\?next +never +- +never +no-expiry,never-used,inactive-owner$`, lines[2])
	assert.Contains(t, got, "2 tokens in 5 scopes (1 could not be read): 1 expired, 0 expiring, 1 no-expiry, 1 never-used, 1 unused, 1 admin, 1 inactive-owner")
	assert.Contains(t, got, `could not read repo:PRJ/gone: 404 "gone"`)
	assert.NotContains(t, got, "\x1b", "no escape sequence reaches the terminal")
}
