package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// A CMD that rotate --exec or exec runs: in a process group of its own, so
// that a terminal's Ctrl-C reaches the tool alone and the tool decides what
// CMD gets; signalled and killed as a group, so that nothing CMD started
// outlives it; and when CMD ends, whatever it left running in its group ends
// too.

// childSpec says what to run and with which streams.
type childSpec struct {
	argv   []string
	env    []string
	stdin  io.Reader // nil: no input
	stdout io.Writer
	stderr io.Writer
}

// child is a running CMD.
type child struct {
	cmd    *exec.Cmd
	copies sync.WaitGroup // output copied from CMD's pipes to non-file writers
	ends   []io.Closer    // the parent's copies of CMD's pipe ends, closed once started
}

// startChild starts spec.argv in a new process group.
func startChild(spec childSpec) (*child, error) {
	c := &child{cmd: exec.Command(spec.argv[0], spec.argv[1:]...)}
	c.cmd.Env = spec.env
	c.cmd.SysProcAttr = ownProcessGroup()
	var err error
	if c.cmd.Stdin, err = c.input(spec.stdin); err == nil {
		if c.cmd.Stdout, err = c.output(spec.stdout); err == nil {
			c.cmd.Stderr, err = c.output(spec.stderr)
		}
	}
	if err == nil {
		err = c.cmd.Start()
	}
	for _, end := range c.ends {
		_ = end.Close()
	}
	if err != nil {
		c.copies.Wait()
		return nil, err
	}
	return c, nil
}

// input gives CMD r as its stdin: a file as it is, anything else through a
// pipe fed by a goroutine (which ends when CMD's group closes the pipe).
func (c *child) input(r io.Reader) (io.Reader, error) {
	if r == nil {
		return nil, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c.ends = append(c.ends, pr)
	go func() {
		_, _ = io.Copy(pw, r)
		_ = pw.Close()
	}()
	return pr, nil
}

// output gives CMD w as an output: a file as it is, anything else through a
// pipe copied to w until every process holding it has ended. os/exec's own
// copying would make Wait wait for CMD's leftover children instead.
func (c *child) output(w io.Writer) (io.Writer, error) {
	if w == nil {
		return nil, nil
	}
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	c.ends = append(c.ends, pw)
	c.copies.Add(1)
	go func() {
		defer c.copies.Done()
		_, _ = io.Copy(w, pr)
		_ = pr.Close()
	}()
	return pw, nil
}

// signal sends sig to CMD's whole process group, as a terminal would.
func (c *child) signal(sig os.Signal) { signalGroup(c.cmd.Process, sig) }

// kill ends CMD's whole process group at once.
func (c *child) kill() { killGroup(c.cmd.Process) }

// wait waits for CMD to end, then kills what it left running in its group,
// and returns how CMD ended: nil for exit status 0, else an *exec.ExitError.
func (c *child) wait() error {
	err := c.cmd.Wait()
	c.kill()
	c.copies.Wait()
	return err
}

// exitCode is the exit code a shell would report for how CMD ended: its own,
// or 128 + the signal that killed it.
func (c *child) exitCode() int { return shellExitCode(c.cmd.ProcessState) }

// runChild runs spec to its end; when ctx ends first, CMD's whole group is
// killed. The error says how CMD ended when that was not exit status 0.
func runChild(ctx context.Context, spec childSpec) error {
	c, err := startChild(spec)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, c.kill)
	defer stop()
	err = c.wait()
	if ctx.Err() != nil {
		return fmt.Errorf("killed, with everything it started: %w", context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return errors.New(exitDescription(exitErr.ProcessState))
	}
	return err
}
