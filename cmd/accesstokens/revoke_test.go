package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/audit"
)

// tokensStub is a TokensService whose Get and Delete answer from tables;
// every other method is the nil interface's (a call panics: revoke must not
// make one).
type tokensStub struct {
	accesstokens.TokensService
	deleteErrs map[string]error
	gets       map[string]*accesstokens.AccessToken // a missing id is a 404
	calls      []string
}

func (s *tokensStub) Delete(_ context.Context, _ accesstokens.Scope, id string) error {
	s.calls = append(s.calls, "DELETE "+id)
	return s.deleteErrs[id]
}

func (s *tokensStub) Get(_ context.Context, _ accesstokens.Scope, id string) (*accesstokens.AccessToken, error) {
	s.calls = append(s.calls, "GET "+id)
	if t, ok := s.gets[id]; ok {
		return t, nil
	}
	return nil, fmt.Errorf("GET %s: 404: %w", id, accesstokens.ErrNotFound)
}

func revokeItems(ids ...string) []revokeItem {
	items := make([]revokeItem, len(ids))
	for i, id := range ids {
		items[i] = revokeItem{scope: accesstokens.ProjectScope("PRJ"), id: id}
	}
	return items
}

func textRevoker(stub *tokensStub, io *IOStreams) *revoker {
	return newRevoker(stub, &RevokeOptions{IO: io, Format: "table"})
}

func TestRevokeGoesOnAfterAFailure(t *testing.T) {
	t.Parallel()
	stub := &tokensStub{deleteErrs: map[string]error{"2": errors.New("500 boom")}}
	io, out, errOut := testIO(false)
	err := textRevoker(stub, io).run(context.Background(), revokeItems("1", "2", "3"))
	code, msg := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "revoked 2 of 3 tokens; 1 failed, 0 not attempted")
	assert.Equal(t, []string{"DELETE 1", "DELETE 2", "DELETE 3"}, stub.calls)
	assert.Equal(t, "revoked project:PRJ 1\nrevoked project:PRJ 3\n", out.String())
	assert.Equal(t, "failed  project:PRJ 2: 500 boom\n", errOut.String())
}

func TestRevokeStopsAtTheFirstAuthenticationFailure(t *testing.T) {
	t.Parallel()
	stub := &tokensStub{deleteErrs: map[string]error{"1": fmt.Errorf("401: %w", accesstokens.ErrAuthentication)}}
	io, out, errOut := testIO(false)
	err := textRevoker(stub, io).run(context.Background(), revokeItems("1", "2", "3"))
	code, msg := exitCodeOf(err)
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "revoked 0 of 3 tokens; 1 failed, 2 not attempted")
	assert.Equal(t, []string{"DELETE 1"}, stub.calls, "no hammering with wrong credentials")
	assert.Empty(t, out.String())
	assert.Contains(t, errOut.String(), "accesstokens: authentication failed, stopping: 2 tokens not revoked:\nnot revoked project:PRJ 2\nnot revoked project:PRJ 3\n")
}

func TestRevokeSaysWhenAnOutcomeIsUnknown(t *testing.T) {
	t.Parallel()
	stub := &tokensStub{deleteErrs: map[string]error{"1": fmt.Errorf("connection reset: %w", accesstokens.ErrOutcomeUnknown)}}
	io, _, errOut := testIO(false)
	_ = textRevoker(stub, io).run(context.Background(), revokeItems("1"))
	assert.Equal(t, "failed  project:PRJ 1: connection reset: outcome unknown; it may or may not be revoked: check with 'accesstokens get project:PRJ 1'\n", errOut.String())
}

// hostile are token names and server messages that try to act on a
// terminal: an OSC 8 link, a line erased and rewritten, a bidi override,
// a zero-width space, a line separator.
var hostile = []struct{ raw, shown string }{
	{"ci\x1b]8;;https://evil.example\x07click\x1b]8;;\x07", `ci\x1b]8;;https://evil.example\aclick\x1b]8;;\a`},
	{"ok\x1b[2K\rrevoked project:PRJ 999", `ok\x1b[2K\rrevoked project:PRJ 999`},
	{"gpj.\u202eexe", `gpj.\u202eexe`},
	{"ad\u200bmin", `ad\u200bmin`},
	{"two\u2028lines", `two\u2028lines`},
}

