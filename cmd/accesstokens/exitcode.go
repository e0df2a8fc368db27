package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bbdc-tools/accesstokens"
	"github.com/bbdc-tools/accesstokens/internal/textsafe"
)

// Exit codes, fixed by the command's contract.
const (
	exitOK       = 0 // done; nothing matched --fail-on
	exitFailed   = 1 // failed, or done with scopes that could not be read
	exitUsage    = 2 // bad flag, scope, --where, duration or --secret-to, found before any request
	exitFindings = 3 // done, and findings matched --fail-on

	exitInterrupted = 130 // ended by Ctrl-C (128 + SIGINT, as shells report it): a second one, or one while the password is read
)

// exitError carries an exit code with the one-line message printed for it.
// A nil err means the command already said everything it had to say.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError is exit code 2 with a message that names what was wrong
// (a flag, an argument), raised before any request is sent.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends the command with code and no further message.
func silentExit(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// flagOfField names the command-line flag behind an SDK request field, so
// that the SDK's validation errors speak the command's language.
var flagOfField = map[string]string{
	"Name":        "--name",
	"Permissions": "--perm",
	"permission":  "--perm",
	"ExpiryDays":  "--expiry-days",
	"tokenID":     "ID",
	"userSlug":    "SCOPE",
	"projectKey":  "SCOPE",
	"repoSlug":    "SCOPE",
	"scope":       "SCOPE",
	"state":       "--state",
}

// exitCodeOf maps an error to the exit code, and rewrites the SDK's
// validation errors (raised before any request) into usage errors naming
// the flag.
func exitCodeOf(err error) (int, error) {
	if err == nil {
		return exitOK, nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err
	}
	var inv *accesstokens.InvalidArgumentError
	if errors.As(err, &inv) {
		name := inv.Field
		if f, ok := flagOfField[inv.Field]; ok {
			name = f
		}
		return exitUsage, fmt.Errorf("%s: %s", name, inv.Reason)
	}
	return exitFailed, err
}

// worstCode combines the outcomes of several parts of a run: the lowest
// non-zero code wins (an incomplete inventory, 1, outranks findings, 3).
func worstCode(codes ...int) int {
	worst := exitOK
	for _, c := range codes {
		if c != exitOK && (worst == exitOK || c < worst) {
			worst = c
		}
	}
	return worst
}

// oneLine keeps a message on one line, whatever a server or a file name put in it.
func oneLine(s string) string {
	return textsafe.Terminal(strings.Join(strings.Fields(s), " "))
}

// errorLine is how an error is printed: one line, "accesstokens: " once
// (the SDK's errors carry the same prefix), hidden characters escaped.
func errorLine(err error) string { return "accesstokens: " + errText(err) }

// errText is an error as one line, without the SDK's "accesstokens: "
// prefixes, and without anything that looks like a token secret.
func errText(err error) string {
	return oneLine(hideSecrets(strings.ReplaceAll(err.Error(), "accesstokens: ", "")))
}
