package audit

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCSV(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "csv", reportTokens(), testSummary(), testMeta)
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings\n"+
		`project:PRJ,075905477751,"deploy ""prod""",2026-01-02T03:05:06Z,2026-03-01T11:00:00Z,2025-11-01T00:00:00.123Z,PROJECT_ADMIN;REPO_WRITE,access-token-user/1/1,expired;unused;admin`+"\n"+
		"user:alice,000000000002,ci,2026-01-01T00:00:00Z,,,,,no-expiry;never-used;inactive-owner\n", got)
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
	assert.Equal(t, "scope,id,name,created,expiry,last_used,permissions,owner,findings\n", out.String())
}
