package main

import (
	"fmt"
	"slices"
	"time"
)

func wallOf(r result) time.Duration    { return r.wall }
func cpuOf(r result) time.Duration     { return r.cpu }
func fakeCPUOf(r result) time.Duration { return r.fakeCPU }
func rssOf(r result) int64             { return r.maxRSS }

// median is the median of f over runs (the mean of the middle two for an
// even count).
func median[T int64 | float64](runs []result, f func(result) T) T {
	xs := make([]T, len(runs))
	for i, r := range runs {
		xs[i] = f(r)
	}
	return medianOf(xs)
}

func medianDur(runs []result, f func(result) time.Duration) time.Duration {
	return time.Duration(median(runs, func(r result) int64 { return int64(f(r)) }))
}

func medianOf[T int64 | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func secs(d time.Duration) string   { return fmt.Sprintf("%.2f s", d.Seconds()) }
func millis(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
func micros(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
