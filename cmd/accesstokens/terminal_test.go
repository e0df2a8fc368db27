package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/accesstokenstest"
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
		srv.SeedTokens(accesstokenstest.ProjectScope(key), 25)
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
