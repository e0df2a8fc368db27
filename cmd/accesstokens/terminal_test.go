package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// screen renders what a terminal shows after bytes written to it: '\r'
// returns to the line's start, '\n' starts a new line, other characters
// overwrite what is under the cursor. Lines are trimmed of trailing blanks.
func screen(t *testing.T, b []byte) []string {
	t.Helper()
	var lines [][]rune
	row, col := 0, 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		require.NotEqual(t, '\x1b', r, "an escape sequence the emulator does not know")
		for len(lines) <= row {
			lines = append(lines, nil)
		}
		switch r {
		case '\r':
			col = 0
		case '\n':
			row, col = row+1, 0
		default:
			for len(lines[row]) <= col {
				lines[row] = append(lines[row], ' ')
			}
			lines[row][col] = r
			col++
		}
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

func TestScreen(t *testing.T) {
	t.Parallel()
	assert.Equal(t, []string{"abc", "xyz"}, screen(t, []byte("a█c\r  \rab\nxyz\n")))
}

// TestAuditOnOneTerminalKeepsEveryLineWhole: when stdout and stderr are the
// same terminal (an admin running audit by hand), the progress bar never
// lands inside the report's lines, and no line of the report is erased by
// the bar: the screen shows exactly what a pipe would have received. The
// report is larger than the writer's buffer, so it reaches the terminal while
// the bar is shown.
func TestAuditOnOneTerminalKeepsEveryLineWhole(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	var scopes []accesstokens.Scope
	for i := range 40 {
		key := "P" + strings.Repeat("Q", i+1)
		srv.AddProject(key, key)
		srv.SeedTokens(accesstokenstest.ProjectScopeString(key), 25)
		scopes = append(scopes, accesstokens.ProjectScope(key))
	}
	for _, format := range []string{"table", "csv", "jsonl"} {
		var piped, term bytes.Buffer
		opts := func(io *IOStreams) *AuditOptions {
			return &AuditOptions{IO: io, Connect: connectTo(t, srv), Select: ScopeSelection{Scopes: scopes},
				Format: format, Concurrency: 1} // one worker: the same order twice
		}
		require.NoError(t, runAudit(context.Background(), opts(&IOStreams{In: strings.NewReader(""), Out: &piped, ErrOut: &bytes.Buffer{}})))
		require.Greater(t, piped.Len(), 64<<10, "the report outgrows the writer's buffer")
		require.NoError(t, runAudit(context.Background(), opts(&IOStreams{In: strings.NewReader(""), Out: &term, ErrOut: &term, OutTTY: true, ErrTTY: true})))
		require.Regexp(t, `\(\d+/40\)`, term.String(), "the bar was shown")
		want := strings.Split(strings.TrimSuffix(piped.String(), "\n"), "\n")
		got := screen(t, term.Bytes())
		if !assert.Equal(t, len(want), len(got), "%s: lines on the screen", format) {
			continue
		}
		for i := range want {
			if !assert.Equal(t, want[i], got[i], fmt.Sprintf("%s: line %d", format, i+1)) {
				break
			}
		}
	}
}

// TestVerboseTurnsTheProgressBarOff: -v's request log lines own stderr; a
// bar redrawn between them would break them (seen in tmux: the bar in front
// of every few log lines).
func TestVerboseTurnsTheProgressBarOff(t *testing.T) {
	t.Parallel()
	for _, verbose := range []bool{false, true} {
		var out, errOut bytes.Buffer
		io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, ErrTTY: true}
		args := []string{"audit", "--all", "--demo", "-o", "jsonl"}
		if verbose {
			args = append(args, "-v")
		}
		code := run(context.Background(), args, io, func(string) string { return "" })
		require.Equal(t, exitOK, code, errOut.String())
		bar := `\(\d+/\d+\)`
		if verbose {
			assert.Contains(t, errOut.String(), `msg="accesstokens: attempt"`, "-v logs requests")
			assert.NotRegexp(t, bar, errOut.String(), "no bar with -v")
			assert.NotContains(t, errOut.String(), "\r", "nothing redrawn with -v")
		} else {
			assert.Regexp(t, bar, errOut.String(), "the bar on a terminal stderr")
		}
	}
}

// hostileNames are token names anyone who may create a token chooses, each
// meant to act on the terminal that shows it.
var hostileNames = []string{
	"\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", // an OSC 8 link
	"ci\x1b[2K\rrevoked: nothing",                               // rewrites the line it is on
	"ci-\u202etxt.exe",                                          // a bidi override
	"ad\u200bmin",                                               // a zero-width space
	"one\u2028two",                                              // a line separator
}

