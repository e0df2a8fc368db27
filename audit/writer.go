// Reports: the one list of output formats, and NewWriter, which opens a
// writer of one. Each format's writer has its own file (jsondoc.go,
// jsonl.go, csv.go, table.go); order.go sorts the tokens of ordered ones.

package audit

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// formats are the report formats, the default first. Adding a format is
// adding its entry here and its writer in a file of its own. (The command
// adds one of its own, openmetrics, written with Prometheus' encoder.)
var formats = []struct {
	name string
	// ordered: tokens come out sorted (CompareTokens), so that two reports
	// of the same server are the same bytes; else in the order read, which
	// keeps memory flat.
	ordered bool
	open    func(w *bufio.Writer, meta Meta) Writer
}{
	{name: "table", ordered: true, open: newTableWriter},
	{name: "json", ordered: true, open: newJSONWriter},
	{name: "jsonl", open: newJSONLWriter},
	{name: "csv", ordered: true, open: newCSVWriter},
}

// Formats lists the formats NewWriter accepts, the default first.
var Formats = formatNames()

func formatNames() []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.name
	}
	return names
}

// CheckFormat returns nil for one of Formats, else an error naming the
// value and listing the formats, which matches accesstokens.ErrInvalidArgument.
func CheckFormat(format string) error {
	for _, f := range formats {
		if f.name == format {
			return nil
		}
	}
	return invalid("format", "unknown output format "+strconv.Quote(format)+": use "+strings.Join(Formats, ", "))
}

// Meta is what a report says about itself, and where it goes.
type Meta struct {
	GeneratedAt   time.Time // zero: the time of NewWriter
	ServerURL     string    // "": written as null
	ServerVersion string    // "": written as null
	// Terminal says the report is shown on a terminal: csv cells then
	// show hidden characters escaped, as the table always does (json and
	// jsonl escape them always; the data they hold is the same).
	Terminal bool
}

// Writer writes an audit report as tokens arrive, in one format. It
// buffers its output: nothing may be complete on w before Close.
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
//     "summary": {"<finding>": count…, "tokens": N}};
//   - "jsonl": one TOKEN per line (see Token.MarshalJSON), in the order
//     written, then a last line {"summary": {…}, "scopes": {…}}; it holds
//     no token after writing it, so memory stays constant;
//   - "csv": header scope,id,name,created,expiry,last_used,permissions,
//     owner,findings,days_left; permissions and findings joined with ";",
//     absent dates and days empty; a cell that a spreadsheet would run as
//     a formula starts with "'" (textsafe.CSVCell);
//   - "table": aligned columns for people, one line per token, a summary
//     and the scopes that could not be read (a layout that may change:
//     scripts use the other formats); text from the server shows hidden
//     characters escaped.
//
// The table, json and csv hold every token until Close, then write them
// sorted (see CompareTokens; failed scopes in scope order too), so that two
// reports of the same server differ only in generatedAt.
//
// An unknown format is an error naming it that matches accesstokens.ErrInvalidArgument.
func NewWriter(format string, w io.Writer, meta Meta) (Writer, error) {
	if err := CheckFormat(format); err != nil {
		return nil, err
	}
	if meta.GeneratedAt.IsZero() {
		meta.GeneratedAt = time.Now()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, f := range formats {
		if f.name != format {
			continue
		}
		out := f.open(bw, meta)
		if f.ordered {
			out = Sorted(out)
		}
		return out, nil
	}
	panic("audit: format " + format + " is listed but has no writer")
}