func TestRevokeLinesShowHostileNamesAndServerTextEscaped(t *testing.T) {
	t.Parallel()
	for _, h := range hostile {
		stub := &tokensStub{deleteErrs: map[string]error{"2": errors.New("500: " + h.raw)}}
		io, out, errOut := testIO(false)
		items := []revokeItem{
			{scope: accesstokens.ProjectScope("PRJ"), id: "1", name: h.raw},
			{scope: accesstokens.ProjectScope("PRJ"), id: "2", name: h.raw},
		}
		_ = textRevoker(stub, io).run(context.Background(), items)
		assert.Equal(t, `revoked project:PRJ 1 "`+h.shown+`"`+"\n", out.String())
		assert.Equal(t, `failed  project:PRJ 2 "`+h.shown+`": 500: `+h.shown+"\n", errOut.String())
	}
}

// TestRevokeLinesQuoteNamesAsEveryMessageDoes: a name with a double quote
// or a backslash cannot end its quotes early: revoke's lines quote it as
// create, rotate and exec do.
func TestRevokeLinesQuoteNamesAsEveryMessageDoes(t *testing.T) {
	t.Parallel()
	name := `ci "prod" \ x`
	io, out, _ := testIO(false)
	_ = textRevoker(&tokensStub{}, io).run(context.Background(), []revokeItem{{scope: accesstokens.ProjectScope("PRJ"), id: "1", name: name}})
	assert.Equal(t, "revoked project:PRJ 1 "+quoted(name)+"\n", out.String())
	assert.Equal(t, `revoked project:PRJ 1 "ci \"prod\" \\ x"`+"\n", out.String())
}

func TestRevokePlanShowsHostileNamesEscaped(t *testing.T) {
	t.Parallel()
	for _, h := range hostile {
		var out bytes.Buffer
		require.NoError(t, writePlanTable(&out, "where expired", []planRow{
			{scope: accesstokens.ProjectScope("PRJ"), id: "1", name: h.raw, findings: "expired"},
		}))
		assert.Equal(t, "Plan: revoke 1 token in 1 scope where expired\nproject:PRJ (1)\n  1  "+h.shown+"  expired\n", out.String())
		assert.Equal(t, strings.Split(out.String(), "\n")[:3], screen(t, out.Bytes()), "what the terminal shows is what was written")
	}
}

func TestRevokeJSONReportsRevokedFailedAndSkipped(t *testing.T) {
	t.Parallel()
	stub := &tokensStub{
		deleteErrs: map[string]error{"3": errors.New("500 boom")},
		gets: map[string]*accesstokens.AccessToken{
			"1": {ID: "1", Name: "a"}, "3": {ID: "3", Name: "c"}, "4": {ID: "4", Name: "renamed"},
		},
	}
	io, out, errOut := testIO(false)
	r := newRevoker(stub, &RevokeOptions{IO: io, Format: "json"})
	r.recheck = func(ctx context.Context, it revokeItem) (string, error) {
		now, err := stub.Get(ctx, it.scope, it.id)
		if err != nil {
			return gone, nil
		}
		if now.Name != it.name {
			return "changed since the plan was made: name", nil
		}
		return "", nil
	}
	items := revokeItems("1", "2", "3", "4")
	for i, name := range []string{"a", "b", "c", "d"} {
		items[i].name = name
	}
	code, msg := exitCodeOf(r.run(context.Background(), items))
	assert.Equal(t, exitFailed, code)
	assert.EqualError(t, msg, "revoked 1 of 4 tokens; 2 skipped, 1 failed, 0 not attempted")
	assert.JSONEq(t, `{
		"revoked": [{"scope": "project:PRJ", "id": "1"}],
		"failed":  [{"scope": "project:PRJ", "id": "3", "error": "500 boom"}],
		"skipped": [{"scope": "project:PRJ", "id": "2", "reason": "`+gone+`"},
		            {"scope": "project:PRJ", "id": "4", "reason": "changed since the plan was made: name"}]
	}`, out.String())
	assert.Equal(t, []string{"GET 1", "DELETE 1", "GET 2", "GET 3", "DELETE 3", "GET 4"}, stub.calls, "nothing skipped is revoked")
	assert.Contains(t, errOut.String(), `skipped project:PRJ 4 "d": changed since the plan was made: name`)
}

func TestRevokeJSONListsEveryListEvenWhenEmpty(t *testing.T) {
	t.Parallel()
	io, out, _ := testIO(false)
	require.NoError(t, newRevoker(&tokensStub{}, &RevokeOptions{IO: io, Format: "json"}).run(context.Background(), nil))
	assert.JSONEq(t, `{"revoked": [], "failed": [], "skipped": []}`, out.String())
}

