package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary be the accesstokens command: testscript puts
// it on the scripts' PATH under that name, and each `exec accesstokens …`
// runs the real main in a fresh process (real exit codes, real streams,
// real signals).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"accesstokens": func() {
			os.Exit(run(context.Background(), os.Args[1:], SystemIO(), os.Getenv))
		},
	})
}

// TestScripts runs testdata/script/*.txtar: each reads like a terminal
// session against the fake Bitbucket (started by the `fake` command, or
// --demo). Extra commands:
//
//	exits N PROGRAM [ARGS...]   run PROGRAM; its exit code must be N
//	fake …                      start and drive the fake server (see fakeCmd)
//	interrupt …                 signal a command while a request is held (see cmdInterrupt)
//	perm MODE FILE              FILE's permission bits must be MODE (octal, e.g. 0600)
//	capture VAR REGEXP          $VAR = the first group of REGEXP in the last stdout
//	report json|jsonl|same …    check reports: well-formed, or the same apart from generatedAt (see cmdReport)
//	mkfifo, noreader, signal    named pipes and signals for a CMD's process group (see cmdSignal)
//	openmetrics-check …         an audit's OpenMetrics file, parsed back and compared with the fake (see cmdOpenMetricsCheck)
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Values[fakeKey{}] = &fakeState{}
			// Under -race, a process otherwise sleeps a second at exit to catch late races;
			// a race is still reported (exit code 66), only sooner.
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"fake":      cmdFake,
			"interrupt": cmdInterrupt,
			"perm":      cmdPerm,
			"capture":   cmdCapture,
			"report":    cmdReport,
			"mkfifo":    cmdMkfifo,
			"noreader":  cmdNoReader,
			"signal":    cmdSignal,

			"openmetrics-check": cmdOpenMetricsCheck,
		},
	})
}

// cmdExits runs a program like exec and checks its exact exit code: the
// codes are part of the command's contract (0, 1, 2, 3).
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exits")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdPerm checks a file's permission bits: secret files are created 0600.
func cmdPerm(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: perm MODE FILE")
	}
	want, err := strconv.ParseUint(args[0], 8, 32)
	ts.Check(err)
	info, err := os.Stat(ts.MkAbs(args[1]))
	ts.Check(err)
	got := info.Mode().Perm()
	if neg && got == os.FileMode(want) {
		ts.Fatalf("%s has mode %#o", args[1], got)
	}
	if !neg && got != os.FileMode(want) {
		ts.Fatalf("%s has mode %#o, want %#o", args[1], got, want)
	}
}

// cmdCapture sets an environment variable from the last command's stdout,
// so that a script can use an id it printed.
func cmdCapture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: capture VAR REGEXP")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("capture: no match for %q (with a group) in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}
