package audit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestJSONLLines(t *testing.T) {
	t.Parallel()
	got := writeReport(t, "jsonl", reportTokens(), testSummary(), testMeta)
	assert.Equal(t, fullTokenJSON+"\n"+bareTokenJSON+"\n"+`{"summary":`+summaryJSON+`,"scopes":`+scopesJSON+"}\n", got)
	for _, line := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		assert.True(t, json.Valid([]byte(line)), line)
	}
}
