package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// result is one measured run of a client (the audit or the baseline)
// against a fake.
type result struct {
	wall    time.Duration // from exec to exit
	cpu     time.Duration // the client's CPU time, user and system
	fakeCPU time.Duration // the fake's CPU time during the run
	maxRSS  int64         // the client's peak resident set size, bytes

	requests  int      // requests the fake answered
	throttled int      // of them, answered 429
	keys      []string // every request, "METHOD path?query", sorted

	scopes, failedScopes, tokens int // what the client says it read
}

func (r result) rps() float64            { return float64(r.requests) / r.wall.Seconds() }
func (r result) perScope() time.Duration { return r.wall / time.Duration(max(1, r.scopes)) }

// runClient runs argv (with stdin) against f, its stdout to outPath,
// through the measuring shim (see shim.go); read parses outPath into scopes,
// failed scopes and tokens. A client that exits with a status other than 0
// is a *clientError, returned with what could be measured.
func (e *env) runClient(ctx context.Context, f *fakeProc, argv []string, stdin, outPath string, read func(string) (readSummary, error)) (result, error) {
	var r result
	if err := f.forgetRequests(ctx); err != nil {
		return r, err
	}
	out, err := os.Create(outPath)
	if err != nil {
		return r, err
	}
	defer out.Close()
	usagePath := outPath + ".usage"
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, e.self, append([]string{"measure", "-usage", usagePath, "--"}, argv...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), out, &stderr

	fakeBefore := f.cpu()
	err = cmd.Run()
	r.fakeCPU = f.cpu() - fakeBefore
	if err != nil {
		return r, fmt.Errorf("%s: %w\n%s", strings.Join(argv, " "), err, tail(stderr.String(), 2000))
	}
	var u usageReport
	b, err := os.ReadFile(usagePath)
	if err == nil {
		err = json.Unmarshal(b, &u)
	}
	if err != nil {
		return r, fmt.Errorf("reading the measurement of %s: %w", argv[0], err)
	}
	r.wall, r.cpu, r.maxRSS = u.Wall, u.CPU, u.MaxRSS
	var runErr error
	if u.Exit != 0 {
		runErr = &clientError{argv: argv, code: u.Exit, stderr: tail(stderr.String(), 2000)}
	}

	recs, err := f.requests(ctx)
	if err != nil {
		return r, err
	}
	r.requests = len(recs)
	r.keys = make([]string, len(recs))
	for i, rec := range recs {
		r.keys[i] = rec.key()
		if rec.Status == http.StatusTooManyRequests {
			r.throttled++
		}
	}
	slices.Sort(r.keys)

	s, err := read(outPath)
	if err != nil {
		if runErr != nil {
			return r, runErr
		}
		return r, fmt.Errorf("%s: reading its output: %w", argv[0], err)
	}
	r.scopes, r.failedScopes, r.tokens = s.Scopes.Read+len(s.Scopes.Failed), len(s.Scopes.Failed), s.Summary.Tokens
	return r, runErr
}

// clientError is a client that exited with a status other than 0.
type clientError struct {
	argv   []string
	code   int
	stderr string
}

func (e *clientError) Error() string {
	return fmt.Sprintf("%s: exit status %d\n%s", strings.Join(e.argv, " "), e.code, e.stderr)
}

// readSummary is what the audit's json document and its jsonl last line
// both hold at their top level.
type readSummary struct {
	Summary struct {
		Tokens int `json:"tokens"`
	} `json:"summary"`
	Scopes struct {
		Read   int               `json:"read"`
		Failed []json.RawMessage `json:"failed"`
	} `json:"scopes"`
}

// readJSONL reads the summary line that ends a jsonl report.
func readJSONL(path string) (readSummary, error) {
	var s readSummary
	last, err := lastLine(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(last, &s)
}

// readJSON reads the summary of a json report (one document).
func readJSON(path string) (readSummary, error) {
	var s readSummary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	return s, json.Unmarshal(b, &s)
}

// readBaseline reads the baseline's one line, {"scopes":N,"tokens":N}.
func readBaseline(path string) (readSummary, error) {
	var c readCount
	var s readSummary
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return s, err
	}
	s.Scopes.Read, s.Summary.Tokens = c.Scopes, c.Tokens
	return s, nil
}

// lastLine returns the last non-empty line of a file, reading only its end.
func lastLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const window = 1 << 20
	off := max(0, st.Size()-window)
	b, err := io.ReadAll(io.NewSectionReader(f, off, st.Size()-off))
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return b, nil
}

// sameRequests reports how two runs' requests differ, or "" when the server
// saw the same requests (as multisets: order differs with concurrency).
func sameRequests(a, b result, aName, bName string) string {
	if slices.Equal(a.keys, b.keys) {
		return ""
	}
	i := 0
	for i < len(a.keys) && i < len(b.keys) && a.keys[i] == b.keys[i] {
		i++
	}
	at := func(keys []string) string {
		if i < len(keys) {
			return keys[i]
		}
		return "(none)"
	}
	return fmt.Sprintf("%s made %d requests, %s %d; first difference (sorted): %s %q, %s %q",
		aName, len(a.keys), bName, len(b.keys), aName, at(a.keys), bName, at(b.keys))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
