// The jsonl format: one TOKEN per line as tokens arrive, then a summary line.

package audit

import "bufio"

// jsonlWriter writes one TOKEN per line and a summary line.
type jsonlWriter struct {
	w      *bufio.Writer
	buf    []byte
	closed bool
}

func newJSONLWriter(w *bufio.Writer, _ Meta) Writer { return &jsonlWriter{w: w} }

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
