package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// Unit tests of the run functions: Options filled in by hand, the fake
// server in-process, streams as buffers.

// testIO returns streams over buffers; errTTY says whether stderr plays a terminal.
func testIO(errTTY bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: errTTY}, &out, &errOut
}

// connectTo is a Connect that hands out a client of srv as admin.
func connectTo(t *testing.T, srv *accesstokenstest.Server) func(context.Context) (*Connection, error) {
	t.Helper()
	client, err := accesstokens.NewClient(srv.URL, accesstokens.WithBasicAuth(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword))
	require.NoError(t, err)
	return func(context.Context) (*Connection, error) {
		return &Connection{Client: client, URL: srv.URL, Now: srv.Now}, nil
	}
}

func newAuditFake(t *testing.T, scopes int) (*accesstokenstest.Server, []accesstokens.Scope) {
	t.Helper()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	var list []accesstokens.Scope
	for i := range scopes {
		key := "P" + strings.Repeat("X", i+1)
		srv.AddProject(key, key)
		srv.SeedTokens(accesstokenstest.ProjectScope(key), 3)
		list = append(list, accesstokens.ProjectScope(key))
	}
	return srv, list
}

func TestRunAuditShowsProgressOnlyOnATerminalStderr(t *testing.T) {
	t.Parallel()
	srv, scopes := newAuditFake(t, 4)
	for _, tty := range []bool{false, true} {
		io, out, errOut := testIO(tty)
		err := runAudit(context.Background(), &AuditOptions{
			IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{Scopes: scopes},
			Format: "jsonl", Concurrency: 2,
		})
		require.NoError(t, err)
		assert.Equal(t, 13, strings.Count(out.String(), "\n"), "12 tokens and the summary line")
		assert.NotContains(t, out.String(), "reading scopes", "progress never goes to stdout")
		if tty {
			assert.Regexp(t, `\(\d/4\)`, errOut.String(), "scopes done/total")
			assert.Regexp(t, `\d+ tokens, \d+/s`, errOut.String(), "tokens seen and their rate")
			assert.Regexp(t, `\[\d+s\]`, errOut.String(), "elapsed time")
			assert.True(t, strings.HasSuffix(errOut.String(), "\r"), "the bar is cleared off the line at the end")
		} else {
			assert.Empty(t, errOut.String(), "silent when stderr is not a terminal")
		}
	}
}

func TestRunAuditFailOnAndUnreadableScopes(t *testing.T) {
	t.Parallel()
	srv, scopes := newAuditFake(t, 2)
	run := func(failOn []audit.Finding, extra ...accesstokens.Scope) (int, string) {
		io, _, errOut := testIO(false)
		err := runAudit(context.Background(), &AuditOptions{
			IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{Scopes: append(append([]accesstokens.Scope(nil), scopes...), extra...)},
			Format: "csv", Concurrency: 8, FailOn: failOn,
		})
		code, _ := exitCodeOf(err)
		return code, errOut.String()
	}
	code, _ := run(nil)
	assert.Equal(t, exitOK, code)
	code, _ = run([]audit.Finding{audit.Expired})
	assert.Equal(t, exitOK, code, "seeded tokens never expire")
	code, stderr := run([]audit.Finding{audit.Expired, audit.NoExpiry})
	assert.Equal(t, exitFindings, code)
	assert.Equal(t, "accesstokens: --fail-on matched: 6 no-expiry\n", stderr)
	code, stderr = run([]audit.Finding{audit.NoExpiry}, accesstokens.ProjectScope("GONE"))
	assert.Equal(t, exitFailed, code, "an incomplete inventory (1) outranks findings (3)")
	assert.Contains(t, stderr, "could not read project:GONE")
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "0 tokens", progressLine(audit.Progress{}))
	assert.Equal(t, "1500 tokens, 500/s, 2 scopes failed",
		progressLine(audit.Progress{Tokens: 1500, Elapsed: 3e9, Failed: 2}))
}

// TestRunAuditStoppedSaysWhatItDidNotRead: credentials that stop working in
// the middle of an audit stop it (exit 1), and the report written so far
// never looks complete: every scope not read to its end is in
// scopes.failed, so read + failed is every scope asked for.
func TestRunAuditStoppedSaysWhatItDidNotRead(t *testing.T) {
	t.Parallel()
	srv, scopes := newAuditFake(t, 10)
	srv.InjectFault(accesstokenstest.Fault{
		Method: "GET", Path: "/projects/" + scopes[4].ProjectKey, Status: 401, ContentType: "application/json",
		Body: `{"errors":[{"message":"Authentication failed. Please check your credentials and try again.","exceptionName":"` + accesstokenstest.ExceptionAuthentication + `"}]}`,
	})
	io, out, errOut := testIO(false)
	err := runAudit(context.Background(), &AuditOptions{
		IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{Scopes: scopes}, Format: "jsonl", Concurrency: 1,
	})
	code, err := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit stopped")
	assert.Contains(t, err.Error(), "6 of 10 scopes were not read")
	assert.Empty(t, errOut.String(), "the one error line is the caller's to print")

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var last inventorySummary
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &last))
	assert.Equal(t, 4, last.Scopes.Read)
	require.Len(t, last.Scopes.Failed, 6, "the scope that met the 401 and the five after it")
	var first struct{ Scope, Error string }
	require.NoError(t, json.Unmarshal(last.Scopes.Failed[0], &first))
	assert.Equal(t, scopes[4].String(), first.Scope)
	assert.Contains(t, first.Error, "not read: the audit stopped")
	assert.Equal(t, 12, last.Summary["tokens"])
}
