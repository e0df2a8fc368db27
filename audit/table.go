// The table format, for people: aligned columns, a summary line, the
// scopes that could not be read.

package audit

import (
	"bufio"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// tableWriter writes fixed-width columns for people; it streams, so a
// column wider than its width pushes the rest of its line to the right.
type tableWriter struct {
	w       *bufio.Writer
	started bool
	closed  bool
}

// The table's columns and their widths.
var tableColumns = []struct {
	title string
	width int
}{{"SCOPE", 28}, {"ID", 12}, {"NAME", 24}, {"EXPIRES", 10}, {"DAYS", 5}, {"LAST USED", 10}, {"FINDINGS", 0}}

func (tw *tableWriter) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			tw.w.WriteString("  ")
		}
		tw.w.WriteString(c)
		if i < len(cells)-1 {
			for n := utf8Len(c); n < tableColumns[i].width; n++ {
				tw.w.WriteByte(' ')
			}
		}
	}
	tw.w.WriteByte('\n')
}

func (tw *tableWriter) header() {
	if tw.started {
		return
	}
	tw.started = true
	titles := make([]string, len(tableColumns))
	for i, c := range tableColumns {
		titles[i] = c.title
	}
	tw.row(titles...)
}

func (tw *tableWriter) Write(t Token) error {
	if tw.closed {
		return errClosed
	}
	tw.header()
	days := "-"
	if t.DaysLeft != nil {
		days = strconv.Itoa(*t.DaysLeft)
	}
	findings := joinStrings(t.Findings)
	if findings == "" {
		findings = "ok"
	}
	tw.row(printable(t.Scope.String()), printable(t.ID), shorten(printable(t.Name), tableColumns[2].width),
		dateOr(t.ExpiryDate, "never"), days, dateOr(t.LastAuthenticated, "never"), strings.ReplaceAll(findings, ";", ","))
	return nil
}

func (tw *tableWriter) Close(s Summary) error {
	if tw.closed {
		return errClosed
	}
	tw.closed = true
	tw.header()
	tw.w.WriteString("\n" + summaryLine(&s) + "\n")
	for _, f := range s.Failed {
		tw.w.WriteString("could not read " + printable(f.Scope.String()) + ": " + printable(errorText(f.Err)) + "\n")
	}
	return tw.w.Flush()
}

// summaryLine says, in one line, what the audit found.
func summaryLine(s *Summary) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(s.Tokens) + " tokens in " + strconv.Itoa(s.ScopesRead) + " scopes")
	if len(s.Failed) > 0 {
		b.WriteString(" (" + strconv.Itoa(len(s.Failed)) + " could not be read)")
	}
	b.WriteString(":")
	for i, f := range allFindings {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + strconv.Itoa(s.Findings[f]) + " " + string(f))
	}
	return b.String()
}

func dateOr(t *time.Time, none string) string {
	if t == nil || t.IsZero() {
		return none
	}
	return t.UTC().Format(time.DateOnly)
}

// printable keeps server text from breaking the table or driving the
// terminal: control characters become '?'.
func printable(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	if utf8Len(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func utf8Len(s string) int { return utf8.RuneCountInString(s) }
