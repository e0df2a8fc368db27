package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/bbdc-tools/accesstokens"
)

// deleteStub is a TokensService whose Delete answers from a table; every
// other method is the nil interface's (a call panics: revokeAll must not make one).
type deleteStub struct {
	accesstokens.TokensService
	answers map[string]error
	calls   []string
}

func (s *deleteStub) Delete(_ context.Context, _ accesstokens.Scope, id string) error {
	s.calls = append(s.calls, id)
	return s.answers[id]
}

func revokeItems(ids ...string) []revokeItem {
	items := make([]revokeItem, len(ids))
	for i, id := range ids {
		items[i] = revokeItem{scope: accesstokens.ProjectScope("PRJ"), id: id}
	}
	return items
}

func TestRevokeAllGoesOnAfterAFailure(t *testing.T) {
	t.Parallel()
	stub := &deleteStub{answers: map[string]error{"2": errors.New("500 boom")}}
	io, out, errOut := testIO(false)
	err := revokeAll(context.Background(), io, stub, revokeItems("1", "2", "3"))
	code, msg := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "revoked 2 of 3 tokens; 1 failed, 0 not attempted")
	assert.Equal(t, []string{"1", "2", "3"}, stub.calls)
	assert.Equal(t, "revoked project:PRJ 1\nrevoked project:PRJ 3\n", out.String())
	assert.Equal(t, "failed  project:PRJ 2: 500 boom\n", errOut.String())
}

func TestRevokeAllStopsAtTheFirstAuthenticationFailure(t *testing.T) {
	t.Parallel()
	stub := &deleteStub{answers: map[string]error{"1": fmt.Errorf("401: %w", accesstokens.ErrAuthentication)}}
	io, out, errOut := testIO(false)
	err := revokeAll(context.Background(), io, stub, revokeItems("1", "2", "3"))
	code, msg := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "revoked 0 of 3 tokens; 1 failed, 2 not attempted")
	assert.Equal(t, []string{"1"}, stub.calls, "no hammering with wrong credentials")
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "accesstokens: authentication failed, stopping: 2 tokens not revoked:\nnot revoked project:PRJ 2\nnot revoked project:PRJ 3\n")
}

func TestRevokeAllSaysWhenAnOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	stub := &deleteStub{answers: map[string]error{"1": fmt.Errorf("connection reset: %w", accesstokens.ErrOutcomeUnknown)}}
	io, _, errOut := testIO(false)
	_ = revokeAll(context.Background(), io, stub, revokeItems("1"))
	assert.Equal(t, "failed  project:PRJ 1: connection reset: outcome unknown; it may or may not be revoked: check with 'accesstokens get project:PRJ 1'\n", errOut.String())
}

func TestRevokeItemNamesTheTokenWhenKnown(t *testing.T) {
	t.Parallel()
	it := revokeItem{scope: accesstokens.RepoScope("PRJ", "r"), id: "0123", name: "ci\x1b[2J"}
	assert.Equal(t, `repo:PRJ/r 0123 "ci\x1b[2J"`, it.String(), "control characters never reach the terminal")
	assert.Equal(t, "1 token", plural(1, "token"))
	assert.Equal(t, "0 scopes", plural(0, "scope"))
}
