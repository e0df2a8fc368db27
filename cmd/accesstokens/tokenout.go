package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/audit"
)

// Output of list, get, create, update: TOKEN objects (the audit's JSON form)
// in json and jsonl, the audit's csv columns, or a table for people.

// outputFormats are the values of -o.
var outputFormats = []string{"table", "json", "jsonl", "csv"}

// checkFormat refuses an unknown -o value before any request.
func checkFormat(format string) error {
	for _, f := range outputFormats {
		if format == f {
			return nil
		}
	}
	return usageError("-o %q: use %s", format, strings.Join(outputFormats, ", "))
}

// tokenPrinter writes tokens one by one; Flush finishes the document (it is
// not called after an error, so a broken listing never looks complete).
type tokenPrinter interface {
	Print(audit.Token) error
	Flush() error
}

// newTokenPrinter returns a printer for format. single: exactly one token
// (get, create, update), printed as one JSON object rather than an array.
func newTokenPrinter(format string, w io.Writer, single bool) tokenPrinter {
	switch format {
	case "json":
		return &jsonPrinter{w: w, single: single}
	case "jsonl":
		return &jsonlPrinter{w: w}
	case "csv":
		return newCSVPrinter(w)
	}
	if single {
		return &detailPrinter{w: w}
	}
	return newTablePrinter(w)
}

// classify is a token as list and get show it: findings under the default
// rules (expiring within 30 days, unused for 90), owner activity as the
// token itself reports it.
func classify(scope accesstokens.Scope, t accesstokens.AccessToken, now time.Time) audit.Token {
	ownerActive := t.User == nil || t.User.Active || scope.UserSlug == ""
	return audit.Classify(scope, t, ownerActive, audit.Rules{Now: now})
}

type jsonPrinter struct {
	w      io.Writer
	single bool
	n      int
}

func (p *jsonPrinter) Print(t audit.Token) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch {
	case p.single:
		err = json.Indent(&buf, raw, "", "  ")
	case p.n == 0:
		buf.WriteString("[\n  ")
		err = json.Indent(&buf, raw, "  ", "  ")
	default:
		buf.WriteString(",\n  ")
		err = json.Indent(&buf, raw, "  ", "  ")
	}
	if err != nil {
		return err
	}
	p.n++
	_, err = p.w.Write(buf.Bytes())
	return err
}

func (p *jsonPrinter) Flush() error {
	var err error
	switch {
	case p.single:
		_, err = io.WriteString(p.w, "\n")
	case p.n == 0:
		_, err = io.WriteString(p.w, "[]\n")
	default:
		_, err = io.WriteString(p.w, "\n]\n")
	}
	return err
}

type jsonlPrinter struct{ w io.Writer }

func (p *jsonlPrinter) Print(t audit.Token) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = p.w.Write(append(raw, '\n'))
	return err
}

func (p *jsonlPrinter) Flush() error { return nil }

// csvPrinter is the audit's own csv writer (the contract's columns, its
// date format), whose Close adds no trailer.
type csvPrinter struct{ w audit.Writer }

func newCSVPrinter(w io.Writer) *csvPrinter {
	cw, err := audit.NewWriter("csv", w, audit.Meta{})
	if err != nil {
		panic(err) // "csv" is one of audit.Formats
	}
	return &csvPrinter{w: cw}
}

func (p *csvPrinter) Print(t audit.Token) error { return p.w.Write(t) }

func (p *csvPrinter) Flush() error { return p.w.Close(audit.Summary{}) }

// tablePrinter is for people: columns may change between versions.
type tablePrinter struct {
	tw         *tabwriter.Writer
	headerDone bool
}

func newTablePrinter(w io.Writer) *tablePrinter {
	return &tablePrinter{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
}

func (p *tablePrinter) header() {
	if !p.headerDone {
		p.headerDone = true
		fmt.Fprintln(p.tw, "ID\tNAME\tPERMISSIONS\tEXPIRES\tLAST USED\tFINDINGS")
	}
}

func (p *tablePrinter) Print(t audit.Token) error {
	p.header()
	_, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, printable(t.Name),
		joinPermissions(t.Permissions, ","), dateOr(t.ExpiryDate, "never"), dateOr(t.LastAuthenticated, "never"),
		orDash(joinFindings(t.Findings, ",")))
	return err
}

func (p *tablePrinter) Flush() error {
	p.header()
	return p.tw.Flush()
}

// detailPrinter shows one token as "field: value" lines.
type detailPrinter struct{ w io.Writer }

func (p *detailPrinter) Print(t audit.Token) error {
	tw := tabwriter.NewWriter(p.w, 0, 0, 1, ' ', 0)
	left := "never expires"
	if t.DaysLeft != nil {
		left = fmt.Sprintf("%d days left", *t.DaysLeft)
	}
	for _, row := range [][2]string{
		{"scope", t.Scope.String()},
		{"id", t.ID},
		{"name", printable(t.Name)},
		{"permissions", joinPermissions(t.Permissions, ", ")},
		{"created", rfc3339(&t.CreatedDate)},
		{"expires", orDash(rfc3339(t.ExpiryDate)) + " (" + left + ")"},
		{"last used", dateTimeOr(t.LastAuthenticated, "never")},
		{"owner", orDash(t.Owner())},
		{"findings", orDash(joinFindings(t.Findings, ", "))},
	} {
		fmt.Fprintf(tw, "%s:\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

func (p *detailPrinter) Flush() error { return nil }

func rfc3339(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func dateOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format(time.DateOnly)
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

// printable keeps a server-provided string from breaking a table or the
// terminal: control characters (tabs, newlines, escape sequences) become '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// addFormatFlag adds -o/--output, shared by every command that prints tokens.
func addFormatFlag(cmd *cobra.Command, format *string) {
	cmd.Flags().StringVarP(format, "output", "o", "table", "output `FORMAT`: table, json, jsonl or csv")
}
