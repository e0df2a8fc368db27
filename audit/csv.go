// The csv format: a fixed header and one row per token, cells a
// spreadsheet shows as text.

package audit

import (
	"bufio"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// csvHeader is the csv format's first line, fixed by the command's contract.
var csvHeader = []string{"scope", "id", "name", "created", "expiry", "last_used", "permissions", "owner", "findings", "days_left"}

// csvWriter writes the csv format.
type csvWriter struct {
	bw       *bufio.Writer
	w        *csv.Writer
	terminal bool
	record   [10]string
	started  bool
	closed   bool
}

func newCSVWriter(bw *bufio.Writer, meta Meta) Writer {
	return &csvWriter{bw: bw, w: csv.NewWriter(bw), terminal: meta.Terminal}
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
	r[0] = c.text(t.Scope.String())
	r[1] = c.text(t.ID)
	r[2] = c.text(t.Name)
	r[3] = csvTime(&t.CreatedDate)
	r[4] = csvTime(t.ExpiryDate)
	r[5] = csvTime(t.LastAuthenticated)
	r[6] = c.text(joinStrings(t.Permissions))
	r[7] = c.text(t.Owner())
	r[8] = joinStrings(t.Findings)
	r[9] = ""
	if t.DaysLeft != nil {
		r[9] = strconv.Itoa(*t.DaysLeft)
	}
	return c.w.Write(r[:])
}

// text is a cell of server text: never a formula, and on a terminal never
// a control sequence.
func (c *csvWriter) text(s string) string {
	if c.terminal {
		s = textsafe.Terminal(s)
	}
	return textsafe.CSVCell(s)
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
	var b strings.Builder
	for i, s := range list {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(string(s))
	}
	return b.String()
}
