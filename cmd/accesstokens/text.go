// Message helpers shared by every command.

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// trimPrefix drops the SDK's "accesstokens: invalid argument X: " so that a
// message can name the flag instead.
func trimPrefix(err error) string {
	var inv *accesstokens.InvalidArgumentError
	if errors.As(err, &inv) {
		return inv.Reason
	}
	return strings.TrimPrefix(err.Error(), "accesstokens: ")
}

// plural writes "1 token", "2 tokens".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// quoteEscapes escapes what would end or confuse a double-quoted name.
var quoteEscapes = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// quoted writes text anyone could have chosen (a token name) in double
// quotes for a message: a quote or backslash in it escaped, and every
// character that could act on the terminal shown as textsafe.Terminal
// shows it.
func quoted(s string) string {
	return `"` + textsafe.Terminal(quoteEscapes.Replace(s)) + `"`
}
