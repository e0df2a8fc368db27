//go:build !unix

package main

import (
	"fmt"
	"os"
	"syscall"
)

// Without Unix process groups, CMD is signalled and killed alone.

func ownProcessGroup() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, _ os.Signal) { _ = p.Kill() }

func killGroup(p *os.Process) { _ = p.Kill() }

func shellExitCode(ps *os.ProcessState) int { return ps.ExitCode() }

func exitDescription(ps *os.ProcessState) string { return fmt.Sprintf("exit status %d", ps.ExitCode()) }
