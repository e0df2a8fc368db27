//go:build !race

package accesstokenstest_test

// raceDetector says whether the tests run under the race detector, which
// makes the fake's handler some eight times slower.
const raceDetector = false
