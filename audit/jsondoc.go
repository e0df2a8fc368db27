// The json format: one document with the report's head, its tokens, the
// scopes read and failed, and the summary.

package audit

import (
	"bufio"
	"strconv"
)

// jsonWriter writes the json document.
type jsonWriter struct {
	w       *bufio.Writer
	meta    Meta
	buf     []byte
	started bool // the head and "tokens": [ are written
	tokens  int  // tokens written
	closed  bool
}

func newJSONWriter(w *bufio.Writer, meta Meta) Writer { return &jsonWriter{w: w, meta: meta} }

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
