package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func parseGet(t *testing.T, args ...string) (*GetOptions, error) {
	t.Helper()
	return parseFlags(t, NewCmdGet, args...)
}

func TestGetFlags(t *testing.T) {
	t.Parallel()
	o, err := parseGet(t, "repo:PRJ/r", "075905477751", "--now", "2027-03-04", "-o", "json")
	require.NoError(t, err)
	assert.Equal(t, accesstokens.RepoScope("PRJ", "r"), o.Scope)
	assert.Equal(t, "075905477751", o.ID)
	assert.Equal(t, time.Date(2027, 3, 4, 0, 0, 0, 0, time.UTC), o.Now)
	assert.Equal(t, "json", o.Format)

	for _, args := range [][]string{
		{"repo:PRJ/r", "12x"},
		{"repo:PRJ/r", "1", "--now", "03/04/2027"},
		{"repo:PRJ/r", "1", "-o", "yaml"},
	} {
		_, err := parseGet(t, args...)
		code, _ := exitCodeOf(err)
		assert.Equal(t, exitUsage, code, args)
	}
}
