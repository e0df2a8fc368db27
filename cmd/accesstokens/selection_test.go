package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/bbdc-tools/accesstokens"
)

// Only an attempt that --timeout cut off is said to be --timeout's: a
// clean-up's own deadline (exec's and Rotate's after an interrupt) and
// other errors pass as they are, and an error is explained once.
func TestExplainTimeoutNamesTheFlagOnlyForAnAttemptTimeout(t *testing.T) {
	t.Parallel()
	attempt := fmt.Errorf("GET /x: %w", accesstokens.ErrAttemptTimeout)
	cleanup := fmt.Errorf("revoking token 7: %w", context.DeadlineExceeded)
	other := errors.New("connection refused")

	explained := explainTimeout(attempt, 5*time.Second)
	assert.EqualError(t, explained, "GET /x: accesstokens: no answer within the attempt timeout: --timeout 5s bounds each attempt; a longer one waits longer")
	assert.ErrorIs(t, explained, accesstokens.ErrAttemptTimeout)
	assert.Equal(t, explained, explainTimeout(explained, 5*time.Second), "explained once")

	assert.Equal(t, cleanup, explainTimeout(cleanup, 5*time.Second))
	assert.Equal(t, other, explainTimeout(other, 5*time.Second))
	assert.NoError(t, explainTimeout(nil, 5*time.Second))
}
