package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTime is the CPU time process pid has used so far, user and system, all
// its threads together: /proc/PID/stat counts it in ticks of 1/100 s
// (Linux's USER_HZ).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may hold spaces:
	// state is the first of them, utime the 12th and stime the 13th.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, errNoCPUTime
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errNoCPUTime
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}
