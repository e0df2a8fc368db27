// identify --user NAME: a user name from Bitbucket's access log, read as a
// token bot's (its project or repository) or a person's, and the tokens of
// that scope.

package main

import (
	"context"
	"fmt"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// runIdentifyUser says whose tokens the user holds and lists them: in a
// table with the line that says whose on top, or with -o json as list
// does (the line then goes to stderr).
func runIdentifyUser(ctx context.Context, opts *IdentifyOptions, conn *Connection) error {
	at, err := scopeOfName(ctx, conn.Client.Directory, opts.User, 0)
	if err != nil {
		return err
	}
	if opts.Format == "json" {
		fmt.Fprintln(opts.IO.ErrOut, at.about)
	} else if _, err := fmt.Fprintln(opts.IO.Out, at.about); err != nil {
		return err
	}
	now := conn.Now()
	out := newTokenPrinter(opts.Format, opts.IO.Out, false)
	for tok, err := range conn.Client.Tokens.All(ctx, at.scope, &accesstokens.ListOptions{Limit: 1000}) {
		if err != nil {
			return fmt.Errorf("listing the tokens of %s: %w", textsafe.Terminal(at.scope.String()), err)
		}
		if err := out.Print(classify(at.scope, tok, now)); err != nil {
			return err
		}
	}
	return out.Flush()
}
