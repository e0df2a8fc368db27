package audit

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Formats lists the output formats NewWriter accepts, the default first.
var Formats = []string{"table", "json", "jsonl", "csv"}

// Meta is what a report says about itself: when it was made and of which server.
type Meta struct {
	GeneratedAt   time.Time // zero: the time of NewWriter
	ServerURL     string    // "": written as null
	ServerVersion string    // "": written as null
}

// Writer writes an audit report as tokens arrive, in one format. It holds no
// token after writing it (except the table, see NewWriter), and buffers its
// output: nothing may be complete on w before Close.
type Writer interface {
	// Write writes one token.
	Write(Token) error
	// Close writes the trailer (the end of the json document, the jsonl
	// summary line, the table's footer) and flushes. A Writer is not usable
	// after Close.
	Close(Summary) error
}

// errClosed is returned by a Writer used after Close.
var errClosed = errors.New("audit: writer is closed")

// NewWriter returns a Writer of format to w (see Formats), as the command's
// contract describes them:
//
//   - "json": one document {"generatedAt", "server": {"url", "version"},
//     "tokens": [TOKEN…], "scopes": {"read", "failed": [{"scope", "error"}]},
//     "summary": {"<finding>": count…, "tokens": N}} (written as tokens
//     arrive, so "scopes" comes after "tokens");
//   - "jsonl": one TOKEN per line (see Token.MarshalJSON), then a last line
//     {"summary": {…}, "scopes": {…}}; memory stays constant;
//   - "csv": header scope,id,name,created,expiry,last_used,permissions,owner,findings,
//     permissions and findings joined with ";", absent dates empty;
//   - "table": aligned columns for people, one line per token, and a summary
//     (a layout that may change: scripts use the other formats).
//
// An unknown format is an error naming it that matches accesstokens.ErrInvalidArgument.
func NewWriter(format string, w io.Writer, meta Meta) (Writer, error) {
	if meta.GeneratedAt.IsZero() {
		meta.GeneratedAt = time.Now()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "json":
		return &jsonWriter{w: bw, meta: meta}, nil
	case "jsonl":
		return &jsonlWriter{w: bw}, nil
	case "csv":
		return newCSVWriter(bw), nil
	case "table":
		return &tableWriter{w: bw}, nil
	}
	return nil, invalid("format", "unknown output format "+strconv.Quote(format)+": use "+strings.Join(Formats, ", "))
}

// jsonWriter writes the json document.
type jsonWriter struct {
	w       *bufio.Writer
	meta    Meta
	buf     []byte
	started bool // the head and "tokens": [ are written
	tokens  int  // tokens written
	closed  bool
}

func (j *jsonWriter) head() {
	if j.started {
		return
	}
	j.started = true
	b := append(j.buf[:0], "{\n  \"generatedAt\": "...)
	b = appendJSONTime(b, j.meta.GeneratedAt)
	b = append(b, ",\n  \"server\": {\"url\": "...)
	b = appendJSONStringOrNull(b, j.meta.ServerURL)
	b = append(b, ", \"version\": "...)
	b = appendJSONStringOrNull(b, j.meta.ServerVersion)
	b = append(b, "},\n  \"tokens\": ["...)
	j.buf = b
	j.w.Write(b)
}

func (j *jsonWriter) Write(t Token) error {
	if j.closed {
		return errClosed
	}
	j.head()
	b := j.buf[:0]
	if j.tokens > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n    "...)
	b = t.appendJSON(b)
	j.buf = b
	j.tokens++
	_, err := j.w.Write(b)
	return err
}

func (j *jsonWriter) Close(s Summary) error {
	if j.closed {
		return errClosed
	}
	j.head()
	j.closed = true
	b := j.buf[:0]
	if j.tokens > 0 {
		b = append(b, "\n  "...)
	}
	b = append(b, "],\n  \"scopes\": "...)
	b = appendScopes(b, &s)
	b = append(b, ",\n  \"summary\": "...)
	b = appendSummary(b, &s)
	b = append(b, "\n}\n"...)
	j.w.Write(b)
	return j.w.Flush()
}

// jsonlWriter writes one TOKEN per line and a summary line.
type jsonlWriter struct {
	w      *bufio.Writer
	buf    []byte
	closed bool
}

func (j *jsonlWriter) Write(t Token) error {
	if j.closed {
		return errClosed
	}
	j.buf = append(t.appendJSON(j.buf[:0]), '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *jsonlWriter) Close(s Summary) error {
	if j.closed {
		return errClosed
	}
	j.closed = true
	b := append(j.buf[:0], `{"summary":`...)
	b = appendSummary(b, &s)
	b = append(b, `,"scopes":`...)
	b = appendScopes(b, &s)
	b = append(b, "}\n"...)
	j.w.Write(b)
	return j.w.Flush()
}

// appendSummary appends {"<finding>": count, ..., "tokens": N}, findings in AllFindings order.
func appendSummary(b []byte, s *Summary) []byte {
	b = append(b, '{')
	for _, f := range allFindings {
		b = appendJSONString(b, string(f))
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(s.Findings[f]), 10)
		b = append(b, ',')
	}
	b = append(b, `"tokens":`...)
	b = strconv.AppendInt(b, int64(s.Tokens), 10)
	return append(b, '}')
}

// appendScopes appends {"read": N, "failed": [{"scope", "error"}...]}.
func appendScopes(b []byte, s *Summary) []byte {
	b = append(b, `{"read":`...)
	b = strconv.AppendInt(b, int64(s.ScopesRead), 10)
	b = append(b, `,"failed":[`...)
	for i, f := range s.Failed {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"scope":`...)
		b = appendJSONString(b, f.Scope.String())
		b = append(b, `,"error":`...)
		b = appendJSONStringOrNull(b, errorText(f.Err))
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func appendJSONStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

// csvHeader is the csv format's first line, fixed by the command's contract.
var csvHeader = []string{"scope", "id", "name", "created", "expiry", "last_used", "permissions", "owner", "findings"}

// csvWriter writes the csv format.
type csvWriter struct {
	bw      *bufio.Writer
	w       *csv.Writer
	record  [9]string
	started bool
	closed  bool
}

func newCSVWriter(bw *bufio.Writer) *csvWriter {
	return &csvWriter{bw: bw, w: csv.NewWriter(bw)}
}

func (c *csvWriter) header() error {
	if c.started {
		return nil
	}
	c.started = true
	return c.w.Write(csvHeader)
}

func (c *csvWriter) Write(t Token) error {
	if c.closed {
		return errClosed
	}
	if err := c.header(); err != nil {
		return err
	}
	r := &c.record
	r[0] = t.Scope.String()
	r[1] = t.ID
	r[2] = t.Name
	r[3] = csvTime(&t.CreatedDate)
	r[4] = csvTime(t.ExpiryDate)
	r[5] = csvTime(t.LastAuthenticated)
	r[6] = joinStrings(t.Permissions)
	r[7] = t.Owner()
	r[8] = joinStrings(t.Findings)
	return c.w.Write(r[:])
}

func (c *csvWriter) Close(Summary) error {
	if c.closed {
		return errClosed
	}
	c.closed = true
	if err := c.header(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

// csvTime is an RFC 3339 UTC date, "" when absent.
func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// joinStrings joins permissions or findings with ";".
func joinStrings[S ~string](list []S) string {
	switch len(list) {
	case 0:
		return ""
	case 1:
		return string(list[0])
	}
	var b strings.Builder
	for i, s := range list {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(s))
	}
	return b.String()
}

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
