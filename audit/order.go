// The order of ordered reports: users, then projects, then repositories,
// each by its slug or key, then tokens by id.

package audit

import (
	"slices"
	"strings"

	"github.com/bbdc-tools/accesstokens"
)

// CompareScopes orders scopes for reports: user scopes first (by slug),
// then projects (by key), then repositories (by project key, then slug).
// It returns -1, 0 or +1, as cmp.Compare does.
func CompareScopes(a, b accesstokens.Scope) int {
	if c := scopeRank(a) - scopeRank(b); c != 0 {
		return max(-1, min(1, c))
	}
	if c := strings.Compare(a.UserSlug, b.UserSlug); c != 0 {
		return c
	}
	if c := strings.Compare(a.ProjectKey, b.ProjectKey); c != 0 {
		return c
	}
	return strings.Compare(a.RepoSlug, b.RepoSlug)
}

// scopeRank is 0 for a user scope, 1 for a project, 2 for a repository.
func scopeRank(s accesstokens.Scope) int {
	switch {
	case s.UserSlug != "":
		return 0
	case s.RepoSlug == "":
		return 1
	}
	return 2
}

// CompareTokens orders tokens for reports: by scope (CompareScopes), then by
// id as a number (ids are strings of digits of varying length), ids equal
// as numbers by their text.
func CompareTokens(a, b Token) int {
	if c := CompareScopes(a.Scope, b.Scope); c != 0 {
		return c
	}
	return compareIDs(a.ID, b.ID)
}

func compareIDs(a, b string) int {
	ta, tb := strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(ta) != len(tb) {
		if len(ta) < len(tb) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ta, tb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// Sorted returns a Writer that holds every token until Close, then writes
// them to w in CompareTokens order, and the summary with its failed scopes
// in CompareScopes order: what NewWriter does for its ordered formats, for
// a Writer of your own.
func Sorted(w Writer) Writer { return &sortedWriter{w: w} }

type sortedWriter struct {
	w      Writer
	tokens []Token
	closed bool
}

func (s *sortedWriter) Write(t Token) error {
	if s.closed {
		return errClosed
	}
	s.tokens = append(s.tokens, t)
	return nil
}

func (s *sortedWriter) Close(sum Summary) error {
	if s.closed {
		return errClosed
	}
	s.closed = true
	tokens := s.tokens
	s.tokens = nil
	slices.SortStableFunc(tokens, CompareTokens)
	for i := range tokens {
		if err := s.w.Write(tokens[i]); err != nil {
			return err
		}
		tokens[i] = Token{} // written: its memory may go
	}
	sum.Failed = slices.Clone(sum.Failed)
	slices.SortStableFunc(sum.Failed, func(a, b ScopeFailure) int { return CompareScopes(a.Scope, b.Scope) })
	return s.w.Close(sum)
}
