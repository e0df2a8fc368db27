// How list, get, create and update print tokens: TOKEN objects (the audit's
// JSON form) in json and jsonl, the audit's csv, a table or a detail view
// for people. The formats come from the audit package's one list.

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// checkFormat refuses an -o value of list, get, create or update that is
// not one of audit.Formats, before any request.
func checkFormat(format string) error {
	if err := audit.CheckFormat(format); err != nil {
		return usageError("-o %q: use %s", format, strings.Join(audit.Formats, ", "))
	}
	return nil
}

// reportFormats are audit's -o values: the audit package's report formats,
// and openmetrics, which the command writes (openmetrics.go).
var reportFormats = append(slices.Clone(audit.Formats), openMetricsFormat)

// checkReportFormat refuses an audit -o value that is not one of reportFormats.
func checkReportFormat(format string) error {
	if !slices.Contains(reportFormats, format) {
		return usageError("-o %q: use %s", format, strings.Join(reportFormats, ", "))
	}
	return nil
}

// addFormatFlag adds -o/--output, completed with its values, for a
// command that prints tokens.
func addFormatFlag(cmd *cobra.Command, format *string) {
	addOutputFlag(cmd, format, audit.Formats)
}

// addReportFormatFlag adds audit's -o/--output.
func addReportFormatFlag(cmd *cobra.Command, format *string) {
	addOutputFlag(cmd, format, reportFormats)
}

