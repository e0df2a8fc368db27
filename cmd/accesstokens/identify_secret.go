// Reading the leaked secret of identify --secret-from: from a file, or from
// stdin (without echo on a terminal); never shown, not even in an error.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/bbdc-tools/accesstokens"
)

// maxSecretFile bounds what is read of --secret-from: a secret is under 100
// bytes, so anything near this size is not one (a log, a whole .env file).
const maxSecretFile = 4 << 10

// readLeakedSecret reads the secret from the file named by from, or from
// stdin for "-", and trims the white space around it (a trailing newline).
// Its errors are usage errors that name the source, never the content.
func readLeakedSecret(from string, streams *IOStreams) (accesstokens.Secret, error) {
	var (
		raw []byte
		err error
	)
	if from == "-" {
		raw, err = readSecretStdin(streams)
	} else {
		raw, err = readSecretFile(from)
	}
	defer clear(raw)
	if err != nil {
		return accesstokens.Secret{}, secretSourceError(from, err)
	}
	secret := bytes.TrimSpace(raw)
	switch {
	case len(raw) > maxSecretFile:
		return accesstokens.Secret{}, secretSourceError(from, fmt.Errorf("holds more than %d bytes: put the secret alone in it", maxSecretFile))
	case len(secret) == 0:
		return accesstokens.Secret{}, secretSourceError(from, errors.New("is empty"))
	case bytes.ContainsAny(secret, "\r\n"):
		return accesstokens.Secret{}, secretSourceError(from, errors.New("holds more than one line: put the secret alone in it"))
	}
	return accesstokens.NewSecret(string(secret)), nil
}

// readSecretFile reads at most maxSecretFile+1 bytes of a regular file or a pipe.
func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, errors.New("is a directory")
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return b, unwrapPathError(err)
	}
	return b, nil
}

// readSecretStdin reads stdin whole (a pipe: pbpaste, a vault's CLI), or one
// line without echo when stdin is a terminal.
func readSecretStdin(streams *IOStreams) ([]byte, error) {
	if f, ok := streams.In.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(streams.ErrOut, "Leaked secret (not shown): ")
		line, err := readHidden(int(f.Fd()))
		fmt.Fprintln(streams.ErrOut) // the Enter the terminal did not echo
		var interrupted *exitError
		if errors.As(err, &interrupted) {
			return nil, err
		}
		if err != nil {
			return nil, errors.New("reading the terminal failed")
		}
		return []byte(line), nil
	}
	b, err := io.ReadAll(io.LimitReader(streams.In, maxSecretFile+1))
	if err != nil {
		return b, fmt.Errorf("reading stdin: %w", err)
	}
	return b, nil
}

// secretSourceError is a usage error naming where the secret was to come
// from; an interrupt keeps its own exit code.
func secretSourceError(from string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return usageError("--secret-from %s: %v", describeSource(from), err)
}

// describeSource names --secret-from's value for a message: "-" is stdin, a
// path is quoted; a value that is a secret itself (typed where the file's
// name goes) is not shown.
func describeSource(from string) string {
	if from == "-" {
		return "- (stdin)"
	}
	if _, isSecret := accesstokens.NewSecret(from).TokenID(); isSecret {
		return "VALUE (not shown: it looks like a secret itself, which belongs in a file; consider it exposed in your shell's history)"
	}
	return strconv.Quote(from)
}
