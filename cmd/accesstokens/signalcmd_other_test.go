//go:build !unix

package main

import "github.com/rogpeppe/go-internal/testscript"

// Named pipes and process groups are Unix's: scripts that use them do not run elsewhere.

func cmdMkfifo(ts *testscript.TestScript, _ bool, _ []string)   { ts.Fatalf("mkfifo: Unix only") }
func cmdNoReader(ts *testscript.TestScript, _ bool, _ []string) { ts.Fatalf("noreader: Unix only") }
func cmdSignal(ts *testscript.TestScript, _ bool, _ []string)   { ts.Fatalf("signal: Unix only") }
