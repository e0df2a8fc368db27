// Tokens whose dates could not be read (the finding bad-date): the note on
// stderr that names them after a report, so that a CI log shows them even
// when the report goes to a file.

package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/bbdc-tools/accesstokens/audit"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// maxBadDateNotes is how many tokens the note names before it counts the rest.
const maxBadDateNotes = 10

// badDates collects the tokens with bad-date that a report writes.
type badDates struct {
	named []string // "project:PRJ 1405 "ci": expiryDate"
	total int
}

// watch returns write, noting each token with bad-date it is given.
func (b *badDates) watch(write func(audit.Token) error) func(audit.Token) error {
	return func(t audit.Token) error {
		if t.Has(audit.BadDate) {
			b.total++
			if len(b.named) < maxBadDateNotes {
				b.named = append(b.named, fmt.Sprintf("%s %s %s: %s", textsafe.Terminal(t.Scope.String()),
					textsafe.Terminal(t.ID), quoted(t.Name), strings.Join(t.UnreadDates, ", ")))
			}
		}
		return write(t)
	}
}

// report says on w which tokens have a date that could not be read; nothing
// when none has.
func (b *badDates) report(w io.Writer) {
	if b.total == 0 {
		return
	}
	fmt.Fprintf(w, "accesstokens: %s with a date the server sent that cannot be read, shown without it (finding bad-date):\n", plural(b.total, "token"))
	for _, n := range b.named {
		fmt.Fprintf(w, "accesstokens:   %s\n", n)
	}
	if more := b.total - len(b.named); more > 0 {
		fmt.Fprintf(w, "accesstokens:   and %d more\n", more)
	}
}
