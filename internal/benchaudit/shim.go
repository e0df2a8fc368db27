package main

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"time"
)

// The measuring shim: this program, started again with "measure" as its
// first argument, runs one client and writes what it cost. The shim is a
// fresh, small process, and that matters: a child's peak RSS as the kernel
// reports it (getrusage's maxrss) also counts the memory of the process
// that started it, up to the exec, and the driver holds every recorded
// request of the previous run. /usr/bin/time works the same way.

// usageReport is what the shim writes, as JSON, to its -usage file.
type usageReport struct {
	Wall   time.Duration `json:"wall"`
	CPU    time.Duration `json:"cpu"`    // user + system
	MaxRSS int64         `json:"maxRSS"` // bytes; 0 where the platform does not say
	Exit   int           `json:"exit"`
}

// shimMain runs the command after the flags, with the shim's standard
// streams, and writes its usageReport to -usage.
func shimMain(args []string) error {
	fs := flag.NewFlagSet("benchaudit measure", flag.ContinueOnError)
	report := fs.String("usage", "", "write the run's wall time, CPU time and peak RSS to `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	argv := fs.Args()
	if *report == "" || len(argv) == 0 {
		return errors.New("usage: benchaudit measure -usage FILE -- COMMAND [ARG...]")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	began := time.Now()
	err := cmd.Run()
	r := usageReport{Wall: time.Since(began)}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return err
	}
	r.CPU, r.MaxRSS = usage(cmd.ProcessState)
	r.Exit = cmd.ProcessState.ExitCode()
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return os.WriteFile(*report, b, 0o644)
}
