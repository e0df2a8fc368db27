// Command benchaudit measures a whole-server audit ("Performance
// at server scale"). It builds the accesstokens command and the fake, starts
// the fake with generated worlds, and runs `accesstokens audit --all` and a
// hand-written net/http loop making the same requests (see baseline.go)
// against them, back to back. It prints Markdown tables for BENCHMARKS.md:
//
//  1. throughput: requests per second of both at each concurrency, and their ratio;
//  2. rate limit: the audit's wall time against the fake's rate limit, over
//     the least time the limit allows, (requests - burst) / refill;
//  3. memory: the audit's peak RSS at about 10k and 40k tokens, jsonl and json;
//  4. scaling: the audit's time per scope at about 1k and 20k scopes;
//  5. the fake: the cost of one list request with about 1k and 100k tokens
//     stored, and how long each world took to start;
//  6. pacing (only with -only pacing: bench/pacing.sh): the command's
//     audit, with no flag, behind the fake's rate limits, and the README's
//     nightly CI line (pacing.go).
//
// Usage, from anywhere in the module (bench/audit.sh runs it):
//
//	go run ./internal/benchaudit                 # the full measurement: a few minutes
//	go run ./internal/benchaudit -small          # small worlds, one round: a few seconds (CI)
//	go run ./internal/benchaudit -only throughput -rounds 5 -concurrency 8,16
//
// Numbers are not checked: the program fails only when a run fails, a scope
// cannot be read where it should be, or the audit and the baseline did not
// make the same requests (the fake's control API lists them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	sub := map[string]func([]string) error{"baseline": baselineMain, "measure": shimMain}
	if len(os.Args) > 1 && sub[os.Args[1]] != nil {
		if err := sub[os.Args[1]](os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "benchaudit %s: %v\n", os.Args[1], err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "benchaudit:", err)
		os.Exit(1)
	}
}

// plan is what to measure, on which worlds (the fake's -world:
// PROJECTSxREPOSxUSERSxTOKENS).
type plan struct {
	small        bool     // the CI plan
	rounds       int      // runs of each measurement; medians are reported
	concurrency  []int    // --concurrency values for the throughput
	world        string   // the throughput's world
	rateWorld    string   // at least 3,000 requests in the full plan
	rateLimit    string   // the fake's -rate-limit, BURST:REFILL
	rateUnpaced  bool     // also audit behind the rate limit without --rate (the pace the command learns)
	rateRounds   int      // runs behind the rate limit: paced by it, they vary little and take long
	memWorlds    []string // about 10k and 40k tokens
	scaleWorlds  []string // about 1k and 20k scopes
	costWorlds   []string // about 1k and 100k tokens
	costRequests int      // list requests per cost measurement
}

var (
	fullPlan = plan{
		rounds:       3,
		concurrency:  []int{1, 4, 8, 16},
		world:        "1000x10x2000x3", // 13,101 scopes, 39,303 tokens
		rateWorld:    "200x10x800x3",   // 3,041 scopes
		rateLimit:    "100:200",
		rateUnpaced:  true,
		rateRounds:   1,
		memWorlds:    []string{"250x10x500x3", "1000x10x2000x3"}, // 9,828 and 39,303 tokens
		scaleWorlds:  []string{"76x10x150x3", "1530x10x3000x3"},  // 995 and 19,981 scopes
		costWorlds:   []string{"10x10x20x8", "1000x10x2000x8"},   // 1,056 and 104,808 tokens
		costRequests: 3000,
	}
	smallPlan = plan{
		small:        true,
		rounds:       1,
		concurrency:  []int{1, 4, 8, 16},
		world:        "20x5x40x3",
		rateWorld:    "20x5x40x3",
		rateLimit:    "20:400",
		rateRounds:   1,
		memWorlds:    []string{"10x5x20x3", "20x5x40x3"},
		scaleWorlds:  []string{"10x5x20x3", "40x5x80x3"},
		costWorlds:   []string{"10x10x20x8", "100x10x200x8"},
		costRequests: 300,
	}
)

