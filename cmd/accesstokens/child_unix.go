//go:build unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// Process groups on Unix: CMD leads a group of its own, and signals go to
// the whole group (a negative pid).

func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to p's group, then SIGCONT: a CMD stopped (by
// reading the terminal from the background, say) acts on it at once.
func signalGroup(p *os.Process, sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		_ = syscall.Kill(-p.Pid, s)
		_ = syscall.Kill(-p.Pid, syscall.SIGCONT)
	}
}

// killGroup sends SIGKILL to p's group. Once p has been waited for, its
// group id stays in use as long as anything of the group runs, so the
// signal reaches only what CMD left behind.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }

// shellExitCode is a process's exit code, or 128 + the signal that killed it.
func shellExitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// exitDescription says how a process ended, as a shell would.
func exitDescription(ps *os.ProcessState) string {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("exit status %d", ps.ExitCode())
}