func addOutputFlag(cmd *cobra.Command, format *string, formats []string) {
	cmd.Flags().StringVarP(format, "output", "o", formats[0], "output `FORMAT`: "+strings.Join(formats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("output", completeValues(formats...))
}

// classify is a token as list and get show it: findings under the default
// rules (expiring within 30 days, unused for 90), owner activity as the
// token itself reports it.
func classify(scope accesstokens.Scope, t accesstokens.AccessToken, now time.Time) audit.Token {
	return audit.Classify(scope, t, ownerActiveOf(scope, &t), audit.Rules{Now: now})
}

// classifyInvalid is classify for a token the server sent that could not
// be read in full: as far as it was read, with bad-date.
func classifyInvalid(scope accesstokens.Scope, inv *accesstokens.InvalidTokenError, now time.Time) audit.Token {
	return audit.ClassifyInvalid(scope, inv, ownerActiveOf(scope, &inv.Token), audit.Rules{Now: now})
}

// ownerActiveOf is whether a token's owner is active, as the token itself
// says it (a token of a project or repository has no owner to judge).
func ownerActiveOf(scope accesstokens.Scope, t *accesstokens.AccessToken) bool {
	return t.User == nil || t.User.Active || scope.UserSlug == ""
}

// newListWriter writes the tokens of list: a JSON array of TOKEN objects,
// TOKEN lines, the audit's csv, or a table; all but jsonl sorted by id.
// terminal: w is a terminal (csv cells are then shown escaped).
func newListWriter(format string, w io.Writer, terminal bool) audit.Writer {
	switch format {
	case "json":
		return audit.Sorted(&jsonTokens{w: w})
	case "jsonl":
		return &jsonTokens{w: w, lines: true}
	case "csv":
		return csvTokens(w, terminal)
	}
	return audit.Sorted(newTokenTable(w))
}

// newTokenWriter writes the tokens of list and get to io.Out: for get
// (single), one JSON object rather than an array, and "field: value" lines
// rather than a table. On a terminal, csv cells are shown escaped.
func newTokenWriter(format string, io *IOStreams, single bool) audit.Writer {
	switch {
	case single && format == "json":
		return &jsonTokens{w: io.Out, single: true}
	case single && format == "table":
		return &tokenDetail{w: io.Out}
	}
	return newListWriter(format, io.Out, io.OutTTY)
}

// tokenPrinter writes tokens one by one; Flush finishes the document (it is
// not called after an error, so a broken listing never looks complete).
type tokenPrinter interface {
	Print(audit.Token) error
	Flush() error
}

// newTokenPrinter is newTokenWriter for create and update, as a
// tokenPrinter, to w (csv cells as they are).
func newTokenPrinter(format string, w io.Writer, single bool) tokenPrinter {
	return writerPrinter{newTokenWriter(format, &IOStreams{Out: w}, single)}
}

// writerPrinter is an audit.Writer as a tokenPrinter.
type writerPrinter struct{ w audit.Writer }

func (p writerPrinter) Print(t audit.Token) error { return p.w.Write(t) }
func (p writerPrinter) Flush() error              { return p.w.Close(audit.Summary{}) }

// jsonTokens writes TOKEN objects: an indented array, one object (single),
// or one object per line (lines).
type jsonTokens struct {
	w             io.Writer
	single, lines bool
	n             int
}

func (p *jsonTokens) Write(t audit.Token) error {
	raw, err := t.MarshalJSON()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch {
	case p.lines:
		buf.Write(raw)
		buf.WriteByte('\n')
	case p.single:
		err = json.Indent(&buf, raw, "", "  ")
	default:
		if p.n == 0 {
			buf.WriteString("[\n  ")
		} else {
			buf.WriteString(",\n  ")
		}
		err = json.Indent(&buf, raw, "  ", "  ")
	}
	if err != nil {
		return err
	}
	p.n++
	_, err = p.w.Write(buf.Bytes())
	return err
}

func (p *jsonTokens) Close(audit.Summary) error {
	var end string
	switch {
	case p.lines:
		return nil
	case p.single:
		end = "\n"
	case p.n == 0:
		end = "[]\n"
	default:
		end = "\n]\n"
	}
	_, err := io.WriteString(p.w, end)
	return err
}

// csvTokens is the audit's own csv writer (the contract's columns, its
// date format, its formula guard), whose Close adds no trailer.
func csvTokens(w io.Writer, terminal bool) audit.Writer {
	cw, err := audit.NewWriter("csv", w, audit.Meta{Terminal: terminal})
	if err != nil {
		panic(err) // "csv" is one of audit.Formats
	}
	return cw
}

// tokenTable is list's table, for people: columns may change between
// versions. Server text is shown escaped.
type tokenTable struct {
	tw         *tabwriter.Writer
	headerDone bool
}

func newTokenTable(w io.Writer) *tokenTable {
	return &tokenTable{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (p *tokenTable) header() {
	if !p.headerDone {
		p.headerDone = true
		fmt.Fprintln(p.tw, "ID\tNAME\tPERMISSIONS\tEXPIRES\tLAST USED\tFINDINGS")
	}
}

func (p *tokenTable) Write(t audit.Token) error {
	p.header()
	_, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\n", textsafe.Terminal(t.ID), textsafe.Terminal(t.Name),
		textsafe.Terminal(joinPermissions(t.Permissions, ",")), audit.DateText(&t, audit.ExpiryDateField, "never"),
		audit.DateText(&t, audit.LastAuthenticatedField, "never"), audit.FindingsText(t.Findings))
	return err
}

func (p *tokenTable) Close(audit.Summary) error {
	p.header()
	return p.tw.Flush()
}

// tokenDetail shows one token as "field: value" lines; every value from
// the server is shown escaped.
type tokenDetail struct{ w io.Writer }

func (p *tokenDetail) Write(t audit.Token) error {
	tw := tabwriter.NewWriter(p.w, 0, 0, 1, ' ', 0)
	expires := orDash(rfc3339(t.ExpiryDate)) + " (never expires)"
	switch {
	case t.DaysLeft != nil:
		expires = rfc3339(t.ExpiryDate) + " (" + plural(*t.DaysLeft, "day") + " left)"
	case t.Unread(audit.ExpiryDateField):
		expires = audit.UnreadableDate + " (the server's date cannot be read)"
	}
	created, lastUsed := rfc3339(&t.CreatedDate), dateTimeOr(t.LastAuthenticated, "never")
	if t.Unread(audit.CreatedDateField) {
		created = audit.UnreadableDate
	}
	if t.Unread(audit.LastAuthenticatedField) {
		lastUsed = audit.UnreadableDate
	}
	for _, row := range [][2]string{
		{"scope", t.Scope.String()},
		{"id", t.ID},
		{"name", t.Name},
		{"permissions", joinPermissions(t.Permissions, ", ")},
		{"created", created},
		{"expires", expires},
		{"last used", lastUsed},
		{"owner", orDash(t.Owner())},
		{"findings", strings.ReplaceAll(audit.FindingsText(t.Findings), ",", ", ")},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], textsafe.Terminal(row[1]))
	}
	return tw.Flush()
}

func (p *tokenDetail) Close(audit.Summary) error { return nil }

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dateTimeOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return rfc3339(t)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinPermissions(perms []accesstokens.Permission, sep string) string {
	s := make([]string, len(perms))
	for i, p := range perms {
		s[i] = string(p)
	}
	return strings.Join(s, sep)
}

func joinFindings(findings []audit.Finding, sep string) string {
	s := make([]string, len(findings))
	for i, f := range findings {
		s[i] = string(f)
	}
	return strings.Join(s, sep)
}
