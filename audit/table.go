// The table format, for people: aligned columns, a summary line, the
// scopes that could not be read. Server text is shown escaped.

package audit

import (
	"bufio"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// tableWriter writes fixed-width columns for people; it streams, so a
// column wider than its width pushes the rest of its line to the right.
type tableWriter struct {
	w       *bufio.Writer
	started bool
	closed  bool
}

func newTableWriter(w *bufio.Writer, _ Meta) Writer { return &tableWriter{w: w} }

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
			for n := utf8.RuneCountInString(c); n < tableColumns[i].width; n++ {
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
	switch {
	case t.DaysLeft != nil:
		days = strconv.Itoa(*t.DaysLeft)
	case t.Unread(ExpiryDateField):
		days = "?"
	}
	tw.row(textsafe.Terminal(t.Scope.String()), textsafe.Terminal(t.ID), shorten(textsafe.Terminal(t.Name), tableColumns[2].width),
		DateText(&t, ExpiryDateField, "never"), days, DateText(&t, LastAuthenticatedField, "never"), FindingsText(t.Findings))
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
		tw.w.WriteString("could not read " + textsafe.Terminal(f.Scope.String()) + ": " + textsafe.Terminal(errorText(f.Err)) + "\n")
	}
	return tw.w.Flush()
}

// FindingsText is how tables show a token's findings: "expired,admin", or
// "ok" when there is nothing to say.
func FindingsText(findings []Finding) string {
	if len(findings) == 0 {
		return "ok"
	}
	return strings.ReplaceAll(joinStrings(findings), ";", ",")
}

// summaryLine says, in one line, what the audit found.
func summaryLine(s *Summary) string {
	var b strings.Builder
	b.WriteString(plural(s.Tokens, "token") + " in " + plural(s.ScopesRead, "scope"))
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

// plural writes "1 scope", "2 scopes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// UnreadableDate is how tables show a date the server sent that could not
// be read (see Token.UnreadDates).
const UnreadableDate = "unreadable"

// DateText is how tables show the token's date of the JSON field (such as
// "expiryDate"): its UTC date, UnreadableDate when the server's could not
// be read, none when there is none.
func DateText(t *Token, field, none string) string {
	if t.Unread(field) {
		return UnreadableDate
	}
	var d *time.Time
	switch field {
	case CreatedDateField:
		d = &t.CreatedDate
	case ExpiryDateField:
		d = t.ExpiryDate
	case LastAuthenticatedField:
		d = t.LastAuthenticated
	}
	if d == nil || d.IsZero() {
		return none
	}
	return d.UTC().Format(time.DateOnly)
}

// shorten cuts s to at most n characters (runes), marking the cut with "…":
// for a column of a table.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