func TestRevokeJSONCountsWhatAStopLeftAsFailed(t *testing.T) {
	t.Parallel()
	stub := &tokensStub{deleteErrs: map[string]error{"1": fmt.Errorf("401: %w", accesstokens.ErrAuthentication)}}
	io, out, _ := testIO(false)
	_ = newRevoker(stub, &RevokeOptions{IO: io, Format: "json"}).run(context.Background(), revokeItems("1", "2"))
	var res revokeResults
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.Len(t, res.Failed, 2, "every token of the list is accounted for")
	assert.Equal(t, "not attempted: authentication failed, stopping", res.Failed[1].Error)
}

// fullWriter fails every write, as /dev/full does.
type fullWriter struct{}

func (fullWriter) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

func TestRevokeByIDExitsOneWhenStdoutCannotBeWritten(t *testing.T) {
	t.Parallel()
	for _, format := range revokeFormats {
		stub := &tokensStub{}
		io, _, _ := testIO(false)
		io.Out = fullWriter{}
		code, msg := exitCodeOf(newRevoker(stub, &RevokeOptions{IO: io, Format: format}).run(context.Background(), revokeItems("1", "2")))
		assert.Equal(t, exitFailed, code, format)
		assert.EqualError(t, msg, "revoked 2 of 2 tokens; 0 failed, 0 not attempted; writing the report to stdout: no space left on device", format)
		assert.Equal(t, []string{"DELETE 1", "DELETE 2"}, stub.calls, "a broken stdout does not leave a revoke half done")
	}
}

func TestRevokeWherePlanExitsOneWhenStdoutCannotBeWrittenAndRevokesNothing(t *testing.T) {
	t.Parallel()
	srv, scopes := newAuditFake(t, 1)
	for _, tc := range []struct {
		format string
		yes    bool
	}{{"table", false}, {"json", false}, {"table", true}} {
		io, _, _ := testIO(false)
		io.Out = fullWriter{}
		w, err := audit.ParseWhere("no-expiry")
		require.NoError(t, err)
		code, msg := exitCodeOf(runRevoke(context.Background(), &RevokeOptions{
			IO: io, Connect: connectTo(t, srv), Format: tc.format, Yes: tc.yes,
			Where: &w, Select: ScopeSelection{Scopes: scopes}, Concurrency: 1,
		}))
		assert.Equal(t, exitFailed, code, tc)
		assert.EqualError(t, msg, "writing the plan: no space left on device; nothing was revoked", tc)
		assert.Equal(t, 3, srv.TokenCount(), tc)
	}
}

