package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
)

func parseList(t *testing.T, args ...string) (*ListOptions, error) {
	t.Helper()
	return parseFlags(t, NewCmdList, args...)
}

func TestListFlags(t *testing.T) {
	t.Parallel()
	o, err := parseList(t, "project:PRJ", "--where", "unused,owner=alice", "--now", "2027-01-01T00:00:00Z", "-o", "csv")
	require.NoError(t, err)
	assert.Equal(t, accesstokens.ProjectScope("PRJ"), o.Scope)
	require.NotNil(t, o.Where)
	assert.Equal(t, "unused,owner=alice", o.Where.String())
	assert.Equal(t, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), o.Now)
	assert.Equal(t, "csv", o.Format)

	o, err = parseList(t, "user:alice")
	require.NoError(t, err)
	assert.Nil(t, o.Where)
	assert.True(t, o.Now.IsZero())
	assert.Equal(t, "table", o.Format)

	for _, args := range [][]string{
		{"project:PRJ", "--where", "name="},
		{"project:PRJ", "--now", "soon"},
		{"project:PRJ", "-o", "xml"},
		{"team:x"},
	} {
		_, err := parseList(t, args...)
		code, _ := exitCodeOf(err)
		assert.Equal(t, exitUsage, code, args)
	}
}
