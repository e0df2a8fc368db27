//go:build !race

package audit_test

// raceDetector says whether the tests run under the race detector, which
// makes HTTP through the fake some five times slower.
const raceDetector = false