// TestRevokeFlags parses revoke's command line into its options without a
// server: runF stands in for the run.
func TestRevokeFlags(t *testing.T) {
	t.Parallel()
	planFile := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(planFile, []byte(`{"plan": [
		{"scope": "repo:PRJ/r", "id": "000000000002", "name": "b", "permissions": ["REPO_READ"], "expiryDate": null},
		{"scope": "project:PRJ", "id": "000000000001", "name": "a", "permissions": [], "expiryDate": "2030-01-02T03:04:05Z"}
	]}`), 0o600))
	for _, tc := range []struct {
		args  []string
		check func(t *testing.T, o *RevokeOptions)
		usage string // the usage error, when the line is refused
	}{
		{args: []string{"project:PRJ", "1", "2"}, check: func(t *testing.T, o *RevokeOptions) {
			assert.Equal(t, accesstokens.ProjectScope("PRJ"), o.Scope)
			assert.Equal(t, []string{"1", "2"}, o.IDs)
			assert.Equal(t, "table", o.Format)
		}},
		{args: []string{"user:alice", "7", "-o", "json"}, check: func(t *testing.T, o *RevokeOptions) {
			assert.Equal(t, "json", o.Format)
		}},
		{args: []string{"--all", "--where", "expired,name=ci-*", "--yes", "--concurrency", "3"}, check: func(t *testing.T, o *RevokeOptions) {
			require.NotNil(t, o.Where)
			assert.Equal(t, "expired,name=ci-*", o.Where.String())
			assert.True(t, o.Select.All)
			assert.True(t, o.Yes)
			assert.Equal(t, 3, o.Concurrency)
		}},
		{args: []string{"--plan", planFile, "--yes"}, check: func(t *testing.T, o *RevokeOptions) {
			require.NotNil(t, o.Plan)
			require.Len(t, o.Plan.tokens, 2)
			assert.Equal(t, accesstokens.ProjectScope("PRJ"), o.Plan.tokens[0].scope, "projects come before repositories")
			assert.Equal(t, "000000000002", o.Plan.tokens[1].id)
			assert.Nil(t, o.Plan.tokens[1].expiry)
			assert.True(t, o.Yes)
		}},
		{args: []string{"--plan", planFile, "--where", "expired"}, usage: "--plan revokes the tokens of a saved plan: drop --where, --all and --scope (they make a new plan)"},
		{args: []string{"--plan", planFile, "--all"}, usage: "--plan revokes the tokens of a saved plan: drop --where, --all and --scope (they make a new plan)"},
		{args: []string{"--plan", planFile, "--scope", "project:PRJ"}, usage: "--plan revokes the tokens of a saved plan: drop --where, --all and --scope (they make a new plan)"},
		{args: []string{"--plan", planFile, "project:PRJ", "1"}, usage: "revoke --plan takes no SCOPE or ID arguments: the plan names the tokens"},
		{args: []string{"--plan", filepath.Join(t.TempDir(), "none.json")}, usage: "--plan"},
		{args: []string{"project:PRJ", "1", "-o", "csv"}, usage: `-o "csv": revoke prints table or json`},
		{args: []string{"project:PRJ"}, usage: "revoke takes SCOPE and at least one ID"},
		{args: []string{"--scope", "project:PRJ", "--where", "expird"}, usage: `--where: unknown finding "expird"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			io, _, _ := testIO(false)
			var got *RevokeOptions
			cmd := NewCmdRevoke(&Factory{IO: io}, func(_ context.Context, o *RevokeOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tc.args)
			cmd.SetOut(io.Out)
			cmd.SetErr(io.ErrOut)
			code, err := exitCodeOf(cmd.Execute())
			if tc.usage != "" {
				assert.Equal(t, exitUsage, code)
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.usage)
				assert.Nil(t, got, "nothing runs after a usage error")
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			tc.check(t, got)
		})
	}
}

func TestRevokePlanFileThatIsNotAPlanIsRefused(t *testing.T) {
	t.Parallel()
	token := func(fields string) string {
		return `{"plan": [{` + fields + `}]}`
	}
	for _, tc := range []struct{ doc, want string }{
		{`{"plan": [`, "unexpected EOF"},
		{`[]`, "cannot unmarshal array"},
		{`{"tokens": []}`, `no "plan" list`},
		{`{"plan": []} {"plan": []}`, "more after the document"},
		{`{"plan": [42]}`, "plan[0]: json: cannot unmarshal number"},
		{token(`"id": "1", "name": "a", "permissions": [], "expiryDate": null`), `plan[0]: no "scope"`},
		{token(`"scope": "project:PRJ", "name": "a", "permissions": [], "expiryDate": null`), `plan[0]: no "id"`},
		{token(`"scope": "project:PRJ", "id": "1", "permissions": [], "expiryDate": null`), `plan[0]: no "name"`},
		{token(`"scope": "project:PRJ", "id": "1", "name": "a", "expiryDate": null`), `plan[0]: no "permissions"`},
		{token(`"scope": "project:PRJ", "id": "1", "name": "a", "permissions": []`), `plan[0]: no "expiryDate"`},
		{token(`"scope": "team:X", "id": "1", "name": "a", "permissions": [], "expiryDate": null`), `plan[0]: scope "team:X"`},
		{token(`"scope": "project:PRJ", "id": "1a", "name": "a", "permissions": [], "expiryDate": null`), `plan[0]: id "1a": a token id is a string of digits`},
		{token(`"scope": "project:PRJ", "id": "1", "name": "a", "permissions": [], "expiryDate": "soon"`), `plan[0]: expiryDate "soon": not an RFC 3339 date`},
	} {
		_, err := decodePlan("p.json", strings.NewReader(tc.doc))
		require.Error(t, err, tc.doc)
		assert.Contains(t, err.Error(), tc.want, tc.doc)
		assert.True(t, strings.HasPrefix(err.Error(), notAPlan), tc.doc)
	}
}

func TestRevokePlanFileHoldsEachTokenOnce(t *testing.T) {
	t.Parallel()
	tok := `{"scope": "project:PRJ", "id": "1", "name": "a", "permissions": [], "expiryDate": null}`
	plan, err := decodePlan("p.json", strings.NewReader(`{"plan": [`+tok+`, `+tok+`]}`))
	require.NoError(t, err)
	assert.Len(t, plan.tokens, 1)
}

func TestPlannedTokenChangedSince(t *testing.T) {
	t.Parallel()
	at := func(s string) *time.Time {
		d, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return &d
	}
	planned := &plannedToken{id: "1", name: "ci", expiry: at("2030-01-01T00:00:00Z"),
		permissions: []accesstokens.Permission{accesstokens.RepoRead, accesstokens.ProjectRead}}
	same := accesstokens.AccessToken{ID: "1", Name: "ci", ExpiryDate: at("2030-01-01T00:00:00Z"),
		Permissions: []accesstokens.Permission{accesstokens.ProjectRead, accesstokens.RepoRead}}
	assert.Empty(t, planned.changedSince(&same), "the order of permissions does not matter")
	renamed, widened, extended := same, same, same
	renamed.Name = "ci2"
	widened.Permissions = []accesstokens.Permission{accesstokens.ProjectAdmin}
	extended.ExpiryDate = nil
	assert.Equal(t, "changed since the plan was made: name", planned.changedSince(&renamed))
	assert.Equal(t, "changed since the plan was made: permissions", planned.changedSince(&widened))
	assert.Equal(t, "changed since the plan was made: expiry", planned.changedSince(&extended))
}

// planOf runs revoke --where ... -o json against srv and returns the plan it printed.
func planOf(t *testing.T, srv *accesstokenstest.Server, where string, scopes ...accesstokens.Scope) []byte {
	t.Helper()
	w, err := audit.ParseWhere(where)
	require.NoError(t, err)
	io, out, errOut := testIO(false)
	require.NoError(t, runRevoke(context.Background(), &RevokeOptions{
		IO: io, Connect: connectTo(t, srv), Format: "json", Where: &w,
		Select: ScopeSelection{Scopes: scopes}, Concurrency: 2,
	}))
	assert.Equal(t, "Nothing was revoked: run again with --yes to revoke "+plural(strings.Count(out.String(), `"scope":`), "token")+".\n", errOut.String())
	return out.Bytes()
}

// TestRevokePlanRevokesExactlyTheReviewedTokens: between the plan and
// --yes, one planned token is renamed, one is revoked by someone else, and
// a new token matches the filter: --plan --yes revokes the planned tokens
// that did not change, skips and reports the other two, and leaves the new
// one alone.
func TestRevokePlanRevokesExactlyTheReviewedTokens(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddProject("PRJ", "project")
	ids := map[string]string{}
	for _, name := range []string{"ci-1", "ci-2", "ci-3", "ci-4", "keep"} {
		ids[name], _ = srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), name, 0, "PROJECT_READ")
	}
	prj := accesstokens.ProjectScope("PRJ")
	raw := planOf(t, srv, "name=ci-*", prj)
	var doc struct{ Plan []inventoryToken }
	require.NoError(t, json.Unmarshal(raw, &doc), "the plan is {\"plan\": [TOKEN...]}")
	require.Len(t, doc.Plan, 4)
	assert.Equal(t, "ci-1", doc.Plan[0].Name)
	assert.Equal(t, "project:PRJ", doc.Plan[0].Scope)

	conn, err := connectTo(t, srv)(context.Background())
	require.NoError(t, err)
	renamed := "ci-2-renamed"
	_, err = conn.Client.Tokens.Update(context.Background(), prj, ids["ci-2"], accesstokens.UpdateTokenRequest{Name: &renamed})
	require.NoError(t, err)
	require.NoError(t, conn.Client.Tokens.Delete(context.Background(), prj, ids["ci-3"]))
	newID, _ := srv.MintToken(accesstokenstest.ProjectScopeString("PRJ"), "ci-new", 0, "PROJECT_READ")

	planFile := filepath.Join(t.TempDir(), "plan.json")
	require.NoError(t, os.WriteFile(planFile, raw, 0o600))
	plan, err := readPlanFile(planFile)
	require.NoError(t, err)
	io, out, errOut := testIO(false)
	require.NoError(t, runRevoke(context.Background(), &RevokeOptions{
		IO: io, Connect: connectTo(t, srv), Format: "json", Yes: true, PlanFile: planFile, Plan: plan,
	}), "a skipped token is not a failure")
	assert.JSONEq(t, `{
		"revoked": [{"scope": "project:PRJ", "id": "`+ids["ci-1"]+`"}, {"scope": "project:PRJ", "id": "`+ids["ci-4"]+`"}],
		"failed": [],
		"skipped": [{"scope": "project:PRJ", "id": "`+ids["ci-2"]+`", "reason": "changed since the plan was made: name"},
		            {"scope": "project:PRJ", "id": "`+ids["ci-3"]+`", "reason": "`+gone+`"}]
	}`, out.String())
	assert.Contains(t, errOut.String(), "accesstokens: revoked 2 of 4 tokens; 2 skipped, 0 failed, 0 not attempted\n")

	var left []string
	for _, tok := range srv.Tokens() {
		left = append(left, tok.Name)
	}
	assert.ElementsMatch(t, []string{"ci-2-renamed", "keep", "ci-new"}, left, "the new token %s was not in the plan", newID)
}

// TestRevokePlanPreviewShowsWhatYesWouldDo: without --yes, each token is
// read again and nothing is revoked; the json is a plan of what is still as
// planned, with what would be skipped beside it.
func TestRevokePlanPreviewShowsWhatYesWouldDo(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	srv.AddProject("PRJ", "project")
	srv.SeedTokens(accesstokenstest.ProjectScopeString("PRJ"), 2)
	prj := accesstokens.ProjectScope("PRJ")
	raw := planOf(t, srv, "no-expiry", prj)
	plan, err := decodePlan("plan.json", bytes.NewReader(raw))
	require.NoError(t, err)
	require.Len(t, plan.tokens, 2)
	conn, err := connectTo(t, srv)(context.Background())
	require.NoError(t, err)
	require.NoError(t, conn.Client.Tokens.Delete(context.Background(), prj, plan.tokens[0].id))

	io, out, errOut := testIO(false)
	require.NoError(t, runRevoke(context.Background(), &RevokeOptions{IO: io, Connect: connectTo(t, srv), Format: "json", Plan: plan}))
	var preview struct {
		Plan    []inventoryToken
		Skipped []skippedToken
		Failed  []failedToken
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &preview))
	require.Len(t, preview.Plan, 1)
	assert.Equal(t, plan.tokens[1].id, preview.Plan[0].ID)
	assert.Equal(t, []skippedToken{{Scope: "project:PRJ", ID: plan.tokens[0].id, Reason: gone}}, preview.Skipped)
	assert.Empty(t, preview.Failed)
	assert.Contains(t, errOut.String(), "Nothing was revoked: run again with --yes to revoke 1 token.\n")
	assert.Equal(t, 1, srv.TokenCount())

	again, err := decodePlan("preview.json", bytes.NewReader(out.Bytes()))
	require.NoError(t, err, "a preview is a plan too")
	assert.Len(t, again.tokens, 1)
}

// TestRevokeWhereRevokesEachTokenOnceWhenAScopeIsListedTwice: offset paging
// over a server that changes can list a scope twice; its tokens are planned,
// and revoked, once.
func TestRevokeWhereRevokesEachTokenOnceWhenAScopeIsListedTwice(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer(accesstokenstest.WithEmptyWorld())
	t.Cleanup(srv.Close)
	srv.AddUser(accesstokenstest.DemoAdmin, accesstokenstest.DemoAdminPassword, true)
	srv.AddProject("PRJ", "project")
	srv.SeedTokens(accesstokenstest.ProjectScopeString("PRJ"), 2)
	prj := `{"key":"PRJ","id":1,"name":"project","type":"NORMAL"}`
	srv.InjectFault(accesstokenstest.Fault{
		Method: "GET", Path: "/rest/api/latest/projects", Status: 200, ContentType: "application/json",
		Body: `{"size":2,"limit":25,"start":0,"isLastPage":true,"values":[` + prj + `,` + prj + `]}`,
	})
	w, err := audit.ParseWhere("no-expiry")
	require.NoError(t, err)
	io, out, errOut := testIO(false)
	err = runRevoke(context.Background(), &RevokeOptions{
		IO: io, Connect: connectTo(t, srv), Format: "json", Yes: true,
		Where: &w, Select: ScopeSelection{All: true}, Concurrency: 2,
	})
	require.NoError(t, err, errOut.String())
	require.Zero(t, srv.PendingFaults(), "the project list named PRJ twice")
	var res revokeResults
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	assert.Len(t, res.Revoked, 2)
	assert.Empty(t, res.Failed, "no token is revoked twice")
	assert.Equal(t, 0, srv.TokenCount())
}
