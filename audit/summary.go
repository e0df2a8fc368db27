// What a run reports: progress while it goes, a summary when it ends.

package audit

import (
	"time"

	"github.com/bbdc-tools/accesstokens"
)

// Progress is where a run stands; Run reports it after each scope.
type Progress struct {
	ScopesDone  int           // scopes finished: read, failed, or resumed from a State
	ScopesTotal int           // scopes to read
	Tokens      int           // tokens read so far (Options.Keep does not change it)
	Failed      int           // scopes that could not be read
	Elapsed     time.Duration // since Run started
}

// ScopeFailure is a scope Run could not read (completely): it may have
// emitted some of its tokens before the failure.
type ScopeFailure struct {
	Scope accesstokens.Scope
	Err   error
}

// Summary is what a run saw.
type Summary struct {
	Findings map[Finding]int // kept tokens per finding; every finding is present, 0 included
	Tokens   int             // tokens emitted (those Options.Keep kept)
	// ScopesRead counts the scopes read to the end, those a State had
	// recorded as read included (ScopesResumed of them).
	ScopesRead    int
	ScopesResumed int
	Failed        []ScopeFailure // scopes that could not be read, in the order they failed
	// Unread are the scopes a stopped run (Run returned an error) did not
	// read to the end, in the targets' order: with ScopesRead and Failed they
	// account for every target. Some of their tokens may have been emitted.
	Unread []accesstokens.Scope
}

// newSummary is an empty Summary with every finding at 0.
func newSummary() *Summary {
	s := &Summary{Findings: make(map[Finding]int, numFindings)}
	for _, f := range allFindings {
		s.Findings[f] = 0
	}
	return s
}

// Count returns the number of tokens with the finding (0 for a nil map).
func (s *Summary) Count(f Finding) int { return s.Findings[f] }

// Complete reports whether every scope was read.
func (s *Summary) Complete() bool { return len(s.Failed) == 0 && len(s.Unread) == 0 }
