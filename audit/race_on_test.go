//go:build race

package audit

// raceDetector says whether the tests run under the race detector, which
// makes HTTP through the fake some five times slower.
const raceDetector = true
