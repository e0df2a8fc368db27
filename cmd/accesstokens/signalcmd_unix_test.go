//go:build unix

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the CMD that rotate --exec and exec run: they
// synchronise on named pipes, never on sleeps.
//
//	mkfifo NAME...        make named pipes
//	noreader FIFO         no process has FIFO open for reading (with !, one has): a CMD's
//	                      child that waits to read FIFO is gone
//	signal [-group] [-term] [-twice] [-go FIFO] CODE READY PROGRAM [ARGS...]
//
// signal runs PROGRAM in a process group of its own, as a shell runs a job
// on a terminal; waits until a line is written into the named pipe READY
// (by the CMD PROGRAM runs); sends SIGINT (-term: SIGTERM) to PROGRAM, or
// with -group to its whole process group, as a terminal's Ctrl-C does; and
// waits until PROGRAM says on stderr that it was interrupted. With -twice a
// second signal follows, and PROGRAM must say "interrupted again". With -go,
// a line is then written into the named pipe FIFO (for a CMD to go on).
// PROGRAM's exit code must be CODE; its stdout and stderr are then checked
// with stdout and stderr as usual.

func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: mkfifo NAME...")
	}
	for _, name := range args {
		ts.Check(syscall.Mkfifo(ts.MkAbs(name), 0o600))
	}
}

func cmdNoReader(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: noreader FIFO")
	}
	// A non-blocking open for writing fails with ENXIO exactly when no
	// process has the pipe open for reading (or is blocked opening it).
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, syscall.ENXIO):
		if neg {
			ts.Fatalf("no process reads %s", args[0])
		}
	case err != nil:
		ts.Fatalf("noreader: %v", err)
	default:
		_ = f.Close()
		if !neg {
			ts.Fatalf("a process still reads %s", args[0])
		}
	}
}

func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! signal")
	}
	fs := flag.NewFlagSet("signal", flag.ContinueOnError)
	group := fs.Bool("group", false, "signal PROGRAM's process group, as a terminal does")
	term := fs.Bool("term", false, "send SIGTERM instead of SIGINT")
	twice := fs.Bool("twice", false, "signal a second time once the first was noticed")
	goFIFO := fs.String("go", "", "named pipe to write a line into once the signals were noticed")
	ts.Check(fs.Parse(args))
	if fs.NArg() < 3 {
		ts.Fatalf("usage: signal [-group] [-term] [-twice] [-go FIFO] CODE READY PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(fs.Arg(0))
	ts.Check(err)
	sig := syscall.SIGINT
	if *term {
		sig = syscall.SIGTERM
	}
	ready := openFIFO(ts, fs.Arg(1))

	cmd := exec.Command(lookPath(ts, fs.Arg(2)), fs.Args()[3:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "WORK", "BITBUCKET_URL", "BITBUCKET_USERNAME", "BITBUCKET_PASSWORD", "BITBUCKET_TOKEN", "GORACE"} {
		if v := ts.Getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	// Files, not Go's copying: a process CMD left behind that holds them
	// must not keep Wait from returning (it makes the check below fail instead).
	stdout, err := os.CreateTemp(ts.MkAbs("."), ".signal-stdout-*")
	ts.Check(err)
	ts.Defer(func() { _ = os.Remove(stdout.Name()) })
	cmd.Stdout = stdout
	stderrR, stderrW, err := os.Pipe()
	ts.Check(err)
	cmd.Stderr = stderrW
	ts.Check(cmd.Start())
	_ = stdout.Close()
	_ = stderrW.Close()

	watch := watchStderr(stderrR)
	noticed, noticedAgain, readDone := watch.noticed, watch.noticedAgain, watch.done
	fail := func(format string, a ...any) {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = stderrR.Close()
		<-readDone
		ts.Logf("[stdout]\n%s[stderr]\n%s", ts.ReadFile(stdout.Name()), watch.text.String())
		ts.Fatalf(format, a...)
	}
	await := func(ch <-chan struct{}, what string) {
		select {
		case <-ch:
		case <-readDone:
			select {
			case <-ch: // said just before it ended
			default:
				fail("signal: %s ended without %s", fs.Arg(2), what)
			}
		case <-time.After(hangGuard):
			fail("signal: %s did not happen within %v", what, hangGuard)
		}
	}
	lines := make(chan struct{})
	go func() {
		if _, err := bufio.NewReader(ready).ReadString('\n'); err == nil {
			close(lines)
		}
	}()
	select {
	case <-lines:
	case <-readDone:
		fail("signal: %s ended before a line came into %s", fs.Arg(2), fs.Arg(1))
	case <-time.After(hangGuard):
		fail("signal: no line came into %s within %v", fs.Arg(1), hangGuard)
	}
	target := cmd.Process.Pid
	if *group {
		target = -target
	}
	ts.Check(syscall.Kill(target, sig))
	await(noticed, "saying it was interrupted")
	if *twice {
		ts.Check(syscall.Kill(target, sig))
		await(noticedAgain, "saying it was interrupted again")
	}
	if *goFIFO != "" {
		f := openFIFO(ts, *goFIFO)
		_, err := f.WriteString("go\n")
		ts.Check(err)
	}
	err = cmd.Wait()
	select {
	case <-readDone:
	case <-time.After(hangGuard):
		fail("signal: %v after %s ended, a process it started still holds its stderr", hangGuard, fs.Arg(2))
	}
	got := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("signal: %v", err)
	}
	fmt.Fprint(ts.Stdout(), ts.ReadFile(stdout.Name()))
	fmt.Fprint(ts.Stderr(), watch.text.String())
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// openFIFO opens a named pipe for reading and writing: on Linux that never
// blocks, and what is written stays in the pipe while it is open. It is
// closed when the script ends.
func openFIFO(ts *testscript.TestScript, name string) *os.File {
	f, err := os.OpenFile(ts.MkAbs(name), os.O_RDWR, 0)
	ts.Check(err)
	ts.Defer(func() { _ = f.Close() })
	return f
}
