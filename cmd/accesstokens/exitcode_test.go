package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bbdc-tools/accesstokens"
)

func TestWorstCodeIsTheLowestNonZero(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		codes []int
		want  int
	}{
		{nil, exitOK},
		{[]int{exitOK, exitOK}, exitOK},
		{[]int{exitFindings}, exitFindings},
		{[]int{exitFindings, exitFailed}, exitFailed},
		{[]int{exitFailed, exitFindings}, exitFailed},
		{[]int{exitOK, exitFindings, exitOK}, exitFindings},
		{[]int{exitUsage, exitFindings}, exitUsage},
	} {
		assert.Equal(t, tc.want, worstCode(tc.codes...), "%v", tc.codes)
	}
}

func TestExitCodeOfNamesTheFlagOfSDKValidation(t *testing.T) {
	t.Parallel()
	_, err := accesstokens.ParsePermission("nope")
	code, msg := exitCodeOf(fmt.Errorf("creating: %w", err))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, msg.Error(), "--perm: ")

	code, msg = exitCodeOf(usageError("--x: bad"))
	assert.Equal(t, exitUsage, code)
	assert.EqualError(t, msg, "--x: bad")

	code, msg = exitCodeOf(errors.New("boom"))
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "boom")

	code, msg = exitCodeOf(silentExit(exitFindings))
	assert.Equal(t, exitFindings, code)
	assert.NoError(t, msg)

	code, msg = exitCodeOf(nil)
	assert.Equal(t, exitOK, code)
	assert.NoError(t, msg)
}

func TestErrorLineIsOneLineWithOnePrefix(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("reading: %w", errors.New("accesstokens: GET /x: 500\nInternal\x1b[31m error"))
	assert.Equal(t, `accesstokens: reading: GET /x: 500 Internal\x1b[31m error`, errorLine(err))
}
