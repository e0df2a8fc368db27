package main

import (
	"testing"

	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/stretchr/testify/assert"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0 tokens", progressLine(audit.Progress{}))
	assert.Equal(t, "1500 tokens, 500/s, 2 scopes failed",
		progressLine(audit.Progress{Tokens: 1500, Elapsed: 3e9, Failed: 2}))
}