// sections are what -only may name; defaultSections run without -only
// (pacing, minutes behind rate limits, runs when named: bench/pacing.sh).
var (
	sections        = []string{"throughput", "ratelimit", "memory", "scaling", "fake", "pacing"}
	defaultSections = sections[:5]
)

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchaudit", flag.ContinueOnError)
	small := fs.Bool("small", false, "small worlds and one round: a few seconds (what CI runs)")
	rounds := fs.Int("rounds", 0, "runs of each measurement (default 3, or 1 with -small)")
	conc := fs.String("concurrency", "", "comma-separated --concurrency values for the throughput (default 1,4,8,16)")
	world := fs.String("world", "", "the throughput's world, PROJECTSxREPOSxUSERSxTOKENS (default 1000x10x2000x3)")
	only := fs.String("only", strings.Join(defaultSections, ","), "comma-separated sections to run: "+strings.Join(sections, ", "))
	keep := fs.Bool("keep", false, "keep the work directory (binaries, outputs, the fakes' logs) and print its path")
	command := fs.String("accesstokens", "", "measure this accesstokens `BINARY` instead of one built from ./cmd/accesstokens (to compare two versions)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p := fullPlan
	if *small {
		p = smallPlan
	}
	if *rounds > 0 {
		p.rounds = *rounds
	}
	if *world != "" {
		p.world = *world
	}
	if *conc != "" {
		var err error
		if p.concurrency, err = parseInts(*conc); err != nil {
			return fmt.Errorf("-concurrency: %w", err)
		}
	}
	chosen := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if !slices.Contains(sections, s) {
			return fmt.Errorf("-only: unknown section %q (sections: %s)", s, strings.Join(sections, ", "))
		}
		chosen[s] = true
	}

	dir, err := os.MkdirTemp("", "benchaudit-")
	if err != nil {
		return err
	}
	if *keep {
		fmt.Fprintln(os.Stderr, "benchaudit: work directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour) // a hang guard
	defer cancel()
	e, err := newEnv(ctx, dir, p, stdout, *command)
	if err != nil {
		return err
	}
	e.args = args
	e.header()
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"throughput", e.throughput},
		{"ratelimit", e.rateLimit},
		{"memory", e.memory},
		{"scaling", e.scaling},
		{"fake", e.fakeCost},
		{"pacing", e.pacing},
	}
	for _, s := range steps {
		if !chosen[s.name] {
			continue
		}
		e.progress("== %s", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	e.startups()
	e.targets()
	return nil
}

// env is one measurement: the built binaries, the plan, and what was found.
type env struct {
	dir             string
	at, fake, self  string // the binaries: accesstokens, accesstokens-fake, this program
	plan            plan
	out             io.Writer
	fakes           []*fakeProc // every fake started, for the start-up table
	goals           []goal      // the measurement's targets, as measured
	runs            int         // client runs so far, for output file names
	began           time.Time
	moduleRoot, goV string
	moduleGo        string   // go.mod's go line
	args            []string // this program's, for the header
}

// newEnv builds the fake, and the command unless command names a binary of
// it to measure instead.
func newEnv(ctx context.Context, dir string, p plan, out io.Writer, command string) (*env, error) {
	e := &env{dir: dir, plan: p, out: out, began: time.Now()}
	gomod, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOMOD: %w", err)
	}
	gomodPath := strings.TrimSpace(string(gomod))
	if gomodPath == "" || gomodPath == os.DevNull {
		return nil, errors.New("run it inside the accesstokens module (bench/audit.sh does)")
	}
	e.moduleRoot = filepath.Dir(gomodPath)
	v, err := exec.CommandContext(ctx, "go", "version").Output()
	if err != nil {
		return nil, err
	}
	e.goV = strings.TrimPrefix(strings.TrimSpace(string(v)), "go version ")
	if mg, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.GoVersion}}").Output(); err == nil {
		e.moduleGo = strings.TrimSpace(string(mg))
	}
	e.at, e.fake = filepath.Join(dir, "accesstokens"), filepath.Join(dir, "accesstokens-fake")
	builds := map[string]string{e.at: "./cmd/accesstokens", e.fake: "./cmd/accesstokens-fake"}
	if command != "" {
		if e.at, err = filepath.Abs(command); err != nil {
			return nil, err
		}
		builds = map[string]string{e.fake: "./cmd/accesstokens-fake"}
	}
	for bin, pkg := range builds {
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		build.Dir, build.Stderr = e.moduleRoot, os.Stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("go build %s: %w", pkg, err)
		}
	}
	if e.self, err = os.Executable(); err != nil {
		return nil, err
	}
	return e, nil
}

// progress tells the person waiting where the run is, on stderr.
func (e *env) progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%5.1fs] %s\n", time.Since(e.began).Seconds(), fmt.Sprintf(format, args...))
}

func (e *env) printf(format string, args ...any) { fmt.Fprintf(e.out, format, args...) }

// startFake starts a fake and remembers it for the start-up table.
func (e *env) startFake(ctx context.Context, world string, extra ...string) (*fakeProc, error) {
	f, err := startFake(ctx, e.fake, e.dir, world, extra...)
	if err != nil {
		return nil, err
	}
	e.fakes = append(e.fakes, f)
	e.progress("fake -world %s: %d tokens, serving after %s", world, f.tokens, f.startup.Round(time.Millisecond))
	return f, nil
}

// audit runs `accesstokens audit --all` against f.
func (e *env) audit(ctx context.Context, f *fakeProc, format string, concurrency int, extra ...string) (result, error) {
	argv := append([]string{e.at, "audit", "--all", "-o", format, "--url", f.url,
		"--username", "admin", "--password-stdin", "--concurrency", strconv.Itoa(concurrency)}, extra...)
	read := readJSONL
	if format == "json" {
		read = readJSON
	}
	r, err := e.runClient(ctx, f, argv, "admin\n", e.outPath("audit."+format), read)
	if err == nil && r.failedScopes == 0 && r.tokens != f.tokens {
		err = fmt.Errorf("the audit read %d tokens; the world has %d", r.tokens, f.tokens)
	}
	return r, err
}

// baseline runs the hand-written loop against f.
func (e *env) baseline(ctx context.Context, f *fakeProc, concurrency int, extra ...string) (result, error) {
	argv := append([]string{e.self, "baseline", "-url", f.url, "-concurrency", strconv.Itoa(concurrency)}, extra...)
	return e.runClient(ctx, f, argv, "", e.outPath("baseline.json"), readBaseline)
}

func (e *env) outPath(name string) string {
	e.runs++
	return filepath.Join(e.dir, fmt.Sprintf("run%03d-%s", e.runs, name))
}

// header says when, where and how the numbers were taken.
func (e *env) header() {
	e.printf("Measured %s with `%s` (%d round(s) of each measurement; medians).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.Join(append([]string{"go run ./internal/benchaudit"}, e.args...), " "), e.plan.rounds)
	e.printf("| | |\n| --- | --- |\n")
	e.printf("| cores | %d (`runtime.NumCPU`); the fake and the client share them |\n", runtime.NumCPU())
	e.printf("| CPU | %s |\n", cpuModel())
	e.printf("| Go | %s (module: `go %s`) |\n", e.goV, e.moduleGo)
	e.printf("| OS | %s/%s |\n\n", runtime.GOOS, runtime.GOARCH)
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, errors.New("want positive whole numbers separated by commas, such as 1,4,8")
		}
		out = append(out, n)
	}
	return out, nil
}
