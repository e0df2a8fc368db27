// The csv format: a fixed header and one row per token.

package audit

import (
	"bufio"
	"encoding/csv"
	"strings"
	"time"
)

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
