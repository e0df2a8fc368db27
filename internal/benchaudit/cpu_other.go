//go:build !linux

package main

import "time"

// cpuTime is not available outside Linux: the fake's CPU is then reported as 0.
func cpuTime(int) (time.Duration, error) { return 0, errNoCPUTime }
