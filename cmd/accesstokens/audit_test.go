package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

func parseAudit(t *testing.T, args ...string) (*AuditOptions, error) {
	t.Helper()
	return parseFlags(t, NewCmdAudit, args...)
}

func TestAuditFlags(t *testing.T) {
	t.Parallel()
	o, err := parseAudit(t, "--all", "--where", "expired,name=ci-*", "--now", "2027-02-01", "--fail-on", "expired", "-o", "jsonl", "--expiring", "2w")
	require.NoError(t, err)
	assert.True(t, o.Select.All)
	require.NotNil(t, o.Where)
	assert.Equal(t, "expired,name=ci-*", o.Where.String())
	assert.Equal(t, time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), o.Rules.Now, "a date is midnight UTC")
	assert.Equal(t, 14*24*time.Hour, o.Rules.Expiring)
	assert.Equal(t, []audit.Finding{audit.Expired}, o.FailOn)
	assert.Equal(t, "jsonl", o.Format)

	o, err = parseAudit(t, "--scope", "user:alice", "--now", "2027-02-01T10:30:00+02:00")
	require.NoError(t, err)
	assert.True(t, o.Rules.Now.Equal(time.Date(2027, 2, 1, 8, 30, 0, 0, time.UTC)))
	assert.Nil(t, o.Where, "no --where: every token")
	assert.Equal(t, []accesstokens.Scope{accesstokens.UserScope("alice")}, o.Select.Scopes)

	o, err = parseAudit(t, "--all")
	require.NoError(t, err)
	assert.True(t, o.Rules.Now.IsZero(), "no --now: the server's clock")
}

func TestAuditFlagsRefuseBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--all", "--now", "tomorrow"}, `--now "tomorrow": use a date (2026-01-31, midnight UTC) or an RFC 3339 time`},
		{[]string{"--all", "--now", "2027-13-01"}, `--now "2027-13-01"`},
		{[]string{"--all", "--where", "expired,stale"}, `--where "expired,stale": unknown finding "stale"`},
		{[]string{"--all", "--where", ""}, `--where "": the expression is empty`},
		{[]string{"--all", "-o", "yaml"}, `-o "yaml": use table, json, jsonl, csv, openmetrics`},
	} {
		_, err := parseAudit(t, tc.args...)
		code, err := exitCodeOf(err)
		assert.Equal(t, exitUsage, code, tc.args)
		assert.ErrorContains(t, err, tc.want, tc.args)
	}
}

// TestAuditJudgesByTheConnectionsClock: findings follow the server's clock
// as the connection reports it (the fake's here, moved 30 days on), not the
// local one; --now overrides it.
func TestAuditJudgesByTheConnectionsClock(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "ci", 10, "PROJECT_READ")
	scopes := ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.ProjectScope("PRJ")}}
	judge := func(now time.Time) (int, string) {
		io, _, errOut := testIO(false)
		err := runAudit(context.Background(), &AuditOptions{IO: io, Connect: connectTo(t, srv), Select: scopes,
			Rules: audit.Rules{Now: now}, FailOn: []audit.Finding{audit.Expired}, Format: "jsonl", Concurrency: 1})
		code, _ := exitCodeOf(err)
		return code, errOut.String()
	}
	code, _ := judge(time.Time{})
	assert.Equal(t, exitOK, code, "a 10-day token is not expired today")
	code, _ = judge(srv.Now().AddDate(0, 0, 30))
	assert.Equal(t, exitFindings, code, "--now 30 days on")
	srv.Advance(30 * 24 * time.Hour)
	code, stderr := judge(time.Time{})
	assert.Equal(t, exitFindings, code, "the server's clock, 30 days on")
	assert.Equal(t, "accesstokens: --fail-on matched: 1 expired\n", stderr)
	code, _ = judge(time.Now())
	assert.Equal(t, exitOK, code, "--now today, whatever the server's clock")
}

// TestAuditWhereKeepsOnlyMatchingTokensInOutputAndSummary: --where filters
// the report and its summary, and --fail-on looks at what is kept.
func TestAuditWhereKeepsOnlyMatchingTokensInOutputAndSummary(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	prj := accesstokenstest.ProjectScopeString("PRJ")
	srv.MintToken(prj, "ci-old", 10, "PROJECT_READ")
	srv.MintToken(prj, "ci-new", 300, "PROJECT_READ")
	srv.MintToken(prj, "laptop", 10, "PROJECT_ADMIN")
	srv.Advance(20 * 24 * time.Hour)
	run := func(where string, failOn ...audit.Finding) (int, string) {
		w, err := audit.ParseWhere(where)
		require.NoError(t, err)
		io, out, _ := testIO(false)
		err = runAudit(context.Background(), &AuditOptions{IO: io, Connect: connectTo(t, srv),
			Select: ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.ProjectScope("PRJ")}},
			Where:  &w, FailOn: failOn, Format: "json", Concurrency: 1})
		code, _ := exitCodeOf(err)
		return code, out.String()
	}
	code, out := run("name=ci-*", audit.Expired)
	assert.Equal(t, exitFindings, code)
	assert.Equal(t, 2, strings.Count(out, `"name":"ci-`))
	assert.NotContains(t, out, "laptop")
	assert.Contains(t, out, `"summary": {"expired":1,"expiring":0,"no-expiry":0,"never-used":2,"unused":0,"admin":0,"inactive-owner":0,"bad-date":0,"tokens":2}`)

	code, out = run("name=ci-new", audit.Expired)
	assert.Equal(t, exitOK, code, "--fail-on looks at the kept tokens only")
	assert.Contains(t, out, `"tokens":1}`)
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

func TestAuditStateFlags(t *testing.T) {
	t.Parallel()
	o, err := parseAudit(t, "--all", "--state", "a.state", "--resume")
	require.NoError(t, err)
	assert.Equal(t, "a.state", o.StateFile)
	assert.True(t, o.Resume)
	for _, args := range [][]string{{"--all", "--resume"}, {"--all", "--state", ""}, {"--all", "--state", "", "--resume"}} {
		_, err := parseAudit(t, args...)
		code, _ := exitCodeOf(err)
		assert.Equal(t, exitUsage, code, args)
	}
}

// TestScopeSelectionNamesTheSameScopesTheSame: a state file records the
// scopes an audit reads; naming them in another order, or twice, is the
// same audit.
func TestScopeSelectionNamesTheSameScopesTheSame(t *testing.T) {
	t.Parallel()
	a := ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.ProjectScope("B"), accesstokens.UserScope("z"), accesstokens.ProjectScope("A")}}
	b := ScopeSelection{Scopes: []accesstokens.Scope{accesstokens.UserScope("z"), accesstokens.ProjectScope("A"), accesstokens.ProjectScope("B"), accesstokens.ProjectScope("A")}}
	assert.Equal(t, "--scope user:z --scope project:A --scope project:B", a.String())
	assert.Equal(t, a.String(), b.String())
	assert.Equal(t, "--all", ScopeSelection{All: true}.String())
}
