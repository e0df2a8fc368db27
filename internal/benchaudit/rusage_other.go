//go:build !unix

package main

import (
	"os"
	"time"
)

// usage is the CPU time of a process that has exited; its peak memory is not
// known on this platform (0).
func usage(ps *os.ProcessState) (cpu time.Duration, maxRSS int64) {
	return ps.UserTime() + ps.SystemTime(), 0
}
