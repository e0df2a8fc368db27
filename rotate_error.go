package accesstokens

import (
	"fmt"
	"strings"
)

// What a failed rotation reports: the step that failed, why, and which token
// ids exist afterwards.

// RotateError is the error of a Rotate that failed after reading the old
// token: the step that failed, why, and what the scope holds afterwards.
// errors.Is and errors.As see the cause and any clean-up error.
type RotateError struct {
	Scope Scope
	OldID string // the token being rotated
	NewID string // the replacement, once one was created; "" before
	// Step is what failed: "read", "list", "create", "deliver" or "revoke".
	// A context that ended between steps is reported as the step it stopped.
	Step string
	Err  error // the cause
	// Cleanup is an error of a clean-up step that failed too, or nil.
	Cleanup error
	// Existing are the ids of the scope's tokens that Rotate touched and
	// that exist when it returns: the old token unless revoked, a new one
	// that survives, a token a lost create made that could not be revoked.
	Existing []string
	// Unconfirmed are ids of tokens that may or may not exist: a revoke
	// failed and reading the token back failed too. Check them by hand.
	Unconfirmed []string
	// Outcome says in words what Rotate found and did after the failure.
	Outcome string

	// othersMayOwn marks ids among Existing, other than OldID and NewID,
	// that may be another client's: Error tells nobody to revoke them.
	othersMayOwn bool
}

// Error says which token, what failed, what was done about it, and which ids exist.
func (e *RotateError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "accesstokens: rotating token %s of %s: %s: %v", e.OldID, e.Scope, e.Step, e.Err)
	if e.Outcome != "" {
		b.WriteString("; ")
		b.WriteString(e.Outcome)
	}
	if e.Cleanup != nil {
		fmt.Fprintf(&b, " (clean-up failed: %v)", e.Cleanup)
	}
	e.writeIDs(&b, "; tokens that exist: ", e.Existing)
	e.writeIDs(&b, "; may exist: ", e.Unconfirmed)
	return b.String()
}

// writeIDs writes heading and the labelled ids, when there are any.
func (e *RotateError) writeIDs(b *strings.Builder, heading string, ids []string) {
	for i, id := range ids {
		if i == 0 {
			b.WriteString(heading)
		} else {
			b.WriteString(", ")
		}
		b.WriteString(e.label(id))
	}
}

func (e *RotateError) label(id string) string {
	switch id {
	case e.OldID:
		return id + " (old)"
	case e.NewID:
		return id + " (new)"
	}
	if e.othersMayOwn {
		return id + " (this rotation's or another client's)"
	}
	return id + " (no secret: revoke it)"
}

// Unwrap returns the cause and the clean-up error, if any.
func (e *RotateError) Unwrap() []error {
	if e.Cleanup != nil {
		return []error{e.Err, e.Cleanup}
	}
	return []error{e.Err}
}