// hostileWorld is a fake whose scope PRJ holds a token of each hostile
// name, and whose repository PRJ/gone answers with a hostile message.
func hostileWorld(t *testing.T) (getenv func(string) string, ids []string) {
	t.Helper()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	for _, name := range hostileNames {
		id, _ := srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), name, 30, "PROJECT_ADMIN")
		ids = append(ids, id)
	}
	srv.InjectFault(accesstokenstest.Fault{Method: "GET", Path: "/projects/" + accesstokenstest.DemoProject + "/repos/gone", Status: 404, Times: 100,
		ContentType: "application/json", Body: `{"errors":[{"message":"no repo \u001b]8;;https://evil.example/\u001b\\here\u001b]8;;\u001b\\ \u202e"}]}`})
	return fakeEnv(srv), ids
}

// fakeEnv is the environment of a command run against srv as its admin.
func fakeEnv(srv *accesstokenstest.Server) func(string) string {
	env := map[string]string{"BITBUCKET_URL": srv.URL, "BITBUCKET_USERNAME": accesstokenstest.DemoAdmin, "BITBUCKET_PASSWORD": accesstokenstest.DemoAdminPassword}
	return func(k string) string { return env[k] }
}

// TestHostileNamesNeverReachATerminalRaw runs list, get and audit in every
// format, with stdout and stderr on a terminal, over tokens whose names
// carry escape sequences, bidi overrides and invisible characters: nothing
// a terminal acts on comes out, on stdout or stderr (where the failure of
// a scope whose server message is hostile is reported).
func TestHostileNamesNeverReachATerminalRaw(t *testing.T) {
	t.Parallel()
	getenv, ids := hostileWorld(t)
	prj := "project:" + accesstokenstest.DemoProject
	var runs [][]string
	for _, format := range []string{"table", "json", "jsonl", "csv"} {
		runs = append(runs,
			[]string{"list", prj, "-o", format},
			[]string{"audit", "--scope", prj, "--scope", "repo:" + accesstokenstest.DemoProject + "/gone", "-o", format},
			[]string{"get", prj, ids[0], "-o", format},
			[]string{"get", prj, ids[1], "-o", format})
	}
	for _, args := range runs {
		var out, errOut bytes.Buffer
		io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, OutTTY: true}
		code := run(context.Background(), args, io, getenv)
		require.Contains(t, []int{exitOK, exitFailed}, code, "%v: %s", args, errOut.String())
		for name, text := range map[string]string{"stdout": out.String(), "stderr": errOut.String()} {
			for i, line := range strings.Split(text, "\n") {
				assert.False(t, strings.ContainsFunc(line, textsafe.Hidden), "%v: %s line %d: %q", args, name, i+1, line)
			}
		}
		if args[0] == "audit" {
			assert.Contains(t, errOut.String(), `could not read repo:PRJ/gone: `, args)
			assert.Contains(t, errOut.String(), `no repo `, "%v: the server's message, cleaned", args)
		}
	}
}

// TestCSVNeverHoldsAFormula: a token name a spreadsheet would run comes out
// of list and audit -o csv as text.
func TestCSVNeverHoldsAFormula(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	prj := accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject)
	for _, name := range []string{`=HYPERLINK("https://evil.example/","open")`, "+1+1", "@SUM(1)"} {
		srv.MintToken(prj, name, 30, "PROJECT_READ")
	}
	for _, args := range [][]string{{"list", "project:" + accesstokenstest.DemoProject, "-o", "csv"}, {"audit", "--scope", "project:" + accesstokenstest.DemoProject, "-o", "csv"}} {
		var out bytes.Buffer
		io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}}
		require.Equal(t, exitOK, run(context.Background(), args, io, fakeEnv(srv)))
		records, err := csv.NewReader(&out).ReadAll()
		require.NoError(t, err)
		require.Len(t, records, 4, args)
		for _, r := range records[1:] {
			assert.Equal(t, "'", r[2][:1], "%v: %q starts with a quote", args, r[2])
		}
	}
}

// TestListSaysOKLikeAudit: a token without findings is "ok" in list's
// table, as in audit's, not "-".
func TestListSaysOKLikeAudit(t *testing.T) {
	t.Parallel()
	srv := accesstokenstest.NewServer()
	t.Cleanup(srv.Close)
	id, secret := srv.MintToken(accesstokenstest.ProjectScopeString(accesstokenstest.DemoProject), "fine", 300, "PROJECT_READ")
	req, err := http.NewRequest(http.MethodGet, srv.URL+accesstokenstest.APIPath+"/users/nobody", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	var out bytes.Buffer
	io := &IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}}
	require.Equal(t, exitOK, run(context.Background(), []string{"list", "project:" + accesstokenstest.DemoProject}, io, fakeEnv(srv)))
	assert.Regexp(t, `(?m)^`+id+` +fine +PROJECT_READ +\S+ +\S+ +ok$`, out.String())
}
