package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fakeProc is a running accesstokens-fake with a generated world, its
// control API on, keeping enough of its recent requests for the driver to
// count and compare a whole run.
type fakeProc struct {
	cmd     *exec.Cmd
	url     string
	world   string
	tokens  int           // tokens in the world, as the fake logged it
	startup time.Duration // from exec to the first line (the URL): the world is generated and the fake listens
	errPath string        // its stderr
	hc      *http.Client
}

// startFake starts the fake binary with world (PxRxUxT) and extra flags, and
// waits until it serves.
func startFake(ctx context.Context, bin, dir, world string, extra ...string) (*fakeProc, error) {
	f := &fakeProc{world: world, errPath: filepath.Join(dir, "fake-"+world+".err"), hc: &http.Client{}}
	stderr, err := os.Create(f.errPath)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()
	args := append([]string{"-addr", "127.0.0.1:0", "-quiet", "-control", "-history", "1000000", "-world", world}, extra...)
	f.cmd = exec.CommandContext(ctx, bin, args...)
	f.cmd.Stderr = stderr
	stdout, err := f.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if err := f.cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f.startup = time.Since(began)
	if err != nil {
		f.stop()
		return nil, fmt.Errorf("fake -world %s did not start: %v: %s", world, err, f.log())
	}
	f.url = strings.TrimSpace(line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// The fake logs the world's size before it prints the URL.
	m := regexp.MustCompile(`generated a world of (\d+) tokens`).FindStringSubmatch(f.log())
	if m == nil {
		f.stop()
		return nil, fmt.Errorf("fake -world %s: no world size in its log: %s", world, f.log())
	}
	f.tokens, _ = strconv.Atoi(m[1])
	return f, nil
}

// log is what the fake wrote on stderr so far.
func (f *fakeProc) log() string {
	b, _ := os.ReadFile(f.errPath)
	return string(b)
}

// stop ends the fake (SIGINT: a clean stop) and waits for it.
func (f *fakeProc) stop() {
	if f.cmd.Process == nil {
		return
	}
	_ = f.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = f.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = f.cmd.Process.Kill()
		<-done
	}
}

// record is one request as the fake's control API reports it.
type record struct {
	Method  string `json:"method"`
	RawPath string `json:"rawPath"`
	Query   string `json:"query"`
	Status  int    `json:"status"`
}

func (r record) key() string { return r.Method + " " + r.RawPath + "?" + r.Query }

// forgetRequests empties the fake's request history.
func (f *fakeProc) forgetRequests(ctx context.Context) error {
	return f.control(ctx, http.MethodDelete, "/requests", http.StatusNoContent, nil)
}

// requests returns the requests the fake answered since forgetRequests.
func (f *fakeProc) requests(ctx context.Context) ([]record, error) {
	var out []record
	err := f.control(ctx, http.MethodGet, "/requests", http.StatusOK, &out)
	return out, err
}

// reset puts the world back as generated, with full rate-limit buckets.
func (f *fakeProc) reset(ctx context.Context) error {
	return f.control(ctx, http.MethodPost, "/reset", http.StatusNoContent, nil)
}

func (f *fakeProc) control(ctx context.Context, method, path string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, f.url+"/_fake"+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json") // the control API refuses writes without it
	return f.do(req, want, out)
}

// controlWith sends a JSON body to the control API.
func (f *fakeProc) controlWith(ctx context.Context, method, path, body string, want int) error {
	req, err := http.NewRequestWithContext(ctx, method, f.url+"/_fake"+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	return f.do(req, want, nil)
}

func (f *fakeProc) do(req *http.Request, want int, out any) error {
	method, path := req.Method, strings.TrimPrefix(req.URL.Path, "/_fake")
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s /_fake%s: %s: %s", method, path, resp.Status, body)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// cpu is the CPU time the fake has used so far (0 where the platform does
// not say: see cpuTime).
func (f *fakeProc) cpu() time.Duration {
	d, err := cpuTime(f.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return d
}

var errNoCPUTime = errors.New("CPU time of another process: not available on this platform")
