// Message helpers shared by every command.

package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
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
